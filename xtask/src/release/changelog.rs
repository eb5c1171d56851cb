//! The changelog section of a release.

use std::fmt::Write;

use semver::Version;

use super::commits::{Change, ChangeKind};

const HEADER: &str = "# Changelog\n";

/// Formats the section for `version`: breaking changes, features, fixes and performance,
/// each entry with its short commit id.
pub(crate) fn section(version: &Version, date: &str, changes: &[Change]) -> String {
    let mut text = format!("## v{version} - {date}\n");
    let groups = [
        (ChangeKind::Breaking, "Breaking changes"),
        (ChangeKind::Feature, "Features"),
        (ChangeKind::Fix, "Fixes"),
        (ChangeKind::Performance, "Performance"),
    ];
    for (kind, title) in groups {
        let entries: Vec<&Change> = changes
            .iter()
            .filter(|change| change.kind == kind)
            .collect();
        if entries.is_empty() {
            continue;
        }
        let _ = write!(text, "\n### {title}\n\n");
        for change in entries {
            match &change.scope {
                Some(scope) => {
                    let _ = writeln!(
                        text,
                        "- **{scope}:** {} ({})",
                        change.description, change.short_id
                    );
                }
                None => {
                    let _ = writeln!(text, "- {} ({})", change.description, change.short_id);
                }
            }
        }
    }
    if changes.is_empty() {
        text.push_str("\nNo user-facing changes.\n");
    }
    text
}

/// Inserts `section` above the newest section of `existing`, keeping everything else as it
/// is. An empty changelog gets a `# Changelog` header first.
pub(crate) fn insert(existing: &str, section: &str) -> String {
    if existing.trim().is_empty() {
        return format!("{HEADER}\n{section}");
    }
    match existing.find("\n## ") {
        Some(at) => {
            let (head, rest) = existing.split_at(at + 1);
            format!("{head}{section}\n{rest}")
        }
        None => {
            let mut text = existing.trim_end().to_owned();
            text.push_str("\n\n");
            text.push_str(section);
            text
        }
    }
}
