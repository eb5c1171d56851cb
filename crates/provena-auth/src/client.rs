//! The user-facing auth API client: construction, service information and access checks.
//!
//! The other operations are in `access.rs` (access requests), `groups.rs` (user groups)
//! and `links.rs` (user-to-person links), each as more `impl AuthClient` blocks.

use std::collections::BTreeMap;

use bytes::Bytes;
use provena_http::http::StatusCode;
use provena_http::{ApiError, Error, HttpClient, Operation};
use provena_models::Status;

use crate::AccessCheck;
use crate::operations;

/// A client for the auth API: access requests, user groups and user-to-person links.
///
/// Methods named `admin_*` need the `sys-admin-read` role to read and `sys-admin-write`
/// to change; deleting a group or an access request needs `sys-admin-admin`. Provena
/// rejects a caller without the role with HTTP 401, which arrives as
/// [`Error::Unauthorized`].
///
/// Answers the service reports as failed (HTTP 200 with `status.success = false`, such as
/// describing an unknown group) arrive as [`Error::Unsuccessful`] carrying the service's
/// explanation, except where a method documents otherwise.
///
/// Cloning is cheap: every clone shares the [`HttpClient`] and its connection pool.
#[derive(Debug, Clone)]
pub struct AuthClient {
    pub(crate) http: HttpClient,
}

impl AuthClient {
    /// Wraps an HTTP client configured for the deployment.
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    /// Returns the HTTP client, for the functions in [`operations`].
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Returns the service's greeting, a small map that shows it is up.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request.
    pub async fn service_info(&self) -> Result<BTreeMap<String, String>, Error> {
        operations::root(&self.http).await
    }

    /// Downloads the service's configuration file (admin only). With `required_only`, only
    /// the settings without defaults are listed.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] for callers without the admin role, or any other [`Error`].
    pub async fn config_file(&self, required_only: bool) -> Result<String, Error> {
        operations::generate_config_file(&self.http, required_only).await
    }

    /// Asks the service to raise a test error for its error reporting (needs the admin read
    /// and write roles). With monitoring off, the service raises nothing and returns a
    /// message saying so.
    ///
    /// # Errors
    ///
    /// A deployment with monitoring on returns [`Error::Server`] on purpose.
    pub async fn test_error_reporting(&self) -> Result<Option<BTreeMap<String, String>>, Error> {
        operations::test_sentry_reporting(&self.http).await
    }

    /// Checks that the caller is signed in, and returns the user the service identified.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the token is missing or invalid.
    pub async fn check_general_access(&self) -> Result<AccessCheck, Error> {
        operations::check_general_access(&self.http).await
    }

    /// Checks that the service accepts requests without a token.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request, or [`Error::Unsuccessful`].
    pub async fn check_public_access(&self) -> Result<Status, Error> {
        let status = operations::check_public_access(&self.http).await?;
        ensure_success(&operations::CHECK_PUBLIC_ACCESS, &status)?;
        Ok(status)
    }
}

/// Turns a `status.success = false` response to `operation` into [`Error::Unsuccessful`].
pub(crate) fn ensure_success(operation: &Operation, status: &Status) -> Result<(), Error> {
    if status.success {
        return Ok(());
    }
    Err(Error::Unsuccessful(Box::new(ApiError {
        service: operation.service,
        method: operation.method.clone(),
        path: operation.path.to_owned(),
        status: StatusCode::OK,
        detail: status.details.clone(),
        body: Bytes::new(),
    })))
}

/// Rejects an empty or blank argument before anything is sent.
pub(crate) fn non_empty(field: &str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        return Err(Error::config(
            field,
            value,
            format!("`{field}` must not be empty"),
        ));
    }
    Ok(())
}
