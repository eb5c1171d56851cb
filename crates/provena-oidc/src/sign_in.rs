//! The builder that chooses a sign-in method and its options.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use provena_http::{Error, HttpClient, Secret, TokenProvider};
use url::Url;

use crate::error::SignInError;
use crate::prompt::{DevicePrompt, PromptHandle, default_prompt};
use crate::session::{Method, Session, Settings};
use crate::store::{FileTokenStore, TokenStore};

/// The client id of Provena's command-line tools in its Keycloak realm.
pub const DEFAULT_CLIENT_ID: &str = "client-tools";

/// The default refresh window: an access token is renewed when it expires within 30 s.
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(30);

#[derive(Debug)]
enum MethodChoice {
    DeviceFlow,
    OfflineValue(Secret),
    OfflineEnv(String),
    OfflineFile(PathBuf),
    ClientCredentials(Secret),
    Static(Secret),
}

#[derive(Debug)]
enum StoreChoice {
    Default,
    None,
    Custom(Arc<dyn TokenStore>),
}

/// Chooses how to sign in and builds the [`Session`] that supplies access tokens.
///
/// ```no_run
/// use provena_http::{Config, HttpClient};
/// use provena_oidc::SignIn;
///
/// # async fn run() -> Result<(), provena_http::Error> {
/// let config = Config::builder().domain("provena.example.org").realm("provena").build()?;
/// // The session talks to the issuer without a token; the API client then uses the session.
/// let issuer_client = HttpClient::anonymous(config)?;
/// let session = SignIn::new(&issuer_client).device_flow().build()?;
/// let client = issuer_client.with_tokens(session.into_provider());
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
///
/// Defaults:
///
/// - the issuer of the client's endpoints, client id [`DEFAULT_CLIENT_ID`] and scope `openid`;
/// - refresh window [`DEFAULT_REFRESH_WINDOW`], with interaction allowed;
/// - access tokens validated against the issuer's key set;
/// - the device code printed to standard error ([`StderrPrompt`](crate::StderrPrompt)); with
///   the `open-browser` feature, also opened in a browser (`BrowserPrompt`);
/// - for the device flow only, tokens kept in [`FileTokenStore::default_location`].
///
/// Offline tokens and client credentials are never written anywhere.
#[derive(Debug)]
#[must_use = "a sign-in does nothing until it is built"]
pub struct SignIn {
    http: HttpClient,
    issuer: Option<String>,
    client_id: String,
    scopes: Vec<String>,
    method: Option<MethodChoice>,
    refresh_window: Duration,
    allow_interaction: bool,
    store: StoreChoice,
    prompt: PromptHandle,
    validate: bool,
}

impl SignIn {
    /// Starts a sign-in that reaches the issuer through `http`'s connection pool and settings.
    /// `http` is used only for the issuer; its own token provider is never called.
    pub fn new(http: &HttpClient) -> Self {
        Self {
            http: http.clone(),
            issuer: None,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            scopes: vec![String::from("openid")],
            method: None,
            refresh_window: DEFAULT_REFRESH_WINDOW,
            allow_interaction: true,
            store: StoreChoice::Default,
            prompt: default_prompt(),
            validate: true,
        }
    }

    /// Uses the issuer (Keycloak realm URL) `url` instead of the one in the client's endpoints.
    pub fn issuer(mut self, url: impl Into<String>) -> Self {
        self.issuer = Some(url.into());
        self
    }

    /// Sets the client id. For client credentials this is the service account's client.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// Replaces the requested scopes, such as `["openid", "offline_access"]`.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Signs a person in with the device authorization grant (RFC 8628).
    pub fn device_flow(mut self) -> Self {
        self.method = Some(MethodChoice::DeviceFlow);
        self
    }

    /// Exchanges an offline token for access tokens with the refresh grant.
    pub fn offline_token(mut self, token: impl Into<Secret>) -> Self {
        self.method = Some(MethodChoice::OfflineValue(token.into()));
        self
    }

    /// As [`offline_token`](Self::offline_token), reading the token from the environment
    /// variable `name` when the session is built.
    pub fn offline_token_env(mut self, name: impl Into<String>) -> Self {
        self.method = Some(MethodChoice::OfflineEnv(name.into()));
        self
    }

    /// As [`offline_token`](Self::offline_token), reading the token from the file `path`
    /// (surrounding whitespace removed) when the session is built.
    pub fn offline_token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.method = Some(MethodChoice::OfflineFile(path.into()));
        self
    }

    /// Gets tokens with the client credentials grant, for a Keycloak service account. Set
    /// the account's client with [`client_id`](Self::client_id).
    pub fn client_credentials(mut self, client_secret: impl Into<Secret>) -> Self {
        self.method = Some(MethodChoice::ClientCredentials(client_secret.into()));
        self
    }

    /// Uses a fixed bearer token, which is never refreshed or validated.
    pub fn static_token(mut self, token: impl Into<Secret>) -> Self {
        self.method = Some(MethodChoice::Static(token.into()));
        self
    }

    /// Renews the access token when it expires within `window`. Default 30 s.
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// Sets whether the session may start the device flow on its own, when nothing is stored
    /// or the refresh token was rejected. Without it, those cases fail with
    /// [`SignInError::InteractionRequired`] or [`SignInError::RefreshTokenRejected`].
    /// Default `true`.
    pub fn allow_interaction(mut self, allow: bool) -> Self {
        self.allow_interaction = allow;
        self
    }

    /// Keeps device-flow tokens in `store` instead of the default file store.
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = StoreChoice::Custom(store);
        self
    }

    /// Keeps device-flow tokens in memory only.
    pub fn no_store(mut self) -> Self {
        self.store = StoreChoice::None;
        self
    }

    /// Shows device codes with `prompt` instead of the default prompt, which prints them to
    /// standard error (and opens a browser with the `open-browser` feature).
    pub fn prompt(mut self, prompt: impl DevicePrompt + 'static) -> Self {
        self.prompt = PromptHandle(Arc::new(prompt));
        self
    }

    /// Sets whether access tokens are validated against the issuer's key set when they
    /// arrive. Default `true`; turn it off only for issuers whose access tokens are not JWTs.
    pub fn validate_access_tokens(mut self, validate: bool) -> Self {
        self.validate = validate;
        self
    }

    /// Builds the session. Nothing is sent until the first token is needed.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no method was chosen or the issuer URL or client id is invalid,
    /// and [`Error::SignIn`] with [`SignInError::OfflineTokenSource`] when the offline token's
    /// variable or file is missing or empty.
    pub fn build(self) -> Result<Session, Error> {
        let issuer_text = match &self.issuer {
            Some(issuer) => issuer.clone(),
            None => self.http.config().endpoints().issuer().to_string(),
        };
        let issuer_url = Url::parse(issuer_text.trim()).map_err(|err| {
            Error::config(
                "issuer",
                issuer_text.clone(),
                format!("give the realm URL, such as `https://auth.example.org/auth/realms/provena` ({err})"),
            )
        })?;
        if !matches!(issuer_url.scheme(), "http" | "https") {
            return Err(Error::config(
                "issuer",
                issuer_text,
                "the scheme must be http or https",
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(Error::config("client_id", "", "set the Keycloak client id"));
        }
        let method = match self.method {
            None => {
                return Err(Error::config(
                    "sign-in method",
                    "none",
                    "choose device_flow, offline_token, client_credentials or static_token",
                ));
            }
            Some(MethodChoice::DeviceFlow) => Method::DeviceFlow,
            Some(MethodChoice::OfflineValue(token)) => {
                Method::OfflineToken(non_empty(token, "the given value")?)
            }
            Some(MethodChoice::OfflineEnv(name)) => {
                let value =
                    std::env::var(&name).map_err(|err| SignInError::OfflineTokenSource {
                        source_name: format!("environment variable `{name}`"),
                        reason: format!("{err}; set it to the offline token"),
                    })?;
                Method::OfflineToken(non_empty(
                    Secret::new(value),
                    &format!("environment variable `{name}`"),
                )?)
            }
            Some(MethodChoice::OfflineFile(path)) => {
                let source_name = format!("file `{}`", path.display());
                let text = std::fs::read_to_string(&path).map_err(|err| {
                    SignInError::OfflineTokenSource {
                        source_name: source_name.clone(),
                        reason: format!("{err}; check the path and that the file is readable"),
                    }
                })?;
                Method::OfflineToken(non_empty(Secret::new(text.trim()), &source_name)?)
            }
            Some(MethodChoice::ClientCredentials(secret)) => Method::ClientCredentials(secret),
            Some(MethodChoice::Static(token)) => Method::Static(token),
        };
        let store = match (self.store, &method) {
            (_, method) if !matches!(method, Method::DeviceFlow) => None,
            (StoreChoice::None, _) => None,
            (StoreChoice::Custom(store), _) => Some(store),
            (StoreChoice::Default, _) => match FileTokenStore::default_location() {
                Ok(store) => Some(Arc::new(store) as Arc<dyn TokenStore>),
                Err(error) => {
                    tracing::warn!(target: "provena_oidc", error = %error, "keeping the sign-in in memory only");
                    None
                }
            },
        };
        Ok(Session::new(Settings {
            http: self.http,
            issuer_url,
            client_id: self.client_id,
            scopes: self.scopes,
            method,
            refresh_window: self.refresh_window,
            allow_interaction: self.allow_interaction,
            store,
            prompt: self.prompt,
            validate: self.validate,
        }))
    }

    /// Builds the session and returns it as the provider [`HttpClient`] takes.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build).
    pub fn build_provider(self) -> Result<Arc<dyn TokenProvider>, Error> {
        Ok(self.build()?.into_provider())
    }
}

fn non_empty(token: Secret, source_name: &str) -> Result<Secret, Error> {
    if token.expose().trim().is_empty() {
        return Err(SignInError::OfflineTokenSource {
            source_name: source_name.to_owned(),
            reason: "it is empty; supply the offline token".into(),
        }
        .into());
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use provena_http::Config;

    fn http() -> HttpClient {
        let config = Config::builder()
            .single_base("http://127.0.0.1:9")
            .build()
            .unwrap();
        HttpClient::anonymous(config).unwrap()
    }

    #[test]
    fn build_without_method_names_the_choices() {
        let error = SignIn::new(&http()).build().unwrap_err();

        assert!(error.to_string().contains("device_flow"), "{error}");
    }

    #[test]
    fn issuer_defaults_to_endpoints() {
        let session = SignIn::new(&http())
            .device_flow()
            .no_store()
            .build()
            .unwrap();

        assert_eq!(session.store_key().issuer, "http://127.0.0.1:9/issuer");
        assert_eq!(session.store_key().client_id, DEFAULT_CLIENT_ID);
    }

    #[test]
    fn invalid_issuer_is_a_config_error() {
        let error = SignIn::new(&http())
            .issuer("not a url")
            .device_flow()
            .build()
            .unwrap_err();

        assert!(
            matches!(error, Error::Config { ref field, .. } if field == "issuer"),
            "{error}"
        );
    }

    #[test]
    fn missing_offline_token_variable_is_named() {
        let error = SignIn::new(&http())
            .offline_token_env("PROVENA_OIDC_TEST_VARIABLE_THAT_IS_NEVER_SET")
            .build()
            .unwrap_err();

        let Some(SignInError::OfflineTokenSource { source_name, .. }) = SignInError::find(&error)
        else {
            panic!("unexpected error {error:?}");
        };
        assert!(source_name.contains("PROVENA_OIDC_TEST_VARIABLE_THAT_IS_NEVER_SET"));
    }

    #[test]
    fn empty_or_missing_offline_token_file_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "  \n").unwrap();

        for path in [empty, dir.path().join("missing")] {
            let error = SignIn::new(&http())
                .offline_token_file(&path)
                .build()
                .unwrap_err();
            assert!(
                matches!(
                    SignInError::find(&error),
                    Some(SignInError::OfflineTokenSource { .. })
                ),
                "{error:?}"
            );
        }
    }

    #[test]
    fn error_chain_does_not_repeat_the_message() {
        let error = Error::from(SignInError::AccessDenied);

        let chain = provena_http::display_chain(&error);

        assert_eq!(
            chain,
            "sign-in failed: access denied: the sign-in request was denied in the browser; start the sign-in again and approve it"
        );
    }
}
