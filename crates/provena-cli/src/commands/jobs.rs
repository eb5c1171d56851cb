//! `jobs wait`.

use std::time::Duration;

use provena::jobs::{PollPolicy, WaitError};

use crate::exit::{Failure, SERVER};
use crate::output::Output;

/// Waits for a job and prints its final status.
pub async fn wait(
    jobs: provena::jobs::JobsClient,
    session_id: &str,
    timeout: u64,
    out: Output,
) -> Result<(), Failure> {
    if session_id.trim().is_empty() {
        return Err(Failure::usage("the session id is empty")
            .hint("give the session id the job was started with"));
    }
    let policy = PollPolicy::default().with_max_wait(Duration::from_secs(timeout));
    match jobs.await_completion_with(session_id, policy).await {
        Ok(job) => out.emit(&job, || {
            let record = job
                .result
                .as_ref()
                .and_then(|result| result.get("record"))
                .and_then(|record| record.get("id"))
                .and_then(serde_json::Value::as_str);
            match record {
                Some(id) => format!("job {session_id} succeeded: record {id}"),
                None => format!("job {session_id} succeeded"),
            }
        }),
        Err(WaitError::Request(error)) => {
            let unknown = matches!(
                error,
                provena::Error::BadRequest(_) | provena::Error::NotFound(_)
            );
            let failure = Failure::from(error);
            if unknown {
                Err(Failure::new(SERVER, format!("cannot wait for job `{session_id}`: {failure}")).hint(
                    "check the session id; the jobs service only shows your own jobs (admins see all)",
                ))
            } else {
                Err(failure)
            }
        }
        Err(WaitError::TimedOut { last_status, .. }) => Err(Failure::new(
            SERVER,
            format!(
                "job `{session_id}` did not finish within {timeout} s (last status {last_status})"
            ),
        )
        .hint("the job keeps running; wait again with a larger --timeout")),
        Err(error) => {
            let message = crate::exit::chain(&error);
            Err(Failure::new(SERVER, message).hint(
                "the job's own message above says why it failed; fix its input and start it again",
            ))
        }
    }
}
