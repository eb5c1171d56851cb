//! Reading the workspace's crates and bumping their versions in the manifests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use semver::Version;
use toml_edit::{DocumentMut, Item, Value};

/// A published crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Crate {
    /// The package name.
    pub(crate) name: String,
    /// The path of its `Cargo.toml`.
    pub(crate) manifest: PathBuf,
}

/// The workspace as the release sees it.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    /// The shared version.
    pub(crate) version: Version,
    /// Published crates in dependency order: each after every crate it depends on.
    pub(crate) published: Vec<Crate>,
}

impl Workspace {
    /// Reads the workspace through `cargo metadata`.
    pub(crate) fn read(root: &Path) -> anyhow::Result<Self> {
        let metadata = cargo_metadata::MetadataCommand::new()
            .manifest_path(root.join("Cargo.toml"))
            .no_deps()
            .exec()
            .context("`cargo metadata` failed")?;
        let published: Vec<&cargo_metadata::Package> = metadata
            .workspace_packages()
            .into_iter()
            .filter(|package| {
                package
                    .publish
                    .as_ref()
                    .is_none_or(|registries| !registries.is_empty())
            })
            .collect();
        if published.is_empty() {
            bail!("the workspace has no published crate");
        }
        let names: BTreeSet<String> = published
            .iter()
            .map(|package| package.name.to_string())
            .collect();
        let versions: BTreeSet<&Version> =
            published.iter().map(|package| &package.version).collect();
        if versions.len() > 1 {
            let listed: Vec<String> = published
                .iter()
                .map(|package| format!("{} {}", package.name, package.version))
                .collect();
            bail!(
                "published crates must share one version before a lockstep release: {}",
                listed.join(", ")
            );
        }
        let version = published[0].version.clone();
        let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for package in &published {
            let internal = package
                .dependencies
                .iter()
                .filter(|dependency| dependency.kind != cargo_metadata::DependencyKind::Development)
                .filter(|dependency| names.contains(dependency.name.as_str()))
                .map(|dependency| dependency.name.clone())
                .collect();
            dependencies.insert(package.name.to_string(), internal);
        }
        let order = dependency_order(&dependencies)?;
        let by_name: BTreeMap<String, PathBuf> = published
            .iter()
            .map(|package| {
                (
                    package.name.to_string(),
                    package.manifest_path.clone().into_std_path_buf(),
                )
            })
            .collect();
        let published = order
            .into_iter()
            .filter_map(|name| {
                by_name.get(&name).map(|manifest| Crate {
                    name,
                    manifest: manifest.clone(),
                })
            })
            .collect();
        Ok(Self { version, published })
    }
}

/// Orders crates so that each comes after its dependencies; ties keep name order.
fn dependency_order(
    dependencies: &BTreeMap<String, BTreeSet<String>>,
) -> anyhow::Result<Vec<String>> {
    let mut order = Vec::new();
    let mut placed = BTreeSet::new();
    while placed.len() < dependencies.len() {
        let ready: Vec<String> = dependencies
            .iter()
            .filter(|(name, _)| !placed.contains(*name))
            .filter(|(_, needs)| needs.iter().all(|need| placed.contains(need)))
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&String> = dependencies
                .keys()
                .filter(|name| !placed.contains(*name))
                .collect();
            bail!("the published crates depend on each other in a cycle: {stuck:?}");
        }
        for name in ready {
            placed.insert(name.clone());
            order.push(name);
        }
    }
    Ok(order)
}

/// Sets the shared version and every internal dependency's version requirement to `next` in
/// the root manifest and in each crate's manifest, keeping formatting and comments. Returns
/// the files it changed.
pub(crate) fn bump(root: &Path, crates: &[Crate], next: &Version) -> anyhow::Result<Vec<PathBuf>> {
    let names: BTreeSet<&str> = crates.iter().map(|krate| krate.name.as_str()).collect();
    let mut paths = vec![root.join("Cargo.toml")];
    paths.extend(crates.iter().map(|krate| krate.manifest.clone()));
    paths.dedup();
    let mut changed = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read {}", path.display()))?;
        let mut document: DocumentMut = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        let mut edits = 0;
        if let Some(package) = document
            .get_mut("package")
            .and_then(Item::as_table_like_mut)
            && let Some(version) = package.get_mut("version")
        {
            edits += set_version(version, next);
        }
        if let Some(workspace) = document
            .get_mut("workspace")
            .and_then(Item::as_table_like_mut)
        {
            if let Some(package) = workspace
                .get_mut("package")
                .and_then(Item::as_table_like_mut)
                && let Some(version) = package.get_mut("version")
            {
                edits += set_version(version, next);
            }
            if let Some(table) = workspace.get_mut("dependencies") {
                edits += bump_dependency_table(table, &names, next);
            }
        }
        for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
            if let Some(table) = document.get_mut(key) {
                edits += bump_dependency_table(table, &names, next);
            }
        }
        if let Some(targets) = document.get_mut("target").and_then(Item::as_table_like_mut) {
            for (_, target) in targets.iter_mut() {
                if let Some(target) = target.as_table_like_mut() {
                    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                        if let Some(table) = target.get_mut(key) {
                            edits += bump_dependency_table(table, &names, next);
                        }
                    }
                }
            }
        }
        if edits > 0 {
            std::fs::write(&path, document.to_string())
                .with_context(|| format!("failed to write {}", path.display()))?;
            changed.push(path);
        }
    }
    Ok(changed)
}

fn bump_dependency_table(table: &mut Item, names: &BTreeSet<&str>, next: &Version) -> usize {
    let Some(table) = table.as_table_like_mut() else {
        return 0;
    };
    let mut edits = 0;
    for (name, dependency) in table.iter_mut() {
        if !names.contains(name.get()) {
            continue;
        }
        if let Some(dependency) = dependency.as_table_like_mut()
            && let Some(version) = dependency.get_mut("version")
        {
            edits += set_version(version, next);
        }
    }
    edits
}

/// Replaces a version string in place, keeping the comments and spacing around it. Leaves
/// `version.workspace = true` and other non-string values alone.
fn set_version(item: &mut Item, next: &Version) -> usize {
    let Some(value) = item.as_value_mut() else {
        return 0;
    };
    let Value::String(current) = value else {
        return 0;
    };
    if current.value() == &next.to_string() {
        return 0;
    }
    let decor = current.decor().clone();
    let mut replacement = toml_edit::Formatted::new(next.to_string());
    *replacement.decor_mut() = decor;
    *value = Value::String(replacement);
    1
}
