//! The token provider: caches the access token, refreshes it once for all waiting callers,
//! and runs the grant the sign-in method needs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use openidconnect::core::{CoreClient, CoreTokenResponse};
use openidconnect::{
    ClientId, ClientSecret, OAuth2TokenResponse, RefreshToken, RequestTokenError, Scope,
    StandardErrorResponse,
};
use provena_http::{Error, HttpClient, Secret, TokenProvider};
use url::Url;

use crate::error::SignInError;
use crate::issuer::{AccessTokenClaims, Issuer};
use crate::prompt::{DeviceCodePrompt, PromptHandle};
use crate::store::{StoreKey, StoredTokens, TokenStore};

/// The assumed lifetime of an access token that has neither `exp` nor `expires_in`.
///
/// NOTE: a guess, used only when validation is off. Keycloak always sends `expires_in`.
const UNKNOWN_LIFETIME: Duration = Duration::from_secs(60);

/// The grant a session uses to get access tokens.
#[derive(Debug, Clone)]
pub(crate) enum Method {
    DeviceFlow,
    OfflineToken(Secret),
    ClientCredentials(Secret),
    Static(Secret),
}

#[derive(Debug, Clone)]
struct Current {
    token: Secret,
    expires_at: SystemTime,
    claims: Option<AccessTokenClaims>,
    generation: u64,
}

/// State guarded by the refresh lock; holding it is what makes a refresh single-flight.
#[derive(Debug, Default)]
struct RefreshState {
    refresh_token: Option<Secret>,
    store_loaded: bool,
}

#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) http: HttpClient,
    pub(crate) issuer_url: Url,
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) method: Method,
    pub(crate) refresh_window: Duration,
    pub(crate) allow_interaction: bool,
    pub(crate) store: Option<Arc<dyn TokenStore>>,
    pub(crate) prompt: PromptHandle,
    pub(crate) validate: bool,
}

/// A signed-in session: the [`TokenProvider`] that the SDK's HTTP client calls for every
/// request. Build one with [`SignIn`](crate::SignIn).
///
/// Cloning is cheap and shares the cached tokens. The access token is refreshed when it
/// expires within the refresh window, and concurrent callers wait for a single refresh request.
#[derive(Debug, Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    issuer: tokio::sync::OnceCell<Arc<Issuer>>,
    current: Mutex<Option<Current>>,
    /// Counts published tokens, so a waiter can tell whether the token changed while it
    /// waited for the refresh lock, even across a sign-out.
    generation: AtomicU64,
    refresh: tokio::sync::Mutex<RefreshState>,
}

impl Session {
    pub(crate) fn new(settings: Settings) -> Self {
        let refresh_token = match &settings.method {
            Method::OfflineToken(token) => Some(token.clone()),
            _ => None,
        };
        Self {
            inner: Arc::new(Inner {
                settings,
                issuer: tokio::sync::OnceCell::new(),
                current: Mutex::new(None),
                generation: AtomicU64::new(0),
                refresh: tokio::sync::Mutex::new(RefreshState {
                    refresh_token,
                    store_loaded: false,
                }),
            }),
        }
    }

    /// Returns this session as the provider [`HttpClient`] takes.
    pub fn into_provider(self) -> Arc<dyn TokenProvider> {
        Arc::new(self)
    }

    /// Returns the key this session's tokens are stored under.
    pub fn store_key(&self) -> StoreKey {
        StoreKey::new(
            self.inner.settings.issuer_url.as_str(),
            self.inner.settings.client_id.as_str(),
        )
    }

    /// Returns the claims of the current access token, when it was validated.
    pub fn claims(&self) -> Option<AccessTokenClaims> {
        self.current().and_then(|current| current.claims)
    }

    /// Returns the discovered issuer, discovering it on first use.
    ///
    /// # Errors
    ///
    /// As [`Issuer::discover`].
    pub async fn issuer(&self) -> Result<Arc<Issuer>, Error> {
        let settings = &self.inner.settings;
        self.inner
            .issuer
            .get_or_try_init(|| async {
                Issuer::discover(&settings.http, &settings.issuer_url)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
    }

    /// Signs in now, whatever is cached: the device flow prompts the person again, an offline
    /// token or client credentials get a new access token. Returns the new token's claims when
    /// tokens are validated.
    ///
    /// # Errors
    ///
    /// [`Error::SignIn`]. [`SignInError::find`] returns the failure kind, such as denial or
    /// expiry.
    pub async fn sign_in(&self) -> Result<Option<AccessTokenClaims>, Error> {
        let mut state = self.inner.refresh.lock().await;
        state.store_loaded = true;
        let current = match &self.inner.settings.method {
            Method::DeviceFlow => self.device_flow(&mut state).await?,
            _ => self.renew(&mut state).await?,
        };
        Ok(current.claims)
    }

    /// Signs out: revokes the device-flow refresh token at the issuer (RFC 7009), drops the
    /// cached tokens and removes the stored entry.
    ///
    /// An offline token is the caller's and is never revoked. When the issuer publishes no
    /// revocation endpoint, or revocation fails, the refresh token stays valid at the issuer
    /// until it expires. The failure is logged, and signing out locally still succeeds.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the stored entry cannot be removed.
    pub async fn sign_out(&self) -> Result<(), Error> {
        let mut state = self.inner.refresh.lock().await;
        if matches!(self.inner.settings.method, Method::DeviceFlow) {
            if !state.store_loaded {
                state.store_loaded = true;
                let _ = self.read_store(&mut state);
            }
            if let Some(refresh_token) = state.refresh_token.take() {
                self.revoke(&refresh_token).await;
            }
        }
        *self.lock_current() = None;
        if let Some(store) = &self.inner.settings.store {
            store.remove(&self.store_key())?;
        }
        tracing::info!(target: "provena_oidc", client_id = %self.inner.settings.client_id, "signed out");
        Ok(())
    }

    /// Revokes `refresh_token` at the issuer, logging instead of failing.
    async fn revoke(&self, refresh_token: &Secret) {
        let issuer = match self.issuer().await {
            Ok(issuer) => issuer,
            Err(error) => {
                tracing::warn!(target: "provena_oidc", error = %error, "refresh token not revoked");
                return;
            }
        };
        let Some(url) = issuer
            .metadata
            .additional_metadata()
            .revocation_endpoint
            .clone()
        else {
            tracing::warn!(
                target: "provena_oidc",
                "refresh token not revoked because the issuer publishes no revocation endpoint"
            );
            return;
        };
        // The request is built here rather than with openidconnect's revocation request,
        // which rejects plain-http endpoints, including a loopback issuer in tests.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", refresh_token.expose())
            .append_pair("token_type_hint", "refresh_token")
            .append_pair("client_id", &self.inner.settings.client_id)
            .finish();
        let request = http::Request::post(url.as_str())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(bytes::Bytes::from(body));
        let result = match request {
            Ok(request) => self.inner.settings.http.send_raw(request).await,
            Err(err) => {
                tracing::warn!(target: "provena_oidc", error = %err, "refresh token not revoked");
                return;
            }
        };
        match result {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(target: "provena_oidc", "refresh token revoked");
            }
            Ok(response) => tracing::warn!(
                target: "provena_oidc",
                status = response.status().as_u16(),
                "refresh token not revoked"
            ),
            Err(error) => {
                tracing::warn!(target: "provena_oidc", error = %error, "refresh token not revoked");
            }
        }
    }

    fn lock_current(&self) -> std::sync::MutexGuard<'_, Option<Current>> {
        // The cache holds plain values replaced in one assignment, so a poisoned lock still
        // holds a consistent value.
        self.inner
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn current(&self) -> Option<Current> {
        self.lock_current().clone()
    }

    fn is_fresh(&self, current: &Current) -> bool {
        let window = self.inner.settings.refresh_window;
        current
            .expires_at
            .duration_since(SystemTime::now())
            .is_ok_and(|left| left > window)
    }

    fn is_unexpired(current: &Current) -> bool {
        current.expires_at > SystemTime::now()
    }

    async fn token(&self, rejected: Option<&Secret>) -> Result<Secret, Error> {
        if let Method::Static(token) = &self.inner.settings.method {
            return match rejected {
                None => Ok(token.clone()),
                Some(_) => Err(Error::sign_in(
                    "the service rejected the static bearer token; supply a new token or use a sign-in method that can refresh",
                )),
            };
        }
        let seen = self.current();
        if rejected.is_none()
            && let Some(current) = seen.as_ref().filter(|current| self.is_fresh(current))
        {
            return Ok(current.token.clone());
        }

        let mut state = self.inner.refresh.lock().await;
        // Another caller may have renewed the token while this one waited for the lock.
        if let Some(current) = self.current() {
            let renewed_meanwhile =
                seen.as_ref().map(|seen| seen.generation) != Some(current.generation);
            let still_good = match rejected {
                Some(rejected) => current.token != *rejected && Self::is_unexpired(&current),
                None => {
                    self.is_fresh(&current) || (renewed_meanwhile && Self::is_unexpired(&current))
                }
            };
            if still_good {
                return Ok(current.token);
            }
        }
        let current = self.renew(&mut state).await?;
        Ok(current.token)
    }

    /// Gets a new access token with the session's method. The caller holds the refresh lock.
    async fn renew(&self, state: &mut RefreshState) -> Result<Current, Error> {
        let settings = &self.inner.settings;
        match &settings.method {
            // A static token is the caller's business: it is neither validated nor renewed.
            Method::Static(token) => Ok(self.publish(Current {
                token: token.clone(),
                expires_at: SystemTime::now() + UNKNOWN_LIFETIME,
                claims: None,
                generation: 0,
            })),
            Method::ClientCredentials(secret) => {
                let issuer = self.issuer().await?;
                let client = self.client(&issuer, Some(secret));
                let mut request = client
                    .exchange_client_credentials()
                    .map_err(|err| missing_endpoint(&issuer, "token", &err))?;
                for scope in &settings.scopes {
                    request = request.add_scope(Scope::new(scope.clone()));
                }
                tracing::debug!(target: "provena_oidc", client_id = %settings.client_id, "requesting a client-credentials token");
                let response = request
                    .request_async(&issuer.transport)
                    .await
                    .map_err(|err| {
                        token_error(
                            "client_credentials",
                            &settings.client_id,
                            err,
                            Rejection::Client,
                        )
                    })?;
                self.accept(state, &response).await
            }
            Method::OfflineToken(_) => {
                let Some(offline) = state.refresh_token.clone() else {
                    return Err(SignInError::OfflineTokenRejected.into());
                };
                self.refresh_with(state, &offline, Rejection::Offline).await
            }
            Method::DeviceFlow => {
                if !state.store_loaded {
                    state.store_loaded = true;
                    if let Some(current) = self.load_stored(state).await? {
                        return Ok(current);
                    }
                }
                if let Some(refresh_token) = state.refresh_token.clone() {
                    match self
                        .refresh_with(state, &refresh_token, Rejection::Refresh)
                        .await
                    {
                        Ok(current) => return Ok(current),
                        Err(error) if is_refresh_rejection(&error) => {
                            state.refresh_token = None;
                            if let Some(store) = &settings.store {
                                store.remove(&self.store_key())?;
                            }
                            if !settings.allow_interaction {
                                return Err(error);
                            }
                            tracing::info!(target: "provena_oidc", "stored sign-in rejected, starting the device flow again");
                        }
                        Err(error) => return Err(error),
                    }
                }
                if !settings.allow_interaction {
                    return Err(SignInError::InteractionRequired {
                        issuer: self.store_key().issuer,
                        client_id: settings.client_id.clone(),
                    }
                    .into());
                }
                self.device_flow(state).await
            }
        }
    }

    /// Takes the stored entry, if any; returns it as current when its access token is fresh.
    /// Takes the refresh token from the stored entry, if any, and returns the stored access
    /// token when it is fresh (and, when the session validates tokens, valid).
    async fn load_stored(&self, state: &mut RefreshState) -> Result<Option<Current>, Error> {
        let Some(mut candidate) = self.read_store(state) else {
            return Ok(None);
        };
        if self.inner.settings.validate {
            let issuer = self.issuer().await?;
            match issuer.validate(&candidate.token).await {
                Ok(claims) => {
                    candidate.expires_at = claims.expires_at;
                    candidate.claims = Some(claims);
                }
                Err(error) => {
                    tracing::debug!(
                        target: "provena_oidc",
                        error = %provena_http::display_chain(&error),
                        "ignoring the stored access token"
                    );
                    return Ok(None);
                }
            }
        }
        if !self.is_fresh(&candidate) {
            return Ok(None);
        }
        Ok(Some(self.publish(candidate)))
    }

    /// Reads the stored entry: keeps its refresh token and returns its access token.
    fn read_store(&self, state: &mut RefreshState) -> Option<Current> {
        let store = self.inner.settings.store.as_ref()?;
        let stored = store.load(&self.store_key())?;
        tracing::debug!(target: "provena_oidc", "loaded the stored sign-in");
        state.refresh_token = stored.refresh_token;
        let (Some(token), Some(expires_at)) = (stored.access_token, stored.access_token_expires_at)
        else {
            return None;
        };
        let candidate = Current {
            token,
            expires_at,
            claims: None,
            generation: 0,
        };
        Some(candidate)
    }

    async fn refresh_with(
        &self,
        state: &mut RefreshState,
        refresh_token: &Secret,
        rejection: Rejection,
    ) -> Result<Current, Error> {
        let settings = &self.inner.settings;
        let issuer = self.issuer().await?;
        let client = self.client(&issuer, None);
        let token = RefreshToken::new(refresh_token.expose().to_owned());
        tracing::debug!(target: "provena_oidc", client_id = %settings.client_id, "refreshing the access token");
        let response = client
            .exchange_refresh_token(&token)
            .map_err(|err| missing_endpoint(&issuer, "token", &err))?
            .request_async(&issuer.transport)
            .await
            .map_err(|err| token_error("refresh_token", &settings.client_id, err, rejection))?;
        self.accept(state, &response).await
    }

    async fn device_flow(&self, state: &mut RefreshState) -> Result<Current, Error> {
        let settings = &self.inner.settings;
        let issuer = self.issuer().await?;
        let Some(device_url) = issuer
            .metadata
            .additional_metadata()
            .device_authorization_endpoint
            .clone()
        else {
            return Err(SignInError::Discovery {
                issuer: issuer.url().to_owned(),
                reason: "it publishes no `device_authorization_endpoint`; enable the device flow for the client".into(),
            }
            .into());
        };

        // Ask for a device code and show it.
        let client = self
            .client(&issuer, None)
            .set_device_authorization_url(device_url);
        let mut request = client.exchange_device_code();
        for scope in &settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let details: openidconnect::core::CoreDeviceAuthorizationResponse = request
            .request_async(&issuer.transport)
            .await
            .map_err(|err| {
                token_error(
                    "device authorization",
                    &settings.client_id,
                    err,
                    Rejection::Client,
                )
            })?;
        let expires_in = details.expires_in();
        tracing::info!(
            target: "provena_oidc",
            expires_in_secs = expires_in.as_secs(),
            interval_secs = details.interval().as_secs(),
            "device code issued"
        );
        settings.prompt.0.show(&DeviceCodePrompt {
            verification_uri: details.verification_uri().to_string(),
            verification_uri_complete: details
                .verification_uri_complete()
                .map(|uri| Secret::new(uri.secret().clone())),
            user_code: Secret::new(details.user_code().secret().clone()),
            expires_in,
        });

        // Poll until the person approves or denies, or the code expires. Dropping this
        // future stops polling.
        let sleep = |interval: Duration| {
            tracing::debug!(target: "provena_oidc", interval_secs = interval.as_secs(), "waiting for approval");
            tokio::time::sleep(interval)
        };
        let response = client
            .exchange_device_access_token(&details)
            .map_err(|err| missing_endpoint(&issuer, "token", &err))?
            .request_async(&issuer.transport, sleep, None)
            .await
            .map_err(|err| match device_outcome(&err) {
                Some(DeviceOutcome::Denied) => SignInError::AccessDenied.into(),
                Some(DeviceOutcome::Expired) => SignInError::DeviceCodeExpired {
                    expires_in_secs: expires_in.as_secs(),
                }
                .into(),
                None => token_error("device_code", &settings.client_id, err, Rejection::Client),
            })?;
        tracing::info!(target: "provena_oidc", "device sign-in approved");
        self.accept(state, &response).await
    }

    fn client(
        &self,
        issuer: &Issuer,
        secret: Option<&Secret>,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        let metadata = issuer.metadata.clone();
        // The client secret goes in the form body (`client_secret_post`), which Keycloak
        // accepts for confidential clients: provena-http removes any `Authorization` header
        // from requests that do not go to an API service, so HTTP Basic would never arrive.
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.inner.settings.client_id.clone()),
            secret.map(|secret| ClientSecret::new(secret.expose().to_owned())),
        )
        .set_auth_type(openidconnect::AuthType::RequestBody)
    }

    /// Records a token response: validates the access token, keeps a rotated refresh token and
    /// stores the sign-in when the method keeps one.
    async fn accept(
        &self,
        state: &mut RefreshState,
        response: &CoreTokenResponse,
    ) -> Result<Current, Error> {
        let settings = &self.inner.settings;
        let token = Secret::new(response.access_token().secret().clone());
        if let Some(new_refresh) = response.refresh_token() {
            let new_refresh = Secret::new(new_refresh.secret().clone());
            if state.refresh_token.as_ref() != Some(&new_refresh) {
                if state.refresh_token.is_some() {
                    tracing::debug!(target: "provena_oidc", "the issuer rotated the refresh token");
                }
                state.refresh_token = Some(new_refresh);
            }
        }
        let current = self.install(token, response.expires_in()).await?;
        if matches!(settings.method, Method::DeviceFlow)
            && let Some(store) = &settings.store
        {
            let stored = StoredTokens::new(
                state.refresh_token.clone(),
                Some(current.token.clone()),
                Some(current.expires_at),
            );
            store.save(&self.store_key(), &stored)?;
        }
        Ok(current)
    }

    /// Makes `token` the current access token, validating it first when the session
    /// validates tokens; its expiry comes from `exp`, else from `expires_in`.
    async fn install(&self, token: Secret, expires_in: Option<Duration>) -> Result<Current, Error> {
        let claims = if self.inner.settings.validate {
            let issuer = self.issuer().await?;
            Some(issuer.validate(&token).await?)
        } else {
            None
        };
        let expires_at = claims
            .as_ref()
            .map(|claims| claims.expires_at)
            .unwrap_or_else(|| SystemTime::now() + expires_in.unwrap_or(UNKNOWN_LIFETIME));
        let expires_in_secs = expires_at
            .duration_since(SystemTime::now())
            .map(|left| left.as_secs())
            .unwrap_or(0);
        tracing::debug!(target: "provena_oidc", expires_in_secs, "access token renewed");
        Ok(self.publish(Current {
            token,
            expires_at,
            claims,
            generation: 0,
        }))
    }

    fn publish(&self, mut current: Current) -> Current {
        let mut slot = self.lock_current();
        current.generation = self.inner.generation.fetch_add(1, Ordering::Relaxed) + 1;
        *slot = Some(current.clone());
        current
    }
}

#[async_trait]
impl TokenProvider for Session {
    async fn access_token(&self) -> Result<Secret, Error> {
        self.token(None).await
    }

    async fn refresh(&self, rejected: &Secret) -> Result<Secret, Error> {
        self.token(Some(rejected)).await
    }

    fn cached_token(&self) -> Option<Secret> {
        if let Method::Static(token) = &self.inner.settings.method {
            return Some(token.clone());
        }
        self.current()
            .filter(|current| self.is_fresh(current))
            .map(|current| current.token)
    }
}

/// The kind of credential a rejected grant was using.
#[derive(Debug, Clone, Copy)]
enum Rejection {
    Refresh,
    Offline,
    Client,
}

enum DeviceOutcome {
    Denied,
    Expired,
}

fn error_code<T>(error: &StandardErrorResponse<T>) -> (String, String)
where
    T: openidconnect::ErrorResponseType + std::fmt::Display + 'static,
{
    let code = match serde_json::to_value(error.error()) {
        Ok(serde_json::Value::String(code)) => code,
        _ => String::from("unknown"),
    };
    let description = error.error_description().cloned().unwrap_or_default();
    (code, description)
}

fn device_outcome<T: openidconnect::ErrorResponseType + std::fmt::Display + 'static>(
    error: &RequestTokenError<Error, StandardErrorResponse<T>>,
) -> Option<DeviceOutcome> {
    let RequestTokenError::ServerResponse(response) = error else {
        return None;
    };
    match error_code(response).0.as_str() {
        "access_denied" => Some(DeviceOutcome::Denied),
        "expired_token" => Some(DeviceOutcome::Expired),
        _ => None,
    }
}

fn token_error<T: openidconnect::ErrorResponseType + std::fmt::Display + 'static>(
    grant: &'static str,
    client_id: &str,
    error: RequestTokenError<Error, StandardErrorResponse<T>>,
    rejection: Rejection,
) -> Error {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let (code, description) = error_code(&response);
            let kind = match (code.as_str(), rejection) {
                ("invalid_grant", Rejection::Refresh) => SignInError::RefreshTokenRejected {
                    client_id: client_id.to_owned(),
                },
                ("invalid_grant", Rejection::Offline) => SignInError::OfflineTokenRejected,
                ("invalid_client" | "unauthorized_client", _) => SignInError::ClientRejected {
                    client_id: client_id.to_owned(),
                    description: if description.is_empty() {
                        code
                    } else {
                        description
                    },
                },
                _ => SignInError::TokenEndpoint {
                    grant,
                    code,
                    description,
                },
            };
            tracing::debug!(target: "provena_oidc", grant, error = %kind.summary(), "token request rejected");
            kind.into()
        }
        RequestTokenError::Request(error) => error,
        RequestTokenError::Parse(error, _body) => SignInError::Protocol {
            grant,
            reason: format!("at `{}`: {}", error.path(), error.inner()),
        }
        .into(),
        RequestTokenError::Other(reason) => SignInError::Protocol { grant, reason }.into(),
    }
}

fn is_refresh_rejection(error: &Error) -> bool {
    matches!(
        SignInError::find(error),
        Some(SignInError::RefreshTokenRejected { .. })
    )
}

fn missing_endpoint(
    issuer: &Issuer,
    endpoint: &str,
    error: &openidconnect::ConfigurationError,
) -> Error {
    SignInError::Discovery {
        issuer: issuer.url().to_owned(),
        reason: format!("it publishes no {endpoint} endpoint ({error})"),
    }
    .into()
}
