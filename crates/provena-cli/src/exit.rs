//! Failures and the exit codes that tell them apart.

use std::fmt;
use std::process::ExitCode;

use provena::oidc::SignInError;

/// Exit code for local failures, such as a folder that cannot be written.
pub const LOCAL: u8 = 1;
/// Exit code for invalid arguments, settings or input files (clap uses it for usage errors
/// too).
pub const USAGE: u8 = 2;
/// Exit code when signing in fails or the session is rejected.
pub const SIGN_IN: u8 = 3;
/// Exit code when a service rejects the request or returns an error.
pub const SERVER: u8 = 4;
/// Exit code when a service cannot be reached or does not respond in time.
pub const NETWORK: u8 = 5;

/// The settings and exit codes, for `--help`.
pub const AFTER_HELP: &str = "\
Settings (flags win over variables):
  PROVENA_DOMAIN, PROVENA_REALM     the deployment; every service URL is derived from them
  PROVENA_<SERVICE>_URL             one service's URL: REGISTRY, DATASTORE, PROV, SEARCH,
                                    JOBS, ID_SERVICE, AUTH and ISSUER; without a domain,
                                    all eight are needed
  PROVENA_CLIENT_ID                 the OpenID client to sign in with
  PROVENA_S3_ENDPOINT               the S3 endpoint for dataset files
Sign-in, the first that is set: PROVENA_TOKEN (an access token), PROVENA_OFFLINE_TOKEN,
PROVENA_OFFLINE_TOKEN_FILE, PROVENA_CLIENT_SECRET (with PROVENA_CLIENT_ID); otherwise the
sign-in stored by `provena login`. PROVENA_TOKEN_STORE_DIR moves that store from its default
folder (provena/sign-in in the user's configuration folder). Tokens are never printed.

Exit codes: 0 success, 1 local failure (writing files), 2 usage, settings or input files,
3 sign-in failure, 4 error returned by a service, 5 service unreachable or timed out.";

/// A failure to report on standard error, with the exit code for its kind.
#[derive(Debug)]
pub struct Failure {
    message: String,
    hint: Option<String>,
    code: u8,
    /// The service that could not be reached, for naming its URL in the hint.
    unreachable: Option<provena::Service>,
}

impl Failure {
    /// Builds a failure with an exit code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            code,
            unreachable: None,
        }
    }

    /// Builds a usage failure.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(USAGE, message)
    }

    /// Builds a local failure.
    pub fn local(message: impl Into<String>) -> Self {
        Self::new(LOCAL, message)
    }

    /// Adds a line saying what to do next.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Replaces the message, keeping the exit code and hint.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Names the URL of the service that could not be reached in the hint, so the user
    /// sees which setting to check.
    pub fn locate(mut self, endpoints: &provena::Endpoints) -> Self {
        if let Some(service) = self.unreachable
            && let Some(url) = endpoints.url(service)
        {
            let setting = service
                .env_var()
                .map(|name| format!("{name} or the domain"))
                .unwrap_or_else(|| String::from("the domain"));
            self.hint = Some(format!(
                "the {service} service is expected at {url} ({setting} sets it); check that it is right and reachable from here, then try again"
            ));
        }
        self
    }

    /// Prints the failure to standard error and returns its exit code.
    pub fn report(&self) -> ExitCode {
        eprintln!("error: {}", self.message);
        if let Some(hint) = &self.hint {
            eprintln!("hint: {hint}");
        }
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// 401 details that mean the service rejected the token itself, so signing in again helps.
const TOKEN_DETAILS: [&str; 2] = ["Not authenticated", "Could not validate credentials"];

/// The advice when a service reports that no item has the id.
const UNKNOWN_ID_HINT: &str = "check the id; `provena search WORDS` finds items by name";

/// Phrases in a service's detail meaning that no item has the id given. The prov service
/// returns HTTP 500 with "was not a valid registry item" for an unknown lineage start.
const UNKNOWN_ID_PHRASES: [&str; 4] = [
    "not a valid registry item",
    "was not found",
    "not found in the registry",
    "does not exist",
];

/// Returns true when a service's detail reports that no item has the id.
fn names_unknown_id(detail: &str) -> bool {
    let detail = detail.to_lowercase();
    UNKNOWN_ID_PHRASES
        .iter()
        .any(|phrase| detail.contains(phrase))
}

/// Returns the advice for signing in again. A fixed token in `PROVENA_TOKEN` cannot be
/// renewed, so the advice names it when it is set.
fn sign_in_again() -> &'static str {
    if std::env::var_os("PROVENA_TOKEN").is_some_and(|value| !value.is_empty()) {
        "PROVENA_TOKEN contains a token the services reject because it is expired or invalid. Set a fresh one, or unset it and run `provena login`"
    } else {
        "run `provena login` to sign in again, or set PROVENA_OFFLINE_TOKEN_FILE to a valid offline token"
    }
}

impl From<provena::Error> for Failure {
    fn from(error: provena::Error) -> Self {
        Failure::from_sdk(&error)
    }
}

impl Failure {
    /// Maps an SDK error to the exit code for its kind and a hint on what to do next.
    pub fn from_sdk(error: &provena::Error) -> Self {
        let message = chain(error);
        match error {
            provena::Error::Config { .. } => Failure::usage(message)
                .hint("fix the argument or setting named above; `provena --help` lists the flags and PROVENA_* variables"),
            provena::Error::SignIn { .. } => sign_in_failure(error, message),
            provena::Error::Unauthorized(api) if TOKEN_DETAILS.contains(&api.detail.as_str()) => {
                Failure::new(SIGN_IN, message).hint(sign_in_again())
            }
            provena::Error::Unauthorized(_) | provena::Error::Forbidden(_) => Failure::new(SERVER, message).hint(
                "Provena rejects a request like this for a missing role, an item owned by someone else or a locked item. \
                 Ask the item's owner or an administrator for access (`provena whoami` lists your roles)",
            ),
            provena::Error::NotFound(_) => Failure::new(SERVER, message)
                .hint("check the id and the subtype, or find the item by name with `provena search WORDS`"),
            // Some services return HTTP 400 or even 500 for an unknown id, so the detail decides.
            provena::Error::BadRequest(api) | provena::Error::Unsuccessful(api) | provena::Error::Server(api)
                if names_unknown_id(&api.detail) =>
            {
                Failure::new(SERVER, message).hint(UNKNOWN_ID_HINT)
            }
            provena::Error::BadRequest(_) | provena::Error::Validation { .. } | provena::Error::Unsuccessful(_) => {
                Failure::new(SERVER, message)
                    .hint("the message above names what the service rejected, so fix that input and run the command again")
            }
            provena::Error::RateLimited { .. } | provena::Error::Server(_) => Failure::new(SERVER, message)
                .hint("the service is busy or failing, so wait a minute and run the command again"),
            provena::Error::Timeout { service, .. } | provena::Error::Transport { service, .. } => {
                let mut failure = Failure::new(NETWORK, message)
                    .hint("check the deployment's URLs and your network, then try again");
                failure.unreachable = Some(*service);
                failure
            }
            provena::Error::Io { .. } => Failure::local(message)
                .hint("check that the path above exists and that you may read and write it"),
            _ => Failure::new(SERVER, message).hint(
                "the service's response does not have the shape this tool expects; run again with -vv and report the output",
            ),
        }
    }
}

/// Maps a sign-in failure: an unreadable token file is a usage error, an unreachable issuer a
/// network error, anything else a sign-in failure.
fn sign_in_failure(error: &provena::Error, message: String) -> Failure {
    if let Some((reason, service)) = network_cause(error) {
        let mut failure = Failure::new(NETWORK, message).hint(format!(
            "the sign-in service could not be reached ({reason}); check PROVENA_ISSUER_URL or the domain, then try again"
        ));
        failure.unreachable = Some(service);
        return failure;
    }
    match SignInError::find(error) {
        Some(SignInError::OfflineTokenSource { .. }) => Failure::usage(message)
            .hint("point PROVENA_OFFLINE_TOKEN_FILE or --offline-token-file at a readable file holding the offline token"),
        Some(SignInError::InteractionRequired { .. }) => Failure::new(SIGN_IN, message).hint(
            "run `provena login` in a terminal first, or set PROVENA_OFFLINE_TOKEN_FILE for unattended use",
        ),
        Some(SignInError::AccessDenied | SignInError::DeviceCodeExpired { .. }) => Failure::new(SIGN_IN, message)
            .hint("run `provena login` again and approve the request in the browser before the code expires"),
        Some(SignInError::RefreshTokenRejected { .. }) => Failure::new(SIGN_IN, message)
            .hint("run `provena login` to sign in again"),
        Some(SignInError::OfflineTokenRejected) => Failure::new(SIGN_IN, message)
            .hint("create a new offline token, then run `provena login --offline-token-file FILE` to check it"),
        Some(SignInError::ClientRejected { .. }) => {
            Failure::new(SIGN_IN, message).hint("check PROVENA_CLIENT_ID and PROVENA_CLIENT_SECRET")
        }
        Some(SignInError::Discovery { .. }) => {
            Failure::new(SIGN_IN, message).hint("check PROVENA_ISSUER_URL, or PROVENA_DOMAIN and PROVENA_REALM")
        }
        _ => Failure::new(SIGN_IN, message).hint(sign_in_again()),
    }
}

/// Returns a short reason and the service when the sign-in failed because a service was
/// unreachable.
fn network_cause(error: &provena::Error) -> Option<(&'static str, provena::Service)> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        match cause.downcast_ref::<provena::Error>() {
            Some(provena::Error::Timeout { service, .. }) => return Some(("timed out", *service)),
            Some(provena::Error::Transport { service, .. }) => {
                return Some(("connection failed", *service));
            }
            _ => {}
        }
        current = cause.source();
    }
    None
}

/// Formats an error and its causes on one line, skipping a cause whose text the line
/// already contains (some errors repeat their source in their own message).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        current = cause.source();
    }
    text
}

/// Finds the SDK error inside another error's causes, such as the data store's refusal
/// inside a failed file upload.
pub fn find_sdk_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a provena::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<provena::Error>() {
            return Some(found);
        }
        current = cause.source();
    }
    None
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::local(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_id_details_are_recognised() {
        assert!(names_unknown_id(
            "The provided id 10378.1/9 was not a valid registry item. Error from registry lookup: \
             Item with id 10378.1/9 was not found in the registry.."
        ));
        assert!(names_unknown_id("Dataset with id 10378.1/9 does not exist"));
        assert!(!names_unknown_id(
            "Depth provided is in excess of depth maximum: 10."
        ));
        assert!(!names_unknown_id("Internal Server Error"));
    }
}
