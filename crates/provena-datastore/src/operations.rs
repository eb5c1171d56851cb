//! Every operation of the data store API, one constant and one function each.
//!
//! The functions build the request, send it through [`HttpClient`] and decode the response.
//! [`crate::DatastoreClient`] wraps them in a friendlier interface; use these directly when
//! you need the raw response types.

use provena_http::decode;
use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::{
    ActionApprovalRequest, ActionApprovalRequestResponse, CollectionFormat, CredentialResponse,
    CredentialsRequest, DatasetListResponse, ItemRevertRequest, ItemRevertResponse, MintResponse,
    NoFilterSubtypeListRequest, PresignedURLRequest, PresignedURLResponse, RegistryFetchResponse,
    ReleaseApprovalRequest, ReleaseApprovalRequestResponse, Status, UpdateMetadataResponse, User,
    VersionRequest, VersionResponse,
};
use std::collections::BTreeMap;

const DS: Service = Service::Datastore;

/// `GET /`: the service's greeting.
pub const ROOT: Operation = Operation::get(DS, "root", "/");
/// `GET /admin/config`: the service configuration as a text file (admin only).
pub const GENERATE_CONFIG_FILE: Operation =
    Operation::get(DS, "generate_config_file", "/admin/config");
/// `GET /admin/sentry-debug`: raises an error on the server to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation =
    Operation::get(DS, "test_sentry_reporting", "/admin/sentry-debug");
/// `GET /check-access/check-admin-access`.
pub const CHECK_ADMIN_ACCESS: Operation =
    Operation::get(DS, "check_admin_access", "/check-access/check-admin-access");
/// `GET /check-access/check-general-access`.
pub const CHECK_GENERAL_ACCESS: Operation = Operation::get(
    DS,
    "check_general_access",
    "/check-access/check-general-access",
);
/// `GET /check-access/check-read-access`.
pub const CHECK_READ_ACCESS: Operation =
    Operation::get(DS, "check_read_access", "/check-access/check-read-access");
/// `GET /check-access/check-write-access`.
pub const CHECK_WRITE_ACCESS: Operation =
    Operation::get(DS, "check_write_access", "/check-access/check-write-access");
/// `GET /metadata/dataset-schema`: the JSON schema of dataset metadata.
pub const GET_DATASET_SCHEMA: Operation =
    Operation::get(DS, "get_dataset_schema", "/metadata/dataset-schema");
/// `POST /metadata/validate-metadata`.
pub const VALIDATE_METADATA: Operation =
    Operation::post_safe(DS, "validate_metadata", "/metadata/validate-metadata");
/// `POST /register/mint-dataset`.
pub const MINT_DATASET: Operation = Operation::post(DS, "mint_dataset", "/register/mint-dataset");
/// `PUT /register/revert-metadata`.
pub const REVERT_METADATA: Operation =
    Operation::put(DS, "revert_metadata", "/register/revert-metadata");
/// `POST /register/update-metadata`.
pub const UPDATE_METADATA: Operation =
    Operation::post(DS, "update_metadata", "/register/update-metadata");
/// `POST /register/version`.
pub const VERSION_DATASET: Operation = Operation::post(DS, "version_dataset", "/register/version");
/// `POST /registry/credentials/generate-read-access-credentials`.
pub const GENERATE_READ_ACCESS_CREDENTIALS: Operation = Operation::post_safe(
    DS,
    "generate_read_access_credentials",
    "/registry/credentials/generate-read-access-credentials",
);
/// `POST /registry/credentials/generate-write-access-credentials`.
pub const GENERATE_WRITE_ACCESS_CREDENTIALS: Operation = Operation::post_safe(
    DS,
    "generate_write_access_credentials",
    "/registry/credentials/generate-write-access-credentials",
);
/// `GET /registry/items/fetch-dataset`.
pub const FETCH_DATASET: Operation =
    Operation::get(DS, "fetch_dataset", "/registry/items/fetch-dataset");
/// `POST /registry/items/generate-presigned-url`.
pub const GENERATE_PRESIGNED_URL: Operation = Operation::post_safe(
    DS,
    "generate_presigned_url",
    "/registry/items/generate-presigned-url",
);
/// `POST /registry/items/list`.
pub const LIST: Operation = Operation::post_safe(DS, "list", "/registry/items/list");
/// `PUT /release/action-approval-request`.
pub const ACTION_APPROVAL_REQUEST: Operation = Operation::put(
    DS,
    "action_approval_request",
    "/release/action-approval-request",
);
/// `POST /release/approval-request`.
pub const APPROVAL_REQUEST: Operation =
    Operation::post(DS, "approval_request", "/release/approval-request");
/// `POST /release/sys-reviewers/add`.
pub const ADD_REVIEWER: Operation =
    Operation::post(DS, "add_reviewer", "/release/sys-reviewers/add");
/// `DELETE /release/sys-reviewers/delete`.
pub const DELETE_REVIEWER: Operation =
    Operation::delete(DS, "delete_reviewer", "/release/sys-reviewers/delete");
/// `GET /release/sys-reviewers/list`.
pub const LIST_REVIEWERS: Operation =
    Operation::get(DS, "list_reviewers", "/release/sys-reviewers/list");

/// Every operation of the data store API document.
pub const ALL: &[&Operation] = &[
    &ROOT,
    &GENERATE_CONFIG_FILE,
    &TEST_SENTRY_REPORTING,
    &CHECK_ADMIN_ACCESS,
    &CHECK_GENERAL_ACCESS,
    &CHECK_READ_ACCESS,
    &CHECK_WRITE_ACCESS,
    &GET_DATASET_SCHEMA,
    &VALIDATE_METADATA,
    &MINT_DATASET,
    &REVERT_METADATA,
    &UPDATE_METADATA,
    &VERSION_DATASET,
    &GENERATE_READ_ACCESS_CREDENTIALS,
    &GENERATE_WRITE_ACCESS_CREDENTIALS,
    &FETCH_DATASET,
    &GENERATE_PRESIGNED_URL,
    &LIST,
    &ACTION_APPROVAL_REQUEST,
    &APPROVAL_REQUEST,
    &ADD_REVIEWER,
    &DELETE_REVIEWER,
    &LIST_REVIEWERS,
];

/// Sends [`ROOT`].
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn root(http: &HttpClient) -> Result<BTreeMap<String, String>, Error> {
    http.call(&ROOT).send_json().await
}

/// Sends [`GENERATE_CONFIG_FILE`] and returns the configuration text.
///
/// # Errors
///
/// Any [`Error`] of the request; [`Error::Unauthorized`] for non-admins.
pub async fn generate_config_file(
    http: &HttpClient,
    required_only: Option<bool>,
) -> Result<String, Error> {
    let builder = http
        .call(&GENERATE_CONFIG_FILE)
        .query_opt("required_only", required_only);
    let body = builder.send_bytes().await?;
    String::from_utf8(body.to_vec()).map_err(|err| Error::Decode {
        service: GENERATE_CONFIG_FILE.service,
        method: GENERATE_CONFIG_FILE.method,
        path: GENERATE_CONFIG_FILE.path.to_owned(),
        json_path: String::from("."),
        message: format!("body is not UTF-8: {err}"),
        snippet: decode::snippet(err.as_bytes()),
    })
}

/// Sends [`TEST_SENTRY_REPORTING`]. A deployment returns an error on purpose.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn test_sentry_reporting(
    http: &HttpClient,
) -> Result<Option<BTreeMap<String, String>>, Error> {
    http.call(&TEST_SENTRY_REPORTING).send_json().await
}

async fn check_access(http: &HttpClient, operation: &Operation) -> Result<User, Error> {
    http.call(operation).send_json().await
}

/// Sends [`CHECK_ADMIN_ACCESS`] and returns the caller as the service identifies them.
///
/// # Errors
///
/// [`Error::Unauthorized`] without the admin role; any other [`Error`] of the request.
pub async fn check_admin_access(http: &HttpClient) -> Result<User, Error> {
    check_access(http, &CHECK_ADMIN_ACCESS).await
}

/// Sends [`CHECK_GENERAL_ACCESS`].
///
/// # Errors
///
/// [`Error::Unauthorized`] when not signed in; any other [`Error`] of the request.
pub async fn check_general_access(http: &HttpClient) -> Result<User, Error> {
    check_access(http, &CHECK_GENERAL_ACCESS).await
}

/// Sends [`CHECK_READ_ACCESS`].
///
/// # Errors
///
/// [`Error::Unauthorized`] without the read role; any other [`Error`] of the request.
pub async fn check_read_access(http: &HttpClient) -> Result<User, Error> {
    check_access(http, &CHECK_READ_ACCESS).await
}

/// Sends [`CHECK_WRITE_ACCESS`].
///
/// # Errors
///
/// [`Error::Unauthorized`] without the write role; any other [`Error`] of the request.
pub async fn check_write_access(http: &HttpClient) -> Result<User, Error> {
    check_access(http, &CHECK_WRITE_ACCESS).await
}

/// Sends [`GET_DATASET_SCHEMA`] and returns the JSON schema of dataset metadata.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn get_dataset_schema(http: &HttpClient) -> Result<serde_json::Value, Error> {
    http.call(&GET_DATASET_SCHEMA).send_json().await
}

/// Sends [`VALIDATE_METADATA`]. Invalid metadata comes back as `success: false` with the
/// reason in `details`, not as an error.
///
/// # Errors
///
/// [`Error::Validation`] when the body does not parse as metadata; any other [`Error`].
pub async fn validate_metadata(
    http: &HttpClient,
    metadata: &CollectionFormat,
) -> Result<Status, Error> {
    http.call(&VALIDATE_METADATA)
        .json(metadata)
        .send_json_unchecked()
        .await
}

/// Sends [`MINT_DATASET`].
///
/// # Errors
///
/// [`Error::Unsuccessful`] when the service returns `success: false`, for example when the
/// organisation or publisher id does not exist (`Could not find Author Organisation ID`)
/// or the metadata breaks the schema; any other [`Error`] of the request.
pub async fn mint_dataset(
    http: &HttpClient,
    metadata: &CollectionFormat,
) -> Result<MintResponse, Error> {
    http.call(&MINT_DATASET).json(metadata).send_json().await
}

/// Sends [`REVERT_METADATA`].
///
/// # Errors
///
/// [`Error::BadRequest`] for an unknown dataset or history id; any other [`Error`].
pub async fn revert_metadata(
    http: &HttpClient,
    request: &ItemRevertRequest,
) -> Result<ItemRevertResponse, Error> {
    http.call(&REVERT_METADATA).json(request).send_json().await
}

/// Sends [`UPDATE_METADATA`] for dataset `handle_id` with the `reason` kept in its history.
///
/// # Errors
///
/// [`Error::BadRequest`] for an unknown id (`Failed to check if locked...`) or metadata
/// that breaks the schema; [`Error::Unauthorized`] when the caller may not edit it.
pub async fn update_metadata(
    http: &HttpClient,
    handle_id: &str,
    reason: &str,
    metadata: &CollectionFormat,
) -> Result<UpdateMetadataResponse, Error> {
    http.call(&UPDATE_METADATA)
        .query("handle_id", handle_id)
        .query("reason", reason)
        .json(metadata)
        .send_json()
        .await
}

/// Sends [`VERSION_DATASET`].
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn version_dataset(
    http: &HttpClient,
    request: &VersionRequest,
) -> Result<VersionResponse, Error> {
    http.call(&VERSION_DATASET).json(request).send_json().await
}

/// Sends [`GENERATE_READ_ACCESS_CREDENTIALS`].
///
/// # Errors
///
/// [`Error::Unauthorized`] without read access to the dataset; any other [`Error`].
pub async fn generate_read_access_credentials(
    http: &HttpClient,
    request: &CredentialsRequest,
) -> Result<CredentialResponse, Error> {
    http.call(&GENERATE_READ_ACCESS_CREDENTIALS)
        .json(request)
        .send_json()
        .await
}

/// Sends [`GENERATE_WRITE_ACCESS_CREDENTIALS`].
///
/// # Errors
///
/// [`Error::Unauthorized`] without write access to the dataset; any other [`Error`].
pub async fn generate_write_access_credentials(
    http: &HttpClient,
    request: &CredentialsRequest,
) -> Result<CredentialResponse, Error> {
    http.call(&GENERATE_WRITE_ACCESS_CREDENTIALS)
        .json(request)
        .send_json()
        .await
}

/// Sends [`FETCH_DATASET`].
///
/// # Errors
///
/// [`Error::BadRequest`] when no dataset has this id; any other [`Error`].
pub async fn fetch_dataset(
    http: &HttpClient,
    handle_id: &str,
) -> Result<RegistryFetchResponse, Error> {
    http.call(&FETCH_DATASET)
        .query("handle_id", handle_id)
        .send_json()
        .await
}

/// Sends [`GENERATE_PRESIGNED_URL`]. The URL in the response is a secret: anyone holding it
/// can read the file until it expires.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn generate_presigned_url(
    http: &HttpClient,
    request: &PresignedURLRequest,
) -> Result<PresignedURLResponse, Error> {
    http.call(&GENERATE_PRESIGNED_URL)
        .json(request)
        .send_json()
        .await
}

/// Sends [`LIST`]: one page of datasets.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn list(
    http: &HttpClient,
    request: &NoFilterSubtypeListRequest,
) -> Result<DatasetListResponse, Error> {
    http.call(&LIST).json(request).send_json().await
}

/// Sends [`ACTION_APPROVAL_REQUEST`]: a reviewer approves or rejects a release request.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn action_approval_request(
    http: &HttpClient,
    request: &ActionApprovalRequest,
) -> Result<ActionApprovalRequestResponse, Error> {
    http.call(&ACTION_APPROVAL_REQUEST)
        .json(request)
        .send_json()
        .await
}

/// Sends [`APPROVAL_REQUEST`]: requests a reviewer's approval for the release of a dataset.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn approval_request(
    http: &HttpClient,
    request: &ReleaseApprovalRequest,
) -> Result<ReleaseApprovalRequestResponse, Error> {
    http.call(&APPROVAL_REQUEST).json(request).send_json().await
}

/// Sends [`ADD_REVIEWER`]: adds a person id to the release reviewers (admin only).
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn add_reviewer(
    http: &HttpClient,
    reviewer_id: &str,
) -> Result<serde_json::Value, Error> {
    http.call(&ADD_REVIEWER)
        .query("reviewer_id", reviewer_id)
        .send_json()
        .await
}

/// Sends [`DELETE_REVIEWER`]: removes a person id from the release reviewers (admin only).
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn delete_reviewer(
    http: &HttpClient,
    reviewer_id: &str,
) -> Result<serde_json::Value, Error> {
    http.call(&DELETE_REVIEWER)
        .query("reviewer_id", reviewer_id)
        .send_json()
        .await
}

/// Sends [`LIST_REVIEWERS`] and returns the reviewers' person ids.
///
/// # Errors
///
/// Any [`Error`] of the request.
pub async fn list_reviewers(http: &HttpClient) -> Result<Vec<String>, Error> {
    http.call(&LIST_REVIEWERS).send_json().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_operation_once() {
        let mut ids: Vec<_> = ALL.iter().map(|operation| operation.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        assert_eq!(ALL.len(), 23);
        assert!(
            ALL.iter()
                .all(|operation| operation.service == Service::Datastore)
        );
    }
}
