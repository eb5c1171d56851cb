//! The registry operations outside the item subtype families: the service root, admin,
//! check-access and the general (untyped) item routes.

use bytes::Bytes;
use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::{
    GeneralListRequest, PaginatedListResponse, ProvGraphRestoreRequest, ProvGraphRestoreResponse,
    RegistryExportResponse, RegistryImportRequest, RegistryImportResponse, RegistryRestoreRequest,
    StatusResponse, UntypedFetchResponse, User, VersionDetails,
};

/// `GET /`: the service's greeting.
pub const ROOT: Operation = Operation::get(Service::Registry, "root", "/");
/// `GET /admin/config`: the service's settings as a `.env` file (admin).
pub const GENERATE_CONFIG_FILE: Operation =
    Operation::get(Service::Registry, "generate_config_file", "/admin/config");
/// `GET /admin/export`: every item with its access settings and lock state (admin).
pub const ADMIN_EXPORT: Operation =
    Operation::get(Service::Registry, "registry_admin_export", "/admin/export");
/// `POST /admin/import`: loads exported items (admin).
pub const ADMIN_IMPORT: Operation =
    Operation::post(Service::Registry, "registry_admin_import", "/admin/import");
/// `POST /admin/restore-prov-graph`: rebuilds the provenance graph from items (admin).
pub const ADMIN_RESTORE_PROV_GRAPH: Operation = Operation::post(
    Service::Registry,
    "registry_admin_restore_prov_graph",
    "/admin/restore-prov-graph",
);
/// `POST /admin/restore_from_table`: loads items from other storage tables (admin).
pub const ADMIN_RESTORE: Operation = Operation::post(
    Service::Registry,
    "registry_admin_restore",
    "/admin/restore_from_table",
);
/// `GET /admin/sentry-debug`: raises a server error on purpose to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation = Operation::get(
    Service::Registry,
    "test_sentry_reporting",
    "/admin/sentry-debug",
);
/// `GET /check-access/check-admin-access`.
pub const CHECK_ADMIN_ACCESS: Operation = Operation::get(
    Service::Registry,
    "check_admin_access",
    "/check-access/check-admin-access",
);
/// `GET /check-access/check-general-access`.
pub const CHECK_GENERAL_ACCESS: Operation = Operation::get(
    Service::Registry,
    "check_general_access",
    "/check-access/check-general-access",
);
/// `GET /check-access/check-read-access`.
pub const CHECK_READ_ACCESS: Operation = Operation::get(
    Service::Registry,
    "check_read_access",
    "/check-access/check-read-access",
);
/// `GET /check-access/check-write-access`.
pub const CHECK_WRITE_ACCESS: Operation = Operation::get(
    Service::Registry,
    "check_write_access",
    "/check-access/check-write-access",
);
/// `GET /registry/general/about/version`: the deployed release.
pub const VERSION: Operation = Operation::get(
    Service::Registry,
    "version",
    "/registry/general/about/version",
);
/// `DELETE /registry/general/delete`: deletes an item of any subtype (hidden, admin only).
pub const GENERAL_DELETE: Operation =
    Operation::delete(Service::Registry, "delete", "/registry/general/delete");
/// `GET /registry/general/fetch`: fetches an item of any subtype.
pub const GENERAL_FETCH: Operation =
    Operation::get(Service::Registry, "fetch", "/registry/general/fetch");
/// `POST /registry/general/list`: lists items of every subtype.
pub const GENERAL_LIST: Operation =
    Operation::post_safe(Service::Registry, "list", "/registry/general/list");
/// `GET /registry/general/proxy/fetch`: fetches an item on behalf of a user (hidden,
/// service accounts only).
pub const GENERAL_PROXY_FETCH: Operation = Operation::get(
    Service::Registry,
    "proxy_fetch",
    "/registry/general/proxy/fetch",
);

/// Sends `GET /` and returns the greeting map.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn root(http: &HttpClient) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    http.call(&ROOT).send_json().await
}

/// Downloads the service's settings as `.env` text; `required_only` limits it to the
/// settings without a default.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the admin role.
pub async fn generate_config_file(http: &HttpClient, required_only: bool) -> Result<Bytes, Error> {
    http.call(&GENERATE_CONFIG_FILE)
        .query("required_only", required_only)
        .send_bytes()
        .await
}

/// Exports every item with its access settings and lock state.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the admin role.
pub async fn admin_export(http: &HttpClient) -> Result<RegistryExportResponse, Error> {
    http.call(&ADMIN_EXPORT).send_json().await
}

/// Imports exported items. With `trial_mode` the service only reports what it would do.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the admin role.
pub async fn admin_import(
    http: &HttpClient,
    request: &RegistryImportRequest,
) -> Result<RegistryImportResponse, Error> {
    http.call(&ADMIN_IMPORT).json(request).send_json().await
}

/// Rebuilds the provenance graph from the given items.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the admin role.
pub async fn admin_restore_prov_graph(
    http: &HttpClient,
    request: &ProvGraphRestoreRequest,
) -> Result<ProvGraphRestoreResponse, Error> {
    http.call(&ADMIN_RESTORE_PROV_GRAPH)
        .json(request)
        .send_json()
        .await
}

/// Loads items from the named storage tables.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the admin role.
pub async fn admin_restore(
    http: &HttpClient,
    request: &RegistryRestoreRequest,
) -> Result<RegistryImportResponse, Error> {
    http.call(&ADMIN_RESTORE).json(request).send_json().await
}

/// Calls the error-reporting test route. A deployment with error monitoring raises a server
/// error on purpose; one without returns a message saying so.
///
/// # Errors
///
/// [`Error::Server`] when the deployment raised the test error.
pub async fn test_sentry_reporting(http: &HttpClient) -> Result<serde_json::Value, Error> {
    http.call(&TEST_SENTRY_REPORTING).send_json().await
}

/// Checks one of the four access levels and returns the caller as the service identifies them.
///
/// # Errors
///
/// HTTP 401 when the caller lacks the level's role.
pub async fn check_access(http: &HttpClient, operation: &Operation) -> Result<User, Error> {
    http.call(operation).send_json().await
}

/// Returns the deployed release.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn version(http: &HttpClient) -> Result<VersionDetails, Error> {
    http.call(&VERSION).send_json().await
}

/// Deletes an item of any subtype. The service reports success for unknown ids too.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the admin role.
pub async fn general_delete(http: &HttpClient, id: &str) -> Result<StatusResponse, Error> {
    http.call(&GENERAL_DELETE).query("id", id).send_json().await
}

/// Fetches an item of any subtype. The response is returned even when `status.success` is
/// `false` (an unknown id), so the caller can tell a missing item from a failure.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn general_fetch(http: &HttpClient, id: &str) -> Result<UntypedFetchResponse, Error> {
    http.call(&GENERAL_FETCH)
        .query("id", id)
        .send_json_unchecked()
        .await
}

/// Fetches an item of any subtype on behalf of `username`. Returned unchecked, like
/// [`general_fetch`].
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for callers that are not service accounts.
pub async fn general_proxy_fetch(
    http: &HttpClient,
    id: &str,
    username: &str,
) -> Result<UntypedFetchResponse, Error> {
    http.call(&GENERAL_PROXY_FETCH)
        .query("id", id)
        .query("username", username)
        .send_json_unchecked()
        .await
}

/// Lists one page of items of every subtype.
///
/// # Errors
///
/// Any [`Error`] of the request, and [`Error::Unsuccessful`] when `status.success` is
/// `false`.
pub async fn general_list(
    http: &HttpClient,
    request: &GeneralListRequest,
) -> Result<PaginatedListResponse, Error> {
    http.call(&GENERAL_LIST).json(request).send_json().await
}
