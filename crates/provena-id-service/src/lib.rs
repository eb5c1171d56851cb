//! A client for Provena's handle service (the id-service), which mints persistent
//! identifiers and edits the indexed values stored under them.
//!
//! [`HandleClient`] is the user-facing client. The [`operations`] module has one
//! [`Operation`](provena_http::Operation) constant per API operation and the functions that
//! send them.
//!
//! ```no_run
//! use provena_id_service::{HandleClient, ValueType};
//!
//! # async fn run(http: provena_http::HttpClient) -> Result<(), provena_id_service::Error> {
//! let handles = HandleClient::new(http);
//! let handle = handles.mint(ValueType::Url, "https://example.org/landing").await?;
//! let handle = handles.add_value(&handle.id, ValueType::Desc, "landing page").await?;
//! assert_eq!(handle.properties.len(), 2);
//! # Ok(())
//! # }
//! ```

mod client;
pub mod operations;

pub use client::HandleClient;
pub use provena_http::Error;
pub use provena_models::{Handle, HandleProperty, ValueType};

use serde::Deserialize;

/// The user a `check-access` operation identified: username, email and realm roles.
///
/// The service also echoes the caller's access token; it is dropped while decoding so it
/// cannot end up in logs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccessCheck {
    /// The caller's username.
    pub username: String,
    /// The caller's email, when the token carries one.
    #[serde(default)]
    pub email: Option<String>,
    /// The caller's realm roles.
    #[serde(default)]
    pub roles: Vec<String>,
}
