//! The double's OpenID Connect issuer, over HTTP.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Reply, get, post_form, send};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use provena_testkit::{DeviceApproval, ProvenaDouble, users};
use serde_json::Value;
use url::Url;

const TOKEN_PATH: &str = "/protocol/openid-connect/token";
const DEVICE_PATH: &str = "/protocol/openid-connect/auth/device";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Verifies `token` against the issuer's published JWKS and returns its claims.
async fn verify_with_jwks(issuer: &Url, token: &str) -> Value {
    let jwks = get(issuer, "/protocol/openid-connect/certs", None)
        .await
        .unwrap()
        .json();
    let key = &jwks["keys"][0];
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let decoding =
        DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .unwrap()
        .claims
}

async fn start_device(issuer: &Url, scope: &str) -> Value {
    let reply = post_form(
        issuer,
        DEVICE_PATH,
        &[("client_id", "client-tools"), ("scope", scope)],
    )
    .await
    .unwrap();
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn poll(issuer: &Url, device_code: &str) -> Reply {
    post_form(
        issuer,
        TOKEN_PATH,
        &[
            ("grant_type", DEVICE_GRANT),
            ("client_id", "client-tools"),
            ("device_code", device_code),
        ],
    )
    .await
    .unwrap()
}

async fn refresh(issuer: &Url, refresh_token: &str) -> Reply {
    post_form(
        issuer,
        TOKEN_PATH,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "client-tools"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
    .unwrap()
}

fn oauth_error(reply: &Reply) -> String {
    assert_eq!(
        reply.status,
        400,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Runs a device flow that the double approves at once, and returns the token response.
async fn device_tokens(double: &ProvenaDouble, scope: &str) -> Value {
    let issuer = double.issuer();
    let device = start_device(&issuer, scope).await;
    let reply = poll(&issuer, device["device_code"].as_str().unwrap()).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

#[tokio::test]
async fn discovery_names_every_endpoint() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let reply = get(&issuer, "/.well-known/openid-configuration", None)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let document = reply.json();

    let base = issuer.as_str().trim_end_matches('/');
    assert_eq!(document["issuer"], base);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(base.ends_with("/auth/realms/provena"), "{base}");
    assert_eq!(document["token_endpoint"], format!("{base}{TOKEN_PATH}"));
    assert_eq!(
        document["device_authorization_endpoint"],
        format!("{base}{DEVICE_PATH}")
    );
    assert_eq!(
        document["jwks_uri"],
        format!("{base}/protocol/openid-connect/certs")
    );
    let grants = document["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&Value::from(DEVICE_GRANT)));
    assert!(grants.contains(&Value::from("refresh_token")));
    assert!(grants.contains(&Value::from("client_credentials")));
}

#[tokio::test]
async fn access_token_verifies_with_jwks() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .access_token_lifetime(Duration::from_secs(120))
        .start()
        .await
        .unwrap();
    let token = double.access_token(users::WRITER);
    let claims = verify_with_jwks(&double.issuer(), token.expose()).await;

    assert_eq!(claims["preferred_username"], "writer");
    assert_eq!(claims["email"], "writer@example.org");
    assert_eq!(
        claims["iss"],
        double.issuer().as_str().trim_end_matches('/')
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
    let roles = claims["realm_access"]["roles"].as_array().unwrap();
    assert!(roles.contains(&Value::from("entity-registry-read")));
    assert!(roles.contains(&Value::from("entity-registry-write")));
    assert!(!roles.contains(&Value::from("entity-registry-admin")));
}

#[tokio::test]
async fn roles_follow_the_user() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let roles = |claims: &Value| -> Vec<String> {
        claims["realm_access"]["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|role| role.as_str().unwrap().to_owned())
            .collect()
    };

    let admin = roles(&verify_with_jwks(&issuer, double.access_token(users::ADMIN).expose()).await);
    for role in [
        "entity-registry-admin",
        "job-service-admin",
        "handle-admin",
        "sys-admin-admin",
    ] {
        assert!(admin.iter().any(|held| held == role), "admin lacks {role}");
    }

    let reader =
        roles(&verify_with_jwks(&issuer, double.access_token(users::READER).expose()).await);
    assert!(reader.iter().any(|role| role == "entity-registry-read"));
    assert!(reader.iter().any(|role| role == "job-service-read"));
    assert!(reader.iter().any(|role| role == "handle-read"));
    assert!(
        !reader.iter().any(|role| role.ends_with("-write")),
        "{reader:?}"
    );
    assert!(
        !reader.iter().any(|role| role.ends_with("-admin")),
        "{reader:?}"
    );
}

#[tokio::test]
async fn device_flow_auto_approves() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .device_flow(DeviceApproval::Auto(users::READER))
        .start()
        .await
        .unwrap();
    let issuer = double.issuer();
    let device = start_device(&issuer, "openid").await;
    assert!(
        device["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with(issuer.as_str())
    );
    assert_eq!(device["interval"], 1);
    let user_code = device["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "{user_code}");

    let device_code = device["device_code"].as_str().unwrap();
    let reply = poll(&issuer, device_code).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 300);
    assert!(tokens["refresh_token"].is_string());
    let claims = verify_with_jwks(&issuer, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["preferred_username"], "reader");
    let id_claims = verify_with_jwks(&issuer, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(id_claims["aud"], "client-tools");

    // A device code gives tokens once.
    let again = poll(&issuer, device_code).await;
    assert_eq!(oauth_error(&again), "invalid_grant");
}

#[tokio::test]
async fn device_flow_manual_approve() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .device_flow(DeviceApproval::Manual)
        .device_poll_interval(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let issuer = double.issuer();
    let device = start_device(&issuer, "openid").await;
    let device_code = device["device_code"].as_str().unwrap();

    let pending = poll(&issuer, device_code).await;
    assert_eq!(oauth_error(&pending), "authorization_pending");

    // The user code is matched without regard to case or the dash.
    let typed = device["user_code"]
        .as_str()
        .unwrap()
        .replace('-', "")
        .to_lowercase();
    double.approve_device(&typed, users::ADMIN).unwrap();
    let reply = poll(&issuer, device_code).await;
    assert_eq!(reply.status, 200);
    let claims = verify_with_jwks(&issuer, reply.json()["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["preferred_username"], "admin");

    let error = double
        .approve_device("ZZZZ-ZZZZ", users::ADMIN)
        .unwrap_err();
    assert!(error.to_string().contains("ZZZZ-ZZZZ"), "{error}");
    let error = double.approve_device(device["user_code"].as_str().unwrap(), "nobody");
    assert!(error.unwrap_err().to_string().contains("nobody"));
}

#[tokio::test]
async fn device_flow_deny() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .device_flow(DeviceApproval::Manual)
        .device_poll_interval(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let issuer = double.issuer();
    let device = start_device(&issuer, "openid").await;
    double
        .deny_device(device["user_code"].as_str().unwrap())
        .unwrap();
    let reply = poll(&issuer, device["device_code"].as_str().unwrap()).await;
    assert_eq!(oauth_error(&reply), "access_denied");
    // A denied code cannot be approved afterwards.
    assert!(
        double
            .approve_device(device["user_code"].as_str().unwrap(), users::WRITER)
            .is_err()
    );
}

#[tokio::test]
async fn device_flow_slow_down() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .device_flow(DeviceApproval::Manual)
        .device_poll_interval(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let issuer = double.issuer();
    let device = start_device(&issuer, "openid").await;
    assert_eq!(device["interval"], 30);
    let device_code = device["device_code"].as_str().unwrap();
    assert_eq!(
        oauth_error(&poll(&issuer, device_code).await),
        "authorization_pending"
    );
    assert_eq!(oauth_error(&poll(&issuer, device_code).await), "slow_down");
}

#[tokio::test]
async fn device_flow_expiry() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .device_flow(DeviceApproval::Manual)
        .device_poll_interval(Duration::ZERO)
        .device_code_lifetime(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let issuer = double.issuer();
    let device = start_device(&issuer, "openid").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reply = poll(&issuer, device["device_code"].as_str().unwrap()).await;
    assert_eq!(oauth_error(&reply), "expired_token");
}

#[tokio::test]
async fn device_flow_rejects_unknown_client() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let reply = post_form(
        &double.issuer(),
        DEVICE_PATH,
        &[("client_id", "someone-else")],
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "invalid_client");
}

#[tokio::test]
async fn refresh_rotates_tokens() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let first = device_tokens(&double, "openid").await;
    let first_refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(first["refresh_expires_in"], 1800);

    let reply = refresh(&issuer, first_refresh).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let second = reply.json();
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(second["access_token"], first["access_token"]);
    let claims = verify_with_jwks(&issuer, second["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["preferred_username"], "writer");

    // The old refresh token stopped working; the new one works once.
    let reused = refresh(&issuer, first_refresh).await;
    assert_eq!(oauth_error(&reused), "invalid_grant");
    assert_eq!(refresh(&issuer, second_refresh).await.status, 200);
    assert_eq!(
        oauth_error(&refresh(&issuer, "not-a-token").await),
        "invalid_grant"
    );
}

#[tokio::test]
async fn refresh_token_expires() {
    let double = ProvenaDouble::builder()
        .seed(false)
        .refresh_token_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let tokens = device_tokens(&double, "openid").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let reply = refresh(&double.issuer(), tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(oauth_error(&reply), "invalid_grant");
    assert_eq!(reply.json()["error_description"], "Token is not active");
}

#[tokio::test]
async fn offline_token_is_reusable() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let offline = double.offline_token(users::READER);
    for _ in 0..2 {
        let reply = refresh(&issuer, offline.expose()).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let tokens = reply.json();
        assert_eq!(tokens["refresh_token"], offline.expose());
        assert_eq!(tokens["refresh_expires_in"], 0);
        let claims = verify_with_jwks(&issuer, tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(claims["preferred_username"], "reader");
    }

    // The device flow with offline_access also gives an offline token.
    let tokens = device_tokens(&double, "openid offline_access").await;
    assert_eq!(tokens["refresh_expires_in"], 0);
    assert!(tokens["scope"].as_str().unwrap().contains("offline_access"));
}

#[tokio::test]
async fn revoked_sessions_cannot_refresh() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let tokens = device_tokens(&double, "openid").await;
    let offline = double.offline_token(users::WRITER);
    let other = double.offline_token(users::READER);

    assert_eq!(double.revoke_tokens(users::WRITER), 2);
    let reply = refresh(&issuer, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(oauth_error(&reply), "invalid_grant");
    assert_eq!(
        oauth_error(&refresh(&issuer, offline.expose()).await),
        "invalid_grant"
    );
    // Other users keep their sessions.
    assert_eq!(refresh(&issuer, other.expose()).await.status, 200);
}

#[tokio::test]
async fn client_credentials_grant() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let (client_id, secret) = double.service_account();
    assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");

    let reply = post_form(
        &issuer,
        TOKEN_PATH,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", secret.expose()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let tokens = reply.json();
    assert!(tokens.get("refresh_token").is_none());
    assert!(tokens.get("id_token").is_none());
    assert_eq!(tokens["scope"], "profile email");
    let claims = verify_with_jwks(&issuer, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(
        claims["preferred_username"],
        format!("service-account-{client_id}")
    );
    assert_eq!(claims["azp"], client_id.as_str());

    // HTTP Basic authentication works as well.
    let basic = STANDARD.encode(format!("{client_id}:{}", secret.expose()));
    let reply = send(
        &issuer,
        "POST",
        TOKEN_PATH,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", &format!("Basic {basic}")),
        ],
        b"grant_type=client_credentials",
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);

    // A wrong secret, and the public client, are refused.
    let wrong = post_form(
        &issuer,
        TOKEN_PATH,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
            ("client_secret", "wrong"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "invalid_client");
    let public = post_form(
        &issuer,
        TOKEN_PATH,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "client-tools"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(oauth_error(&public), "unauthorized_client");
}

#[tokio::test]
async fn unknown_grant_type_is_refused() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let reply = post_form(
        &double.issuer(),
        TOKEN_PATH,
        &[("grant_type", "password"), ("client_id", "client-tools")],
    )
    .await
    .unwrap();
    assert_eq!(oauth_error(&reply), "unsupported_grant_type");
}

#[tokio::test]
async fn userinfo_follows_session() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let token = double.access_token(users::ADMIN);
    let path = "/protocol/openid-connect/userinfo";

    let reply = get(&issuer, path, Some(token.expose())).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["preferred_username"], "admin");
    assert_eq!(reply.json()["email"], "admin@example.org");

    double.revoke_tokens(users::ADMIN);
    let reply = get(&issuer, path, Some(token.expose())).await.unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"], "invalid_token");
    assert!(get(&issuer, path, None).await.unwrap().status == 401);
}

#[tokio::test]
async fn revocation_ends_session() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let tokens = device_tokens(&double, "openid").await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    let reply = post_form(
        &issuer,
        "/protocol/openid-connect/revoke",
        &[("client_id", "client-tools"), ("token", refresh_token)],
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(
        oauth_error(&refresh(&issuer, refresh_token).await),
        "invalid_grant"
    );

    // Unknown tokens are accepted without effect, as RFC 7009 requires.
    let reply = post_form(
        &issuer,
        "/protocol/openid-connect/revoke",
        &[("client_id", "client-tools"), ("token", "unknown")],
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn logout_ends_session() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let issuer = double.issuer();
    let offline = double.offline_token(users::WRITER);
    let reply = post_form(
        &issuer,
        "/protocol/openid-connect/logout",
        &[
            ("client_id", "client-tools"),
            ("refresh_token", offline.expose()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 204);
    assert_eq!(
        oauth_error(&refresh(&issuer, offline.expose()).await),
        "invalid_grant"
    );
}
