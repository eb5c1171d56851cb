//! Client for the Provena data store: register datasets, update, version and revert their
//! metadata, list and fetch them, manage release reviews, and move dataset files on S3.
//!
//! - [`operations`]: one [`Operation`](provena_http::Operation) constant and one function
//!   per API operation, returning the raw response types of `provena_models`.
//! - [`DatastoreClient`]: the user-facing client, with a lazy [`ListDatasets`] stream and a
//!   [`DatasetHandle`] per dataset for file transfers and versioning.
//! - [`files`]: dataset file transfers on S3 with credentials from the data store.
//!
//! Provena never passes file bytes through its APIs. It hands out short-lived S3
//! credentials scoped to one dataset's prefix; [`DatasetHandle::download_to`] and
//! [`DatasetHandle::upload_from`] fetch them, renew them before they expire, and move the
//! files in parallel.
//!
//! ```no_run
//! use provena_datastore::DatastoreClient;
//!
//! # async fn run(http: provena_http::HttpClient) -> Result<(), Box<dyn std::error::Error>> {
//! let datastore = DatastoreClient::new(http)
//!     .with_s3_endpoint("https://s3.ap-southeast-2.amazonaws.com".parse()?);
//! let dataset = datastore.dataset("10378.1/1690000");
//! dataset.upload_from("./results").await?;
//! let version = dataset.version("new model outputs").await?;
//! println!("new version {}", version.new_version_id);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod client;
pub mod files;
pub mod operations;

pub use client::{
    Access, DEFAULT_S3_REGION, DatasetHandle, DatastoreClient, ListDatasets, PresignedUrl,
};
pub use files::{
    DatasetFiles, FileEntry, Progress, TransferError, TransferOptions, TransferSummary,
};
pub use provena_http::Error;
