//! One constant per operation of the handle service's API document, and one function per
//! operation that sends the request and decodes the response.
//!
//! These are the low-level building blocks of [`HandleClient`](crate::HandleClient): they
//! take the request body as the API document defines it and return the response body as
//! is, without checking arguments.

use std::collections::BTreeMap;

use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::{
    AddValueIndexRequest, AddValueRequest, Handle, ListResponse, MintRequest, ModifyRequest,
    RemoveRequest,
};

use crate::AccessCheck;

/// `GET /`: the service's greeting.
pub const ROOT: Operation = Operation::get(Service::IdService, "root", "/");
/// `GET /admin/config`: the service's configuration as a text file (admin only).
pub const GENERATE_CONFIG_FILE: Operation =
    Operation::get(Service::IdService, "generate_config_file", "/admin/config");
/// `GET /admin/sentry-debug`: raises an error on purpose to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation = Operation::get(
    Service::IdService,
    "test_sentry_reporting",
    "/admin/sentry-debug",
);
/// `GET /check-access/check-admin-access`: succeeds when the caller has the admin role.
pub const CHECK_ADMIN_ACCESS: Operation = Operation::get(
    Service::IdService,
    "check_admin_access",
    "/check-access/check-admin-access",
);
/// `GET /check-access/check-general-access`: succeeds for any signed-in caller.
pub const CHECK_GENERAL_ACCESS: Operation = Operation::get(
    Service::IdService,
    "check_general_access",
    "/check-access/check-general-access",
);
/// `GET /check-access/check-read-access`: succeeds when the caller has the read role.
pub const CHECK_READ_ACCESS: Operation = Operation::get(
    Service::IdService,
    "check_read_access",
    "/check-access/check-read-access",
);
/// `GET /check-access/check-write-access`: succeeds when the caller has the write role.
pub const CHECK_WRITE_ACCESS: Operation = Operation::get(
    Service::IdService,
    "check_write_access",
    "/check-access/check-write-access",
);
/// `POST /handle/add_value`: adds a value at the next free index.
pub const ADD_VALUE: Operation =
    Operation::post(Service::IdService, "add_value", "/handle/add_value");
/// `POST /handle/add_value_by_index`: adds a value at a given free index.
pub const ADD_VALUE_BY_INDEX: Operation = Operation::post(
    Service::IdService,
    "add_value_by_index",
    "/handle/add_value_by_index",
);
/// `GET /handle/get`: reads one handle.
pub const GET: Operation = Operation::get(Service::IdService, "get", "/handle/get");
/// `GET /handle/list`: lists every handle id.
pub const LIST: Operation = Operation::get(Service::IdService, "list", "/handle/list");
/// `POST /handle/mint`: creates a handle with one value at index 1.
pub const MINT: Operation = Operation::post(Service::IdService, "mint", "/handle/mint");
/// `PUT /handle/modify_by_index`: replaces the value at an existing index.
pub const MODIFY_BY_INDEX: Operation = Operation::put(
    Service::IdService,
    "modify_by_index",
    "/handle/modify_by_index",
);
/// `POST /handle/remove_by_index`: removes the value at an existing index.
pub const REMOVE_BY_INDEX: Operation = Operation::post(
    Service::IdService,
    "remove_by_index",
    "/handle/remove_by_index",
);

/// Every operation of the handle service's API document.
pub const ALL: &[&Operation] = &[
    &ROOT,
    &GENERATE_CONFIG_FILE,
    &TEST_SENTRY_REPORTING,
    &CHECK_ADMIN_ACCESS,
    &CHECK_GENERAL_ACCESS,
    &CHECK_READ_ACCESS,
    &CHECK_WRITE_ACCESS,
    &ADD_VALUE,
    &ADD_VALUE_BY_INDEX,
    &GET,
    &LIST,
    &MINT,
    &MODIFY_BY_INDEX,
    &REMOVE_BY_INDEX,
];

/// Sends [`ROOT`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn root(http: &HttpClient) -> Result<BTreeMap<String, String>, Error> {
    http.call(&ROOT).send_json().await
}

/// Sends [`GENERATE_CONFIG_FILE`] and returns the file's text.
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn generate_config_file(http: &HttpClient, required_only: bool) -> Result<String, Error> {
    http.call(&GENERATE_CONFIG_FILE)
        .query("required_only", required_only)
        .send()
        .await?
        .error_for_status()?
        .text()
}

/// Sends [`TEST_SENTRY_REPORTING`].
///
/// # Errors
///
/// Any [`Error`]. A deployment with monitoring on returns HTTP 500 on purpose.
pub async fn test_sentry_reporting(
    http: &HttpClient,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    http.call(&TEST_SENTRY_REPORTING).send_json().await
}

/// Sends one of the four `check-access` operations.
///
/// # Errors
///
/// [`Error::Unauthorized`] when the caller lacks the role, or any other [`Error`].
pub async fn check_access(http: &HttpClient, operation: &Operation) -> Result<AccessCheck, Error> {
    http.call(operation).send_json().await
}

/// Sends [`MINT`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn mint(http: &HttpClient, request: &MintRequest) -> Result<Handle, Error> {
    http.call(&MINT).json(request).send_json().await
}

/// Sends [`GET`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn get(http: &HttpClient, id: &str) -> Result<Handle, Error> {
    http.call(&GET).query("id", id).send_json().await
}

/// Sends [`LIST`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn list(http: &HttpClient) -> Result<ListResponse, Error> {
    http.call(&LIST).send_json().await
}

/// Sends [`ADD_VALUE`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn add_value(http: &HttpClient, request: &AddValueRequest) -> Result<Handle, Error> {
    http.call(&ADD_VALUE).json(request).send_json().await
}

/// Sends [`ADD_VALUE_BY_INDEX`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn add_value_by_index(
    http: &HttpClient,
    request: &AddValueIndexRequest,
) -> Result<Handle, Error> {
    http.call(&ADD_VALUE_BY_INDEX)
        .json(request)
        .send_json()
        .await
}

/// Sends [`MODIFY_BY_INDEX`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn modify_by_index(http: &HttpClient, request: &ModifyRequest) -> Result<Handle, Error> {
    http.call(&MODIFY_BY_INDEX).json(request).send_json().await
}

/// Sends [`REMOVE_BY_INDEX`].
///
/// # Errors
///
/// Any [`Error`] from the request or the response.
pub async fn remove_by_index(http: &HttpClient, request: &RemoveRequest) -> Result<Handle, Error> {
    http.call(&REMOVE_BY_INDEX).json(request).send_json().await
}
