//! Decodes JSON documents into the types their schemas name, for `cargo xtask spec-check`.
//!
//! Reads a JSON array of `{"name": SCHEMA, "json": VALUE}` cases from the file given as the
//! only argument, and prints a JSON array with one result per case:
//! `{"known": bool, "encoded": VALUE or null, "error": TEXT or null}`. `encoded` is the
//! value written back after decoding, so the caller can compare it with the input.

use std::process::ExitCode;

use provena_models::spec_check::deserialize_by_name;
use serde_json::{Value, json};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: spec_check CASES.json");
        return ExitCode::FAILURE;
    };
    let cases: Vec<Value> = match std::fs::read_to_string(&path)
        .map_err(|error| error.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|error| error.to_string()))
    {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("failed to read the cases file {path}: {error}");
            return ExitCode::FAILURE;
        }
    };

    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        let name = case.get("name").and_then(Value::as_str).unwrap_or_default();
        let input = case.get("json").cloned().unwrap_or(Value::Null).to_string();
        let result = match deserialize_by_name(name, &input) {
            None => json!({"known": false, "encoded": null, "error": null}),
            Some(Ok(encoded)) => {
                let encoded: Value = serde_json::from_str(&encoded).unwrap_or(Value::Null);
                json!({"known": true, "encoded": encoded, "error": null})
            }
            Some(Err(error)) => json!({"known": true, "encoded": null, "error": error}),
        };
        results.push(result);
    }
    println!("{}", Value::Array(results));
    ExitCode::SUCCESS
}
