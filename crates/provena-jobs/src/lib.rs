//! Client for the Provena jobs service.
//!
//! Provena runs slow work (lodging provenance, creating registry activities, generating
//! reports) as asynchronous jobs. Each job has a session id; services return it from the
//! request that started the work. [`JobsClient`] fetches and lists jobs, launches them as
//! an admin, and waits for one to finish with [`JobsClient::await_completion`].
//!
//! ```no_run
//! # async fn run(http: provena_http::HttpClient) -> Result<(), provena_jobs::WaitError> {
//! use futures::TryStreamExt;
//! use provena_jobs::JobsClient;
//!
//! let jobs = JobsClient::new(http);
//! let recent = jobs.list_jobs().page_size(20).into_stream();
//! futures::pin_mut!(recent);
//! while let Some(job) = recent.try_next().await? {
//!     println!("{} {:?}", job.session_id, job.status);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The layers: [`operations`] has one constant and one function per API operation;
//! [`JobsClient`] adds pagination streams, typed builders and polling.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod access;
mod client;
mod list;
pub mod operations;
mod wait;

pub use access::AccessCheck;
pub use client::{JobsClient, LaunchJob};
pub use list::{DEFAULT_PAGE_SIZE, JobPage, ListJobs};
pub use provena_http::Error;
pub use wait::{PollPolicy, WaitError};
