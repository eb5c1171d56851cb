//! A client for Provena's auth API: access requests, user groups and user-to-person
//! links. Signing in is a separate crate, `provena-oidc`.
//!
//! [`AuthClient`] is the user-facing client. The [`operations`] module has one
//! [`Operation`](provena_http::Operation) constant per API operation and the functions that
//! send them.
//!
//! ```no_run
//! use provena_auth::AuthClient;
//!
//! # async fn run(http: provena_http::HttpClient) -> Result<(), provena_auth::Error> {
//! let auth = AuthClient::new(http);
//! if auth.linked_person().await?.is_none() {
//!     auth.link_person("10378.1/1690000").await?;
//! }
//! for group in auth.my_groups().await? {
//!     println!("{}: {}", group.id, group.display_name);
//! }
//! # Ok(())
//! # }
//! ```

mod access;
mod client;
mod groups;
mod links;
pub mod operations;

pub use access::ChangeRequestState;
pub use client::AuthClient;
pub use links::AdminLink;
pub use provena_http::Error;
pub use provena_models::{
    AccessReport, ChangeStateStatus, GroupUser, GroupsImportRequest, GroupsImportResponse,
    GroupsRestoreRequest, ImportMode, RequestAccessTableItem, RequestStatus, Status, UserGroup,
    UserGroupMetadata,
};

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
