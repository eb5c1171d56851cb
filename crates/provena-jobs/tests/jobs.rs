//! The jobs client against the embedded Provena double over HTTP.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use provena_http::Service;
use provena_http::http::Method;
use provena_jobs::{Error, JobsClient, PollPolicy, WaitError, operations};
use provena_models::{JobStatus, JobSubType, JobType};
use provena_testkit::{ProvenaDouble, users};
use serde_json::json;

/// Polls quickly so that each wait takes milliseconds against the double.
fn fast_policy() -> PollPolicy {
    PollPolicy::default()
        .with_intervals(Duration::from_millis(5), Duration::from_millis(20))
        .with_max_wait(Duration::from_secs(10))
}

async fn double() -> ProvenaDouble {
    ProvenaDouble::start().await.expect("the double starts")
}

/// Launches a wake-up job, which the double runs to success over three fetches.
async fn launch_wake_up(admin: &JobsClient, for_user: &str) -> String {
    admin
        .launch_job(
            JobType::ProvLodge,
            JobSubType::ProvLodgeWakeUp,
            json!({ "reason": "test" }),
        )
        .for_user(for_user)
        .send()
        .await
        .expect("launch succeeds")
        .session_id
}

#[tokio::test]
async fn job_moves_through_its_stages() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    let writer = JobsClient::new(double.client(users::WRITER));
    let session_id = launch_wake_up(&admin, users::WRITER).await;

    let first = writer.get_job(&session_id).await.unwrap();
    assert_eq!(first.status, JobStatus::Pending);
    assert_eq!(first.username, users::WRITER);
    assert_eq!(first.job_sub_type, JobSubType::ProvLodgeWakeUp);
    let second = writer.get_job(&session_id).await.unwrap();
    assert_eq!(second.status, JobStatus::InProgress);
    let third = writer.get_job(&session_id).await.unwrap();
    assert_eq!(third.status, JobStatus::Succeeded);
    assert_eq!(third.result, Some(json!({})));
}

#[tokio::test]
async fn await_completion_returns_succeeded_job() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    let writer = JobsClient::new(double.client(users::WRITER));
    let session_id = launch_wake_up(&admin, users::WRITER).await;

    let job = writer
        .await_completion_with(&session_id, fast_policy())
        .await
        .unwrap();
    assert_eq!(job.session_id, session_id);
    assert_eq!(job.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn await_completion_reports_failed_job() {
    let double = double().await;
    let writer_http = double.client(users::WRITER);
    let writer = JobsClient::new(writer_http.clone());
    // A report for an id the registry does not hold fails in the job, not in the request.
    let started: serde_json::Value = writer_http
        .request(Service::Prov, Method::POST, "/explore/generate/report")
        .json(&json!({ "id": "10378.1/404", "item_subtype": "MODEL_RUN", "depth": 1 }))
        .send_json()
        .await
        .unwrap();
    let session_id = started["session_id"].as_str().unwrap();

    let error = writer
        .await_completion_with(session_id, fast_policy())
        .await
        .unwrap_err();
    let job = error.failed_job().expect("a failed job");
    assert_eq!(job.status, JobStatus::Failed);
    let info = job.info.as_deref().unwrap();
    assert!(info.contains("10378.1/404"), "{info}");
    assert!(error.to_string().contains(session_id));
}

#[tokio::test]
async fn await_completion_times_out() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    // The double runs no worker for launched create-activity jobs: they stay PENDING.
    let session_id = admin
        .launch_job(
            JobType::Registry,
            JobSubType::RegisterCreateActivity,
            json!({
                "created_item_id": "10378.1/1699901",
                "created_item_subtype": "PERSON",
                "linked_person_id": "10378.1/1699901",
            }),
        )
        .send()
        .await
        .unwrap()
        .session_id;

    let policy = PollPolicy::default()
        .with_intervals(Duration::from_millis(5), Duration::from_millis(20))
        .with_max_wait(Duration::from_millis(150));
    let error = admin
        .await_completion_with(&session_id, policy)
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    match error {
        WaitError::TimedOut {
            session_id: waited_for,
            last_status,
            ..
        } => {
            assert_eq!(waited_for, session_id);
            assert_eq!(last_status, JobStatus::Pending);
        }
        other => panic!("expected a time-out, got {other}"),
    }
}

#[tokio::test]
async fn unknown_job_is_bad_request() {
    let double = double().await;
    let writer = JobsClient::new(double.client(users::WRITER));

    let error = writer.get_job("no-such-session").await.unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "{error}");
    assert_eq!(error.detail(), Some("Item was not found."));

    let waited = writer
        .await_completion_with("no-such-session", fast_policy())
        .await
        .unwrap_err();
    assert!(
        matches!(waited, WaitError::Request(Error::BadRequest(_))),
        "{waited}"
    );
}

#[tokio::test]
async fn other_users_job_is_unauthorized() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    let reader = JobsClient::new(double.client(users::READER));
    let session_id = launch_wake_up(&admin, users::WRITER).await;

    let error = reader.get_job(&session_id).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error}");
    assert_eq!(error.detail(), Some("Not authorised to view this record."));
}

#[tokio::test]
async fn launch_without_write_role_is_unauthorized() {
    let double = double().await;
    let reader = JobsClient::new(double.client(users::READER));

    let error = reader
        .launch_job(JobType::Email, JobSubType::EmailWakeUp, json!({}))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error}");
    assert!(error.detail().unwrap().contains("correct role"));
}

#[tokio::test]
async fn launch_rejects_bad_payloads() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));

    let missing = admin
        .launch_job(
            JobType::Email,
            JobSubType::SendEmail,
            json!({ "subject": "hi" }),
        )
        .send()
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::BadRequest(_)), "{missing}");
    assert!(missing.detail().unwrap().contains("email_to"));

    let not_object = admin
        .launch_job(JobType::Email, JobSubType::EmailWakeUp, json!([1, 2]))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(not_object, Error::Config { .. }), "{not_object}");
}

#[tokio::test]
async fn listings_page_without_loss() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    let writer = JobsClient::new(double.client(users::WRITER));
    let mut launched = BTreeSet::new();
    for _ in 0..23 {
        launched.insert(launch_wake_up(&admin, users::WRITER).await);
    }

    let pages: Vec<_> = writer
        .list_jobs()
        .page_size(5)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 5);
    assert!(pages[..4].iter().all(|page| page.jobs.len() == 5));
    assert_eq!(pages[4].jobs.len(), 3);
    assert!(pages[4].next_key.is_none());
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|page| page.jobs.iter().map(|job| job.session_id.clone()))
        .collect();
    assert_eq!(listed.len(), 23, "no job repeated");
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), launched);

    // A listing that fills its last page exactly ends with a key and then one empty page.
    let exact: Vec<_> = writer
        .list_jobs()
        .page_size(23)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(exact.len(), 2);
    assert_eq!(exact[0].jobs.len(), 23);
    assert!(exact[1].jobs.is_empty());
    let streamed: Vec<_> = writer
        .list_jobs()
        .page_size(23)
        .into_stream()
        .take(30)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 23);

    let filtered = admin
        .admin_list_jobs()
        .username(users::WRITER)
        .page_size(7)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 23);
    assert!(filtered.iter().all(|job| job.username == users::WRITER));
    let own = admin.list_jobs().collect_all().await.unwrap();
    assert!(
        own.is_empty(),
        "the admin launched every job for the writer"
    );
}

#[tokio::test]
async fn batches_list_their_jobs() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    let writer = JobsClient::new(double.client(users::WRITER));
    let first = admin
        .launch_job(JobType::Email, JobSubType::EmailWakeUp, json!({}))
        .for_user(users::WRITER)
        .new_batch()
        .send()
        .await
        .unwrap();
    let batch_id = first.batch_id.clone().expect("a new batch id");
    let second = admin
        .launch_job(JobType::Email, JobSubType::EmailWakeUp, json!({}))
        .for_user(users::WRITER)
        .add_to_batch(&batch_id)
        .send()
        .await
        .unwrap();
    assert_eq!(second.batch_id, None);

    let listed = writer
        .list_batch(&batch_id)
        .page_size(1)
        .collect_all()
        .await
        .unwrap();
    let ids: BTreeSet<_> = listed.iter().map(|job| job.session_id.clone()).collect();
    assert_eq!(
        ids,
        BTreeSet::from([first.session_id.clone(), second.session_id.clone()])
    );
    assert!(
        listed
            .iter()
            .all(|job| job.batch_id.as_deref() == Some(batch_id.as_str()))
    );

    let as_admin = admin
        .admin_list_batch(&batch_id)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(as_admin.len(), 2);
    let fetched = admin.admin_get_job(&first.session_id).await.unwrap();
    assert_eq!(fetched.username, users::WRITER);

    let reader = JobsClient::new(double.client(users::READER));
    let error = reader
        .list_batch(&batch_id)
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error}");
}

#[tokio::test]
async fn user_filter_on_own_listing_is_rejected() {
    let double = double().await;
    let writer = JobsClient::new(double.client(users::WRITER));

    let error = writer
        .list_jobs()
        .username("someone")
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error}");
    assert!(error.to_string().contains("admin_list_jobs"));
    let zero = writer
        .list_jobs()
        .page_size(0)
        .collect_all()
        .await
        .unwrap_err();
    assert!(matches!(zero, Error::Config { .. }), "{zero}");
}

#[tokio::test]
async fn retry_routes_explain_they_are_unimplemented() {
    let double = double().await;
    let admin = JobsClient::new(double.client(users::ADMIN));
    let session_id = launch_wake_up(&admin, users::ADMIN).await;

    for error in [
        admin.retry_job(&session_id).await.unwrap_err(),
        admin.admin_retry_job(&session_id).await.unwrap_err(),
    ] {
        assert!(matches!(error, Error::BadRequest(_)), "{error}");
        let detail = error.detail().unwrap();
        assert!(detail.starts_with("Not yet implemented"), "{detail}");
        assert!(
            detail.contains("does not implement job retries"),
            "{detail}"
        );
    }
}

/// Calls every operation once and checks the list against `operations::ALL`.
#[tokio::test]
async fn every_operation_is_exercised() {
    let double = double().await;
    let http = double.client(users::ADMIN);
    let admin = JobsClient::new(http.clone());
    let mut called: Vec<&'static str> = Vec::new();

    let greeting = admin.root().await.unwrap();
    assert!(!greeting.is_empty());
    called.push(operations::ROOT.id);
    let config = admin.config_file(false).await.unwrap();
    assert!(!config.is_empty());
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

    let launched = admin
        .launch_job(JobType::ProvLodge, JobSubType::ProvLodgeWakeUp, json!({}))
        .new_batch()
        .send()
        .await
        .unwrap();
    called.push(operations::LAUNCH_JOB.id);
    let batch_id = launched.batch_id.unwrap();
    admin.get_job(&launched.session_id).await.unwrap();
    called.push(operations::GET_JOB.id);
    admin.admin_get_job(&launched.session_id).await.unwrap();
    called.push(operations::ADMIN_GET_JOB.id);
    assert_eq!(admin.list_jobs().collect_all().await.unwrap().len(), 1);
    called.push(operations::LIST_JOBS.id);
    assert_eq!(
        admin
            .list_batch(&batch_id)
            .collect_all()
            .await
            .unwrap()
            .len(),
        1
    );
    called.push(operations::LIST_BATCH.id);
    assert!(
        !admin
            .admin_list_jobs()
            .collect_all()
            .await
            .unwrap()
            .is_empty()
    );
    called.push(operations::ADMIN_LIST_JOBS.id);
    assert_eq!(
        admin
            .admin_list_batch(&batch_id)
            .collect_all()
            .await
            .unwrap()
            .len(),
        1
    );
    called.push(operations::ADMIN_LIST_BATCH.id);
    assert!(admin.retry_job(&launched.session_id).await.is_err());
    called.push(operations::RETRY_JOB.id);
    assert!(admin.admin_retry_job(&launched.session_id).await.is_err());
    called.push(operations::ADMIN_RETRY_JOB.id);

    let expected: BTreeSet<&str> = operations::ALL
        .iter()
        .map(|operation| operation.id)
        .collect();
    let exercised: BTreeSet<&str> = called.into_iter().collect();
    assert_eq!(exercised, expected);
    assert_eq!(operations::ALL.len(), 16);
}
