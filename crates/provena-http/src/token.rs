//! Bearer tokens and where they come from.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Error;

/// A secret string, such as an access, refresh or offline token, or a client secret.
///
/// `Debug` and `Display` print `<redacted>`; read the value with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Arc::from(value.into()))
    }

    /// Returns the secret value. Never log or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

/// A source of bearer tokens for the API services.
///
/// The HTTP client calls [`access_token`](TokenProvider::access_token) before each request
/// to a deployment service. After an HTTP 401 whose detail reports a missing or
/// invalid token, it calls [`refresh`](TokenProvider::refresh) once with the rejected token and
/// sends the request once more. Implementations must be cheap to call when a valid token is
/// cached, and must let only one refresh run at a time.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// Returns a token that is valid now, refreshing it first if it is about to expire.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when no token can be had; the message names the fix.
    async fn access_token(&self) -> Result<Secret, Error>;

    /// Replaces `rejected`, which a service refused, with a fresh token.
    ///
    /// When another task already replaced it, returns the newer token without a new request.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`] when the token cannot be refreshed.
    async fn refresh(&self, rejected: &Secret) -> Result<Secret, Error>;

    /// Returns a token that is valid now when one is at hand without waiting, such as a
    /// cached token that is not about to expire.
    ///
    /// The client sends a request at once with this token and calls
    /// [`access_token`](TokenProvider::access_token) only when it returns `None`, which is
    /// the default.
    fn cached_token(&self) -> Option<Secret> {
        None
    }

    /// Reports whether requests carry a token from this provider at all. Only
    /// [`Anonymous`] returns `false`: its requests go out without an `Authorization` header,
    /// for the services' public routes.
    fn sends_tokens(&self) -> bool {
        true
    }
}

/// A fixed bearer token, for callers who manage tokens themselves.
///
/// It cannot be refreshed: a request refused with HTTP 401 fails with that error.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// Wraps a token.
    pub fn new(token: impl Into<Secret>) -> Self {
        StaticToken(token.into())
    }
}

#[async_trait]
impl TokenProvider for StaticToken {
    async fn access_token(&self) -> Result<Secret, Error> {
        Ok(self.0.clone())
    }

    fn cached_token(&self) -> Option<Secret> {
        Some(self.0.clone())
    }

    async fn refresh(&self, _rejected: &Secret) -> Result<Secret, Error> {
        Err(Error::sign_in(
            "the service rejected the static bearer token; supply a new token or use a sign-in method that can refresh",
        ))
    }
}

/// No token at all: requests go without an `Authorization` header, and routes that need
/// one return HTTP 401 `Not authenticated`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anonymous;

#[async_trait]
impl TokenProvider for Anonymous {
    async fn access_token(&self) -> Result<Secret, Error> {
        Err(Error::sign_in(
            "no sign-in method is configured; choose one (device flow, offline token, client credentials or a static token)",
        ))
    }

    async fn refresh(&self, _rejected: &Secret) -> Result<Secret, Error> {
        self.access_token().await
    }

    fn sends_tokens(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_redacted() {
        let secret = Secret::new("eyJhbGciOiJSUzI1NiJ9.payload.signature");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{secret}"), "<redacted>");
        let token = StaticToken::new(secret.clone());
        assert!(!format!("{token:?}").contains("eyJ"));
        assert_eq!(secret.expose(), "eyJhbGciOiJSUzI1NiJ9.payload.signature");
    }
}
