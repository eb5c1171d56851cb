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

impl DeviceCodePrompt {
    /// Builds a prompt for `user_code` on `verification_uri`, valid for `expires_in`, with no
    /// complete link. Useful to try a [`DevicePrompt`] without an issuer.
    pub fn new(
        verification_uri: impl Into<String>,
        user_code: Secret,
        expires_in: Duration,
    ) -> Self {
        Self {
            verification_uri: verification_uri.into(),
            verification_uri_complete: None,
            user_code,
            expires_in,
        }
    }

    /// Sets the link that includes the user code.
    #[must_use]
    pub fn with_complete_uri(mut self, uri: Secret) -> Self {
        self.verification_uri_complete = Some(uri);
        self
    }

    /// Returns the page to open: the complete link when there is one, otherwise the plain
    /// page. The complete link contains the user code: keep it out of logs.
    pub fn page_to_open(&self) -> &str {
        self.verification_uri_complete
            .as_ref()
            .map_or(self.verification_uri.as_str(), Secret::expose)
    }
}

/// Shows a device code to the person signing in.
///
/// Implemented for closures `Fn(&DeviceCodePrompt)`. The default is [`StderrPrompt`], which
/// prints to standard error, or `BrowserPrompt` with the `open-browser` feature, which also
/// opens the page in a browser.
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

/// Prints the verification page and user code to standard error, as [`StderrPrompt`] does,
/// then opens the page in the default browser.
///
/// The page opened is the link with the user code filled in when the issuer offers one,
/// otherwise the plain verification page. On Linux and the BSDs the `BROWSER` environment
/// variable chooses the program: a `:`-separated list of commands, with `%s` standing for the
/// link. Without it, `xdg-open` or the desktop's own opener is used. macOS and Windows use
/// the system default browser.
///
/// Failing to open a browser, as on a machine without a display, is not an error: the link
/// and code are already on standard error, and the failure is logged at debug level under
/// the `provena_oidc` target without the link.
///
/// This is the default prompt of [`SignIn`](crate::SignIn) when the `open-browser` feature
/// is on; pass [`StderrPrompt`] to [`SignIn::prompt`](crate::SignIn::prompt) to only print.
///
/// NOTE: the launcher crate logs the command it runs, link included, at debug level through
/// the `log` crate under the `webbrowser` target. Applications that forward `log` records
/// to their logger should keep that target above debug.
#[cfg(feature = "open-browser")]
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserPrompt;

#[cfg(feature = "open-browser")]
impl DevicePrompt for BrowserPrompt {
    fn show(&self, prompt: &DeviceCodePrompt) {
        StderrPrompt.show(prompt);
        let with_code = prompt.verification_uri_complete.is_some();
        // The error texts of the launcher name the failure, never the link.
        match webbrowser::open(prompt.page_to_open()) {
            Ok(()) => tracing::debug!(
                target: "provena_oidc",
                with_code,
                "opened the verification page in a browser"
            ),
            Err(error) => tracing::debug!(
                target: "provena_oidc",
                with_code,
                kind = ?error.kind(),
                error = %error,
                "could not open a browser; the link and code are printed on standard error"
            ),
        }
    }
}

/// Returns the prompt [`SignIn`](crate::SignIn) uses unless given another.
pub(crate) fn default_prompt() -> PromptHandle {
    #[cfg(feature = "open-browser")]
    let prompt = BrowserPrompt;
    #[cfg(not(feature = "open-browser"))]
    let prompt = StderrPrompt;
    PromptHandle(std::sync::Arc::new(prompt))
}

/// Wraps a prompt so that holders can derive `Debug`.
#[derive(Clone)]
pub(crate) struct PromptHandle(pub(crate) std::sync::Arc<dyn DevicePrompt>);

impl fmt::Debug for PromptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DevicePrompt")
    }
}
