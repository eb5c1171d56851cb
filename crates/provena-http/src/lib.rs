//! The HTTP layer every provena-rs service crate sends its requests through.
//!
//! One [`HttpClient`] holds a pooled hyper connection pool with rustls, the deployment's
//! [`Endpoints`], the timeouts and retry policy, and a [`TokenProvider`] for bearer tokens.
//! Service crates declare each API operation as an [`Operation`] and send it with
//! [`HttpClient::call`]; the client adds the token (only for the deployment's own hosts),
//! retries idempotent requests on transient failures, and decodes answers into typed values
//! or into an [`Error`] that keeps the status, service, path and the server's detail.
//!
//! ```no_run
//! use std::sync::Arc;
//! use provena_http::{Config, HttpClient, Operation, Service, StaticToken};
//!
//! # async fn run() -> Result<(), provena_http::Error> {
//! let config = Config::builder().domain("provena.example.org").realm("provena").build()?;
//! let client = HttpClient::new(config, Arc::new(StaticToken::new("token")))?;
//! const VERSION: Operation =
//!     Operation::get(Service::Registry, "version", "/registry/general/about/version");
//! let version: serde_json::Value = client.call(&VERSION).send_json().await?;
//! # let _ = version;
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `webpki-roots` (default): trust the Mozilla root certificates bundled with the crate.
//! - `native-roots`: trust the operating system's certificate store.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod client;
mod config;
pub mod decode;
mod error;
mod request;
mod token;

pub use client::{HttpClient, RequestBuilder, Response};
pub use config::{
    Config, ConfigBuilder, Endpoints, RetryPolicy, RootCertificates, Service, Timeouts,
};
pub use error::{ApiError, BoxError, Error, FieldError, TimeoutKind, display_chain};
pub use request::{Multipart, Operation, Query};
pub use token::{Anonymous, Secret, StaticToken, TokenProvider};

/// The `http` crate, whose types appear in this crate's signatures.
pub use http;
