//! The provenance graph: nodes and PROV-O links tagged with the model run records that
//! lodged them, and the lineage queries over it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Map, Value, json};

/// A graph node: a registry item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) category: String,
    pub(crate) subtype: String,
    pub(crate) record_ids: BTreeSet<String>,
}

/// A directed PROV-O relation between two nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) source: String,
    pub(crate) target: String,
    pub(crate) relation: String,
    pub(crate) record_ids: BTreeSet<String>,
}

/// The nodes and links one model run record contributes: `(id, category, subtype)` and
/// `(source, target, relation)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecordGraph {
    pub(crate) nodes: Vec<(String, String, String)>,
    pub(crate) links: Vec<(String, String, String)>,
}

impl RecordGraph {
    fn node(&mut self, id: &str, category: &str, subtype: &str) {
        if !self.nodes.iter().any(|(known, _, _)| known == id) {
            self.nodes
                .push((id.to_owned(), category.to_owned(), subtype.to_owned()));
        }
    }

    fn link(&mut self, source: &str, target: &str, relation: &str) {
        let exists = self
            .links
            .iter()
            .any(|(from, to, _)| from == source && to == target);
        if !exists {
            self.links
                .push((source.to_owned(), target.to_owned(), relation.to_owned()));
        }
    }
}

/// The parts of a model run record and its workflow template that shape its graph.
pub(crate) struct RecordShape<'a> {
    pub(crate) record_id: &'a str,
    pub(crate) workflow_template_id: &'a str,
    pub(crate) model_id: &'a str,
    pub(crate) modeller_id: &'a str,
    pub(crate) organisation_id: Option<&'a str>,
    pub(crate) study_id: Option<&'a str>,
    /// `(dataset_template_id, dataset_id)` of each input.
    pub(crate) inputs: Vec<(&'a str, &'a str)>,
    /// `(dataset_template_id, dataset_id)` of each output.
    pub(crate) outputs: Vec<(&'a str, &'a str)>,
}

/// Builds the graph of one model run the way the real prov service does.
///
/// The run `used` its inputs, model and workflow template. Outputs `wasGeneratedBy` the
/// run and `wasAttributedTo` the modeller. The run `wasAssociatedWith` the modeller and
/// organisation and `wasInformedBy` its study. The workflow template `hadMember` its
/// dataset templates and model, and each dataset `wasInfluencedBy` its template.
pub(crate) fn model_run_graph(shape: &RecordShape<'_>) -> RecordGraph {
    let mut graph = RecordGraph::default();
    let run = shape.record_id;
    graph.node(run, "ACTIVITY", "MODEL_RUN");
    if let Some(study) = shape.study_id {
        graph.node(study, "ACTIVITY", "STUDY");
    }
    for (_, dataset) in shape.inputs.iter().chain(&shape.outputs) {
        graph.node(dataset, "ENTITY", "DATASET");
    }
    graph.node(shape.workflow_template_id, "ENTITY", "WORKFLOW_TEMPLATE");
    let templates: BTreeSet<&str> = shape
        .inputs
        .iter()
        .chain(&shape.outputs)
        .map(|(template, _)| *template)
        .collect();
    for template in &templates {
        graph.node(template, "ENTITY", "DATASET_TEMPLATE");
    }
    graph.node(shape.model_id, "ENTITY", "MODEL");
    graph.node(shape.modeller_id, "AGENT", "PERSON");
    if let Some(organisation) = shape.organisation_id {
        graph.node(organisation, "AGENT", "ORGANISATION");
    }

    if let Some(study) = shape.study_id {
        graph.link(run, study, "wasInformedBy");
    }
    for (_, dataset) in &shape.inputs {
        graph.link(run, dataset, "used");
    }
    for (_, dataset) in &shape.outputs {
        graph.link(dataset, run, "wasGeneratedBy");
    }
    graph.link(run, shape.model_id, "used");
    graph.link(run, shape.workflow_template_id, "used");
    graph.link(run, shape.modeller_id, "wasAssociatedWith");
    if let Some(organisation) = shape.organisation_id {
        graph.link(run, organisation, "wasAssociatedWith");
    }
    for (_, dataset) in &shape.outputs {
        graph.link(dataset, shape.modeller_id, "wasAttributedTo");
    }
    for template in &templates {
        graph.link(shape.workflow_template_id, template, "hadMember");
        for (input_template, dataset) in shape.inputs.iter().chain(&shape.outputs) {
            if input_template == template {
                graph.link(dataset, template, "wasInfluencedBy");
            }
        }
    }
    graph.link(shape.workflow_template_id, shape.model_id, "hadMember");
    graph
}

/// The whole provenance graph.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    nodes: BTreeMap<String, Node>,
    links: Vec<Link>,
}

/// The direction in which a query walks the links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// From a node to what it points to: its inputs, model, agents.
    Upstream,
    /// From a node to what points to it: what was derived from it.
    Downstream,
}

impl Graph {
    /// Merges the graph of record `record_id` in, tagging every node and link with it.
    pub(crate) fn lodge(&mut self, record_id: &str, graph: &RecordGraph) {
        for (id, category, subtype) in &graph.nodes {
            let node = self.nodes.entry(id.clone()).or_insert_with(|| Node {
                category: category.clone(),
                subtype: subtype.clone(),
                record_ids: BTreeSet::new(),
            });
            node.category.clone_from(category);
            node.subtype.clone_from(subtype);
            node.record_ids.insert(record_id.to_owned());
        }
        for (source, target, relation) in &graph.links {
            match self.links.iter_mut().find(|link| {
                &link.source == source && &link.target == target && &link.relation == relation
            }) {
                Some(link) => {
                    link.record_ids.insert(record_id.to_owned());
                }
                None => self.links.push(Link {
                    source: source.clone(),
                    target: target.clone(),
                    relation: relation.clone(),
                    record_ids: BTreeSet::from([record_id.to_owned()]),
                }),
            }
        }
    }

    /// Lists the changes that remove record `record_id` and applies them unless `trial`.
    /// Nodes and links that only this record lodged are removed; others lose the tag.
    pub(crate) fn remove_record(&mut self, record_id: &str, trial: bool) -> Vec<Value> {
        let mut diff = Vec::new();
        for (id, node) in &self.nodes {
            if node.record_ids.contains(record_id) {
                if node.record_ids.len() == 1 {
                    diff.push(json!({ "action_type": "REMOVE_NODE", "node_id": id }));
                } else {
                    diff.push(json!({
                        "action_type": "REMOVE_RECORD_ID_FROM_NODE",
                        "node_id": id,
                        "record_id": record_id,
                    }));
                }
            }
        }
        for link in &self.links {
            if link.record_ids.contains(record_id) {
                let described = self.describe_link(link);
                if link.record_ids.len() == 1 {
                    diff.push(json!({ "action_type": "REMOVE_LINK", "link": described }));
                } else {
                    diff.push(json!({
                        "action_type": "REMOVE_RECORD_ID_FROM_LINK",
                        "link": described,
                        "record_id": record_id,
                    }));
                }
            }
        }
        if !trial {
            for node in self.nodes.values_mut() {
                node.record_ids.remove(record_id);
            }
            self.nodes.retain(|_, node| !node.record_ids.is_empty());
            for link in &mut self.links {
                link.record_ids.remove(record_id);
            }
            self.links.retain(|link| !link.record_ids.is_empty());
        }
        diff
    }

    fn describe_link(&self, link: &Link) -> Value {
        let describe_node = |id: &str| match self.nodes.get(id) {
            Some(node) => json!({
                "id": id,
                "subtype": node.subtype,
                "category": node.category,
                "props": { "record_ids": join(&node.record_ids) },
            }),
            None => json!({ "id": id }),
        };
        json!({
            "source": describe_node(&link.source),
            "target": describe_node(&link.target),
            "relation": link.relation,
            "props": { "record_ids": join(&link.record_ids) },
        })
    }

    /// Removes every node and link.
    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.links.clear();
    }

    /// Reports whether a node has this id.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.nodes.contains_key(id)
    }

    /// Returns the subtype of node `id`.
    pub(crate) fn subtype(&self, id: &str) -> Option<&str> {
        self.nodes.get(id).map(|node| node.subtype.as_str())
    }

    fn step(&self, from: &str, direction: Direction) -> Vec<(usize, String)> {
        self.links
            .iter()
            .enumerate()
            .filter_map(|(index, link)| match direction {
                Direction::Upstream if link.source == from => Some((index, link.target.clone())),
                Direction::Downstream if link.target == from => Some((index, link.source.clone())),
                _ => None,
            })
            .collect()
    }

    /// Collects the links of every path of 1 to `depth` steps from `start` in `direction`
    /// whose last node satisfies `ends`, in the order a depth-first walk meets them.
    pub(crate) fn paths(
        &self,
        start: &str,
        depth: u32,
        direction: Direction,
        ends: &dyn Fn(&Node) -> bool,
    ) -> Vec<usize> {
        let mut collected = Vec::new();
        let mut path = Vec::new();
        let mut visited = vec![start.to_owned()];
        self.walk(
            start,
            depth,
            direction,
            ends,
            &mut path,
            &mut visited,
            &mut collected,
        );
        collected
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        at: &str,
        remaining: u32,
        direction: Direction,
        ends: &dyn Fn(&Node) -> bool,
        path: &mut Vec<usize>,
        visited: &mut Vec<String>,
        collected: &mut Vec<usize>,
    ) {
        if remaining == 0 {
            return;
        }
        for (index, next) in self.step(at, direction) {
            if visited.contains(&next) {
                continue;
            }
            path.push(index);
            if self.nodes.get(&next).is_some_and(ends) {
                for link in path.iter() {
                    if !collected.contains(link) {
                        collected.push(*link);
                    }
                }
            }
            visited.push(next.clone());
            self.walk(
                &next,
                remaining - 1,
                direction,
                ends,
                path,
                visited,
                collected,
            );
            visited.pop();
            path.pop();
        }
    }

    /// Collects the links of the "effected agents" query: agents that any node within
    /// `depth` downstream steps of `start` (or `start` itself) points to.
    pub(crate) fn effected_agents(&self, start: &str, depth: u32) -> Vec<usize> {
        let mut collected = Vec::new();
        let mut frontier: Vec<(String, Vec<usize>)> = vec![(start.to_owned(), Vec::new())];
        let mut seen: HashSet<String> = HashSet::from([start.to_owned()]);
        for level in 0..=depth {
            let mut next_frontier = Vec::new();
            for (node, path) in &frontier {
                for (index, target) in self.step(node, Direction::Upstream) {
                    if self
                        .nodes
                        .get(&target)
                        .is_some_and(|n| n.category == "AGENT")
                    {
                        for link in path.iter().chain(std::iter::once(&index)) {
                            if !collected.contains(link) {
                                collected.push(*link);
                            }
                        }
                    }
                }
                if level < depth {
                    for (index, source) in self.step(node, Direction::Downstream) {
                        if seen.insert(source.clone()) {
                            let mut extended = path.clone();
                            extended.push(index);
                            next_frontier.push((source, extended));
                        }
                    }
                }
            }
            frontier = next_frontier;
        }
        collected
    }

    /// Serialises the links at `indices` and their end nodes in the node-link form of
    /// `networkx` (`directed`, `multigraph`, `graph`, `nodes`, `links`).
    pub(crate) fn node_link(&self, indices: &[usize]) -> Value {
        let mut nodes: Vec<Value> = Vec::new();
        let mut listed: HashSet<&str> = HashSet::new();
        let mut links = Vec::new();
        for index in indices {
            let Some(link) = self.links.get(*index) else {
                continue;
            };
            for id in [link.source.as_str(), link.target.as_str()] {
                if listed.insert(id) {
                    let mut node = Map::new();
                    let known = self.nodes.get(id);
                    node.insert("item_category".into(), json!(known.map(|n| &n.category)));
                    node.insert("item_subtype".into(), json!(known.map(|n| &n.subtype)));
                    node.insert("id".into(), json!(id));
                    nodes.push(Value::Object(node));
                }
            }
            links.push(json!({
                "type": link.relation,
                "source": link.source,
                "target": link.target,
            }));
        }
        json!({
            "directed": true,
            "multigraph": false,
            "graph": {},
            "nodes": nodes,
            "links": links,
        })
    }
}

fn join(ids: &BTreeSet<String>) -> String {
    ids.iter().cloned().collect::<Vec<_>>().join(",")
}
