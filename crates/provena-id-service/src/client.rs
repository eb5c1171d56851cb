//! The user-facing handle service client.

use std::collections::BTreeMap;

use provena_http::{Error, HttpClient};
use provena_models::{
    AddValueIndexRequest, AddValueRequest, Handle, MintRequest, ModifyRequest, RemoveRequest,
    ValueType,
};

use crate::AccessCheck;
use crate::operations;

/// A client for the handle service, which mints persistent identifiers (handles such as
/// `10378.1/1690000`) and edits the indexed values stored under them.
///
/// Cloning is cheap: every clone shares the [`HttpClient`] and its connection pool, so
/// build one and pass clones around.
///
/// Handle values live at positive indexes. [`mint`](Self::mint) stores the first value at
/// index 1 and [`add_value`](Self::add_value) uses the next free index.
#[derive(Debug, Clone)]
pub struct HandleClient {
    http: HttpClient,
}

impl HandleClient {
    /// Wraps an HTTP client configured for the deployment.
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    /// Returns the HTTP client, for the functions in [`operations`].
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Mints a new handle with `value` at index 1.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `value` is empty; [`Error::Unauthorized`] when the caller lacks
    /// the `handle-write` role; any other [`Error`] from the request.
    pub async fn mint(
        &self,
        value_type: ValueType,
        value: impl Into<String>,
    ) -> Result<Handle, Error> {
        let value = non_empty("value", value.into())?;
        operations::mint(&self.http, &MintRequest { value_type, value }).await
    }

    /// Reads the handle `id` with all its values.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `id` is empty. The service returns HTTP 500 for an unknown
    /// handle, which arrives as [`Error::Server`] with the upstream message in its detail.
    pub async fn get(&self, id: &str) -> Result<Handle, Error> {
        let id = non_empty("id", id.to_owned())?;
        operations::get(&self.http, &id).await
    }

    /// Lists the ids of every handle on the deployment's handle prefix.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request.
    pub async fn list(&self) -> Result<Vec<String>, Error> {
        Ok(operations::list(&self.http).await?.ids)
    }

    /// Adds `value` to handle `id` at the next free index, and returns the updated handle.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `id` or `value` is empty; any other [`Error`] from the request.
    pub async fn add_value(
        &self,
        id: &str,
        value_type: ValueType,
        value: impl Into<String>,
    ) -> Result<Handle, Error> {
        let request = AddValueRequest {
            id: non_empty("id", id.to_owned())?,
            value_type,
            value: non_empty("value", value.into())?,
        };
        operations::add_value(&self.http, &request).await
    }

    /// Adds `value` to handle `id` at `index`, which must be free, and returns the updated
    /// handle.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `id` or `value` is empty or `index` is 0; the service rejects
    /// an index already in use.
    pub async fn add_value_by_index(
        &self,
        id: &str,
        index: u32,
        value_type: ValueType,
        value: impl Into<String>,
    ) -> Result<Handle, Error> {
        let request = AddValueIndexRequest {
            id: non_empty("id", id.to_owned())?,
            index: positive_index(index)?,
            value_type,
            value: non_empty("value", value.into())?,
        };
        operations::add_value_by_index(&self.http, &request).await
    }

    /// Replaces the value at `index` of handle `id`, keeping its type, and returns the
    /// updated handle.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `id` or `value` is empty or `index` is 0; the service rejects
    /// an index without a value.
    pub async fn modify_by_index(
        &self,
        id: &str,
        index: u32,
        value: impl Into<String>,
    ) -> Result<Handle, Error> {
        let request = ModifyRequest {
            id: non_empty("id", id.to_owned())?,
            index: positive_index(index)?,
            value: non_empty("value", value.into())?,
        };
        operations::modify_by_index(&self.http, &request).await
    }

    /// Removes the value at `index` of handle `id`, and returns the updated handle.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `id` is empty or `index` is 0; the service rejects an index
    /// without a value.
    pub async fn remove_by_index(&self, id: &str, index: u32) -> Result<Handle, Error> {
        let request = RemoveRequest {
            id: non_empty("id", id.to_owned())?,
            index: positive_index(index)?,
        };
        operations::remove_by_index(&self.http, &request).await
    }

    /// Checks that the caller is signed in, and returns the user the service identified.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the token is missing or invalid.
    pub async fn check_general_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_GENERAL_ACCESS).await
    }

    /// Checks that the caller has the `handle-read` role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks the role.
    pub async fn check_read_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_READ_ACCESS).await
    }

    /// Checks that the caller has the `handle-read` and `handle-write` roles.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks a role.
    pub async fn check_write_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_WRITE_ACCESS).await
    }

    /// Checks that the caller has the handle service's read, write and admin roles.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks a role.
    pub async fn check_admin_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_ADMIN_ACCESS).await
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
}

/// Rejects an empty or blank argument before anything is sent.
fn non_empty(field: &str, value: String) -> Result<String, Error> {
    if value.trim().is_empty() {
        return Err(Error::config(
            field,
            value,
            format!("`{field}` must not be empty"),
        ));
    }
    Ok(value)
}

/// Rejects index 0: handle values live at indexes 1 and above.
fn positive_index(index: u32) -> Result<i64, Error> {
    if index == 0 {
        return Err(Error::config(
            "index",
            "0",
            "handle value indexes start at 1",
        ));
    }
    Ok(i64::from(index))
}
