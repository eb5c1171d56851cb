//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::AFTER_HELP;

/// Work with a Provena deployment from the command line.
#[derive(Debug, Parser)]
#[command(name = "provena", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct Global {
    /// Print results as JSON for scripts instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// The deployment's domain, such as provena.example.org.
    #[arg(long, global = true, env = "PROVENA_DOMAIN")]
    pub domain: Option<String>,
    /// The Keycloak realm of the deployment.
    #[arg(long, global = true, env = "PROVENA_REALM")]
    pub realm: Option<String>,
    /// The OpenID client id to sign in with.
    #[arg(long, global = true, env = "PROVENA_CLIENT_ID")]
    pub client_id: Option<String>,
    /// Log more: -v for info, -vv for debug (tokens are never logged).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with the device flow and keep the tokens for later commands.
    Login {
        /// Check an offline token from this file instead; it is never copied anywhere.
        #[arg(long)]
        offline_token_file: Option<PathBuf>,
    },
    /// Forget the stored sign-in.
    Logout,
    /// Show who you are signed in as.
    Whoami,
    /// Fetch, list, create and update registry items.
    Registry {
        /// The registry command.
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// Mint datasets and move their files.
    Datastore {
        /// The datastore command.
        #[command(subcommand)]
        command: DatastoreCommand,
    },
    /// Search registry items.
    Search {
        /// The words to search for.
        query: String,
        /// Maximum number of results (1 or more).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// Only items of this subtype.
        #[arg(long, value_enum)]
        subtype: Option<Subtype>,
    },
    /// Explore lineage in the provenance graph.
    Prov {
        /// The lineage command.
        #[command(subcommand)]
        command: ProvCommand,
    },
    /// Wait for asynchronous jobs.
    Jobs {
        /// The jobs command.
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Start the embedded Provena double and run a whole workflow against it.
    Tour {
        /// Take request bodies from this folder, one sub-folder per item subtype
        /// (organisation/organisation_1.json, model/model_1.json, ...).
        #[arg(long)]
        payloads: Option<PathBuf>,
    },
}

/// Registry commands.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Fetch one item.
    Fetch {
        /// The item subtype.
        #[arg(value_enum)]
        subtype: Subtype,
        /// The item id, such as 10378.1/1690000.
        id: String,
    },
    /// List items of one subtype.
    List {
        /// The item subtype.
        #[arg(value_enum)]
        subtype: Subtype,
        /// Maximum number of items to list (1 or more).
        #[arg(long, default_value_t = 50, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        limit: usize,
        /// Items per request (1 or more); the service's default when not given.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        page_size: Option<u32>,
    },
    /// Create an item from a JSON file of its domain info.
    Create {
        /// The item subtype.
        #[arg(value_enum)]
        subtype: Subtype,
        /// The JSON file with the item's domain info.
        #[arg(long)]
        file: PathBuf,
    },
    /// Replace an item's domain info from a JSON file, recording a reason.
    Update {
        /// The item subtype.
        #[arg(value_enum)]
        subtype: Subtype,
        /// The item id.
        id: String,
        /// The JSON file with the new domain info.
        #[arg(long)]
        file: PathBuf,
        /// Why the item changes; kept in its history.
        #[arg(long)]
        reason: String,
    },
}

/// Datastore commands.
#[derive(Debug, Subcommand)]
pub enum DatastoreCommand {
    /// Mint a dataset from a JSON file of its metadata (collection format).
    Mint {
        /// The JSON metadata file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Download a dataset's files into a folder.
    Download {
        /// The dataset id.
        id: String,
        /// The folder to write into; created if missing.
        dir: PathBuf,
        /// Only this file or folder of the dataset.
        #[arg(long)]
        path: Option<String>,
    },
    /// Upload every file below a folder into a dataset.
    Upload {
        /// The dataset id.
        id: String,
        /// The folder to read from.
        dir: PathBuf,
    },
}

/// Lineage commands.
#[derive(Debug, Subcommand)]
pub enum ProvCommand {
    /// Show what an item was derived from.
    Upstream(LineageArgs),
    /// Show what was derived from an item.
    Downstream(LineageArgs),
}

/// Arguments of a lineage query.
#[derive(Debug, Args)]
pub struct LineageArgs {
    /// The item id to start from.
    pub id: String,
    /// How many hops to follow (1 or more).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub depth: u32,
    /// The output format. `--json` overrides it and prints JSON.
    #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
    pub format: GraphFormat,
}

/// Lineage graph formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// One line per edge.
    Text,
    /// The graph as JSON.
    Json,
    /// Graphviz DOT.
    Dot,
}

/// Jobs commands.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Wait until a job succeeds or fails.
    Wait {
        /// The job's session id.
        session_id: String,
        /// Maximum wait, in seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

/// Registry item subtypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Subtype {
    /// An organisation.
    Organisation,
    /// A person.
    Person,
    /// A model.
    Model,
    /// A model run workflow template.
    ModelRunWorkflowTemplate,
    /// A dataset template.
    DatasetTemplate,
    /// A dataset.
    Dataset,
    /// A model run.
    ModelRun,
    /// A study.
    Study,
    /// A create activity.
    Create,
    /// A version activity.
    Version,
}
