//! Short-lived S3 credentials and the provider that renews them during long transfers.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use object_store::CredentialProvider;
use object_store::aws::AwsCredential;
use provena_http::Secret;
use time::OffsetDateTime;
use tokio::sync::Mutex;

/// A set of S3 credentials, such as the data store hands out for one dataset.
#[derive(Clone)]
pub struct S3Credentials {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token of temporary credentials, if any.
    pub session_token: Option<Secret>,
    /// When the credentials stop working. `None` means they do not expire.
    pub expiry: Option<OffsetDateTime>,
}

impl fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// Something that issues S3 credentials on request, such as the data store's read or write
/// credential operation for one dataset.
///
/// Transfers call it when they start and again whenever the credentials they hold are about
/// to expire.
#[async_trait]
pub trait CredentialSource: fmt::Debug + Send + Sync {
    /// Issues a fresh set of credentials.
    ///
    /// # Errors
    ///
    /// Any error of the underlying request; the transfer that asked fails with it.
    async fn issue(&self) -> Result<S3Credentials, provena_http::Error>;
}

/// Fixed credentials that never change, for S3 servers that do not check expiry.
#[derive(Debug, Clone)]
pub struct StaticCredentials(pub S3Credentials);

#[async_trait]
impl CredentialSource for StaticCredentials {
    async fn issue(&self) -> Result<S3Credentials, provena_http::Error> {
        Ok(self.0.clone())
    }
}

struct Cached {
    credential: Arc<AwsCredential>,
    expiry: Option<OffsetDateTime>,
}

/// The object_store credential provider: returns the cached credentials and requests new
/// ones from the source once fewer than `renew_before` remain before they expire.
pub(crate) struct RenewingProvider {
    source: Arc<dyn CredentialSource>,
    renew_before: Duration,
    cached: Mutex<Option<Cached>>,
    issued: AtomicU64,
}

impl fmt::Debug for RenewingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewingProvider")
            .field("source", &self.source)
            .field("renew_before", &self.renew_before)
            .field("issued", &self.issued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl RenewingProvider {
    pub(crate) fn new(source: Arc<dyn CredentialSource>, renew_before: Duration) -> Self {
        Self {
            source,
            renew_before,
            cached: Mutex::new(None),
            issued: AtomicU64::new(0),
        }
    }

    /// Returns how many credential sets the source has issued so far.
    pub(crate) fn issued(&self) -> u64 {
        self.issued.load(Ordering::Relaxed)
    }

    fn still_fresh(&self, cached: &Cached) -> bool {
        match cached.expiry {
            None => true,
            Some(expiry) => OffsetDateTime::now_utc() + self.renew_before < expiry,
        }
    }
}

#[async_trait]
impl CredentialProvider for RenewingProvider {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        // One lock for check and renewal, so parallel requests wait for a single renewal
        // instead of each asking the data store.
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|current| self.still_fresh(current)) {
            return Ok(Arc::clone(&current.credential));
        }
        let issued = self
            .source
            .issue()
            .await
            .map_err(|err| object_store::Error::Generic {
                store: "S3",
                source: Box::new(err),
            })?;
        self.issued.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(expiry = ?issued.expiry, "issued new dataset S3 credentials");
        let credential = Arc::new(AwsCredential {
            key_id: issued.access_key_id,
            secret_key: issued.secret_access_key.expose().to_owned(),
            token: issued.session_token.map(|token| token.expose().to_owned()),
        });
        *cached = Some(Cached {
            credential: Arc::clone(&credential),
            expiry: issued.expiry,
        });
        Ok(credential)
    }
}
