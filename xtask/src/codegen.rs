//! Generates the provena-models types from the OpenAPI documents.
//!
//! The generator reads every component schema of the seven service documents, merges
//! schemas that several services define, and writes one module per domain to
//! `crates/provena-models/src/generated/`. Only that folder is generated: the hand-written
//! files of the crate (`lib.rs`, `kinds.rs`, ...) are never read or written here.

mod emit;
pub(crate) mod model;
mod sensitive;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// File name of the response patches list, looked for beside the spec folder.
const PATCHES_FILE: &str = "provena-openapi-patches.json";

/// Folder of the generated models, relative to the workspace root.
const GENERATED_DIR: &str = "crates/provena-models/src/generated";

/// Writes the generated models or, with `check`, fails when the checked-in files differ
/// from what the documents in `spec_dir` produce, using the default patches file.
pub(crate) fn run(spec_dir: &Path, check: bool) -> anyhow::Result<()> {
    run_with_patches(spec_dir, check, None)
}

/// Writes the generated models or, with `check`, fails when the checked-in files differ
/// from what the documents in `spec_dir` produce.
///
/// `patches` is the list of response patches (responses typed by reading the server
/// code); when it is `None`, `provena-openapi-patches.json` beside `spec_dir` is used if
/// present. Every component a patch adds must be defined in its service's document.
pub(crate) fn run_with_patches(
    spec_dir: &Path,
    check: bool,
    patches: Option<&Path>,
) -> anyhow::Result<()> {
    let schemas = model::load(spec_dir)?;
    let default_patches = spec_dir
        .parent()
        .map(|parent| parent.join(PATCHES_FILE))
        .filter(|path| path.is_file());
    match patches.map(Path::to_path_buf).or(default_patches) {
        Some(path) => {
            let count = check_patches(&path, &schemas)?;
            println!(
                "{count} response patches in {} match the documents",
                path.display()
            );
        }
        None => println!("no patches file given or found beside the spec folder; skipped"),
    }
    let files = emit::files(&schemas)?;
    let out_dir = crate::workspace_root().join(GENERATED_DIR);

    if check {
        return check_files(&out_dir, &files);
    }

    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("failed to create {}", out_dir.display()))?;
    for stale in stale_files(&out_dir, &files)? {
        std::fs::remove_file(&stale)
            .with_context(|| format!("failed to remove stale file {}", stale.display()))?;
    }
    for (name, contents) in &files {
        let path = out_dir.join(name);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|old| old == *contents);
        if !unchanged {
            std::fs::write(&path, contents)
                .with_context(|| format!("failed to write {}", path.display()))?;
        }
    }
    println!(
        "generated {} types in {} files under {}",
        schemas.len(),
        files.len(),
        out_dir.display()
    );
    Ok(())
}

fn check_files(out_dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    for (name, contents) in files {
        let path = out_dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(old) if old == *contents => {}
            Ok(_) => bail!(
                "{} differs from what the API documents produce; run `cargo xtask codegen --spec-dir DIR` and commit the result",
                path.display()
            ),
            Err(error) => bail!(
                "{} is missing or unreadable ({error}); run `cargo xtask codegen --spec-dir DIR`",
                path.display()
            ),
        }
    }
    if let Some(stale) = stale_files(out_dir, files)?.first() {
        bail!(
            "{} is not produced by the generator any more; run `cargo xtask codegen --spec-dir DIR` to remove it",
            stale.display()
        );
    }
    println!("generated models are up to date ({} files)", files.len());
    Ok(())
}

/// Lists `.rs` files in `out_dir` that the generator no longer produces.
fn stale_files(out_dir: &Path, files: &[(String, String)]) -> anyhow::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    let entries = match std::fs::read_dir(out_dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(stale),
        Err(error) => {
            return Err(error).with_context(|| format!("failed to list {}", out_dir.display()));
        }
    };
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if name.ends_with(".rs") && !files.iter().any(|(generated, _)| generated == name) {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}

/// Checks that each component a response patch adds is a schema its service defines, and
/// returns the number of patches.
fn check_patches(
    path: &Path,
    schemas: &std::collections::BTreeMap<String, model::Schema>,
) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read the patches file {}", path.display()))?;
    let patches: Vec<serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON list", path.display()))?;
    for patch in &patches {
        let service = patch
            .get("service")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(no service)");
        let operation = patch
            .get("operationId")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(no operationId)");
        let added = patch
            .get("added_components")
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for name in added {
            let name = name.as_str().with_context(|| {
                format!("patch {service} {operation} lists a component that is not a string")
            })?;
            let defined = schemas
                .get(name)
                .is_some_and(|schema| schema.services.contains(&service));
            if !defined {
                bail!(
                    "patch {service} {operation} adds component {name}, but the {service} document does not define it; update the documents in the spec folder"
                );
            }
        }
    }
    Ok(patches.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> Vec<(String, String)> {
        vec![
            ("mod.rs".to_owned(), "pub mod a;\n".to_owned()),
            ("a.rs".to_owned(), "pub struct A;\n".to_owned()),
        ]
    }

    fn write_all(dir: &Path, files: &[(String, String)]) {
        for (name, contents) in files {
            std::fs::write(dir.join(name), contents).unwrap();
        }
    }

    #[test]
    fn check_passes_when_identical() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &generated());
        check_files(dir.path(), &generated()).unwrap();
    }

    #[test]
    fn check_names_differing_file() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &generated());
        std::fs::write(dir.path().join("a.rs"), "pub struct B;\n").unwrap();
        let error = check_files(dir.path(), &generated())
            .unwrap_err()
            .to_string();
        assert!(error.contains("a.rs differs"), "{error}");
    }

    #[test]
    fn check_names_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &generated()[..1]);
        let error = check_files(dir.path(), &generated())
            .unwrap_err()
            .to_string();
        assert!(error.contains("a.rs is missing"), "{error}");
    }

    #[test]
    fn check_names_stale_file() {
        let dir = tempfile::tempdir().unwrap();
        write_all(dir.path(), &generated());
        std::fs::write(dir.path().join("old.rs"), "").unwrap();
        let error = check_files(dir.path(), &generated())
            .unwrap_err()
            .to_string();
        assert!(error.contains("old.rs is not produced"), "{error}");
    }
}
