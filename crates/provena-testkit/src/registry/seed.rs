//! The registry's seed content: a small, linked catalogue of a reef modelling group.
//!
//! Two organisations, three people, two models, a dataset template, a workflow template,
//! two datasets, two model runs linking them, and a study. The `admin` user owns all of
//! them and is linked to the Person "Ada Admin"; `writer` and `reader` are not linked, so
//! they cannot create versioned entities until they link an account.

use serde_json::{Value, json};

use super::subtype;
use super::writes::{complete_item, history_entry, mint};
use crate::state::AppState;
use crate::users;

/// Fills the registry with the seed content.
pub(crate) fn seed(state: &AppState) {
    let mut seeder = Seeder {
        state,
        now: state.now() - 86_400,
    };

    let institute = seeder.add(
        "ORGANISATION",
        json!({
            "display_name": "Coastal Systems Institute",
            "name": "Coastal Systems Institute",
            "ror": "https://ror.org/00example01",
        }),
    );
    let bureau = seeder.add(
        "ORGANISATION",
        json!({
            "display_name": "Reef Data Bureau",
            "name": "Reef Data Bureau",
        }),
    );
    let ada = seeder.add(
        "PERSON",
        json!({
            "display_name": "Ada Admin",
            "email": "admin@example.org",
            "first_name": "Ada",
            "last_name": "Admin",
            "orcid": "https://orcid.org/0000-0002-1825-0097",
            "ethics_approved": true,
        }),
    );
    seeder.add(
        "PERSON",
        json!({
            "display_name": "Wren Writer",
            "email": "writer@example.org",
            "first_name": "Wren",
            "last_name": "Writer",
            "ethics_approved": true,
        }),
    );
    seeder.add(
        "PERSON",
        json!({
            "display_name": "Kai Modeller",
            "email": "kai@example.org",
            "first_name": "Kai",
            "last_name": "Modeller",
            "ethics_approved": false,
        }),
    );
    let coral_model = seeder.add(
        "MODEL",
        json!({
            "display_name": "Coral cover model",
            "name": "Coral cover model",
            "description": "Predicts hard coral cover from temperature and light forcing.",
            "documentation_url": "https://models.example.org/coral/docs",
            "source_url": "https://models.example.org/coral/source",
        }),
    );
    seeder.add(
        "MODEL",
        json!({
            "display_name": "Sediment transport model",
            "name": "Sediment transport model",
            "description": "Moves fine sediment along the shelf under tides and river plumes.",
            "documentation_url": "https://models.example.org/sediment/docs",
            "source_url": "https://models.example.org/sediment/source",
        }),
    );
    let forcing_template = seeder.add(
        "DATASET_TEMPLATE",
        json!({
            "display_name": "Daily forcing data",
            "description": "Sea surface temperature and light, one NetCDF file per year.",
            "defined_resources": [{
                "path": "forcing/sst.nc",
                "description": "Sea surface temperature",
                "usage_type": "FORCING_DATA",
            }],
            "deferred_resources": [],
        }),
    );
    let output_template = seeder.add(
        "DATASET_TEMPLATE",
        json!({
            "display_name": "Coral cover output",
            "description": "Yearly coral cover grids.",
            "defined_resources": [{
                "path": "output/cover.csv",
                "description": "Coral cover per reef and year",
                "usage_type": "GENERAL_DATA",
            }],
            "deferred_resources": [],
        }),
    );
    let workflow = seeder.add(
        "MODEL_RUN_WORKFLOW_TEMPLATE",
        json!({
            "display_name": "Coral cover run",
            "software_id": coral_model,
            "input_templates": [{ "template_id": forcing_template }],
            "output_templates": [{ "template_id": output_template }],
        }),
    );
    let forcing = seeder.add(
        "DATASET",
        dataset(
            "Forcing data 2020-2024",
            "Daily sea surface temperature and light over the northern reefs.",
            &institute,
            &bureau,
        ),
    );
    let output = seeder.add(
        "DATASET",
        dataset(
            "Coral cover 2020-2024",
            "Modelled hard coral cover per reef.",
            &institute,
            &bureau,
        ),
    );
    let study = seeder.add(
        "STUDY",
        json!({
            "display_name": "Reef futures study",
            "title": "Reef futures study",
            "description": "Compares coral cover across forcing scenarios.",
        }),
    );
    for (index, name) in ["Baseline run", "Warming scenario run"].iter().enumerate() {
        let start = seeder.now - 3_600 * (2 - index as i64);
        seeder.add(
            "MODEL_RUN",
            json!({
                "display_name": name,
                "record_status": "COMPLETE",
                "prov_serialisation": "",
                "record": {
                    "workflow_template_id": workflow,
                    "model_version": "1.4.0",
                    "inputs": [{
                        "dataset_template_id": forcing_template,
                        "dataset_id": forcing,
                        "dataset_type": "DATA_STORE",
                    }],
                    "outputs": [{
                        "dataset_template_id": output_template,
                        "dataset_id": output,
                        "dataset_type": "DATA_STORE",
                    }],
                    "display_name": name,
                    "description": format!("{name} of the coral cover model."),
                    "study_id": study,
                    "associations": {
                        "modeller_id": ada,
                        "requesting_organisation_id": institute,
                    },
                    "start_time": start,
                    "end_time": start + 1_800,
                },
            }),
        );
    }
    state.auth_api().link(users::ADMIN, &ada);
}

fn dataset(name: &str, description: &str, organisation: &str, publisher: &str) -> Value {
    json!({
        "display_name": name,
        "collection_format": {
            "associations": { "organisation_id": organisation },
            "approvals": {
                "ethics_registration": { "relevant": false, "obtained": false },
                "ethics_access": { "relevant": false, "obtained": false },
                "indigenous_knowledge": { "relevant": false, "obtained": false },
                "export_controls": { "relevant": false, "obtained": false },
            },
            "dataset_info": {
                "name": name,
                "description": description,
                "access_info": { "reposited": true },
                "publisher_id": publisher,
                "created_date": { "relevant": true, "value": "2024-06-30" },
                "published_date": { "relevant": true, "value": "2024-07-01" },
                "license": "https://creativecommons.org/licenses/by/4.0/",
                "keywords": ["coral", "reef"],
            },
        },
        "s3": {
            "bucket_name": "provena-double",
            "path": "datasets/pending/",
            "s3_uri": "s3://provena-double/datasets/pending/",
        },
        "release_status": "NOT_RELEASED",
    })
}

/// Adds seed items one minute apart, owned by `admin`.
struct Seeder<'a> {
    state: &'a AppState,
    now: i64,
}

impl Seeder<'_> {
    /// Adds a complete item of `subtype_name` with `info` and returns its id.
    fn add(&mut self, subtype_name: &str, mut info: Value) -> String {
        let Some(subtype) = subtype(subtype_name) else {
            return String::new();
        };
        let id = mint(self.state);
        self.now += 60;
        if subtype.name == "DATASET" {
            let path = format!("datasets/{}/", id.replace(['/', '.'], "-"));
            info["s3"]["path"] = json!(path);
            info["s3"]["s3_uri"] = json!(format!("s3://provena-double/{path}"));
        }
        let mut item = complete_item(subtype, &id, users::ADMIN, self.now, self.now, &info);
        item["history"] = json!([history_entry(
            0,
            self.now,
            "Initial record creation",
            users::ADMIN,
            &info
        )]);
        if subtype.versioned {
            item["versioning_info"] = json!({ "version": 1 });
        }
        self.state.registry().insert(item);
        id
    }
}
