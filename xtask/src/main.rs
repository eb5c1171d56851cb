//! Project automation, run as `cargo xtask <command>`.
//!
//! Every command finds the workspace root from this crate's manifest directory, so it works
//! from any folder inside the checkout.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod ci;
mod codegen;
mod process;
mod release;
mod spec_check;
mod test;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "provena-rs project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every check CI runs: format, clippy, docs, feature checks, spec checks, tests and
    /// the tour.
    Ci {
        /// Folder holding the seven OpenAPI documents; the spec checks are skipped without it.
        #[arg(long, env = "PROVENA_SPEC_DIR")]
        spec_dir: Option<PathBuf>,
        /// Folder of example request payloads, one sub-folder per item subtype.
        #[arg(long, env = "PROVENA_EXAMPLES_DIR")]
        examples_dir: Option<PathBuf>,
    },
    /// Install and start the external test servers (OpenID provider, S3), run every test,
    /// and stop the servers. Arguments after `--` go to `cargo test`.
    Test {
        /// Extra arguments for `cargo test`, such as `-p provena-http`.
        #[arg(last = true)]
        cargo_args: Vec<String>,
    },
    /// Plan a release (dry run by default) or carry it out with `--execute`.
    Release {
        /// `patch`, `minor`, `major` or an exact `X.Y.Z`; inferred from the conventional
        /// commits since the last tag when left out.
        version: Option<release::Target>,
        /// Only print the plan (the default).
        #[arg(long, conflicts_with = "execute")]
        dry_run: bool,
        /// Bump, write the changelog, package, commit and tag.
        #[arg(long)]
        execute: bool,
        /// After tagging, publish every crate in dependency order (needs `--execute`).
        #[arg(long, requires = "execute")]
        publish: bool,
        /// Skip building each packaged crate (faster; the packages are still assembled).
        #[arg(long)]
        no_verify: bool,
    },
    /// Run the benchmarks (`cargo bench`); arguments after `--` go to `cargo bench`.
    Bench {
        /// Extra arguments for `cargo bench`.
        #[arg(last = true)]
        cargo_args: Vec<String>,
    },
    /// Generate the provena-models crate from the OpenAPI documents.
    Codegen {
        /// Folder holding the seven OpenAPI documents (registry.json, datastore.json, ...).
        #[arg(long, env = "PROVENA_SPEC_DIR")]
        spec_dir: PathBuf,
        /// Compare the checked-in code with what the documents produce, and fail on a
        /// difference instead of writing.
        #[arg(long)]
        check: bool,
        /// JSON list of response patches to check against the documents. Defaults to
        /// `provena-openapi-patches.json` beside the spec folder, when that file exists.
        #[arg(long, env = "PROVENA_PATCHES_FILE")]
        patches: Option<PathBuf>,
    },
    /// Check the models against the documents and the example payloads.
    SpecCheck {
        /// Folder holding the seven OpenAPI documents.
        #[arg(long, env = "PROVENA_SPEC_DIR")]
        spec_dir: PathBuf,
        /// Folder of example request payloads, one sub-folder per item subtype.
        #[arg(long, env = "PROVENA_EXAMPLES_DIR")]
        examples_dir: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Ci {
            spec_dir,
            examples_dir,
        } => ci::run(spec_dir.as_deref(), examples_dir.as_deref()),
        Command::Test { cargo_args } => test::run(&cargo_args),
        Command::Release {
            version,
            dry_run: _,
            execute,
            publish,
            no_verify,
        } => {
            let options = release::Options {
                root: workspace_root(),
                target: version.unwrap_or(release::Target::Infer),
                execute,
                publish,
                verify: !no_verify,
                date: today(),
            };
            release::run(&options).map(|_| ())
        }
        Command::Bench { cargo_args } => process::run(
            process::cargo()
                .current_dir(workspace_root())
                .args(["bench", "--workspace"])
                .args(&cargo_args),
        ),
        Command::Codegen {
            spec_dir,
            check,
            patches,
        } => codegen::run_with_patches(&spec_dir, check, patches.as_deref()),
        Command::SpecCheck {
            spec_dir,
            examples_dir,
        } => spec_check::run(&spec_dir, examples_dir.as_deref()),
    }
}

/// Returns the workspace root: the parent of this crate's manifest directory.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Returns today's date in UTC as `YYYY-MM-DD`.
fn today() -> String {
    let date = time::OffsetDateTime::now_utc().date();
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
