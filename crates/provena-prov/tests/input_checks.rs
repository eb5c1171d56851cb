//! Blank ids fail in the prov client with a usage error naming the argument, before any
//! request goes out.

use std::collections::BTreeMap;

use provena_http::http::StatusCode;
use provena_models::{AssociationInfo, DatasetType, ItemSubType, ModelRunRecord, TemplatedDataset};
use provena_prov::{Error, ProvClient, WaitError};
use provena_testkit::{Fault, ProvenaDouble, prov_fixture as fixture, users};

/// A valid record for the double's fixture workflow template.
fn record(name: &str) -> ModelRunRecord {
    ModelRunRecord {
        annotations: Some(BTreeMap::from([(
            "scenario".to_owned(),
            "RCP4.5".to_owned(),
        )])),
        associations: AssociationInfo {
            modeller_id: fixture::PERSON.to_owned(),
            requesting_organisation_id: Some(fixture::ORGANISATION.to_owned()),
        },
        description: format!("{name}, a test run"),
        display_name: name.to_owned(),
        end_time: 1_700_003_600,
        inputs: vec![TemplatedDataset {
            dataset_id: fixture::INPUT_DATASET.to_owned(),
            dataset_template_id: fixture::INPUT_TEMPLATE.to_owned(),
            dataset_type: DatasetType::DataStore,
            resources: Some(BTreeMap::from([(
                "forcing_file".to_owned(),
                "forcing/rcp45.nc".to_owned(),
            )])),
        }],
        model_version: Some("1.2".to_owned()),
        outputs: vec![TemplatedDataset {
            dataset_id: fixture::OUTPUT_DATASET.to_owned(),
            dataset_template_id: fixture::OUTPUT_TEMPLATE.to_owned(),
            dataset_type: DatasetType::DataStore,
            resources: None,
        }],
        start_time: 1_700_000_000,
        study_id: None,
        workflow_template_id: fixture::WORKFLOW_TEMPLATE.to_owned(),
    }
}

/// Starts the double with a fault armed on every service, so that any request that goes
/// out is counted by [`provena_testkit::Faults::applied`].
async fn tripwired() -> (ProvenaDouble, ProvClient) {
    let double = ProvenaDouble::start().await.expect("the double starts");
    double
        .faults()
        .inject(Fault::status(StatusCode::IM_A_TEAPOT));
    let prov = ProvClient::new(double.client(users::ADMIN));
    (double, prov)
}

fn assert_usage_error<T: std::fmt::Debug>(result: Result<T, Error>, argument: &str) {
    match result {
        Err(Error::Config { field, fix, .. }) => {
            assert_eq!(field, argument);
            assert!(
                fix.contains("handle id"),
                "the error says what to give: {fix}"
            );
        }
        other => panic!("expected a usage error for `{argument}`, got {other:?}"),
    }
}

#[tokio::test]
async fn blank_starting_ids_fail_before_any_request() {
    let (double, prov) = tripwired().await;
    for id in ["", "   "] {
        assert_usage_error(prov.explore_upstream(id, None).await, "starting_id");
        assert_usage_error(prov.explore_downstream(id, Some(1)).await, "starting_id");
        assert_usage_error(prov.contributing_datasets(id, None).await, "starting_id");
        assert_usage_error(prov.affected_datasets(id, None).await, "starting_id");
        assert_usage_error(prov.contributing_agents(id, None).await, "starting_id");
        assert_usage_error(prov.affected_agents(id, None).await, "starting_id");
    }
    assert_eq!(
        double.faults().applied(),
        0,
        "no request reached the double"
    );
}

#[tokio::test]
async fn blank_model_run_ids_fail_before_any_request() {
    let (double, prov) = tripwired().await;
    assert_usage_error(
        prov.update_model_run(" ", "fix the inputs", record("Blank"))
            .await,
        "model_run_id",
    );
    assert_usage_error(prov.link_to_study("", fixture::STUDY).await, "model_run_id");
    assert_usage_error(prov.link_to_study(fixture::MODEL, "\t").await, "study_id");
    assert_usage_error(prov.delete_model_run("").send().await, "model_run_id");
    assert_usage_error(prov.csv_template("").await, "workflow_template_id");
    assert_usage_error(prov.regenerate_from_batch_csv(" ").await, "batch_id");
    let dir = tempfile::tempdir().unwrap();
    let report = prov
        .generate_report("", ItemSubType::ModelRun, 1, dir.path().join("report.docx"))
        .await;
    match report {
        Err(WaitError::Request(error)) => assert_usage_error::<()>(Err(error), "id"),
        other => panic!("expected a usage error for `id`, got {other:?}"),
    }
    assert_eq!(
        double.faults().applied(),
        0,
        "no request reached the double"
    );
    let message = prov.csv_template(" ").await.unwrap_err().to_string();
    assert!(message.contains("workflow_template_id"), "{message}");

    // The tripwire counts a request that does go out.
    let sent = prov.csv_template(fixture::WORKFLOW_TEMPLATE).await;
    assert!(sent.is_err(), "the armed fault answers 418");
    assert_eq!(double.faults().applied(), 1);
}
