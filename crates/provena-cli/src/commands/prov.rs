//! `prov upstream|downstream`.

use crate::cli::{GraphFormat, LineageArgs};
use crate::exit::Failure;
use crate::output::Output;

/// Which way to walk the graph.
#[derive(Debug, Clone, Copy)]
pub enum Direction {
    /// Towards what an item was derived from.
    Upstream,
    /// Towards what was derived from an item.
    Downstream,
}

/// Explores the lineage of an item and prints it.
pub async fn lineage(
    prov: provena::prov::ProvClient,
    direction: Direction,
    args: &LineageArgs,
    out: Output,
) -> Result<(), Failure> {
    if args.depth == 0 {
        return Err(Failure::usage("--depth 0 explores nothing").hint("use a depth of 1 or more"));
    }
    let graph = match direction {
        Direction::Upstream => prov.explore_upstream(&args.id, Some(args.depth)).await?,
        Direction::Downstream => prov.explore_downstream(&args.id, Some(args.depth)).await?,
    };
    if out.is_json() {
        return out.emit(&graph.to_json(), String::new);
    }
    let text = match args.format {
        GraphFormat::Dot => graph.to_dot(),
        GraphFormat::Json => crate::output::pretty(&graph.to_json()),
        GraphFormat::Text => {
            let mut lines: Vec<String> = graph
                .edges
                .iter()
                .map(|edge| {
                    format!(
                        "{} -[{}]-> {}",
                        labelled(&graph, &edge.source),
                        edge.relation.as_str(),
                        labelled(&graph, &edge.target)
                    )
                })
                .collect();
            if lines.is_empty() {
                lines.push(format!(
                    "{} has no {} lineage at depth {}",
                    args.id,
                    direction_name(direction),
                    args.depth
                ));
            }
            lines.join("\n")
        }
    };
    crate::output::write_line(text.trim_end())
}

/// Returns the node's id followed by its subtype, such as `10378.1/1690000 (DATASET)`.
fn labelled(graph: &provena::prov::LineageGraph, id: &str) -> String {
    match graph.node(id).and_then(|node| node.item_subtype.as_ref()) {
        Some(subtype) => format!("{id} ({subtype})"),
        None => id.to_owned(),
    }
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Upstream => "upstream",
        Direction::Downstream => "downstream",
    }
}
