//! Sign-in for provena-rs: OpenID Connect against Provena's Keycloak realm.
//!
//! [`SignIn`] chooses a method (device flow, offline token, client credentials or a static
//! token) and builds a [`Session`], the [`provena_http::TokenProvider`] that the SDK's HTTP
//! client asks for a token before each request. The session discovers the issuer, validates
//! access tokens against its key set, renews them before they expire (one request however
//! many callers wait), keeps rotated refresh tokens, and stores device-flow sign-ins in a
//! [`TokenStore`].
//!
//! Requests to the issuer go through [`provena_http::HttpClient`], so sign-in shares the
//! SDK's connection pool, TLS setup and timeouts.
//!
//! ```no_run
//! use provena_http::{Config, HttpClient};
//! use provena_oidc::SignIn;
//!
//! # async fn run() -> Result<(), provena_http::Error> {
//! let config = Config::builder().domain("provena.example.org").realm("provena").build()?;
//! let issuer_client = HttpClient::anonymous(config)?;
//! let session = SignIn::new(&issuer_client)
//!     .offline_token_env("PROVENA_OFFLINE_TOKEN")
//!     .build()?;
//! let client = issuer_client.with_tokens(session.into_provider());
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! Errors are [`provena_http::Error::SignIn`]; [`SignInError::find`] returns the failure
//! kind, such as [`SignInError::AccessDenied`] or [`SignInError::RefreshTokenRejected`].
//! Set `RUST_LOG=provena_oidc=debug` to log each sign-in step; tokens and codes are never
//! logged.
//!
//! # Features
//!
//! - `open-browser`: adds `BrowserPrompt`, which opens the device flow's verification page
//!   in the default browser as well as printing it, and makes it the default prompt of
//!   [`SignIn`]. A browser that fails to start is logged at debug level and never fails the
//!   sign-in.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod error;
mod issuer;
mod prompt;
mod session;
mod sign_in;
mod store;
mod transport;

pub use error::SignInError;
pub use issuer::{AccessTokenClaims, Issuer};
#[cfg(feature = "open-browser")]
pub use prompt::BrowserPrompt;
pub use prompt::{DeviceCodePrompt, DevicePrompt, StderrPrompt};
pub use session::Session;
pub use sign_in::{DEFAULT_CLIENT_ID, DEFAULT_REFRESH_WINDOW, SignIn};
pub use store::{FileTokenStore, MemoryTokenStore, StoreKey, StoredTokens, TokenStore};
