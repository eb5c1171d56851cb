//! Checks the models against the OpenAPI documents and the example payloads.
//!
//! Two kinds of cases are decoded with the generated types:
//!
//! - every example payload listed in the examples folder's `README.md`, which must decode
//!   into the schema the README names and encode back to the same JSON. A valid example
//!   must have no property its schema lacks. An example marked invalid on purpose must
//!   still decode, because the models check types, not the server's rules. One with an
//!   extra property encodes back without it, since the models ignore unknown fields and so
//!   never send one. One whose dates are out of order encodes back unchanged, for the
//!   server to reject;
//! - for every component schema of every document, instances built from the schema: one
//!   with the required properties only, one with every property, and one with every
//!   nullable property set to `null`. Each must decode and encode back to itself (with the
//!   `null`s left out).
//!
//! The decoding runs in the `spec_check` example of provena-models (feature `spec-check`),
//! so this crate does not link the models and can regenerate them even when they are
//! broken.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

use crate::codegen::model::SERVICES;

/// One document decoded as the type named `schema`.
struct Case {
    /// What the case is, for messages.
    label: String,
    schema: String,
    input: Value,
    /// The JSON the models must write back.
    expected: Value,
}

/// Runs every spec check.
pub(crate) fn run(spec_dir: &Path, examples_dir: Option<&Path>) -> anyhow::Result<()> {
    let documents = load_documents(spec_dir)?;
    let mut cases = Vec::new();
    let schema_cases = schema_cases(&documents)?;
    let schema_case_count = schema_cases.len();
    cases.extend(schema_cases);
    let mut example_count = 0;
    if let Some(examples_dir) = examples_dir {
        let examples = example_cases(examples_dir, &documents)?;
        example_count = examples.len();
        cases.extend(examples);
    }

    let results = decode_all(&cases)?;
    let mut failures = Vec::new();
    for (case, result) in cases.iter().zip(&results) {
        if result.get("known").and_then(Value::as_bool) != Some(true) {
            failures.push(format!(
                "{}: no generated type is named {}; run `cargo xtask codegen`",
                case.label, case.schema
            ));
        } else if let Some(error) = result.get("error").and_then(Value::as_str) {
            failures.push(format!(
                "{}: does not decode as {}: {error}",
                case.label, case.schema
            ));
        } else if result.get("encoded") != Some(&case.expected) {
            failures.push(format!(
                "{}: {} encodes back differently\n  expected: {}\n  encoded:  {}",
                case.label,
                case.schema,
                case.expected,
                result.get("encoded").unwrap_or(&Value::Null)
            ));
        }
    }
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("{failure}");
        }
        bail!("{} of {} spec checks failed", failures.len(), cases.len());
    }
    println!(
        "spec-check passed: {schema_case_count} schema instances and {example_count} examples decode and encode back"
    );
    if examples_dir.is_none() {
        println!("no --examples-dir given, so the example payloads were not checked");
    }
    Ok(())
}

/// One service's document: its name and its component schemas.
struct Document {
    service: &'static str,
    schemas: Map<String, Value>,
}

fn load_documents(spec_dir: &Path) -> anyhow::Result<Vec<Document>> {
    let mut documents = Vec::new();
    for service in SERVICES {
        let path = spec_dir.join(service.file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read the API document {}", path.display()))?;
        let document: Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", path.display()))?;
        let schemas = document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .with_context(|| format!("{} has no components.schemas object", path.display()))?;
        documents.push(Document {
            service: service.name,
            schemas,
        });
    }
    Ok(documents)
}

/// Which properties an instance built from a schema sets.
#[derive(Clone, Copy, PartialEq)]
enum Fill {
    Required,
    All,
    /// Every property; each nullable one is `null`.
    Nulls,
}

fn schema_cases(documents: &[Document]) -> anyhow::Result<Vec<Case>> {
    let mut cases = Vec::new();
    for document in documents {
        for name in document.schemas.keys() {
            let builder = InstanceBuilder { document };
            for (fill, label) in [
                (Fill::Required, "required properties"),
                (Fill::All, "all properties"),
                (Fill::Nulls, "nullable properties null"),
            ] {
                let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
                let input = builder
                    .build(&schema, fill, 0)
                    .with_context(|| format!("failed to build an instance of {name}"))?;
                let expected = strip_nulls(&input);
                cases.push(Case {
                    label: format!("{} schema {name}, {label}", document.service),
                    schema: name.clone(),
                    input,
                    expected,
                });
            }
        }
    }
    Ok(cases)
}

/// Deepest nesting an instance may reach; the documents have no cycles, so this only
/// guards against a future one.
const MAX_DEPTH: usize = 24;

/// Builds JSON instances of schemas in one document.
struct InstanceBuilder<'a> {
    document: &'a Document,
}

impl Document {
    fn resolve(&self, reference: &str) -> anyhow::Result<&Value> {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .with_context(|| format!("unsupported reference {reference}"))?;
        self.schemas
            .get(name)
            .with_context(|| format!("reference to missing schema {name}"))
    }
}

impl InstanceBuilder<'_> {
    fn build(&self, schema: &Value, fill: Fill, depth: usize) -> anyhow::Result<Value> {
        if depth > MAX_DEPTH {
            bail!("schema nests deeper than {MAX_DEPTH} levels");
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let mut value = self.build(self.document.resolve(reference)?, fill, depth + 1)?;
            // Only `SeededItem` is a seed: every other item carries `COMPLETE_ITEM`, and
            // the models tell the two apart by this field.
            if !reference.ends_with("/SeededItem")
                && value.get("record_type") == Some(&json!("SEED_ITEM"))
            {
                value["record_type"] = json!("COMPLETE_ITEM");
            }
            return Ok(value);
        }
        if let Some([single]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return self.build(single, fill, depth + 1);
        }
        if let Some(members) = schema.get("anyOf").and_then(Value::as_array) {
            let nullable = members.iter().any(is_null_schema);
            if fill == Fill::Nulls && nullable && depth > 0 {
                return Ok(Value::Null);
            }
            let first = members
                .iter()
                .find(|member| !is_null_schema(member))
                .context("`anyOf` has only null members")?;
            return self.build(first, fill, depth + 1);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return values.first().cloned().context("empty enum");
        }
        let value = match schema.get("type").and_then(Value::as_str) {
            None => json!({ "open": "value" }),
            Some("string") => match schema.get("format").and_then(Value::as_str) {
                Some("date") => json!("2024-02-29"),
                Some("date-time") => json!("2024-02-29T10:11:12Z"),
                Some("uri") => json!("https://example.org/resource"),
                Some("email") => json!("someone@example.org"),
                _ => json!("text"),
            },
            Some("integer") => json!(1_700_000_000),
            Some("number") => json!(2.5),
            Some("boolean") => json!(true),
            Some("null") => Value::Null,
            Some("array") => match schema.get("items") {
                None => json!(["any"]),
                Some(Value::Array(parts)) => Value::Array(
                    parts
                        .iter()
                        .map(|part| self.build(part, fill, depth + 1))
                        .collect::<anyhow::Result<_>>()?,
                ),
                Some(items) => Value::Array(vec![self.build(items, fill, depth + 1)?]),
            },
            Some("object") => self.build_object(schema, fill, depth)?,
            Some(other) => bail!("unsupported type {other}"),
        };
        Ok(value)
    }

    fn build_object(&self, schema: &Value, fill: Fill, depth: usize) -> anyhow::Result<Value> {
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Ok(match schema.get("additionalProperties") {
                Some(values @ Value::Object(_)) => {
                    json!({ "key": self.build(values, fill, depth + 1)? })
                }
                _ => json!({ "open": "value" }),
            });
        };
        let required: BTreeSet<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut object = Map::new();
        for (name, property) in properties {
            if fill == Fill::Required && !required.contains(name.as_str()) {
                continue;
            }
            object.insert(name.clone(), self.build(property, fill, depth + 1)?);
        }
        Ok(Value::Object(object))
    }
}

fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Removes object members whose value is `null`, as the models do when they encode.
fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(_, member)| !member.is_null())
                .map(|(key, member)| (key.clone(), strip_nulls(member)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Reads the examples README, whose list entries look like
/// ``- `dir/file.json` — what — body `Schema` [service.json] for ... — validated: OK.``
fn example_cases(examples_dir: &Path, documents: &[Document]) -> anyhow::Result<Vec<Case>> {
    let readme_path = examples_dir.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)
        .with_context(|| format!("failed to read {}", readme_path.display()))?;
    let mut cases = Vec::new();
    let mut listed = BTreeSet::new();
    for line in readme.lines().filter(|line| line.starts_with("- `")) {
        let file = between(line, "- `", "`")
            .with_context(|| format!("no file name in README line {line:?}"))?;
        let schema = between(line, "body `", "`")
            .with_context(|| format!("no body schema in README line {line:?}"))?;
        let service_file = between(line, "[", "]")
            .with_context(|| format!("no service document in README line {line:?}"))?;
        let document = documents
            .iter()
            .find(|document| {
                SERVICES
                    .iter()
                    .any(|service| service.name == document.service && service.file == service_file)
            })
            .with_context(|| format!("README names unknown document {service_file}"))?;

        let path = examples_dir.join(file);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read example {}", path.display()))?;
        let input: Value = serde_json::from_str(&text)
            .with_context(|| format!("example {} is not valid JSON", path.display()))?;
        let root = json!({ "$ref": format!("#/components/schemas/{schema}") });
        let expected = Pruner { document }.prune(&input, &root, 0)?;
        let invalid_on_purpose = line.contains("INVALID on purpose");
        if !invalid_on_purpose && expected != input {
            bail!(
                "example {file} is listed as valid but has properties that schema {schema} does not define; fix the README entry or the example"
            );
        }
        let invalid = if invalid_on_purpose {
            " (invalid on purpose)"
        } else {
            ""
        };
        listed.insert(PathBuf::from(file));
        cases.push(Case {
            label: format!("example {file}{invalid}"),
            schema: schema.to_owned(),
            input,
            expected,
        });
    }
    if cases.is_empty() {
        bail!("{} lists no examples", readme_path.display());
    }
    check_all_listed(examples_dir, &listed)?;
    Ok(cases)
}

/// Fails when a `.json` file in the examples folder is missing from the README.
fn check_all_listed(examples_dir: &Path, listed: &BTreeSet<PathBuf>) -> anyhow::Result<()> {
    let subdirs = std::fs::read_dir(examples_dir)
        .with_context(|| format!("failed to list {}", examples_dir.display()))?;
    for subdir in subdirs {
        let subdir = subdir?.path();
        if !subdir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&subdir)? {
            let path = file?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                let relative = path.strip_prefix(examples_dir).unwrap_or(&path);
                if !listed.contains(relative) {
                    bail!(
                        "example {} is not listed in the README, so its schema is unknown",
                        relative.display()
                    );
                }
            }
        }
    }
    Ok(())
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let length = text[from..].find(end)?;
    Some(&text[from..from + length])
}

/// Drops properties a schema does not define, recursively, and `null` members of optional
/// properties: what the models are expected to write back for a decoded document.
struct Pruner<'a> {
    document: &'a Document,
}

impl Pruner<'_> {
    fn prune(&self, value: &Value, schema: &Value, depth: usize) -> anyhow::Result<Value> {
        if depth > MAX_DEPTH {
            bail!("schema nests deeper than {MAX_DEPTH} levels");
        }
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            return self.prune(value, self.document.resolve(reference)?, depth + 1);
        }
        if let Some([single]) = schema
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            return self.prune(value, single, depth + 1);
        }
        if let Some(members) = schema.get("anyOf").and_then(Value::as_array) {
            let non_null: Vec<&Value> = members
                .iter()
                .filter(|member| !is_null_schema(member))
                .collect();
            return match non_null.as_slice() {
                [single] if !value.is_null() => self.prune(value, single, depth + 1),
                _ => Ok(value.clone()),
            };
        }
        match value {
            Value::Object(object) => {
                let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                    return Ok(value.clone());
                };
                let mut kept = Map::new();
                for (key, member) in object {
                    if member.is_null() {
                        continue;
                    }
                    if let Some(property) = properties.get(key) {
                        kept.insert(key.clone(), self.prune(member, property, depth + 1)?);
                    }
                }
                Ok(Value::Object(kept))
            }
            Value::Array(items) => match schema.get("items") {
                Some(item_schema @ Value::Object(_)) => Ok(Value::Array(
                    items
                        .iter()
                        .map(|item| self.prune(item, item_schema, depth + 1))
                        .collect::<anyhow::Result<_>>()?,
                )),
                _ => Ok(value.clone()),
            },
            other => Ok(other.clone()),
        }
    }
}

/// Decodes every case in the provena-models `spec_check` example and returns its results.
fn decode_all(cases: &[Case]) -> anyhow::Result<Vec<Value>> {
    let payload = Value::Array(
        cases
            .iter()
            .map(|case| json!({ "name": case.schema, "json": case.input }))
            .collect(),
    );
    let cases_path =
        std::env::temp_dir().join(format!("provena-spec-check-{}.json", std::process::id()));
    std::fs::write(&cases_path, payload.to_string())
        .with_context(|| format!("failed to write {}", cases_path.display()))?;

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(crate::workspace_root())
        .args([
            "run",
            "--quiet",
            "--package",
            "provena-models",
            "--features",
            "spec-check",
            "--example",
            "spec_check",
            "--",
        ])
        .arg(&cases_path)
        .output()
        .context("failed to run cargo for the provena-models spec_check example");
    let _ = std::fs::remove_file(&cases_path);
    let output = output?;
    if !output.status.success() {
        bail!(
            "the provena-models spec_check example failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let results: Vec<Value> = serde_json::from_slice(&output.stdout)
        .context("the spec_check example printed something other than a JSON array")?;
    if results.len() != cases.len() {
        bail!(
            "the spec_check example returned {} results for {} cases",
            results.len(),
            cases.len()
        );
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_finds_marked_text() {
        let line = "- `a/b.json` — x — body `Thing` [registry.json] for op";
        assert_eq!(between(line, "- `", "`"), Some("a/b.json"));
        assert_eq!(between(line, "body `", "`"), Some("Thing"));
        assert_eq!(between(line, "[", "]"), Some("registry.json"));
    }

    #[test]
    fn strip_nulls_removes_nested_nulls() {
        let value = json!({"a": null, "b": {"c": null, "d": 1}, "e": [{"f": null}]});
        assert_eq!(strip_nulls(&value), json!({"b": {"d": 1}, "e": [{}]}));
    }

    #[test]
    fn pruner_drops_unknown_properties() {
        let document = Document {
            service: "registry",
            schemas: json!({
                "Outer": {"type": "object", "properties": {
                    "inner": {"$ref": "#/components/schemas/Inner"},
                    "list": {"type": "array", "items": {"$ref": "#/components/schemas/Inner"}}
                }},
                "Inner": {"type": "object", "properties": {"kept": {"type": "string"}}}
            })
            .as_object()
            .cloned()
            .unwrap(),
        };
        let input = json!({
            "inner": {"kept": "x", "extra": 1},
            "list": [{"kept": "y", "extra": 2}],
            "unknown": true
        });
        let root = json!({"$ref": "#/components/schemas/Outer"});
        let pruned = Pruner {
            document: &document,
        }
        .prune(&input, &root, 0)
        .unwrap();
        assert_eq!(
            pruned,
            json!({"inner": {"kept": "x"}, "list": [{"kept": "y"}]})
        );
    }

    #[test]
    fn instance_builder_fills_required_only() {
        let document = Document {
            service: "registry",
            schemas: json!({
                "Thing": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "string"},
                    "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}
                }}
            })
            .as_object()
            .cloned()
            .unwrap(),
        };
        let builder = InstanceBuilder {
            document: &document,
        };
        let root = json!({"$ref": "#/components/schemas/Thing"});
        let required = builder.build(&root, Fill::Required, 0).unwrap();
        let all = builder.build(&root, Fill::All, 0).unwrap();
        let nulls = builder.build(&root, Fill::Nulls, 0).unwrap();
        assert_eq!(required, json!({"id": "text"}));
        assert_eq!(all, json!({"id": "text", "when": "2024-02-29"}));
        assert_eq!(nulls, json!({"id": "text", "when": null}));
    }
}
