//! The jobs service: asynchronous jobs and their status.
//!
//! Jobs live in [`JobStore`] as `JobStatusTable` objects. Other parts of the double submit
//! jobs for the work they do; a job either ends at once ([`JobStore::finish`]) or follows a
//! schedule ([`JobStore::submit_scheduled`]): the first fetch of its session id shows
//! `PENDING`, the second `IN_PROGRESS`, and later fetches the final status, so that clients
//! polling with backoff see every stage. Listing a job never advances it.

use std::collections::HashMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::id_service::{AccessRoles, common_routes};
use crate::respond::{ApiError, ApiResult, FieldError, ValidJson, ValidQuery};
use crate::state::{AppState, now};
use crate::users::roles;

/// The page size the real service uses when a list request gives none.
const DEFAULT_LIMIT: i64 = 10;

/// The detail of the unfinished retry routes, as the real service returns it.
const RETRY_NOT_IMPLEMENTED: &str = "Not yet implemented";

/// Jobs in the order they were submitted, as `JobStatusTable` objects.
#[derive(Debug, Default)]
pub(crate) struct JobStore {
    jobs: Vec<Value>,
    /// The outcome of each scheduled job that has not reached it yet, by session id.
    scheduled: HashMap<String, Result<Value, String>>,
}

impl JobStore {
    /// Records a new `PENDING` job for `username` and returns its session id.
    pub(crate) fn submit(
        &mut self,
        username: &str,
        job_type: &str,
        job_sub_type: &str,
        payload: Value,
        batch_id: Option<String>,
    ) -> String {
        let session_id = uuid::Uuid::new_v4().to_string();
        let mut job = Map::new();
        job.insert("session_id".into(), json!(session_id));
        job.insert("created_timestamp".into(), json!(now()));
        job.insert("username".into(), json!(username));
        job.insert("payload".into(), payload);
        job.insert("job_type".into(), json!(job_type));
        job.insert("job_sub_type".into(), json!(job_sub_type));
        job.insert("status".into(), json!("PENDING"));
        job.insert("gsi_status".into(), json!("ok"));
        if let Some(batch_id) = batch_id {
            job.insert("batch_id".into(), json!(batch_id));
        }
        self.jobs.push(Value::Object(job));
        session_id
    }

    /// Records a new `PENDING` job that reaches `outcome` over the next fetches: `PENDING`
    /// at the first, `IN_PROGRESS` at the second, then `SUCCEEDED` with the result or
    /// `FAILED` with the message as `info`.
    pub(crate) fn submit_scheduled(
        &mut self,
        username: &str,
        job_type: &str,
        job_sub_type: &str,
        payload: Value,
        batch_id: Option<String>,
        outcome: Result<Value, String>,
    ) -> String {
        let session_id = self.submit(username, job_type, job_sub_type, payload, batch_id);
        self.scheduled.insert(session_id.clone(), outcome);
        session_id
    }

    /// Ends the job `session_id`: `SUCCEEDED` with `result`, or `FAILED` with the message
    /// as `info`. An unknown session id is ignored.
    pub(crate) fn finish(&mut self, session_id: &str, result: Result<Value, String>) {
        self.scheduled.remove(session_id);
        let Some(job) = self.find_mut(session_id) else {
            return;
        };
        match result {
            Ok(value) => {
                job["status"] = json!("SUCCEEDED");
                job["result"] = value;
            }
            Err(message) => {
                job["status"] = json!("FAILED");
                job["info"] = json!(message);
            }
        }
    }

    /// Returns a new batch id.
    pub(crate) fn new_batch_id(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// Returns the job `session_id` as it is now.
    pub(crate) fn get(&self, session_id: &str) -> Option<&Value> {
        self.jobs
            .iter()
            .find(|job| job.get("session_id").and_then(Value::as_str) == Some(session_id))
    }

    /// Returns the jobs of `batch_id` in submission order.
    pub(crate) fn batch(&self, batch_id: &str) -> Vec<Value> {
        self.jobs
            .iter()
            .filter(|job| job.get("batch_id").and_then(Value::as_str) == Some(batch_id))
            .cloned()
            .collect()
    }

    /// Returns the job as it is before the fetch, then moves a scheduled job one stage on.
    fn fetch(&mut self, session_id: &str) -> Option<Value> {
        let seen = self.get(session_id)?.clone();
        if self.scheduled.contains_key(session_id) {
            match seen.get("status").and_then(Value::as_str) {
                Some("PENDING") => {
                    if let Some(job) = self.find_mut(session_id) {
                        job["status"] = json!("IN_PROGRESS");
                    }
                }
                _ => {
                    if let Some(outcome) = self.scheduled.remove(session_id) {
                        self.finish(session_id, outcome);
                    }
                }
            }
        }
        Some(seen)
    }

    fn find_mut(&mut self, session_id: &str) -> Option<&mut Value> {
        self.jobs
            .iter_mut()
            .find(|job| job.get("session_id").and_then(Value::as_str) == Some(session_id))
    }

    /// Returns the jobs that `keep` selects, newest first.
    fn newest_first(&self, keep: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut selected: Vec<(usize, &Value)> = self
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, job)| keep(job))
            .collect();
        selected.sort_by(|(left_index, left), (right_index, right)| {
            let left_time = left.get("created_timestamp").and_then(Value::as_i64);
            let right_time = right.get("created_timestamp").and_then(Value::as_i64);
            right_time.cmp(&left_time).then(right_index.cmp(left_index))
        });
        selected.into_iter().map(|(_, job)| job.clone()).collect()
    }
}

/// Cuts one page out of `jobs`, starting after the job named by `pagination_key`.
///
/// Like DynamoDB, a full page always carries the key of its last job, so a listing whose
/// size is a multiple of the page size ends with one empty page.
fn page(jobs: &[Value], limit: Option<i64>, pagination_key: Option<&Value>) -> ApiResult<Value> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let Ok(limit) = usize::try_from(limit) else {
        return Err(limit_error(limit));
    };
    if limit == 0 {
        return Err(limit_error(0));
    }
    let start = match pagination_key {
        None | Some(Value::Null) => 0,
        Some(key) => {
            let Some(session_id) = key.get("session_id").and_then(Value::as_str) else {
                return Err(ApiError::internal(
                    "Unexpected internal error occurred: The provided starting key is invalid.",
                ));
            };
            jobs.iter()
                .position(|job| job.get("session_id").and_then(Value::as_str) == Some(session_id))
                .map_or(jobs.len(), |index| index + 1)
        }
    };
    let items: Vec<Value> = jobs.iter().skip(start).take(limit).cloned().collect();
    let key = if items.len() == limit {
        items.last().map(|last| {
            json!({
                "session_id": last.get("session_id"),
                "created_timestamp": last.get("created_timestamp"),
                "username": last.get("username"),
            })
        })
    } else {
        None
    };
    Ok(json!({ "jobs": items, "pagination_key": key }))
}

fn limit_error(limit: i64) -> ApiError {
    ApiError::internal(format!(
        "Unexpected internal error occurred: 1 validation error detected: Value '{limit}' at \
         'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    ))
}

const JOB_ROLES: AccessRoles = AccessRoles {
    read: &[roles::JOB_SERVICE_READ],
    write: &[roles::JOB_SERVICE_READ, roles::JOB_SERVICE_WRITE],
    admin: &[
        roles::JOB_SERVICE_READ,
        roles::JOB_SERVICE_WRITE,
        roles::JOB_SERVICE_ADMIN,
    ],
};

/// Builds the jobs service's routes.
pub(crate) fn router(state: AppState) -> Router {
    Router::<AppState>::new()
        .merge(common_routes(JOB_ROLES, "jobs"))
        .route("/jobs/user/fetch", get(user_fetch))
        .route("/jobs/user/list", post(user_list))
        .route("/jobs/user/list_batch", post(user_list_batch))
        .route("/jobs/user/retry", post(user_retry))
        .route("/jobs/admin/fetch", get(admin_fetch))
        .route("/jobs/admin/launch", post(admin_launch))
        .route("/jobs/admin/list", post(admin_list))
        .route("/jobs/admin/list_batch", post(admin_list_batch))
        .route("/jobs/admin/retry", post(admin_retry))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct SessionQuery {
    session_id: String,
}

#[derive(Debug, Deserialize)]
struct ListRequest {
    #[serde(default)]
    pagination_key: Option<Value>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    username_filter: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BatchListRequest {
    batch_id: String,
    #[serde(default)]
    pagination_key: Option<Value>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    username_filter: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LaunchRequest {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    request_batch_id: bool,
    #[serde(default)]
    add_to_batch: Option<String>,
    job_type: JobType,
    job_sub_type: JobSubType,
    job_payload: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum JobType {
    ProvLodge,
    Registry,
    Email,
    Report,
}

impl JobType {
    fn as_str(self) -> &'static str {
        match self {
            JobType::ProvLodge => "PROV_LODGE",
            JobType::Registry => "REGISTRY",
            JobType::Email => "EMAIL",
            JobType::Report => "REPORT",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum JobSubType {
    ProvLodgeWakeUp,
    ModelRunProvLodge,
    ModelRunLodgeOnly,
    ModelRunBatchSubmit,
    LodgeCreateActivity,
    LodgeVersionActivity,
    ModelRunUpdate,
    ModelRunUpdateLodgeOnly,
    RegistryWakeUp,
    RegisterCreateActivity,
    RegisterVersionActivity,
    EmailWakeUp,
    SendEmail,
    GenerateReport,
}

impl JobSubType {
    fn as_str(self) -> &'static str {
        match self {
            JobSubType::ProvLodgeWakeUp => "PROV_LODGE_WAKE_UP",
            JobSubType::ModelRunProvLodge => "MODEL_RUN_PROV_LODGE",
            JobSubType::ModelRunLodgeOnly => "MODEL_RUN_LODGE_ONLY",
            JobSubType::ModelRunBatchSubmit => "MODEL_RUN_BATCH_SUBMIT",
            JobSubType::LodgeCreateActivity => "LODGE_CREATE_ACTIVITY",
            JobSubType::LodgeVersionActivity => "LODGE_VERSION_ACTIVITY",
            JobSubType::ModelRunUpdate => "MODEL_RUN_UPDATE",
            JobSubType::ModelRunUpdateLodgeOnly => "MODEL_RUN_UPDATE_LODGE_ONLY",
            JobSubType::RegistryWakeUp => "REGISTRY_WAKE_UP",
            JobSubType::RegisterCreateActivity => "REGISTER_CREATE_ACTIVITY",
            JobSubType::RegisterVersionActivity => "REGISTER_VERSION_ACTIVITY",
            JobSubType::EmailWakeUp => "EMAIL_WAKE_UP",
            JobSubType::SendEmail => "SEND_EMAIL",
            JobSubType::GenerateReport => "GENERATE_REPORT",
        }
    }

    /// Returns the payload fields the real service requires for this subtype.
    fn required_fields(self) -> &'static [&'static str] {
        match self {
            JobSubType::ProvLodgeWakeUp | JobSubType::RegistryWakeUp | JobSubType::EmailWakeUp => {
                &[]
            }
            JobSubType::ModelRunProvLodge => &["record", "revalidate", "user_info"],
            JobSubType::ModelRunLodgeOnly => {
                &["model_run_record_id", "record", "revalidate", "user_info"]
            }
            JobSubType::ModelRunBatchSubmit => &["records", "user_info"],
            JobSubType::LodgeCreateActivity => &[
                "created_item_id",
                "creation_activity_id",
                "linked_person_id",
                "created_item_subtype",
            ],
            JobSubType::LodgeVersionActivity => &[
                "from_version_id",
                "to_version_id",
                "version_activity_id",
                "linked_person_id",
                "item_subtype",
            ],
            JobSubType::ModelRunUpdate => &[
                "model_run_record_id",
                "updated_record",
                "reason",
                "revalidate",
                "user_info",
            ],
            JobSubType::ModelRunUpdateLodgeOnly => &[
                "model_run_record_id",
                "updated_record",
                "revalidate",
                "user_info",
            ],
            JobSubType::RegisterCreateActivity => &[
                "created_item_id",
                "created_item_subtype",
                "linked_person_id",
            ],
            JobSubType::RegisterVersionActivity => &[
                "reason",
                "version_number",
                "from_version_id",
                "to_version_id",
                "linked_person_id",
                "item_subtype",
            ],
            JobSubType::SendEmail => &["email_to", "subject", "body", "reason"],
            JobSubType::GenerateReport => &["id", "item_subtype", "depth", "user_info"],
        }
    }

    /// Reports whether the double runs this subtype to completion when an admin launches it. The
    /// wake-up and e-mail jobs have no effect to simulate, so they succeed with an empty
    /// result.
    fn has_worker(self) -> bool {
        matches!(
            self,
            JobSubType::ProvLodgeWakeUp
                | JobSubType::RegistryWakeUp
                | JobSubType::EmailWakeUp
                | JobSubType::SendEmail
        )
    }
}

async fn user_fetch(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<SessionQuery>,
) -> ApiResult<Json<Value>> {
    let owner = state.jobs().get(&query.session_id).and_then(|job| {
        job.get("username")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(owner) = owner else {
        return Err(ApiError::bad_request("Item was not found."));
    };
    if owner != caller.username {
        return Err(ApiError::unauthorized(
            "Not authorised to view this record.",
        ));
    }
    let job = state
        .jobs()
        .fetch(&query.session_id)
        .ok_or_else(|| ApiError::bad_request("Item was not found."))?;
    Ok(Json(json!({ "job": job })))
}

async fn user_list(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ListRequest>,
) -> ApiResult<Json<Value>> {
    let jobs = state.jobs().newest_first(|job| {
        job.get("username").and_then(Value::as_str) == Some(caller.username.as_str())
    });
    page(&jobs, request.limit, request.pagination_key.as_ref()).map(Json)
}

async fn user_list_batch(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<BatchListRequest>,
) -> ApiResult<Json<Value>> {
    let jobs = batch_newest_first(&state, &request.batch_id);
    let listed = page(&jobs, request.limit, request.pagination_key.as_ref())?;
    let foreign = listed["jobs"].as_array().is_some_and(|jobs| {
        jobs.iter().any(|job| {
            job.get("username").and_then(Value::as_str) != Some(caller.username.as_str())
        })
    });
    if foreign {
        return Err(ApiError::unauthorized(
            "Batch contains items which you do not own. Not authorised.",
        ));
    }
    Ok(Json(listed))
}

async fn user_retry(
    _caller: Caller,
    ValidQuery(_query): ValidQuery<SessionQuery>,
) -> ApiResult<Json<Value>> {
    Err(ApiError::bad_request(RETRY_NOT_IMPLEMENTED))
}

async fn admin_fetch(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<SessionQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_jobs_read()?;
    let job = state
        .jobs()
        .fetch(&query.session_id)
        .ok_or_else(|| ApiError::bad_request("Item was not found."))?;
    Ok(Json(json!({ "job": job })))
}

async fn admin_launch(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<LaunchRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_jobs_write()?;
    if request.request_batch_id && request.add_to_batch.is_some() {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body"), json!("__root__")],
            "Cannot specify both a new batch and an existing batch id.",
            "value_error",
        )]));
    }
    let missing: Vec<&str> = request
        .job_sub_type
        .required_fields()
        .iter()
        .copied()
        .filter(|field| !request.job_payload.contains_key(*field))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Invalid payload supplied: {} validation error(s) for the {} payload: {} field \
             required.",
            missing.len(),
            request.job_sub_type.as_str(),
            missing.join(", ")
        )));
    }
    let username = request.username.unwrap_or_else(|| caller.username.clone());
    let mut jobs = state.jobs();
    let batch_id = if request.request_batch_id {
        Some(jobs.new_batch_id())
    } else {
        request.add_to_batch
    };
    let payload = Value::Object(request.job_payload);
    let job_type = request.job_type.as_str();
    let sub_type = request.job_sub_type.as_str();
    // NOTE: the double runs only the wake-up and e-mail jobs an admin launches; other
    // launched subtypes stay PENDING, as they would with their worker stopped.
    let session_id = if request.job_sub_type.has_worker() {
        jobs.submit_scheduled(
            &username,
            job_type,
            sub_type,
            payload,
            batch_id.clone(),
            Ok(json!({})),
        )
    } else {
        jobs.submit(&username, job_type, sub_type, payload, batch_id.clone())
    };
    let mut response = json!({ "session_id": session_id });
    if request.request_batch_id {
        response["batch_id"] = json!(batch_id);
    }
    Ok(Json(response))
}

async fn admin_list(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ListRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_jobs_read()?;
    let filter = request.username_filter;
    let jobs = state.jobs().newest_first(|job| match &filter {
        Some(username) => job.get("username").and_then(Value::as_str) == Some(username.as_str()),
        None => true,
    });
    page(&jobs, request.limit, request.pagination_key.as_ref()).map(Json)
}

async fn admin_list_batch(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<BatchListRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_jobs_read()?;
    let jobs = batch_newest_first(&state, &request.batch_id);
    let listed = page(&jobs, request.limit, request.pagination_key.as_ref())?;
    // NOTE: whenever a filter is given, the real service compares each job's owner with the
    // caller rather than with the filter's value. The double does the same.
    if request.username_filter.is_some() {
        let foreign = listed["jobs"].as_array().is_some_and(|jobs| {
            jobs.iter().any(|job| {
                job.get("username").and_then(Value::as_str) != Some(caller.username.as_str())
            })
        });
        if foreign {
            return Err(ApiError::bad_request(
                "Batch contains items which do not adhere to the username filter. Aborting.",
            ));
        }
    }
    Ok(Json(listed))
}

async fn admin_retry(
    caller: Caller,
    ValidQuery(_query): ValidQuery<SessionQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_jobs_write()?;
    Err(ApiError::bad_request(RETRY_NOT_IMPLEMENTED))
}

fn batch_newest_first(state: &AppState, batch_id: &str) -> Vec<Value> {
    state
        .jobs()
        .newest_first(|job| job.get("batch_id").and_then(Value::as_str) == Some(batch_id))
}
