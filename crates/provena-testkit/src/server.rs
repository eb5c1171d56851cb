//! Starting, serving and stopping the double.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use provena_http::{Config, Endpoints, HttpClient, RetryPolicy, Secret, Service, StaticToken};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;
use url::Url;

use crate::error::TestkitError;
use crate::faults::{Action, FaultScope, Faults};
use crate::oidc::{self, SigningKeys};
use crate::respond::{self, ApiError};
use crate::state::{AppState, Settings};
use crate::users;
use crate::{auth_api, datastore, id_service, jobs, prov, registry, s3, search};

/// The issuer's policy for settling device authorizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceApproval {
    /// Approve every device authorization at once for this built-in user.
    Auto(&'static str),
    /// Leave device authorizations pending until the test calls
    /// [`ProvenaDouble::approve_device`] or [`ProvenaDouble::deny_device`].
    Manual,
}

/// Settings for a [`ProvenaDouble`], which [`DoubleBuilder::start`] starts.
#[derive(Debug, Clone)]
pub struct DoubleBuilder {
    seed: bool,
    access_token_lifetime: Duration,
    refresh_token_lifetime: Duration,
    device_approval: DeviceApproval,
    device_code_lifetime: Duration,
    device_poll_interval: Duration,
    data_dir: Option<PathBuf>,
}

impl Default for DoubleBuilder {
    fn default() -> Self {
        Self {
            seed: true,
            access_token_lifetime: Duration::from_secs(300),
            refresh_token_lifetime: Duration::from_secs(1800),
            device_approval: DeviceApproval::Auto(users::WRITER),
            device_code_lifetime: oidc::DEFAULT_DEVICE_CODE_LIFETIME,
            device_poll_interval: Duration::from_secs(1),
            data_dir: None,
        }
    }
}

impl DoubleBuilder {
    /// Fills the registry with example organisations, people, models, datasets and model
    /// runs (default `true`).
    pub fn seed(mut self, seed: bool) -> Self {
        self.seed = seed;
        self
    }

    /// Sets how long access tokens stay valid (default 300 s, as in Keycloak). Whole
    /// seconds count, because the `exp` claim is in seconds.
    pub fn access_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.access_token_lifetime = lifetime;
        self
    }

    /// Sets how long refresh tokens stay valid (default 1800 s). Offline tokens do not
    /// expire.
    pub fn refresh_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_token_lifetime = lifetime;
        self
    }

    /// Chooses how device authorizations are settled (default: approved at once for
    /// [`users::WRITER`]).
    pub fn device_flow(mut self, approval: DeviceApproval) -> Self {
        self.device_approval = approval;
        self
    }

    /// Sets how long a device code stays valid (default 600 s).
    pub fn device_code_lifetime(mut self, lifetime: Duration) -> Self {
        self.device_code_lifetime = lifetime;
        self
    }

    /// Sets the polling interval the device authorization response advertises, in whole
    /// seconds (default 1 s). Polling sooner than this gets `slow_down`, and zero turns
    /// that check off.
    pub fn device_poll_interval(mut self, interval: Duration) -> Self {
        self.device_poll_interval = interval;
        self
    }

    /// Keeps S3 files under `path` instead of a temporary directory removed on drop.
    pub fn data_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(path.into());
        self
    }

    /// Binds every listener on 127.0.0.1, seeds the state and starts serving.
    ///
    /// # Errors
    ///
    /// [`TestkitError`] when a listener cannot be bound, the signing key cannot be made,
    /// the data directory cannot be created, or the auto-approve user is not a built-in
    /// user.
    pub async fn start(self) -> Result<ProvenaDouble, TestkitError> {
        if let DeviceApproval::Auto(user) = &self.device_approval
            && users::find(user).is_none()
        {
            return Err(TestkitError::UnknownUser((*user).to_owned()));
        }

        let keys = tokio::task::spawn_blocking(SigningKeys::shared)
            .await
            .map_err(|error| TestkitError::SigningKey(error.to_string()))??;

        let (temp_dir, data_dir) = match self.data_dir {
            Some(path) => {
                std::fs::create_dir_all(&path).map_err(|source| TestkitError::DataDir {
                    path: path.display().to_string(),
                    source,
                })?;
                (None, path)
            }
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("provena-double-")
                    .tempdir()
                    .map_err(|source| TestkitError::DataDir {
                        path: std::env::temp_dir().display().to_string(),
                        source,
                    })?;
                let path = dir.path().to_path_buf();
                (Some(dir), path)
            }
        };

        let mut bound = Vec::new();
        for target in TARGETS {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .map_err(|source| TestkitError::Bind {
                    target: target.name(),
                    source,
                })?;
            let address = listener.local_addr().map_err(|source| TestkitError::Bind {
                target: target.name(),
                source,
            })?;
            bound.push((*target, listener, address));
        }

        let base = |address: SocketAddr| format!("http://{address}");
        let mut endpoints = Endpoints::single_base(&base(bound[0].2))?;
        let mut s3_endpoint = None;
        for (target, _, address) in &bound {
            match target {
                Target::Api(service) => endpoints.set(*service, &base(*address))?,
                Target::Issuer => endpoints.set(
                    Service::Issuer,
                    &format!("{}{}", base(*address), oidc::ISSUER_PATH),
                )?,
                Target::S3 => {
                    s3_endpoint = Url::parse(&base(*address)).ok();
                }
            }
        }
        let s3_endpoint = s3_endpoint.ok_or_else(|| TestkitError::Bind {
            target: "s3",
            source: std::io::Error::other("no S3 listener address"),
        })?;

        let faults = Faults::default();
        let settings = Settings {
            access_token_lifetime: self.access_token_lifetime,
            refresh_token_lifetime: self.refresh_token_lifetime,
            device_approval: self.device_approval,
            device_code_lifetime: self.device_code_lifetime,
            device_poll_interval: self.device_poll_interval,
            data_dir,
        };
        let state = AppState::new(keys, settings, endpoints.clone(), s3_endpoint.clone());

        if self.seed {
            registry::seed(&state);
            prov::seed(&state);
        }

        let mut tasks = Vec::new();
        for (target, listener, _) in bound {
            let router = finish(target.router(state.clone()));
            tasks.push(tokio::spawn(serve(
                listener,
                router,
                faults.clone(),
                target.scope(),
            )));
        }

        tracing::debug!(?endpoints, %s3_endpoint, "the Provena double is serving");
        Ok(ProvenaDouble {
            state,
            endpoints,
            s3_endpoint,
            faults,
            tasks,
            _temp_dir: temp_dir,
        })
    }
}

/// One listener of the double.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Api(Service),
    Issuer,
    S3,
}

const TARGETS: &[Target] = &[
    Target::Api(Service::Registry),
    Target::Api(Service::Datastore),
    Target::Api(Service::Prov),
    Target::Api(Service::Search),
    Target::Api(Service::Jobs),
    Target::Api(Service::IdService),
    Target::Api(Service::Auth),
    Target::Issuer,
    Target::S3,
];

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Api(service) => service.name(),
            Target::Issuer => "issuer",
            Target::S3 => "s3",
        }
    }

    fn scope(self) -> FaultScope {
        match self {
            Target::Api(service) => FaultScope::Service(service),
            Target::Issuer => FaultScope::Service(Service::Issuer),
            Target::S3 => FaultScope::S3,
        }
    }

    fn router(self, state: AppState) -> Router {
        match self {
            Target::Api(Service::Registry) => registry::router(state),
            Target::Api(Service::Datastore) => datastore::router(state),
            Target::Api(Service::Prov) => prov::router(state),
            Target::Api(Service::Search) => search::router(state),
            Target::Api(Service::Jobs) => jobs::router(state),
            Target::Api(Service::IdService) => id_service::router(state),
            Target::Api(Service::Auth) => auth_api::router(state),
            Target::Issuer => oidc::router(state),
            // `Service` is non-exhaustive, but TARGETS lists only the seven API services.
            Target::Api(_) => Router::new(),
            Target::S3 => s3::router(state),
        }
    }
}

/// Adds FastAPI's responses for unknown paths and wrong methods.
///
/// NOTE: FastAPI redirects a path with an extra trailing slash to the declared route (307);
/// the double returns 404 for such paths.
fn finish(router: Router) -> Router {
    router
        .fallback(respond::not_found)
        .method_not_allowed_fallback(respond::method_not_allowed)
}

/// The error a listener returns to hyper to close a connection without a response.
#[derive(Debug)]
struct DroppedByFault;

impl std::fmt::Display for DroppedByFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedByFault {}

/// Accepts connections until the task is aborted. Connection tasks live in a `JoinSet`
/// owned by this future, so aborting it also closes every open connection.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    faults: Faults,
    scope: FaultScope,
) {
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Errors such as running out of file descriptors persist for a while,
                    // so pause instead of spinning.
                    tracing::warn!(%error, "the double failed to accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let router = router.clone();
        let faults = faults.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                handle(router.clone(), faults.clone(), scope, request)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection to the double ended with an error");
            }
        });
    }
}

type Handled = Pin<Box<dyn Future<Output = Result<Response, DroppedByFault>> + Send>>;

fn handle(
    router: Router,
    faults: Faults,
    scope: FaultScope,
    request: hyper::Request<Incoming>,
) -> Handled {
    Box::pin(async move {
        let plan = faults.plan(scope);
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let request = request.map(Body::new);
        match plan.action {
            None => Ok(call(router, request).await),
            Some(Action::DropConnection) => Err(DroppedByFault),
            Some(Action::Status {
                status,
                retry_after,
            }) => {
                let mut error = ApiError::new(
                    status,
                    format!("Injected fault: the double returned {status}"),
                );
                if let Some(delay) = retry_after {
                    let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
                    error = error.retry_after(seconds);
                }
                Ok(error.into_response())
            }
            Some(Action::TruncateBody) => Ok(truncate(call(router, request).await).await),
        }
    })
}

async fn call(router: Router, request: hyper::Request<Body>) -> Response {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Sends the headers with the full `Content-Length`, then half the body, then fails the
/// body so that hyper closes the connection mid-message.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    parts.headers.insert(
        axum::http::header::CONTENT_LENGTH,
        axum::http::HeaderValue::from(bytes.len()),
    );
    let half = bytes.slice(..bytes.len() / 2);
    let first = futures::stream::iter([Ok::<Bytes, std::io::Error>(half)]);
    // Yielding once lets hyper flush the head and the first half before the error, which
    // otherwise discards the unsent buffer.
    let failure = futures::stream::once(async {
        tokio::task::yield_now().await;
        Err(std::io::Error::other("body truncated by an injected fault"))
    });
    Response::from_parts(parts, Body::from_stream(first.chain(failure)))
}

/// A running Provena double. Dropping it stops every listener.
pub struct ProvenaDouble {
    state: AppState,
    endpoints: Endpoints,
    s3_endpoint: Url,
    faults: Faults,
    tasks: Vec<JoinHandle<()>>,
    _temp_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for ProvenaDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvenaDouble")
            .field("endpoints", &self.endpoints)
            .field("s3_endpoint", &self.s3_endpoint)
            .finish_non_exhaustive()
    }
}

impl ProvenaDouble {
    /// Starts a seeded double with the default settings; see [`DoubleBuilder`].
    ///
    /// # Errors
    ///
    /// As [`DoubleBuilder::start`].
    pub async fn start() -> Result<Self, TestkitError> {
        Self::builder().start().await
    }

    /// Starts a builder for a double with custom settings.
    pub fn builder() -> DoubleBuilder {
        DoubleBuilder::default()
    }

    /// Returns the shared state, for the test-support methods other modules add.
    pub(crate) fn state(&self) -> &AppState {
        &self.state
    }

    /// Returns the base URL of each service, each on its own port, and the issuer.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Returns a client configuration for this double: its endpoints, short timeouts and
    /// quick retries.
    pub fn config(&self) -> Config {
        let built = Config::builder()
            .single_base(self.s3_endpoint.as_str())
            .endpoints(&self.endpoints)
            .connect_timeout(Duration::from_secs(2))
            .attempt_timeout(Duration::from_secs(10))
            .overall_timeout(Duration::from_secs(30))
            .retry(RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_secs(2),
            })
            .build();
        match built {
            Ok(config) => config,
            // Every URL is http on 127.0.0.1, which the builder accepts.
            Err(error) => unreachable!("the double's own endpoints were rejected: {error}"),
        }
    }

    /// Returns the issuer URL, `http://127.0.0.1:PORT/auth/realms/provena`.
    pub fn issuer(&self) -> Url {
        self.endpoints.issuer().clone()
    }

    /// Returns the base URL of the S3 endpoint (path-style addressing).
    pub fn s3_endpoint(&self) -> Url {
        self.s3_endpoint.clone()
    }

    /// Mints a fresh access token for a built-in user, in a new session.
    ///
    /// # Panics
    ///
    /// When `user` is not one of [`users::ADMIN`], [`users::WRITER`] or [`users::READER`].
    pub fn access_token(&self, user: &str) -> Secret {
        let built_in = built_in_user(user);
        match oidc::token_for_user(&self.state, built_in) {
            Ok(token) => Secret::new(token),
            Err(error) => panic!("failed to sign an access token for `{user}`: {error}"),
        }
    }

    /// Mints an access token for a built-in user that expired a minute ago, signed like any
    /// other: services reject it with `Could not validate credentials`, which lets a test
    /// exercise refresh-on-401 without waiting.
    ///
    /// # Panics
    ///
    /// When `user` is not a built-in user.
    pub fn expired_access_token(&self, user: &str) -> Secret {
        let built_in = built_in_user(user);
        match oidc::expired_token_for_user(&self.state, built_in) {
            Ok(token) => Secret::new(token),
            Err(error) => panic!("failed to sign an access token for `{user}`: {error}"),
        }
    }

    /// Builds a client that sends a fixed access token of `user`.
    ///
    /// # Panics
    ///
    /// When `user` is not a built-in user.
    pub fn client(&self, user: &str) -> HttpClient {
        let token = self.access_token(user);
        match HttpClient::new(self.config(), Arc::new(StaticToken::new(token))) {
            Ok(client) => client,
            Err(error) => panic!("failed to build a client for the double: {error}"),
        }
    }

    /// Opens an offline session for `user` and returns its offline token, a refresh token
    /// that does not expire and can be exchanged any number of times.
    ///
    /// # Panics
    ///
    /// When `user` is not a built-in user.
    pub fn offline_token(&self, user: &str) -> Secret {
        Secret::new(oidc::offline_token_for_user(
            &self.state,
            built_in_user(user),
        ))
    }

    /// Returns the id of the public client for the device flow and refresh.
    pub fn oidc_client_id(&self) -> &str {
        oidc::PUBLIC_CLIENT_ID
    }

    /// Returns the id and secret of the confidential client whose service account signs in
    /// with the client-credentials grant.
    pub fn service_account(&self) -> (String, Secret) {
        (
            oidc::SERVICE_CLIENT_ID.to_owned(),
            Secret::new(oidc::service_client_secret(&self.state)),
        )
    }

    /// Approves the pending device authorization with `user_code` for `user`.
    ///
    /// # Errors
    ///
    /// A message naming the code when no pending authorization has it, or naming the user
    /// when it is not built in.
    pub fn approve_device(&self, user_code: &str, user: &str) -> Result<(), TestkitError> {
        if users::find(user).is_none() {
            return Err(TestkitError::UnknownUser(user.to_owned()));
        }
        self.state
            .oidc()
            .approve_device(user_code, user)
            .map_err(TestkitError::DeviceCode)
    }

    /// Denies the pending device authorization with `user_code`.
    ///
    /// # Errors
    ///
    /// A message naming the code when no pending authorization has it.
    pub fn deny_device(&self, user_code: &str) -> Result<(), TestkitError> {
        self.state
            .oidc()
            .deny_device(user_code)
            .map_err(TestkitError::DeviceCode)
    }

    /// Revokes every session of `user`: their access, refresh and offline tokens issued so
    /// far are rejected from now on. Returns how many sessions were active.
    pub fn revoke_tokens(&self, user: &str) -> usize {
        self.state.oidc().revoke_user(user)
    }

    /// Returns the fault table, to inject latency, errors and broken connections.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Stops every listener and waits until their ports are closed.
    pub async fn shutdown(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for ProvenaDouble {
    fn drop(&mut self) {
        tracing::debug!(issuer = %self.endpoints.issuer(), "the Provena double is stopping");
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn built_in_user(user: &str) -> &'static users::BuiltInUser {
    match users::find(user) {
        Some(found) => found,
        None => panic!(
            "`{user}` is not a built-in user of the double; use users::ADMIN, users::WRITER or users::READER"
        ),
    }
}

// Used by the datastore tests, which need S3 credentials that expire during a transfer.
impl ProvenaDouble {
    /// Sets how long the S3 credentials the datastore issues from now on stay valid
    /// (default 1 hour). The S3 endpoint rejects a set once it has expired.
    pub fn set_s3_credential_lifetime(&self, lifetime: Duration) {
        self.state.datastore().set_credential_lifetime(lifetime);
    }
}
