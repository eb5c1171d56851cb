//! Project automation, run as `cargo xtask <command>`.
//!
//! Every command finds the workspace root from this crate's manifest directory, so it works
//! from any folder inside the checkout.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod codegen;
mod spec_check;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "provena-rs project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the provena-models crate from the OpenAPI documents.
    Codegen {
        /// Folder holding the seven OpenAPI documents (registry.json, datastore.json, ...).
        #[arg(long, env = "PROVENA_SPEC_DIR")]
        spec_dir: PathBuf,
        /// Compare the checked-in code with what the documents produce, and fail on a
        /// difference instead of writing.
        #[arg(long)]
        check: bool,
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
        Command::Codegen { spec_dir, check } => codegen::run(&spec_dir, check),
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
