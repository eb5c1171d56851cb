//! The device flow against the real oidc-provider, approved and denied through its own pages.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Decision, Provider, answer_prompts, channel_prompt, sign_in_error};
use provena_http::TokenProvider;
use provena_oidc::{MemoryTokenStore, SignIn, SignInError, TokenStore};

#[tokio::test]
async fn device_flow_signs_in_after_approval() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, prompts) = channel_prompt();
    let store = Arc::new(MemoryTokenStore::new());
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .scopes(["openid", "profile"])
        .store(store.clone())
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

    let token = session.access_token().await.unwrap();

    let claims = session.claims().expect("validated claims");
    assert_eq!(claims.username.as_deref(), Some("writer"));
    assert_eq!(claims.email.as_deref(), Some("writer@example.org"));
    assert!(
        claims
            .roles
            .iter()
            .any(|role| role == "entity-registry-write")
    );
    assert_eq!(claims.authorized_party.as_deref(), Some("client-tools"));
    let stored = store.load(&session.store_key()).expect("sign-in stored");
    assert_eq!(stored.access_token.as_ref(), Some(&token));
    assert!(stored.refresh_token.is_some());
    // A second call within the token's lifetime sends nothing and returns the same token.
    assert_eq!(session.access_token().await.unwrap(), token);
    drop(session);
    let pages = browser.await.unwrap();
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0].body.contains("Sign-in Success"),
        "{}",
        pages[0].body
    );
}

#[tokio::test]
async fn device_flow_keeps_polling_while_pending() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, prompts) = channel_prompt();
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();
    let delay = Duration::from_millis(3500);
    let _browser = answer_prompts(&provider, prompts, "reader", Decision::Approve, delay);
    let before = provider
        .token_requests(
            "client-tools",
            "urn:ietf:params:oauth:grant-type:device_code",
        )
        .await;
    let started = Instant::now();

    session.access_token().await.unwrap();

    assert!(started.elapsed() >= delay);
    assert_eq!(
        session.claims().unwrap().username.as_deref(),
        Some("reader")
    );
    let polls = provider
        .token_requests(
            "client-tools",
            "urn:ietf:params:oauth:grant-type:device_code",
        )
        .await
        - before;
    // The provider sets a 1 s interval, so 3.5 s of waiting takes at least three polls.
    assert!(polls >= 3, "only {polls} polls");
}

#[tokio::test]
async fn device_flow_slows_down_when_asked() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, prompts) = channel_prompt();
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .client_id("client-tools-slow")
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();
    let _browser = answer_prompts(
        &provider,
        prompts,
        "writer",
        Decision::Approve,
        Duration::ZERO,
    );
    let started = Instant::now();

    // This client gets slow_down when it polls less than 3 s apart. A client that ignores it
    // keeps polling every second and never gets a token.
    let result = tokio::time::timeout(Duration::from_secs(40), session.access_token()).await;

    result.expect("signed in before the timeout").unwrap();
    // First poll at once, second after the 1 s interval (slow_down), third 5 s later.
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn device_flow_reports_abort_as_access_denied() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, prompts) = channel_prompt();
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();
    let _browser = answer_prompts(
        &provider,
        prompts,
        "writer",
        Decision::AbortAtConfirmation,
        Duration::ZERO,
    );

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(sign_in_error(&error), SignInError::AccessDenied),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "sign-in failed: access denied");
}

#[tokio::test]
async fn device_flow_reports_consent_refusal_as_access_denied() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, prompts) = channel_prompt();
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();
    let _browser = answer_prompts(
        &provider,
        prompts,
        "writer",
        Decision::DenyAtConsent,
        Duration::ZERO,
    );

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(sign_in_error(&error), SignInError::AccessDenied),
        "{error:?}"
    );
}

#[tokio::test]
async fn device_flow_reports_expired_code() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let (prompt, mut prompts) = channel_prompt();
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .client_id("client-tools-expiring")
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();

    let error = session.access_token().await.unwrap_err();

    let shown = prompts.recv().await.expect("the code was shown");
    assert_eq!(shown.expires_in, Duration::from_secs(3));
    assert!(
        matches!(
            sign_in_error(&error),
            SignInError::DeviceCodeExpired { expires_in_secs: 3 }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn interaction_required_when_not_allowed() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .no_store()
        .allow_interaction(false)
        .prompt(|_: &provena_oidc::DeviceCodePrompt| panic!("no prompt expected"))
        .build()
        .unwrap();

    let error = session.access_token().await.unwrap_err();

    assert!(
        matches!(
            sign_in_error(&error),
            SignInError::InteractionRequired { .. }
        ),
        "{error:?}"
    );
}
