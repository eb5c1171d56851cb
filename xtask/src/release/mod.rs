//! `cargo xtask release`: lockstep versions, changelog, packaging, commit, tag, publish.
//!
//! The plan is computed first and printed; `--execute` carries it out. Every published crate
//! of the workspace shares one version. The next version comes from the conventional commits
//! since the last `vX.Y.Z` tag unless given explicitly. A failure before the release commit
//! restores every file the release changed.

mod changelog;
mod commits;
mod git;
mod manifest;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use semver::Version;

pub(crate) use commits::Bump;

/// What to release, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// Infer the bump from the commits since the last release.
    Infer,
    /// Bump one part of the version.
    Bump(Bump),
    /// Release exactly this version.
    Exact(Version),
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "patch" => Ok(Target::Bump(Bump::Patch)),
            "minor" => Ok(Target::Bump(Bump::Minor)),
            "major" => Ok(Target::Bump(Bump::Major)),
            other => Version::parse(other.trim_start_matches('v'))
                .map(Target::Exact)
                .map_err(|err| {
                    format!("invalid version `{other}`: use patch, minor, major or X.Y.Z ({err})")
                }),
        }
    }
}

/// Options for one run.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The workspace root.
    pub(crate) root: PathBuf,
    /// What to release.
    pub(crate) target: Target,
    /// Carry out the plan; without it nothing changes.
    pub(crate) execute: bool,
    /// Publish to the registry after tagging (needs `execute`).
    pub(crate) publish: bool,
    /// Verify packages by building them (`cargo package` without `--no-verify`).
    pub(crate) verify: bool,
    /// Release date for the changelog, `YYYY-MM-DD`.
    pub(crate) date: String,
}

/// The computed release.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The current shared version.
    pub(crate) current: Version,
    /// The version to release.
    pub(crate) next: Version,
    /// The last release tag, if any.
    pub(crate) previous_tag: Option<String>,
    /// Published crates in dependency order.
    pub(crate) crates: Vec<manifest::Crate>,
    /// The commits since the last tag that the changelog lists.
    pub(crate) changes: Vec<commits::Change>,
    /// The new changelog section.
    pub(crate) changelog_section: String,
}

impl Plan {
    /// Returns the tag for the new version.
    pub(crate) fn tag(&self) -> String {
        format!("v{}", self.next)
    }
}

/// Computes the plan, prints it, and carries it out when `options.execute` is set.
pub(crate) fn run(options: &Options) -> anyhow::Result<Plan> {
    if options.publish && !options.execute {
        bail!("--publish needs --execute: a dry run never publishes");
    }
    let plan = plan(options)?;
    print_plan(&plan, options);
    if !options.execute {
        log("dry run: nothing was changed; run again with --execute to release");
        return Ok(plan);
    }
    execute(&plan, options)?;
    if options.publish {
        publish(&plan, &options.root)?;
    }
    Ok(plan)
}

fn log(message: &str) {
    eprintln!("release: {message}");
}

/// Computes what the release would do without changing anything.
pub(crate) fn plan(options: &Options) -> anyhow::Result<Plan> {
    let root = &options.root;
    log("checking that the working tree is clean");
    let dirty = git::dirty_files(root)?;
    if !dirty.is_empty() {
        bail!(
            "the working tree has uncommitted changes ({}); commit or stash them before releasing",
            dirty.join(", ")
        );
    }
    log("reading the workspace");
    let workspace = manifest::Workspace::read(root)?;
    let current = workspace.version.clone();
    let previous_tag = git::last_release_tag(root)?;
    log(&format!(
        "collecting commits since {}",
        previous_tag.as_deref().unwrap_or("the first commit")
    ));
    let changes = commits::since(root, previous_tag.as_deref())?;
    let next = match &options.target {
        Target::Exact(version) => version.clone(),
        Target::Bump(bump) => bump.apply(&current),
        Target::Infer => {
            let bump = commits::inferred_bump(&changes, &current).with_context(|| {
                format!(
                    "no feat, fix, perf or breaking commit since {}; pass patch, minor, major or X.Y.Z to release anyway",
                    previous_tag.as_deref().unwrap_or("the first commit")
                )
            })?;
            bump.apply(&current)
        }
    };
    if next <= current && previous_tag.is_some() {
        bail!("the next version {next} is not above the current version {current}");
    }
    let tag = format!("v{next}");
    if git::tag_exists(root, &tag)? {
        bail!("tag {tag} already exists; choose another version");
    }
    let changelog_section = changelog::section(&next, &options.date, &changes);
    Ok(Plan {
        current,
        next,
        previous_tag,
        crates: workspace.published,
        changes,
        changelog_section,
    })
}

fn print_plan(plan: &Plan, options: &Options) {
    log(&format!(
        "plan: {} -> {} ({} commits listed since {})",
        plan.current,
        plan.next,
        plan.changes.len(),
        plan.previous_tag.as_deref().unwrap_or("the first commit")
    ));
    let names: Vec<&str> = plan
        .crates
        .iter()
        .map(|krate| krate.name.as_str())
        .collect();
    log(&format!("crates in dependency order: {}", names.join(", ")));
    log(
        "steps: bump versions, update Cargo.lock, write CHANGELOG.md, package each crate, commit, tag",
    );
    if options.publish {
        log("then publish each crate in dependency order");
    }
    eprintln!("{}", plan.changelog_section);
}

/// Carries out the plan: on failure before the commit, restores the files it changed.
fn execute(plan: &Plan, options: &Options) -> anyhow::Result<()> {
    let root = &options.root;
    let changed = match prepare_files(plan, options) {
        Ok(changed) => changed,
        Err(error) => {
            restore(root);
            return Err(error);
        }
    };
    if let Err(error) = package(plan, root, options.verify) {
        restore(root);
        return Err(error.context("packaging failed; every file was restored"));
    }
    let tag = plan.tag();
    log(&format!("committing {} files", changed.len()));
    if let Err(error) = git::commit_all(root, &format!("chore(release): {tag}")) {
        restore(root);
        return Err(error.context("the release commit failed; every file was restored"));
    }
    log(&format!("tagging {tag}"));
    git::tag(root, &tag, &format!("Release {tag}")).with_context(|| {
        format!(
            "tagging failed after the release commit; create tag {tag} by hand or reset the commit"
        )
    })?;
    log(&format!("released {tag}"));
    Ok(())
}

fn restore(root: &Path) {
    log("restoring the files changed so far");
    if let Err(error) = git::restore_all(root) {
        log(&format!(
            "restoring failed: {error:#}; run `git checkout -- .` by hand"
        ));
    }
}

fn prepare_files(plan: &Plan, options: &Options) -> anyhow::Result<Vec<PathBuf>> {
    let root = &options.root;
    log(&format!("bumping every published crate to {}", plan.next));
    let mut changed = manifest::bump(root, &plan.crates, &plan.next)?;
    log("updating Cargo.lock");
    let mut update = crate::process::cargo();
    update
        .current_dir(root)
        .args(["update", "--workspace", "--offline", "--quiet"]);
    crate::process::run(&mut update).context("updating Cargo.lock failed")?;
    changed.push(root.join("Cargo.lock"));
    log("writing CHANGELOG.md");
    let path = root.join("CHANGELOG.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    let updated = changelog::insert(&existing, &plan.changelog_section);
    std::fs::write(&path, updated)
        .with_context(|| format!("failed to write {}", path.display()))?;
    changed.push(path);
    Ok(changed)
}

fn package(plan: &Plan, root: &Path, verify: bool) -> anyhow::Result<()> {
    let mut command = crate::process::cargo();
    command
        .current_dir(root)
        .args(["package", "--allow-dirty", "--quiet"]);
    if !verify {
        command.arg("--no-verify");
    }
    for krate in &plan.crates {
        log(&format!("packaging {}", krate.name));
        command.args(["-p", &krate.name]);
    }
    crate::process::run(&mut command)
}

fn publish(plan: &Plan, root: &Path) -> anyhow::Result<()> {
    for krate in &plan.crates {
        log(&format!("publishing {}", krate.name));
        let mut command = crate::process::cargo();
        command
            .current_dir(root)
            .args(["publish", "--no-verify", "-p", &krate.name]);
        crate::process::run(&mut command).with_context(|| {
            format!(
                "publishing {} failed; the crates before it are published, fix the cause and publish the rest in order",
                krate.name
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
