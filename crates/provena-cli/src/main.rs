//! The `provena` command-line tool.
//!
//! Signs in to a Provena deployment and works with its registry, data store, search,
//! provenance graph and jobs; `provena tour` runs a whole workflow against the embedded
//! Provena double. Results go to standard output (text, or JSON with `--json`), progress and
//! errors to standard error. The exit code tells failures apart: see `provena --help`.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod client;
mod commands;
mod exit;
mod output;
mod tour;

use cli::{Cli, Command, DatastoreCommand, JobsCommand, ProvCommand};
use commands::prov::Direction;
use exit::Failure;
use output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return Failure::local(format!("failed to start the async runtime: {error}")).report();
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let out = Output::new(cli.global.json);
    let global = &cli.global;
    match cli.command {
        Command::Login { offline_token_file } => {
            commands::account::login(global, offline_token_file.as_deref(), out).await
        }
        Command::Logout => commands::account::logout(global, out).await,
        Command::Whoami => commands::account::whoami(global, out).await,
        Command::Tour { payloads } => tour::run(payloads.as_deref(), out).await,
        command => {
            let provena = client::build(global)?;
            service_command(&provena, command, out)
                .await
                .map_err(|failure| failure.locate(provena.endpoints()))
        }
    }
}

/// Runs a command that works with one service of the deployment.
async fn service_command(
    provena: &provena::Provena,
    command: Command,
    out: Output,
) -> Result<(), Failure> {
    match command {
        Command::Registry { command } => {
            commands::registry::run(provena.registry(), command, out).await
        }
        Command::Datastore { command } => {
            let datastore = provena.datastore();
            match command {
                DatastoreCommand::Mint { file } => {
                    commands::datastore::mint(datastore, &file, out).await
                }
                DatastoreCommand::Download { id, dir, path } => {
                    commands::datastore::download(datastore, &id, &dir, path.as_deref(), out).await
                }
                DatastoreCommand::Upload { id, dir } => {
                    commands::datastore::upload(datastore, &id, &dir, out).await
                }
            }
        }
        Command::Search {
            query,
            limit,
            subtype,
        } => commands::search::run(provena.search(), &query, limit, subtype, out).await,
        Command::Prov { command } => {
            let prov = provena.prov();
            match command {
                ProvCommand::Upstream(args) => {
                    commands::prov::lineage(prov, Direction::Upstream, &args, out).await
                }
                ProvCommand::Downstream(args) => {
                    commands::prov::lineage(prov, Direction::Downstream, &args, out).await
                }
            }
        }
        Command::Jobs { command } => match command {
            JobsCommand::Wait {
                session_id,
                timeout,
            } => commands::jobs::wait(provena.jobs(), &session_id, timeout, out).await,
        },
        Command::Login { .. } | Command::Logout | Command::Whoami | Command::Tour { .. } => {
            Err(Failure::local(
                "this command does not work with a single service; this is a bug in provena",
            ))
        }
    }
}
