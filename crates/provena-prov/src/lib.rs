//! Client for the Provena prov service.
//!
//! The prov service records where data came from. A model run record names the workflow
//! template, the input and output datasets, the modeller and the times. Registering it
//! creates a model run item in the registry and lodges its relations in the provenance
//! graph. [`ProvClient`] covers registration (one, a batch, updates, deletion), lineage
//! queries returning a typed [`LineageGraph`] with Graphviz DOT and JSON export, the bulk
//! CSV tools, report generation and graph administration.
//!
//! ```no_run
//! # async fn run(http: provena_http::HttpClient) -> Result<(), provena_jobs::WaitError> {
//! use provena_prov::ProvClient;
//! use provena_models::ItemSubType;
//!
//! let prov = ProvClient::new(http);
//! let graph = prov.contributing_datasets("10378.1/1690000", Some(3)).await?;
//! for node in &graph.nodes {
//!     println!("{} {:?}", node.id, node.item_subtype);
//! }
//! let report = prov
//!     .generate_report("10378.1/1690000", ItemSubType::ModelRun, 2, "report.docx")
//!     .await?;
//! println!("wrote {} bytes to {}", report.size, report.path.display());
//! # Ok(())
//! # }
//! ```
//!
//! The layers: [`operations`] has one constant and one function per API operation;
//! [`ProvClient`] adds typed results, validation and job waits.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod client;
mod lineage;
pub mod operations;
mod report;

pub use client::{DeleteModelRun, DeleteOutcome, ProvClient};
pub use lineage::{LineageEdge, LineageGraph, LineageNode, ProvRelation};
pub use provena_http::Error;
pub use provena_jobs::{AccessCheck, JobsClient, PollPolicy, WaitError};
pub use report::{REPORT_DEPTH_RANGE, ReportFile};
