//! Conventional commits since the last release, and the version bump they call for.

use std::path::Path;

use semver::Version;

use super::git;

/// Which part of the version to raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Bump {
    /// `X.Y.Z+1`.
    Patch,
    /// `X.Y+1.0`.
    Minor,
    /// `X+1.0.0`.
    Major,
}

impl Bump {
    /// Returns `version` raised by this bump, with pre-release and build metadata cleared.
    pub(crate) fn apply(self, version: &Version) -> Version {
        match self {
            Bump::Patch => Version::new(version.major, version.minor, version.patch + 1),
            Bump::Minor => Version::new(version.major, version.minor + 1, 0),
            Bump::Major => Version::new(version.major + 1, 0, 0),
        }
    }
}

/// The changelog group of a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ChangeKind {
    /// A commit marked `!` or with a `BREAKING CHANGE` footer.
    Breaking,
    /// `feat`.
    Feature,
    /// `fix`.
    Fix,
    /// `perf`.
    Performance,
}

/// One commit that goes into the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// The abbreviated commit id.
    pub(crate) short_id: String,
    /// The group.
    pub(crate) kind: ChangeKind,
    /// The scope in parentheses, if any.
    pub(crate) scope: Option<String>,
    /// The subject after the type and scope.
    pub(crate) description: String,
}

/// Reads the commits after `tag` (all commits when `None`) and keeps the conventional
/// commits that a changelog lists. Other commits are skipped.
pub(crate) fn since(root: &Path, tag: Option<&str>) -> anyhow::Result<Vec<Change>> {
    let commits = git::commits_since(root, tag)?;
    Ok(commits
        .iter()
        .filter_map(|(short_id, message)| classify(short_id, message))
        .collect())
}

/// Parses one commit message; returns `None` for messages that are not conventional or whose
/// type the changelog leaves out (`docs`, `chore`, ...), unless they are breaking.
pub(crate) fn classify(short_id: &str, message: &str) -> Option<Change> {
    let commit = git_conventional::Commit::parse(message.trim()).ok()?;
    let kind = if commit.breaking() {
        ChangeKind::Breaking
    } else if commit.type_() == git_conventional::Type::FEAT {
        ChangeKind::Feature
    } else if commit.type_() == git_conventional::Type::FIX {
        ChangeKind::Fix
    } else if commit.type_() == git_conventional::Type::PERF {
        ChangeKind::Performance
    } else {
        return None;
    };
    Some(Change {
        short_id: short_id.to_owned(),
        kind,
        scope: commit.scope().map(|scope| scope.as_str().to_owned()),
        description: commit.description().to_owned(),
    })
}

/// Returns the bump the changes call for: breaking changes raise the major version (the
/// minor one before 1.0), features the minor, fixes and performance work the patch.
pub(crate) fn inferred_bump(changes: &[Change], current: &Version) -> Option<Bump> {
    let strongest = changes.iter().map(|change| change.kind).min()?;
    Some(match strongest {
        ChangeKind::Breaking if current.major == 0 => Bump::Minor,
        ChangeKind::Breaking => Bump::Major,
        ChangeKind::Feature => Bump::Minor,
        ChangeKind::Fix | ChangeKind::Performance => Bump::Patch,
    })
}
