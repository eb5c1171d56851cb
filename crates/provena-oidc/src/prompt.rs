//! The prompt hook that shows a device code to the person signing in.

use std::fmt;
use std::time::Duration;

use provena_http::Secret;

/// The verification page and user code a person needs to approve a device sign-in.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeviceCodePrompt {
    /// The page where the person enters the user code.
    pub verification_uri: String,
    /// The same page with the user code filled in, when the issuer offers one. It contains
    /// the code, so it is kept as a secret.
    pub verification_uri_complete: Option<Secret>,
    /// The code to enter on the verification page.
    pub user_code: Secret,
    /// The lifetime of the code.
    pub expires_in: Duration,
}

/// Shows a device code to the person signing in.
///
/// Implemented for closures `Fn(&DeviceCodePrompt)`; the default, [`StderrPrompt`], prints
/// to standard error.
pub trait DevicePrompt: Send + Sync {
    /// Shows `prompt`. Called once per device code, before polling starts.
    fn show(&self, prompt: &DeviceCodePrompt);
}

impl<F> DevicePrompt for F
where
    F: Fn(&DeviceCodePrompt) + Send + Sync,
{
    fn show(&self, prompt: &DeviceCodePrompt) {
        self(prompt);
    }
}

/// Prints the verification page and user code to standard error.
///
/// NOTE: opening the page in a browser (the `open-browser` feature) is not built yet. The
/// feature exists so callers can enable it now, and adding the behaviour will not break them.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrPrompt;

impl DevicePrompt for StderrPrompt {
    fn show(&self, prompt: &DeviceCodePrompt) {
        let minutes = prompt.expires_in.as_secs().div_ceil(60);
        eprintln!(
            "To sign in, open {} and enter the code {} (valid for {minutes} min).",
            prompt.verification_uri,
            prompt.user_code.expose()
        );
        if let Some(complete) = &prompt.verification_uri_complete {
            eprintln!(
                "Or open this link, which includes the code: {}",
                complete.expose()
            );
        }
    }
}

/// Wraps a prompt so that holders can derive `Debug`.
#[derive(Clone)]
pub(crate) struct PromptHandle(pub(crate) std::sync::Arc<dyn DevicePrompt>);

impl fmt::Debug for PromptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DevicePrompt")
    }
}
