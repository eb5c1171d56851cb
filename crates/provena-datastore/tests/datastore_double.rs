//! The data store client against the embedded Provena double over HTTP on 127.0.0.1:
//! every operation, its error paths, and dataset file transfers through the double's S3
//! endpoint, which enforces the scope and expiry of the credentials the data store issues.

mod common;

use std::time::Duration;

use futures::TryStreamExt;
use provena_datastore::operations::{self, ALL};
use provena_datastore::{Access, DatastoreClient, Error, TransferError, TransferOptions};
use provena_http::{Operation, Service};
use provena_models::{CollectionFormat, NoFilterSubtypeListRequest};
use provena_testkit::{Fault, ProvenaDouble, users};
use serde_json::{Value, json};

const CREATE_ORGANISATION: Operation = Operation::post(
    Service::Registry,
    "create_agent_organisation",
    "/registry/agent/organisation/create",
);
const CREATE_PERSON: Operation = Operation::post(
    Service::Registry,
    "create_agent_person",
    "/registry/agent/person/create",
);

async fn start() -> ProvenaDouble {
    ProvenaDouble::start().await.expect("the double starts")
}

fn datastore(double: &ProvenaDouble, user: &str) -> DatastoreClient {
    DatastoreClient::new(double.client(user)).with_s3_endpoint(double.s3_endpoint())
}

/// Registers an organisation in the double's registry and returns its id.
async fn organisation(double: &ProvenaDouble) -> String {
    let body = json!({ "display_name": "Reef Institute", "name": "Reef Institute" });
    let answer: Value = double
        .client(users::WRITER)
        .call(&CREATE_ORGANISATION)
        .json(&body)
        .send_json()
        .await
        .expect("organisation created");
    answer["created_item"]["id"]
        .as_str()
        .expect("created id")
        .to_owned()
}

/// Registers a person in the double's registry and returns its id.
async fn person(double: &ProvenaDouble) -> String {
    let body = json!({
        "display_name": "Rhea Reviewer",
        "email": "rhea@example.org",
        "first_name": "Rhea",
        "last_name": "Reviewer",
    });
    let answer: Value = double
        .client(users::WRITER)
        .call(&CREATE_PERSON)
        .json(&body)
        .send_json()
        .await
        .expect("person created");
    answer["created_item"]["id"]
        .as_str()
        .expect("created id")
        .to_owned()
}

/// Dataset metadata naming `organisation` as organisation and publisher.
fn metadata_json(organisation: &str, name: &str) -> Value {
    let approval = json!({ "relevant": false, "obtained": false });
    json!({
        "associations": { "organisation_id": organisation },
        "approvals": {
            "ethics_registration": approval,
            "ethics_access": approval,
            "indigenous_knowledge": approval,
            "export_controls": approval,
        },
        "dataset_info": {
            "name": name,
            "description": "Simulated reef temperatures",
            "access_info": { "reposited": true },
            "publisher_id": organisation,
            "created_date": { "relevant": true, "value": "2023-03-01" },
            "published_date": { "relevant": true, "value": "2023-03-02" },
            "license": "https://example.org/licenses/by/4.0/",
            "keywords": ["reef", "temperature"],
        },
    })
}

fn metadata(organisation: &str, name: &str) -> CollectionFormat {
    serde_json::from_value(metadata_json(organisation, name)).expect("metadata parses")
}

#[test]
fn all_covers_the_document_operations() {
    let mut ids: Vec<_> = ALL.iter().map(|operation| operation.id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "action_approval_request",
            "add_reviewer",
            "approval_request",
            "check_admin_access",
            "check_general_access",
            "check_read_access",
            "check_write_access",
            "delete_reviewer",
            "fetch_dataset",
            "generate_config_file",
            "generate_presigned_url",
            "generate_read_access_credentials",
            "generate_write_access_credentials",
            "get_dataset_schema",
            "list",
            "list_reviewers",
            "mint_dataset",
            "revert_metadata",
            "root",
            "test_sentry_reporting",
            "update_metadata",
            "validate_metadata",
            "version_dataset",
        ]
    );
}

#[tokio::test]
async fn service_checks_and_schema() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let reader = datastore(&double, users::READER);
    let admin = datastore(&double, users::ADMIN);

    assert!(!writer.about().await.unwrap().is_empty());
    assert_eq!(
        writer.check_general_access().await.unwrap().username,
        "writer"
    );
    assert_eq!(reader.check_read_access().await.unwrap().username, "reader");
    assert_eq!(
        writer.check_write_access().await.unwrap().username,
        "writer"
    );
    assert_eq!(admin.check_admin_access().await.unwrap().username, "admin");

    let denied = reader.check_write_access().await.unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied:?}");
    let denied = writer.check_admin_access().await.unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied:?}");

    let schema = writer.dataset_schema().await.unwrap();
    assert_eq!(
        schema["required"],
        json!(["associations", "approvals", "dataset_info"])
    );
    assert!(
        admin
            .config_file(true)
            .await
            .unwrap()
            .contains("BUCKET_NAME")
    );
    assert!(writer.config_file(false).await.is_err());
    let failure = writer.test_error_reporting().await.unwrap_err();
    assert_eq!(failure.status().map(|status| status.as_u16()), Some(500));
}

#[tokio::test]
async fn validate_and_mint_check_references() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;

    let valid = writer
        .validate(&metadata(&organisation, "ok"))
        .await
        .unwrap();
    assert!(valid.success, "{}", valid.details);

    let unknown = writer
        .validate(&metadata("10378.1/404", "missing org"))
        .await
        .unwrap();
    assert!(!unknown.success);
    assert!(
        unknown
            .details
            .contains("Could not find Author Organisation ID"),
        "{}",
        unknown.details
    );

    let err = writer
        .mint(&metadata("10378.1/404", "missing org"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsuccessful(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("Could not find Author Organisation ID"),
        "{err}"
    );

    let minted = writer
        .mint(&metadata(&organisation, "Reef temperatures"))
        .await
        .unwrap();
    assert!(minted.status.success);
    let handle = minted.handle.expect("handle");
    let location = minted.s3_location.expect("s3 location");
    let expected_prefix = format!("datasets/{}/", handle.replace(['/', '.'], "-"));
    assert_eq!(location.path, expected_prefix);
    assert!(location.s3_uri.ends_with(&expected_prefix));
    assert!(minted.register_create_activity_session_id.is_some());

    // Minting wrote the metadata file under the dataset prefix.
    let files = writer.dataset(handle.as_str()).list_files().await.unwrap();
    let paths: Vec<_> = files.iter().map(|entry| entry.path.as_str()).collect();
    assert_eq!(paths, ["metadata.json"]);
}

#[tokio::test]
async fn legacy_version_field_is_rejected_by_schema_checks() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "base"))
        .await
        .unwrap()
        .handle
        .unwrap();

    // The field is not part of `CollectionFormat`, so the raw JSON goes through the
    // operation constants.
    let mut legacy = metadata_json(&organisation, "legacy");
    legacy["dataset_info"]["version"] = json!("1.2.4");
    let http = double.client(users::WRITER);

    let status: Value = http
        .call(&operations::VALIDATE_METADATA)
        .json(&legacy)
        .send_json_unchecked()
        .await
        .unwrap();
    assert_eq!(status["success"], false, "{status}");
    let minted: Value = http
        .call(&operations::MINT_DATASET)
        .json(&legacy)
        .send_json_unchecked()
        .await
        .unwrap();
    assert_eq!(minted["status"]["success"], false, "{minted}");
    let err = http
        .call(&operations::UPDATE_METADATA)
        .query("handle_id", &handle)
        .query("reason", "legacy")
        .json(&legacy)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::BadRequest(_)), "{err:?}");
}

#[tokio::test]
async fn extra_field_answers_422() {
    let double = start().await;
    let organisation = organisation(&double).await;
    let mut body = metadata_json(&organisation, "extra");
    body["dataset_info"]["custom_field"] = json!("not allowed");
    let err = double
        .client(users::WRITER)
        .call(&operations::VALIDATE_METADATA)
        .json(&body)
        .send_json::<Value>()
        .await
        .unwrap_err();
    let Error::Validation { fields, .. } = &err else {
        panic!("expected a validation error, got {err:?}");
    };
    assert!(!fields.is_empty());
}

#[tokio::test]
async fn fetch_update_revert_and_history() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let reader = datastore(&double, users::READER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "first name"))
        .await
        .unwrap()
        .handle
        .unwrap();

    let item = writer.fetch(&handle).await.unwrap();
    assert_eq!(item.id, handle);
    assert_eq!(item.display_name, "first name");
    assert_eq!(item.history.len(), 1);

    let missing = writer.fetch("10378.1/0000404").await.unwrap_err();
    assert!(matches!(missing, Error::BadRequest(_)), "{missing:?}");

    let updated = writer
        .update(&handle, "rename", &metadata(&organisation, "second name"))
        .await
        .unwrap();
    assert_eq!(updated.handle, handle);
    let item = writer.fetch(&handle).await.unwrap();
    assert_eq!(item.display_name, "second name");
    assert_eq!(item.history.len(), 2);
    assert_eq!(item.history[0].reason, "rename", "newest entry first");

    let unknown = writer
        .update("10378.1/0000404", "nothing", &metadata(&organisation, "x"))
        .await
        .unwrap_err();
    assert!(matches!(unknown, Error::BadRequest(_)), "{unknown:?}");
    assert!(
        unknown.to_string().contains("Failed to check if locked"),
        "{unknown}"
    );

    let not_owner = reader
        .update(&handle, "hijack", &metadata(&organisation, "x"))
        .await
        .unwrap_err();
    assert!(matches!(not_owner, Error::Unauthorized(_)), "{not_owner:?}");

    let empty_reason = writer
        .update(&handle, "  ", &metadata(&organisation, "x"))
        .await
        .unwrap_err();
    assert!(
        matches!(empty_reason, Error::Config { .. }),
        "{empty_reason:?}"
    );

    let first_entry = item
        .history
        .iter()
        .find(|entry| entry.reason != "rename")
        .unwrap()
        .id;
    let reverted = writer
        .dataset(handle.as_str())
        .revert(first_entry, "undo rename")
        .await
        .unwrap();
    assert!(reverted.status.success);
    let item = writer.fetch(&handle).await.unwrap();
    assert_eq!(item.display_name, "first name");
    assert_eq!(item.history.len(), 3);

    let bad_history = writer
        .revert(&handle, 99, "no such entry")
        .await
        .unwrap_err();
    assert!(
        matches!(bad_history, Error::BadRequest(_)),
        "{bad_history:?}"
    );
}

#[tokio::test]
async fn version_links_old_and_new() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "versioned"))
        .await
        .unwrap()
        .handle
        .unwrap();

    let version = writer
        .dataset(handle.as_str())
        .version("new data")
        .await
        .unwrap();
    assert_ne!(version.new_version_id, handle);
    assert!(!version.version_job_session_id.is_empty());

    let new_item = writer.fetch(&version.new_version_id).await.unwrap();
    let info = new_item.versioning_info.expect("versioning info");
    assert_eq!(info.version, 2);
    assert_eq!(info.previous_version.as_deref(), Some(handle.as_str()));
    let old_item = writer.fetch(&handle).await.unwrap();
    assert_eq!(
        old_item
            .versioning_info
            .and_then(|info| info.next_version)
            .as_deref(),
        Some(version.new_version_id.as_str())
    );

    let again = writer.version(&handle, "second branch").await.unwrap_err();
    assert!(matches!(again, Error::BadRequest(_)), "{again:?}");
}

#[tokio::test]
async fn list_streams_every_page() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;
    let mut minted = Vec::new();
    for index in 0..5 {
        let name = format!("listed {index}");
        minted.push(
            writer
                .mint(&metadata(&organisation, &name))
                .await
                .unwrap()
                .handle
                .unwrap(),
        );
    }

    // The seed data holds datasets too; count everything the service lists.
    let everything = operations::list(
        writer.http(),
        &NoFilterSubtypeListRequest {
            page_size: Some(1000),
            pagination_key: None,
            sort_by: None,
        },
    )
    .await
    .unwrap()
    .items
    .unwrap_or_default();
    assert!(everything.len() >= 5);

    let pages: Vec<_> = writer
        .list()
        .page_size(2)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), everything.len().div_ceil(2));
    let last = pages.last().unwrap();
    assert!(last.pagination_key.as_ref().is_none_or(Value::is_null));

    let listed: Vec<String> = writer
        .list()
        .page_size(2)
        .items()
        .map_ok(|item| item.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), everything.len());
    for id in &minted {
        assert!(listed.contains(id), "{id} missing from the list");
    }
    let mut unique = listed.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "no dataset is listed twice");
}

#[tokio::test]
async fn credentials_and_presigned_url() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let reader = datastore(&double, users::READER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "credentials"))
        .await
        .unwrap()
        .handle
        .unwrap();

    let read = reader.credentials(&handle, Access::Read).await.unwrap();
    assert!(!read.access_key_id.is_empty());
    assert!(read.expiry.is_some());
    assert!(!format!("{read:?}").contains(read.secret_access_key.expose()));

    let denied = reader
        .credentials(&handle, Access::Write)
        .await
        .unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied:?}");
    let missing = reader
        .credentials("10378.1/0000404", Access::Read)
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::BadRequest(_)), "{missing:?}");

    let console = writer
        .credential_response(&handle, Access::Write, true)
        .await
        .unwrap();
    assert!(console.console_session_url.is_some());

    let presigned = reader
        .dataset(handle.as_str())
        .presigned_url("metadata.json", Some(Duration::from_secs(600)))
        .await
        .unwrap();
    assert_eq!(presigned.file_path, "metadata.json");
    assert!(!format!("{presigned:?}").contains("X-Amz-Signature"));
    // The presigned URL works without any other credentials.
    let url = url::Url::parse(presigned.url.expose()).unwrap();
    let (status, body) = common::raw_get(&url).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let stored: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(stored["dataset_info"]["name"], "credentials");

    let too_long = reader
        .presigned_url(&handle, "metadata.json", Some(Duration::from_secs(100_000)))
        .await
        .unwrap_err();
    assert!(matches!(too_long, Error::Config { .. }), "{too_long:?}");
}

#[tokio::test]
async fn release_review_flow() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let admin = datastore(&double, users::ADMIN);
    let organisation = organisation(&double).await;
    let reviewer = person(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "release"))
        .await
        .unwrap()
        .handle
        .unwrap();

    let not_reviewer = writer
        .request_release(&handle, &reviewer, "please")
        .await
        .unwrap_err();
    assert!(
        matches!(not_reviewer, Error::BadRequest(_)),
        "{not_reviewer:?}"
    );

    let denied = writer.add_reviewer(&reviewer).await.unwrap_err();
    assert!(matches!(denied, Error::Unauthorized(_)), "{denied:?}");
    admin.add_reviewer(&reviewer).await.unwrap();
    assert_eq!(
        writer.list_reviewers().await.unwrap(),
        std::slice::from_ref(&reviewer)
    );
    let not_person = admin.add_reviewer(&organisation).await.unwrap_err();
    assert!(matches!(not_person, Error::BadRequest(_)), "{not_person:?}");

    let requested = writer
        .request_release(&handle, &reviewer, "please")
        .await
        .unwrap();
    assert_eq!(requested.approver_id, reviewer);
    let item = writer.fetch(&handle).await.unwrap();
    assert_eq!(
        serde_json::to_value(&item.release_status).unwrap(),
        "PENDING"
    );

    let reviewed = admin
        .review_release(&handle, true, "looks good")
        .await
        .unwrap();
    assert!(reviewed.approved);
    let item = writer.fetch(&handle).await.unwrap();
    assert_eq!(
        serde_json::to_value(&item.release_status).unwrap(),
        "RELEASED"
    );
    assert_eq!(item.release_history.unwrap_or_default().len(), 2);

    let nothing_pending = admin
        .review_release(&handle, false, "again")
        .await
        .unwrap_err();
    assert!(
        matches!(nothing_pending, Error::BadRequest(_)),
        "{nothing_pending:?}"
    );

    admin.remove_reviewer(&reviewer).await.unwrap();
    assert!(writer.list_reviewers().await.unwrap().is_empty());
    let gone = admin.remove_reviewer(&reviewer).await.unwrap_err();
    assert!(matches!(gone, Error::BadRequest(_)), "{gone:?}");
}

#[tokio::test]
async fn dataset_handle_upload_and_download() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let reader = datastore(&double, users::READER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "files"))
        .await
        .unwrap()
        .handle
        .unwrap();

    let source = tempfile::tempdir().unwrap();
    common::write_file(source.path(), "results/run.csv", b"t,temp\n0,27.5\n");
    common::write_file(
        source.path(),
        "big.bin",
        &common::pattern(9, 12 * 1024 * 1024),
    );
    let options = TransferOptions::default().with_multipart_threshold(6 * 1024 * 1024);
    let uploaded = writer
        .dataset(handle.as_str())
        .with_options(options)
        .upload_from(source.path())
        .await
        .unwrap();
    assert_eq!(uploaded.files, ["big.bin", "results/run.csv"]);

    let target = tempfile::tempdir().unwrap();
    let downloaded = reader
        .dataset(handle.as_str())
        .download_to(target.path())
        .await
        .unwrap();
    assert_eq!(
        downloaded.files,
        ["big.bin", "metadata.json", "results/run.csv"]
    );
    assert_eq!(
        std::fs::read(target.path().join("big.bin")).unwrap(),
        common::pattern(9, 12 * 1024 * 1024)
    );

    let one = tempfile::tempdir().unwrap();
    reader
        .dataset(handle.as_str())
        .download_path_to("results/run.csv", one.path())
        .await
        .unwrap();
    assert_eq!(common::local_files(one.path()), ["results/run.csv"]);

    // Read-only credentials cannot upload.
    let denied = reader
        .dataset(handle.as_str())
        .files(Access::Read)
        .await
        .unwrap()
        .upload_from(source.path())
        .await
        .unwrap_err();
    assert!(matches!(denied, TransferError::File { .. }), "{denied:?}");
    let chain = provena_http::display_chain(&denied);
    assert!(chain.contains("read-only"), "{chain}");
}

#[tokio::test]
async fn credentials_stay_inside_their_dataset() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;
    let first = writer.mint(&metadata(&organisation, "a")).await.unwrap();
    let second = writer.mint(&metadata(&organisation, "b")).await.unwrap();
    let first_handle = first.handle.unwrap();
    let second_prefix = second.s3_location.unwrap().path;

    // Credentials for the first dataset, pointed at the second dataset's prefix.
    let credentials = writer
        .credentials(&first_handle, Access::Read)
        .await
        .unwrap();
    let storage = provena_datastore::files::DatasetStorage {
        endpoint: double.s3_endpoint(),
        region: "us-east-1".into(),
        bucket: "provena-double-datasets".into(),
        prefix: second_prefix,
    };
    let files = provena_datastore::files::DatasetFiles::new(
        storage,
        std::sync::Arc::new(provena_datastore::files::StaticCredentials(credentials)),
        TransferOptions::default().with_max_retries(0),
    )
    .unwrap();
    let err = files.list().await.unwrap_err();
    assert!(matches!(err, TransferError::File { .. }), "{err:?}");
    let chain = provena_http::display_chain(&err);
    assert!(chain.contains("AccessDenied"), "{chain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_credentials_are_renewed_during_a_download() {
    let double = start().await;
    double.set_s3_credential_lifetime(Duration::from_secs(2));
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "renewal"))
        .await
        .unwrap()
        .handle
        .unwrap();
    let source = tempfile::tempdir().unwrap();
    for index in 0..40 {
        common::write_file(source.path(), &format!("f{index:02}.txt"), b"renew me");
    }
    writer
        .dataset(handle.as_str())
        .upload_from(source.path())
        .await
        .unwrap();

    // Each download waits long enough for the 2 s credentials to expire part way; the
    // transfer renews them 1.5 s before expiry, so it never sends an expired set.
    let delay = Duration::from_millis(100);
    let options = TransferOptions::default()
        .with_concurrency(1)
        .with_max_retries(0)
        .with_renew_before(Duration::from_millis(1500))
        .with_progress(move |_| std::thread::sleep(delay));
    let files = writer
        .dataset(handle.as_str())
        .with_options(options)
        .files(Access::Read)
        .await
        .unwrap();
    let target = tempfile::tempdir().unwrap();
    let summary = files.download_to(target.path()).await.unwrap();
    assert_eq!(summary.files.len(), 41);
    assert!(
        files.credentials_issued() >= 2,
        "issued {}",
        files.credentials_issued()
    );

    // Without renewal the same credentials fail once expired.
    let stale = writer.credentials(&handle, Access::Read).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let storage = files.storage().clone();
    let expired = provena_datastore::files::DatasetFiles::new(
        storage,
        std::sync::Arc::new(provena_datastore::files::StaticCredentials(stale)),
        TransferOptions::default().with_max_retries(0),
    )
    .unwrap();
    let err = expired.list().await.unwrap_err();
    assert!(matches!(err, TransferError::File { .. }), "{err:?}");
    let chain = provena_http::display_chain(&err);
    assert!(chain.contains("ExpiredToken"), "{chain}");
}

#[tokio::test]
async fn transfer_without_s3_endpoint_is_a_clear_error() {
    let double = start().await;
    let client = DatastoreClient::new(double.client(users::READER));
    let err = client
        .dataset("10378.1/1")
        .download_to("unused")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("S3 endpoint"), "{err}");
}

#[tokio::test]
async fn failed_upload_names_the_file() {
    let double = start().await;
    let writer = datastore(&double, users::WRITER);
    let organisation = organisation(&double).await;
    let handle = writer
        .mint(&metadata(&organisation, "failing upload"))
        .await
        .unwrap()
        .handle
        .unwrap();
    let source = tempfile::tempdir().unwrap();
    common::write_file(source.path(), "only.txt", b"never stored");

    double
        .faults()
        .inject(Fault::status(provena_http::http::StatusCode::INTERNAL_SERVER_ERROR).on_s3());
    let dataset = writer
        .dataset(handle.as_str())
        .with_options(TransferOptions::default().with_max_retries(0));
    let err = dataset.upload_from(source.path()).await.unwrap_err();
    assert_eq!(err.failed_file(), Some("only.txt"));
    assert!(
        err.to_string().contains("upload of `only.txt` failed"),
        "{err}"
    );

    double.faults().clear();
    let paths: Vec<_> = dataset
        .list_files()
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.path)
        .collect();
    assert_eq!(paths, ["metadata.json"]);
}
