//! Dataset file transfers to an S3 endpoint whose TLS certificate comes from a private CA.
//!
//! Each test makes a throwaway CA and server certificate with rcgen and starts an HTTPS
//! server on 127.0.0.1 with tokio-rustls. The server implements just enough S3 for a
//! listing, because it responds to ListObjectsV2 with one object under the requested prefix.

use std::sync::{Arc, Mutex};

use provena_datastore::files::{
    DatasetFiles, DatasetStorage, S3Credentials, StaticCredentials, TransferOptions,
};
use provena_datastore::{DatastoreClient, Error, TransferError};
use provena_http::{Config, HttpClient, StaticToken};
use provena_testkit::{ProvenaDouble, prov_fixture, users};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use url::Url;

/// The one object the server lists, relative to the requested prefix, and its size.
const OBJECT: &str = "data/reef.csv";
const OBJECT_SIZE: u64 = 42;

/// A private CA and a server certificate it signed for 127.0.0.1.
struct PrivateCa {
    ca_der: Vec<u8>,
    ca_pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivatePkcs8KeyDer<'static>,
}

impl PrivateCa {
    fn new() -> PrivateCa {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "provena-rs private test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_certificate = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let mut server_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "provena-rs test S3");
        let server_certificate = server_params.signed_by(&server_key, &issuer).unwrap();

        PrivateCa {
            ca_der: ca_certificate.der().to_vec(),
            ca_pem: ca_certificate.pem(),
            server_chain: vec![
                server_certificate.der().clone(),
                ca_certificate.der().clone(),
            ],
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
        }
    }
}

/// An HTTPS server on 127.0.0.1 that responds to ListObjectsV2 requests. It stops when
/// dropped.
struct ListingServer {
    url: Url,
    requests: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl ListingServer {
    async fn start(ca: &PrivateCa) -> ListingServer {
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                ca.server_chain.clone(),
                PrivateKeyDer::Pkcs8(ca.server_key.clone_key()),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let seen = Arc::clone(&seen);
                tokio::spawn(async move {
                    // A client that does not trust the certificate aborts the handshake.
                    if let Ok(tls) = acceptor.accept(tcp).await {
                        answer(tls, &seen).await;
                    }
                });
            }
        });
        ListingServer {
            url: Url::parse(&format!("https://127.0.0.1:{port}")).unwrap(),
            requests,
            task,
        }
    }

    /// Returns the request targets received, such as `/bucket?list-type=2&prefix=...`.
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for ListingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP/1.1 request head, responds to it and closes the connection.
async fn answer<S>(mut stream: S, seen: &Mutex<Vec<String>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    seen.lock().unwrap().push(target.clone());

    let query = Url::parse(&format!("https://s3.test{target}")).unwrap();
    let pairs: Vec<(String, String)> = query.query_pairs().into_owned().collect();
    let listing = pairs
        .iter()
        .any(|(key, value)| key == "list-type" && value == "2");
    let (status, body) = if listing {
        let prefix = pairs
            .iter()
            .find(|(key, _)| key == "prefix")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        ("200 OK", list_result(&prefix))
    } else {
        (
            "404 Not Found",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>only listings are served</Message></Error>".to_owned(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Builds a ListObjectsV2 result with [`OBJECT`] under `prefix`.
fn list_result(prefix: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <Name>bucket</Name><Prefix>{prefix}</Prefix><KeyCount>1</KeyCount>\
         <MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>\
         <Contents><Key>{prefix}{OBJECT}</Key><LastModified>2024-05-01T10:00:00.000Z</LastModified>\
         <ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><Size>{OBJECT_SIZE}</Size>\
         <StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>"
    )
}

fn storage(endpoint: &Url) -> DatasetStorage {
    DatasetStorage {
        endpoint: endpoint.clone(),
        region: "ap-southeast-2".into(),
        bucket: "private-bucket".into(),
        prefix: "datasets/reef".into(),
    }
}

fn credentials() -> Arc<StaticCredentials> {
    Arc::new(StaticCredentials(S3Credentials {
        access_key_id: "test-key".into(),
        secret_access_key: "test-secret".into(),
        session_token: None,
        expiry: None,
    }))
}

/// Joins an error's message with those of its sources.
fn full_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(" | ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn listing_succeeds_with_private_ca() {
    let ca = PrivateCa::new();
    let server = ListingServer::start(&ca).await;
    let options = TransferOptions::default().with_root_certificate_der(ca.ca_der.clone());
    assert_eq!(options.root_certificate_count(), 1);

    let files = DatasetFiles::new(storage(&server.url), credentials(), options).unwrap();
    let entries = files.list().await.unwrap();

    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].path, OBJECT);
    assert_eq!(entries[0].size, OBJECT_SIZE);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].starts_with("/private-bucket?"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains("prefix=datasets%2Freef%2F"),
        "{}",
        requests[0]
    );
}

#[tokio::test]
async fn listing_fails_without_private_ca() {
    let ca = PrivateCa::new();
    let server = ListingServer::start(&ca).await;
    let options = TransferOptions::default().with_max_retries(0);

    let files = DatasetFiles::new(storage(&server.url), credentials(), options).unwrap();
    let error = files.list().await.unwrap_err();

    assert!(matches!(error, TransferError::File { .. }), "{error:?}");
    assert_eq!(error.failed_file(), Some("<dataset root>"));
    // The first cause names the problem and the fix. The error from object_store, down to
    // the rustls error, follows as its source.
    let cause = std::error::Error::source(&error).unwrap().to_string();
    assert!(
        cause.starts_with(
            "the S3 endpoint's TLS certificate was rejected because no trusted CA signed it (UnknownIssuer)"
        ),
        "{cause}"
    );
    assert!(
        cause.contains("TransferOptions::with_root_certificate_der"),
        "{cause}"
    );
    let text = full_text(&error);
    assert!(
        text.contains("invalid peer certificate: UnknownIssuer"),
        "{text}"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn unusable_certificate_is_config_error() {
    let ca = PrivateCa::new();
    let not_a_certificate = b"not a certificate".to_vec();
    let options = TransferOptions::default()
        .with_root_certificate_der(ca.ca_der)
        .with_root_certificate_der(not_a_certificate.clone())
        .with_root_certificate_der(not_a_certificate);
    assert_eq!(
        options.root_certificate_count(),
        2,
        "a duplicate is dropped"
    );
    let debug = format!("{options:?}");
    assert!(debug.contains("root_certificates: 2"), "{debug}");

    let endpoint = Url::parse("https://127.0.0.1:9").unwrap();
    let error = DatasetFiles::new(storage(&endpoint), credentials(), options).unwrap_err();

    let TransferError::Provena(inner) = &error else {
        panic!("expected a configuration error, got {error:?}");
    };
    let Error::Config { field, value, fix } = inner.as_ref() else {
        panic!("expected a configuration error, got {inner:?}");
    };
    assert_eq!(field, "root certificate");
    assert_eq!(value, "number 2 of 2, 17 bytes");
    assert!(fix.contains("DER form"), "{fix}");
    assert!(!error.to_string().contains("not a certificate"), "{error}");
}

#[tokio::test]
async fn with_options_applies_new_certificates() {
    let ca = PrivateCa::new();
    let server = ListingServer::start(&ca).await;
    let options = TransferOptions::default().with_max_retries(0);
    let untrusting = DatasetFiles::new(storage(&server.url), credentials(), options).unwrap();
    assert!(untrusting.list().await.is_err());

    let trusting = untrusting
        .with_options(
            untrusting
                .options()
                .clone()
                .with_root_certificate_der(ca.ca_der.clone()),
        )
        .unwrap();
    let entries = trusting.list().await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].path, OBJECT);

    let rejected = trusting
        .with_options(TransferOptions::default().with_root_certificate_der(vec![0u8; 3]))
        .unwrap_err();
    assert!(
        rejected.to_string().contains("number 1 of 1, 3 bytes"),
        "{rejected}"
    );
}

#[tokio::test]
async fn datastore_client_uses_http_extra_ca() {
    let ca = PrivateCa::new();
    let server = ListingServer::start(&ca).await;
    let double = ProvenaDouble::start().await.unwrap();
    let config = Config::builder()
        .single_base(double.s3_endpoint().as_str())
        .endpoints(double.endpoints())
        .add_root_certificate_pem(&ca.ca_pem)
        .build()
        .unwrap();
    assert_eq!(config.extra_root_count(), 1);
    let token = Arc::new(StaticToken::new(double.access_token(users::ADMIN)));
    let trusting = DatastoreClient::new(HttpClient::new(config, token).unwrap())
        .with_s3_endpoint(server.url.clone());

    let entries = trusting
        .dataset(prov_fixture::INPUT_DATASET)
        .list_files()
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].path, OBJECT);
    assert_eq!(entries[0].size, OBJECT_SIZE);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].contains("prefix=datasets%2Ffixture%2F"),
        "{}",
        requests[0]
    );

    // The same dataset through a client whose configuration lacks the CA.
    let untrusting = DatastoreClient::new(double.client(users::ADMIN))
        .with_s3_endpoint(server.url.clone())
        .with_transfer_options(TransferOptions::default().with_max_retries(0));
    let error = untrusting
        .dataset(prov_fixture::INPUT_DATASET)
        .list_files()
        .await
        .unwrap_err();
    let text = full_text(&error);
    assert!(text.contains("no trusted CA signed it"), "{text}");
    assert!(text.contains("PROVENA_EXTRA_CA_CERTS"), "{text}");
    assert_eq!(server.requests().len(), 1);
}
