//! Helpers shared by the file transfer tests: the external S3 server, buckets, test data
//! and a TCP proxy that cuts connections.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use provena_datastore::files::{
    CredentialSource, DatasetFiles, DatasetStorage, S3Credentials, StaticCredentials,
    TransferOptions,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

/// Returns the external S3 server's URL from `PROVENA_TEST_S3_URL`, or `None` after a skip
/// notice. With `PROVENA_REQUIRE_EXTERNAL=1` a missing URL fails the test instead.
pub fn external_s3() -> Option<Url> {
    match std::env::var("PROVENA_TEST_S3_URL") {
        Ok(url) => Some(Url::parse(&url).expect("PROVENA_TEST_S3_URL must be a URL")),
        Err(_) => {
            assert!(
                std::env::var("PROVENA_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
                "PROVENA_TEST_S3_URL is unset; run `cargo xtask test`, which starts the moto S3 server"
            );
            eprintln!(
                "skipped: PROVENA_TEST_S3_URL is unset; run `cargo xtask test` to start moto"
            );
            None
        }
    }
}

/// Credentials moto accepts: it does not check signatures against real keys.
pub fn moto_credentials() -> S3Credentials {
    S3Credentials {
        access_key_id: "provena-test".into(),
        secret_access_key: "provena-test-secret".into(),
        session_token: None,
        expiry: None,
    }
}

/// Creates a bucket with a unique name and returns it.
pub async fn create_bucket(endpoint: &Url) -> String {
    let bucket = format!("provena-test-{}", uuid::Uuid::new_v4().simple());
    let host = endpoint.host_str().expect("endpoint host");
    let port = endpoint.port_or_known_default().expect("endpoint port");
    let mut stream = TcpStream::connect((host, port))
        .await
        .expect("connect to S3 server");
    let request = format!(
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "bucket creation failed: {answer}"
    );
    bucket
}

/// Builds file access to `prefix` in `bucket` with fixed moto credentials.
pub fn moto_files(
    endpoint: &Url,
    bucket: &str,
    prefix: &str,
    options: TransferOptions,
) -> DatasetFiles {
    files_with_source(
        endpoint,
        bucket,
        prefix,
        Arc::new(StaticCredentials(moto_credentials())),
        options,
    )
}

/// Builds file access with any credential source.
pub fn files_with_source(
    endpoint: &Url,
    bucket: &str,
    prefix: &str,
    source: Arc<dyn CredentialSource>,
    options: TransferOptions,
) -> DatasetFiles {
    let storage = DatasetStorage {
        endpoint: endpoint.clone(),
        region: "us-east-1".into(),
        bucket: bucket.into(),
        prefix: prefix.into(),
    };
    DatasetFiles::new(storage, source, options).expect("valid storage settings")
}

/// Returns `len` bytes of a deterministic pattern that differs per `seed`.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Writes `contents` to `dir/relative`, creating folders.
pub fn write_file(dir: &Path, relative: &str, contents: &[u8]) {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Lists every file below `dir` as sorted relative paths with `/` separators.
pub fn local_files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let relative = path.strip_prefix(base).unwrap();
                let parts: Vec<_> = relative.iter().map(|part| part.to_string_lossy()).collect();
                out.push(parts.join("/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// A TCP proxy on 127.0.0.1 in front of `upstream` that forwards `budget` bytes of responses
/// in total, then closes every connection and rejects new ones.
pub struct CuttingProxy {
    /// The proxy's URL.
    pub url: Url,
    /// Whether the budget ran out.
    pub cut: Arc<AtomicBool>,
}

impl CuttingProxy {
    pub async fn start(upstream: &Url, budget: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let upstream = format!(
            "{}:{}",
            upstream.host_str().unwrap(),
            upstream.port_or_known_default().unwrap()
        );
        let remaining = Arc::new(AtomicU64::new(budget));
        let cut = Arc::new(AtomicBool::new(false));
        let proxy_cut = Arc::clone(&cut);
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if proxy_cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let remaining = Arc::clone(&remaining);
                let cut = Arc::clone(&proxy_cut);
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upload = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
                    });
                    let mut buffer = vec![0u8; 16 * 1024];
                    loop {
                        if cut.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(read) = server_read.read(&mut buffer).await else {
                            break;
                        };
                        if read == 0 {
                            break;
                        }
                        let left = remaining.load(Ordering::SeqCst);
                        let allowed = left.min(read as u64) as usize;
                        remaining.fetch_sub(allowed as u64, Ordering::SeqCst);
                        if client_write.write_all(&buffer[..allowed]).await.is_err() {
                            break;
                        }
                        if allowed < read {
                            cut.store(true, Ordering::SeqCst);
                            break;
                        }
                    }
                    upload.abort();
                });
            }
        });
        Self {
            url: Url::parse(&format!("http://{address}")).unwrap(),
            cut,
        }
    }
}

/// Sends a plain HTTP/1.1 GET for `url` (path and query as given) and returns the status
/// code and body. Used for presigned URLs, which must be sent byte for byte.
pub async fn raw_get(url: &Url) -> (u16, Vec<u8>) {
    let host = url.host_str().expect("url host");
    let port = url.port_or_known_default().expect("url port");
    let mut stream = TcpStream::connect((host, port)).await.expect("connect");
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();

    let split = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    let mut body = answer[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
