//! Typed lineage graphs, decoded from the node-link JSON the prov service returns.
//!
//! The service serialises a directed graph in the node-link form of the `networkx` Python
//! library: `{"directed": true, "multigraph": false, "graph": {}, "nodes": [...],
//! "links": [...]}`. Each node has an `id` plus `item_category` and `item_subtype`; each
//! link has `source`, `target` and `type`, the PROV-O relation name. Newer `networkx`
//! releases name the link list `edges`; both names are accepted.

use std::fmt::{self, Write as _};

use provena_models::{ItemCategory, ItemSubType};
use serde::{Deserialize, Serialize};

/// A PROV-O relation between two lineage nodes, pointing from the later thing to the
/// earlier one (an output `wasGeneratedBy` its model run, a model run `used` an input).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProvRelation {
    /// `wasDerivedFrom`.
    WasDerivedFrom,
    /// `wasInfluencedBy`: a dataset and the dataset template it fulfils.
    WasInfluencedBy,
    /// `wasRevisionOf`.
    WasRevisionOf,
    /// `wasQuotedFrom`.
    WasQuotedFrom,
    /// `hadPrimarySource`.
    HadPrimarySource,
    /// `hadMember`: a workflow template and its model or dataset templates.
    HadMember,
    /// `alternateOf`.
    AlternateOf,
    /// `specializationOf`.
    SpecializationOf,
    /// `wasGeneratedBy`: an output dataset and the model run that produced it.
    WasGeneratedBy,
    /// `used`: a model run and its inputs, model and workflow template.
    Used,
    /// `wasInvalidatedBy`.
    WasInvalidatedBy,
    /// `wasAttributedTo`: an output dataset and its modeller.
    WasAttributedTo,
    /// `wasInformedBy`: a model run and its study.
    WasInformedBy,
    /// `wasAssociatedWith`: a model run and its modeller or organisation.
    WasAssociatedWith,
    /// `actedOnBehalfOf`.
    ActedOnBehalfOf,
    /// A relation name this version does not know, kept as sent.
    Unknown(String),
}

const RELATION_NAMES: [(ProvRelation, &str); 15] = [
    (ProvRelation::WasDerivedFrom, "wasDerivedFrom"),
    (ProvRelation::WasInfluencedBy, "wasInfluencedBy"),
    (ProvRelation::WasRevisionOf, "wasRevisionOf"),
    (ProvRelation::WasQuotedFrom, "wasQuotedFrom"),
    (ProvRelation::HadPrimarySource, "hadPrimarySource"),
    (ProvRelation::HadMember, "hadMember"),
    (ProvRelation::AlternateOf, "alternateOf"),
    (ProvRelation::SpecializationOf, "specializationOf"),
    (ProvRelation::WasGeneratedBy, "wasGeneratedBy"),
    (ProvRelation::Used, "used"),
    (ProvRelation::WasInvalidatedBy, "wasInvalidatedBy"),
    (ProvRelation::WasAttributedTo, "wasAttributedTo"),
    (ProvRelation::WasInformedBy, "wasInformedBy"),
    (ProvRelation::WasAssociatedWith, "wasAssociatedWith"),
    (ProvRelation::ActedOnBehalfOf, "actedOnBehalfOf"),
];

impl ProvRelation {
    /// Parses a relation name as the service sends it, such as `wasGeneratedBy`.
    pub fn from_name(name: &str) -> Self {
        RELATION_NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map_or_else(
                || ProvRelation::Unknown(name.to_owned()),
                |(relation, _)| relation.clone(),
            )
    }

    /// Returns the PROV-O name, such as `wasGeneratedBy`.
    pub fn as_str(&self) -> &str {
        match self {
            ProvRelation::Unknown(name) => name,
            known => RELATION_NAMES
                .iter()
                .find(|(relation, _)| relation == known)
                .map_or("", |(_, name)| name),
        }
    }
}

impl fmt::Display for ProvRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProvRelation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProvRelation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(ProvRelation::from_name(&name))
    }
}

/// One registry item in a lineage graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LineageNode {
    /// The item's handle, such as `10378.1/1690000`.
    pub id: String,
    /// Entity, activity or agent. `None` when the graph node carries no category.
    #[serde(default)]
    pub item_category: Option<ItemCategory>,
    /// The item subtype, such as `DATASET` or `MODEL_RUN`. `None` when the graph node
    /// carries no subtype.
    #[serde(default)]
    pub item_subtype: Option<ItemSubType>,
}

/// One directed relation in a lineage graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LineageEdge {
    /// The id of the node the relation starts at.
    pub source: String,
    /// The id of the node the relation points to.
    pub target: String,
    /// The PROV-O relation, sent as `type`.
    #[serde(rename = "type")]
    pub relation: ProvRelation,
}

/// A lineage graph as returned by the prov service's explore operations.
///
/// Nodes and edges keep the order the service sent them in. Serialising the graph with
/// serde gives the same node-link JSON the service returns, so it can be handed to D3.js
/// or to `networkx.node_link_graph`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineageGraph {
    /// Every node.
    pub nodes: Vec<LineageNode>,
    /// Every edge.
    pub edges: Vec<LineageEdge>,
}

#[derive(Serialize, Deserialize)]
struct NodeLinkWire {
    #[serde(default = "default_true")]
    directed: bool,
    #[serde(default)]
    multigraph: bool,
    #[serde(default)]
    graph: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    nodes: Vec<LineageNode>,
    #[serde(default, alias = "edges")]
    links: Vec<LineageEdge>,
}

fn default_true() -> bool {
    true
}

impl Serialize for LineageGraph {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        NodeLinkWire {
            directed: true,
            multigraph: false,
            graph: serde_json::Map::new(),
            nodes: self.nodes.clone(),
            links: self.edges.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LineageGraph {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = NodeLinkWire::deserialize(deserializer)?;
        Ok(LineageGraph {
            nodes: wire.nodes,
            edges: wire.links,
        })
    }
}

impl LineageGraph {
    /// Decodes the `graph` field of a lineage response.
    ///
    /// # Errors
    ///
    /// The serde error naming the field that does not match the node-link form.
    pub fn from_node_link(value: &serde_json::Value) -> Result<Self, serde_json::Error> {
        LineageGraph::deserialize(value)
    }

    /// Returns the node with this id.
    pub fn node(&self, id: &str) -> Option<&LineageNode> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// Returns the edges that start at node `id`.
    pub fn outgoing<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a LineageEdge> + 'a {
        self.edges.iter().filter(move |edge| edge.source == id)
    }

    /// Returns the edges that point to node `id`.
    pub fn incoming<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a LineageEdge> + 'a {
        self.edges.iter().filter(move |edge| edge.target == id)
    }

    /// Returns the nodes of one item subtype.
    pub fn nodes_of<'a>(
        &'a self,
        subtype: &'a ItemSubType,
    ) -> impl Iterator<Item = &'a LineageNode> + 'a {
        self.nodes
            .iter()
            .filter(move |node| node.item_subtype.as_ref() == Some(subtype))
    }

    /// Returns the graph as the service's node-link JSON.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain strings, booleans and string enums into a Value cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Returns the graph in Graphviz DOT.
    ///
    /// Nodes are drawn in the PROV shapes: entities as ellipses, activities as boxes and
    /// agents as houses. Each node is labelled with its id and subtype, and each edge with
    /// its relation.
    pub fn to_dot(&self) -> String {
        let mut dot = String::from("digraph lineage {\n    rankdir=BT;\n");
        for node in &self.nodes {
            let subtype = node
                .item_subtype
                .as_ref()
                .map(wire_name)
                .unwrap_or_default();
            let label = if subtype.is_empty() {
                node.id.clone()
            } else {
                format!("{}\n{}", node.id, subtype)
            };
            let shape = match &node.item_category {
                Some(ItemCategory::Activity) => "box",
                Some(ItemCategory::Agent) => "house",
                _ => "ellipse",
            };
            // Writing to a String cannot fail.
            let _ = writeln!(
                dot,
                "    {} [label={}, shape={}];",
                dot_quote(&node.id),
                dot_quote(&label),
                shape
            );
        }
        for edge in &self.edges {
            let _ = writeln!(
                dot,
                "    {} -> {} [label={}];",
                dot_quote(&edge.source),
                dot_quote(&edge.target),
                dot_quote(edge.relation.as_str())
            );
        }
        dot.push_str("}\n");
        dot
    }
}

/// Returns the name a serde string enum sends on the wire, such as `DATASET`.
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Quotes a DOT identifier, escaping quotes and backslashes and writing newlines as `\n`.
fn dot_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => {}
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "directed": true,
            "multigraph": false,
            "graph": {},
            "nodes": [
                {"item_category": "ACTIVITY", "item_subtype": "MODEL_RUN", "id": "10378.1/3"},
                {"item_category": "ENTITY", "item_subtype": "DATASET", "id": "10378.1/1"},
                {"item_category": "AGENT", "item_subtype": "PERSON", "id": "10378.1/\"9\""}
            ],
            "links": [
                {"type": "used", "source": "10378.1/3", "target": "10378.1/1"},
                {"type": "wasAssociatedWith", "source": "10378.1/3", "target": "10378.1/\"9\""}
            ]
        })
    }

    #[test]
    fn decodes_node_link_json() {
        let graph = LineageGraph::from_node_link(&sample()).unwrap();
        assert_eq!(graph.nodes.len(), 3);
        assert_eq!(graph.nodes[0].item_subtype, Some(ItemSubType::ModelRun));
        assert_eq!(graph.nodes[1].item_category, Some(ItemCategory::Entity));
        assert_eq!(graph.edges[0].relation, ProvRelation::Used);
        assert_eq!(graph.edges[1].relation, ProvRelation::WasAssociatedWith);
        assert_eq!(graph.outgoing("10378.1/3").count(), 2);
        assert_eq!(graph.incoming("10378.1/1").count(), 1);
    }

    #[test]
    fn accepts_edges_key_and_unknown_relation() {
        let value = serde_json::json!({
            "nodes": [{"id": "a"}, {"id": "b"}],
            "edges": [{"type": "wasCopiedFrom", "source": "a", "target": "b"}]
        });
        let graph = LineageGraph::from_node_link(&value).unwrap();
        assert_eq!(graph.nodes[0].item_subtype, None);
        assert_eq!(
            graph.edges[0].relation,
            ProvRelation::Unknown("wasCopiedFrom".into())
        );
        assert_eq!(graph.edges[0].relation.as_str(), "wasCopiedFrom");
    }

    #[test]
    fn json_export_round_trips() {
        let graph = LineageGraph::from_node_link(&sample()).unwrap();
        let exported = graph.to_json();
        assert_eq!(exported, sample());
    }

    #[test]
    fn dot_export_escapes_and_shapes() {
        let graph = LineageGraph::from_node_link(&sample()).unwrap();
        let expected = "digraph lineage {\n    rankdir=BT;\n    \
            \"10378.1/3\" [label=\"10378.1/3\\nMODEL_RUN\", shape=box];\n    \
            \"10378.1/1\" [label=\"10378.1/1\\nDATASET\", shape=ellipse];\n    \
            \"10378.1/\\\"9\\\"\" [label=\"10378.1/\\\"9\\\"\\nPERSON\", shape=house];\n    \
            \"10378.1/3\" -> \"10378.1/1\" [label=\"used\"];\n    \
            \"10378.1/3\" -> \"10378.1/\\\"9\\\"\" [label=\"wasAssociatedWith\"];\n}\n";
        assert_eq!(graph.to_dot(), expected);
    }

    #[test]
    fn relation_names_round_trip() {
        for (relation, name) in RELATION_NAMES {
            assert_eq!(ProvRelation::from_name(name), relation);
            assert_eq!(relation.as_str(), name);
        }
    }
}
