//! TLS through `HttpClient` against HTTPS servers on 127.0.0.1 that each test starts with a
//! CA made at test time: HTTP/2 by ALPN, HTTP/1.1 keep-alive, extra root certificates, and
//! the errors for rejected certificates and bad PEM input.

mod tls_support;

use std::sync::Arc;
use std::time::Duration;

use http::Version;
use provena_http::{
    Config, ConfigBuilder, Error, HttpClient, Operation, RetryPolicy, Service, StaticToken,
};
use serde_json::Value;
use tls_support::{H2_AND_HTTP11, HTTP11_ONLY, TestCa, TlsServer};

const PROBE: Operation = Operation::get(Service::Registry, "tls_probe", "/probe");

/// The names every leaf is issued for, unless a test wants another.
const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1"];

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
    }
}

/// Starts a config that sends every service to `server` at 127.0.0.1.
fn config_for(server: &TlsServer) -> ConfigBuilder {
    Config::builder()
        .single_base(server.url("127.0.0.1"))
        .retry(quick_retries())
}

fn client(config: ConfigBuilder) -> HttpClient {
    HttpClient::new(
        config.build().expect("config"),
        Arc::new(StaticToken::new("tls-test-token")),
    )
    .expect("client")
}

async fn probe(client: &HttpClient) -> Result<Value, Error> {
    client.call(&PROBE).send_json::<Value>().await
}

fn both_protocols() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec(), b"http/1.1".to_vec()]
}

/// Sends 20 concurrent GETs to an h2 server, after `warm_up` sequential ones, and checks
/// that every request went over HTTP/2 and all of them shared one TLS connection.
async fn check_h2_multiplexing(warm_up: usize) {
    let ca = TestCa::new("provena-rs test CA");
    let server = TlsServer::start(
        &ca.leaf(LOCAL_NAMES),
        H2_AND_HTTP11,
        Duration::from_millis(100),
    )
    .await;
    let client = client(config_for(&server).add_root_certificate_pem(ca.pem()));
    for _ in 0..warm_up {
        probe(&client).await.expect("warm-up request");
    }

    let calls = (0..20).map(|_| probe(&client));
    let results = futures::future::join_all(calls).await;

    for result in results {
        assert_eq!(result.expect("request over h2")["ok"], Value::Bool(true));
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 20 + warm_up);
    assert!(
        requests.iter().all(|seen| seen.version == Version::HTTP_2),
        "{requests:?}"
    );
    assert_eq!(server.tcp_connections(), 1);
    assert_eq!(server.handshakes(), 1);
    assert_eq!(server.offered_alpn(), vec![both_protocols()]);
}

#[tokio::test]
async fn h2_multiplexes_on_one_connection() {
    check_h2_multiplexing(1).await;
}

#[tokio::test]
async fn h2_multiplexes_from_cold_pool() {
    check_h2_multiplexing(0).await;
}

#[tokio::test]
async fn http11_keeps_one_connection_alive() {
    let ca = TestCa::new("provena-rs test CA");
    let server = TlsServer::start(&ca.leaf(LOCAL_NAMES), HTTP11_ONLY, Duration::ZERO).await;
    let client = client(config_for(&server).add_root_certificate_pem(ca.pem()));

    for _ in 0..10 {
        let answer = probe(&client).await.expect("request over HTTP/1.1");
        assert_eq!(answer["ok"], Value::Bool(true));
    }

    let requests = server.requests();
    assert_eq!(requests.len(), 10);
    assert!(
        requests.iter().all(|seen| seen.version == Version::HTTP_11),
        "{requests:?}"
    );
    assert_eq!(server.tcp_connections(), 1);
    assert_eq!(server.handshakes(), 1);
    // The client still offers both; the server picked HTTP/1.1.
    assert_eq!(server.offered_alpn(), vec![both_protocols()]);
}

#[tokio::test]
async fn private_ca_trusted_only_when_added() {
    let ca = TestCa::new("provena-rs private CA");
    let server = TlsServer::start(&ca.leaf(LOCAL_NAMES), H2_AND_HTTP11, Duration::ZERO).await;

    let trusting = client(config_for(&server).add_root_certificate_pem(ca.pem()));
    let answer = probe(&trusting).await.expect("trusted private CA");
    assert_eq!(answer["ok"], Value::Bool(true));
    assert_eq!(server.requests().len(), 1);

    let default_roots = client(config_for(&server));
    let error = probe(&default_roots).await.expect_err("unknown issuer");
    let message = error.to_string();
    assert!(
        matches!(error, Error::Transport { .. }),
        "{error:?}: {message}"
    );
    assert!(
        message.contains("TLS certificate was rejected"),
        "{message}"
    );
    assert!(message.contains("unknown issuer"), "{message}");
    assert!(message.contains("add_root_certificate_pem"), "{message}");
    assert!(message.contains("PROVENA_EXTRA_CA_CERTS"), "{message}");
    assert!(message.contains("native-roots"), "{message}");
    assert!(!error.is_retryable());
    // One connection for the trusting client, one for the rejected attempt: a rejected
    // certificate is not retried.
    assert_eq!(server.tcp_connections(), 2);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn several_added_roots_trusted() {
    let first = TestCa::new("provena-rs CA one");
    let second = TestCa::new("provena-rs CA two");
    let first_server =
        TlsServer::start(&first.leaf(LOCAL_NAMES), H2_AND_HTTP11, Duration::ZERO).await;
    let second_server =
        TlsServer::start(&second.leaf(LOCAL_NAMES), H2_AND_HTTP11, Duration::ZERO).await;

    let config = Config::builder()
        .single_base(first_server.url("127.0.0.1"))
        .endpoint(Service::Datastore, second_server.url("127.0.0.1"))
        .add_root_certificate_pem(first.pem())
        .add_root_certificate_pem(second.pem().as_bytes())
        .build()
        .expect("config");
    assert_eq!(config.extra_root_count(), 2);
    let der: Vec<&[u8]> = config.extra_root_certificates_der().collect();
    assert_eq!(der, vec![first.der(), second.der()]);
    let client = HttpClient::new(config, Arc::new(StaticToken::new("t"))).expect("client");

    const DATASTORE_PROBE: Operation = Operation::get(Service::Datastore, "probe", "/probe");
    probe(&client).await.expect("first CA");
    client
        .call(&DATASTORE_PROBE)
        .send_json::<Value>()
        .await
        .expect("second CA");
    assert_eq!(first_server.requests().len(), 1);
    assert_eq!(second_server.requests().len(), 1);
}

#[tokio::test]
async fn other_name_is_name_mismatch() {
    let ca = TestCa::new("provena-rs test CA");
    let server = TlsServer::start(
        &ca.leaf(&["other.example.org"]),
        H2_AND_HTTP11,
        Duration::ZERO,
    )
    .await;
    let client = client(config_for(&server).add_root_certificate_pem(ca.pem()));

    let error = probe(&client).await.expect_err("name mismatch");
    let message = error.to_string();
    assert!(
        message.contains("TLS certificate was rejected"),
        "{message}"
    );
    assert!(
        message.contains("not valid for this host name"),
        "{message}"
    );
    assert!(!error.is_retryable());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn expired_leaf_reported_expired() {
    let ca = TestCa::new("provena-rs test CA");
    let server =
        TlsServer::start(&ca.expired_leaf(LOCAL_NAMES), H2_AND_HTTP11, Duration::ZERO).await;
    let client = client(config_for(&server).add_root_certificate_pem(ca.pem()));

    let error = probe(&client).await.expect_err("expired");
    let message = error.to_string();
    assert!(message.contains("has expired"), "{message}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn bearer_token_sent_over_tls() {
    let ca = TestCa::new("provena-rs test CA");
    let server = TlsServer::start(&ca.leaf(LOCAL_NAMES), H2_AND_HTTP11, Duration::ZERO).await;
    let client = HttpClient::new(
        config_for(&server)
            .add_root_certificate_pem(ca.pem())
            .build()
            .expect("config"),
        Arc::new(StaticToken::new("secret-over-tls")),
    )
    .expect("client");

    probe(&client).await.expect("request");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/registry/probe");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bearer secret-over-tls")
    );
    assert_eq!(server.handshakes(), 1);
}

/// Returns the `Error::Config` fields of `error`, failing the test for another error.
fn config_error(error: Error) -> (String, String, String) {
    match error {
        Error::Config { field, value, fix } => (field, value, fix),
        other => panic!("expected a config error, got {other:?}"),
    }
}

fn builder() -> ConfigBuilder {
    Config::builder().single_base("https://127.0.0.1:9")
}

#[test]
fn pem_without_certificate_rejected() {
    let key_only = rcgen::KeyPair::generate().expect("key").serialize_pem();
    let error = builder()
        .add_root_certificate_pem(key_only)
        .build()
        .expect_err("no certificate");
    let (field, value, fix) = config_error(error);
    assert_eq!(field, "add_root_certificate_pem");
    assert!(value.starts_with("PEM input #1 "), "{value}");
    assert!(
        fix.contains("contains no `-----BEGIN CERTIFICATE-----` block"),
        "{fix}"
    );
}

#[test]
fn malformed_pem_names_input() {
    let ca = TestCa::new("provena-rs test CA");
    let truncated = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    let error = builder()
        .add_root_certificate_pem(ca.pem())
        .add_root_certificate_pem(truncated)
        .build()
        .expect_err("malformed");
    let (field, value, fix) = config_error(error);
    assert_eq!(field, "add_root_certificate_pem");
    assert_eq!(value, format!("PEM input #2 ({} bytes)", truncated.len()));
    assert!(fix.starts_with("not valid PEM"), "{fix}");
}

#[test]
fn unusable_certificate_rejected() {
    // Valid PEM and base64, but the bytes are not an X.509 certificate.
    let garbage = "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
    let error = builder()
        .add_root_certificate_pem(garbage)
        .build()
        .expect_err("not a certificate");
    let (field, _value, fix) = config_error(error);
    assert_eq!(field, "add_root_certificate_pem");
    assert!(
        fix.starts_with("certificate 1 cannot be used as a root certificate"),
        "{fix}"
    );
}

#[test]
fn env_file_errors_name_path() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let missing = folder.path().join("missing.pem");
    let missing = missing.to_str().expect("UTF-8 path").to_owned();
    let lookup_missing = |name: &str| (name == "PROVENA_EXTRA_CA_CERTS").then(|| missing.clone());
    let (field, value, fix) =
        config_error(builder().env(lookup_missing).build().expect_err("missing"));
    assert_eq!(field, "PROVENA_EXTRA_CA_CERTS");
    assert_eq!(value, missing);
    assert!(fix.starts_with("cannot read the file ("), "{fix}");
    assert!(fix.contains("No such file"), "{fix}");

    let empty = folder.path().join("empty.pem");
    std::fs::write(&empty, "no certificates here\n").expect("write");
    let empty = empty.to_str().expect("UTF-8 path").to_owned();
    let lookup_empty = |name: &str| (name == "PROVENA_EXTRA_CA_CERTS").then(|| empty.clone());
    let (field, value, fix) = config_error(builder().env(lookup_empty).build().expect_err("empty"));
    assert_eq!(field, "PROVENA_EXTRA_CA_CERTS");
    assert_eq!(value, empty);
    assert!(fix.contains("contains no"), "{fix}");
}

#[tokio::test]
async fn env_file_root_trusted() {
    let ca = TestCa::new("provena-rs env CA");
    let server = TlsServer::start(&ca.leaf(LOCAL_NAMES), H2_AND_HTTP11, Duration::ZERO).await;
    let folder = tempfile::tempdir().expect("temporary folder");
    let path = folder.path().join("ca.pem");
    std::fs::write(&path, ca.pem()).expect("write");
    let path = path.to_str().expect("UTF-8 path").to_owned();

    let config = config_for(&server)
        .env(|name| (name == "PROVENA_EXTRA_CA_CERTS").then(|| path.clone()))
        .build()
        .expect("config");
    assert_eq!(config.extra_root_count(), 1);
    let client = HttpClient::new(config, Arc::new(StaticToken::new("t"))).expect("client");
    probe(&client).await.expect("CA from the file");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn debug_shows_extra_root_count() {
    let ca = TestCa::new("provena-rs test CA");
    let config = builder()
        .add_root_certificate_pem(ca.pem())
        .build()
        .expect("config");
    let debug_text = format!("{config:?}");
    assert!(
        debug_text.contains("ExtraRoots { count: 1 }"),
        "{debug_text}"
    );
    let body_line = ca.pem().lines().nth(1).expect("PEM body");
    assert!(!debug_text.contains(body_line), "{debug_text}");

    let pending = format!("{:?}", builder().add_root_certificate_pem(ca.pem()));
    assert!(pending.contains("Pem(#1, "), "{pending}");
    assert!(!pending.contains(body_line), "{pending}");
}

/// Set on the child process that runs `child_prints_config_from_env`.
const CHILD_MARKER: &str = "PROVENA_TEST_TLS_CHILD";

/// Runs `Config::from_env` in a child process with `PROVENA_EXTRA_CA_CERTS` set to `path`
/// and returns what it printed: `Ok(<extra root count>)` or `Err(<message>)`.
async fn from_env_in_child(path: &str) -> String {
    let mut command = tls_support::child_test("child_prints_config_from_env");
    command
        .env(CHILD_MARKER, "1")
        .env("PROVENA_DOMAIN", "provena.example.org")
        .env("PROVENA_REALM", "provena")
        .env("PROVENA_EXTRA_CA_CERTS", path);
    let stdout = tls_support::run_child(command).await;
    stdout
        .lines()
        .find_map(|line| line.split_once("from_env: ").map(|(_, result)| result))
        .unwrap_or_else(|| panic!("no result line in\n{stdout}"))
        .to_owned()
}

#[tokio::test]
async fn from_env_reads_extra_ca_certs() {
    let ca = TestCa::new("provena-rs env CA");
    let folder = tempfile::tempdir().expect("temporary folder");
    let good = folder.path().join("ca.pem");
    std::fs::write(
        &good,
        format!("{}{}", ca.pem(), TestCa::new("second").pem()),
    )
    .expect("write");
    let without = folder.path().join("notes.pem");
    std::fs::write(&without, "not a certificate\n").expect("write");
    let missing = folder.path().join("missing.pem");
    let text = |path: &std::path::Path| path.to_str().expect("UTF-8 path").to_owned();

    assert_eq!(from_env_in_child(&text(&good)).await, "Ok(2)");

    let result = from_env_in_child(&text(&without)).await;
    assert!(
        result.starts_with(&format!(
            "Err(invalid PROVENA_EXTRA_CA_CERTS `{}`: contains no",
            text(&without)
        )),
        "{result}"
    );

    let result = from_env_in_child(&text(&missing)).await;
    assert!(
        result.starts_with(&format!(
            "Err(invalid PROVENA_EXTRA_CA_CERTS `{}`: cannot read the file (",
            text(&missing)
        )),
        "{result}"
    );
    assert!(result.contains("No such file"), "{result}");
}

#[test]
#[ignore = "run in a child process by from_env_reads_extra_ca_certs"]
fn child_prints_config_from_env() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        eprintln!("skipped: this test runs only as the child of from_env_reads_extra_ca_certs");
        return;
    }
    match Config::from_env() {
        Ok(config) => println!("from_env: Ok({})", config.extra_root_count()),
        Err(error) => println!("from_env: Err({error})"),
    }
}
