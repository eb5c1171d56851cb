//! A throwaway certificate authority and an HTTPS server on 127.0.0.1, for the TLS tests.
//!
//! [`TestCa`] makes a CA and leaf certificates with rcgen at test time. [`TlsServer`] serves
//! one leaf with tokio-rustls and hyper-util's `auto` builder, which speaks HTTP/1.1 or
//! HTTP/2, whichever the client uses. It responds to every request with `{"ok": true}` after
//! an optional delay. It records TCP connections, finished handshakes, the ALPN lists that
//! clients offered, and each request's version, path and `Authorization` header.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the support code"
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Version;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::Acceptor;
use tokio_rustls::rustls::{self, ServerConfig};

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
    der: CertificateDer<'static>,
}

impl TestCa {
    /// Makes a CA named `name`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let certificate = params.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: certificate.pem(),
            der: certificate.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Returns the CA certificate in PEM form.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// Returns the CA certificate in DER form.
    pub fn der(&self) -> &[u8] {
        self.der.as_ref()
    }

    /// Issues a server certificate for `names` (DNS names or IP addresses).
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |_| {})
    }

    /// Issues a server certificate for `names` that expired in 2001.
    pub fn expired_leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(names, |params| {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        })
    }

    fn leaf_with(&self, names: &[&str], adjust: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, "provena-rs test server");
        adjust(&mut params);
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Leaf {
            chain: vec![certificate.der().clone(), self.der.clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        }
    }
}

/// A server certificate with its chain and private key.
pub struct Leaf {
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
}

impl Leaf {
    /// Builds a rustls server configuration that serves this certificate and offers the
    /// protocols in `alpn`.
    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                self.chain.clone(),
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )
            .expect("server certificate");
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        Arc::new(config)
    }
}

/// The ALPN list of a server that speaks HTTP/2 and HTTP/1.1.
pub const H2_AND_HTTP11: &[&[u8]] = &[b"h2", b"http/1.1"];
/// The ALPN list of a server that speaks HTTP/1.1 only.
pub const HTTP11_ONLY: &[&[u8]] = &[b"http/1.1"];

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub version: Version,
    pub path: String,
    pub authorization: Option<String>,
}

#[derive(Default)]
struct Records {
    tcp_connections: AtomicUsize,
    handshakes: AtomicUsize,
    offered_alpn: Mutex<Vec<Vec<Vec<u8>>>>,
    requests: Mutex<Vec<Seen>>,
}

/// An HTTPS server on 127.0.0.1 that stops when dropped.
pub struct TlsServer {
    addr: SocketAddr,
    records: Arc<Records>,
    task: JoinHandle<()>,
}

impl TlsServer {
    /// Serves `leaf`, offering the protocols in `alpn`, and responds after `delay`.
    pub async fn start(leaf: &Leaf, alpn: &[&[u8]], delay: Duration) -> TlsServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(
                leaf.chain.clone(),
                PrivateKeyDer::Pkcs8(leaf.key.clone_key()),
            )
            .expect("server certificate");
        config.alpn_protocols = alpn.iter().map(|protocol| protocol.to_vec()).collect();
        let config = Arc::new(config);

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let records = Arc::new(Records::default());
        let shared = records.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                shared.tcp_connections.fetch_add(1, Ordering::SeqCst);
                let records = shared.clone();
                let config = config.clone();
                tokio::spawn(async move {
                    serve_connection(tcp, config, records, delay).await;
                });
            }
        });
        TlsServer {
            addr,
            records,
            task,
        }
    }

    /// Returns `https://<host>:<port>` for this server.
    pub fn url(&self, host: &str) -> String {
        format!("https://{host}:{}", self.addr.port())
    }

    /// Returns the number of TCP connections accepted.
    pub fn tcp_connections(&self) -> usize {
        self.records.tcp_connections.load(Ordering::SeqCst)
    }

    /// Returns the number of TLS handshakes that finished.
    pub fn handshakes(&self) -> usize {
        self.records.handshakes.load(Ordering::SeqCst)
    }

    /// Returns the ALPN list each client offered, one entry per connection.
    pub fn offered_alpn(&self) -> Vec<Vec<Vec<u8>>> {
        self.records.offered_alpn.lock().expect("records").clone()
    }

    /// Returns the requests received so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.records.requests.lock().expect("records").clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_connection(
    tcp: tokio::net::TcpStream,
    config: Arc<ServerConfig>,
    records: Arc<Records>,
    delay: Duration,
) {
    let Ok(start) = LazyConfigAcceptor::new(Acceptor::default(), tcp).await else {
        return;
    };
    let offered: Vec<Vec<u8>> = start
        .client_hello()
        .alpn()
        .map(|protocols| protocols.map(<[u8]>::to_vec).collect())
        .unwrap_or_default();
    records.offered_alpn.lock().expect("records").push(offered);
    // A client that rejects the certificate aborts the handshake here.
    let Ok(tls) = start.into_stream(config).await else {
        return;
    };
    records.handshakes.fetch_add(1, Ordering::SeqCst);
    let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let records = records.clone();
        async move {
            records.requests.lock().expect("records").push(Seen {
                version: request.version(),
                path: request.uri().path().to_owned(),
                authorization: request
                    .headers()
                    .get(http::header::AUTHORIZATION)
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
            });
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let response = http::Response::builder()
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from_static(br#"{"ok": true}"#)))
                .expect("response");
            Ok::<_, Infallible>(response)
        }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(tls), service)
        .await;
}

/// Builds a command that runs the ignored test `name` of the current test binary in a child
/// process, with no `PROVENA_*` or `SSL_CERT_*` variables inherited. Tests that depend on
/// environment variables set them on this command, so they never race other tests.
pub fn child_test(name: &str) -> tokio::process::Command {
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = tokio::process::Command::new(exe);
    command.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (key, _) in std::env::vars_os() {
        let text = key.to_string_lossy();
        if text.starts_with("PROVENA_") || text.starts_with("SSL_CERT_") {
            command.env_remove(&key);
        }
    }
    command.kill_on_drop(true);
    command
}

/// Runs `command` and returns its stdout, failing the test when the child failed.
pub async fn run_child(mut command: tokio::process::Command) -> String {
    let output = command.output().await.expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child test failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test\nstdout:\n{stdout}"
    );
    stdout
}
