//! The bulk CSV tools: a workflow template's CSV template, converting a filled-in CSV into
//! model run records, and rebuilding the CSV of a submitted batch.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::text::{format_time, multipart_field, parse_csv, parse_time, write_csv};
use super::{
    AssociationInfo, DatasetType, ModelRunRecord, TemplatedDataset, file_response, header_value,
    registry_item,
};
use crate::auth::Caller;
use crate::respond::{ApiError, ApiResult, ValidQuery, status_value};
use crate::state::AppState;

const WORKFLOW_MARKER: &str = "_workflow template id";
const DISPLAY_NAME: &str = "display name";
const DESCRIPTION: &str = "description";
const MODEL_VERSION: &str = "model version (optional)";
const AGENT: &str = "agent id";
const STUDY: &str = "study id";
const START_TIME: &str = "execution start time (YYYY-MM-DD HH:MM:SS+HH:MM)";
const END_TIME: &str = "execution end time (YYYY-MM-DD HH:MM:SS+HH:MM)";
const JOB_HEADERS: [&str; 4] = [
    "_job_id",
    "_job_status",
    "_model_run_record_id",
    "_error_info",
];

/// The columns of one dataset template.
struct DatasetColumns {
    template_id: String,
    id_header: String,
    /// `(resource key, header)`.
    resources: Vec<(String, String)>,
}

/// The columns of a workflow template's CSV, in order.
struct Columns {
    workflow_id: String,
    inputs: Vec<DatasetColumns>,
    outputs: Vec<DatasetColumns>,
    required_annotations: Vec<String>,
    optional_annotations: Vec<String>,
}

impl Columns {
    fn headers(&self) -> Vec<String> {
        let mut headers = vec![format!("{WORKFLOW_MARKER} {}", self.workflow_id)];
        headers.extend(
            [
                DISPLAY_NAME,
                DESCRIPTION,
                MODEL_VERSION,
                AGENT,
                STUDY,
                START_TIME,
                END_TIME,
            ]
            .map(str::to_owned),
        );
        for dataset in self.inputs.iter().chain(&self.outputs) {
            headers.push(dataset.id_header.clone());
            headers.extend(dataset.resources.iter().map(|(_, header)| header.clone()));
        }
        for key in self
            .required_annotations
            .iter()
            .chain(&self.optional_annotations)
        {
            headers.push(format!("annotation: {key}"));
        }
        headers.extend(JOB_HEADERS.map(str::to_owned));
        headers
    }
}

fn columns(state: &AppState, workflow_id: &str) -> Result<Columns, String> {
    let workflow =
        registry_item(state, workflow_id, "MODEL_RUN_WORKFLOW_TEMPLATE").map_err(|error| {
            format!("The provided workflow template ID was invalid, error: {error}.")
        })?;
    let dataset_columns = |key: &str,
                           prefix: &str,
                           resource_prefix: &str|
     -> Result<Vec<DatasetColumns>, String> {
        super::template_ids(&workflow, key)
            .into_iter()
            .map(|(template_id, _)| {
                let template = registry_item(state, &template_id, "DATASET_TEMPLATE").map_err(|error| {
                    format!("The provided workflow template contained a dataset template id {template_id} which was invalid, error: {error}.")
                })?;
                let name = template.get("display_name").and_then(Value::as_str).unwrap_or_default();
                let resources = template
                    .get("deferred_resources")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|resource| resource.get("key")?.as_str())
                    .map(|key| (key.to_owned(), format!("{resource_prefix}{key}")))
                    .collect();
                Ok(DatasetColumns {
                    id_header: format!("{prefix}{name} [template id: {template_id}]"),
                    template_id,
                    resources,
                })
            })
            .collect()
    };
    let annotation_keys = |kind: &str| -> Vec<String> {
        workflow
            .pointer(&format!("/annotations/{kind}"))
            .and_then(Value::as_array)
            .map(|keys| {
                keys.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Columns {
        workflow_id: workflow_id.to_owned(),
        inputs: dataset_columns(
            "input_templates",
            "Input dataset id for template: ",
            "Input resource: ",
        )?,
        outputs: dataset_columns(
            "output_templates",
            "Output dataset id for template: ",
            "Output resource: ",
        )?,
        required_annotations: annotation_keys("required"),
        optional_annotations: annotation_keys("optional"),
    })
}

#[derive(Debug, Deserialize)]
pub(super) struct TemplateQuery {
    workflow_template_id: String,
}

pub(super) async fn generate_template(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<TemplateQuery>,
) -> ApiResult<Response> {
    caller.require_registry_read()?;
    let columns = columns(&state, &query.workflow_template_id).map_err(ApiError::bad_request)?;
    Ok(file_response("test.csv", write_csv(&[columns.headers()])))
}

/// Turns one CSV row into a model run record.
fn row_record(
    state: &AppState,
    columns: &Columns,
    row: &BTreeMap<&str, &str>,
) -> Result<ModelRunRecord, String> {
    let cell = |header: &str| -> &str { row.get(header).copied().unwrap_or_default().trim() };
    let dataset = |dataset: &DatasetColumns| -> Result<TemplatedDataset, String> {
        let dataset_id = cell(&dataset.id_header);
        registry_item(state, dataset_id, "DATASET").map_err(|error| {
            format!("The provided workflow template contained a dataset id {dataset_id} which was invalid, error: {error}.")
        })?;
        let mut resources = BTreeMap::new();
        for (key, header) in &dataset.resources {
            let path = cell(header);
            if path.is_empty() {
                return Err(format!(
                    "Expected a path for deferred resource {key} in column '{header}'."
                ));
            }
            resources.insert(key.clone(), path.to_owned());
        }
        Ok(TemplatedDataset {
            dataset_template_id: dataset.template_id.clone(),
            dataset_id: dataset_id.to_owned(),
            dataset_type: DatasetType::DataStore,
            resources: (!resources.is_empty()).then_some(resources),
        })
    };
    let inputs = columns
        .inputs
        .iter()
        .map(dataset)
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = columns
        .outputs
        .iter()
        .map(dataset)
        .collect::<Result<Vec<_>, _>>()?;
    let mut annotations = BTreeMap::new();
    for key in &columns.required_annotations {
        let value = cell(&format!("annotation: {key}"));
        if value.is_empty() {
            return Err(format!(
                "Required annotation with key {key} was either empty or None."
            ));
        }
        annotations.insert(key.clone(), value.to_owned());
    }
    for key in &columns.optional_annotations {
        let value = cell(&format!("annotation: {key}"));
        if !value.is_empty() {
            annotations.insert(key.clone(), value.to_owned());
        }
    }
    let time = |header: &str| -> Result<i64, String> {
        parse_time(cell(header)).ok_or_else(|| {
            String::from("Validation error when parsing provided time, expected format: YYYY-MM-DD HH:MM:SS+HH:MM.")
        })
    };
    let display_name = cell(DISPLAY_NAME);
    if display_name.is_empty() {
        return Err(String::from(
            "Expected display name to be non-empty string.",
        ));
    }
    let description = cell(DESCRIPTION);
    if description.is_empty() {
        return Err(String::from("Expected description to be non-empty string."));
    }
    let optional = |header: &str| Some(cell(header).to_owned()).filter(|value| !value.is_empty());
    Ok(ModelRunRecord {
        workflow_template_id: columns.workflow_id.clone(),
        model_version: optional(MODEL_VERSION),
        inputs,
        outputs,
        annotations: (!annotations.is_empty()).then_some(annotations),
        display_name: display_name.to_owned(),
        description: description.to_owned(),
        associations: AssociationInfo {
            modeller_id: cell(AGENT).to_owned(),
            requesting_organisation_id: None,
        },
        study_id: optional(STUDY),
        start_time: time(START_TIME)?,
        end_time: time(END_TIME)?,
    })
}

fn parse_error(error: &str) -> ApiError {
    ApiError::bad_request(format!(
        "An error occurred while parsing the uploaded csv file - are you sure it is valid? Exception: {error}."
    ))
}

pub(super) async fn convert(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let content_type = header_value(&headers, header::CONTENT_TYPE);
    let Some(file) = multipart_field(content_type, &body, "csv_file") else {
        return Err(ApiError::unprocessable(vec![
            crate::respond::FieldError::missing(vec![json!("body"), json!("csv_file")]),
        ]));
    };
    let text = String::from_utf8(file).map_err(|error| parse_error(&error.to_string()))?;
    let rows = parse_csv(&text).map_err(|error| parse_error(&error))?;
    let Some((header_row, data_rows)) = rows.split_first() else {
        return Err(ApiError::bad_request(
            "The provided CSV had no non header rows.",
        ));
    };
    let mut seen = HashSet::new();
    let duplicates: Vec<&String> = header_row
        .iter()
        .filter(|header| !seen.insert(*header))
        .collect();
    if !duplicates.is_empty() {
        return Err(parse_error(&format!(
            "Duplicate headers are not allowed. Detected duplicates: {duplicates:?}"
        )));
    }
    if data_rows.is_empty() {
        return Err(ApiError::bad_request(
            "The provided CSV had no non header rows.",
        ));
    }
    let markers: Vec<&String> = header_row
        .iter()
        .filter(|header| header.starts_with(&format!("{WORKFLOW_MARKER} ")))
        .collect();
    let workflow_id = match markers.as_slice() {
        [] => {
            return Err(ApiError::bad_request(
                "None of the provided headers matched the expected workflow template flag to identify the workflow template.",
            ));
        }
        [marker] => marker[WORKFLOW_MARKER.len()..].trim().to_owned(),
        _ => {
            return Err(ApiError::bad_request(
                "Multiple provided headers matched the expected workflow template flag to identify the workflow template.",
            ));
        }
    };
    let columns = columns(&state, &workflow_id).map_err(ApiError::bad_request)?;
    let expected = columns.headers();
    if let Some(missing) = expected.iter().find(|header| !header_row.contains(header)) {
        return Err(ApiError::bad_request(format!(
            "Header validation error in CSV: Expected header '{missing}' not in headers!"
        )));
    }
    let warnings: Vec<String> = header_row
        .iter()
        .filter(|header| !expected.contains(header))
        .map(|extra| format!("Extra column with header '{extra}' provided, ignoring"))
        .collect();
    let mut new_records = Vec::new();
    let mut existing_records = Vec::new();
    for (index, data) in data_rows.iter().enumerate() {
        let row: BTreeMap<&str, &str> = header_row
            .iter()
            .map(String::as_str)
            .zip(data.iter().map(String::as_str))
            .collect();
        let job_id = row.get("_job_id").copied().unwrap_or_default().trim();
        if !job_id.is_empty() {
            if state.jobs().get(job_id).is_none() {
                return Err(ApiError::bad_request(format!(
                    "The (job_id = '{job_id}') is not a known job in the job status database."
                )));
            }
            existing_records.push(job_id.to_owned());
            continue;
        }
        let record = row_record(&state, &columns, &row).map_err(|error| {
            ApiError::bad_request(format!(
                "There was an error while converting the CSV row for model run #{} into a model run record, exception: {error}.",
                index + 1
            ))
        })?;
        new_records.push(record);
    }
    Ok(Json(json!({
        "status": status_value(true, format!("Successfully generated model run records. There were {} warnings.", warnings.len())),
        "new_records": new_records,
        "existing_records": existing_records,
        "warnings": warnings,
    })))
}

#[derive(Debug, Deserialize)]
pub(super) struct BatchQuery {
    batch_id: String,
}

pub(super) async fn regenerate_from_batch(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<BatchQuery>,
) -> ApiResult<Response> {
    caller.require_registry_read()?;
    let batch_id = &query.batch_id;
    let jobs = state.jobs().batch(batch_id);
    if jobs
        .iter()
        .any(|job| job["username"].as_str() != Some(caller.username.as_str()))
    {
        return Err(ApiError::unauthorized(
            "Batch contains items which you do not own. Not authorised.",
        ));
    }
    if jobs
        .iter()
        .any(|job| job["job_sub_type"] != "MODEL_RUN_PROV_LODGE")
    {
        return Err(ApiError::bad_request(format!(
            "The specified batch ID {batch_id} contained jobs with non model run lodge job types."
        )));
    }
    let records: Vec<ModelRunRecord> = jobs
        .iter()
        .map(|job| serde_json::from_value(job["payload"]["record"].clone()))
        .collect::<Result<_, _>>()
        .map_err(|error| ApiError::internal(format!(
            "The specified batch ID {batch_id} contained jobs which could not be parsed as valid job payloads. Error: {error}."
        )))?;
    let templates: HashSet<&str> = records
        .iter()
        .map(|record| record.workflow_template_id.as_str())
        .collect();
    let workflow_id = match templates.into_iter().collect::<Vec<_>>().as_slice() {
        [single] => (*single).to_owned(),
        [] => {
            return Err(ApiError::bad_request(format!(
                "The specified batch ID {batch_id} contained no jobs."
            )));
        }
        _ => {
            return Err(ApiError::bad_request(format!(
                "The specified batch ID {batch_id} contained jobs with more than one workflow template IDs."
            )));
        }
    };
    let columns = columns(&state, &workflow_id).map_err(ApiError::bad_request)?;
    let mut rows = vec![columns.headers()];
    for (job, record) in jobs.iter().zip(&records) {
        rows.push(batch_row(&columns, job, record).map_err(ApiError::bad_request)?);
    }
    Ok(file_response("model_runs.csv", write_csv(&rows)))
}

fn batch_row(
    columns: &Columns,
    job: &Value,
    record: &ModelRunRecord,
) -> Result<Vec<String>, String> {
    let mut row = vec![
        String::new(),
        record.display_name.clone(),
        record.description.clone(),
        record.model_version.clone().unwrap_or_default(),
        record.associations.modeller_id.clone(),
        record.study_id.clone().unwrap_or_default(),
        format_time(record.start_time),
        format_time(record.end_time),
    ];
    for (dataset_columns, given) in columns
        .inputs
        .iter()
        .map(|columns| (columns, &record.inputs))
        .chain(
            columns
                .outputs
                .iter()
                .map(|columns| (columns, &record.outputs)),
        )
    {
        let dataset = given
            .iter()
            .find(|dataset| dataset.dataset_template_id == dataset_columns.template_id)
            .ok_or_else(|| {
                format!(
                    "No dataset found in model run record for dataset template: {}.",
                    dataset_columns.template_id
                )
            })?;
        row.push(dataset.dataset_id.clone());
        for (key, _) in &dataset_columns.resources {
            let value = dataset
                .resources
                .as_ref()
                .and_then(|resources| resources.get(key));
            row.push(value.cloned().ok_or_else(|| {
                format!("Expected deferred resource: {key} but was not found in model run record.")
            })?);
        }
    }
    for key in columns
        .required_annotations
        .iter()
        .chain(&columns.optional_annotations)
    {
        let value = record
            .annotations
            .as_ref()
            .and_then(|annotations| annotations.get(key));
        row.push(value.cloned().unwrap_or_default());
    }
    let status = job["status"].as_str().unwrap_or_default();
    row.push(job["session_id"].as_str().unwrap_or_default().to_owned());
    row.push(status.to_owned());
    row.push(
        job.pointer("/result/record/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    );
    row.push(if status == "FAILED" {
        job["info"].as_str().unwrap_or_default().to_owned()
    } else {
        String::new()
    });
    Ok(row)
}
