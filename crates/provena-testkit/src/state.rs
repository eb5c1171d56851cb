//! The shared state of one running double.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use provena_http::Endpoints;
use url::Url;

use crate::auth_api::AuthApiStore;
use crate::datastore::DatastoreStore;
use crate::id_service::HandleStore;
use crate::jobs::JobStore;
use crate::oidc::{OidcStore, SigningKeys};
use crate::prov::ProvStore;
use crate::registry::RegistryStore;
use crate::server::DeviceApproval;

/// Settings fixed when the double starts.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) access_token_lifetime: Duration,
    pub(crate) refresh_token_lifetime: Duration,
    pub(crate) device_approval: DeviceApproval,
    /// How long a device code stays valid.
    pub(crate) device_code_lifetime: Duration,
    /// The minimum polling interval the device authorization response advertises.
    pub(crate) device_poll_interval: Duration,
    /// The directory under which the S3 endpoint keeps its buckets.
    pub(crate) data_dir: PathBuf,
}

/// The state every handler of the double shares. Cloning is cheap.
///
/// Each service has its own store behind its own mutex. Lock order: a handler must never
/// hold two store guards at once. Copy what you need out of one store, drop the guard (end
/// the statement or block), then lock the next. `std::sync::Mutex` guards must also never
/// be held across an `.await`.
#[derive(Clone)]
pub(crate) struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Mutex<RegistryStore>,
    datastore: Mutex<DatastoreStore>,
    prov: Mutex<ProvStore>,
    jobs: Mutex<JobStore>,
    handles: Mutex<HandleStore>,
    auth_api: Mutex<AuthApiStore>,
    oidc: Mutex<OidcStore>,
    keys: Arc<SigningKeys>,
    settings: Settings,
    endpoints: Endpoints,
    s3_endpoint: Url,
}

/// Locks a mutex, recovering the data when a panicking handler poisoned it: a test double
/// should keep serving the other tests rather than fail every later request.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    pub(crate) fn new(
        keys: Arc<SigningKeys>,
        settings: Settings,
        endpoints: Endpoints,
        s3_endpoint: Url,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry: Mutex::default(),
                datastore: Mutex::default(),
                prov: Mutex::default(),
                jobs: Mutex::default(),
                handles: Mutex::default(),
                auth_api: Mutex::default(),
                oidc: Mutex::default(),
                keys,
                settings,
                endpoints,
                s3_endpoint,
            }),
        }
    }

    /// Locks the registry store.
    pub(crate) fn registry(&self) -> MutexGuard<'_, RegistryStore> {
        lock(&self.inner.registry)
    }

    /// Locks the datastore store.
    pub(crate) fn datastore(&self) -> MutexGuard<'_, DatastoreStore> {
        lock(&self.inner.datastore)
    }

    /// Locks the provenance store.
    pub(crate) fn prov(&self) -> MutexGuard<'_, ProvStore> {
        lock(&self.inner.prov)
    }

    /// Locks the jobs store.
    pub(crate) fn jobs(&self) -> MutexGuard<'_, JobStore> {
        lock(&self.inner.jobs)
    }

    /// Locks the handle store of the id-service.
    pub(crate) fn handles(&self) -> MutexGuard<'_, HandleStore> {
        lock(&self.inner.handles)
    }

    /// Locks the auth API store.
    pub(crate) fn auth_api(&self) -> MutexGuard<'_, AuthApiStore> {
        lock(&self.inner.auth_api)
    }

    /// Locks the issuer's store of sessions, device codes and refresh tokens.
    pub(crate) fn oidc(&self) -> MutexGuard<'_, OidcStore> {
        lock(&self.inner.oidc)
    }

    /// Returns the issuer's signing keys.
    pub(crate) fn keys(&self) -> &SigningKeys {
        &self.inner.keys
    }

    /// Returns the settings fixed at start.
    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Returns the base URLs of every service and of the issuer.
    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// Returns the issuer URL, `http://127.0.0.1:PORT/auth/realms/provena`.
    pub(crate) fn issuer(&self) -> &Url {
        self.inner.endpoints.issuer()
    }

    /// Returns the base URL of the S3 endpoint.
    pub(crate) fn s3_endpoint(&self) -> &Url {
        &self.inner.s3_endpoint
    }

    /// Returns the directory under which the S3 endpoint keeps its buckets.
    pub(crate) fn data_dir(&self) -> &Path {
        &self.inner.settings.data_dir
    }

    /// Returns the current time in whole seconds since the Unix epoch, the unit Provena
    /// uses for every timestamp.
    pub(crate) fn now(&self) -> i64 {
        now()
    }
}

/// Returns the current time in whole seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
