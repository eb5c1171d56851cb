//! The HTTP layer every provena-rs service crate sends its requests through.
//!
//! One [`HttpClient`] contains a connection pool over hyper and rustls, the deployment's
//! [`Endpoints`], the timeouts and retry policy, and a [`TokenProvider`] for bearer tokens.
//! Service crates declare each API operation as an [`Operation`] and send it with
//! [`HttpClient::call`]. The client adds the token (only for the deployment's own hosts),
//! retries idempotent requests on transient failures, and decodes responses into typed
//! values or into an [`Error`] that keeps the status, service, path and the server's detail.
//!
//! ```no_run
//! use std::sync::Arc;
//! use provena_http::{Config, HttpClient, Operation, Service, StaticToken};
//!
//! const LIST: Operation =
//!     Operation::post_safe(Service::Registry, "list", "/registry/general/list");
//!
//! # async fn run() -> Result<(), provena_http::Error> {
//! let config = Config::builder().domain("provena.example.org").realm("provena").build()?;
//! let client = HttpClient::new(config, Arc::new(StaticToken::new("access token")))?;
//! let page: serde_json::Value = client
//!     .call(&LIST)
//!     .json(&serde_json::json!({"page_size": 20}))
//!     .send_json()
//!     .await?;
//! println!("{} items", page["items"].as_array().map_or(0, Vec::len));
//! # Ok(())
//! # }
//! ```
//!
//! # What it provides
//!
//! - [`Config`] and [`Endpoints`]: every base URL derived from a domain and Keycloak realm,
//!   each one overridable in code or through `PROVENA_*` environment variables.
//! - [`HttpClient`]: one pooled client (HTTP/1.1 and HTTP/2 by ALPN, keep-alive). Clones
//!   share the pool, so every service client can hold one. Idle HTTP/1.1 connections are
//!   kept for 90 s, and one HTTP/2 connection per host carries every request to it.
//! - [`RequestBuilder`]: query parameters (`None` skipped), JSON and multipart bodies, and
//!   responses as JSON, bytes, text or a stream.
//! - [`Error`]: one `#[non_exhaustive]` error for every provena crate, with
//!   [`Error::status`], [`Error::detail`] and [`Error::is_retryable`].
//!
//! # Cargo features
//!
//! - `webpki-roots` (default): trust the Mozilla root certificates bundled with the crate.
//! - `native-roots`: trust the operating system's certificate store; choose it with
//!   [`ConfigBuilder::root_certificates`]. On Linux, `SSL_CERT_FILE` and `SSL_CERT_DIR`
//!   replace the system store when set.
//!
//! # TLS
//!
//! Connections use rustls with the ring provider and offer `h2`, then `http/1.1`, by ALPN.
//! A deployment whose certificates come from a private CA can be trusted without giving
//! up the chosen root set: pass the CA's PEM to
//! [`ConfigBuilder::add_root_certificate_pem`], or name a PEM file in
//! `PROVENA_EXTRA_CA_CERTS`. A rejected server certificate (unknown issuer, wrong host
//! name, expired) fails with an [`Error::Transport`] whose message names the problem and
//! the fix, and it is not retried.
//!
//! # Design
//!
//! Every request passes through a stack of tower layers, outermost first:
//!
//! 1. **Tracing.** A `request` span at debug level (target `provena_http`) with the service,
//!    method, path, status, number of the last attempt and latency in milliseconds, and a
//!    child `attempt` span per attempt. Headers, query strings and bodies are never recorded,
//!    because they can carry tokens, presigned signatures and identifiers.
//! 2. **Overall timeout** (default 120 s) over the whole call, retries and backoff included.
//!    While an attempt runs, its own timer also stops at this deadline, so a call runs one
//!    timer at a time.
//! 3. **Retries.** Idempotent requests (GET, PUT, DELETE, and POSTs declared with
//!    [`Operation::post_safe`] or marked with [`RequestBuilder::idempotent`]) are retried
//!    after a connection error, an attempt timeout, or HTTP 429, 502, 503 or 504. A
//!    connection that failed to open is retried for any method, because the request never
//!    left. Delays use exponential backoff with full jitter; `Retry-After` (seconds or an
//!    HTTP date) takes precedence. Both are capped at [`RetryPolicy::max_backoff`]. Each
//!    retry is logged at info level with its reason and delay.
//! 4. **Bearer token.** The token from the [`TokenProvider`] (its
//!    [`cached_token`](TokenProvider::cached_token) when it has one at hand, so most requests
//!    go out without waiting) is sent only to URLs under the
//!    configured base URL of one of the seven API services. Any other URL, such as a
//!    presigned S3 URL or the issuer, never receives it. The header is marked sensitive.
//!    Provena answers 401 both for token problems and for permission problems, so only a
//!    401 whose detail is `Not authenticated` or `Could not validate credentials` makes the
//!    client refresh the token once and send the request once more. Any other 401 (missing
//!    role, another user's item, a locked item) reaches the caller as
//!    [`Error::Unauthorized`] with the server's detail.
//! 5. **Attempt timeout** (default 35 s, a little over the 30 s after which Provena's
//!    gateway cuts requests) over one attempt, body included. The connect timeout (default
//!    10 s) sits in the connector.
//! 6. **User agent.** `User-Agent: provena-rs/<version>`, plus an optional suffix.
//! 7. **Body limit.** Bodies are read into memory up to
//!    [`ConfigBuilder::max_response_bytes`] (default 64 MiB) and larger ones fail with
//!    [`Error::TooLarge`]. [`RequestBuilder::send_stream`] streams successful bodies without
//!    a limit instead.
//!
//! Redirects are never followed: a 3xx response reaches the caller as [`Error::Status`], so
//! a redirect cannot carry the token to another host.
//!
//! Provena often reports failure with HTTP 200 and `status.success = false`. The `send_json`
//! methods turn that into [`Error::Unsuccessful`] with the server's `details`. FastAPI's 422
//! bodies become [`Error::Validation`] with one [`FieldError`] per rejected field. Decoding
//! failures name the JSON path of the failing field and include a short snippet of the body
//! with token-like values redacted.
//!
//! The layers are internal: the stack is fixed so that every service crate gets the same
//! behaviour. The benchmark in `benches/client.rs` compares it with bare hyper on loopback.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod client;
mod config;
pub mod decode;
mod error;
mod middleware;
mod pool;
mod request;
mod tls;
mod token;

pub use client::{HttpClient, RequestBuilder, Response};
pub use config::{
    Config, ConfigBuilder, Endpoints, RetryPolicy, RootCertificates, Service, Timeouts,
    parse_endpoint_url,
};
pub use error::{ApiError, BoxError, Error, FieldError, TimeoutKind, display_chain};
pub use request::{Multipart, Operation, Query};
pub use token::{Anonymous, Secret, StaticToken, TokenProvider};

/// The `http` crate, whose types appear in this crate's signatures.
pub use http;
