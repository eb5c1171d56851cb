//! Registry items the double seeds so that model runs can be registered at once: a person,
//! an organisation, a model, an input and an output dataset template, a workflow template
//! joining them, two datasets and a study.
//!
//! The ids sit far above the handles the double mints, so they never collide.

use serde_json::{Value, json};

use crate::state::AppState;

/// A person, usable as a model run's modeller.
pub const PERSON: &str = "10378.1/1699901";
/// An organisation, usable as a model run's requesting organisation.
pub const ORGANISATION: &str = "10378.1/1699902";
/// A model, the software of [`WORKFLOW_TEMPLATE`].
pub const MODEL: &str = "10378.1/1699903";
/// The input dataset template of [`WORKFLOW_TEMPLATE`], with one deferred resource
/// `forcing_file`.
pub const INPUT_TEMPLATE: &str = "10378.1/1699904";
/// The output dataset template of [`WORKFLOW_TEMPLATE`], without deferred resources.
pub const OUTPUT_TEMPLATE: &str = "10378.1/1699905";
/// A model run workflow template: one input, one output, the required annotation
/// `scenario` and the optional annotation `notes`.
pub const WORKFLOW_TEMPLATE: &str = "10378.1/1699906";
/// A dataset, usable as an input.
pub const INPUT_DATASET: &str = "10378.1/1699907";
/// A dataset, usable as an output.
pub const OUTPUT_DATASET: &str = "10378.1/1699908";
/// A study model runs can be linked to.
pub const STUDY: &str = "10378.1/1699909";

/// Puts the fixture items into the registry, replacing items with the same ids.
pub(crate) fn seed(state: &AppState) {
    let now = state.now();
    let items = [
        item(
            PERSON,
            "AGENT",
            "PERSON",
            "Pat Modeller",
            now,
            json!({
                "email": "pat.modeller@example.org",
                "first_name": "Pat",
                "last_name": "Modeller",
                "ethics_approved": true,
            }),
        ),
        item(
            ORGANISATION,
            "AGENT",
            "ORGANISATION",
            "Reef Research Institute",
            now,
            json!({
                "name": "Reef Research Institute",
            }),
        ),
        item(
            MODEL,
            "ENTITY",
            "MODEL",
            "Coral growth model",
            now,
            json!({
                "name": "Coral growth model",
                "description": "Simulates coral cover under forcing scenarios.",
                "documentation_url": "https://models.example.org/coral/docs",
                "source_url": "https://models.example.org/coral/source",
            }),
        ),
        item(
            INPUT_TEMPLATE,
            "ENTITY",
            "DATASET_TEMPLATE",
            "Forcing inputs",
            now,
            json!({
                "description": "Forcing data for the coral model.",
                "defined_resources": [],
                "deferred_resources": [{
                    "key": "forcing_file",
                    "description": "The forcing time series.",
                    "usage_type": "PARAMETER_FILE",
                    "optional": false,
                    "is_folder": false,
                }],
            }),
        ),
        item(
            OUTPUT_TEMPLATE,
            "ENTITY",
            "DATASET_TEMPLATE",
            "Coral cover outputs",
            now,
            json!({
                "description": "Coral cover results.",
                "defined_resources": [],
                "deferred_resources": [],
            }),
        ),
        item(
            WORKFLOW_TEMPLATE,
            "ENTITY",
            "MODEL_RUN_WORKFLOW_TEMPLATE",
            "Coral model workflow",
            now,
            json!({
                "software_id": MODEL,
                "input_templates": [{ "template_id": INPUT_TEMPLATE, "optional": false }],
                "output_templates": [{ "template_id": OUTPUT_TEMPLATE, "optional": false }],
                "annotations": { "required": ["scenario"], "optional": ["notes"] },
            }),
        ),
        item(
            INPUT_DATASET,
            "ENTITY",
            "DATASET",
            "Forcing data 2021",
            now,
            dataset("Forcing data 2021"),
        ),
        item(
            OUTPUT_DATASET,
            "ENTITY",
            "DATASET",
            "Coral cover 2021",
            now,
            dataset("Coral cover 2021"),
        ),
        item(
            STUDY,
            "ACTIVITY",
            "STUDY",
            "Reef futures study",
            now,
            json!({
                "title": "Reef futures study",
                "description": "Compares coral cover across forcing scenarios.",
            }),
        ),
    ];
    let mut registry = state.registry();
    for item in items {
        registry.insert(item);
    }
}

fn item(id: &str, category: &str, subtype: &str, name: &str, now: i64, domain: Value) -> Value {
    let mut item = json!({
        "id": id,
        "display_name": name,
        "item_category": category,
        "item_subtype": subtype,
        "owner_username": "admin",
        "created_timestamp": now,
        "updated_timestamp": now,
        "record_type": "COMPLETE_ITEM",
        "workflow_links": {},
    });
    let mut history_item = json!({ "display_name": name });
    if let (Some(target), Value::Object(fields)) = (item.as_object_mut(), domain) {
        for (key, value) in fields {
            history_item[&key] = value.clone();
            target.insert(key, value);
        }
    }
    item["history"] = json!([{
        "id": 0,
        "timestamp": now,
        "reason": "Initial record creation",
        "username": "admin",
        "item": history_item,
    }]);
    item
}

fn dataset(name: &str) -> Value {
    json!({
        "collection_format": {
            "associations": { "organisation_id": ORGANISATION },
            "approvals": {
                "ethics_registration": { "relevant": false },
                "ethics_access": { "relevant": false },
                "indigenous_knowledge": { "relevant": false },
                "export_controls": { "relevant": false },
            },
            "dataset_info": {
                "name": name,
                "description": format!("{name}, registered for provenance tests."),
                "publisher_id": ORGANISATION,
                "access_info": { "reposited": true },
                "created_date": { "relevant": true, "value": "2021-06-01" },
                "published_date": { "relevant": true, "value": "2021-06-02" },
                "license": "https://example.org/licenses/by/4.0/",
            },
        },
        "s3": {
            "bucket_name": "provena-double",
            "path": "datasets/fixture/",
            "s3_uri": "s3://provena-double/datasets/fixture/",
        },
        "release_status": "NOT_RELEASED",
    })
}
