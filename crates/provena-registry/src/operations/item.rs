//! The item subtype operations, generic over the subtype marker.
//!
//! `K` is one of the markers in [`provena_models::kinds`], such as
//! [`kinds::Model`](provena_models::kinds::Model). A function for an optional route needs
//! the matching route trait, so `create::<kinds::Dataset>` does not compile: datasets are
//! created through the datastore, which calls [`proxy_create`].

use provena_http::{Error, HttpClient};
use provena_models::kinds::{Creatable, Seedable};
use provena_models::{
    AccessSettings, AuthRolesResponse, DescribeAccessResponse, ItemRevertRequest,
    ItemRevertResponse, JsonSchemaResponse, ListUserReviewingDatasetsRequest, LockChangeRequest,
    LockHistoryResponse, LockStatusResponse, PaginatedDatasetListResponse, StatusResponse,
    SubtypeListRequest, UiSchemaResponse, UpdateResponse, VersionRequest, VersionResponse,
};

use super::routes::{
    CreateRoute, ProxyCreateRoute, ProxyRevertRoute, ProxySeedRoute, ProxyUpdateRoute,
    ProxyVersionRoute, RevertRoute, SeedRoute, SubtypeRoutes, UpdateRoute, VersionRoute,
};

/// Fetches one item. The response is returned even when `status.success` is `false`: the
/// registry responds that way, with `item: null`, for an unknown id.
///
/// `seed_allowed` lets the response carry a seed item instead of failing on one.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn fetch<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
    seed_allowed: Option<bool>,
) -> Result<K::FetchResponse, Error> {
    http.call(K::OPERATIONS.fetch)
        .query("id", id)
        .query_opt("seed_allowed", seed_allowed)
        .send_json_unchecked()
        .await
}

/// Fetches one item on behalf of a user (service accounts only). Returned unchecked, like
/// [`fetch`].
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for other callers.
pub async fn proxy_fetch<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
    seed_allowed: Option<bool>,
) -> Result<K::FetchResponse, Error> {
    http.call(K::OPERATIONS.proxy_fetch)
        .query("id", id)
        .query_opt("seed_allowed", seed_allowed)
        .send_json_unchecked()
        .await
}

/// Lists one page. Returned unchecked: the registry sets `status.success = false` when
/// some stored items cannot be parsed, and still returns the others.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn list<K: SubtypeRoutes>(
    http: &HttpClient,
    request: &SubtypeListRequest,
) -> Result<K::ListResponse, Error> {
    http.call(K::OPERATIONS.list)
        .json(request)
        .send_json_unchecked()
        .await
}

/// Returns the JSON schema of the subtype's domain info.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn schema<K: SubtypeRoutes>(http: &HttpClient) -> Result<JsonSchemaResponse, Error> {
    http.call(K::OPERATIONS.schema).send_json().await
}

/// Returns the form layout (UI schema) of the subtype's domain info.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn ui_schema<K: SubtypeRoutes>(http: &HttpClient) -> Result<UiSchemaResponse, Error> {
    http.call(K::OPERATIONS.ui_schema).send_json().await
}

/// Validates a domain info without storing it. Returned unchecked: `status.success` and
/// `status.details` are the verdict.
///
/// # Errors
///
/// Any [`Error`] of the request; [`Error::Validation`] when the body does not match the
/// schema at all.
pub async fn validate<K: SubtypeRoutes>(
    http: &HttpClient,
    info: &K::DomainInfo,
) -> Result<StatusResponse, Error> {
    http.call(K::OPERATIONS.validate)
        .json(info)
        .send_json_unchecked()
        .await
}

/// Returns the caller's roles on one item.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn auth_evaluate<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
) -> Result<DescribeAccessResponse, Error> {
    http.call(K::OPERATIONS.auth_evaluate)
        .query("id", id)
        .send_json()
        .await
}

/// Returns one item's access settings.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for callers without the item's admin role.
pub async fn auth_configuration<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
) -> Result<AccessSettings, Error> {
    http.call(K::OPERATIONS.auth_configuration_get)
        .query("id", id)
        .send_json()
        .await
}

/// Replaces one item's access settings.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for callers without the item's admin role.
pub async fn put_auth_configuration<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
    settings: &AccessSettings,
) -> Result<StatusResponse, Error> {
    http.call(K::OPERATIONS.auth_configuration_put)
        .query("id", id)
        .json(settings)
        .send_json()
        .await
}

/// Describes the roles an item's access settings may grant.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn auth_roles<K: SubtypeRoutes>(http: &HttpClient) -> Result<AuthRolesResponse, Error> {
    http.call(K::OPERATIONS.auth_roles).send_json().await
}

/// Locks an item against edits.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for callers without the item's admin role, HTTP
/// 400 for an unknown or already locked item.
pub async fn lock<K: SubtypeRoutes>(
    http: &HttpClient,
    request: &LockChangeRequest,
) -> Result<StatusResponse, Error> {
    http.call(K::OPERATIONS.lock)
        .json(request)
        .send_json()
        .await
}

/// Unlocks an item.
///
/// # Errors
///
/// As [`lock`], with HTTP 400 for an item that is not locked.
pub async fn unlock<K: SubtypeRoutes>(
    http: &HttpClient,
    request: &LockChangeRequest,
) -> Result<StatusResponse, Error> {
    http.call(K::OPERATIONS.unlock)
        .json(request)
        .send_json()
        .await
}

/// Returns an item's lock and unlock events.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn lock_history<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
) -> Result<LockHistoryResponse, Error> {
    http.call(K::OPERATIONS.lock_history)
        .query("id", id)
        .send_json()
        .await
}

/// Reports whether an item is locked.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn lock_status<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
) -> Result<LockStatusResponse, Error> {
    http.call(K::OPERATIONS.lock_status)
        .query("id", id)
        .send_json()
        .await
}

/// Deletes an item. The service reports success for unknown ids too.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 without the registry admin role.
pub async fn delete<K: SubtypeRoutes>(
    http: &HttpClient,
    id: &str,
) -> Result<StatusResponse, Error> {
    http.call(K::OPERATIONS.delete)
        .query("id", id)
        .send_json()
        .await
}

/// Creates an item owned by the caller.
///
/// # Errors
///
/// Any [`Error`] of the request. Creating a model, dataset template or workflow template
/// fails with HTTP 400 until the caller's account is linked to a Person.
pub async fn create<K: CreateRoute>(
    http: &HttpClient,
    info: &K::DomainInfo,
) -> Result<<K as Creatable>::CreateResponse, Error> {
    http.call(K::CREATE).json(info).send_json().await
}

/// Reserves an id for an item whose domain info comes later through an update.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn seed<K: SeedRoute>(http: &HttpClient) -> Result<<K as Seedable>::SeedResponse, Error> {
    http.call(K::SEED).send_json().await
}

/// Replaces an item's domain info. `reason` is required for complete items and ignored
/// for seed items.
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for callers who do not own the item or when it
/// is locked.
pub async fn update<K: UpdateRoute>(
    http: &HttpClient,
    id: &str,
    reason: Option<&str>,
    info: &K::DomainInfo,
) -> Result<UpdateResponse, Error> {
    http.call(K::UPDATE)
        .query("id", id)
        .query_opt("reason", reason)
        .json(info)
        .send_json()
        .await
}

/// Restores an item's domain info from one of its history entries.
///
/// # Errors
///
/// As [`update`], plus HTTP 400 for an unknown history id.
pub async fn revert<K: RevertRoute>(
    http: &HttpClient,
    request: &ItemRevertRequest,
) -> Result<ItemRevertResponse, Error> {
    http.call(K::REVERT).json(request).send_json().await
}

/// Creates a new version of an item under a new id; a job records the version activity.
///
/// # Errors
///
/// As [`update`].
pub async fn version_item<K: VersionRoute>(
    http: &HttpClient,
    request: &VersionRequest,
) -> Result<VersionResponse, Error> {
    http.call(K::VERSION).json(request).send_json().await
}

/// Flags of the proxy update route, for service accounts acting on behalf of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyUpdateOptions {
    /// The reason for the change, required for complete items.
    pub reason: Option<String>,
    /// Updates the item even when it is locked (release information on locked datasets).
    pub bypass_item_lock: bool,
    /// Records no history entry, for changes that are not user-editable information.
    pub exclude_history_update: bool,
    /// Skips the user's access check because the service account has already decided.
    pub manual_grant: bool,
}

impl ProxyUpdateOptions {
    /// Options with a reason and every flag off.
    pub fn with_reason(reason: impl Into<String>) -> Self {
        Self {
            reason: Some(reason.into()),
            ..Self::default()
        }
    }
}

/// Creates an item on behalf of a user (service accounts only).
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for other callers.
pub async fn proxy_create<K: ProxyCreateRoute>(
    http: &HttpClient,
    info: &K::DomainInfo,
) -> Result<<K as Creatable>::CreateResponse, Error> {
    http.call(K::PROXY_CREATE).json(info).send_json().await
}

/// Seeds an item on behalf of a user (service accounts only).
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for other callers.
pub async fn proxy_seed<K: ProxySeedRoute>(
    http: &HttpClient,
) -> Result<<K as Seedable>::SeedResponse, Error> {
    http.call(K::PROXY_SEED).send_json().await
}

/// Updates an item on behalf of a user (service accounts only).
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for other callers.
pub async fn proxy_update<K: ProxyUpdateRoute>(
    http: &HttpClient,
    id: &str,
    options: &ProxyUpdateOptions,
    info: &K::DomainInfo,
) -> Result<UpdateResponse, Error> {
    http.call(K::PROXY_UPDATE)
        .query("id", id)
        .query_opt("reason", options.reason.as_deref())
        .query("bypass_item_lock", options.bypass_item_lock)
        .query("exclude_history_update", options.exclude_history_update)
        .query("manual_grant", options.manual_grant)
        .json(info)
        .send_json()
        .await
}

/// Reverts an item on behalf of a user (service accounts only).
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for other callers.
pub async fn proxy_revert<K: ProxyRevertRoute>(
    http: &HttpClient,
    request: &ItemRevertRequest,
) -> Result<ItemRevertResponse, Error> {
    http.call(K::PROXY_REVERT).json(request).send_json().await
}

/// Versions an item on behalf of a user (service accounts only).
///
/// # Errors
///
/// Any [`Error`] of the request; HTTP 401 for other callers.
pub async fn proxy_version_item<K: ProxyVersionRoute>(
    http: &HttpClient,
    request: &VersionRequest,
) -> Result<VersionResponse, Error> {
    http.call(K::PROXY_VERSION).json(request).send_json().await
}

/// Lists one page of the datasets whose release the caller reviews.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn list_releasing_datasets(
    http: &HttpClient,
    request: &ListUserReviewingDatasetsRequest,
) -> Result<PaginatedDatasetListResponse, Error> {
    http.call(&super::dataset::LIST_RELEASING)
        .json(request)
        .send_json()
        .await
}
