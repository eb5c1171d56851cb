//! Bearer-token checks, as Provena's services make them.
//!
//! Every failure is HTTP 401 with `WWW-Authenticate: Bearer`, never 403, and the `detail`
//! text distinguishes the cases:
//! - no `Authorization: Bearer` header: `Not authenticated`;
//! - a token that is not a valid RS256 JWT from this issuer, is expired, or whose session
//!   was revoked: `Could not validate credentials`;
//! - a valid token without `preferred_username` or `realm_access.roles`:
//!   `Token had incorrect structure.`;
//! - a caller without a required realm role: [`MISSING_ROLE`].

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::oidc::AccessClaims;
use crate::respond::ApiError;
use crate::state::AppState;
use crate::users::roles;

/// The detail of a request without a bearer token.
pub(crate) const NOT_AUTHENTICATED: &str = "Not authenticated";
/// The detail of a request whose token is invalid, expired or revoked.
pub(crate) const INVALID_CREDENTIALS: &str = "Could not validate credentials";
/// The detail of a valid token that lacks the user claims.
pub(crate) const INCORRECT_STRUCTURE: &str = "Token had incorrect structure.";
/// The detail of a caller without a required realm role.
pub(crate) const MISSING_ROLE: &str =
    "You are not authorised to access this resource as you don't have the correct role.";

/// The signed-in caller of a request, from a verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The `preferred_username` claim.
    pub(crate) username: String,
    /// The `email` claim; service-account tokens have none.
    pub(crate) email: Option<String>,
    /// The realm roles from `realm_access.roles`.
    pub(crate) roles: Vec<String>,
}

impl Caller {
    /// Reports whether the caller has the realm role `role`.
    pub(crate) fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|held| held == role)
    }

    /// Checks that the caller has every role in `required`, or returns 401 with Provena's
    /// missing-role detail.
    pub(crate) fn require_all(&self, required: &[&str]) -> Result<(), ApiError> {
        if required.iter().all(|role| self.has_role(role)) {
            Ok(())
        } else {
            Err(ApiError::unauthorized(MISSING_ROLE))
        }
    }

    /// Checks that the caller has at least one role in `allowed`.
    pub(crate) fn require_any(&self, allowed: &[&str]) -> Result<(), ApiError> {
        if allowed.iter().any(|role| self.has_role(role)) {
            Ok(())
        } else {
            Err(ApiError::unauthorized(MISSING_ROLE))
        }
    }

    /// Registry, datastore and prov read routes: `entity-registry-read`.
    pub(crate) fn require_registry_read(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::ENTITY_REGISTRY_READ])
    }

    /// Registry, datastore and prov write routes: read and write.
    pub(crate) fn require_registry_write(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::ENTITY_REGISTRY_READ, roles::ENTITY_REGISTRY_WRITE])
    }

    /// Registry, datastore and prov admin routes: read, write and admin.
    pub(crate) fn require_registry_admin(&self) -> Result<(), ApiError> {
        self.require_all(&[
            roles::ENTITY_REGISTRY_READ,
            roles::ENTITY_REGISTRY_WRITE,
            roles::ENTITY_REGISTRY_ADMIN,
        ])
    }

    /// Reports whether the caller is a registry admin, as the services decide who may see
    /// or change other users' records.
    pub(crate) fn is_registry_admin(&self) -> bool {
        self.has_role(roles::ENTITY_REGISTRY_ADMIN)
    }

    /// Jobs read routes: `job-service-read`.
    pub(crate) fn require_jobs_read(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::JOB_SERVICE_READ])
    }

    /// Jobs write routes: read and write.
    pub(crate) fn require_jobs_write(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::JOB_SERVICE_READ, roles::JOB_SERVICE_WRITE])
    }

    /// Jobs admin routes: read, write and admin.
    pub(crate) fn require_jobs_admin(&self) -> Result<(), ApiError> {
        self.require_all(&[
            roles::JOB_SERVICE_READ,
            roles::JOB_SERVICE_WRITE,
            roles::JOB_SERVICE_ADMIN,
        ])
    }

    /// Handle (id-service) read routes: `handle-read`.
    pub(crate) fn require_handle_read(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::HANDLE_READ])
    }

    /// Handle write routes: read and write.
    pub(crate) fn require_handle_write(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::HANDLE_READ, roles::HANDLE_WRITE])
    }

    /// Handle admin routes: read, write and admin.
    pub(crate) fn require_handle_admin(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::HANDLE_READ, roles::HANDLE_WRITE, roles::HANDLE_ADMIN])
    }

    /// System administration read routes (auth API admin views): `sys-admin-read`.
    pub(crate) fn require_sys_admin_read(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::SYS_ADMIN_READ])
    }

    /// System administration write routes: read and write.
    pub(crate) fn require_sys_admin_write(&self) -> Result<(), ApiError> {
        self.require_all(&[roles::SYS_ADMIN_READ, roles::SYS_ADMIN_WRITE])
    }

    /// System administration admin routes: read, write and admin.
    pub(crate) fn require_sys_admin_admin(&self) -> Result<(), ApiError> {
        self.require_all(&[
            roles::SYS_ADMIN_READ,
            roles::SYS_ADMIN_WRITE,
            roles::SYS_ADMIN_ADMIN,
        ])
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or_else(|| ApiError::unauthorized(NOT_AUTHENTICATED))?;
        caller_from_token(state, token)
    }
}

/// An optional caller: `None` without an `Authorization` header, and the same 401 as
/// [`Caller`] for a bad token.
#[derive(Debug, Clone)]
pub(crate) struct MaybeCaller(pub(crate) Option<Caller>);

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer_token(parts) {
            None => Ok(MaybeCaller(None)),
            Some(token) => caller_from_token(state, token).map(|caller| MaybeCaller(Some(caller))),
        }
    }
}

/// Reads the token of an `Authorization: Bearer` header, with the scheme matched without
/// regard to case as FastAPI's `OAuth2PasswordBearer` does.
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then_some(token)
}

/// Verifies `token` and builds the caller from its claims.
pub(crate) fn caller_from_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let claims: AccessClaims = state
        .keys()
        .verify(token)
        .map_err(|_| ApiError::unauthorized(INVALID_CREDENTIALS))?;
    if let Some(session) = &claims.sid
        && !state.oidc().session_is_active(session)
    {
        return Err(ApiError::unauthorized(INVALID_CREDENTIALS));
    }
    let username = claims
        .preferred_username
        .ok_or_else(|| ApiError::unauthorized(INCORRECT_STRUCTURE))?;
    let roles = claims
        .realm_access
        .map(|access| access.roles)
        .ok_or_else(|| ApiError::unauthorized(INCORRECT_STRUCTURE))?;
    Ok(Caller {
        username,
        email: claims.email,
        roles,
    })
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::Json;
    use axum::extract::State;
    use axum::routing::{get, post};
    use serde::Deserialize;
    use serde_json::{Value, json};
    use url::Url;

    use super::*;
    use crate::faults::FaultScope;
    use crate::oidc::{AccessClaims, RealmAccess};
    use crate::respond::{ValidJson, ValidQuery};
    use crate::state::now;
    use crate::{ProvenaDouble, users};

    use crate::wire;

    async fn who(caller: Caller) -> Json<Value> {
        Json(json!({"username": caller.username, "email": caller.email, "roles": caller.roles}))
    }

    async fn write_route(caller: Caller) -> Result<Json<Value>, ApiError> {
        caller.require_registry_write()?;
        Ok(Json(json!({"ok": true})))
    }

    #[derive(Debug, Deserialize)]
    struct Body {
        name: String,
        depth: u32,
    }

    async fn body_route(_caller: Caller, ValidJson(body): ValidJson<Body>) -> Json<Value> {
        Json(json!({"name": body.name, "depth": body.depth}))
    }

    async fn query_route(ValidQuery(query): ValidQuery<Body>) -> Json<Value> {
        Json(json!({"name": query.name, "depth": query.depth}))
    }

    async fn optional(MaybeCaller(caller): MaybeCaller, State(_): State<AppState>) -> Json<Value> {
        Json(json!({"username": caller.map(|caller| caller.username)}))
    }

    /// Serves a router of probe routes with the double's state, as a service module would.
    async fn probe(double: &ProvenaDouble) -> Url {
        let router = axum::Router::new()
            .route("/who", get(who))
            .route("/write", get(write_route))
            .route("/body", post(body_route))
            .route("/query", get(query_route))
            .route("/optional", get(optional))
            .with_state(double.state().clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let address = listener.local_addr().unwrap();
        let faults = double.faults().clone();
        tokio::spawn(crate::server::serve(
            listener,
            router,
            faults,
            FaultScope::All,
        ));
        Url::parse(&format!("http://{address}")).unwrap()
    }

    fn detail(reply: &wire::Reply) -> Value {
        reply.json()["detail"].clone()
    }

    async fn double() -> ProvenaDouble {
        ProvenaDouble::builder().seed(false).start().await.unwrap()
    }

    #[tokio::test]
    async fn valid_token_gives_caller() {
        let double = double().await;
        let base = probe(&double).await;
        let token = double.access_token(users::WRITER);
        let reply = wire::get(&base, "/who", Some(token.expose()))
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
        let body = reply.json();
        assert_eq!(body["username"], "writer");
        assert_eq!(body["email"], "writer@example.org");
        assert!(
            body["roles"]
                .as_array()
                .unwrap()
                .contains(&json!("entity-registry-write"))
        );
    }

    #[tokio::test]
    async fn missing_token_is_not_authenticated() {
        let double = double().await;
        let base = probe(&double).await;
        let reply = wire::get(&base, "/who", None).await.unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Not authenticated");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));

        // Another scheme counts as no token.
        let reply = wire::send(
            &base,
            "GET",
            "/who",
            &[("Authorization", "Basic eDp5")],
            b"",
        )
        .await
        .unwrap();
        assert_eq!(detail(&reply), "Not authenticated");
    }

    #[tokio::test]
    async fn bad_signature_is_rejected() {
        let double = double().await;
        let base = probe(&double).await;
        let token = double.access_token(users::WRITER);
        let (signed, signature) = token.expose().rsplit_once('.').unwrap();
        let mut flipped: Vec<char> = signature.chars().collect();
        let middle = flipped.len() / 2;
        flipped[middle] = if flipped[middle] == 'A' { 'B' } else { 'A' };
        let forged = format!("{signed}.{}", flipped.into_iter().collect::<String>());

        let reply = wire::get(&base, "/who", Some(&forged)).await.unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Could not validate credentials");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));

        let reply = wire::get(&base, "/who", Some("not-a-jwt")).await.unwrap();
        assert_eq!(detail(&reply), "Could not validate credentials");
    }

    fn claims(double: &ProvenaDouble, exp: i64) -> AccessClaims {
        AccessClaims {
            exp,
            iat: now() - 100,
            jti: "probe".into(),
            iss: double.issuer().to_string(),
            aud: json!("account"),
            sub: "probe".into(),
            typ: "Bearer".into(),
            azp: "client-tools".into(),
            sid: None,
            scope: "openid".into(),
            preferred_username: Some("writer".into()),
            email: None,
            name: None,
            realm_access: Some(RealmAccess {
                roles: vec!["entity-registry-read".into()],
            }),
        }
    }

    #[tokio::test]
    async fn expired_token_is_rejected() {
        let double = double().await;
        let base = probe(&double).await;
        let expired = double
            .state()
            .keys()
            .sign(&claims(&double, now() - 1))
            .unwrap();
        let reply = wire::get(&base, "/who", Some(&expired)).await.unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Could not validate credentials");

        let fresh = double
            .state()
            .keys()
            .sign(&claims(&double, now() + 60))
            .unwrap();
        assert_eq!(
            wire::get(&base, "/who", Some(&fresh)).await.unwrap().status,
            200
        );
    }

    #[tokio::test]
    async fn expired_access_token_is_rejected() {
        let double = double().await;
        let base = probe(&double).await;
        let token = double.expired_access_token(users::READER);
        let reply = wire::get(&base, "/who", Some(token.expose()))
            .await
            .unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Could not validate credentials");
    }

    #[tokio::test]
    async fn token_without_roles_has_incorrect_structure() {
        let double = double().await;
        let base = probe(&double).await;
        let mut bare = claims(&double, now() + 60);
        bare.realm_access = None;
        let token = double.state().keys().sign(&bare).unwrap();
        let reply = wire::get(&base, "/who", Some(&token)).await.unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Token had incorrect structure.");
    }

    #[tokio::test]
    async fn revoked_token_is_rejected() {
        let double = double().await;
        let base = probe(&double).await;
        let writer = double.access_token(users::WRITER);
        let reader = double.access_token(users::READER);
        assert_eq!(
            wire::get(&base, "/who", Some(writer.expose()))
                .await
                .unwrap()
                .status,
            200
        );

        assert_eq!(double.revoke_tokens(users::WRITER), 1);
        let reply = wire::get(&base, "/who", Some(writer.expose()))
            .await
            .unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Could not validate credentials");
        // A token minted after the revocation works, and other users are untouched.
        let again = double.access_token(users::WRITER);
        assert_eq!(
            wire::get(&base, "/who", Some(again.expose()))
                .await
                .unwrap()
                .status,
            200
        );
        assert_eq!(
            wire::get(&base, "/who", Some(reader.expose()))
                .await
                .unwrap()
                .status,
            200
        );
    }

    #[tokio::test]
    async fn reader_refused_by_role_check() {
        let double = double().await;
        let base = probe(&double).await;
        let reader = double.access_token(users::READER);
        let reply = wire::get(&base, "/write", Some(reader.expose()))
            .await
            .unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), MISSING_ROLE);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));

        let writer = double.access_token(users::WRITER);
        let reply = wire::get(&base, "/write", Some(writer.expose()))
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
    }

    #[tokio::test]
    async fn token_from_other_double_is_rejected() {
        let double = double().await;
        let other = ProvenaDouble::builder().seed(false).start().await.unwrap();
        let base = probe(&double).await;
        let foreign = other.access_token(users::ADMIN);
        let reply = wire::get(&base, "/who", Some(foreign.expose()))
            .await
            .unwrap();
        assert_eq!(reply.status, 401);
        assert_eq!(detail(&reply), "Could not validate credentials");
    }

    #[tokio::test]
    async fn optional_caller() {
        let double = double().await;
        let base = probe(&double).await;
        let reply = wire::get(&base, "/optional", None).await.unwrap();
        assert_eq!(reply.json()["username"], Value::Null);
        let token = double.access_token(users::READER);
        let reply = wire::get(&base, "/optional", Some(token.expose()))
            .await
            .unwrap();
        assert_eq!(reply.json()["username"], "reader");
        let reply = wire::get(&base, "/optional", Some("broken")).await.unwrap();
        assert_eq!(reply.status, 401);
    }

    #[tokio::test]
    async fn invalid_body_is_unprocessable() {
        let double = double().await;
        let base = probe(&double).await;
        let token = double.access_token(users::WRITER);

        let reply = wire::post_json(&base, "/body", Some(token.expose()), r#"{"name": "x"}"#)
            .await
            .unwrap();
        assert_eq!(reply.status, 422);
        assert_eq!(
            reply.json(),
            json!({"detail": [{"loc": ["body", "depth"], "msg": "field required", "type": "value_error.missing"}]})
        );

        let reply = wire::post_json(
            &base,
            "/body",
            Some(token.expose()),
            r#"{"name": "x", "depth": "deep"}"#,
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 422);
        let error = &reply.json()["detail"][0];
        assert_eq!(error["loc"], json!(["body", "depth"]));
        assert_eq!(error["type"], "type_error.integer");

        let reply = wire::post_json(
            &base,
            "/body",
            Some(token.expose()),
            r#"{"name": "x", "depth": 2}"#,
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["depth"], 2);

        // A body of another content type is not decoded, as in FastAPI.
        let reply = wire::send(
            &base,
            "POST",
            "/body",
            &[
                ("Content-Type", "text/plain"),
                ("Authorization", &format!("Bearer {}", token.expose())),
            ],
            br#"{"name": "x", "depth": 2}"#,
        )
        .await
        .unwrap();
        assert_eq!(reply.status, 422);
        assert_eq!(reply.json()["detail"][0]["type"], "type_error.dict");

        // Authentication comes before body validation, as in FastAPI.
        let reply = wire::post_json(&base, "/body", None, "{}").await.unwrap();
        assert_eq!(reply.status, 401);
    }

    #[tokio::test]
    async fn invalid_query_is_unprocessable() {
        let double = double().await;
        let base = probe(&double).await;
        let reply = wire::get(&base, "/query?name=a", None).await.unwrap();
        assert_eq!(reply.status, 422);
        let error = &reply.json()["detail"][0];
        assert_eq!(error["loc"], json!(["query", "depth"]));
        assert_eq!(error["msg"], "field required");

        let reply = wire::get(&base, "/query?name=a%2Fb&depth=3", None)
            .await
            .unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["name"], "a/b");
    }
}
