//! The OpenID Connect issuer, shaped like a Keycloak realm at
//! `http://127.0.0.1:PORT/auth/realms/provena`.
//!
//! It serves discovery, the JWKS, device authorization (RFC 8628) and a token endpoint for
//! the device-code, refresh-token and client-credentials grants. Access tokens are RS256
//! JWTs carrying the claims Provena's services read: `preferred_username`, `email` and
//! `realm_access.roles`. Each sign-in opens a session; revoking a user's sessions makes
//! their access and refresh tokens fail at once.
//!
//! It also serves userinfo, token revocation (RFC 7009) and logout, each of which ends or
//! reads a session.
//!
//! NOTE: the authorization-code and password grants, token introspection and the browser
//! pages (login, device verification) are not modelled.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::TestkitError;
use crate::server::DeviceApproval;
use crate::state::{AppState, now};
use crate::users::{self, BuiltInUser};

/// The realm name in the issuer path.
#[allow(dead_code)]
pub(crate) const REALM: &str = "provena";
/// The path of the issuer on its listener.
pub(crate) const ISSUER_PATH: &str = "/auth/realms/provena";
/// The public client for the device flow. Provena's own command-line tools use this id.
pub(crate) const PUBLIC_CLIENT_ID: &str = "client-tools";
/// The confidential client whose service account signs in with client credentials.
pub(crate) const SERVICE_CLIENT_ID: &str = "provena-test-automation";
/// The device-code grant type of RFC 8628.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The issuer's RSA key, in the forms signing, verification and the JWKS need.
pub(crate) struct SigningKeys {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Returns the key shared by every double in this process, creating it on first use.
    ///
    /// A 2048-bit RSA key takes seconds to generate without optimisation, so it is made
    /// once per process. Doubles still reject each other's tokens because each checks the
    /// `iss` claim and its own session table.
    pub(crate) fn shared() -> Result<Arc<Self>, TestkitError> {
        static SHARED: OnceLock<Result<Arc<SigningKeys>, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::generate().map(Arc::new))
            .clone()
            .map_err(TestkitError::SigningKey)
    }

    fn generate() -> Result<Self, String> {
        let mut rng = rsa::rand_core::OsRng;
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|error| error.to_string())?;
        let der = private.to_pkcs1_der().map_err(|error| error.to_string())?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let modulus = private.n().to_bytes_be();
        let exponent = private.e().to_bytes_be();
        let decoding = DecodingKey::from_rsa_raw_components(&modulus, &exponent);
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(&modulus)[..16]);
        let jwk = json!({
            "kid": kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(&modulus),
            "e": URL_SAFE_NO_PAD.encode(&exponent),
        });
        Ok(Self {
            kid,
            encoding,
            decoding,
            jwk,
        })
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    pub(crate) fn sign(
        &self,
        claims: &impl Serialize,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    /// Verifies an RS256 JWT's signature and `exp` (no leeway, audience not checked) and
    /// decodes its claims.
    pub(crate) fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation).map(|data| data.claims)
    }

    /// Returns the key id.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the JWKS document.
    pub(crate) fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }
}

/// The claims of an access token, as Keycloak writes them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessClaims {
    pub(crate) exp: i64,
    pub(crate) iat: i64,
    #[serde(default)]
    pub(crate) jti: String,
    #[serde(default)]
    pub(crate) iss: String,
    #[serde(default)]
    pub(crate) aud: Value,
    #[serde(default)]
    pub(crate) sub: String,
    #[serde(default)]
    pub(crate) typ: String,
    #[serde(default)]
    pub(crate) azp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sid: Option<String>,
    #[serde(default)]
    pub(crate) scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) realm_access: Option<RealmAccess>,
}

/// The `realm_access` claim.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RealmAccess {
    pub(crate) roles: Vec<String>,
}

/// The user or service account a session belongs to.
#[derive(Debug, Clone)]
struct Principal {
    username: String,
    email: Option<String>,
    name: Option<String>,
    subject: String,
    roles: Vec<String>,
}

impl Principal {
    fn user(user: &BuiltInUser) -> Self {
        Self {
            username: user.username.to_owned(),
            email: Some(user.email.to_owned()),
            name: Some(user.name.to_owned()),
            subject: user.subject.to_owned(),
            roles: user.roles.iter().map(|role| (*role).to_owned()).collect(),
        }
    }

    fn service_account() -> Self {
        Self {
            username: format!("service-account-{SERVICE_CLIENT_ID}"),
            email: None,
            name: None,
            subject: "6f1e2d3c-0a01-4b5c-9d7e-0000000000aa".into(),
            roles: users::SERVICE_ACCOUNT_ROLES
                .iter()
                .map(|role| (*role).to_owned())
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct Session {
    principal: Principal,
    client_id: String,
    scope: String,
    active: bool,
}

#[derive(Debug, Clone)]
struct RefreshRecord {
    session: String,
    /// `None` for offline tokens, which live until their session is revoked.
    expires_at: Option<i64>,
    /// Set once the token was exchanged; rotation makes a used token invalid.
    used: bool,
    offline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceState {
    Pending,
    Approved(String),
    Denied,
    Consumed,
}

#[derive(Debug, Clone)]
struct DeviceGrant {
    user_code: String,
    client_id: String,
    scope: String,
    expires: Instant,
    last_poll: Option<Instant>,
    state: DeviceState,
}

/// Sessions, refresh tokens and pending device authorizations.
#[derive(Debug, Default)]
pub(crate) struct OidcStore {
    sessions: HashMap<String, Session>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    device_grants: HashMap<String, DeviceGrant>,
}

impl OidcStore {
    /// Reports whether the session `sid` exists and was not revoked.
    pub(crate) fn session_is_active(&self, sid: &str) -> bool {
        self.sessions.get(sid).is_some_and(|session| session.active)
    }

    fn open_session(&mut self, principal: Principal, client_id: &str, scope: &str) -> String {
        let sid = uuid::Uuid::new_v4().to_string();
        self.sessions.insert(
            sid.clone(),
            Session {
                principal,
                client_id: client_id.to_owned(),
                scope: scope.to_owned(),
                active: true,
            },
        );
        sid
    }

    /// Revokes every session of `username`; returns how many were active.
    pub(crate) fn revoke_user(&mut self, username: &str) -> usize {
        let mut revoked = 0;
        for session in self.sessions.values_mut() {
            if session.principal.username == username && session.active {
                session.active = false;
                revoked += 1;
            }
        }
        revoked
    }

    /// Approves the pending device authorization with `user_code` for `username`.
    pub(crate) fn approve_device(&mut self, user_code: &str, username: &str) -> Result<(), String> {
        let grant = self.pending_device(user_code)?;
        grant.state = DeviceState::Approved(username.to_owned());
        Ok(())
    }

    /// Denies the pending device authorization with `user_code`.
    pub(crate) fn deny_device(&mut self, user_code: &str) -> Result<(), String> {
        let grant = self.pending_device(user_code)?;
        grant.state = DeviceState::Denied;
        Ok(())
    }

    fn pending_device(&mut self, user_code: &str) -> Result<&mut DeviceGrant, String> {
        let requested = normalise_user_code(user_code);
        let grant = self
            .device_grants
            .values_mut()
            .find(|grant| normalise_user_code(&grant.user_code) == requested)
            .ok_or_else(|| format!("no device authorization has user code `{user_code}`"))?;
        if grant.state != DeviceState::Pending {
            return Err(format!(
                "the device authorization with user code `{user_code}` was already approved, denied or used"
            ));
        }
        Ok(grant)
    }
}

fn normalise_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::rng().fill(&mut buffer[..]);
    URL_SAFE_NO_PAD.encode(buffer)
}

fn random_user_code() -> String {
    // Keycloak's alphabet leaves out letters and digits that are easy to confuse.
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for position in 0..8 {
        if position == 4 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    code
}

/// Mints an access token for `principal` in session `sid`.
fn access_token(
    state: &AppState,
    principal: &Principal,
    client_id: &str,
    scope: &str,
    sid: &str,
) -> Result<String, jsonwebtoken::errors::Error> {
    state
        .keys()
        .sign(&access_claims(state, principal, client_id, scope, sid))
}

/// Builds the claims of an access token issued now.
fn access_claims(
    state: &AppState,
    principal: &Principal,
    client_id: &str,
    scope: &str,
    sid: &str,
) -> AccessClaims {
    let issued = now();
    let lifetime =
        i64::try_from(state.settings().access_token_lifetime.as_secs()).unwrap_or(i64::MAX);
    AccessClaims {
        exp: issued.saturating_add(lifetime),
        iat: issued,
        jti: uuid::Uuid::new_v4().to_string(),
        iss: issuer_string(state),
        aud: json!("account"),
        sub: principal.subject.clone(),
        typ: "Bearer".into(),
        azp: client_id.to_owned(),
        sid: Some(sid.to_owned()),
        scope: scope.to_owned(),
        preferred_username: Some(principal.username.clone()),
        email: principal.email.clone(),
        name: principal.name.clone(),
        realm_access: Some(RealmAccess {
            roles: principal.roles.clone(),
        }),
    }
}

/// Mints an ID token for `principal`, audience `client_id`.
fn id_token(
    state: &AppState,
    principal: &Principal,
    client_id: &str,
    sid: &str,
) -> Result<String, jsonwebtoken::errors::Error> {
    let issued = now();
    let lifetime =
        i64::try_from(state.settings().access_token_lifetime.as_secs()).unwrap_or(i64::MAX);
    let claims = json!({
        "exp": issued.saturating_add(lifetime),
        "iat": issued,
        "auth_time": issued,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iss": issuer_string(state),
        "aud": client_id,
        "sub": principal.subject,
        "typ": "ID",
        "azp": client_id,
        "sid": sid,
        "preferred_username": principal.username,
        "email": principal.email,
        "name": principal.name,
    });
    state.keys().sign(&claims)
}

/// Returns the issuer URL without a trailing slash, as it appears in `iss`.
fn issuer_string(state: &AppState) -> String {
    state.issuer().as_str().trim_end_matches('/').to_owned()
}

/// Mints a fresh access token for a built-in user in a new session, for
/// [`ProvenaDouble::access_token`](crate::ProvenaDouble::access_token).
pub(crate) fn token_for_user(state: &AppState, user: &BuiltInUser) -> Result<String, TestkitError> {
    let principal = Principal::user(user);
    let scope = "openid profile email";
    let sid = state
        .oidc()
        .open_session(principal.clone(), PUBLIC_CLIENT_ID, scope);
    access_token(state, &principal, PUBLIC_CLIENT_ID, scope, &sid)
        .map_err(|error| TestkitError::SigningKey(error.to_string()))
}

/// Mints an access token for a built-in user, in a new session, that expired a minute ago.
pub(crate) fn expired_token_for_user(
    state: &AppState,
    user: &BuiltInUser,
) -> Result<String, TestkitError> {
    let principal = Principal::user(user);
    let scope = "openid profile email";
    let sid = state
        .oidc()
        .open_session(principal.clone(), PUBLIC_CLIENT_ID, scope);
    let mut claims = access_claims(state, &principal, PUBLIC_CLIENT_ID, scope, &sid);
    let lifetime = claims.exp - claims.iat;
    claims.exp = now() - 60;
    claims.iat = claims.exp.saturating_sub(lifetime);
    state
        .keys()
        .sign(&claims)
        .map_err(|error| TestkitError::SigningKey(error.to_string()))
}

/// Opens an offline session for a built-in user and returns its offline token.
pub(crate) fn offline_token_for_user(state: &AppState, user: &BuiltInUser) -> String {
    let principal = Principal::user(user);
    let scope = "openid profile email offline_access";
    let mut store = state.oidc();
    let sid = store.open_session(principal, PUBLIC_CLIENT_ID, scope);
    let token = random_token(32);
    store.refresh_tokens.insert(
        token.clone(),
        RefreshRecord {
            session: sid,
            expires_at: None,
            used: false,
            offline: true,
        },
    );
    token
}

/// Builds the issuer's routes, nested under [`ISSUER_PATH`].
pub(crate) fn router(state: AppState) -> Router {
    let realm = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/protocol/openid-connect/certs", get(jwks))
        .route(
            "/protocol/openid-connect/auth/device",
            post(device_authorization),
        )
        .route("/protocol/openid-connect/token", post(token))
        .route(
            "/protocol/openid-connect/userinfo",
            get(userinfo).post(userinfo),
        )
        .route("/protocol/openid-connect/revoke", post(revoke))
        .route("/protocol/openid-connect/logout", post(logout))
        .with_state(state);
    Router::new().nest(ISSUER_PATH, realm)
}

async fn discovery(State(state): State<AppState>) -> Json<Value> {
    let issuer = issuer_string(&state);
    let endpoint = |path: &str| format!("{issuer}/protocol/openid-connect/{path}");
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": endpoint("auth"),
        "token_endpoint": endpoint("token"),
        "device_authorization_endpoint": endpoint("auth/device"),
        "jwks_uri": endpoint("certs"),
        "userinfo_endpoint": endpoint("userinfo"),
        "revocation_endpoint": endpoint("revoke"),
        "end_session_endpoint": endpoint("logout"),
        "grant_types_supported": [
            "refresh_token",
            "client_credentials",
            DEVICE_CODE_GRANT,
        ],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile", "email", "offline_access", "roles"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "preferred_username", "email", "name"],
    }))
}

async fn jwks(State(state): State<AppState>) -> Json<Value> {
    Json(state.keys().jwks())
}

/// Builds an OAuth error response, `{"error": .., "error_description": ..}`.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

#[derive(Debug, Deserialize)]
struct DeviceRequest {
    client_id: Option<String>,
    scope: Option<String>,
}

async fn device_authorization(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<DeviceRequest>,
) -> Response {
    let Some((client_id, _)) = client_from(&headers, form.client_id.as_deref(), None) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: client_id",
        );
    };
    if client_id != PUBLIC_CLIENT_ID {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        );
    }
    let settings = state.settings();
    let device_code = random_token(32);
    let user_code = random_user_code();
    // The device flow signs a user in, so the tokens always include an ID token.
    let scope = normalise_scope(&["openid", "profile", "email"], form.scope.as_deref());
    let approved = match &settings.device_approval {
        DeviceApproval::Auto(user) => DeviceState::Approved((*user).to_owned()),
        DeviceApproval::Manual => DeviceState::Pending,
    };
    state.oidc().device_grants.insert(
        device_code.clone(),
        DeviceGrant {
            user_code: user_code.clone(),
            client_id,
            scope,
            expires: Instant::now() + settings.device_code_lifetime,
            last_poll: None,
            state: approved,
        },
    );
    let verification = format!("{}/device", issuer_string(&state));
    Json(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification,
        "verification_uri_complete": format!("{verification}?user_code={user_code}"),
        "expires_in": settings.device_code_lifetime.as_secs(),
        "interval": settings.device_poll_interval.as_secs(),
    }))
    .into_response()
}

/// Returns the granted scope: `defaults` followed by any other requested scopes.
fn normalise_scope(defaults: &[&'static str], requested: Option<&str>) -> String {
    let mut scopes: Vec<&str> = defaults.to_vec();
    for scope in requested.unwrap_or("").split_whitespace() {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    scopes.join(" ")
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    device_code: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

/// Reads the client id and secret from HTTP Basic authentication or the form.
fn client_from(
    headers: &HeaderMap,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Option<(String, Option<String>)> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            pair.split_once(':').map(|(id, secret)| {
                (
                    decode_form_component(id),
                    Some(decode_form_component(secret)),
                )
            })
        });
    if basic.is_some() {
        return basic;
    }
    let id = form_id.filter(|id| !id.is_empty())?;
    Some((id.to_owned(), form_secret.map(str::to_owned)))
}

/// HTTP Basic credentials of OAuth clients are form-encoded before base64 (RFC 6749 2.3.1).
fn decode_form_component(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<TokenRequest>,
) -> Response {
    let Some((client_id, secret)) = client_from(
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    ) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: client_id",
        );
    };
    let client_ok = match client_id.as_str() {
        PUBLIC_CLIENT_ID => true,
        SERVICE_CLIENT_ID => secret.as_deref() == Some(service_client_secret(&state).as_str()),
        _ => false,
    };
    if !client_ok {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        );
    }
    match form.grant_type.as_deref() {
        Some(DEVICE_CODE_GRANT) => {
            device_code_grant(&state, &client_id, form.device_code.as_deref())
        }
        Some("refresh_token") => refresh_grant(&state, &client_id, form.refresh_token.as_deref()),
        Some("client_credentials") => {
            client_credentials_grant(&state, &client_id, form.scope.as_deref())
        }
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Unsupported grant_type {other}"),
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing form parameter: grant_type",
        ),
    }
}

/// Returns the secret of the confidential client, derived from the signing key so it stays
/// stable for one double and differs between key pairs.
pub(crate) fn service_client_secret(state: &AppState) -> String {
    let digest = Sha256::digest(format!(
        "client-secret:{}:{}",
        state.keys().kid(),
        state.issuer()
    ));
    URL_SAFE_NO_PAD.encode(&digest[..24])
}

fn device_code_grant(state: &AppState, client_id: &str, device_code: Option<&str>) -> Response {
    let Some(device_code) = device_code else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: device_code",
        );
    };
    let interval = state.settings().device_poll_interval;
    let (username, scope) = {
        let mut store = state.oidc();
        let Some(grant) = store.device_grants.get_mut(device_code) else {
            return invalid_grant("Device code not valid");
        };
        if grant.client_id != client_id {
            return invalid_grant("Device code not valid");
        }
        let now = Instant::now();
        if now >= grant.expires {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "expired_token",
                "Device code is expired",
            );
        }
        let too_soon = grant
            .last_poll
            .is_some_and(|last| now.duration_since(last) < interval);
        grant.last_poll = Some(now);
        match &grant.state {
            DeviceState::Denied => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "access_denied",
                    "The end user denied the authorization request",
                );
            }
            DeviceState::Consumed => return invalid_grant("Device code not valid"),
            // NOTE: RFC 8628 has a client add 5 s to its interval after slow_down, but the
            // double only checks the advertised interval between two polls.
            _ if too_soon => {
                return oauth_error(StatusCode::BAD_REQUEST, "slow_down", "Slow down");
            }
            DeviceState::Pending => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_pending",
                    "The authorization request is still pending",
                );
            }
            DeviceState::Approved(username) => {
                let username = username.clone();
                grant.state = DeviceState::Consumed;
                (username, grant.scope.clone())
            }
        }
    };
    let Some(user) = users::find(&username) else {
        return invalid_grant("User not found");
    };
    let principal = Principal::user(user);
    let sid = state
        .oidc()
        .open_session(principal.clone(), client_id, &scope);
    issue_user_tokens(state, &principal, client_id, &scope, &sid)
}

/// Builds a token response with an access, ID and refresh token for session `sid`.
fn issue_user_tokens(
    state: &AppState,
    principal: &Principal,
    client_id: &str,
    scope: &str,
    sid: &str,
) -> Response {
    let offline = scope.split_whitespace().any(|s| s == "offline_access");
    let refresh_lifetime =
        i64::try_from(state.settings().refresh_token_lifetime.as_secs()).unwrap_or(i64::MAX);
    let refresh = random_token(32);
    state.oidc().refresh_tokens.insert(
        refresh.clone(),
        RefreshRecord {
            session: sid.to_owned(),
            expires_at: (!offline).then(|| now().saturating_add(refresh_lifetime)),
            used: false,
            offline,
        },
    );
    respond_with_tokens(
        state,
        principal,
        client_id,
        scope,
        sid,
        Some(&refresh),
        offline,
    )
}

fn respond_with_tokens(
    state: &AppState,
    principal: &Principal,
    client_id: &str,
    scope: &str,
    sid: &str,
    refresh: Option<&str>,
    offline: bool,
) -> Response {
    let access = match access_token(state, principal, client_id, scope, sid) {
        Ok(token) => token,
        Err(error) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &error.to_string(),
            );
        }
    };
    let settings = state.settings();
    let mut body = json!({
        "access_token": access,
        "expires_in": settings.access_token_lifetime.as_secs(),
        "token_type": "Bearer",
        "not-before-policy": 0,
        "session_state": sid,
        "scope": scope,
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
        body["refresh_expires_in"] = json!(if offline {
            0
        } else {
            settings.refresh_token_lifetime.as_secs()
        });
    }
    if scope.split_whitespace().any(|s| s == "openid") {
        match id_token(state, principal, client_id, sid) {
            Ok(token) => body["id_token"] = json!(token),
            Err(error) => {
                return oauth_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    &error.to_string(),
                );
            }
        }
    }
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn refresh_grant(state: &AppState, client_id: &str, refresh_token: Option<&str>) -> Response {
    let Some(refresh_token) = refresh_token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: refresh_token",
        );
    };
    let (session, record) = {
        let mut store = state.oidc();
        let Some(record) = store.refresh_tokens.get(refresh_token).cloned() else {
            return invalid_grant("Invalid refresh token");
        };
        if record.used {
            return invalid_grant("Maximum allowed refresh token reuse exceeded");
        }
        if record.expires_at.is_some_and(|expires| now() >= expires) {
            return invalid_grant("Token is not active");
        }
        let Some(session) = store.sessions.get(&record.session).cloned() else {
            return invalid_grant("Session not active");
        };
        if !session.active {
            return invalid_grant(if record.offline {
                "Offline user session not found"
            } else {
                "Session not active"
            });
        }
        if session.client_id != client_id {
            return invalid_grant(
                "Invalid refresh token. Token client and authorized client don't match",
            );
        }
        // Ordinary refresh tokens rotate. NOTE: offline tokens stay usable after each
        // refresh, so a stored offline token keeps working. A Keycloak realm that revokes
        // refresh tokens would rotate offline tokens as well.
        if !record.offline
            && let Some(stored) = store.refresh_tokens.get_mut(refresh_token)
        {
            stored.used = true;
        }
        (session, record)
    };
    if record.offline {
        return respond_with_tokens(
            state,
            &session.principal,
            client_id,
            &session.scope,
            &record.session,
            Some(refresh_token),
            true,
        );
    }
    issue_user_tokens(
        state,
        &session.principal,
        client_id,
        &session.scope,
        &record.session,
    )
}

fn client_credentials_grant(state: &AppState, client_id: &str, scope: Option<&str>) -> Response {
    if client_id != SERVICE_CLIENT_ID {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "Client not enabled to retrieve service account",
        );
    }
    let principal = Principal::service_account();
    // A service account gets an ID token only when it requests `openid`.
    let scope = normalise_scope(&["profile", "email"], scope);
    let sid = state
        .oidc()
        .open_session(principal.clone(), client_id, &scope);
    respond_with_tokens(state, &principal, client_id, &scope, &sid, None, false)
}

/// Returns how long device codes stay valid by default.
pub(crate) const DEFAULT_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(600);

/// Returns the claims of the bearer token's user, or 401 with an OAuth `invalid_token`
/// challenge as Keycloak does.
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let claims = token.and_then(|token| state.keys().verify::<AccessClaims>(token).ok());
    let active = claims.as_ref().is_some_and(|claims| {
        claims
            .sid
            .as_deref()
            .is_none_or(|sid| state.oidc().session_is_active(sid))
    });
    match claims {
        Some(claims) if active => Json(json!({
            "sub": claims.sub,
            "preferred_username": claims.preferred_username,
            "email": claims.email,
            "name": claims.name,
        }))
        .into_response(),
        _ => {
            let mut response = oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Token verification failed",
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
            response
        }
    }
}

#[derive(Debug, Deserialize)]
struct RevokeRequest {
    token: Option<String>,
    refresh_token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

impl OidcStore {
    /// Ends the session of a refresh or offline token, or of a signed access token.
    /// Returns whether a session was found.
    fn end_session_of(&mut self, keys: &SigningKeys, token: &str) -> bool {
        let sid = match self.refresh_tokens.get(token) {
            Some(record) => Some(record.session.clone()),
            None => keys
                .verify::<AccessClaims>(token)
                .ok()
                .and_then(|claims| claims.sid),
        };
        match sid.and_then(|sid| self.sessions.get_mut(&sid)) {
            Some(session) => {
                session.active = false;
                true
            }
            None => false,
        }
    }
}

/// Revokes a token and its session (RFC 7009). Unknown tokens get 200 as the RFC requires.
async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<RevokeRequest>,
) -> Response {
    let client = client_from(
        &headers,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    );
    if client.is_none() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: client_id",
        );
    }
    let Some(token) = form.token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing token parameter",
        );
    };
    state.oidc().end_session_of(state.keys(), &token);
    StatusCode::OK.into_response()
}

/// Ends the session of the refresh token, as Keycloak's back-channel logout does.
async fn logout(State(state): State<AppState>, Form(form): Form<RevokeRequest>) -> Response {
    let Some(token) = form.refresh_token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing parameter: refresh_token",
        );
    };
    if state.oidc().end_session_of(state.keys(), &token) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        invalid_grant("Invalid refresh token")
    }
}
