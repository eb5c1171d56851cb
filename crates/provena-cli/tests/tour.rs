//! The tour, run as a user runs it: the `provena` binary against the embedded double.

use std::path::Path;
use std::process::{Command, Output};

fn provena(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provena"))
        .args(args)
        .env_remove("PROVENA_DOMAIN")
        .env_remove("PROVENA_REALM")
        .output()
        .expect("the provena binary starts")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn tour_completes_every_step() {
    let output = provena(&["tour"]);
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "tour failed: {text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in 1..=16 {
        let prefix = format!("[{step:>2}/16] ");
        let line = text
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("step {step} is missing from:\n{text}"));
        assert!(line.contains(": ok, "), "step {step} did not pass: {line}");
    }
    assert!(text.contains("tour complete: 16 steps"), "{text}");
}

fn write(dir: &Path, relative: &str, body: &serde_json::Value) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(body).unwrap()).unwrap();
}

/// Writes a payload folder whose workflow requires an annotation and whose input template
/// has a deferred resource, so the tour must fill both into the model run record.
fn payload_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "organisation/organisation_1.json",
        &serde_json::json!({
            "display_name": "Harbour Ecology Lab", "name": "Harbour Ecology Lab"
        }),
    );
    write(
        root,
        "person/person_1.json",
        &serde_json::json!({
            "display_name": "Sam Ortiz", "email": "sam.ortiz@example.org",
            "first_name": "Sam", "last_name": "Ortiz", "ethics_approved": true
        }),
    );
    write(
        root,
        "model/model_1.json",
        &serde_json::json!({
            "display_name": "Seagrass growth model", "name": "Seagrass growth model",
            "description": "Growth from light and temperature",
            "documentation_url": "https://example.org/seagrass", "source_url": "https://example.org/seagrass/src"
        }),
    );
    for (file, key) in [
        ("dataset_template_1.json", "light_series"),
        ("dataset_template_2.json", "growth_series"),
    ] {
        write(
            root,
            &format!("dataset_template/{file}"),
            &serde_json::json!({
                "display_name": format!("{key} template"),
                "defined_resources": [],
                "deferred_resources": [{"key": key, "description": "Series", "usage_type": "GENERAL_DATA"}]
            }),
        );
    }
    write(
        root,
        "model_run_workflow_template/model_run_workflow_template_1.json",
        &serde_json::json!({
            "display_name": "Seagrass workflow", "software_id": "0",
            "input_templates": [{"template_id": "0"}], "output_templates": [{"template_id": "0"}],
            "annotations": {"required": ["site"], "optional": []}
        }),
    );
    for file in ["collection_format_1.json", "collection_format_basic_1.json"] {
        write(
            root,
            &format!("dataset/{file}"),
            &serde_json::json!({
                "associations": {"organisation_id": "0"},
                "approvals": {
                    "ethics_registration": {"relevant": false, "obtained": false},
                    "ethics_access": {"relevant": false, "obtained": false},
                    "indigenous_knowledge": {"relevant": false, "obtained": false},
                    "export_controls": {"relevant": false, "obtained": false}
                },
                "dataset_info": {
                    "name": format!("Seagrass survey {file}"), "description": "Quadrat counts",
                    "access_info": {"reposited": true}, "publisher_id": "0",
                    "created_date": {"relevant": true, "value": "2023-05-01"},
                    "published_date": {"relevant": true, "value": "2023-05-02"},
                    "license": "https://example.org/licenses/by/4.0/", "keywords": ["seagrass"]
                }
            }),
        );
    }
    write(
        root,
        "model_run/model_run_record_1.json",
        &serde_json::json!({
            "workflow_template_id": "0", "model_version": "1.0",
            "inputs": [{"dataset_template_id": "0", "dataset_id": "0", "dataset_type": "DATA_STORE", "resources": {}}],
            "outputs": [{"dataset_template_id": "0", "dataset_id": "0", "dataset_type": "DATA_STORE", "resources": {}}],
            "annotations": {}, "display_name": "Seagrass run", "description": "Test run",
            "associations": {"modeller_id": "0"}, "start_time": 1700000000, "end_time": 1700003600
        }),
    );
    dir
}

#[test]
fn tour_runs_on_payload_folder() {
    let payloads = payload_folder();
    let output = provena(&["tour", "--payloads", payloads.path().to_str().unwrap()]);
    let text = stdout(&output);
    assert!(
        output.status.success(),
        "tour failed: {text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("register an organisation: ok, 10378.1/"),
        "{text}"
    );
    assert!(text.contains("Harbour Ecology Lab"), "{text}");
    assert!(text.contains("tour complete: 16 steps"), "{text}");
}

#[test]
fn tour_names_missing_payload_file() {
    let payloads = payload_folder();
    std::fs::remove_file(payloads.path().join("model/model_1.json")).unwrap();
    let output = provena(&["tour", "--payloads", payloads.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("model_1.json"), "{errors}");
    assert!(
        errors.contains("one sub-folder per item subtype"),
        "{errors}"
    );
    assert!(
        !stdout(&output).contains("[ 1/16]"),
        "the tour started before checking its payloads"
    );
}

#[test]
fn tour_rejects_payload_path_that_is_a_file() {
    let payloads = payload_folder();
    let file = payloads.path().join("model/model_1.json");
    let output = provena(&["tour", "--payloads", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("is not a folder"), "{errors}");
}

#[test]
fn tour_prints_json_summary() {
    let output = provena(&["tour", "--json"]);
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["steps"], 16);
}
