//! A client for Provena's search service: ranked search over registry items, and loading
//! the full items behind the hits.
//!
//! [`SearchClient`] is the user-facing client. The [`operations`] module has one
//! [`Operation`](provena_http::Operation) constant per API operation and the functions that
//! send them.
//!
//! ```no_run
//! use provena_search::{ItemSubType, SearchClient};
//!
//! # async fn run(http: provena_http::HttpClient) -> Result<(), provena_search::Error> {
//! let search = SearchClient::new(http);
//! let results = search
//!     .search("coral reef")
//!     .subtype(ItemSubType::Dataset)
//!     .record_limit(20)
//!     .send()
//!     .await?;
//! let loaded = search.load_items(&results.hits).await?;
//! for item in &loaded.items {
//!     println!("{} {:.2}", item.id, item.score);
//! }
//! for gone in &loaded.missing {
//!     println!("{} no longer resolves: {}", gone.id, gone.details);
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod load;
pub mod operations;

pub use client::{DEFAULT_FETCH_CONCURRENCY, SearchClient, SearchRequest, SearchResults};
pub use load::{LoadedItem, LoadedItems, MissingItem, REGISTRY_GENERAL_FETCH};
pub use provena_http::Error;
pub use provena_models::{ItemSubType, QueryResult};

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
