//! Every operation of the prov service, one constant each, with a function that sends it.
//!
//! These are the low-level calls: each takes the request exactly as the API document
//! defines it and returns the decoded response. [`ProvClient`](crate::ProvClient) builds on
//! them with typed lineage graphs, report downloads and job waits.

use std::collections::BTreeMap;

use bytes::Bytes;
use provena_http::{Error, HttpClient, Multipart, Operation, Service};
use provena_jobs::AccessCheck;
use provena_models::{
    AddStudyLinkResponse, ConvertModelRunsResponse, GenerateReportRequest, GenerateReportResponse,
    ItemModelRun, LineageResponse, ModelRunRecord, PostDeleteGraphRequest, PostDeleteGraphResponse,
    PostUpdateModelRunInput, PostUpdateModelRunResponse, RegisterBatchModelRunRequest,
    RegisterBatchModelRunResponse, RegisterModelRunResponse, StatusResponse,
    SyncRegisterModelRunResponse,
};

/// `GET /`: the service's greeting.
pub const ROOT: Operation = Operation::get(Service::Prov, "root", "/");
/// `GET /admin/config`: the service's configuration as a `.env` text file.
pub const GENERATE_CONFIG_FILE: Operation =
    Operation::get(Service::Prov, "generate_config_file", "/admin/config");
/// `GET /admin/sentry-debug`: raises an error on the server to test error reporting.
pub const TEST_SENTRY_REPORTING: Operation = Operation::get(
    Service::Prov,
    "test_sentry_reporting",
    "/admin/sentry-debug",
);
/// `POST /admin/store_all_registry_records`: lodges every model run of the registry into
/// the graph.
pub const STORE_ALL_REGISTRY_RECORDS: Operation = Operation::post(
    Service::Prov,
    "store_all_registry_records",
    "/admin/store_all_registry_records",
);
/// `POST /admin/store_record`: lodges one completed model run item into the graph.
pub const STORE_RECORD: Operation =
    Operation::post(Service::Prov, "store_record", "/admin/store_record");
/// `POST /admin/store_records`: lodges several completed model run items into the graph.
pub const STORE_RECORDS: Operation =
    Operation::post(Service::Prov, "store_records", "/admin/store_records");
/// `POST /bulk/convert_model_runs/csv`: turns an uploaded model run CSV into records. It
/// changes nothing on the server.
pub const CONVERT_MODEL_RUNS_CSV: Operation = Operation::post_safe(
    Service::Prov,
    "convert_model_runs_csv",
    "/bulk/convert_model_runs/csv",
);
/// `GET /bulk/generate_template/csv`: the CSV template of a workflow template.
pub const GENERATE_TEMPLATE_CSV: Operation = Operation::get(
    Service::Prov,
    "generate_template_csv",
    "/bulk/generate_template/csv",
);
/// `GET /bulk/regenerate_from_batch/csv`: the CSV of a submitted batch, with job columns.
pub const REGENERATE_FROM_BATCH_CSV: Operation = Operation::get(
    Service::Prov,
    "regenerate_from_batch_csv",
    "/bulk/regenerate_from_batch/csv",
);
/// `GET /check-access/check-admin-access`.
pub const CHECK_ADMIN_ACCESS: Operation = Operation::get(
    Service::Prov,
    "check_admin_access",
    "/check-access/check-admin-access",
);
/// `GET /check-access/check-general-access`.
pub const CHECK_GENERAL_ACCESS: Operation = Operation::get(
    Service::Prov,
    "check_general_access",
    "/check-access/check-general-access",
);
/// `GET /check-access/check-read-access`.
pub const CHECK_READ_ACCESS: Operation = Operation::get(
    Service::Prov,
    "check_read_access",
    "/check-access/check-read-access",
);
/// `GET /check-access/check-write-access`.
pub const CHECK_WRITE_ACCESS: Operation = Operation::get(
    Service::Prov,
    "check_write_access",
    "/check-access/check-write-access",
);
/// `GET /explore/downstream`: what was derived from a node.
pub const EXPLORE_DOWNSTREAM: Operation =
    Operation::get(Service::Prov, "explore_downstream", "/explore/downstream");
/// `POST /explore/generate/report`: starts a report job for a model run or study.
pub const EXPORT_PROV_GRAPH: Operation = Operation::post(
    Service::Prov,
    "export_prov_graph",
    "/explore/generate/report",
);
/// `GET /explore/special/contributing_agents`: people and organisations upstream.
pub const SPECIAL_CONTRIBUTING_AGENTS: Operation = Operation::get(
    Service::Prov,
    "special_contributing_agents",
    "/explore/special/contributing_agents",
);
/// `GET /explore/special/contributing_datasets`: datasets upstream.
pub const SPECIAL_CONTRIBUTING_DATASETS: Operation = Operation::get(
    Service::Prov,
    "special_contributing_datasets",
    "/explore/special/contributing_datasets",
);
/// `GET /explore/special/effected_agents`: people and organisations associated with what
/// is downstream.
pub const SPECIAL_EFFECTED_AGENTS: Operation = Operation::get(
    Service::Prov,
    "special_effected_agents",
    "/explore/special/effected_agents",
);
/// `GET /explore/special/effected_datasets`: datasets downstream.
pub const SPECIAL_EFFECTED_DATASETS: Operation = Operation::get(
    Service::Prov,
    "special_effected_datasets",
    "/explore/special/effected_datasets",
);
/// `GET /explore/upstream`: what a node was derived from.
pub const EXPLORE_UPSTREAM: Operation =
    Operation::get(Service::Prov, "explore_upstream", "/explore/upstream");
/// `DELETE /graph/admin/clear` (unlisted): deletes the whole provenance graph.
pub const CLEAR_GRAPH: Operation =
    Operation::delete(Service::Prov, "clear_graph", "/graph/admin/clear");
/// `POST /model_run/delete` (unlisted): removes a model run's provenance from the graph.
pub const DELETE_MODEL_RUN: Operation =
    Operation::post(Service::Prov, "delete_model_run", "/model_run/delete");
/// `POST /model_run/edit/link_to_study`: links a model run to a study.
pub const ADD_STUDY_LINK: Operation = Operation::post(
    Service::Prov,
    "add_study_link",
    "/model_run/edit/link_to_study",
);
/// `POST /model_run/register`: starts a job that registers and lodges a model run.
pub const REGISTER_MODEL_RUN: Operation =
    Operation::post(Service::Prov, "register_model_run", "/model_run/register");
/// `POST /model_run/register_batch`: starts a job that registers many model runs.
pub const REGISTER_BATCH: Operation =
    Operation::post(Service::Prov, "register_batch", "/model_run/register_batch");
/// `POST /model_run/register_sync` (unlisted): registers and lodges a model run before
/// returning.
pub const REGISTER_MODEL_RUN_SYNC: Operation = Operation::post(
    Service::Prov,
    "register_model_run_sync",
    "/model_run/register_sync",
);
/// `POST /model_run/update`: starts a job that updates a model run and its provenance.
pub const UPDATE_MODEL_RUN: Operation =
    Operation::post(Service::Prov, "update_model_run", "/model_run/update");

/// Every operation of the prov service, hidden ones included.
pub const ALL: &[&Operation] = &[
    &ROOT,
    &GENERATE_CONFIG_FILE,
    &TEST_SENTRY_REPORTING,
    &STORE_ALL_REGISTRY_RECORDS,
    &STORE_RECORD,
    &STORE_RECORDS,
    &CONVERT_MODEL_RUNS_CSV,
    &GENERATE_TEMPLATE_CSV,
    &REGENERATE_FROM_BATCH_CSV,
    &CHECK_ADMIN_ACCESS,
    &CHECK_GENERAL_ACCESS,
    &CHECK_READ_ACCESS,
    &CHECK_WRITE_ACCESS,
    &EXPLORE_DOWNSTREAM,
    &EXPORT_PROV_GRAPH,
    &SPECIAL_CONTRIBUTING_AGENTS,
    &SPECIAL_CONTRIBUTING_DATASETS,
    &SPECIAL_EFFECTED_AGENTS,
    &SPECIAL_EFFECTED_DATASETS,
    &EXPLORE_UPSTREAM,
    &CLEAR_GRAPH,
    &DELETE_MODEL_RUN,
    &ADD_STUDY_LINK,
    &REGISTER_MODEL_RUN,
    &REGISTER_BATCH,
    &REGISTER_MODEL_RUN_SYNC,
    &UPDATE_MODEL_RUN,
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

/// Sends [`STORE_ALL_REGISTRY_RECORDS`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 without the admin role.
pub async fn store_all_registry_records(
    http: &HttpClient,
    validate_record: bool,
) -> Result<StatusResponse, Error> {
    http.call(&STORE_ALL_REGISTRY_RECORDS)
        .query("validate_record", validate_record)
        .send_json()
        .await
}

/// Sends [`STORE_RECORD`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 without the admin role.
pub async fn store_record(
    http: &HttpClient,
    record: &ItemModelRun,
    validate_record: bool,
) -> Result<StatusResponse, Error> {
    http.call(&STORE_RECORD)
        .query("validate_record", validate_record)
        .json(record)
        .send_json()
        .await
}

/// Sends [`STORE_RECORDS`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 without the admin role.
pub async fn store_records(
    http: &HttpClient,
    records: &[ItemModelRun],
    validate_record: bool,
) -> Result<StatusResponse, Error> {
    http.call(&STORE_RECORDS)
        .query("validate_record", validate_record)
        .json(records)
        .send_json()
        .await
}

/// Sends [`CONVERT_MODEL_RUNS_CSV`] with `csv` as the `csv_file` part.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 naming the row number when a row is invalid.
pub async fn convert_model_runs_csv(
    http: &HttpClient,
    file_name: &str,
    csv: Bytes,
) -> Result<ConvertModelRunsResponse, Error> {
    let form = Multipart::new().file("csv_file", file_name, "text/csv", csv);
    http.call(&CONVERT_MODEL_RUNS_CSV)
        .multipart(form)
        .send_json()
        .await
}

/// Sends [`GENERATE_TEMPLATE_CSV`] and returns the CSV bytes.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when the workflow template is unknown.
pub async fn generate_template_csv(
    http: &HttpClient,
    workflow_template_id: &str,
) -> Result<Bytes, Error> {
    http.call(&GENERATE_TEMPLATE_CSV)
        .query("workflow_template_id", workflow_template_id)
        .send_bytes()
        .await
}

/// Sends [`REGENERATE_FROM_BATCH_CSV`] and returns the CSV bytes.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when the batch contains other kinds of job.
pub async fn regenerate_from_batch_csv(http: &HttpClient, batch_id: &str) -> Result<Bytes, Error> {
    http.call(&REGENERATE_FROM_BATCH_CSV)
        .query("batch_id", batch_id)
        .send_bytes()
        .await
}

/// Sends one of the four check-access operations.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 when the caller lacks the checked roles.
pub async fn check_access(http: &HttpClient, operation: &Operation) -> Result<AccessCheck, Error> {
    http.call(operation).send_json().await
}

/// Sends one of the six lineage operations ([`EXPLORE_UPSTREAM`], [`EXPLORE_DOWNSTREAM`]
/// and the four `SPECIAL_*` ones). Without `depth` the service picks its default.
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when the depth exceeds the service's maximum.
pub async fn lineage(
    http: &HttpClient,
    operation: &Operation,
    starting_id: &str,
    depth: Option<u32>,
) -> Result<LineageResponse, Error> {
    http.call(operation)
        .query("starting_id", starting_id)
        .query_opt("depth", depth)
        .send_json()
        .await
}

/// Sends [`EXPORT_PROV_GRAPH`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 422 when the depth is outside 1 to 3.
pub async fn export_prov_graph(
    http: &HttpClient,
    request: &GenerateReportRequest,
) -> Result<GenerateReportResponse, Error> {
    http.call(&EXPORT_PROV_GRAPH)
        .json(request)
        .send_json()
        .await
}

/// Sends [`CLEAR_GRAPH`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 without the admin role.
pub async fn clear_graph(http: &HttpClient) -> Result<StatusResponse, Error> {
    http.call(&CLEAR_GRAPH).send_json().await
}

/// Sends [`DELETE_MODEL_RUN`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when the model run is unknown and HTTP 401
/// without the admin role.
pub async fn delete_model_run(
    http: &HttpClient,
    request: &PostDeleteGraphRequest,
) -> Result<PostDeleteGraphResponse, Error> {
    http.call(&DELETE_MODEL_RUN).json(request).send_json().await
}

/// Sends [`ADD_STUDY_LINK`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when either id is unknown.
pub async fn add_study_link(
    http: &HttpClient,
    model_run_id: &str,
    study_id: &str,
) -> Result<AddStudyLinkResponse, Error> {
    http.call(&ADD_STUDY_LINK)
        .query("model_run_id", model_run_id)
        .query("study_id", study_id)
        .send_json()
        .await
}

/// Sends [`REGISTER_MODEL_RUN`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when an id in the record is invalid.
pub async fn register_model_run(
    http: &HttpClient,
    record: &ModelRunRecord,
) -> Result<RegisterModelRunResponse, Error> {
    http.call(&REGISTER_MODEL_RUN)
        .json(record)
        .send_json()
        .await
}

/// Sends [`REGISTER_BATCH`].
///
/// # Errors
///
/// Any [`Error`] from the request.
pub async fn register_batch(
    http: &HttpClient,
    request: &RegisterBatchModelRunRequest,
) -> Result<RegisterBatchModelRunResponse, Error> {
    http.call(&REGISTER_BATCH).json(request).send_json().await
}

/// Sends [`REGISTER_MODEL_RUN_SYNC`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 401 without the admin role.
pub async fn register_model_run_sync(
    http: &HttpClient,
    record: &ModelRunRecord,
) -> Result<SyncRegisterModelRunResponse, Error> {
    http.call(&REGISTER_MODEL_RUN_SYNC)
        .json(record)
        .send_json()
        .await
}

/// Sends [`UPDATE_MODEL_RUN`].
///
/// # Errors
///
/// Any [`Error`] from the request; HTTP 400 when an id in the record is invalid.
pub async fn update_model_run(
    http: &HttpClient,
    request: &PostUpdateModelRunInput,
) -> Result<PostUpdateModelRunResponse, Error> {
    http.call(&UPDATE_MODEL_RUN).json(request).send_json().await
}
