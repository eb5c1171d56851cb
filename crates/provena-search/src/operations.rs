//! One constant per operation of the search service's API document, and one function per
//! operation that sends the request and decodes the response.
//!
//! These are the low-level building blocks of [`SearchClient`](crate::SearchClient): they
//! send what they are given without checking arguments.

use std::collections::BTreeMap;

use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::{ItemSubType, QueryResults};
use serde::Serialize;

use crate::AccessCheck;

/// `GET /`: the service's greeting.
pub const ROOT: Operation = Operation::get(Service::Search, "root", "/");
/// `GET /admin/config`: the service's configuration as a text file (admin only).
pub const GENERATE_CONFIG_FILE: Operation =
    Operation::get(Service::Search, "generate_config_file", "/admin/config");
/// `GET /admin/sentry-debug`: raises an error on purpose to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation = Operation::get(
    Service::Search,
    "test_sentry_reporting",
    "/admin/sentry-debug",
);
/// `GET /check-access/check-admin-access`: succeeds when the caller has the admin role.
pub const CHECK_ADMIN_ACCESS: Operation = Operation::get(
    Service::Search,
    "check_admin_access",
    "/check-access/check-admin-access",
);
/// `GET /check-access/check-general-access`: succeeds for any signed-in caller.
pub const CHECK_GENERAL_ACCESS: Operation = Operation::get(
    Service::Search,
    "check_general_access",
    "/check-access/check-general-access",
);
/// `GET /check-access/check-read-access`: succeeds when the caller has the read role.
pub const CHECK_READ_ACCESS: Operation = Operation::get(
    Service::Search,
    "check_read_access",
    "/check-access/check-read-access",
);
/// `GET /check-access/check-write-access`: succeeds when the caller has the write role.
pub const CHECK_WRITE_ACCESS: Operation = Operation::get(
    Service::Search,
    "check_write_access",
    "/check-access/check-write-access",
);
/// `GET /search/entity-registry`: ranked search over registry items.
pub const SEARCH_ENTITY_REGISTRY: Operation = Operation::get(
    Service::Search,
    "search_entity_registry",
    "/search/entity-registry",
);

/// Every operation of the search service's API document.
pub const ALL: &[&Operation] = &[
    &ROOT,
    &GENERATE_CONFIG_FILE,
    &TEST_SENTRY_REPORTING,
    &CHECK_ADMIN_ACCESS,
    &CHECK_GENERAL_ACCESS,
    &CHECK_READ_ACCESS,
    &CHECK_WRITE_ACCESS,
    &SEARCH_ENTITY_REGISTRY,
];

/// The query parameters of [`SEARCH_ENTITY_REGISTRY`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchParams<'a> {
    /// The search text.
    pub query: &'a str,
    /// Only return items of this subtype.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtype_filter: Option<&'a ItemSubType>,
    /// The maximum number of results. The service uses its default when absent and caps
    /// larger values at its maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_limit: Option<u32>,
}

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

/// Sends [`SEARCH_ENTITY_REGISTRY`].
///
/// # Errors
///
/// [`Error::Unsuccessful`] when the service reports `status.success = false`, or any other
/// [`Error`] from the request or the response.
pub async fn search_entity_registry(
    http: &HttpClient,
    params: &SearchParams<'_>,
) -> Result<QueryResults, Error> {
    http.call(&SEARCH_ENTITY_REGISTRY)
        .query_struct(params)
        .send_json()
        .await
}
