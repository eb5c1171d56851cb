//! The prov client against the embedded Provena double over HTTP.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use provena_models::{
    AssociationInfo, DatasetType, ItemCategory, ItemModelRun, ItemSubType, JobStatus,
    ModelRunRecord, TemplatedDataset,
};
use provena_prov::{
    Error, LineageGraph, PollPolicy, ProvClient, ProvRelation, WaitError, operations,
};
use provena_testkit::{ProvenaDouble, prov_fixture as fixture, users};

fn fast_policy() -> PollPolicy {
    PollPolicy::default()
        .with_intervals(Duration::from_millis(5), Duration::from_millis(20))
        .with_max_wait(Duration::from_secs(10))
}

async fn double() -> ProvenaDouble {
    ProvenaDouble::start().await.expect("the double starts")
}

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

/// Registers `record` as the writer and returns the new model run's id.
async fn register(prov: &ProvClient, record: &ModelRunRecord) -> String {
    let session_id = prov
        .register_model_run(record)
        .await
        .expect("register succeeds");
    let job = prov
        .jobs()
        .await_completion_with(&session_id, fast_policy())
        .await
        .expect("the lodge job succeeds");
    job.result.as_ref().unwrap()["record"]["id"]
        .as_str()
        .expect("the result names the model run")
        .to_owned()
}

fn edge_set(graph: &LineageGraph) -> BTreeSet<(String, String, String)> {
    graph
        .edges
        .iter()
        .map(|edge| {
            (
                edge.source.clone(),
                edge.relation.to_string(),
                edge.target.clone(),
            )
        })
        .collect()
}

fn edge(source: &str, relation: &str, target: &str) -> (String, String, String) {
    (source.to_owned(), relation.to_owned(), target.to_owned())
}

#[tokio::test]
async fn registered_run_has_typed_lineage() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let run = register(&prov, &record("Lineage run")).await;

    let upstream = prov.explore_upstream(&run, Some(1)).await.unwrap();
    assert_eq!(
        edge_set(&upstream),
        BTreeSet::from([
            edge(&run, "used", fixture::INPUT_DATASET),
            edge(&run, "used", fixture::MODEL),
            edge(&run, "used", fixture::WORKFLOW_TEMPLATE),
            edge(&run, "wasAssociatedWith", fixture::PERSON),
            edge(&run, "wasAssociatedWith", fixture::ORGANISATION),
        ])
    );
    let run_node = upstream.node(&run).unwrap();
    assert_eq!(run_node.item_subtype, Some(ItemSubType::ModelRun));
    assert_eq!(run_node.item_category, Some(ItemCategory::Activity));
    let person = upstream.node(fixture::PERSON).unwrap();
    assert_eq!(person.item_subtype, Some(ItemSubType::Person));
    assert_eq!(upstream.nodes_of(&ItemSubType::Dataset).count(), 1);

    // The JSON export reproduces what the service sent.
    let raw = operations::lineage(prov.http(), &operations::EXPLORE_UPSTREAM, &run, Some(1))
        .await
        .unwrap();
    assert_eq!(raw.record_count, Some(6));
    assert_eq!(upstream.to_json(), raw.graph.unwrap());

    // The DOT export draws each node once and each edge with its relation.
    let dot = upstream.to_dot();
    assert!(dot.starts_with("digraph lineage {\n"));
    assert!(dot.contains(&format!(
        "    \"{run}\" [label=\"{run}\\nMODEL_RUN\", shape=box];\n"
    )));
    assert!(dot.contains(&format!(
        "    \"{run}\" -> \"{}\" [label=\"wasAssociatedWith\"];\n",
        fixture::PERSON
    )));
    assert_eq!(dot.matches(" -> ").count(), 5);
    assert!(dot.ends_with("}\n"));

    let deeper = prov.explore_upstream(&run, Some(2)).await.unwrap();
    assert!(edge_set(&deeper).contains(&edge(
        fixture::WORKFLOW_TEMPLATE,
        "hadMember",
        fixture::MODEL
    )));
    let downstream = prov
        .explore_downstream(fixture::INPUT_DATASET, Some(2))
        .await
        .unwrap();
    assert!(edge_set(&downstream).contains(&edge(&run, "used", fixture::INPUT_DATASET)));
    assert!(edge_set(&downstream).contains(&edge(fixture::OUTPUT_DATASET, "wasGeneratedBy", &run)));
}

#[tokio::test]
async fn special_queries_find_datasets_and_agents() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let run = register(&prov, &record("Special run")).await;

    let contributing = prov.contributing_datasets(&run, None).await.unwrap();
    assert_eq!(
        edge_set(&contributing),
        BTreeSet::from([edge(&run, "used", fixture::INPUT_DATASET)])
    );
    let affected = prov.affected_datasets(&run, None).await.unwrap();
    assert_eq!(
        edge_set(&affected),
        BTreeSet::from([edge(fixture::OUTPUT_DATASET, "wasGeneratedBy", &run)])
    );
    let agents = prov.contributing_agents(&run, Some(1)).await.unwrap();
    assert_eq!(
        edge_set(&agents),
        BTreeSet::from([
            edge(&run, "wasAssociatedWith", fixture::PERSON),
            edge(&run, "wasAssociatedWith", fixture::ORGANISATION),
        ])
    );
    let affected_agents = prov
        .affected_agents(fixture::INPUT_DATASET, Some(1))
        .await
        .unwrap();
    assert!(edge_set(&affected_agents).contains(&edge(&run, "wasAssociatedWith", fixture::PERSON)));
    assert!(
        affected_agents
            .edges
            .iter()
            .all(|edge| edge.relation != ProvRelation::HadMember)
    );
}

#[tokio::test]
async fn lineage_rejects_bad_depths_and_ids() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));

    let zero = prov
        .explore_upstream(fixture::PERSON, Some(0))
        .await
        .unwrap_err();
    assert!(matches!(zero, Error::Config { .. }), "{zero}");
    let deep = prov
        .explore_upstream(fixture::PERSON, Some(11))
        .await
        .unwrap_err();
    assert!(matches!(deep, Error::BadRequest(_)), "{deep}");
    assert_eq!(
        deep.detail(),
        Some("Depth provided is in excess of depth maximum: 10.")
    );
    let unknown = prov
        .explore_downstream("10378.1/404", None)
        .await
        .unwrap_err();
    assert_eq!(unknown.status().map(|status| status.as_u16()), Some(500));
}

#[tokio::test]
async fn invalid_record_is_rejected_with_reason() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let mut bad = record("Bad run");
    bad.associations.modeller_id = fixture::ORGANISATION.to_owned();

    let error = prov.register_model_run(&bad).await.unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "{error}");
    let detail = error.detail().unwrap();
    assert!(
        detail.starts_with("Failed to validate an entity's ID in the record"),
        "{detail}"
    );
    assert!(detail.contains("was not a valid person"), "{detail}");

    let reader = ProvClient::new(double.client(users::READER));
    let denied = reader
        .register_model_run(&record("Reader run"))
        .await
        .unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied}");
}

#[tokio::test]
async fn update_and_study_link_change_the_graph() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let run = register(&prov, &record("Run to update")).await;

    let mut changed = record("Run to update");
    changed.associations.requesting_organisation_id = None;
    let session_id = prov
        .update_model_run(&run, "Organisation was wrong", changed)
        .await
        .unwrap();
    prov.jobs()
        .await_completion_with(&session_id, fast_policy())
        .await
        .unwrap();
    let agents = prov.contributing_agents(&run, Some(1)).await.unwrap();
    assert_eq!(
        edge_set(&agents),
        BTreeSet::from([edge(&run, "wasAssociatedWith", fixture::PERSON)])
    );

    let linked = prov.link_to_study(&run, fixture::STUDY).await.unwrap();
    assert_eq!(linked.study_id, fixture::STUDY);
    prov.jobs()
        .await_completion_with(&linked.session_id, fast_policy())
        .await
        .unwrap();
    let upstream = prov.explore_upstream(&run, Some(1)).await.unwrap();
    assert!(edge_set(&upstream).contains(&edge(&run, "wasInformedBy", fixture::STUDY)));

    let blank = prov
        .update_model_run(&run, "  ", record("x"))
        .await
        .unwrap_err();
    assert!(matches!(blank, Error::Config { .. }), "{blank}");
}

#[tokio::test]
async fn update_of_unknown_run_fails_in_the_job() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let session_id = prov
        .update_model_run("10378.1/404", "No such run", record("Ghost"))
        .await
        .unwrap();

    let error = prov
        .jobs()
        .await_completion_with(&session_id, fast_policy())
        .await
        .unwrap_err();
    let job = error.failed_job().expect("a failed job");
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.info.as_deref().unwrap().contains("10378.1/404"));
}

#[tokio::test]
async fn delete_needs_admin_and_reports_diff() {
    let double = double().await;
    let writer = ProvClient::new(double.client(users::WRITER));
    let admin = ProvClient::new(double.client(users::ADMIN));
    let run = register(&writer, &record("Run to delete")).await;

    let denied = writer.delete_model_run(&run).send().await.unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied}");

    let trial = admin
        .delete_model_run(&run)
        .trial_mode(true)
        .send()
        .await
        .unwrap();
    assert!(trial.trial);
    assert!(!trial.registry_item_deleted);
    let removed_nodes: BTreeSet<&str> = trial
        .diff
        .iter()
        .filter(|action| action["action_type"] == "REMOVE_NODE")
        .filter_map(|action| action["node_id"].as_str())
        .collect();
    assert!(removed_nodes.contains(run.as_str()));
    assert_eq!(
        writer
            .explore_upstream(&run, Some(1))
            .await
            .unwrap()
            .edges
            .len(),
        5
    );

    let applied = admin.delete_model_run(&run).send().await.unwrap();
    assert_eq!(applied.diff, trial.diff);
    assert!(
        writer
            .explore_upstream(&run, Some(1))
            .await
            .unwrap()
            .edges
            .is_empty()
    );

    let unknown = admin
        .delete_model_run("10378.1/404")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::BadRequest(_)), "{unknown}");

    // With the registry item: the run is gone from the registry too, so a lineage query
    // starting at it is rejected.
    let second = register(&writer, &record("Run to erase")).await;
    let erased = admin
        .delete_model_run(&second)
        .including_registry_item(true)
        .send()
        .await
        .unwrap();
    assert!(erased.registry_item_deleted);
    let gone = writer.explore_upstream(&second, Some(1)).await.unwrap_err();
    assert_eq!(gone.status().map(|status| status.as_u16()), Some(500));
}

const TEMPLATE_HEADER: &str = "_workflow template id 10378.1/1699906,display name,description,\
model version (optional),agent id,study id,\
execution start time (YYYY-MM-DD HH:MM:SS+HH:MM),execution end time (YYYY-MM-DD HH:MM:SS+HH:MM),\
Input dataset id for template: Forcing inputs [template id: 10378.1/1699904],\
Input resource: forcing_file,\
Output dataset id for template: Coral cover outputs [template id: 10378.1/1699905],\
annotation: scenario,annotation: notes,_job_id,_job_status,_model_run_record_id,_error_info";

#[tokio::test]
async fn csv_template_lists_the_workflow_columns() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::READER));

    let template = prov.csv_template(fixture::WORKFLOW_TEMPLATE).await.unwrap();
    assert_eq!(template, format!("{TEMPLATE_HEADER}\r\n"));
    let unknown = prov.csv_template("10378.1/404").await.unwrap_err();
    assert!(matches!(unknown, Error::BadRequest(_)), "{unknown}");
}

fn csv_row(name: &str, start: &str) -> String {
    format!(
        ",{name},{name} described,,{},,{start},2023-11-15 00:00:00+00:00,{},forcing/a.nc,{},RCP8.5,,,,,",
        fixture::PERSON,
        fixture::INPUT_DATASET,
        fixture::OUTPUT_DATASET
    )
}

#[tokio::test]
async fn csv_conversion_builds_records_and_names_bad_rows() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::READER));
    let good = format!(
        "{TEMPLATE_HEADER}\r\n{}\r\n{}\r\n",
        csv_row("First", "2023-11-14 22:13:20+00:00"),
        csv_row("Second", "2023-11-15 09:13:20+11:00")
    );

    let converted = prov.convert_model_runs_csv("runs.csv", good).await.unwrap();
    let records = converted.new_records.unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].display_name, "First");
    assert_eq!(records[0].start_time, 1_700_000_000);
    assert_eq!(records[1].start_time, 1_700_000_000);
    assert_eq!(records[0].associations.modeller_id, fixture::PERSON);
    assert_eq!(records[0].inputs[0].dataset_id, fixture::INPUT_DATASET);
    assert_eq!(
        records[0].inputs[0].resources.as_ref().unwrap()["forcing_file"],
        "forcing/a.nc"
    );
    assert_eq!(
        records[0].annotations.as_ref().unwrap()["scenario"],
        "RCP8.5"
    );
    assert!(converted.existing_records.unwrap().is_empty());

    let bad = format!(
        "{TEMPLATE_HEADER}\r\n{}\r\n{}\r\n",
        csv_row("First", "2023-11-14 22:13:20+00:00"),
        csv_row("Second", "next tuesday")
    );
    let error = prov
        .convert_model_runs_csv("runs.csv", bad)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "{error}");
    let detail = error.detail().unwrap();
    assert!(detail.contains("model run #2"), "{detail}");
    assert!(detail.contains("YYYY-MM-DD HH:MM:SS+HH:MM"), "{detail}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.csv");
    std::fs::write(
        &path,
        format!(
            "{TEMPLATE_HEADER}\r\n{}\r\n",
            csv_row("Third", "2023-11-14")
        ),
    )
    .unwrap();
    let from_file = prov.convert_model_runs_csv_file(&path).await.unwrap();
    assert_eq!(from_file.new_records.unwrap()[0].display_name, "Third");
}

#[tokio::test]
async fn batch_registers_runs_and_regenerates_csv() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let mut invalid = record("Broken");
    invalid.inputs[0].dataset_id = "10378.1/404".to_owned();

    let session_id = prov
        .register_batch(vec![record("Batch one"), invalid])
        .await
        .unwrap();
    let batch_job = prov
        .jobs()
        .await_completion_with(&session_id, fast_policy())
        .await
        .unwrap();
    let batch_id = batch_job.result.unwrap()["batch_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let jobs = prov
        .jobs()
        .list_batch(&batch_id)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    let mut outcomes = Vec::new();
    for job in &jobs {
        let outcome = prov
            .jobs()
            .await_completion_with(&job.session_id, fast_policy())
            .await;
        outcomes.push(outcome.is_ok());
    }
    outcomes.sort_unstable();
    assert_eq!(outcomes, vec![false, true]);

    let csv = prov.regenerate_from_batch_csv(&batch_id).await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|line| !line.is_empty()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], TEMPLATE_HEADER);
    let succeeded = lines
        .iter()
        .find(|line| line.contains("Batch one"))
        .unwrap();
    assert!(succeeded.contains(",SUCCEEDED,10378.1/"), "{succeeded}");
    assert!(
        succeeded.contains("2023-11-14 22:13:20+00:00"),
        "{succeeded}"
    );
    let failed = lines.iter().find(|line| line.contains("Broken")).unwrap();
    assert!(failed.contains(",FAILED,"), "{failed}");

    let empty = prov.register_batch(Vec::new()).await.unwrap_err();
    assert!(matches!(empty, Error::Config { .. }), "{empty}");
}

#[tokio::test]
async fn report_is_generated_and_downloaded() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let run = register(&prov, &record("Reported run")).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.docx");

    let report = prov
        .generate_report_with(&run, ItemSubType::ModelRun, 2, &path, fast_policy())
        .await
        .unwrap();
    assert_eq!(report.path, path);
    let document = std::fs::read_to_string(&path).unwrap();
    assert_eq!(report.size, document.len() as u64);
    assert!(document.starts_with(&format!("Provenance report\nItem: {run} (MODEL_RUN)\n")));
    assert!(document.contains(&format!("{run} used {}", fixture::INPUT_DATASET)));
    assert!(!dir.path().join("report.docx.part").exists());

    let failed = prov
        .generate_report_with(
            "10378.1/404",
            ItemSubType::ModelRun,
            1,
            dir.path().join("x"),
            fast_policy(),
        )
        .await
        .unwrap_err();
    assert!(matches!(failed, WaitError::Failed { .. }), "{failed}");
    assert!(!dir.path().join("x").exists());
    let deep = prov
        .generate_report(&run, ItemSubType::ModelRun, 4, dir.path().join("y"))
        .await
        .unwrap_err();
    assert!(
        matches!(deep, WaitError::Request(Error::Config { .. })),
        "{deep}"
    );
}

#[tokio::test]
async fn report_path_must_name_a_file() {
    let double = double().await;
    let prov = ProvClient::new(double.client(users::WRITER));
    let dir = tempfile::tempdir().unwrap();
    let into_folder = prov
        .generate_report(fixture::INPUT_DATASET, ItemSubType::Dataset, 1, dir.path())
        .await
        .unwrap_err();
    let message = into_folder.to_string();
    assert!(
        matches!(into_folder, WaitError::Request(Error::Config { .. })),
        "{message}"
    );
    assert!(message.contains("not a folder"), "{message}");
    let missing_parent = dir.path().join("absent").join("report.docx");
    let error = prov
        .generate_report(
            fixture::INPUT_DATASET,
            ItemSubType::Dataset,
            1,
            &missing_parent,
        )
        .await
        .unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");
    let siblings: Vec<_> = std::fs::read_dir(dir.path().parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(
        siblings.is_empty(),
        "a .part file was left beside the folder"
    );
}

#[tokio::test]
async fn admin_operations_need_the_admin_role() {
    let double = double().await;
    let writer = ProvClient::new(double.client(users::WRITER));
    let admin = ProvClient::new(double.client(users::ADMIN));
    let run = register(&writer, &record("Stored run")).await;
    let item: ItemModelRun = writer
        .http()
        .request(
            provena_http::Service::Registry,
            provena_http::http::Method::GET,
            "/registry/activity/model_run/fetch",
        )
        .query("id", &run)
        .send_json_unchecked::<serde_json::Value>()
        .await
        .ok()
        .and_then(|body| serde_json::from_value(body["item"].clone()).ok())
        .unwrap_or_else(|| stored_item(&run));

    let denied = writer.store_record(&item, true).await.unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied}");
    let denied = writer.clear_graph().await.unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied}");
    let denied = writer
        .register_model_run_sync(&record("Sync"))
        .await
        .unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied}");

    let cleared = admin.clear_graph().await.unwrap();
    assert!(cleared.status.success);
    assert!(
        writer
            .explore_upstream(&run, Some(1))
            .await
            .unwrap()
            .edges
            .is_empty()
    );
    admin.store_record(&item, true).await.unwrap();
    assert_eq!(
        writer
            .explore_upstream(&run, Some(1))
            .await
            .unwrap()
            .edges
            .len(),
        5
    );
    admin.clear_graph().await.unwrap();
    admin
        .store_records(std::slice::from_ref(&item), false)
        .await
        .unwrap();
    assert_eq!(
        writer
            .explore_upstream(&run, Some(1))
            .await
            .unwrap()
            .edges
            .len(),
        5
    );
    admin.clear_graph().await.unwrap();
    let all = admin.store_all_registry_records(true).await.unwrap();
    assert!(all.status.success);
    assert_eq!(
        writer
            .explore_upstream(&run, Some(1))
            .await
            .unwrap()
            .edges
            .len(),
        5
    );

    let synced = admin
        .register_model_run_sync(&record("Sync"))
        .await
        .unwrap();
    assert!(synced.record_info.id.starts_with("10378.1/"));
    assert_eq!(synced.record_info.record.display_name, "Sync");
}

/// The registry item of a run, as the registry would return it, for when the registry
/// fetch route is not available.
fn stored_item(run: &str) -> ItemModelRun {
    serde_json::from_value(serde_json::json!({
        "id": run,
        "display_name": "Stored run",
        "owner_username": users::WRITER,
        "created_timestamp": 1_700_000_000,
        "updated_timestamp": 1_700_000_000,
        "record_type": "COMPLETE_ITEM",
        "record_status": "LODGED",
        "record": record("Stored run"),
        "prov_serialisation": "{}",
        "history": [],
    }))
    .unwrap()
}

/// Calls every operation once and checks the list against `operations::ALL`.
#[tokio::test]
async fn every_operation_is_exercised() {
    let double = double().await;
    let admin = ProvClient::new(double.client(users::ADMIN));
    let mut called: Vec<&'static str> = Vec::new();

    assert!(!admin.root().await.unwrap().is_empty());
    called.push(operations::ROOT.id);
    assert!(admin.config_file(true).await.unwrap().contains("prov"));
    called.push(operations::GENERATE_CONFIG_FILE.id);
    // The service raises a test error (HTTP 500) when error monitoring is on, and returns
    // a message when it is off.
    match admin.test_sentry_reporting().await {
        Ok(body) => assert!(body.is_object(), "{body}"),
        Err(error) => assert_eq!(error.status().map(|status| status.as_u16()), Some(500)),
    }
    called.push(operations::TEST_SENTRY_REPORTING.id);
    for (check, id) in [
        (
            admin.check_general_access().await,
            operations::CHECK_GENERAL_ACCESS.id,
        ),
        (
            admin.check_read_access().await,
            operations::CHECK_READ_ACCESS.id,
        ),
        (
            admin.check_write_access().await,
            operations::CHECK_WRITE_ACCESS.id,
        ),
        (
            admin.check_admin_access().await,
            operations::CHECK_ADMIN_ACCESS.id,
        ),
    ] {
        assert_eq!(check.unwrap().username, users::ADMIN);
        called.push(id);
    }

    let run = register(&admin, &record("Covered run")).await;
    called.push(operations::REGISTER_MODEL_RUN.id);
    let synced = admin
        .register_model_run_sync(&record("Covered sync"))
        .await
        .unwrap();
    called.push(operations::REGISTER_MODEL_RUN_SYNC.id);
    admin
        .register_batch(vec![record("Covered batch")])
        .await
        .unwrap();
    called.push(operations::REGISTER_BATCH.id);
    admin
        .update_model_run(&run, "Covered", record("Covered run"))
        .await
        .unwrap();
    called.push(operations::UPDATE_MODEL_RUN.id);
    admin.link_to_study(&run, fixture::STUDY).await.unwrap();
    called.push(operations::ADD_STUDY_LINK.id);

    for (query, id) in [
        (
            admin.explore_upstream(&run, None).await,
            operations::EXPLORE_UPSTREAM.id,
        ),
        (
            admin.explore_downstream(&run, None).await,
            operations::EXPLORE_DOWNSTREAM.id,
        ),
        (
            admin.contributing_datasets(&run, None).await,
            operations::SPECIAL_CONTRIBUTING_DATASETS.id,
        ),
        (
            admin.affected_datasets(&run, None).await,
            operations::SPECIAL_EFFECTED_DATASETS.id,
        ),
        (
            admin.contributing_agents(&run, None).await,
            operations::SPECIAL_CONTRIBUTING_AGENTS.id,
        ),
        (
            admin.affected_agents(&run, None).await,
            operations::SPECIAL_EFFECTED_AGENTS.id,
        ),
    ] {
        assert!(!query.unwrap().nodes.is_empty(), "{id} found nothing");
        called.push(id);
    }

    let dir = tempfile::tempdir().unwrap();
    admin
        .generate_report_with(
            &run,
            ItemSubType::ModelRun,
            1,
            dir.path().join("r"),
            fast_policy(),
        )
        .await
        .unwrap();
    called.push(operations::EXPORT_PROV_GRAPH.id);
    admin
        .csv_template(fixture::WORKFLOW_TEMPLATE)
        .await
        .unwrap();
    called.push(operations::GENERATE_TEMPLATE_CSV.id);
    let row = csv_row("Covered csv", "2023-11-14");
    admin
        .convert_model_runs_csv("runs.csv", format!("{TEMPLATE_HEADER}\n{row}\n"))
        .await
        .unwrap();
    called.push(operations::CONVERT_MODEL_RUNS_CSV.id);
    let batch = admin
        .jobs()
        .list_jobs()
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .find_map(|job| job.batch_id)
        .expect("the batch registration made a batch");
    admin.regenerate_from_batch_csv(&batch).await.unwrap();
    called.push(operations::REGENERATE_FROM_BATCH_CSV.id);

    admin
        .store_record(&stored_item(&synced.record_info.id), false)
        .await
        .unwrap();
    called.push(operations::STORE_RECORD.id);
    admin.store_records(&[], true).await.unwrap();
    called.push(operations::STORE_RECORDS.id);
    admin.store_all_registry_records(false).await.unwrap();
    called.push(operations::STORE_ALL_REGISTRY_RECORDS.id);
    admin.delete_model_run(&run).send().await.unwrap();
    called.push(operations::DELETE_MODEL_RUN.id);
    admin.clear_graph().await.unwrap();
    called.push(operations::CLEAR_GRAPH.id);

    let expected: BTreeSet<&str> = operations::ALL
        .iter()
        .map(|operation| operation.id)
        .collect();
    let exercised: BTreeSet<&str> = called.into_iter().collect();
    assert_eq!(exercised, expected);
    assert_eq!(operations::ALL.len(), 27);
}
