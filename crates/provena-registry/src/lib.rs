//! Client for the Provena registry: the catalogue of organisations, people, models,
//! datasets, templates, model runs, studies and the activities linking them.
//!
//! [`RegistryClient`] is the entry point. Each item subtype has an accessor returning a
//! generic [`ItemClient`] whose methods follow what that subtype serves:
//!
//! - every subtype: `fetch`, `fetch_opt` (`None` for a missing id), `list` (a lazy
//!   [`Stream`](futures::Stream) following the pagination key), `schema`, `ui_schema`,
//!   `validate`, locks, access settings and roles;
//! - organisations, people, models, templates and studies: `create`, `seed`, `update` with
//!   a reason, `revert` to a history entry; models and templates also `version`;
//! - datasets and model runs: only the `proxy_` forms, for the datastore's and prov store's
//!   service accounts, because users change those through the datastore and prov store.
//!
//! A method a subtype lacks does not exist for it, so `registry.datasets().create(..)` does
//! not compile.
//!
//! ```no_run
//! # async fn run(http: provena_http::HttpClient) -> Result<(), provena_http::Error> {
//! use provena_models::OrganisationDomainInfo;
//! use provena_registry::RegistryClient;
//!
//! let registry = RegistryClient::new(http);
//! let created = registry
//!     .organisations()
//!     .create(&OrganisationDomainInfo {
//!         display_name: "Example Institute".into(),
//!         name: "Example Institute".into(),
//!         ror: None,
//!         user_metadata: None,
//!     })
//!     .await?;
//! let id = created.item.id.clone();
//! if let Some(record) = registry.organisations().fetch_opt(&id).await? {
//!     assert!(!record.is_seed());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Errors are [`provena_http::Error`]. The registry returns HTTP 401 for every rejection: a
//! missing role, editing another user's item, and editing a locked item; the error's
//! [`detail`](Error::detail) distinguishes them. [`operations`] holds one constant per API
//! operation, hidden ones included, and the functions the clients are built on.

mod check;
mod client;
mod items;
mod listing;
pub mod operations;
mod paging;

pub use client::{AccessCheck, AccessLevel, AdminClient, RegistryClient, SubtypeCounts};
pub use items::{Created, ItemClient, ListBuilder, Record, RecordPage};
pub use listing::{ListOptions, ReviewListOptions};
pub use operations::item::ProxyUpdateOptions;
pub use paging::{ListStream, Page};
pub use provena_http::Error;
pub use provena_models::kinds;
