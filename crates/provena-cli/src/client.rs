//! Building the SDK client from flags and environment variables.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use provena::Provena;
use provena::oidc::FileTokenStore;

use crate::cli::Global;
use crate::exit::Failure;

/// The variable that moves the device-flow token store to another folder.
pub const TOKEN_STORE_DIR: &str = "PROVENA_TOKEN_STORE_DIR";

/// The variables that set one service URL each, in the order they are reported.
const URL_VARIABLES: [&str; 8] = [
    "PROVENA_REGISTRY_URL",
    "PROVENA_DATASTORE_URL",
    "PROVENA_PROV_URL",
    "PROVENA_SEARCH_URL",
    "PROVENA_JOBS_URL",
    "PROVENA_ID_SERVICE_URL",
    "PROVENA_AUTH_URL",
    "PROVENA_ISSUER_URL",
];

/// Builds a client for the deployment named by the flags and `PROVENA_*` variables.
///
/// The sign-in method comes from the environment (see `Provena::from_env`). Without one, the
/// tokens stored by `provena login` are used. The device flow starts only when standard
/// error is a terminal that a person can act on.
pub fn build(global: &Global) -> Result<Provena, Failure> {
    let interactive = std::io::stderr().is_terminal();
    let store = token_store();
    builder(global)?
        .sign_in(move |sign_in| with_store(sign_in, store).allow_interaction(interactive))
        .build()
        .map_err(Failure::from)
}

/// Builds a client that signs in with the device flow now, for `provena login`.
pub fn for_login(global: &Global) -> Result<Provena, Failure> {
    let store = token_store();
    builder(global)?
        .device_flow()
        .sign_in(move |sign_in| with_store(sign_in, store).allow_interaction(true))
        .build()
        .map_err(Failure::from)
}

/// Builds a client that signs in with the offline token in `path`.
pub fn with_offline_token_file(global: &Global, path: &Path) -> Result<Provena, Failure> {
    builder(global)?
        .offline_token_file(path)
        .build()
        .map_err(Failure::from)
}

/// Checks that the folder named by `PROVENA_TOKEN_STORE_DIR`, when it is set, can be
/// created and written, so that `provena login` fails before the device flow prompts the user
/// for approval of a sign-in it could not store.
pub fn check_token_store() -> Result<(), Failure> {
    // NOTE: without the variable the SDK picks the default folder, which is not checked
    // here, so a failure to write it still shows only after the device flow.
    let Some(dir) = token_store() else {
        return Ok(());
    };
    let unusable = |error: std::io::Error| {
        Failure::local(format!(
            "cannot store the sign-in in {} (set by {TOKEN_STORE_DIR}): {error}",
            dir.display()
        ))
        .hint(format!(
            "set {TOKEN_STORE_DIR} to a folder you can write, or unset it to use the default folder"
        ))
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(&dir).map_err(unusable)?;
    // The probe file is removed when dropped.
    tempfile::NamedTempFile::new_in(&dir).map_err(unusable)?;
    Ok(())
}

/// Returns the folder named by `PROVENA_TOKEN_STORE_DIR`, when it is set.
fn token_store() -> Option<PathBuf> {
    std::env::var_os(TOKEN_STORE_DIR)
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
}

fn with_store(sign_in: provena::oidc::SignIn, store: Option<PathBuf>) -> provena::oidc::SignIn {
    match store {
        Some(dir) => sign_in.store(Arc::new(FileTokenStore::new(dir))),
        None => sign_in,
    }
}

fn builder(global: &Global) -> Result<provena::ProvenaBuilder, Failure> {
    let mut builder = Provena::builder();
    match &global.domain {
        Some(domain) => {
            builder = builder.domain(domain.clone());
            if let Some(realm) = &global.realm {
                builder = builder.realm(realm.clone());
            }
        }
        None => builder = explicit_urls(builder)?,
    }
    if let Some(client_id) = &global.client_id {
        builder = builder.client_id(client_id.clone());
    }
    Ok(builder
        .http(|config| config.user_agent_suffix("provena-cli"))
        .env(|name| std::env::var(name).ok()))
}

/// Without a domain, every service URL must be given: the SDK derives nothing, so no
/// request can go to a host the user did not name.
fn explicit_urls(builder: provena::ProvenaBuilder) -> Result<provena::ProvenaBuilder, Failure> {
    let read = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    let missing: Vec<&str> = URL_VARIABLES
        .into_iter()
        .filter(|name| read(name).is_none())
        .collect();
    if missing.len() == URL_VARIABLES.len() {
        return Err(Failure::usage("no deployment is set").hint(
            "set PROVENA_DOMAIN and PROVENA_REALM (or pass --domain and --realm), or set every PROVENA_*_URL variable",
        ));
    }
    if !missing.is_empty() {
        return Err(Failure::usage(format!(
            "PROVENA_DOMAIN is not set, so every service URL must be, but {} {} not",
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" }
        ))
        .hint("set the missing variables too, or set PROVENA_DOMAIN and PROVENA_REALM"));
    }
    // Every URL is given. The shared base only seeds the set, and the variables then
    // replace each of its URLs.
    match read("PROVENA_REGISTRY_URL") {
        Some(registry) => Ok(builder.http(|config| config.single_base(registry))),
        None => Err(Failure::usage("PROVENA_REGISTRY_URL is not set")),
    }
}
