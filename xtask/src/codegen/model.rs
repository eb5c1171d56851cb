//! Reads component schemas from the OpenAPI documents into a small type model, and merges
//! schemas that several services define under one name.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use serde_json::{Map, Value};

/// One service's OpenAPI document, in the order the generator prefers them when a schema
/// appears in several.
pub(crate) const SERVICES: &[Service] = &[
    Service {
        file: "registry.json",
        name: "registry",
        module: "registry",
    },
    Service {
        file: "datastore.json",
        name: "datastore",
        module: "datastore",
    },
    Service {
        file: "prov.json",
        name: "prov",
        module: "prov",
    },
    Service {
        file: "jobs.json",
        name: "jobs",
        module: "jobs",
    },
    Service {
        file: "search.json",
        name: "search",
        module: "search",
    },
    Service {
        file: "id-service.json",
        name: "id-service",
        module: "handles",
    },
    Service {
        file: "auth.json",
        name: "auth",
        module: "auth",
    },
];

/// Module for schemas that three or more services define.
pub(crate) const COMMON_MODULE: &str = "common";

/// A Provena service and where its types go.
pub(crate) struct Service {
    /// File name of the service's document inside the spec folder.
    pub(crate) file: &'static str,
    /// Service name as the documentation uses it.
    pub(crate) name: &'static str,
    /// Generated module for the schemas this service is the first in `SERVICES` to define.
    pub(crate) module: &'static str,
}

/// The Rust shape of a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    Date,
    DateTime,
    /// Any JSON value: the document puts no constraint on it.
    Any,
    /// A JSON object whose keys the document leaves open.
    Object,
    Named(String),
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    /// A complete registry item of the named type, or a seed item.
    ItemOrSeed(String),
    /// A union of several shapes with no discriminator, emitted as a named untagged enum.
    Union(Vec<Ty>),
}

impl Ty {
    /// Calls `visit` with every schema name this type refers to.
    pub(crate) fn visit_names(&self, visit: &mut dyn FnMut(&str)) {
        match self {
            Ty::Named(name) => visit(name),
            Ty::ItemOrSeed(name) => {
                visit(name);
                visit("SeededItem");
            }
            Ty::Vec(inner) | Ty::Map(inner) => inner.visit_names(visit),
            Ty::Tuple(parts) | Ty::Union(parts) => {
                for part in parts {
                    part.visit_names(visit);
                }
            }
            _ => {}
        }
    }
}

/// One struct field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) wire: String,
    pub(crate) ty: Ty,
    /// True when the field is not required or may be `null` in at least one document.
    pub(crate) optional: bool,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
}

/// What a component schema becomes.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Struct(Vec<Field>),
    /// A string enum with its wire values in document order.
    Enum(Vec<String>),
}

/// A component schema, merged over every document that defines it.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    pub(crate) name: String,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) kind: Kind,
    /// Names of the services whose documents define the schema, in `SERVICES` order.
    pub(crate) services: Vec<&'static str>,
    /// Generated module the type is written to.
    pub(crate) module: &'static str,
}

/// Reads every document in `spec_dir` and returns the merged schemas by name.
pub(crate) fn load(spec_dir: &std::path::Path) -> anyhow::Result<BTreeMap<String, Schema>> {
    let mut by_name: BTreeMap<String, Vec<(&'static Service, Schema)>> = BTreeMap::new();
    for service in SERVICES {
        let path = spec_dir.join(service.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read the API document {}", path.display()))?;
        let document: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let schemas = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .with_context(|| format!("{} has no components.schemas object", path.display()))?;
        for (name, schema) in schemas {
            let parsed = parse_schema(name, schema, service)
                .with_context(|| format!("failed to read schema {name} in {}", path.display()))?;
            by_name
                .entry(name.clone())
                .or_default()
                .push((service, parsed));
        }
    }

    let mut merged = BTreeMap::new();
    for (name, versions) in by_name {
        let schema = merge(versions).with_context(|| format!("failed to merge schema {name}"))?;
        merged.insert(name, schema);
    }
    Ok(merged)
}

fn text(schema: &Value, key: &str) -> Option<String> {
    schema
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn parse_schema(name: &str, schema: &Value, service: &'static Service) -> anyhow::Result<Schema> {
    let kind = if let Some(values) = schema.get("enum") {
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            bail!("only string enums are supported");
        }
        let values = values
            .as_array()
            .context("`enum` is not an array")?
            .iter()
            .map(|value| value.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .context("an enum value is not a string")?;
        Kind::Enum(values)
    } else {
        let empty = Map::new();
        let properties = match schema.get("properties") {
            Some(properties) => properties
                .as_object()
                .context("`properties` is not an object")?,
            None => &empty,
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        for (wire, property) in properties {
            let (ty, nullable) =
                property_type(property).with_context(|| format!("in property {wire}"))?;
            fields.push(Field {
                wire: wire.clone(),
                ty,
                optional: nullable || !required.contains(&wire.as_str()),
                title: text(property, "title"),
                description: text(property, "description"),
            });
        }
        Kind::Struct(fields)
    };
    Ok(Schema {
        name: name.to_owned(),
        title: text(schema, "title"),
        description: text(schema, "description"),
        kind,
        services: vec![service.name],
        module: service.module,
    })
}

/// Maps a property schema to a type, and returns whether `null` is allowed.
///
/// Handles the forms the Provena documents use: `$ref`, `allOf` with one `$ref` (an enum
/// field with a default), `anyOf` with a `{"type": "null"}` member (an optional field),
/// `nullable: true`, and tuple-style `items` arrays.
pub(crate) fn property_type(schema: &Value) -> anyhow::Result<(Ty, bool)> {
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return Ok((Ty::Named(ref_name(reference)?), nullable));
    }
    if let Some(all_of) = schema.get("allOf").and_then(Value::as_array) {
        let [single] = all_of.as_slice() else {
            bail!("`allOf` with {} members is not supported", all_of.len());
        };
        let (ty, inner_nullable) = property_type(single)?;
        return Ok((ty, nullable || inner_nullable));
    }
    if let Some(any_of) = schema.get("anyOf").and_then(Value::as_array) {
        let mut nullable = nullable;
        let mut members = Vec::new();
        for member in any_of {
            if member.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
                continue;
            }
            let (ty, member_nullable) = property_type(member)?;
            nullable |= member_nullable;
            members.push(ty);
        }
        let ty = match members.as_slice() {
            [] => Ty::Any,
            [single] => single.clone(),
            [Ty::Named(item), Ty::Named(seed)] if seed == "SeededItem" => {
                Ty::ItemOrSeed(item.clone())
            }
            _ => Ty::Union(members),
        };
        return Ok((ty, nullable));
    }
    let ty = match schema.get("type").and_then(Value::as_str) {
        None => Ty::Any,
        Some("string") => match schema.get("format").and_then(Value::as_str) {
            Some("date") => Ty::Date,
            Some("date-time") => Ty::DateTime,
            _ => Ty::String,
        },
        Some("integer") => Ty::Integer,
        Some("number") => Ty::Number,
        Some("boolean") => Ty::Boolean,
        Some("array") => match schema.get("items") {
            None => Ty::Vec(Box::new(Ty::Any)),
            // Tuple-style `items` (not valid OpenAPI 3.0, but the documents use it): the
            // array itself is a fixed-length tuple.
            Some(Value::Array(parts)) => Ty::Tuple(
                parts
                    .iter()
                    .map(|part| property_type(part).map(|(ty, _)| ty))
                    .collect::<anyhow::Result<_>>()?,
            ),
            Some(items) => Ty::Vec(Box::new(property_type(items)?.0)),
        },
        Some("object") => match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) if schema.get("properties").is_none() => {
                Ty::Map(Box::new(property_type(values)?.0))
            }
            _ => Ty::Object,
        },
        Some("null") => return Ok((Ty::Any, true)),
        Some(other) => bail!("type {other:?} is not supported"),
    };
    Ok((ty, nullable))
}

fn ref_name(reference: &str) -> anyhow::Result<String> {
    reference
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
        .with_context(|| format!("reference {reference} does not point at a component schema"))
}

/// Merges the versions of one schema from several documents into one type.
///
/// Versions must agree on fields, field types and enum values. A field that is optional or
/// nullable in any version is optional in the merged type, so it decodes every version.
fn merge(mut versions: Vec<(&'static Service, Schema)>) -> anyhow::Result<Schema> {
    let (_, mut merged) = versions.remove(0);
    let defined_in = versions.len() + 1;
    for (service, other) in versions {
        merged.services.push(service.name);
        match (&mut merged.kind, &other.kind) {
            (Kind::Enum(values), Kind::Enum(other_values)) => {
                if values != other_values {
                    bail!(
                        "the {} document lists enum values {other_values:?}, another lists {values:?}",
                        service.name
                    );
                }
            }
            (Kind::Struct(fields), Kind::Struct(other_fields)) => {
                if fields.len() != other_fields.len() {
                    bail!(
                        "the {} document has {} fields, another has {}",
                        service.name,
                        other_fields.len(),
                        fields.len()
                    );
                }
                for other_field in other_fields {
                    let Some(field) = fields.iter_mut().find(|f| f.wire == other_field.wire) else {
                        bail!(
                            "field {} appears only in the {} document",
                            other_field.wire,
                            service.name
                        );
                    };
                    if field.ty != other_field.ty {
                        bail!(
                            "field {} is {:?} in the {} document but {:?} in another",
                            field.wire,
                            other_field.ty,
                            service.name,
                            field.ty
                        );
                    }
                    field.optional |= other_field.optional;
                }
            }
            _ => bail!(
                "the {} document defines it as a different kind of type",
                service.name
            ),
        }
    }
    if defined_in >= 3 {
        merged.module = COMMON_MODULE;
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service(name: &'static str) -> &'static Service {
        SERVICES
            .iter()
            .find(|service| service.name == name)
            .unwrap()
    }

    #[test]
    fn null_in_any_of_is_nullable() {
        let schema = json!({"anyOf": [{"type": "integer"}, {"type": "null", "title": "None"}]});
        assert_eq!(property_type(&schema).unwrap(), (Ty::Integer, true));
    }

    #[test]
    fn single_all_of_is_its_reference() {
        let schema =
            json!({"allOf": [{"$ref": "#/components/schemas/ItemCategory"}], "default": "AGENT"});
        let (ty, nullable) = property_type(&schema).unwrap();
        assert_eq!(ty, Ty::Named("ItemCategory".to_owned()));
        assert!(!nullable);
    }

    #[test]
    fn tuple_items_become_tuple() {
        let schema = json!({"type": "array", "items": [{"type": "string"}, {"type": "object"}]});
        let (ty, _) = property_type(&schema).unwrap();
        assert_eq!(ty, Ty::Tuple(vec![Ty::String, Ty::Object]));
    }

    #[test]
    fn item_or_seed_union_is_recognised() {
        let schema = json!({"anyOf": [
            {"$ref": "#/components/schemas/ItemModel"},
            {"$ref": "#/components/schemas/SeededItem"},
            {"type": "null"}
        ]});
        let (ty, nullable) = property_type(&schema).unwrap();
        assert_eq!(ty, Ty::ItemOrSeed("ItemModel".to_owned()));
        assert!(nullable);
    }

    #[test]
    fn string_map_and_dates() {
        let map = json!({"type": "object", "additionalProperties": {"type": "string"}});
        let date = json!({"type": "string", "format": "date"});
        assert_eq!(
            property_type(&map).unwrap().0,
            Ty::Map(Box::new(Ty::String))
        );
        assert_eq!(property_type(&date).unwrap().0, Ty::Date);
    }

    #[test]
    fn unsupported_all_of_is_an_error() {
        let schema = json!({"allOf": [{"type": "string"}, {"type": "integer"}]});
        let error = property_type(&schema).unwrap_err().to_string();
        assert!(error.contains("2 members"), "{error}");
    }

    fn thing(
        value_schema: &serde_json::Value,
        service_name: &'static str,
    ) -> (&'static Service, Schema) {
        let schema = json!({
            "title": "Thing",
            "type": "object",
            "required": ["value"],
            "properties": {"value": value_schema.clone()}
        });
        let service = service(service_name);
        (service, parse_schema("Thing", &schema, service).unwrap())
    }

    #[test]
    fn merge_accepts_nullability_difference() {
        let strict = thing(&json!({"type": "string"}), "datastore");
        let nullable = thing(
            &json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            "registry",
        );
        let merged = merge(vec![nullable, strict]).unwrap();
        let Kind::Struct(fields) = &merged.kind else {
            panic!("expected a struct");
        };
        assert!(fields[0].optional);
        assert_eq!(merged.services, vec!["registry", "datastore"]);
        assert_eq!(merged.module, "registry");
    }

    #[test]
    fn merge_rejects_type_difference() {
        let text = thing(&json!({"type": "string"}), "registry");
        let number = thing(&json!({"type": "integer"}), "datastore");
        let error = format!("{:#}", merge(vec![text, number]).unwrap_err());
        assert!(error.contains("field value"), "{error}");
    }

    #[test]
    fn merge_of_three_goes_to_common() {
        let versions = ["registry", "prov", "auth"]
            .map(|name| thing(&json!({"type": "string"}), name))
            .into_iter()
            .collect();
        let merged = merge(versions).unwrap();
        assert_eq!(merged.module, COMMON_MODULE);
    }
}
