//! Release tests against a throwaway git repository holding a small fake workspace.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use semver::Version;

use super::commits::ChangeKind;
use super::*;

const ROOT_MANIFEST: &str = r#"[workspace]
resolver = "3"
members = ["crates/*"]

[workspace.package]
# The shared version of every published crate.
version = "0.1.0"
edition = "2024"
license = "MIT"

[workspace.dependencies]
alpha = { path = "crates/alpha", version = "0.1.0" } # keep this comment
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn git(root: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn commit(root: &Path, file: &str, message: &str) {
    write(&root.join(file), message);
    git(root, &["add", "--all"]);
    git(root, &["commit", "--quiet", "-m", message]);
}

/// Builds a workspace with `alpha`, `beta` (depends on alpha) and an unpublished `gamma`,
/// released once as v0.1.0.
fn fake_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("Cargo.toml"), ROOT_MANIFEST);
    for name in ["alpha", "beta", "gamma"] {
        let mut manifest = format!(
            "[package]\nname = \"{name}\"\ndescription = \"{name} crate\"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\n"
        );
        if name == "gamma" {
            manifest.push_str("publish = false\n");
        }
        manifest.push_str("\n[dependencies]\n");
        if name != "alpha" {
            manifest.push_str("alpha.workspace = true\n");
        }
        write(&root.join(format!("crates/{name}/Cargo.toml")), &manifest);
        write(
            &root.join(format!("crates/{name}/src/lib.rs")),
            "//! A test crate.\n",
        );
    }
    write(
        &root.join("CHANGELOG.md"),
        "# Changelog\n\n## v0.1.0 - 2026-01-01\n\n- First release.\n",
    );
    git(root, &["init", "--quiet", "--initial-branch=main"]);
    git(root, &["config", "user.email", "release-test@example.org"]);
    git(root, &["config", "user.name", "Release Test"]);
    git(root, &["config", "commit.gpgsign", "false"]);
    git(root, &["config", "tag.gpgsign", "false"]);
    let status = crate::process::cargo()
        .current_dir(root)
        .args(["generate-lockfile", "--offline", "--quiet"])
        .status()
        .unwrap();
    assert!(status.success());
    git(root, &["add", "--all"]);
    git(root, &["commit", "--quiet", "-m", "feat: first release"]);
    git(root, &["tag", "v0.1.0"]);
    dir
}

fn options(root: &Path, target: Target, execute: bool) -> Options {
    Options {
        root: root.to_path_buf(),
        target,
        execute,
        publish: false,
        verify: false,
        date: "2026-12-04".into(),
    }
}

fn file_hashes(root: &Path) -> BTreeMap<String, String> {
    let listing = git(
        root,
        &["ls-files", "--cached", "--others", "--exclude-standard"],
    );
    listing
        .lines()
        .map(|file| {
            let bytes = std::fs::read(root.join(file)).unwrap();
            (
                file.to_owned(),
                format!("{:x}", sha2::Sha256::digest(&bytes)),
            )
        })
        .collect()
}

use sha2::Digest;

#[test]
fn classify_reads_conventional_types() {
    let feature = commits::classify("abc1234", "feat(registry): add lock helpers").unwrap();
    assert_eq!(feature.kind, ChangeKind::Feature);
    assert_eq!(feature.scope.as_deref(), Some("registry"));
    assert_eq!(feature.description, "add lock helpers");
    let breaking = commits::classify("abc1235", "fix!: rename Error::Status").unwrap();
    assert_eq!(breaking.kind, ChangeKind::Breaking);
    let footer = commits::classify(
        "abc1236",
        "refactor: split client\n\nBREAKING CHANGE: HttpClient::new takes a Config",
    )
    .unwrap();
    assert_eq!(footer.kind, ChangeKind::Breaking);
    assert!(commits::classify("abc1237", "docs: fix typo").is_none());
    assert!(commits::classify("abc1238", "Update README").is_none());
}

#[test]
fn bump_inference_follows_semver_rules() {
    let change = |kind| commits::Change {
        short_id: "1".into(),
        kind,
        scope: None,
        description: "x".into(),
    };
    let early = Version::new(0, 3, 1);
    let stable = Version::new(1, 2, 3);
    let fix = [change(ChangeKind::Fix)];
    let perf = [change(ChangeKind::Performance)];
    let feature = [change(ChangeKind::Fix), change(ChangeKind::Feature)];
    let breaking = [change(ChangeKind::Feature), change(ChangeKind::Breaking)];
    assert_eq!(commits::inferred_bump(&fix, &stable), Some(Bump::Patch));
    assert_eq!(commits::inferred_bump(&perf, &stable), Some(Bump::Patch));
    assert_eq!(commits::inferred_bump(&feature, &stable), Some(Bump::Minor));
    assert_eq!(
        commits::inferred_bump(&breaking, &stable),
        Some(Bump::Major)
    );
    assert_eq!(commits::inferred_bump(&breaking, &early), Some(Bump::Minor));
    assert_eq!(commits::inferred_bump(&[], &stable), None);
    assert_eq!(Bump::Minor.apply(&stable), Version::new(1, 3, 0));
    assert_eq!(Bump::Major.apply(&stable), Version::new(2, 0, 0));
}

#[test]
fn changelog_keeps_earlier_sections() {
    let existing = "# Changelog\n\nIntro text.\n\n## v0.1.0 - 2026-01-01\n\n- First release.\n";
    let section = "## v0.2.0 - 2026-02-01\n\n### Features\n\n- new thing (abc1234)\n";
    let updated = changelog::insert(existing, section);
    assert_eq!(
        updated,
        "# Changelog\n\nIntro text.\n\n## v0.2.0 - 2026-02-01\n\n### Features\n\n- new thing (abc1234)\n\n## v0.1.0 - 2026-01-01\n\n- First release.\n"
    );
    assert_eq!(
        changelog::insert("", section),
        format!("# Changelog\n\n{section}")
    );
}

#[test]
fn dry_run_changes_nothing() {
    let dir = fake_workspace();
    let root = dir.path();
    commit(root, "notes.txt", "feat(alpha): add a widget");
    let before = file_hashes(root);
    let head = git(root, &["rev-parse", "HEAD"]);
    let plan = run(&options(root, Target::Infer, false)).unwrap();
    assert_eq!(plan.next, Version::new(0, 2, 0));
    assert_eq!(file_hashes(root), before);
    assert_eq!(git(root, &["rev-parse", "HEAD"]), head);
    assert!(!git(root, &["tag", "--list"]).contains("v0.2.0"));
}

#[test]
fn execute_bumps_crates_in_lockstep() {
    let dir = fake_workspace();
    let root = dir.path();
    commit(root, "a.txt", "fix(beta): handle empty input");
    commit(root, "b.txt", "feat: add streaming");
    commit(root, "c.txt", "docs: explain streaming");
    let plan = run(&options(root, Target::Infer, true)).unwrap();
    assert_eq!(plan.next, Version::new(0, 2, 0));
    let names: Vec<&str> = plan
        .crates
        .iter()
        .map(|krate| krate.name.as_str())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);

    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("# The shared version of every published crate.\nversion = \"0.2.0\""),
        "{manifest}"
    );
    assert!(
        manifest.contains(
            "alpha = { path = \"crates/alpha\", version = \"0.2.0\" } # keep this comment"
        ),
        "{manifest}"
    );
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"alpha\"\nversion = \"0.2.0\""),
        "{lock}"
    );
    assert!(
        lock.contains("name = \"beta\"\nversion = \"0.2.0\""),
        "{lock}"
    );

    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).unwrap();
    let new_at = changelog.find("## v0.2.0 - 2026-12-04").unwrap();
    let old_at = changelog.find("## v0.1.0 - 2026-01-01").unwrap();
    assert!(new_at < old_at);
    assert!(changelog.contains("### Features\n\n- add streaming ("));
    assert!(changelog.contains("### Fixes\n\n- **beta:** handle empty input ("));
    assert!(!changelog.contains("explain streaming"));

    assert!(
        git(root, &["tag", "--list"])
            .lines()
            .any(|tag| tag == "v0.2.0")
    );
    assert_eq!(
        git(root, &["log", "-1", "--format=%s"]).trim(),
        "chore(release): v0.2.0"
    );
    assert!(git(root, &["status", "--porcelain"]).trim().is_empty());
}

#[test]
fn dirty_tree_is_refused() {
    let dir = fake_workspace();
    let root = dir.path();
    write(&root.join("crates/alpha/src/lib.rs"), "//! Changed.\n");
    let error = run(&options(root, Target::Bump(Bump::Patch), true)).unwrap_err();
    let message = format!("{error:#}");
    assert!(message.contains("uncommitted changes"), "{message}");
    assert!(message.contains("crates/alpha/src/lib.rs"), "{message}");
}

#[test]
fn existing_tag_is_refused() {
    let dir = fake_workspace();
    let root = dir.path();
    git(root, &["tag", "v0.3.0"]);
    let target = Target::Exact(Version::new(0, 3, 0));
    let error = run(&options(root, target, true)).unwrap_err();
    assert!(
        format!("{error:#}").contains("tag v0.3.0 already exists"),
        "{error:#}"
    );
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("version = \"0.1.0\""));
}

#[test]
fn no_releasable_commits_asks_for_a_bump() {
    let dir = fake_workspace();
    let root = dir.path();
    commit(root, "a.txt", "chore: tidy");
    let error = run(&options(root, Target::Infer, false)).unwrap_err();
    assert!(
        format!("{error:#}").contains("pass patch, minor, major or X.Y.Z"),
        "{error:#}"
    );
}

#[test]
fn target_parses_words_and_versions() {
    assert_eq!(
        "minor".parse::<Target>().unwrap(),
        Target::Bump(Bump::Minor)
    );
    assert_eq!(
        "v1.2.3".parse::<Target>().unwrap(),
        Target::Exact(Version::new(1, 2, 3))
    );
    assert!(
        "1.2"
            .parse::<Target>()
            .unwrap_err()
            .contains("invalid version `1.2`")
    );
}
