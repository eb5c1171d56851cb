//! The `native-roots` feature: `RootCertificates::Native` trusts the CA that `SSL_CERT_FILE`
//! names (rustls-native-certs reads only that file when the variable is set), and the
//! default webpki roots do not.
//!
//! The variable must be set before the store is read, so each check runs in a child process
//! started with its own environment.

mod tls_support;

use std::sync::Arc;
use std::time::Duration;

use provena_http::{
    Config, Error, HttpClient, Operation, RetryPolicy, RootCertificates, Service, StaticToken,
};
use serde_json::Value;
use tls_support::{H2_AND_HTTP11, TestCa, TlsServer};

const PROBE: Operation = Operation::get(Service::Registry, "tls_probe", "/probe");

/// The base URL the child sends its requests to; unset outside the child.
const CHILD_URL: &str = "PROVENA_TEST_NATIVE_ROOTS_URL";

#[tokio::test]
async fn native_roots_trust_ssl_cert_file() {
    let ca = TestCa::new("provena-rs native-roots CA");
    let server = TlsServer::start(
        &ca.leaf(&["localhost", "127.0.0.1"]),
        H2_AND_HTTP11,
        Duration::ZERO,
    )
    .await;
    let folder = tempfile::tempdir().expect("temporary folder");
    let bundle = folder.path().join("roots.pem");
    std::fs::write(&bundle, ca.pem()).expect("write");

    let mut command = tls_support::child_test("child_requests_native_and_webpki");
    command
        .env("SSL_CERT_FILE", &bundle)
        .env(CHILD_URL, server.url("127.0.0.1"));
    tls_support::run_child(command).await;

    // The native-roots request arrived; the webpki one stopped at the handshake.
    assert_eq!(server.requests().len(), 1);
    assert_eq!(server.handshakes(), 1);
    assert_eq!(server.tcp_connections(), 2);
}

#[tokio::test]
async fn empty_native_store_fails_client() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let bundle = folder.path().join("empty.pem");
    std::fs::write(&bundle, "no certificates\n").expect("write");

    let mut command = tls_support::child_test("child_sees_empty_native_store");
    command
        .env("SSL_CERT_FILE", &bundle)
        .env(CHILD_URL, "https://127.0.0.1:9");
    tls_support::run_child(command).await;
}

fn child_url() -> Option<String> {
    let url = std::env::var(CHILD_URL).ok();
    if url.is_none() {
        eprintln!("skipped: this test runs only as the child of a native_roots test");
    }
    url
}

fn native_config(url: &str) -> Config {
    Config::builder()
        .single_base(url)
        .root_certificates(RootCertificates::Native)
        .retry(RetryPolicy::disabled())
        .build()
        .expect("config")
}

#[tokio::test]
#[ignore = "run in a child process by native_roots_trust_ssl_cert_file"]
async fn child_requests_native_and_webpki() {
    let Some(url) = child_url() else {
        return;
    };
    let native = HttpClient::new(native_config(&url), Arc::new(StaticToken::new("t")))
        .expect("native-roots client");
    let answer: Value = native
        .call(&PROBE)
        .send_json()
        .await
        .expect("the SSL_CERT_FILE CA is trusted");
    assert_eq!(answer["ok"], Value::Bool(true));

    let webpki_config = Config::builder()
        .single_base(&url)
        .retry(RetryPolicy::disabled())
        .build()
        .expect("config");
    assert_eq!(webpki_config.root_certificates(), RootCertificates::Webpki);
    let webpki =
        HttpClient::new(webpki_config, Arc::new(StaticToken::new("t"))).expect("webpki client");
    let error = webpki
        .call(&PROBE)
        .send_json::<Value>()
        .await
        .expect_err("the test CA is not a webpki root");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.to_string().contains("unknown issuer"), "{error}");
}

#[test]
#[ignore = "run in a child process by empty_native_store_fails_client"]
fn child_sees_empty_native_store() {
    let Some(url) = child_url() else {
        return;
    };
    let error = HttpClient::new(native_config(&url), Arc::new(StaticToken::new("t")))
        .expect_err("an empty store");
    let message = error.to_string();
    assert!(
        message.starts_with("invalid tls `native roots`: "),
        "{message}"
    );
    assert!(message.contains("no usable root certificate"), "{message}");
    assert!(message.contains("SSL_CERT_FILE"), "{message}");
}
