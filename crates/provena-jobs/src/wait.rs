//! Waiting for a job to reach a final status.

use std::time::Duration;

use provena_http::Error;
use provena_models::{JobStatus, JobStatusTable};
use tokio::time::Instant;

use crate::JobsClient;

/// How [`JobsClient::await_completion_with`] polls.
///
/// The first poll is sent at once. The delay before each later poll starts at
/// `initial_interval` and doubles up to `max_interval`. Polling stops with
/// [`WaitError::TimedOut`] once `max_wait` has passed since the first poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// The delay before the second poll.
    pub initial_interval: Duration,
    /// The maximum delay between two polls.
    pub max_interval: Duration,
    /// The maximum total wait.
    pub max_wait: Duration,
}

impl PollPolicy {
    /// Returns the policy with another total wait.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Returns the policy with other delays: `initial` before the second poll, doubling up
    /// to `max`.
    pub fn with_intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max;
        self
    }
}

impl Default for PollPolicy {
    /// Polls after 0.5 s, then at doubling intervals up to 10 s, for at most 10 minutes.
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(10),
            max_wait: Duration::from_secs(600),
        }
    }
}

/// The reason waiting did not end in a successful job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// Fetching the job failed, such as for an unknown session id (HTTP 400) or another
    /// user's job (HTTP 401).
    #[error(transparent)]
    Request(#[from] Error),
    /// The job finished with status `FAILED`. The job's `info` contains the service's reason.
    #[error("job `{}` failed: {}", .job.session_id, failure_info(.job))]
    Failed {
        /// The job as last fetched.
        job: Box<JobStatusTable>,
    },
    /// The job had not finished when the total wait ran out. It keeps running on the
    /// server; wait again with the same session id to pick it up.
    #[error(
        "job `{session_id}` did not finish within {waited:?} (last status {last_status:?}); \
         wait again with a longer `max_wait`"
    )]
    TimedOut {
        /// The job's session id.
        session_id: String,
        /// How long polling went on.
        waited: Duration,
        /// The status at the last poll.
        last_status: JobStatus,
    },
    /// The job succeeded but its result does not have the expected shape.
    #[error("job `{session_id}` succeeded but its result is unusable: {message}")]
    InvalidResult {
        /// The job's session id.
        session_id: String,
        /// The problem with the result.
        message: String,
    },
}

fn failure_info(job: &JobStatusTable) -> &str {
    job.info
        .as_deref()
        .filter(|info| !info.is_empty())
        .unwrap_or("the service gave no reason")
}

impl WaitError {
    /// Returns the failed job when the job ended with status `FAILED`.
    pub fn failed_job(&self) -> Option<&JobStatusTable> {
        match self {
            WaitError::Failed { job } => Some(job),
            _ => None,
        }
    }

    /// Reports whether the wait ran out before the job finished.
    pub fn is_timeout(&self) -> bool {
        matches!(self, WaitError::TimedOut { .. })
    }
}

/// Polls the caller's job `session_id` until it succeeds or fails, or `policy.max_wait`
/// runs out.
pub(crate) async fn poll_until_done(
    client: &JobsClient,
    session_id: &str,
    policy: PollPolicy,
) -> Result<JobStatusTable, WaitError> {
    crate::client::require_id("session_id", session_id)?;
    let started = Instant::now();
    let deadline = started + policy.max_wait;
    let mut interval = policy.initial_interval.max(Duration::from_millis(1));
    loop {
        let job = client.get_job(session_id).await?;
        match job.status {
            JobStatus::Succeeded => return Ok(job),
            JobStatus::Failed => return Err(WaitError::Failed { job: Box::new(job) }),
            _ => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(WaitError::TimedOut {
                session_id: session_id.to_owned(),
                waited: now - started,
                last_status: job.status,
            });
        }
        tracing::debug!(
            target: "provena_jobs",
            session_id,
            status = %job.status,
            delay_ms = interval.as_millis() as u64,
            "job not finished, polling again"
        );
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = (interval * 2).min(policy.max_interval.max(interval));
    }
}
