//! The Rust SDK for [Provena](https://github.com/provena/provena), CSIRO's open provenance
//! system.
//!
//! One [`Provena`] client reaches every service of a deployment. The registry keeps people,
//! organisations, models, datasets, templates and activities. The data store mints datasets
//! and hands out S3 credentials for their files. The provenance graph answers lineage
//! queries. Search, asynchronous jobs, the handle service and the auth API (groups, access
//! requests and user links) complete the set. It signs in through the deployment's Keycloak realm and
//! keeps the access token fresh on its own.
//!
//! ```no_run
//! use provena::Provena;
//!
//! # async fn run() -> Result<(), provena::Error> {
//! let provena = Provena::builder()
//!     .domain("provena.example.org")
//!     .realm("provena")
//!     .offline_token_file("/run/secrets/provena-offline-token")
//!     .build()?;
//! let dataset = provena.registry().datasets().fetch("10378.1/1690000").await?;
//! # let _ = dataset;
//! # Ok(())
//! # }
//! ```
//!
//! [`Provena::from_env`] reads the same settings from `PROVENA_*` environment variables.
//!
//! # Features
//!
//! Every service has its own feature; all are on by default. Turn off default features and
//! pick the services you use to build less.
//!
//! - `registry`: [`registry`], the entity registry.
//! - `datastore`: [`datastore`], minting datasets and their metadata.
//! - `files`: dataset file transfers over S3 in [`datastore`]; implies `datastore`.
//! - `prov`: [`prov`], model runs and lineage; implies `jobs`.
//! - `search`: [`search`], search over registry items.
//! - `jobs`: [`jobs`], asynchronous jobs.
//! - `id-service`: [`handles`], the handle service.
//! - `auth-api`: [`auth`], groups, access requests and user links.
//! - `sign-in`: [`oidc`], the device flow, offline tokens and client credentials. Without
//!   it, pass a token yourself with [`ProvenaBuilder::static_token`] or
//!   [`ProvenaBuilder::token_provider`].
//! - `open-browser` (off by default): the device flow also opens its verification page in
//!   the default browser; implies `sign-in`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

use std::sync::Arc;

pub use provena_http::{
    Config, ConfigBuilder, Endpoints, Error, HttpClient, RetryPolicy, Secret, Service, Timeouts,
    TokenProvider,
};

/// The HTTP layer: configuration, errors and the shared client.
pub use provena_http as http;
/// Request and response types of every service.
pub use provena_models as models;

/// The auth API: groups, access requests and user-to-person links.
#[cfg(feature = "auth-api")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth-api")))]
pub use provena_auth as auth;
/// The data store: datasets, their metadata and their files.
#[cfg(feature = "datastore")]
#[cfg_attr(docsrs, doc(cfg(feature = "datastore")))]
pub use provena_datastore as datastore;
/// The handle service: persistent identifiers.
#[cfg(feature = "id-service")]
#[cfg_attr(docsrs, doc(cfg(feature = "id-service")))]
pub use provena_id_service as handles;
/// Asynchronous jobs.
#[cfg(feature = "jobs")]
#[cfg_attr(docsrs, doc(cfg(feature = "jobs")))]
pub use provena_jobs as jobs;
/// Sign-in through Keycloak.
#[cfg(feature = "sign-in")]
#[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
pub use provena_oidc as oidc;
/// The provenance graph: model runs, lineage, bulk CSV and reports.
#[cfg(feature = "prov")]
#[cfg_attr(docsrs, doc(cfg(feature = "prov")))]
pub use provena_prov as prov;
/// The entity registry.
#[cfg(feature = "registry")]
#[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
pub use provena_registry as registry;
/// Search over registry items.
#[cfg(feature = "search")]
#[cfg_attr(docsrs, doc(cfg(feature = "search")))]
pub use provena_search as search;

/// A client for one Provena deployment.
///
/// Cloning is cheap: clones share the connection pool and the signed-in session. The
/// service accessors (`registry()`, `datastore()`, ...) are cheap too, so call them where
/// you need them instead of storing their results.
#[derive(Clone, Debug)]
pub struct Provena {
    http: HttpClient,
    #[cfg_attr(not(feature = "datastore"), allow(dead_code))]
    s3_endpoint: Option<url::Url>,
    #[cfg(feature = "sign-in")]
    session: Option<oidc::Session>,
}

impl Provena {
    /// Starts a builder.
    pub fn builder() -> ProvenaBuilder {
        ProvenaBuilder::default()
    }

    /// Builds a client from `PROVENA_*` environment variables.
    ///
    /// The deployment comes from `PROVENA_DOMAIN` and `PROVENA_REALM` (or the per-service URL
    /// overrides such as `PROVENA_REGISTRY_URL`; see [`Config::from_env`]). The sign-in
    /// method is the first of these that is set: `PROVENA_TOKEN` (a static bearer token),
    /// `PROVENA_OFFLINE_TOKEN`, `PROVENA_OFFLINE_TOKEN_FILE`, or `PROVENA_CLIENT_SECRET`
    /// (client credentials for the client `PROVENA_CLIENT_ID`). With none of them set, the
    /// device flow signs in.
    /// `PROVENA_CLIENT_ID` also sets the client of the other methods, and `PROVENA_S3_ENDPOINT`
    /// the S3 endpoint for dataset files.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the variable that is missing or invalid.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder().env(|name| std::env::var(name).ok()).build()
    }

    /// Returns the shared HTTP client, for operations the service clients do not wrap.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Returns the sign-in session, when the client signs in through Keycloak (not with a
    /// static token or your own provider). Use it to sign in ahead of the first request,
    /// read the signed-in user's claims, or sign out.
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn session(&self) -> Option<&oidc::Session> {
        self.session.as_ref()
    }

    /// Returns the deployment's endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        self.http.config().endpoints()
    }

    /// Returns a client for the registry.
    #[cfg(feature = "registry")]
    #[cfg_attr(docsrs, doc(cfg(feature = "registry")))]
    pub fn registry(&self) -> registry::RegistryClient {
        registry::RegistryClient::new(self.http.clone())
    }

    /// Returns a client for the data store.
    #[cfg(feature = "datastore")]
    #[cfg_attr(docsrs, doc(cfg(feature = "datastore")))]
    pub fn datastore(&self) -> datastore::DatastoreClient {
        let client = datastore::DatastoreClient::new(self.http.clone());
        match &self.s3_endpoint {
            Some(endpoint) => client.with_s3_endpoint(endpoint.clone()),
            None => client,
        }
    }

    /// Returns a client for the provenance graph.
    #[cfg(feature = "prov")]
    #[cfg_attr(docsrs, doc(cfg(feature = "prov")))]
    pub fn prov(&self) -> prov::ProvClient {
        prov::ProvClient::new(self.http.clone())
    }

    /// Returns a client for search.
    #[cfg(feature = "search")]
    #[cfg_attr(docsrs, doc(cfg(feature = "search")))]
    pub fn search(&self) -> search::SearchClient {
        search::SearchClient::new(self.http.clone())
    }

    /// Returns a client for asynchronous jobs.
    #[cfg(feature = "jobs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jobs")))]
    pub fn jobs(&self) -> jobs::JobsClient {
        jobs::JobsClient::new(self.http.clone())
    }

    /// Returns a client for the handle service.
    #[cfg(feature = "id-service")]
    #[cfg_attr(docsrs, doc(cfg(feature = "id-service")))]
    pub fn handles(&self) -> handles::HandleClient {
        handles::HandleClient::new(self.http.clone())
    }

    /// Returns a client for the auth API.
    #[cfg(feature = "auth-api")]
    #[cfg_attr(docsrs, doc(cfg(feature = "auth-api")))]
    pub fn auth(&self) -> auth::AuthClient {
        auth::AuthClient::new(self.http.clone())
    }
}

/// The source of the client's bearer tokens.
#[derive(Debug, Clone)]
enum SignInMethod {
    /// Not chosen yet; `build` fails with advice.
    Unset,
    Static(Secret),
    Provider(Arc<dyn TokenProvider>),
    #[cfg(feature = "sign-in")]
    DeviceFlow,
    #[cfg(feature = "sign-in")]
    OfflineToken(Secret),
    #[cfg(feature = "sign-in")]
    OfflineTokenFile(std::path::PathBuf),
    #[cfg(feature = "sign-in")]
    OfflineTokenEnv(String),
    #[cfg(feature = "sign-in")]
    ClientCredentials(Secret),
}

/// Builder for [`Provena`]: the deployment, the sign-in method and HTTP options.
pub struct ProvenaBuilder {
    config: ConfigBuilder,
    s3_endpoint: Option<String>,
    method: SignInMethod,
    client_id: Option<String>,
    #[cfg(feature = "sign-in")]
    customize_sign_in: Vec<SignInHook>,
    env_error: Option<Error>,
}

#[cfg(feature = "sign-in")]
type SignInHook = Box<dyn FnOnce(oidc::SignIn) -> oidc::SignIn + Send>;

impl std::fmt::Debug for ProvenaBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvenaBuilder")
            .field("config", &self.config)
            .field("method", &self.method)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Default for ProvenaBuilder {
    fn default() -> Self {
        Self {
            config: Config::builder(),
            s3_endpoint: None,
            method: SignInMethod::Unset,
            client_id: None,
            #[cfg(feature = "sign-in")]
            customize_sign_in: Vec::new(),
            env_error: None,
        }
    }
}

impl ProvenaBuilder {
    /// Sets the deployment's domain, such as `provena.example.org`. Every service URL and the
    /// issuer are derived from it the way Provena deploys them.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.config = self.config.domain(domain);
        self
    }

    /// Sets the Keycloak realm, such as `provena`.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.config = self.config.realm(realm);
        self
    }

    /// Overrides the base URL of one service or of the issuer.
    pub fn endpoint(mut self, service: Service, url: impl Into<String>) -> Self {
        self.config = self.config.endpoint(service, url);
        self
    }

    /// Uses these endpoints for every service and the issuer.
    pub fn endpoints(mut self, endpoints: &Endpoints) -> Self {
        self.config = self.config.endpoints(endpoints);
        self
    }

    /// Sets the S3 endpoint that dataset files are read from and written to, such as
    /// `https://s3.ap-southeast-2.amazonaws.com`.
    pub fn s3_endpoint(mut self, url: impl Into<String>) -> Self {
        self.s3_endpoint = Some(url.into());
        self
    }

    /// Changes HTTP settings: timeouts, retries, response size limit, user agent and so on.
    pub fn http(mut self, configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Self {
        self.config = configure(self.config);
        self
    }

    /// Sets the OpenID client id (default: the client Provena's tools use,
    /// [`oidc::DEFAULT_CLIENT_ID`] with the `sign-in` feature).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Sends this bearer token with every request. It cannot be refreshed.
    pub fn static_token(mut self, token: impl Into<Secret>) -> Self {
        self.method = SignInMethod::Static(token.into());
        self
    }

    /// Gets tokens from your own provider.
    pub fn token_provider(mut self, provider: Arc<dyn TokenProvider>) -> Self {
        self.method = SignInMethod::Provider(provider);
        self
    }

    /// Signs in a person at a terminal with the OAuth device flow: the verification link and
    /// code are shown on standard error, and the tokens are kept in the user's token store
    /// so the next run does not ask again.
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn device_flow(mut self) -> Self {
        self.method = SignInMethod::DeviceFlow;
        self
    }

    /// Runs unattended with an offline token. The token is never written anywhere.
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn offline_token(mut self, token: impl Into<Secret>) -> Self {
        self.method = SignInMethod::OfflineToken(token.into());
        self
    }

    /// Runs unattended with an offline token read from a file.
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn offline_token_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.method = SignInMethod::OfflineTokenFile(path.into());
        self
    }

    /// Runs unattended with an offline token read from an environment variable.
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn offline_token_env(mut self, name: impl Into<String>) -> Self {
        self.method = SignInMethod::OfflineTokenEnv(name.into());
        self
    }

    /// Signs in as a Keycloak service account with the client credentials grant. Set the
    /// account's client id with [`client_id`](Self::client_id).
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn client_credentials(mut self, client_secret: impl Into<Secret>) -> Self {
        self.method = SignInMethod::ClientCredentials(client_secret.into());
        self
    }

    /// Adjusts the sign-in before it is built: token store, device prompt, refresh window,
    /// scopes and so on.
    #[cfg(feature = "sign-in")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sign-in")))]
    pub fn sign_in(
        mut self,
        customize: impl FnOnce(oidc::SignIn) -> oidc::SignIn + Send + 'static,
    ) -> Self {
        self.customize_sign_in.push(Box::new(customize));
        self
    }

    /// Reads settings through `lookup`, which maps an environment variable name to its
    /// value; see [`Provena::from_env`] for the variables. Settings made in code before this
    /// call win over the environment for the deployment and the sign-in method.
    pub fn env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let read = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        self.config = self.config.env(&lookup);
        if self.client_id.is_none() {
            self.client_id = read("PROVENA_CLIENT_ID");
        }
        if self.s3_endpoint.is_none() {
            self.s3_endpoint = read("PROVENA_S3_ENDPOINT");
        }
        if !matches!(self.method, SignInMethod::Unset) {
            return self;
        }
        if let Some(token) = read("PROVENA_TOKEN") {
            self.method = SignInMethod::Static(Secret::new(token));
            return self;
        }
        #[cfg(feature = "sign-in")]
        {
            if let Some(token) = read("PROVENA_OFFLINE_TOKEN") {
                self.method = SignInMethod::OfflineToken(Secret::new(token));
            } else if let Some(path) = read("PROVENA_OFFLINE_TOKEN_FILE") {
                self.method = SignInMethod::OfflineTokenFile(path.into());
            } else if let Some(secret) = read("PROVENA_CLIENT_SECRET") {
                if self.client_id.is_none() {
                    self.env_error = Some(Error::config(
                        "PROVENA_CLIENT_ID",
                        "",
                        "set the service account's client id beside PROVENA_CLIENT_SECRET",
                    ));
                }
                self.method = SignInMethod::ClientCredentials(Secret::new(secret));
            } else {
                self.method = SignInMethod::DeviceFlow;
            }
        }
        self
    }

    /// Validates the settings and builds the client. No request is sent yet: sign-in
    /// happens on the first call that needs a token.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the setting when the deployment or sign-in method is missing
    /// or invalid.
    pub fn build(self) -> Result<Provena, Error> {
        if let Some(error) = self.env_error {
            return Err(error);
        }
        let config = self.config.build()?;
        let s3_endpoint = match &self.s3_endpoint {
            Some(text) => Some(provena_http::parse_endpoint_url(
                "PROVENA_S3_ENDPOINT",
                text,
                config.allows_insecure_http(),
            )?),
            None => None,
        };
        let anonymous = HttpClient::anonymous(config)?;
        #[cfg(feature = "sign-in")]
        let mut session = None;
        let provider: Arc<dyn TokenProvider> = match self.method {
            SignInMethod::Unset => {
                return Err(Error::config(
                    "sign-in method",
                    "none",
                    "choose one: device_flow(), offline_token(..), client_credentials(..) or static_token(..)",
                ));
            }
            SignInMethod::Static(token) => {
                if token.expose().trim().is_empty() {
                    return Err(Error::config(
                        "static token",
                        "",
                        "the token is empty; pass the access token itself, or choose another sign-in method",
                    ));
                }
                Arc::new(provena_http::StaticToken::new(token))
            }
            SignInMethod::Provider(provider) => provider,
            #[cfg(feature = "sign-in")]
            method => {
                let issuer = anonymous.config().endpoints().issuer().to_string();
                let mut sign_in = oidc::SignIn::new(&anonymous).issuer(issuer);
                if let Some(client_id) = &self.client_id {
                    sign_in = sign_in.client_id(client_id.clone());
                }
                sign_in = match method {
                    SignInMethod::DeviceFlow => sign_in.device_flow(),
                    SignInMethod::OfflineToken(token) => sign_in.offline_token(token),
                    SignInMethod::OfflineTokenFile(path) => sign_in.offline_token_file(path),
                    SignInMethod::OfflineTokenEnv(name) => sign_in.offline_token_env(name),
                    SignInMethod::ClientCredentials(secret) => sign_in.client_credentials(secret),
                    SignInMethod::Unset | SignInMethod::Static(_) | SignInMethod::Provider(_) => {
                        sign_in
                    }
                };
                for customize in self.customize_sign_in {
                    sign_in = customize(sign_in);
                }
                let built = sign_in.build()?;
                session = Some(built.clone());
                built.into_provider()
            }
        };
        Ok(Provena {
            http: anonymous.with_tokens(provider),
            s3_endpoint,
            #[cfg(feature = "sign-in")]
            session,
        })
    }
}
