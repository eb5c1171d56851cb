//! Fails when an operation of an API document has no client method.
//!
//! Each service crate lists its operation constants in `operations::ALL`. This binary reads
//! the seven OpenAPI documents from `--spec-dir`, and compares their operations (hidden ones
//! included) with those lists by operation id, method and path. It prints every operation
//! that is missing, listed twice, or listed with another method or path, and exits non-zero.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use provena_http::Operation;

/// The document of each service and the operations its crate declares.
fn services() -> Vec<(&'static str, &'static [&'static Operation])> {
    vec![
        ("registry.json", provena_registry::operations::ALL),
        ("datastore.json", provena_datastore::operations::ALL),
        ("prov.json", provena_prov::operations::ALL),
        ("search.json", provena_search::operations::ALL),
        ("jobs.json", provena_jobs::operations::ALL),
        ("id-service.json", provena_id_service::operations::ALL),
        ("auth.json", provena_auth::operations::ALL),
    ]
}

fn main() -> ExitCode {
    let mut arguments = std::env::args().skip(1);
    let spec_dir = match (arguments.next().as_deref(), arguments.next()) {
        (Some("--spec-dir"), Some(dir)) => PathBuf::from(dir),
        _ => {
            eprintln!(
                "usage: spec-coverage --spec-dir DIR (the folder of the seven OpenAPI documents)"
            );
            return ExitCode::from(2);
        }
    };
    let mut problems = Vec::new();
    let mut total = 0;
    for (file, declared) in services() {
        let path = spec_dir.join(file);
        let document = match std::fs::read_to_string(&path)
            .map_err(|err| err.to_string())
            .and_then(|text| {
                serde_json::from_str::<serde_json::Value>(&text).map_err(|err| err.to_string())
            }) {
            Ok(document) => document,
            Err(error) => {
                eprintln!("failed to read {}: {error}", path.display());
                return ExitCode::from(2);
            }
        };
        let documented = documented_operations(&document);
        total += documented.len();
        problems.extend(compare(file, &documented, declared));
    }
    if problems.is_empty() {
        println!("spec coverage: all {total} documented operations have a client method");
        ExitCode::SUCCESS
    } else {
        for problem in &problems {
            eprintln!("{problem}");
        }
        eprintln!("spec coverage: {} problems", problems.len());
        ExitCode::FAILURE
    }
}

/// Returns `operationId -> (METHOD, path)` for every operation of a document.
fn documented_operations(document: &serde_json::Value) -> BTreeMap<String, (String, String)> {
    let mut operations = BTreeMap::new();
    let Some(paths) = document.get("paths").and_then(|paths| paths.as_object()) else {
        return operations;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            if !matches!(method.as_str(), "get" | "put" | "post" | "delete" | "patch") {
                continue;
            }
            if let Some(id) = operation.get("operationId").and_then(|id| id.as_str()) {
                operations.insert(id.to_owned(), (method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Lists the differences between a document's operations and a crate's declared ones.
///
/// Operation ids repeat across documents (every service has `root`), so the comparison is
/// per document.
fn compare(
    file: &str,
    documented: &BTreeMap<String, (String, String)>,
    declared: &[&Operation],
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for operation in declared {
        if !seen.insert(operation.id) {
            problems.push(format!("{file}: `{}` is listed twice in ALL", operation.id));
        }
        match documented.get(operation.id) {
            None => problems.push(format!(
                "{file}: `{}` ({} {}) is not in the document",
                operation.id, operation.method, operation.path
            )),
            Some((method, path)) => {
                if method != operation.method.as_str() || path != operation.path {
                    problems.push(format!(
                        "{file}: `{}` is {method} {path} in the document but {} {} in the crate",
                        operation.id, operation.method, operation.path
                    ));
                }
            }
        }
    }
    for (id, (method, path)) in documented {
        if !seen.contains(id.as_str()) {
            problems.push(format!(
                "{file}: `{id}` ({method} {path}) has no client method"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use provena_http::Service;

    const FETCH: Operation = Operation::get(Service::Registry, "fetch_x", "/x/fetch");
    const WRONG_PATH: Operation = Operation::get(Service::Registry, "list_x", "/x/lists");

    #[test]
    fn compare_reports_each_kind_of_gap() {
        let document = serde_json::json!({
            "paths": {
                "/x/fetch": {"get": {"operationId": "fetch_x"}},
                "/x/list": {"get": {"operationId": "list_x"}},
                "/x/delete": {"delete": {"operationId": "delete_x"}}
            }
        });
        let documented = documented_operations(&document);
        let problems = compare("x.json", &documented, &[&FETCH, &WRONG_PATH, &FETCH]);
        assert_eq!(
            problems,
            vec![
                "x.json: `list_x` is GET /x/list in the document but GET /x/lists in the crate"
                    .to_owned(),
                "x.json: `fetch_x` is listed twice in ALL".to_owned(),
                "x.json: `delete_x` (DELETE /x/delete) has no client method".to_owned(),
            ]
        );
    }

    #[test]
    fn compare_accepts_exact_coverage() {
        let document =
            serde_json::json!({"paths": {"/x/fetch": {"get": {"operationId": "fetch_x"}}}});
        let documented = documented_operations(&document);
        assert!(compare("x.json", &documented, &[&FETCH]).is_empty());
    }
}
