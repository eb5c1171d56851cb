//! The user-facing jobs client.

use std::collections::BTreeMap;

use bytes::Bytes;
use provena_http::{Error, HttpClient};
use provena_models::{
    AdminLaunchJobRequest, AdminLaunchJobResponse, JobStatusTable, JobSubType, JobType,
};

use crate::access::AccessCheck;
use crate::list::ListJobs;
use crate::operations;
use crate::wait::{PollPolicy, WaitError, poll_until_done};

/// Client for the Provena jobs service.
///
/// Cloning is cheap and shares the connection pool of the [`HttpClient`], so build one and
/// reuse it.
///
/// ```no_run
/// # async fn run(http: provena_http::HttpClient) -> Result<(), provena_jobs::WaitError> {
/// use std::time::Duration;
/// use provena_jobs::JobsClient;
///
/// use provena_jobs::PollPolicy;
///
/// let jobs = JobsClient::new(http);
/// let policy = PollPolicy::default().with_max_wait(Duration::from_secs(120));
/// let job = jobs
///     .await_completion_with("8b3f0e0c-5a0e-4a43-9d4c-1f0a7a7b2c11", policy)
///     .await?;
/// println!("{:?}", job.result);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct JobsClient {
    http: HttpClient,
}

impl JobsClient {
    /// Builds a client that sends its requests through `http`.
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    /// Returns the HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Fetches one of the caller's jobs.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a blank session id, [`Error::BadRequest`] when no job has this
    /// session id, [`Error::Unauthorized`] when the job belongs to another user, or any
    /// other request [`Error`].
    pub async fn get_job(&self, session_id: &str) -> Result<JobStatusTable, Error> {
        require_id("session_id", session_id)?;
        Ok(operations::get_job(&self.http, session_id).await?.job)
    }

    /// Fetches any user's job. Needs the jobs service's read role.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a blank session id, [`Error::BadRequest`] when no job has this
    /// session id, [`Error::Unauthorized`] without the role, or any other request
    /// [`Error`].
    pub async fn admin_get_job(&self, session_id: &str) -> Result<JobStatusTable, Error> {
        require_id("session_id", session_id)?;
        Ok(operations::admin_get_job(&self.http, session_id).await?.job)
    }

    /// Lists the caller's jobs, newest first, as a lazy stream.
    pub fn list_jobs(&self) -> ListJobs {
        ListJobs::user(self.http.clone())
    }

    /// Lists the jobs of one of the caller's batches as a lazy stream. The service returns
    /// HTTP 401 when the batch contains another user's jobs. A blank batch id is an
    /// [`Error::Config`] when the stream is polled, before any request.
    pub fn list_batch(&self, batch_id: impl Into<String>) -> ListJobs {
        ListJobs::user_batch(self.http.clone(), batch_id.into())
    }

    /// Lists every user's jobs, newest first, as a lazy stream; narrow it with
    /// [`ListJobs::username`]. Needs the jobs service's read role.
    pub fn admin_list_jobs(&self) -> ListJobs {
        ListJobs::admin(self.http.clone())
    }

    /// Lists the jobs of any batch as a lazy stream. Needs the jobs service's read role. A
    /// blank batch id is an [`Error::Config`] when the stream is polled.
    pub fn admin_list_batch(&self, batch_id: impl Into<String>) -> ListJobs {
        ListJobs::admin_batch(self.http.clone(), batch_id.into())
    }

    /// Starts a job submission. Needs the jobs service's read and write roles.
    ///
    /// `payload` must match what the service expects for `job_sub_type`, which it checks.
    pub fn launch_job(
        &self,
        job_type: JobType,
        job_sub_type: JobSubType,
        payload: serde_json::Value,
    ) -> LaunchJob {
        LaunchJob {
            http: self.http.clone(),
            job_type,
            job_sub_type,
            payload,
            username: None,
            batch: BatchChoice::None,
        }
    }

    /// Asks the service to run one of the caller's jobs again.
    ///
    /// # Errors
    ///
    /// The service does not implement retries and always returns [`Error::BadRequest`],
    /// whose detail states this. Launch a new job instead.
    pub async fn retry_job(&self, session_id: &str) -> Result<String, Error> {
        require_id("session_id", session_id)?;
        Ok(operations::retry_job(&self.http, session_id)
            .await?
            .session_id)
    }

    /// Asks the service to run any user's job again.
    ///
    /// # Errors
    ///
    /// The service does not implement retries and always returns [`Error::BadRequest`],
    /// whose detail states this. Launch a new job instead.
    pub async fn admin_retry_job(&self, session_id: &str) -> Result<String, Error> {
        require_id("session_id", session_id)?;
        Ok(operations::admin_retry_job(&self.http, session_id)
            .await?
            .session_id)
    }

    /// Waits until the caller's job `session_id` succeeds or fails, polling with the
    /// backoff of [`PollPolicy::default`], and returns the succeeded job.
    ///
    /// Dropping the future stops polling; the job keeps running on the server.
    ///
    /// # Errors
    ///
    /// [`WaitError::Failed`] when the job fails, [`WaitError::TimedOut`] when the wait runs
    /// out, and [`WaitError::Request`] when a poll fails or the session id is blank
    /// ([`Error::Config`], before any request).
    pub async fn await_completion(&self, session_id: &str) -> Result<JobStatusTable, WaitError> {
        poll_until_done(self, session_id, PollPolicy::default()).await
    }

    /// As [`await_completion`](Self::await_completion), with another polling policy, such
    /// as a longer total wait.
    ///
    /// # Errors
    ///
    /// As [`await_completion`](Self::await_completion).
    pub async fn await_completion_with(
        &self,
        session_id: &str,
        policy: PollPolicy,
    ) -> Result<JobStatusTable, WaitError> {
        poll_until_done(self, session_id, policy).await
    }

    /// Returns the service's greeting, a small JSON object.
    ///
    /// # Errors
    ///
    /// Any request [`Error`].
    pub async fn root(&self) -> Result<BTreeMap<String, String>, Error> {
        operations::root(&self.http).await
    }

    /// Downloads the service's configuration as `.env` text. Needs the admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role, or any other request [`Error`].
    pub async fn config_file(&self, required_only: bool) -> Result<Bytes, Error> {
        operations::generate_config_file(&self.http, required_only).await
    }

    /// Asks the service to raise an error, to test its error monitoring. With monitoring
    /// off the service returns a message instead.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] when the test error is raised, [`Error::Unauthorized`] without the
    /// service's write role.
    pub async fn test_sentry_reporting(&self) -> Result<serde_json::Value, Error> {
        operations::test_sentry_reporting(&self.http).await
    }

    /// Checks that the caller is signed in.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the token is missing or invalid.
    pub async fn check_general_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_GENERAL_ACCESS).await
    }

    /// Checks that the caller has the jobs service's read role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role.
    pub async fn check_read_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_READ_ACCESS).await
    }

    /// Checks that the caller has the jobs service's read and write roles.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the roles.
    pub async fn check_write_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_WRITE_ACCESS).await
    }

    /// Checks that the caller has the jobs service's admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role.
    pub async fn check_admin_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_ADMIN_ACCESS).await
    }
}

#[derive(Debug, Clone)]
enum BatchChoice {
    None,
    New,
    Existing(String),
}

/// A job submission, built by [`JobsClient::launch_job`]. Finish it with
/// [`send`](LaunchJob::send).
#[derive(Debug, Clone)]
#[must_use = "a job is only launched by `send`"]
pub struct LaunchJob {
    http: HttpClient,
    job_type: JobType,
    job_sub_type: JobSubType,
    payload: serde_json::Value,
    username: Option<String>,
    batch: BatchChoice,
}

impl LaunchJob {
    /// Submits the job on behalf of `username` instead of the caller.
    pub fn for_user(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Asks the service to start a new batch with this job; its id is in the response's
    /// `batch_id`. Replaces an earlier [`add_to_batch`](LaunchJob::add_to_batch).
    pub fn new_batch(mut self) -> Self {
        self.batch = BatchChoice::New;
        self
    }

    /// Adds the job to an existing batch. Replaces an earlier
    /// [`new_batch`](LaunchJob::new_batch).
    pub fn add_to_batch(mut self, batch_id: impl Into<String>) -> Self {
        self.batch = BatchChoice::Existing(batch_id.into());
        self
    }

    /// Sends the submission and returns the new session id (and batch id, if requested).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the payload is not a JSON object or the batch id given to
    /// [`add_to_batch`](LaunchJob::add_to_batch) is blank, [`Error::BadRequest`] when
    /// the service rejects it for the subtype, [`Error::Unauthorized`] without the roles.
    pub async fn send(self) -> Result<AdminLaunchJobResponse, Error> {
        if let BatchChoice::Existing(batch_id) = &self.batch {
            require_id("batch_id", batch_id)?;
        }
        let serde_json::Value::Object(payload) = self.payload else {
            return Err(Error::config(
                "job_payload",
                self.payload.to_string(),
                "the job payload must be a JSON object",
            ));
        };
        let (request_batch_id, add_to_batch) = match self.batch {
            BatchChoice::None => (false, None),
            BatchChoice::New => (true, None),
            BatchChoice::Existing(batch_id) => (false, Some(batch_id)),
        };
        let request = AdminLaunchJobRequest {
            add_to_batch,
            job_payload: serde_json::Value::Object(payload),
            job_sub_type: self.job_sub_type,
            job_type: self.job_type,
            request_batch_id: Some(request_batch_id),
            username: self.username,
        };
        operations::launch_job(&self.http, &request).await
    }
}

/// Rejects an empty or whitespace-only id before a request goes out; `argument` names the
/// parameter in the error.
pub(crate) fn require_id(argument: &str, id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::config(
            argument,
            id,
            "give the id the service returned, such as a job's session id",
        ));
    }
    Ok(())
}
