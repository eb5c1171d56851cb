//! Sign-in logs each step under the `provena_oidc` target and never logs a secret.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Decision, Provider, answer_prompts};
use provena_http::TokenProvider;
use provena_oidc::{DeviceCodePrompt, MemoryTokenStore, SignIn, TokenStore};
use tokio::sync::mpsc;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread, so the browser task and the session log through the same subscriber.
#[tokio::test(flavor = "current_thread")]
async fn sign_in_logs_steps_without_secrets() {
    let Some(provider) = Provider::get() else {
        return;
    };
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("provena_oidc=debug")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (sender, prompts) = mpsc::unbounded_channel();
    let user_codes = Arc::new(Mutex::new(Vec::new()));
    let seen = user_codes.clone();
    let prompt = move |prompt: &DeviceCodePrompt| {
        seen.lock()
            .unwrap()
            .push(prompt.user_code.expose().to_owned());
        let _ = sender.send(prompt.clone());
    };
    let store = Arc::new(MemoryTokenStore::new());
    let session = SignIn::new(&provider.http())
        .issuer(provider.issuer.as_str())
        .device_flow()
        .store(store.clone())
        .refresh_window(Duration::from_secs(3600))
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

    let first = session.access_token().await.unwrap();
    let second = session.access_token().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for step in [
        "issuer discovered",
        "device code issued",
        "waiting for approval",
        "device sign-in approved",
        "refreshing the access token",
        "the issuer rotated the refresh token",
        "access token renewed",
        "expires_in_secs",
    ] {
        assert!(logs.contains(step), "no `{step}` in:\n{logs}");
    }
    let refresh = store
        .load(&session.store_key())
        .unwrap()
        .refresh_token
        .unwrap();
    let user_code = user_codes.lock().unwrap()[0].clone();
    for secret in [
        first.expose(),
        second.expose(),
        refresh.expose(),
        user_code.as_str(),
    ] {
        assert!(!logs.contains(secret), "a secret was logged:\n{logs}");
    }
}
