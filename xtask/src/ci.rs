//! `cargo xtask ci`: every check CI runs, in the order that fails fastest.

use std::path::Path;

use crate::process;

/// Crates that must build on their own, without the rest of the workspace's features.
const STANDALONE_CRATES: &[&str] = &[
    "provena-http",
    "provena-oidc",
    "provena-models",
    "provena-registry",
    "provena-datastore",
    "provena-prov",
    "provena-search",
    "provena-jobs",
    "provena-id-service",
    "provena-auth",
];

/// Features of the `provena` facade, each checked alone.
const FACADE_FEATURES: &[&str] = &[
    "registry",
    "datastore",
    "prov",
    "search",
    "jobs",
    "id-service",
    "auth-api",
    "sign-in",
    "files",
    "open-browser",
    "native-roots",
];

/// Runs the format check, clippy, docs, feature checks, spec checks (when the documents are
/// available), the tests, and the tour.
pub(crate) fn run(spec_dir: Option<&Path>, examples_dir: Option<&Path>) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let cargo = |args: &[&str]| {
        let mut command = process::cargo();
        command.current_dir(&root).args(args);
        command
    };

    step("format");
    process::run(&mut cargo(&["fmt", "--all", "--", "--check"]))?;

    step("clippy");
    process::run(&mut cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    // The workspace run leaves off features that are not on by default; provena-oidc's
    // `open-browser` code and provena-http's `native-roots` code, with their test
    // binaries, are checked here.
    for package in ["provena-oidc", "provena-http"] {
        process::run(&mut cargo(&[
            "clippy",
            "-p",
            package,
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ]))?;
    }

    step("docs");
    process::run(cargo(&["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))?;

    step("feature checks");
    for name in STANDALONE_CRATES {
        if root.join("crates").join(name).exists() {
            process::run(&mut cargo(&["check", "--quiet", "-p", name]))?;
        }
    }
    if root.join("crates/provena").exists() {
        process::run(&mut cargo(&[
            "check",
            "--quiet",
            "-p",
            "provena",
            "--no-default-features",
        ]))?;
        for feature in FACADE_FEATURES {
            process::run(&mut cargo(&[
                "check",
                "--quiet",
                "-p",
                "provena",
                "--no-default-features",
                "--features",
                feature,
            ]))?;
        }
    }

    match spec_dir {
        Some(spec_dir) if spec_dir.join("registry.json").exists() => {
            step("spec checks");
            let spec = spec_dir.display().to_string();
            crate::codegen::run(spec_dir, true)?;
            crate::spec_check::run(spec_dir, examples_dir)?;
            process::run(&mut cargo(&[
                "run",
                "--quiet",
                "-p",
                "provena-tests",
                "--bin",
                "spec-coverage",
                "--",
                "--spec-dir",
                &spec,
            ]))?;
        }
        Some(spec_dir) => {
            anyhow::bail!(
                "no registry.json in {}; pass the folder of the seven OpenAPI documents",
                spec_dir.display()
            );
        }
        None => eprintln!("no --spec-dir given: skipping the codegen, spec and coverage checks"),
    }

    step("tests");
    process::run(&mut cargo(&["xtask", "test"]))?;

    step("tour");
    let mut tour = cargo(&["run", "--quiet", "-p", "provena-cli", "--", "tour"]);
    if let Some(examples) = examples_dir {
        tour.arg("--payloads").arg(examples);
    }
    process::run(&mut tour)?;

    step("done");
    Ok(())
}

fn step(name: &str) {
    eprintln!("\n==> {name}");
}
