//! An embedded Provena double for tests.
//!
//! [`ProvenaDouble::start`] serves the seven Provena API services, an OpenID Connect issuer
//! and an S3 endpoint on `127.0.0.1`, each on its own random port, with state that behaves
//! like a real deployment: items, datasets, provenance, jobs, handles and access requests.
//! Built-in [`users`] sign in through the issuer and carry the realm roles the services
//! check. [`Faults`] injects latency, error statuses, dropped connections and truncated
//! bodies for reliability tests.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use provena_http::Service;
//! use provena_http::http::StatusCode;
//! use provena_testkit::{Fault, ProvenaDouble, users};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let double = ProvenaDouble::start().await?;
//!
//! // A client with a fixed access token of the writer, pointed at the double.
//! let client = double.client(users::WRITER);
//!
//! // The next registry request fails with 503 and `Retry-After: 1`.
//! double.faults().inject(
//!     Fault::status(StatusCode::SERVICE_UNAVAILABLE)
//!         .retry_after(Duration::from_secs(1))
//!         .on(Service::Registry)
//!         .times(1),
//! );
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
//!
//! For sign-in tests, the issuer at [`ProvenaDouble::issuer`] offers the device flow with the
//! public client [`ProvenaDouble::oidc_client_id`], refresh with rotation, offline tokens
//! ([`ProvenaDouble::offline_token`]) and client credentials
//! ([`ProvenaDouble::service_account`]). Access tokens are RS256 JWTs, and the services
//! reject them with Provena's exact 401 texts once they expire or their session is revoked
//! ([`ProvenaDouble::revoke_tokens`]).
//!
//! Everything stops when the [`ProvenaDouble`] is dropped: the server tasks are aborted,
//! the ports are freed and the temporary S3 directory is removed.

// `auth` and `respond` offer a full set of role checks and response helpers to the service
// modules, and not every service needs each one.
#[allow(dead_code)]
mod auth;
mod error;
mod faults;
mod oidc;
#[allow(dead_code)]
mod respond;
mod server;
mod state;
pub mod users;

#[allow(dead_code)]
mod auth_api;
#[allow(dead_code)]
mod datastore;
#[allow(dead_code)]
mod id_service;
#[allow(dead_code)]
mod jobs;
#[allow(dead_code)]
mod prov;
#[allow(dead_code)]
mod registry;
#[allow(dead_code)]
mod s3;
#[allow(dead_code)]
mod search;

/// The raw HTTP client of the integration tests, shared with the crate's own tests.
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod wire;

pub use error::TestkitError;
pub use faults::{Fault, FaultScope, Faults};
pub use server::{DeviceApproval, DoubleBuilder, ProvenaDouble};

/// Ids of the registry items a seeded double holds for registering model runs.
pub use prov::fixture as prov_fixture;
