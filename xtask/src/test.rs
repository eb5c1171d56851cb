//! `cargo xtask test`: install and start the external test servers, then run every test.
//!
//! Two suites talk to real third-party servers: the sign-in interop tests use the certified
//! OpenID provider from npm (`tools/oidc-provider`), and the dataset file tests use moto's S3
//! server from PyPI (`tools/moto`). Both are installed from their lock files into the
//! checkout (`tools/oidc-provider/node_modules`, `.venv`), started on 127.0.0.1, handed to
//! the tests through `PROVENA_TEST_OIDC_URL` and `PROVENA_TEST_S3_URL`, and stopped at the end.
//! `PROVENA_REQUIRE_EXTERNAL=1` makes a test that misses one of them fail instead of skip.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::process::{self, Server, Wait};

/// Test binaries with `required-features`, as (package, feature, test target).
const FEATURE_TESTS: &[(&str, &str, &str)] = &[
    ("provena-oidc", "open-browser", "browser_prompt"),
    ("provena-http", "native-roots", "native_roots"),
];

/// Installs and starts the external servers, runs `cargo test` with `cargo_args`, and stops
/// the servers.
pub(crate) fn run(cargo_args: &[String]) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let oidc = start_oidc_provider(&root)?;
    let s3 = start_moto(&root)?;

    let mut command = process::cargo();
    command.current_dir(&root).args(["test", "--no-fail-fast"]);
    let chooses_packages = cargo_args
        .iter()
        .any(|arg| arg == "-p" || arg.starts_with("--package") || arg.starts_with("-p"));
    if !chooses_packages {
        command.arg("--workspace");
    }
    command
        .args(cargo_args)
        .env("PROVENA_REQUIRE_EXTERNAL", "1");
    if let Some((_, issuer)) = &oidc {
        command.env("PROVENA_TEST_OIDC_URL", issuer);
    }
    if let Some((_, url)) = &s3 {
        command.env("PROVENA_TEST_S3_URL", url);
    }
    let mut result = process::run(&mut command);
    if result.is_ok() && !chooses_packages {
        // `cargo test --workspace` leaves out these binaries: each needs a feature that no
        // default feature set turns on.
        for (package, feature, test) in FEATURE_TESTS {
            let mut extra = process::cargo();
            extra.current_dir(&root).args([
                "test",
                "-p",
                package,
                "--features",
                feature,
                "--test",
                test,
            ]);
            result = process::run(&mut extra);
            if result.is_err() {
                break;
            }
        }
    }
    drop(oidc);
    drop(s3);
    result
}

/// Installs the npm packages from the lock file when needed, and starts the provider.
/// Returns `None` when the project has no provider set up yet.
fn start_oidc_provider(root: &Path) -> anyhow::Result<Option<(Server, String)>> {
    let folder = root.join("tools/oidc-provider");
    if !folder.join("package.json").exists() {
        eprintln!(
            "no tools/oidc-provider/package.json: sign-in interop tests run without a provider"
        );
        return Ok(None);
    }
    if !process::available("node") || !process::available("npm") {
        bail!(
            "node and npm are needed for the sign-in interop tests; install Node.js 20 or newer (Debian: apt-get install nodejs npm)"
        );
    }
    let lock = folder.join("package-lock.json");
    let installed = folder.join("node_modules/.package-lock.json");
    if !is_newer(&installed, &lock) {
        process::run(Command::new("npm").current_dir(&folder).args([
            "ci",
            "--no-audit",
            "--no-fund",
        ]))?;
    }
    let port = process::free_port()?;
    let (server, line) = Server::start(
        "oidc-provider",
        Command::new("node")
            .current_dir(&folder)
            .arg("server.mjs")
            .env("PORT", port.to_string())
            .arg(port.to_string()),
        Wait::Line("http://127.0.0.1"),
        Duration::from_secs(60),
    )?;
    let issuer = line
        .split_whitespace()
        .find(|word| word.starts_with("http://127.0.0.1"))
        .context("the provider's ready line has no issuer URL")?
        .to_owned();
    Ok(Some((server, issuer)))
}

/// Installs moto into `.venv` from the pinned requirements when needed, and starts its S3
/// server. Returns `None` when the project has no moto set up yet.
fn start_moto(root: &Path) -> anyhow::Result<Option<(Server, String)>> {
    let requirements = root.join("tools/moto/requirements.txt");
    if !requirements.exists() {
        eprintln!("no tools/moto/requirements.txt: S3 interop tests run without moto");
        return Ok(None);
    }
    let venv = root.join(".venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        if !process::available("python3") {
            bail!("python3 is needed for the S3 interop tests (moto); install Python 3.9 or newer");
        }
        process::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let wanted = std::fs::read_to_string(&requirements)
        .with_context(|| format!("failed to read {}", process::show(&requirements)))?;
    let stamp = venv.join(".provena-requirements");
    let current = std::fs::read_to_string(&stamp).unwrap_or_default();
    if current != wanted {
        process::run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(&requirements),
        )?;
        std::fs::write(&stamp, &wanted)
            .with_context(|| format!("failed to write {}", process::show(&stamp)))?;
    }
    let port = process::free_port()?;
    let (server, _) = Server::start(
        "moto",
        Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p"])
            .arg(port.to_string()),
        Wait::Port(port),
        Duration::from_secs(60),
    )?;
    Ok(Some((server, format!("http://127.0.0.1:{port}"))))
}

/// Reports whether `path` exists and was modified after `than`.
fn is_newer(path: &Path, than: &Path) -> bool {
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
    };
    match (modified(path), modified(than)) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    }
}
