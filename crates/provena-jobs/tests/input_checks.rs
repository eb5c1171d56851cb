//! Blank session and batch ids fail in the jobs client with a usage error naming the
//! argument, before any request goes out.

use futures::TryStreamExt;
use provena_http::http::StatusCode;
use provena_jobs::{Error, JobsClient, WaitError};
use provena_models::{JobSubType, JobType};
use provena_testkit::{Fault, ProvenaDouble, users};
use serde_json::json;

/// Starts the double with a fault armed on every service, so that any request that goes
/// out is counted by [`provena_testkit::Faults::applied`].
async fn tripwired() -> (ProvenaDouble, JobsClient) {
    let double = ProvenaDouble::start().await.expect("the double starts");
    double
        .faults()
        .inject(Fault::status(StatusCode::IM_A_TEAPOT));
    let jobs = JobsClient::new(double.client(users::ADMIN));
    (double, jobs)
}

fn assert_usage_error<T: std::fmt::Debug>(result: Result<T, Error>, argument: &str, call: &str) {
    match result {
        Err(Error::Config { field, fix, .. }) => {
            assert_eq!(field, argument, "{call}");
            assert!(
                fix.contains("session id"),
                "{call}: the error says what to give"
            );
        }
        other => panic!("{call}: expected a usage error for `{argument}`, got {other:?}"),
    }
}

#[tokio::test]
async fn blank_job_ids_fail_before_any_request() {
    let (double, jobs) = tripwired().await;
    for id in ["", "  "] {
        assert_usage_error(jobs.get_job(id).await, "session_id", "get_job");
        assert_usage_error(jobs.admin_get_job(id).await, "session_id", "admin_get_job");
        assert_usage_error(jobs.retry_job(id).await, "session_id", "retry_job");
        assert_usage_error(
            jobs.admin_retry_job(id).await,
            "session_id",
            "admin_retry_job",
        );
        match jobs.await_completion(id).await {
            Err(WaitError::Request(error)) => {
                assert_usage_error::<()>(Err(error), "session_id", "await_completion");
            }
            other => panic!("await_completion: expected a usage error, got {other:?}"),
        }
        assert_usage_error(
            jobs.list_batch(id).collect_all().await,
            "batch_id",
            "list_batch",
        );
        assert_usage_error(
            jobs.admin_list_batch(id)
                .pages()
                .try_collect::<Vec<_>>()
                .await,
            "batch_id",
            "admin_list_batch",
        );
        assert_usage_error(
            jobs.launch_job(JobType::ProvLodge, JobSubType::ProvLodgeWakeUp, json!({}))
                .add_to_batch(id)
                .send()
                .await,
            "batch_id",
            "launch_job().add_to_batch",
        );
    }
    assert_eq!(
        double.faults().applied(),
        0,
        "no request reached the double"
    );

    // The tripwire counts a request that does go out.
    assert!(jobs.get_job("a-session-id").await.is_err());
    assert_eq!(double.faults().applied(), 1);
}
