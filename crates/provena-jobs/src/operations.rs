//! Every operation of the jobs service, one constant each, with a function that sends it.
//!
//! These are the low-level calls: each takes the request exactly as the API document
//! defines it and returns the decoded response. [`JobsClient`](crate::JobsClient) builds on
//! them with pagination streams and [`await_completion`](crate::JobsClient::await_completion).

use std::collections::BTreeMap;

use bytes::Bytes;
use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::{
    AdminGetJobResponse, AdminLaunchJobRequest, AdminLaunchJobResponse, AdminListByBatchRequest,
    AdminListByBatchResponse, AdminListJobsRequest, AdminListJobsResponse, AdminRetryJobResponse,
    GetJobResponse, ListByBatchRequest, ListByBatchResponse, ListJobsRequest, ListJobsResponse,
    RetryJobResponse,
};

use crate::access::AccessCheck;

/// `GET /`: the service's greeting.
pub const ROOT: Operation = Operation::get(Service::Jobs, "root", "/");
/// `GET /admin/config`: the service's configuration as a `.env` text file.
pub const GENERATE_CONFIG_FILE: Operation =
    Operation::get(Service::Jobs, "generate_config_file", "/admin/config");
/// `GET /admin/sentry-debug`: raises an error on the server to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation = Operation::get(
    Service::Jobs,
    "test_sentry_reporting",
    "/admin/sentry-debug",
);
/// `GET /check-access/check-admin-access`.
pub const CHECK_ADMIN_ACCESS: Operation = Operation::get(
    Service::Jobs,
    "check_admin_access",
    "/check-access/check-admin-access",
);
/// `GET /check-access/check-general-access`.
pub const CHECK_GENERAL_ACCESS: Operation = Operation::get(
    Service::Jobs,
    "check_general_access",
    "/check-access/check-general-access",
);
/// `GET /check-access/check-read-access`.
pub const CHECK_READ_ACCESS: Operation = Operation::get(
    Service::Jobs,
    "check_read_access",
    "/check-access/check-read-access",
);
/// `GET /check-access/check-write-access`.
pub const CHECK_WRITE_ACCESS: Operation = Operation::get(
    Service::Jobs,
    "check_write_access",
    "/check-access/check-write-access",
);
/// `GET /jobs/admin/fetch`: any user's job by session id.
pub const ADMIN_GET_JOB: Operation =
    Operation::get(Service::Jobs, "admin_get_job", "/jobs/admin/fetch");
/// `POST /jobs/admin/launch`: submits a job, optionally for another user or in a batch.
pub const LAUNCH_JOB: Operation =
    Operation::post(Service::Jobs, "launch_job", "/jobs/admin/launch");
/// `POST /jobs/admin/list`: one page of every user's jobs, newest first.
pub const ADMIN_LIST_JOBS: Operation =
    Operation::post_safe(Service::Jobs, "admin_list_jobs", "/jobs/admin/list");
/// `POST /jobs/admin/list_batch`: one page of a batch's jobs, of any owner.
pub const ADMIN_LIST_BATCH: Operation =
    Operation::post_safe(Service::Jobs, "admin_list_batch", "/jobs/admin/list_batch");
/// `POST /jobs/admin/retry` (unlisted): not implemented by the service, which always
/// returns HTTP 400.
pub const ADMIN_RETRY_JOB: Operation =
    Operation::post(Service::Jobs, "admin_retry_job", "/jobs/admin/retry");
/// `GET /jobs/user/fetch`: one of the caller's jobs by session id.
pub const GET_JOB: Operation = Operation::get(Service::Jobs, "get_job", "/jobs/user/fetch");
/// `POST /jobs/user/list`: one page of the caller's jobs, newest first.
pub const LIST_JOBS: Operation =
    Operation::post_safe(Service::Jobs, "list_jobs", "/jobs/user/list");
/// `POST /jobs/user/list_batch`: one page of the jobs in one of the caller's batches.
pub const LIST_BATCH: Operation =
    Operation::post_safe(Service::Jobs, "list_batch", "/jobs/user/list_batch");
/// `POST /jobs/user/retry` (unlisted): not implemented by the service, which always
/// returns HTTP 400.
pub const RETRY_JOB: Operation = Operation::post(Service::Jobs, "retry_job", "/jobs/user/retry");

/// Every operation of the jobs service, hidden ones included.
pub const ALL: &[&Operation] = &[
    &ROOT,
    &GENERATE_CONFIG_FILE,
    &TEST_SENTRY_REPORTING,
    &CHECK_ADMIN_ACCESS,
    &CHECK_GENERAL_ACCESS,
    &CHECK_READ_ACCESS,
    &CHECK_WRITE_ACCESS,
    &ADMIN_GET_JOB,
    &LAUNCH_JOB,
    &ADMIN_LIST_JOBS,
    &ADMIN_LIST_BATCH,
    &ADMIN_RETRY_JOB,
    &GET_JOB,
    &LIST_JOBS,
    &LIST_BATCH,
    &RETRY_JOB,
];

/// Sends [`ROOT`].
///
/// # Errors
///
/// Any [`Error`] from the request.
pub async fn root(http: &HttpClient) -> Result<BTreeMap<String, String>, Error> {
    http.call(&ROOT).send_json().await
}

/// Sends [`GENERATE_CONFIG_FILE`] and returns the file's bytes.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 without the admin role.
pub async fn generate_config_file(http: &HttpClient, required_only: bool) -> Result<Bytes, Error> {
    http.call(&GENERATE_CONFIG_FILE)
        .query("required_only", required_only)
        .send_bytes()
        .await
}

/// Sends [`TEST_SENTRY_REPORTING`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 500 when the service raises the test error.
pub async fn test_sentry_reporting(http: &HttpClient) -> Result<serde_json::Value, Error> {
    http.call(&TEST_SENTRY_REPORTING).send_json().await
}

/// Sends one of the four check-access operations.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 when the caller lacks the checked roles.
pub async fn check_access(http: &HttpClient, operation: &Operation) -> Result<AccessCheck, Error> {
    http.call(operation).send_json().await
}

/// Sends [`ADMIN_GET_JOB`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when no job has this session id.
pub async fn admin_get_job(
    http: &HttpClient,
    session_id: &str,
) -> Result<AdminGetJobResponse, Error> {
    http.call(&ADMIN_GET_JOB)
        .query("session_id", session_id)
        .send_json()
        .await
}

/// Sends [`LAUNCH_JOB`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when the payload does not match the subtype.
pub async fn launch_job(
    http: &HttpClient,
    request: &AdminLaunchJobRequest,
) -> Result<AdminLaunchJobResponse, Error> {
    http.call(&LAUNCH_JOB).json(request).send_json().await
}

/// Sends [`ADMIN_LIST_JOBS`].
///
/// # Errors
///
/// Any [`Error`] from the request.
pub async fn admin_list_jobs(
    http: &HttpClient,
    request: &AdminListJobsRequest,
) -> Result<AdminListJobsResponse, Error> {
    http.call(&ADMIN_LIST_JOBS).json(request).send_json().await
}

/// Sends [`ADMIN_LIST_BATCH`].
///
/// # Errors
///
/// Any [`Error`] from the request.
pub async fn admin_list_batch(
    http: &HttpClient,
    request: &AdminListByBatchRequest,
) -> Result<AdminListByBatchResponse, Error> {
    http.call(&ADMIN_LIST_BATCH).json(request).send_json().await
}

/// Sends [`ADMIN_RETRY_JOB`].
///
/// # Errors
///
/// The service does not implement retries and returns [`Error::BadRequest`]; its detail is
/// extended to say so.
pub async fn admin_retry_job(
    http: &HttpClient,
    session_id: &str,
) -> Result<AdminRetryJobResponse, Error> {
    http.call(&ADMIN_RETRY_JOB)
        .query("session_id", session_id)
        .send_json()
        .await
        .map_err(explain_retry)
}

/// Sends [`GET_JOB`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when no job has this session id and HTTP 401
/// when the job belongs to another user.
pub async fn get_job(http: &HttpClient, session_id: &str) -> Result<GetJobResponse, Error> {
    http.call(&GET_JOB)
        .query("session_id", session_id)
        .send_json()
        .await
}

/// Sends [`LIST_JOBS`].
///
/// # Errors
///
/// Any [`Error`] from the request.
pub async fn list_jobs(
    http: &HttpClient,
    request: &ListJobsRequest,
) -> Result<ListJobsResponse, Error> {
    http.call(&LIST_JOBS).json(request).send_json().await
}

/// Sends [`LIST_BATCH`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 when the batch contains another user's jobs.
pub async fn list_batch(
    http: &HttpClient,
    request: &ListByBatchRequest,
) -> Result<ListByBatchResponse, Error> {
    http.call(&LIST_BATCH).json(request).send_json().await
}

/// Sends [`RETRY_JOB`].
///
/// # Errors
///
/// The service does not implement retries and returns [`Error::BadRequest`]; its detail is
/// extended to say so.
pub async fn retry_job(http: &HttpClient, session_id: &str) -> Result<RetryJobResponse, Error> {
    http.call(&RETRY_JOB)
        .query("session_id", session_id)
        .send_json()
        .await
        .map_err(explain_retry)
}

/// Adds to the HTTP 400 of the retry routes that the service has no retry, so the caller
/// knows to launch a new job rather than send the request again.
fn explain_retry(error: Error) -> Error {
    match error {
        Error::BadRequest(mut api) => {
            let server = if api.detail.is_empty() {
                String::from("no detail")
            } else {
                api.detail.clone()
            };
            api.detail = format!(
                "{server} (the jobs service does not implement job retries; submit the work \
                 again as a new job instead)"
            );
            Error::BadRequest(api)
        }
        other => other,
    }
}
