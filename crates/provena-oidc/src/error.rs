//! The sign-in failures a caller may want to tell apart.

use provena_http::Error;

/// A sign-in failure that callers can match on.
///
/// Every public function of this crate returns [`provena_http::Error::SignIn`] with one of
/// these as its `source()`; [`SignInError::find`] gets it back for matching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The user declined the device sign-in request.
    #[error(
        "the sign-in request was denied in the browser; start the sign-in again and approve it"
    )]
    AccessDenied,
    /// The device code expired before the sign-in was approved.
    #[error(
        "the device code expired before the sign-in was approved; start the sign-in again and approve it within {expires_in_secs} s"
    )]
    DeviceCodeExpired {
        /// How long the code was valid, in seconds.
        expires_in_secs: u64,
    },
    /// The issuer rejected the refresh token because it expired or was revoked.
    #[error("the stored sign-in for `{client_id}` expired or was revoked; sign in again")]
    RefreshTokenRejected {
        /// The client the token belonged to.
        client_id: String,
    },
    /// The issuer rejected the offline token because it expired or was revoked.
    #[error(
        "the offline token was rejected because it expired or was revoked; create a new offline token and configure it again"
    )]
    OfflineTokenRejected,
    /// A device sign-in is needed but the caller did not allow interaction.
    #[error(
        "no valid sign-in is stored for `{client_id}` at `{issuer}` and interaction is not allowed; sign in with the device flow first, or allow interaction"
    )]
    InteractionRequired {
        /// The issuer URL.
        issuer: String,
        /// The client id.
        client_id: String,
    },
    /// The issuer rejected the client id or client secret.
    #[error(
        "the issuer rejected client `{client_id}`: {description}; check the client id and secret"
    )]
    ClientRejected {
        /// The client id.
        client_id: String,
        /// The issuer's `error_description`, or its error code.
        description: String,
    },
    /// The issuer rejected a token request with an OAuth error not listed above.
    #[error("the issuer rejected the {grant} request with `{code}`: {description}")]
    TokenEndpoint {
        /// The grant, such as `refresh_token`.
        grant: &'static str,
        /// The OAuth error code, such as `invalid_scope`.
        code: String,
        /// The issuer's `error_description`, or an empty string.
        description: String,
    },
    /// The issuer's discovery document could not be read or lacks a required endpoint.
    #[error("issuer discovery at `{issuer}` failed: {reason}; check the issuer URL")]
    Discovery {
        /// The issuer URL.
        issuer: String,
        /// The problem found.
        reason: String,
    },
    /// An access token failed validation against the issuer's key set.
    #[error("the access token is invalid: {reason}")]
    InvalidAccessToken {
        /// The failed check: signature, expiry, issuer or format.
        reason: String,
    },
    /// The offline token source could not be read.
    #[error("the offline token could not be read from {source_name}: {reason}")]
    OfflineTokenSource {
        /// The environment variable or file.
        source_name: String,
        /// The problem and the fix.
        reason: String,
    },
    /// The issuer's response could not be parsed.
    #[error("the issuer's response to the {grant} request could not be parsed: {reason}")]
    Protocol {
        /// The request, such as `device authorization`.
        grant: &'static str,
        /// The problem found.
        reason: String,
    },
}

impl SignInError {
    /// Returns a short name for the failure, used as the message of the wrapping
    /// [`Error::SignIn`] so that printing the error chain does not repeat the explanation.
    pub fn summary(&self) -> &'static str {
        match self {
            SignInError::AccessDenied => "access denied",
            SignInError::DeviceCodeExpired { .. } => "device code expired",
            SignInError::RefreshTokenRejected { .. } => "refresh token rejected",
            SignInError::OfflineTokenRejected => "offline token rejected",
            SignInError::InteractionRequired { .. } => "interaction required",
            SignInError::ClientRejected { .. } => "client rejected",
            SignInError::TokenEndpoint { .. } => "token request rejected",
            SignInError::Discovery { .. } => "issuer discovery failed",
            SignInError::InvalidAccessToken { .. } => "invalid access token",
            SignInError::OfflineTokenSource { .. } => "offline token unavailable",
            SignInError::Protocol { .. } => "unreadable issuer response",
        }
    }

    /// Finds the sign-in failure inside an [`Error`], if it is one.
    pub fn find(error: &Error) -> Option<&SignInError> {
        match error {
            Error::SignIn {
                source: Some(source),
                ..
            } => source.downcast_ref::<SignInError>(),
            _ => None,
        }
    }
}

impl From<SignInError> for Error {
    fn from(error: SignInError) -> Self {
        Error::SignIn {
            message: error.summary().to_owned(),
            source: Some(Box::new(error)),
        }
    }
}
