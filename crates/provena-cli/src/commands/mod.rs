//! One module per command group.

pub mod account;
pub mod datastore;
pub mod jobs;
pub mod prov;
pub mod registry;
pub mod search;

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::exit::Failure;

/// Reads a JSON file into `T`, naming the file and the failing field on error. `what` names
/// the body for the hint, such as "an organisation's domain info".
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        Failure::usage(format!("cannot read {}: {err}", path.display()))
            .hint("give the path of an existing JSON file you may read")
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let inner = err.inner();
        if inner.is_syntax() || inner.is_eof() {
            Failure::usage(format!("{} is not valid JSON: {inner}", path.display()))
                .hint("fix the JSON syntax at the line and column above")
        } else {
            Failure::usage(format!(
                "{} does not match {what} at `{}`: {inner}",
                path.display(),
                err.path()
            ))
            .hint("fix the field named above; the file must hold the request body itself, not a whole item")
        }
    })
}
