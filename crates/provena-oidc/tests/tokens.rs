//! Refresh, rotation, revocation, offline tokens, client credentials and single-flight
//! refresh against the real oidc-provider.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Decision, Provider, answer_prompts, channel_prompt, sign_in_error};
use provena_http::{Secret, TokenProvider};
use provena_oidc::{MemoryTokenStore, Session, SignIn, SignInError, TokenStore};

/// A window longer than any token's lifetime, so every call after sign-in refreshes.
const ALWAYS_REFRESH: Duration = Duration::from_secs(3600);

/// Signs `user` in with the device flow and returns the session and its store.
async fn signed_in(
    provider: &Provider,
    client_id: &str,
    scopes: &[&str],
    window: Duration,
    allow_interaction: bool,
) -> (Session, Arc<MemoryTokenStore>) {
    let (prompt, prompts) = channel_prompt();
    let store = Arc::new(MemoryTokenStore::new());
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .client_id(client_id)
        .scopes(scopes.iter().copied())
        .device_flow()
        .store(store.clone())
        .refresh_window(window)
        .allow_interaction(allow_interaction)
        .prompt(prompt)
        .build()
        .unwrap();
    let _browser = answer_prompts(
        provider,
        prompts,
        "writer",
        Decision::Approve,
        Duration::ZERO,
    );
    session.sign_in().await.unwrap();
    (session, store)
}

fn refresh_token(store: &MemoryTokenStore, session: &Session) -> Secret {
    store
        .load(&session.store_key())
        .and_then(|stored| stored.refresh_token)
        .expect("a refresh token is stored")
}

#[tokio::test]
async fn refresh_renews_and_rotates_the_refresh_token() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (session, store) = signed_in(
        &provider,
        "client-tools",
        &["openid"],
        ALWAYS_REFRESH,
        false,
    )
    .await;
    let first_access = session.access_token().await.unwrap();
    let first_refresh = refresh_token(&store, &session);

    let second_access = session.access_token().await.unwrap();

    assert_ne!(second_access, first_access);
    let second_refresh = refresh_token(&store, &session);
    assert_ne!(
        second_refresh, first_refresh,
        "the provider rotates refresh tokens"
    );
    assert_eq!(
        session.claims().unwrap().username.as_deref(),
        Some("writer")
    );
    // The replaced refresh token no longer works at the issuer.
    let (status, body) = provider
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", "client-tools"),
            ("refresh_token", first_refresh.expose()),
        ])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_after_rejection_returns_newer_token_without_request() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (session, _store) = signed_in(
        &provider,
        "client-tools",
        &["openid"],
        Duration::from_secs(5),
        false,
    )
    .await;
    let first = session.access_token().await.unwrap();

    let replaced = session.refresh(&first).await.unwrap();
    let again = session.refresh(&first).await.unwrap();

    assert_ne!(replaced, first);
    assert_eq!(
        again, replaced,
        "a second refresh for the same rejected token reuses the first"
    );
}

#[tokio::test]
async fn revoked_refresh_token_needs_new_sign_in() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (session, store) = signed_in(
        &provider,
        "client-tools",
        &["openid"],
        ALWAYS_REFRESH,
        false,
    )
    .await;
    provider
        .revoke("client-tools", &refresh_token(&store, &session))
        .await;

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(sign_in_error(&error), SignInError::RefreshTokenRejected { client_id } if client_id == "client-tools"),
        "{error:?}"
    );
    assert!(
        store.load(&session.store_key()).is_none(),
        "the rejected sign-in is removed"
    );
}

#[tokio::test]
async fn revoked_refresh_token_restarts_device_flow_when_allowed() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, prompts) = channel_prompt();
    let store = Arc::new(MemoryTokenStore::new());
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .store(store.clone())
        .refresh_window(ALWAYS_REFRESH)
        .prompt(prompt)
        .build()
        .unwrap();
    let browser = answer_prompts(
        &provider,
        prompts,
        "writer",
        Decision::Approve,
        Duration::ZERO,
    );
    session.access_token().await.unwrap();
    provider
        .revoke("client-tools", &refresh_token(&store, &session))
        .await;

    session.access_token().await.unwrap();

    drop(session);
    let pages = browser.await.unwrap();
    assert_eq!(
        pages.len(),
        2,
        "the person was asked to sign in a second time"
    );
}

#[tokio::test]
async fn offline_token_gets_access_tokens() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (session, store) = signed_in(
        &provider,
        "client-tools",
        &["openid", "offline_access"],
        ALWAYS_REFRESH,
        false,
    )
    .await;
    let offline = refresh_token(&store, &session);
    drop(session);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offline-token");
    std::fs::write(&file, format!("{}\n", offline.expose())).unwrap();
    let offline_session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .offline_token_file(&file)
        .refresh_window(ALWAYS_REFRESH)
        .build()
        .unwrap();

    let first = offline_session.access_token().await.unwrap();
    // The provider rotates the offline token too; the session keeps the new one in memory.
    let second = offline_session.access_token().await.unwrap();

    assert_ne!(first, second);
    assert_eq!(
        offline_session.claims().unwrap().username.as_deref(),
        Some("writer")
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap().trim(),
        offline.expose(),
        "the file is never written"
    );
}

#[tokio::test]
async fn rejected_offline_token_says_to_replace_it() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .offline_token("not-a-token-the-issuer-knows")
        .build()
        .unwrap();

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(sign_in_error(&error), SignInError::OfflineTokenRejected),
        "{error:?}"
    );
}

#[tokio::test]
async fn client_credentials_get_service_account_token() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .client_id("provena-service")
        .client_credentials("provena-service-secret")
        .scopes(Vec::<String>::new())
        .build()
        .unwrap();

    let token = session.access_token().await.unwrap();

    let claims = session.claims().unwrap();
    assert_eq!(
        claims.username.as_deref(),
        Some("service-account-provena-service")
    );
    assert_eq!(claims.roles, vec![String::from("data-store-api")]);
    assert_eq!(
        session.access_token().await.unwrap(),
        token,
        "cached while fresh"
    );
}

#[tokio::test]
async fn client_credentials_with_wrong_secret_are_rejected() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .client_id("provena-service")
        .client_credentials("wrong-secret")
        .build()
        .unwrap();

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(sign_in_error(&error), SignInError::ClientRejected { client_id, .. } if client_id == "provena-service"),
        "{error:?}"
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let Some(provider) = Provider::get() else {
        return;
    };
    // Only this test uses this client, so the provider's count is this test's alone.
    let client = "client-tools-counted";
    let (session, _store) = signed_in(&provider, client, &["openid"], ALWAYS_REFRESH, false).await;
    let signed_in_token = session.claims().unwrap();
    let before = provider.token_requests(client, "refresh_token").await;

    let calls = (0..50).map(|_| {
        let session = session.clone();
        tokio::spawn(async move { session.access_token().await })
    });
    let tokens: Vec<Secret> = futures_join(calls).await;

    let after = provider.token_requests(client, "refresh_token").await;
    assert_eq!(
        after - before,
        1,
        "exactly one refresh request for 50 callers"
    );
    assert!(
        tokens.iter().all(|token| *token == tokens[0]),
        "every caller got the refreshed token"
    );
    assert_eq!(signed_in_token.username.as_deref(), Some("writer"));
}

async fn futures_join(
    handles: impl Iterator<Item = tokio::task::JoinHandle<Result<Secret, provena_http::Error>>>,
) -> Vec<Secret> {
    let mut tokens = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        tokens.push(handle.await.unwrap().unwrap());
    }
    tokens
}

#[tokio::test]
async fn static_token_is_returned_and_never_refreshed() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let session = SignIn::new(&provider.http())
        .static_token("fixed-token")
        .build()
        .unwrap();

    assert_eq!(
        session.access_token().await.unwrap().expose(),
        "fixed-token"
    );
    let error = session
        .refresh(&Secret::new("fixed-token"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("static bearer token"), "{error}");
}

#[tokio::test]
async fn cached_token_offered_only_while_fresh() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (fresh, _store) = signed_in(
        &provider,
        "client-tools",
        &["openid"],
        Duration::ZERO,
        false,
    )
    .await;
    let current = fresh.access_token().await.unwrap();
    assert_eq!(fresh.cached_token(), Some(current));

    let (expiring, _store) = signed_in(
        &provider,
        "client-tools",
        &["openid"],
        ALWAYS_REFRESH,
        false,
    )
    .await;
    assert_eq!(expiring.cached_token(), None);

    let fixed = SignIn::new(&provider.http())
        .static_token("fixed-token")
        .build()
        .unwrap();
    assert_eq!(
        fixed.cached_token().map(|token| token.expose().to_owned()),
        Some(String::from("fixed-token"))
    );
}
