//! Blank dataset ids and reasons fail in the data store client with a usage error naming
//! the argument, before any request goes out.

use provena_datastore::{Access, DatastoreClient, Error, TransferError};
use provena_http::http::StatusCode;
use provena_models::CollectionFormat;
use provena_testkit::{Fault, ProvenaDouble, users};
use serde_json::json;

/// Starts the double with a fault armed on every service and the S3 endpoint, so that
/// any request that goes out is counted by [`provena_testkit::Faults::applied`].
async fn tripwired() -> (ProvenaDouble, DatastoreClient) {
    let double = ProvenaDouble::start().await.expect("the double starts");
    double
        .faults()
        .inject(Fault::status(StatusCode::IM_A_TEAPOT));
    let datastore =
        DatastoreClient::new(double.client(users::WRITER)).with_s3_endpoint(double.s3_endpoint());
    (double, datastore)
}

fn metadata() -> CollectionFormat {
    let approval = json!({ "relevant": false, "obtained": false });
    serde_json::from_value(json!({
        "associations": { "organisation_id": "10378.1/1" },
        "approvals": {
            "ethics_registration": approval,
            "ethics_access": approval,
            "indigenous_knowledge": approval,
            "export_controls": approval,
        },
        "dataset_info": {
            "name": "Blank id checks",
            "description": "Never sent",
            "access_info": { "reposited": true },
            "publisher_id": "10378.1/1",
            "created_date": { "relevant": false },
            "published_date": { "relevant": false },
            "license": "https://example.org/licenses/by/4.0/",
            "keywords": [],
        },
    }))
    .expect("metadata parses")
}

fn assert_usage_error<T: std::fmt::Debug>(result: Result<T, Error>, argument: &str, call: &str) {
    match result {
        Err(Error::Config { field, fix, .. }) => {
            assert_eq!(field, argument, "{call}");
            assert!(!fix.is_empty(), "{call}: the error says what to do");
        }
        other => panic!("{call}: expected a usage error for `{argument}`, got {other:?}"),
    }
}

fn assert_transfer_usage_error<T: std::fmt::Debug>(result: Result<T, TransferError>, call: &str) {
    match result {
        Err(TransferError::Provena(error)) => assert_usage_error::<()>(Err(*error), "id", call),
        other => panic!("{call}: expected a usage error for `id`, got {other:?}"),
    }
}

#[tokio::test]
async fn blank_dataset_ids_fail_before_any_request() {
    let (double, datastore) = tripwired().await;
    let metadata = metadata();
    for id in ["", " \t "] {
        assert_usage_error(datastore.fetch(id).await, "id", "fetch");
        assert_usage_error(datastore.fetch_response(id).await, "id", "fetch_response");
        assert_usage_error(datastore.update(id, "why", &metadata).await, "id", "update");
        assert_usage_error(datastore.revert(id, 0, "why").await, "id", "revert");
        assert_usage_error(datastore.version(id, "why").await, "id", "version");
        assert_usage_error(
            datastore.credentials(id, Access::Read).await,
            "id",
            "credentials",
        );
        assert_usage_error(
            datastore.presigned_url(id, "a.csv", None).await,
            "id",
            "presigned_url",
        );
        assert_usage_error(
            datastore.request_release(id, "10378.1/2", "notes").await,
            "id",
            "request_release",
        );
        assert_usage_error(
            datastore.review_release(id, true, "notes").await,
            "id",
            "review_release",
        );

        let handle = datastore.dataset(id);
        assert_usage_error(handle.fetch().await, "id", "dataset().fetch");
        assert_usage_error(handle.version("why").await, "id", "dataset().version");
        assert_transfer_usage_error(handle.list_files().await, "dataset().list_files");
        let dir = tempfile::tempdir().unwrap();
        assert_transfer_usage_error(handle.download_to(dir.path()).await, "download_to");
        assert_transfer_usage_error(handle.upload_from(dir.path()).await, "upload_from");
    }
    assert_eq!(
        double.faults().applied(),
        0,
        "no request reached the double"
    );
}

#[tokio::test]
async fn blank_reason_fails_before_any_request() {
    let (double, datastore) = tripwired().await;
    let result = datastore.dataset("10378.1/1690000").version("  ").await;
    let message = match &result {
        Err(error) => error.to_string(),
        Ok(response) => panic!("a blank reason was accepted: {response:?}"),
    };
    assert_usage_error(result, "reason", "version");
    assert!(message.contains("non-empty reason"), "{message}");
    assert_eq!(
        double.faults().applied(),
        0,
        "no request reached the double"
    );

    // The tripwire counts a request that does go out.
    assert!(datastore.fetch("10378.1/1690000").await.is_err());
    assert_eq!(double.faults().applied(), 1);
}
