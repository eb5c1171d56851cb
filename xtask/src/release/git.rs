//! The git commands the release runs.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

fn git(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .with_context(|| format!("failed to start `git {}`", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Lists the files with uncommitted changes, untracked files included.
pub(crate) fn dirty_files(root: &Path) -> anyhow::Result<Vec<String>> {
    let status = git(root, &["status", "--porcelain", "--untracked-files=normal"])?;
    Ok(status
        .lines()
        .filter_map(|line| line.get(3..))
        .map(str::to_owned)
        .collect())
}

/// Returns the highest `vX.Y.Z` tag reachable from HEAD, if any.
pub(crate) fn last_release_tag(root: &Path) -> anyhow::Result<Option<String>> {
    let tags = git(root, &["tag", "--merged", "HEAD", "--list", "v*"])?;
    Ok(tags
        .lines()
        .filter_map(|tag| {
            semver::Version::parse(tag.trim_start_matches('v'))
                .ok()
                .map(|version| (version, tag.to_owned()))
        })
        .max()
        .map(|(_, tag)| tag))
}

/// Reports whether `tag` exists.
pub(crate) fn tag_exists(root: &Path, tag: &str) -> anyhow::Result<bool> {
    let found = git(root, &["tag", "--list", tag])?;
    Ok(found.lines().any(|line| line == tag))
}

/// Returns `(short id, full message)` for each commit after `tag`, oldest first.
pub(crate) fn commits_since(
    root: &Path,
    tag: Option<&str>,
) -> anyhow::Result<Vec<(String, String)>> {
    let range = tag.map(|tag| format!("{tag}..HEAD"));
    let mut args = vec!["log", "--reverse", "--format=%h%x1f%B%x1e"];
    if let Some(range) = &range {
        args.push(range);
    }
    let log = git(root, &args)?;
    Ok(log
        .split('\x1e')
        .filter_map(|record| {
            let record = record.trim_start_matches('\n');
            let (id, message) = record.split_once('\x1f')?;
            Some((id.to_owned(), message.trim().to_owned()))
        })
        .collect())
}

/// Stages every change and commits it with `message`.
pub(crate) fn commit_all(root: &Path, message: &str) -> anyhow::Result<()> {
    git(root, &["add", "--all"])?;
    git(root, &["commit", "--quiet", "-m", message])?;
    Ok(())
}

/// Creates an annotated tag at HEAD.
pub(crate) fn tag(root: &Path, tag: &str, message: &str) -> anyhow::Result<()> {
    git(root, &["tag", "--annotate", tag, "-m", message])?;
    Ok(())
}

/// Puts every tracked file back as HEAD has it and removes the files the release created
/// (the changelog, when it is new). Only called on a tree that was clean before the release.
pub(crate) fn restore_all(root: &Path) -> anyhow::Result<()> {
    git(root, &["checkout", "--", "."])?;
    git(root, &["clean", "--force", "--quiet", "--", "CHANGELOG.md"])?;
    Ok(())
}
