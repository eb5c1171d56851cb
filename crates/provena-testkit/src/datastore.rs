//! The datastore service: datasets, their metadata, S3 credentials and release reviews.
//!
//! A dataset is a registry item of subtype `DATASET` kept in the [`RegistryStore`], plus a
//! handle, plus an S3 prefix `datasets/<handle with / and . replaced by ->/` in the double's
//! bucket, where minting writes the metadata as `metadata.json`. This module records the S3
//! credentials it issues. The S3 endpoint (`s3.rs`) accepts only those, only under their
//! dataset's prefix, and only until they expire.
//!
//! [`RegistryStore`]: crate::registry::RegistryStore

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::Caller;
use crate::respond::{ApiError, ApiResult, FieldError, ValidJson, ValidQuery, status_value};
use crate::state::AppState;

/// The bucket every dataset of the double lives in.
pub(crate) const BUCKET: &str = "provena-double-datasets";

/// How long S3 credentials stay valid unless a test sets otherwise.
const DEFAULT_CREDENTIAL_LIFETIME: Duration = Duration::from_secs(3600);

/// The detail of an update of an id that is not a dataset.
const LOCK_CHECK_FAILED: &str = "Failed to check if locked, error: Could not find the item.";

/// S3 credentials issued for one dataset.
#[derive(Debug, Clone)]
pub(crate) struct IssuedCredentials {
    pub(crate) secret_access_key: String,
    pub(crate) session_token: String,
    pub(crate) expiry: OffsetDateTime,
    /// The dataset's key prefix, ending in `/`.
    pub(crate) prefix: String,
    /// Whether the credentials may write.
    pub(crate) write: bool,
}

/// Datastore state beyond the registry items.
#[derive(Debug)]
pub(crate) struct DatastoreStore {
    credentials: HashMap<String, IssuedCredentials>,
    credential_lifetime: Duration,
    reviewers: BTreeSet<String>,
}

impl Default for DatastoreStore {
    fn default() -> Self {
        Self {
            credentials: HashMap::new(),
            credential_lifetime: DEFAULT_CREDENTIAL_LIFETIME,
            reviewers: BTreeSet::new(),
        }
    }
}

impl DatastoreStore {
    /// Returns the credentials issued under `access_key_id`, expired ones included.
    pub(crate) fn credentials(&self, access_key_id: &str) -> Option<&IssuedCredentials> {
        self.credentials.get(access_key_id)
    }

    /// Sets how long newly issued S3 credentials stay valid.
    pub(crate) fn set_credential_lifetime(&mut self, lifetime: Duration) {
        self.credential_lifetime = lifetime;
    }

    fn issue(&mut self, prefix: &str, write: bool) -> (String, IssuedCredentials) {
        self.issue_for(prefix, write, self.credential_lifetime)
    }

    /// Issues read-only credentials that sign a presigned URL valid for `seconds`.
    pub(crate) fn issue_for_presign(
        &mut self,
        prefix: &str,
        seconds: i64,
    ) -> (String, IssuedCredentials) {
        let lifetime = Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
        self.issue_for(prefix, false, lifetime)
    }

    fn issue_for(
        &mut self,
        prefix: &str,
        write: bool,
        lifetime: Duration,
    ) -> (String, IssuedCredentials) {
        let access_key_id = format!("ASIA{}", random_token(16).to_uppercase());
        let issued = IssuedCredentials {
            secret_access_key: random_token(40),
            session_token: random_token(64),
            expiry: OffsetDateTime::now_utc() + lifetime,
            prefix: prefix.to_owned(),
            write,
        };
        self.credentials
            .insert(access_key_id.clone(), issued.clone());
        (access_key_id, issued)
    }
}

fn random_token(length: usize) -> String {
    let mut text = String::new();
    while text.len() < length {
        text.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    text.truncate(length);
    text
}

/// Returns the S3 key prefix of a dataset handle: `10378.1/1690000` becomes
/// `datasets/10378-1-1690000/`.
pub(crate) fn dataset_prefix(handle: &str) -> String {
    format!("datasets/{}/", handle.replace(['/', '.'], "-"))
}

/// Builds the datastore's routes.
pub(crate) fn router(state: AppState) -> Router {
    Router::<AppState>::new()
        .route("/", get(root))
        .route("/admin/config", get(config_file))
        .route("/admin/sentry-debug", get(sentry_debug))
        .route("/check-access/check-admin-access", get(check_admin))
        .route("/check-access/check-general-access", get(check_general))
        .route("/check-access/check-read-access", get(check_read))
        .route("/check-access/check-write-access", get(check_write))
        .route("/metadata/dataset-schema", get(dataset_schema))
        .route("/metadata/validate-metadata", post(validate_metadata))
        .route("/register/mint-dataset", post(mint_dataset))
        .route("/register/revert-metadata", put(revert_metadata))
        .route("/register/update-metadata", post(update_metadata))
        .route("/register/version", post(version_dataset))
        .route(
            "/registry/credentials/generate-read-access-credentials",
            post(read_credentials),
        )
        .route(
            "/registry/credentials/generate-write-access-credentials",
            post(write_credentials),
        )
        .route("/registry/items/fetch-dataset", get(fetch_dataset))
        .route(
            "/registry/items/generate-presigned-url",
            post(presigned_url),
        )
        .route("/registry/items/list", post(list_datasets))
        .route("/release/action-approval-request", put(action_approval))
        .route("/release/approval-request", post(approval_request))
        .route("/release/sys-reviewers/add", post(add_reviewer))
        .route("/release/sys-reviewers/delete", delete(delete_reviewer))
        .route("/release/sys-reviewers/list", get(list_reviewers))
        .with_state(state)
}

async fn root() -> Json<Value> {
    Json(json!({ "message": "Health check successful." }))
}

async fn config_file(caller: Caller) -> ApiResult<Response> {
    caller.require_registry_admin()?;
    let text = format!(
        "# Provena double datastore configuration\nBUCKET_NAME={BUCKET}\nSERVICE=datastore\n"
    );
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_static("attachment; filename=\"config.txt\""),
    );
    Ok(response)
}

/// Returns HTTP 500, as the real service does: it divides by zero here to test its error
/// reporting.
async fn sentry_debug() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
}

fn user_json(caller: &Caller, headers: &HeaderMap) -> Json<Value> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split_once(' ')
                .map(|(_, token)| token.trim().to_owned())
        })
        .unwrap_or_default();
    Json(json!({
        "username": caller.username,
        "email": caller.email,
        "roles": caller.roles,
        "access_token": token,
    }))
}

async fn check_general(caller: Caller, headers: HeaderMap) -> Json<Value> {
    user_json(&caller, &headers)
}

async fn check_read(caller: Caller, headers: HeaderMap) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    Ok(user_json(&caller, &headers))
}

async fn check_write(caller: Caller, headers: HeaderMap) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    Ok(user_json(&caller, &headers))
}

async fn check_admin(caller: Caller, headers: HeaderMap) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    Ok(user_json(&caller, &headers))
}

const ASSOCIATIONS_FIELDS: &[&str] = &["data_custodian_id", "organisation_id", "point_of_contact"];
const APPROVALS_FIELDS: &[&str] = &[
    "ethics_access",
    "ethics_registration",
    "export_controls",
    "indigenous_knowledge",
];
const DATASET_INFO_FIELDS: &[&str] = &[
    "access_info",
    "created_date",
    "description",
    "formats",
    "keywords",
    "license",
    "name",
    "preferred_citation",
    "published_date",
    "publisher_id",
    "purpose",
    "rights_holder",
    "spatial_info",
    "temporal_info",
    "usage_limitations",
    "user_metadata",
];
const DATASET_INFO_REQUIRED: &[&str] = &[
    "name",
    "description",
    "access_info",
    "publisher_id",
    "created_date",
    "published_date",
    "license",
];
/// Fields the service still parses for older clients but its schema check rejects.
const LEGACY_DATASET_INFO_FIELDS: &[&str] = &["version"];

async fn dataset_schema(caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let section = |fields: &[&str], required: &[&str]| {
        let properties: serde_json::Map<String, Value> = fields
            .iter()
            .map(|field| ((*field).to_owned(), json!({})))
            .collect();
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": required,
            "properties": properties,
        })
    };
    Ok(Json(json!({
        "title": "Dataset Metadata",
        "type": "object",
        "additionalProperties": false,
        "required": ["associations", "approvals", "dataset_info"],
        "properties": {
            "associations": section(ASSOCIATIONS_FIELDS, &["organisation_id"]),
            "approvals": section(APPROVALS_FIELDS, APPROVALS_FIELDS),
            "dataset_info": section(DATASET_INFO_FIELDS, DATASET_INFO_REQUIRED),
        },
    })))
}

/// The fields one metadata section allows and requires.
#[derive(Clone, Copy)]
struct Section {
    name: &'static str,
    allowed: &'static [&'static str],
    required: &'static [&'static str],
    /// Fields that parse but fail the schema check.
    legacy: &'static [&'static str],
}

const SECTIONS: &[Section] = &[
    Section {
        name: "associations",
        allowed: ASSOCIATIONS_FIELDS,
        required: &["organisation_id"],
        legacy: &[],
    },
    Section {
        name: "approvals",
        allowed: APPROVALS_FIELDS,
        required: APPROVALS_FIELDS,
        legacy: &[],
    },
    Section {
        name: "dataset_info",
        allowed: DATASET_INFO_FIELDS,
        required: DATASET_INFO_REQUIRED,
        legacy: LEGACY_DATASET_INFO_FIELDS,
    },
];

/// Checks what the service's request parsing checks, answering 422 like pydantic: the
/// three sections are objects, required fields are present, and no unknown field appears
/// (legacy fields pass here and fail [`schema_problem`]).
fn parse_metadata(metadata: &Value) -> ApiResult<()> {
    let mut errors = Vec::new();
    let Some(top) = metadata.as_object() else {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body")],
            "value is not a valid dict",
            "type_error.dict",
        )]));
    };
    for section_rule in SECTIONS {
        let Section {
            name,
            allowed,
            required,
            legacy,
        } = *section_rule;
        let Some(section) = top.get(name) else {
            errors.push(FieldError::missing(vec![json!("body"), json!(name)]));
            continue;
        };
        let Some(section) = section.as_object() else {
            errors.push(FieldError::new(
                vec![json!("body"), json!(name)],
                "value is not a valid dict",
                "type_error.dict",
            ));
            continue;
        };
        for field in required {
            if !section.contains_key(*field) {
                errors.push(FieldError::missing(vec![
                    json!("body"),
                    json!(name),
                    json!(field),
                ]));
            }
        }
        for field in section.keys() {
            if !allowed.contains(&field.as_str()) && !legacy.contains(&field.as_str()) {
                errors.push(FieldError::new(
                    vec![json!("body"), json!(name), json!(field)],
                    "extra fields not permitted",
                    "value_error.extra",
                ));
            }
        }
    }
    for field in top.keys() {
        if !["associations", "approvals", "dataset_info"].contains(&field.as_str()) {
            errors.push(FieldError::new(
                vec![json!("body"), json!(field)],
                "extra fields not permitted",
                "value_error.extra",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::unprocessable(errors))
    }
}

/// Runs the service's JSON-schema checks on parsed metadata; returns the failure text.
fn schema_problem(metadata: &Value) -> Option<String> {
    let info = &metadata["dataset_info"];
    for field in LEGACY_DATASET_INFO_FIELDS {
        if info.get(*field).is_some() {
            return Some(format!(
                "Dataset metadata failed schema validation: Additional properties are not allowed ('{field}' was unexpected)"
            ));
        }
    }
    let date = |section: &str| {
        let value = &info[section];
        if value["relevant"].as_bool() == Some(true) {
            value["value"].as_str().map(str::to_owned)
        } else {
            None
        }
    };
    if let (Some(created), Some(published)) = (date("created_date"), date("published_date")) {
        // ISO dates compare correctly as text.
        if published < created {
            return Some(format!(
                "Dataset metadata failed schema validation: the published date {published} precedes the created date {created}"
            ));
        }
    }
    None
}

/// Checks that the organisation and publisher the metadata names exist in the registry.
fn reference_problem(state: &AppState, metadata: &Value) -> Option<String> {
    let registry = state.registry();
    let exists = |id: Option<&str>| id.and_then(|id| registry.get(id)).is_some();
    if !exists(metadata["associations"]["organisation_id"].as_str()) {
        return Some(format!(
            "Could not find Author Organisation ID {}.",
            metadata["associations"]["organisation_id"]
        ));
    }
    if !exists(metadata["dataset_info"]["publisher_id"].as_str()) {
        return Some(format!(
            "Could not find Publisher Organisation ID {}.",
            metadata["dataset_info"]["publisher_id"]
        ));
    }
    None
}

async fn validate_metadata(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(metadata): ValidJson<Value>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    parse_metadata(&metadata)?;
    if let Some(problem) = schema_problem(&metadata) {
        return Ok(Json(status_value(false, problem)));
    }
    if let Some(problem) = reference_problem(&state, &metadata) {
        return Ok(Json(status_value(false, problem)));
    }
    Ok(Json(status_value(true, "Dataset metadata is valid.")))
}

fn s3_location(prefix: &str) -> Value {
    json!({
        "bucket_name": BUCKET,
        "path": prefix,
        "s3_uri": format!("s3://{BUCKET}/{prefix}"),
    })
}

/// The domain-info part of a dataset item, as history entries keep it.
fn domain_info(item: &Value) -> Value {
    let mut info = serde_json::Map::new();
    for key in [
        "display_name",
        "collection_format",
        "s3",
        "release_status",
        "release_approver",
        "release_timestamp",
        "release_history",
        "access_info_uri",
        "user_metadata",
    ] {
        if let Some(value) = item.get(key) {
            info.insert(key.to_owned(), value.clone());
        }
    }
    Value::Object(info)
}

fn display_name(metadata: &Value) -> String {
    metadata["dataset_info"]["name"]
        .as_str()
        .unwrap_or("unnamed dataset")
        .to_owned()
}

/// Writes the metadata file under the dataset's prefix in the bucket directory.
fn write_metadata_file(state: &AppState, prefix: &str, metadata: &Value) -> ApiResult<()> {
    let dir = state
        .data_dir()
        .join(BUCKET)
        .join(prefix.trim_end_matches('/'));
    let text = serde_json::to_vec_pretty(metadata)
        .map_err(|error| ApiError::internal(format!("Failed to encode metadata: {error}")))?;
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("metadata.json"), text))
        .map_err(|error| {
            ApiError::internal(format!("Failed to write the metadata file to S3: {error}"))
        })
}

/// Creates a dataset item with a new handle and returns it.
fn create_dataset(
    state: &AppState,
    owner: &str,
    metadata: &Value,
    versioning: Option<Value>,
) -> ApiResult<Value> {
    let id = state.handles().mint("provena-double dataset");
    let prefix = dataset_prefix(&id);
    write_metadata_file(state, &prefix, metadata)?;
    let now = state.now();
    let mut item = json!({
        "id": id,
        "owner_username": owner,
        "created_timestamp": now,
        "updated_timestamp": now,
        "item_category": "ENTITY",
        "item_subtype": "DATASET",
        "record_type": "COMPLETE_ITEM",
        "display_name": display_name(metadata),
        "collection_format": metadata,
        "s3": s3_location(&prefix),
        "release_status": "NOT_RELEASED",
        "release_history": [],
        "workflow_links": {
            "create_activity_workflow_id": uuid::Uuid::new_v4().to_string(),
        },
    });
    if let Some(versioning) = versioning {
        item["versioning_info"] = versioning;
    }
    item["history"] = json!([{
        "id": 0,
        "timestamp": now,
        "reason": "Initial record creation",
        "username": owner,
        "item": domain_info(&item),
    }]);
    state.registry().insert(item.clone());
    Ok(item)
}

async fn mint_dataset(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(metadata): ValidJson<Value>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    parse_metadata(&metadata)?;
    if let Some(problem) = schema_problem(&metadata) {
        return Ok(Json(json!({ "status": status_value(false, problem) })));
    }
    if let Some(problem) = reference_problem(&state, &metadata) {
        return Ok(Json(json!({ "status": status_value(false, problem) })));
    }
    // NOTE: the real service also requires the caller's user to be linked to a Person
    // through the auth API; the double mints for any caller with the write roles.
    let item = create_dataset(&state, &caller.username, &metadata, None)?;
    Ok(Json(json!({
        "status": status_value(true, "Successfully registered dataset."),
        "handle": item["id"],
        "s3_location": item["s3"],
        "register_create_activity_session_id": item["workflow_links"]["create_activity_workflow_id"],
    })))
}

/// Returns the dataset with `id`, or `None` when it is missing or not a dataset.
fn find_dataset(state: &AppState, id: &str) -> Option<Value> {
    let registry = state.registry();
    let item = registry.get(id)?;
    (item["item_subtype"] == "DATASET").then(|| item.clone())
}

fn require_owner(caller: &Caller, item: &Value) -> ApiResult<()> {
    if item["owner_username"] == caller.username.as_str() || caller.is_registry_admin() {
        Ok(())
    } else {
        Err(ApiError::unauthorized(format!(
            "You are not authorised to edit the item with id {}: you are not its owner.",
            item["id"].as_str().unwrap_or_default()
        )))
    }
}

/// Adds a history entry (newest first) with the item's current domain info and saves it.
fn record_history(state: &AppState, item: &mut Value, username: &str, reason: &str) {
    let now = state.now();
    item["updated_timestamp"] = json!(now);
    let next_id = item["history"].as_array().map_or(0, |history| {
        history
            .iter()
            .filter_map(|entry| entry["id"].as_i64())
            .max()
            .map_or(0, |max| max + 1)
    });
    let entry = json!({
        "id": next_id,
        "timestamp": now,
        "reason": reason,
        "username": username,
        "item": domain_info(item),
    });
    if let Some(history) = item["history"].as_array_mut() {
        history.insert(0, entry);
    } else {
        item["history"] = json!([entry]);
    }
    state.registry().insert(item.clone());
}

#[derive(Debug, Deserialize)]
struct UpdateQuery {
    handle_id: String,
    reason: String,
}

async fn update_metadata(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UpdateQuery>,
    ValidJson(metadata): ValidJson<Value>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    parse_metadata(&metadata)?;
    let Some(mut item) = find_dataset(&state, &query.handle_id) else {
        return Err(ApiError::bad_request(LOCK_CHECK_FAILED));
    };
    require_owner(&caller, &item)?;
    if let Some(problem) = schema_problem(&metadata) {
        return Err(ApiError::bad_request(problem));
    }
    if let Some(problem) = reference_problem(&state, &metadata) {
        return Err(ApiError::bad_request(problem));
    }
    let prefix = item["s3"]["path"].as_str().unwrap_or_default().to_owned();
    write_metadata_file(&state, &prefix, &metadata)?;
    item["collection_format"] = metadata.clone();
    item["display_name"] = json!(display_name(&metadata));
    record_history(&state, &mut item, &caller.username, &query.reason);
    Ok(Json(json!({
        "status": status_value(true, "Successfully updated dataset metadata."),
        "handle": query.handle_id,
        "s3_location": item["s3"],
    })))
}

#[derive(Debug, Deserialize)]
struct RevertRequest {
    id: String,
    history_id: i64,
    reason: String,
}

async fn revert_metadata(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<RevertRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let Some(mut item) = find_dataset(&state, &request.id) else {
        return Err(ApiError::bad_request(LOCK_CHECK_FAILED));
    };
    require_owner(&caller, &item)?;
    let entry = item["history"].as_array().and_then(|history| {
        history
            .iter()
            .find(|entry| entry["id"].as_i64() == Some(request.history_id))
            .cloned()
    });
    let Some(entry) = entry else {
        return Err(ApiError::bad_request(format!(
            "Cannot revert to history id {}: the item has no history entry with that id.",
            request.history_id
        )));
    };
    if let Some(info) = entry["item"].as_object() {
        for (key, value) in info {
            item[key.as_str()] = value.clone();
        }
    }
    let prefix = item["s3"]["path"].as_str().unwrap_or_default().to_owned();
    write_metadata_file(&state, &prefix, &item["collection_format"])?;
    record_history(&state, &mut item, &caller.username, &request.reason);
    Ok(Json(json!({
        "status": status_value(true, "Successfully reverted the item."),
    })))
}

#[derive(Debug, Deserialize)]
struct VersionRequest {
    id: String,
    reason: String,
}

async fn version_dataset(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<VersionRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let Some(mut previous) = find_dataset(&state, &request.id) else {
        return Err(ApiError::bad_request(format!(
            "Failed to fetch item with id {} from the registry.",
            request.id
        )));
    };
    require_owner(&caller, &previous)?;
    if previous["versioning_info"]["next_version"].is_string() {
        return Err(ApiError::bad_request(format!(
            "The item with id {} already has a newer version; version the newest one.",
            request.id
        )));
    }
    let version = previous["versioning_info"]["version"].as_i64().unwrap_or(1);
    let metadata = previous["collection_format"].clone();
    let versioning = json!({
        "version": version + 1,
        "previous_version": request.id,
        "reason": request.reason,
    });
    let created = create_dataset(&state, &caller.username, &metadata, Some(versioning))?;
    let new_id = created["id"].as_str().unwrap_or_default().to_owned();

    let mut info = previous["versioning_info"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    info.insert("version".into(), json!(version));
    info.insert("next_version".into(), json!(new_id));
    previous["versioning_info"] = Value::Object(info);
    state.registry().insert(previous);

    // NOTE: the real service records the version activity through an asynchronous job;
    // the double returns a fresh session id without creating a job record.
    Ok(Json(json!({
        "new_version_id": new_id,
        "version_job_session_id": uuid::Uuid::new_v4().to_string(),
    })))
}

#[derive(Debug, Deserialize)]
struct CredentialsRequest {
    dataset_id: String,
    console_session_required: bool,
}

fn credentials_response(
    state: &AppState,
    caller: &Caller,
    request: &CredentialsRequest,
    write: bool,
) -> ApiResult<Json<Value>> {
    let Some(item) = find_dataset(state, &request.dataset_id) else {
        return Err(ApiError::bad_request(format!(
            "Failed to fetch dataset with id {}: no such dataset.",
            request.dataset_id
        )));
    };
    if write {
        require_owner(caller, &item)?;
    }
    let prefix = item["s3"]["path"].as_str().unwrap_or_default().to_owned();
    let (access_key_id, issued) = state.datastore().issue(&prefix, write);
    let expiry = issued
        .expiry
        .format(&Rfc3339)
        .map_err(|error| ApiError::internal(format!("Failed to format the expiry: {error}")))?;
    let mut answer = json!({
        "status": status_value(true, "Successfully generated credentials."),
        "credentials": {
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": issued.secret_access_key,
            "aws_session_token": issued.session_token,
            "expiry": expiry,
        },
    });
    if request.console_session_required {
        answer["console_session_url"] = json!(format!(
            "{}console/{}",
            state.s3_endpoint(),
            uuid::Uuid::new_v4().simple()
        ));
    }
    Ok(Json(answer))
}

async fn read_credentials(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<CredentialsRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    credentials_response(&state, &caller, &request, false)
}

async fn write_credentials(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<CredentialsRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    credentials_response(&state, &caller, &request, true)
}

#[derive(Debug, Deserialize)]
struct FetchQuery {
    handle_id: String,
}

async fn fetch_dataset(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<FetchQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let Some(item) = find_dataset(&state, &query.handle_id) else {
        return Err(ApiError::bad_request(format!(
            "Failed to fetch dataset with handle {}: the registry has no dataset with this id.",
            query.handle_id
        )));
    };
    let owner = item["owner_username"] == caller.username.as_str() || caller.is_registry_admin();
    let roles: &[&str] = if owner {
        &[
            "metadata-read",
            "metadata-write",
            "dataset-data-read",
            "dataset-data-write",
            "admin",
        ]
    } else {
        &["metadata-read", "dataset-data-read"]
    };
    Ok(Json(json!({
        "status": status_value(true, "Successfully fetched dataset."),
        "item": item,
        "roles": roles,
        "locked": false,
    })))
}

#[derive(Debug, Deserialize)]
struct PresignedRequest {
    dataset_id: String,
    file_path: String,
    #[serde(default = "default_expires_in")]
    expires_in: i64,
}

fn default_expires_in() -> i64 {
    10_800
}

async fn presigned_url(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<PresignedRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    if !(1..=86_400).contains(&request.expires_in) {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body"), json!("expires_in")],
            "ensure this value is between 1 and 86400",
            "value_error.number.not_in_range",
        )]));
    }
    let Some(item) = find_dataset(&state, &request.dataset_id) else {
        return Err(ApiError::bad_request(format!(
            "Failed to fetch dataset with id {}: no such dataset.",
            request.dataset_id
        )));
    };
    let prefix = item["s3"]["path"].as_str().unwrap_or_default().to_owned();
    let key = format!("{prefix}{}", request.file_path.trim_start_matches('/'));
    let url = crate::s3::presign_get(&state, &key, request.expires_in)
        .map_err(|error| ApiError::internal(format!("Failed to presign the URL: {error}")))?;
    Ok(Json(json!({
        "dataset_id": request.dataset_id,
        "file_path": request.file_path,
        "presigned_url": url,
    })))
}

#[derive(Debug, Default, Deserialize)]
struct ListRequest {
    #[serde(default = "default_page_size")]
    page_size: usize,
    #[serde(default)]
    pagination_key: Option<Value>,
    #[serde(default)]
    sort_by: Option<SortOptions>,
}

#[derive(Debug, Default, Deserialize)]
struct SortOptions {
    #[serde(default)]
    sort_type: Option<String>,
    #[serde(default)]
    ascending: bool,
    #[serde(default)]
    begins_with: Option<String>,
}

fn default_page_size() -> usize {
    20
}

async fn list_datasets(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ListRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    if request.page_size == 0 {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body"), json!("page_size")],
            "ensure this value is greater than 0",
            "value_error.number.not_gt",
        )]));
    }
    let mut items: Vec<Value> = state
        .registry()
        .searchable_items()
        .into_iter()
        .filter(|item| item["item_subtype"] == "DATASET" && item["record_type"] == "COMPLETE_ITEM")
        .collect();

    let sort = request.sort_by.unwrap_or_default();
    let sort_type = sort.sort_type.as_deref().unwrap_or("UPDATED_TIME");
    if let Some(begins_with) = &sort.begins_with {
        items.retain(|item| {
            item["access_info_uri"]
                .as_str()
                .is_some_and(|uri| uri.starts_with(begins_with.as_str()))
        });
    }
    let text_key = |item: &Value, field: &str| item[field].as_str().unwrap_or_default().to_owned();
    items.sort_by(|a, b| {
        let order = match sort_type {
            "CREATED_TIME" => a["created_timestamp"]
                .as_i64()
                .cmp(&b["created_timestamp"].as_i64()),
            "DISPLAY_NAME" => text_key(a, "display_name").cmp(&text_key(b, "display_name")),
            "RELEASE_TIMESTAMP" => a["release_timestamp"]
                .as_i64()
                .cmp(&b["release_timestamp"].as_i64()),
            "ACCESS_INFO_URI_BEGINS_WITH" => {
                text_key(a, "access_info_uri").cmp(&text_key(b, "access_info_uri"))
            }
            _ => a["updated_timestamp"]
                .as_i64()
                .cmp(&b["updated_timestamp"].as_i64()),
        };
        let order = if sort.ascending {
            order
        } else {
            order.reverse()
        };
        order.then_with(|| text_key(a, "id").cmp(&text_key(b, "id")))
    });

    let start = match request
        .pagination_key
        .as_ref()
        .and_then(|key| key["id"].as_str())
    {
        None => 0,
        Some(after) => items
            .iter()
            .position(|item| item["id"] == after)
            .map_or(items.len(), |index| index + 1),
    };
    let page: Vec<Value> = items
        .iter()
        .skip(start)
        .take(request.page_size)
        .cloned()
        .collect();
    let more = start + page.len() < items.len();
    let pagination_key = match page.last() {
        Some(last) if more => json!({
            "id": last["id"],
            "item_subtype": "DATASET",
            "updated_timestamp": last["updated_timestamp"],
        }),
        _ => Value::Null,
    };
    Ok(Json(json!({
        "status": status_value(true, "Successfully listed datasets."),
        "items": page,
        "total_item_count": page.len(),
        "complete_item_count": page.len(),
        "seed_item_count": 0,
        "unparsable_item_count": 0,
        "not_authorised_count": 0,
        "seed_items": [],
        "unparsable_items": [],
        "pagination_key": pagination_key,
    })))
}

#[derive(Debug, Deserialize)]
struct ReleaseRequest {
    dataset_id: String,
    approver_id: String,
    notes: String,
}

async fn approval_request(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ReleaseRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let Some(mut item) = find_dataset(&state, &request.dataset_id) else {
        return Err(ApiError::bad_request(format!(
            "Failed to fetch dataset with id {}: no such dataset.",
            request.dataset_id
        )));
    };
    require_owner(&caller, &item)?;
    if !state.datastore().reviewers.contains(&request.approver_id) {
        return Err(ApiError::bad_request(format!(
            "The approver id {} is not a registered dataset release reviewer.",
            request.approver_id
        )));
    }
    if item["release_status"] == "PENDING" || item["release_status"] == "RELEASED" {
        return Err(ApiError::bad_request(format!(
            "Dataset {} is already {}; a new release request is not possible.",
            request.dataset_id,
            item["release_status"].as_str().unwrap_or_default()
        )));
    }
    let now = state.now();
    item["release_status"] = json!("PENDING");
    item["release_approver"] = json!(request.approver_id);
    push_release_history(
        &mut item,
        json!({
            "action": "REQUEST",
            "timestamp": now,
            "approver": request.approver_id,
            "requester": caller.username,
            "notes": request.notes,
        }),
    );
    record_history(&state, &mut item, &caller.username, "Release requested");
    Ok(Json(json!({
        "dataset_id": request.dataset_id,
        "approver_id": request.approver_id,
        "details": "Release approval request submitted.",
    })))
}

fn push_release_history(item: &mut Value, entry: Value) {
    match item["release_history"].as_array_mut() {
        Some(history) => history.push(entry),
        None => item["release_history"] = json!([entry]),
    }
}

#[derive(Debug, Deserialize)]
struct ActionRequest {
    dataset_id: String,
    approve: bool,
    notes: String,
}

async fn action_approval(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ActionRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let Some(mut item) = find_dataset(&state, &request.dataset_id) else {
        return Err(ApiError::bad_request(format!(
            "Failed to fetch dataset with id {}: no such dataset.",
            request.dataset_id
        )));
    };
    if item["release_status"] != "PENDING" {
        return Err(ApiError::bad_request(format!(
            "Dataset {} has no pending release request.",
            request.dataset_id
        )));
    }
    // NOTE: the real service also checks that the caller's linked Person is the requested
    // approver; the double lets any caller with the write roles act as the reviewer.
    let now = state.now();
    let approver = item["release_approver"].clone();
    if request.approve {
        item["release_status"] = json!("RELEASED");
        item["release_timestamp"] = json!(now);
    } else {
        item["release_status"] = json!("NOT_RELEASED");
    }
    push_release_history(
        &mut item,
        json!({
            "action": if request.approve { "APPROVE" } else { "REJECT" },
            "timestamp": now,
            "approver": approver,
            "notes": request.notes,
        }),
    );
    record_history(&state, &mut item, &caller.username, "Release reviewed");
    Ok(Json(json!({
        "dataset_id": request.dataset_id,
        "approved": request.approve,
        "details": if request.approve { "Dataset released." } else { "Release request rejected." },
    })))
}

#[derive(Debug, Deserialize)]
struct ReviewerQuery {
    reviewer_id: String,
}

async fn add_reviewer(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ReviewerQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let is_person = state
        .registry()
        .get(&query.reviewer_id)
        .is_some_and(|item| item["item_subtype"] == "PERSON");
    if !is_person {
        return Err(ApiError::bad_request(format!(
            "The reviewer id {} is not a Person in the registry.",
            query.reviewer_id
        )));
    }
    state.datastore().reviewers.insert(query.reviewer_id);
    Ok(Json(Value::Null))
}

async fn delete_reviewer(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ReviewerQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    if !state.datastore().reviewers.remove(&query.reviewer_id) {
        return Err(ApiError::bad_request(format!(
            "The reviewer id {} is not a registered reviewer.",
            query.reviewer_id
        )));
    }
    Ok(Json(Value::Null))
}

async fn list_reviewers(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let reviewers: Vec<String> = state.datastore().reviewers.iter().cloned().collect();
    Ok(Json(json!(reviewers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_replaces_slash_and_dot() {
        assert_eq!(
            dataset_prefix("10378.1/1690000"),
            "datasets/10378-1-1690000/"
        );
    }

    #[test]
    fn legacy_version_passes_parsing_and_fails_schema() {
        let metadata = json!({
            "associations": {"organisation_id": "o"},
            "approvals": {
                "ethics_access": {}, "ethics_registration": {},
                "export_controls": {}, "indigenous_knowledge": {}
            },
            "dataset_info": {
                "name": "n", "description": "d", "access_info": {}, "publisher_id": "p",
                "created_date": {}, "published_date": {}, "license": "l", "version": "1"
            }
        });
        assert!(parse_metadata(&metadata).is_ok());
        assert!(schema_problem(&metadata).is_some());
    }

    #[test]
    fn unknown_field_fails_parsing() {
        let metadata = json!({
            "associations": {"organisation_id": "o"},
            "approvals": {
                "ethics_access": {}, "ethics_registration": {},
                "export_controls": {}, "indigenous_knowledge": {}
            },
            "dataset_info": {
                "name": "n", "description": "d", "access_info": {}, "publisher_id": "p",
                "created_date": {}, "published_date": {}, "license": "l", "custom_field": 1
            }
        });
        let error = parse_metadata(&metadata).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            error.detail()[0]["loc"],
            json!(["body", "dataset_info", "custom_field"])
        );
    }
}
