//! The provenance service: model run registration, the provenance graph and its lineage
//! queries, the bulk CSV tools and report generation.
//!
//! Registering a model run validates its ids against the registry, creates a `MODEL_RUN`
//! item in [`RegistryStore`](crate::registry::RegistryStore), lodges its PROV-O links in
//! the graph and submits a job that reports the result through the jobs service. The
//! registry and graph change before the response is sent. The job then moves through its
//! stages as it is fetched (see [`crate::jobs`]).

mod bulk;
pub mod fixture;
mod graph;
mod text;

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use provena_http::Service;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::id_service::{AccessRoles, common_routes};
use crate::respond::{ApiError, ApiResult, FieldError, ValidJson, ValidQuery, status_value};
use crate::state::AppState;
use crate::users::roles;

use graph::{Direction, Graph, RecordShape};

/// The default depth of the upstream and downstream queries.
const DEPTH_DEFAULT: u32 = 2;
/// The default depth of the contributing and effected queries.
const DEPTH_SPECIALISED_DEFAULT: u32 = 4;
/// The largest depth any lineage query accepts.
const DEPTH_MAXIMUM: u32 = 10;

/// The provenance graph and the generated reports.
#[derive(Debug, Default)]
pub(crate) struct ProvStore {
    graph: Graph,
    /// Report documents by download token.
    reports: HashMap<String, Vec<u8>>,
}

/// Puts the model run fixture items into the registry; see [`fixture`].
pub(crate) fn seed(state: &AppState) {
    fixture::seed(state);
}

// Request bodies, parsed with `ValidJson` so that a body that does not fit gets HTTP 422.

/// A model run record as the API document defines `ModelRunRecord`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ModelRunRecord {
    workflow_template_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model_version: Option<String>,
    inputs: Vec<TemplatedDataset>,
    outputs: Vec<TemplatedDataset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<String, String>>,
    display_name: String,
    description: String,
    associations: AssociationInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    study_id: Option<String>,
    start_time: i64,
    end_time: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TemplatedDataset {
    dataset_template_id: String,
    dataset_id: String,
    dataset_type: DatasetType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resources: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum DatasetType {
    #[serde(rename = "DATA_STORE")]
    DataStore,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AssociationInfo {
    modeller_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requesting_organisation_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BatchRequest {
    records: Vec<ModelRunRecord>,
}

#[derive(Debug, Deserialize)]
struct UpdateRequest {
    model_run_id: String,
    reason: String,
    record: ModelRunRecord,
}

#[derive(Debug, Deserialize)]
struct DeleteRequest {
    record_id: String,
    #[serde(default)]
    trial_mode: bool,
}

#[derive(Debug, Deserialize)]
struct StudyLinkQuery {
    model_run_id: String,
    study_id: String,
}

#[derive(Debug, Deserialize)]
struct LineageQuery {
    starting_id: String,
    #[serde(default)]
    depth: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct ReportRequest {
    id: String,
    item_subtype: String,
    depth: i64,
}

#[derive(Debug, Deserialize)]
struct ValidateQuery {
    #[serde(default = "default_true")]
    validate_record: bool,
}

fn default_true() -> bool {
    true
}

/// A registry model run item as the admin store routes take it: only its id and record
/// matter to the graph.
#[derive(Debug, Deserialize)]
struct StoredModelRun {
    id: String,
    record: ModelRunRecord,
}

const PROV_ROLES: AccessRoles = AccessRoles {
    read: &[roles::ENTITY_REGISTRY_READ],
    write: &[roles::ENTITY_REGISTRY_READ, roles::ENTITY_REGISTRY_WRITE],
    admin: &[
        roles::ENTITY_REGISTRY_READ,
        roles::ENTITY_REGISTRY_WRITE,
        roles::ENTITY_REGISTRY_ADMIN,
    ],
};

/// Builds the prov service's routes.
pub(crate) fn router(state: AppState) -> Router {
    Router::<AppState>::new()
        .merge(common_routes(PROV_ROLES, "prov"))
        .route("/model_run/register", post(register))
        .route("/model_run/register_sync", post(register_sync))
        .route("/model_run/register_batch", post(register_batch))
        .route("/model_run/update", post(update))
        .route("/model_run/delete", post(delete_model_run))
        .route("/model_run/edit/link_to_study", post(link_to_study))
        .route(
            "/explore/upstream",
            get(|s, c, q| lineage(s, c, q, LineageKind::Upstream)),
        )
        .route(
            "/explore/downstream",
            get(|s, c, q| lineage(s, c, q, LineageKind::Downstream)),
        )
        .route(
            "/explore/special/contributing_datasets",
            get(|s, c, q| lineage(s, c, q, LineageKind::ContributingDatasets)),
        )
        .route(
            "/explore/special/effected_datasets",
            get(|s, c, q| lineage(s, c, q, LineageKind::EffectedDatasets)),
        )
        .route(
            "/explore/special/contributing_agents",
            get(|s, c, q| lineage(s, c, q, LineageKind::ContributingAgents)),
        )
        .route(
            "/explore/special/effected_agents",
            get(|s, c, q| lineage(s, c, q, LineageKind::EffectedAgents)),
        )
        .route("/explore/generate/report", post(generate_report))
        .route("/bulk/generate_template/csv", get(bulk::generate_template))
        .route("/bulk/convert_model_runs/csv", post(bulk::convert))
        .route(
            "/bulk/regenerate_from_batch/csv",
            get(bulk::regenerate_from_batch),
        )
        .route("/admin/store_record", post(store_record))
        .route("/admin/store_records", post(store_records))
        .route("/admin/store_all_registry_records", post(store_all))
        .route("/graph/admin/clear", delete(clear_graph))
        .route("/_double/reports/{token}", get(download_report))
        .with_state(state)
}

// Validation.

/// Returns the registry item `id` when its subtype is `subtype`, else the reason.
fn registry_item(state: &AppState, id: &str, subtype: &str) -> Result<Value, String> {
    let item = state
        .registry()
        .get(id)
        .cloned()
        .ok_or_else(|| format!("Item with id {id} was not found in the registry."))?;
    if item.get("item_subtype").and_then(Value::as_str) != Some(subtype) {
        return Err(format!("Item with id {id} is not of subtype {subtype}."));
    }
    if item.get("record_type").and_then(Value::as_str) == Some("SEED_ITEM") {
        return Err(format!("Item with id {id} is an incomplete seed record."));
    }
    Ok(item)
}

fn template_ids(workflow: &Value, key: &str) -> Vec<(String, bool)> {
    workflow
        .get(key)
        .and_then(Value::as_array)
        .map(|templates| {
            templates
                .iter()
                .filter_map(|template| {
                    let id = template.get("template_id")?.as_str()?.to_owned();
                    let optional = template
                        .get("optional")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    Some((id, optional))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a record the way the real service does before registering it, and returns the
/// model id of its workflow template.
fn validate_record(state: &AppState, record: &ModelRunRecord) -> Result<String, String> {
    if record.end_time < record.start_time {
        return Err(String::from(
            "The end time cannot be before the start time of a model run",
        ));
    }
    if record.display_name.is_empty() {
        return Err(String::from("Display name cannot be empty string"));
    }
    if record.description.is_empty() {
        return Err(String::from("Description cannot be empty string"));
    }
    if let Some(study) = &record.study_id {
        registry_item(state, study, "STUDY").map_err(|error| {
            format!("Provided study with id {study} was not a valid id, error: {error}")
        })?;
    }
    let workflow_id = &record.workflow_template_id;
    let workflow = registry_item(state, workflow_id, "MODEL_RUN_WORKFLOW_TEMPLATE").map_err(|error| {
        format!("Provided model run workflow definition with id {workflow_id} was not a valid id, error: {error}")
    })?;
    let required_annotations: Vec<String> = workflow
        .pointer("/annotations/required")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&String> = required_annotations
        .iter()
        .filter(|key| {
            !record
                .annotations
                .as_ref()
                .is_some_and(|given| given.contains_key(*key))
        })
        .collect();
    if !missing.is_empty() {
        let keys: Vec<&str> = missing.iter().map(|key| key.as_str()).collect();
        return Err(format!(
            "Missing required annotations with keys: ({}).",
            keys.join(", ")
        ));
    }
    for (label, key, provided) in [
        ("inputs", "input_templates", &record.inputs),
        ("outputs", "output_templates", &record.outputs),
    ] {
        let expected = template_ids(&workflow, key);
        for (template_id, optional) in &expected {
            let template = registry_item(state, template_id, "DATASET_TEMPLATE").map_err(|error| {
                format!("Provided dataset template with id {template_id} (associated with the workflow def.) was not a valid id, error: {error}")
            })?;
            let given: Vec<&TemplatedDataset> = provided
                .iter()
                .filter(|dataset| &dataset.dataset_template_id == template_id)
                .collect();
            if given.is_empty() && !optional {
                return Err(format!(
                    "The workflow definition expects dataset with template ID {template_id} but it was not present in the {label}."
                ));
            }
            let required_keys: Vec<String> = template
                .get("deferred_resources")
                .and_then(Value::as_array)
                .map(|resources| {
                    resources
                        .iter()
                        .filter(|resource| {
                            !resource
                                .get("optional")
                                .and_then(Value::as_bool)
                                .unwrap_or(false)
                        })
                        .filter_map(|resource| resource.get("key")?.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            for dataset in given {
                let keys = dataset.resources.clone().unwrap_or_default();
                let absent: Vec<&str> = required_keys
                    .iter()
                    .filter(|key| !keys.contains_key(*key))
                    .map(String::as_str)
                    .collect();
                if !absent.is_empty() {
                    return Err(format!(
                        "The provided dataset template with id {template_id} and dataset id {} was missing deferred resource paths for the following required resource keys ({}).",
                        dataset.dataset_id,
                        absent.join(",")
                    ));
                }
            }
        }
        for dataset in provided {
            if !expected
                .iter()
                .any(|(id, _)| id == &dataset.dataset_template_id)
            {
                return Err(format!(
                    "A template in the {label} (id: {}) does not exist in the workflow definition's list.",
                    dataset.dataset_template_id
                ));
            }
            registry_item(state, &dataset.dataset_id, "DATASET").map_err(|error| {
                format!(
                    "Dataset with id {} was not a valid id, error: {error}",
                    dataset.dataset_id
                )
            })?;
        }
    }
    let model_id = workflow
        .get("software_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    registry_item(state, &model_id, "MODEL").map_err(|error| {
        format!("Model with id {model_id} (associated with workflow definition) was not a valid model, error: {error}.")
    })?;
    let modeller = &record.associations.modeller_id;
    registry_item(state, modeller, "PERSON").map_err(|error| {
        format!("Modeller with id {modeller} was not a valid person, error: {error}.")
    })?;
    if let Some(organisation) = &record.associations.requesting_organisation_id {
        registry_item(state, organisation, "ORGANISATION").map_err(|error| {
            format!(
                "Organisation with id {organisation} was not a valid organisation, error: {error}."
            )
        })?;
    }
    Ok(model_id)
}

fn invalid_record(error: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Failed to validate an entity's ID in the record, error: {error}."
    ))
}

// Registration.

fn record_graph(record_id: &str, model_id: &str, record: &ModelRunRecord) -> graph::RecordGraph {
    graph::model_run_graph(&RecordShape {
        record_id,
        workflow_template_id: &record.workflow_template_id,
        model_id,
        modeller_id: &record.associations.modeller_id,
        organisation_id: record.associations.requesting_organisation_id.as_deref(),
        study_id: record.study_id.as_deref(),
        inputs: record
            .inputs
            .iter()
            .map(|dataset| {
                (
                    dataset.dataset_template_id.as_str(),
                    dataset.dataset_id.as_str(),
                )
            })
            .collect(),
        outputs: record
            .outputs
            .iter()
            .map(|dataset| {
                (
                    dataset.dataset_template_id.as_str(),
                    dataset.dataset_id.as_str(),
                )
            })
            .collect(),
    })
}

/// Serialises a record's graph as the PROV-JSON document the registry item keeps.
fn prov_json(graph: &graph::RecordGraph) -> String {
    let mut document = json!({
        "prefix": { "default": "http://hdl.handle.net/" },
        "entity": {}, "activity": {}, "agent": {},
    });
    for (id, category, subtype) in &graph.nodes {
        let section = match category.as_str() {
            "ACTIVITY" => "activity",
            "AGENT" => "agent",
            _ => "entity",
        };
        document[section][id] = json!({
            "id": id, "item_category": category, "item_subtype": subtype,
        });
    }
    for (index, (source, target, relation)) in graph.links.iter().enumerate() {
        let (first, second) = match relation.as_str() {
            "used" => ("prov:activity", "prov:entity"),
            "wasGeneratedBy" => ("prov:entity", "prov:activity"),
            "wasAssociatedWith" => ("prov:activity", "prov:agent"),
            "wasAttributedTo" => ("prov:entity", "prov:agent"),
            "wasInformedBy" => ("prov:informed", "prov:informant"),
            "hadMember" => ("prov:collection", "prov:entity"),
            _ => ("prov:influencee", "prov:influencer"),
        };
        let section = if relation == "hadMember" {
            "hadMember"
        } else {
            relation.as_str()
        };
        if document.get(section).is_none() {
            document[section] = json!({});
        }
        document[section][format!("_:id{}", index + 1)] = json!({ first: source, second: target });
    }
    document.to_string()
}

/// Creates the model run item, lodges its graph, and returns `ProvenanceRecordInfo`.
fn register_record(
    state: &AppState,
    username: &str,
    model_id: &str,
    record: &ModelRunRecord,
) -> Value {
    let landing = state
        .endpoints()
        .url(Service::Registry)
        .map(|url| url.to_string())
        .unwrap_or_default();
    let id = state.handles().mint(&landing);
    let graph = record_graph(&id, model_id, record);
    let serialisation = prov_json(&graph);
    let now = state.now();
    let record_json = json!(record);
    let item = json!({
        "id": id,
        "display_name": record.display_name,
        "item_category": "ACTIVITY",
        "item_subtype": "MODEL_RUN",
        "owner_username": username,
        "created_timestamp": now,
        "updated_timestamp": now,
        "record_type": "COMPLETE_ITEM",
        "record_status": "LODGED",
        "record": record_json,
        "prov_serialisation": serialisation,
        "workflow_links": {},
        "history": [{
            "id": 0,
            "timestamp": now,
            "reason": "Initial record creation",
            "username": username,
            "item": {
                "display_name": record.display_name,
                "record_status": "LODGED",
                "record": record_json,
                "prov_serialisation": serialisation,
            },
        }],
    });
    state.registry().insert(item);
    state.prov().graph.lodge(&id, &graph);
    json!({ "id": id, "prov_json": serialisation, "record": record_json })
}

/// Returns the stand-in for the encrypted user information the real service puts into job
/// payloads. The double marks the username instead of encrypting it.
fn user_info(username: &str) -> String {
    format!("double-encrypted-user:{username}")
}

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(record): ValidJson<ModelRunRecord>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let model_id = validate_record(&state, &record).map_err(|error| invalid_record(&error))?;
    let info = register_record(&state, &caller.username, &model_id, &record);
    let payload = json!({
        "record": record, "revalidate": false, "user_info": user_info(&caller.username),
    });
    let session_id = state.jobs().submit_scheduled(
        &caller.username,
        "PROV_LODGE",
        "MODEL_RUN_PROV_LODGE",
        payload,
        None,
        Ok(json!({ "record": info })),
    );
    Ok(Json(json!({
        "status": status_value(true, "Job dispatched, monitor session ID using the job API to see progress."),
        "session_id": session_id,
    })))
}

async fn register_sync(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(record): ValidJson<ModelRunRecord>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let model_id = validate_record(&state, &record).map_err(|error| invalid_record(&error))?;
    let info = register_record(&state, &caller.username, &model_id, &record);
    Ok(Json(json!({
        "status": status_value(true, "Provenance record lodged successfully."),
        "record_info": info,
    })))
}

/// Registers the records of a batch: one lodge job per record in a new batch, each
/// failing with the validation error of an invalid record.
pub(crate) fn submit_batch(state: &AppState, username: &str, records: &[ModelRunRecord]) -> String {
    let batch_id = state.jobs().new_batch_id();
    for record in records {
        let outcome = validate_record(state, record)
            .map(
                |model_id| json!({ "record": register_record(state, username, &model_id, record) }),
            )
            .map_err(|error| {
                invalid_record(&error)
                    .detail()
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            });
        let payload = json!({
            "record": record, "revalidate": true, "user_info": user_info(username),
        });
        state.jobs().submit_scheduled(
            username,
            "PROV_LODGE",
            "MODEL_RUN_PROV_LODGE",
            payload,
            Some(batch_id.clone()),
            outcome,
        );
    }
    batch_id
}

async fn register_batch(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<BatchRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let batch_id = submit_batch(&state, &caller.username, &request.records);
    let payload = json!({ "records": request.records, "user_info": user_info(&caller.username) });
    let session_id = state.jobs().submit_scheduled(
        &caller.username,
        "PROV_LODGE",
        "MODEL_RUN_BATCH_SUBMIT",
        payload,
        None,
        Ok(json!({ "batch_id": batch_id })),
    );
    Ok(Json(json!({
        "status": status_value(true, "Job dispatched, monitor session ID using the job API to see progress."),
        "session_id": session_id,
    })))
}

/// Replaces a model run's record and graph. Like the real job, it fails when the model
/// run is unknown or belongs to another user.
fn apply_update(
    state: &AppState,
    caller: &Caller,
    model_run_id: &str,
    reason: &str,
    model_id: &str,
    record: &ModelRunRecord,
) -> Result<Value, String> {
    let mut item = registry_item(state, model_run_id, "MODEL_RUN").map_err(|error| {
        format!("Failed to fetch the existing model run {model_run_id} from the registry: {error}")
    })?;
    let owner = item
        .get("owner_username")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if owner != caller.username && !caller.is_registry_admin() {
        return Err(format!(
            "Failed to update model run {model_run_id} in the registry: you are not authorised to edit the item."
        ));
    }
    let graph = record_graph(model_run_id, model_id, record);
    let serialisation = prov_json(&graph);
    let now = state.now();
    let record_json = json!(record);
    item["display_name"] = json!(record.display_name);
    item["record"] = record_json.clone();
    item["prov_serialisation"] = json!(serialisation);
    item["updated_timestamp"] = json!(now);
    let history_len = item
        .get("history")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let entry = json!({
        "id": history_len,
        "timestamp": now,
        "reason": reason,
        "username": caller.username,
        "item": {
            "display_name": record.display_name,
            "record_status": "LODGED",
            "record": record_json,
            "prov_serialisation": serialisation,
        },
    });
    if let Some(history) = item.get_mut("history").and_then(Value::as_array_mut) {
        // Newest first.
        history.insert(0, entry);
    }
    state.registry().insert(item);
    {
        let mut prov = state.prov();
        prov.graph.remove_record(model_run_id, false);
        prov.graph.lodge(model_run_id, &graph);
    }
    Ok(
        json!({ "record": { "id": model_run_id, "prov_json": serialisation, "record": record_json } }),
    )
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<UpdateRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let model_id =
        validate_record(&state, &request.record).map_err(|error| invalid_record(&error))?;
    let outcome = apply_update(
        &state,
        &caller,
        &request.model_run_id,
        &request.reason,
        &model_id,
        &request.record,
    );
    let payload = json!({
        "model_run_record_id": request.model_run_id,
        "updated_record": request.record,
        "reason": request.reason,
        "revalidate": true,
        "user_info": user_info(&caller.username),
    });
    let session_id = state.jobs().submit_scheduled(
        &caller.username,
        "PROV_LODGE",
        "MODEL_RUN_UPDATE",
        payload,
        None,
        outcome,
    );
    Ok(Json(json!({ "session_id": session_id })))
}

async fn delete_model_run(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<DeleteRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    registry_item(&state, &request.record_id, "MODEL_RUN").map_err(|error| {
        ApiError::bad_request(format!(
            "Exception: could not delete model run as error occurred when fetching the record from the registry: {error}"
        ))
    })?;
    let diff = state
        .prov()
        .graph
        .remove_record(&request.record_id, request.trial_mode);
    Ok(Json(json!({ "diff": diff })))
}

async fn link_to_study(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<StudyLinkQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    let item = registry_item(&state, &query.model_run_id, "MODEL_RUN")
        .map_err(|error| ApiError::bad_request(format!("Invalid model run id: {error}")))?;
    registry_item(&state, &query.study_id, "STUDY")
        .map_err(|error| ApiError::bad_request(format!("Invalid study id: {error}")))?;
    let mut record: ModelRunRecord =
        serde_json::from_value(item["record"].clone()).map_err(|error| {
            ApiError::internal(format!("Stored model run record is invalid: {error}"))
        })?;
    record.study_id = Some(query.study_id.clone());
    let model_id = validate_record(&state, &record).map_err(|error| invalid_record(&error))?;
    let outcome = apply_update(
        &state,
        &caller,
        &query.model_run_id,
        "Linking model run to study.",
        &model_id,
        &record,
    )
    .map_err(|error| {
        ApiError::bad_request(format!(
            "Error occurred while updating model run in registry: {error}"
        ))
    })?;
    let payload = json!({
        "model_run_record_id": query.model_run_id,
        "record": record,
        "revalidate": false,
        "user_info": user_info(&caller.username),
    });
    let session_id = state.jobs().submit_scheduled(
        &caller.username,
        "PROV_LODGE",
        "MODEL_RUN_LODGE_ONLY",
        payload,
        None,
        Ok(outcome),
    );
    Ok(Json(json!({
        "status": status_value(true, "Succesfully linked model run and study together in the registry and lodged a job for the provenance graph update with given session ID."),
        "model_run_id": query.model_run_id,
        "study_id": query.study_id,
        "session_id": session_id,
    })))
}

// Lineage.

#[derive(Debug, Clone, Copy)]
enum LineageKind {
    Upstream,
    Downstream,
    ContributingDatasets,
    EffectedDatasets,
    ContributingAgents,
    EffectedAgents,
}

async fn lineage(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<LineageQuery>,
    kind: LineageKind,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let default = match kind {
        LineageKind::Upstream | LineageKind::Downstream => DEPTH_DEFAULT,
        _ => DEPTH_SPECIALISED_DEFAULT,
    };
    let depth = query.depth.filter(|depth| *depth != 0).unwrap_or(default);
    if depth > DEPTH_MAXIMUM {
        return Err(ApiError::bad_request(format!(
            "Depth provided is in excess of depth maximum: {DEPTH_MAXIMUM}."
        )));
    }
    let start = query.starting_id.as_str();
    if state.registry().get(start).is_none() {
        return Err(ApiError::internal(format!(
            "The provided id {start} was not a valid registry item. Error from registry lookup: Item with id {start} was not found in the registry.."
        )));
    }
    let prov = state.prov();
    let is_dataset = |node: &graph::Node| node.subtype == "DATASET";
    let is_agent = |node: &graph::Node| node.category == "AGENT";
    let any = |_: &graph::Node| true;
    let links = match kind {
        LineageKind::Upstream => prov.graph.paths(start, depth, Direction::Upstream, &any),
        LineageKind::Downstream => prov.graph.paths(start, depth, Direction::Downstream, &any),
        LineageKind::ContributingDatasets => {
            prov.graph
                .paths(start, depth, Direction::Upstream, &is_dataset)
        }
        LineageKind::EffectedDatasets => {
            prov.graph
                .paths(start, depth, Direction::Downstream, &is_dataset)
        }
        LineageKind::ContributingAgents => {
            prov.graph
                .paths(start, depth, Direction::Upstream, &is_agent)
        }
        LineageKind::EffectedAgents => prov.graph.effected_agents(start, depth),
    };
    let graph = prov.graph.node_link(&links);
    drop(prov);
    let count = graph["nodes"].as_array().map_or(0, Vec::len);
    let details = match kind {
        LineageKind::Upstream => {
            format!("Made lineage query (with depth {depth}) to neo4j backend.")
        }
        LineageKind::Downstream => {
            format!("Made downstream query (with depth {depth}) to neo4j backend.")
        }
        LineageKind::ContributingDatasets | LineageKind::ContributingAgents => {
            format!("Made upstream contribution query (with depth {depth}) to neo4j backend.")
        }
        LineageKind::EffectedDatasets | LineageKind::EffectedAgents => {
            format!("Made downstream effect query (with depth {depth}) to neo4j backend.")
        }
    };
    Ok(Json(json!({
        "status": status_value(true, details),
        "record_count": count,
        "graph": graph,
    })))
}

// Reports.

async fn generate_report(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ReportRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    if request.depth < 1 {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body"), json!("depth")],
            "ensure this value is greater than or equal to 1",
            "value_error.number.not_ge",
        )]));
    }
    if request.depth > 3 {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body"), json!("depth")],
            "ensure this value is less than or equal to 3",
            "value_error.number.not_le",
        )]));
    }
    let outcome = report_document(&state, &request).map(|document| {
        let token = uuid::Uuid::new_v4().simple().to_string();
        state.prov().reports.insert(token.clone(), document);
        let base = state
            .endpoints()
            .url(Service::Prov)
            .map(|url| url.as_str().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        json!({
            "report_url": format!(
                "{base}/_double/reports/{token}?X-Amz-Expires=3600&X-Amz-Signature={}",
                signature(&token)
            ),
        })
    });
    let payload = json!({
        "id": request.id,
        "item_subtype": request.item_subtype,
        "depth": request.depth,
        "user_info": user_info(&caller.username),
    });
    let session_id = state.jobs().submit_scheduled(
        &caller.username,
        "REPORT",
        "GENERATE_REPORT",
        payload,
        None,
        outcome,
    );
    Ok(Json(json!({ "session_id": session_id })))
}

/// Writes the report of a model run or study: its upstream lineage to `depth` and its
/// direct outputs.
fn report_document(state: &AppState, request: &ReportRequest) -> Result<Vec<u8>, String> {
    if !matches!(request.item_subtype.as_str(), "MODEL_RUN" | "STUDY") {
        return Err(format!(
            "Report generation supports MODEL_RUN and STUDY items, not {}.",
            request.item_subtype
        ));
    }
    let item = registry_item(state, &request.id, &request.item_subtype)
        .map_err(|error| format!("Failed to generate the report for {}: {error}", request.id))?;
    let depth = u32::try_from(request.depth).unwrap_or(1);
    let prov = state.prov();
    let any = |_: &graph::Node| true;
    let mut links = prov
        .graph
        .paths(&request.id, depth, Direction::Upstream, &any);
    for link in prov
        .graph
        .paths(&request.id, 1, Direction::Downstream, &any)
    {
        if !links.contains(&link) {
            links.push(link);
        }
    }
    let graph = prov.graph.node_link(&links);
    drop(prov);
    // NOTE: the real service writes a Word document. The double writes a plain-text
    // summary of the same relations, which is enough to check a download end to end.
    let mut text = format!(
        "Provenance report\nItem: {} ({})\nName: {}\nUpstream depth: {depth}\n\nRelations:\n",
        request.id,
        request.item_subtype,
        item.get("display_name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    );
    for link in graph["links"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "{} {} {}\n",
            link["source"].as_str().unwrap_or_default(),
            link["type"].as_str().unwrap_or_default(),
            link["target"].as_str().unwrap_or_default()
        ));
    }
    Ok(text.into_bytes())
}

/// Computes the stand-in for a presigned URL's signature, a digest of the token.
fn signature(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("provena-double-report:{token}").as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[derive(Debug, Deserialize)]
struct SignedQuery {
    #[serde(rename = "X-Amz-Signature")]
    signature: Option<String>,
}

/// Serves a report document like S3 serves a presigned URL: with the right signature, and
/// without a bearer token.
async fn download_report(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(query): Query<SignedQuery>,
) -> Response {
    if query.signature.as_deref() != Some(signature(&token).as_str()) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "application/xml")],
            "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        )
            .into_response();
    }
    match state.prov().reports.get(&token) {
        Some(document) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"report.txt\"",
                ),
            ],
            document.clone(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/xml")],
            "<Error><Code>NoSuchKey</Code></Error>",
        )
            .into_response(),
    }
}

// Graph administration.

fn lodge_stored(state: &AppState, stored: &StoredModelRun, validate: bool) -> ApiResult<()> {
    let model_id = if validate {
        validate_record(state, &stored.record).map_err(|error| invalid_record(&error))?
    } else {
        state
            .registry()
            .get(&stored.record.workflow_template_id)
            .and_then(|workflow| workflow.get("software_id")?.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let graph = record_graph(&stored.id, &model_id, &stored.record);
    state.prov().graph.lodge(&stored.id, &graph);
    Ok(())
}

async fn store_record(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ValidateQuery>,
    ValidJson(stored): ValidJson<StoredModelRun>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    lodge_stored(&state, &stored, query.validate_record)?;
    Ok(Json(
        json!({ "status": status_value(true, "Successfully stored record in graph.") }),
    ))
}

async fn store_records(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ValidateQuery>,
    ValidJson(records): ValidJson<Vec<StoredModelRun>>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    for stored in &records {
        lodge_stored(&state, stored, query.validate_record)?;
    }
    Ok(Json(json!({
        "status": status_value(true, format!("Successfully stored {} records in graph.", records.len())),
    })))
}

async fn store_all(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ValidateQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let model_runs: Vec<StoredModelRun> = state
        .registry()
        .searchable_items()
        .into_iter()
        .filter(|item| item.get("item_subtype").and_then(Value::as_str) == Some("MODEL_RUN"))
        .filter(|item| item.get("record_type").and_then(Value::as_str) == Some("COMPLETE_ITEM"))
        .filter_map(|item| serde_json::from_value(item).ok())
        .collect();
    for stored in &model_runs {
        lodge_stored(&state, stored, query.validate_record)?;
    }
    Ok(Json(json!({
        "status": status_value(true, format!("Successfully stored {} registry records in graph.", model_runs.len())),
    })))
}

async fn clear_graph(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    state.prov().graph.clear();
    Ok(Json(
        json!({ "status": status_value(true, "Cleared the graph.") }),
    ))
}

// Shared with `bulk`.

fn header_value(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

fn file_response(file_name: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Bytes::from(text),
    )
        .into_response()
}
