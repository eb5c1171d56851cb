//! Access-token validation against the issuer's key set (signature, `exp`, `iss`), and the
//! key set refetch when the issuer rotates its keys.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{Provider, sign_in_error};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use provena_http::Secret;
use provena_oidc::{Issuer, SignInError};

const CERTS: &str = "/protocol/openid-connect/certs";

fn provider_key() -> EncodingKey {
    let pem =
        std::fs::read(common::workspace_root().join("tools/oidc-provider/keys/signing-key.pem"))
            .unwrap();
    EncodingKey::from_rsa_pem(&pem).unwrap()
}

fn unknown_key() -> EncodingKey {
    let pem = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/unknown-key.pem"
    ))
    .unwrap();
    EncodingKey::from_rsa_pem(&pem).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(key: &EncodingKey, kid: &str, issuer: &str, exp: u64) -> Secret {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let claims = serde_json::json!({
        "iss": issuer,
        "exp": exp,
        "sub": "writer",
        "preferred_username": "writer",
        "realm_access": { "roles": ["entity-registry-read"] },
    });
    Secret::new(jsonwebtoken::encode(&header, &claims, key).unwrap())
}

fn invalid_reason(error: &provena_http::Error) -> String {
    match sign_in_error(error) {
        SignInError::InvalidAccessToken { reason } => reason.clone(),
        other => panic!("expected an invalid token, got {other:?}"),
    }
}

#[tokio::test]
async fn token_from_provider_key_is_valid() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let issuer = Issuer::discover(&provider.http(), &provider.issuer)
        .await
        .unwrap();
    let token = sign(
        &provider_key(),
        "provena-test-signing-key",
        issuer.url(),
        now() + 60,
    );

    let claims = issuer.validate(&token).await.unwrap();

    assert_eq!(claims.username.as_deref(), Some("writer"));
    assert_eq!(claims.roles, vec![String::from("entity-registry-read")]);
}

#[tokio::test]
async fn unknown_key_rejected_after_refetch() {
    let Some(provider) = Provider::spawn(&[]) else {
        return;
    };
    let issuer = Issuer::discover(&provider.http(), &provider.issuer)
        .await
        .unwrap();
    let token = sign(&unknown_key(), "unknown-key", issuer.url(), now() + 60);
    let before = provider.path_requests(CERTS).await;

    let error = issuer.validate(&token).await.unwrap_err();

    assert!(
        invalid_reason(&error).contains("does not publish"),
        "{error:?}"
    );
    assert_eq!(
        provider.path_requests(CERTS).await - before,
        1,
        "one refetch of the key set"
    );
}

#[tokio::test]
async fn foreign_signature_rejected() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let issuer = Issuer::discover(&provider.http(), &provider.issuer)
        .await
        .unwrap();
    let token = sign(
        &unknown_key(),
        "provena-test-signing-key",
        issuer.url(),
        now() + 60,
    );

    let error = issuer.validate(&token).await.unwrap_err();

    assert!(
        invalid_reason(&error).contains("signature does not verify"),
        "{error:?}"
    );
}

#[tokio::test]
async fn expired_token_is_rejected() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let issuer = Issuer::discover(&provider.http(), &provider.issuer)
        .await
        .unwrap();
    let token = sign(
        &provider_key(),
        "provena-test-signing-key",
        issuer.url(),
        now() - 10,
    );

    let error = issuer.validate(&token).await.unwrap_err();

    assert_eq!(invalid_reason(&error), "it has expired");
}

#[tokio::test]
async fn token_from_other_issuer_is_rejected() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let issuer = Issuer::discover(&provider.http(), &provider.issuer)
        .await
        .unwrap();
    let token = sign(
        &provider_key(),
        "provena-test-signing-key",
        "http://127.0.0.1:1/auth/realms/other",
        now() + 60,
    );

    let error = issuer.validate(&token).await.unwrap_err();

    assert!(
        invalid_reason(&error).contains("issued by `http://127.0.0.1:1/auth/realms/other`"),
        "{error:?}"
    );
}

#[tokio::test]
async fn malformed_tokens_are_rejected() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let issuer = Issuer::discover(&provider.http(), &provider.issuer)
        .await
        .unwrap();

    for token in ["opaque", "a.b", "a.b.c.d", "!!.e30.sig"] {
        let error = issuer.validate(&Secret::new(token)).await.unwrap_err();
        assert!(!invalid_reason(&error).is_empty(), "{token}");
    }
    let unsigned = format!("eyJhbGciOiJub25lIn0.{}.", "eyJpc3MiOiJ4In0");
    let error = issuer.validate(&Secret::new(unsigned)).await.unwrap_err();
    assert!(
        invalid_reason(&error).contains("not an asymmetric signature"),
        "{error:?}"
    );
}

#[tokio::test]
async fn rotated_issuer_key_is_fetched_on_unknown_kid() {
    let Some(first) = Provider::spawn(&[]) else {
        return;
    };
    let issuer = Issuer::discover(&first.http(), &first.issuer)
        .await
        .unwrap();
    let port = first.port().to_string();
    drop(first);
    // The same issuer URL, now signing with a fresh key.
    let second = Provider::spawn(&["--port", &port, "--generate-key"]).expect("provider restarts");
    let (status, body) = second
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", "provena-service"),
            ("client_secret", "provena-service-secret"),
        ])
        .await;
    assert_eq!(status, 200, "{body}");
    let token = Secret::new(body["access_token"].as_str().unwrap());

    let claims = issuer.validate(&token).await.unwrap();

    assert_eq!(
        claims.username.as_deref(),
        Some("service-account-provena-service")
    );
    assert_eq!(
        second.path_requests(CERTS).await,
        1,
        "the new key set was fetched once"
    );
    // The new key is cached now: a second validation fetches nothing.
    issuer.validate(&token).await.unwrap();
    assert_eq!(second.path_requests(CERTS).await, 1);
}
