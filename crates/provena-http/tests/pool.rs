//! The connection pool against a raw HTTP/1.1 server on 127.0.0.1, which shows the exact
//! request heads the client writes and controls when connections close.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use provena_http::{Config, HttpClient, Operation, Service, StaticToken};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const LIST: Operation = Operation::get(Service::Registry, "list_items", "/items/list");
const CREATE: Operation = Operation::post(Service::Registry, "create_item", "/items/create");

/// What the raw server does with a connection after each response.
#[derive(Clone, Copy)]
enum AfterReply {
    /// Keep the connection open for the next request.
    KeepAlive,
    /// Close the socket without announcing it, as a server does when its keep-alive timer
    /// runs out.
    Close,
}

/// A minimal HTTP/1.1 server that records each request head and responds with `body`.
struct RawServer {
    port: u16,
    accepted: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    async fn start(body: Vec<u8>, after: AfterReply) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let body = Arc::new(body);
        let (count, seen) = (accepted.clone(), heads.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(stream, body.clone(), seen.clone(), after));
            }
        });
        RawServer {
            port,
            accepted,
            heads,
        }
    }

    fn config(&self) -> Config {
        Config::builder()
            .single_base(format!("http://127.0.0.1:{}", self.port))
            .build()
            .unwrap()
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

async fn serve(
    mut stream: TcpStream,
    body: Arc<Vec<u8>>,
    heads: Arc<Mutex<Vec<String>>>,
    after: AfterReply,
) {
    let mut buffer = Vec::new();
    loop {
        // Read one request head. The few request bodies here are small, arrive with their
        // heads and are skipped.
        let head_end = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let declared = content_length(&head);
        buffer.drain(..(head_end + declared).min(buffer.len()));
        heads.lock().unwrap().push(head);

        let reply = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if stream.write_all(reply.as_bytes()).await.is_err()
            || stream.write_all(&body).await.is_err()
        {
            return;
        }
        if let AfterReply::Close = after {
            return;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn content_length(head: &str) -> usize {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

fn client(config: Config) -> HttpClient {
    HttpClient::new(config, Arc::new(StaticToken::new("pool-test-token"))).unwrap()
}

#[tokio::test]
async fn request_head_is_origin_form_with_host() {
    let server = RawServer::start(b"{}".to_vec(), AfterReply::KeepAlive).await;
    let client = client(server.config());
    client
        .call(&LIST)
        .query("page", 2)
        .send_bytes()
        .await
        .unwrap();

    let heads = server.heads();
    assert_eq!(heads.len(), 1);
    let mut lines = heads[0].lines();
    assert_eq!(
        lines.next(),
        Some("GET /registry/items/list?page=2 HTTP/1.1")
    );
    let host: Vec<&str> = lines
        .filter_map(|line| line.split_once(": "))
        .filter(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| value)
        .collect();
    assert_eq!(host, vec![format!("127.0.0.1:{}", server.port)]);
}

#[tokio::test]
async fn connection_closed_while_idle_is_replaced() {
    let server = RawServer::start(b"{\"ok\": true}".to_vec(), AfterReply::Close).await;
    let client = client(server.config());
    for _ in 0..3 {
        let body = client.call(&LIST).send_bytes().await.unwrap();
        assert_eq!(&body[..], b"{\"ok\": true}");
        // Give the client time to see the close, as it would between real calls.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A POST is not retried, so it must not land on the closed connection either.
    let body = client
        .call(&CREATE)
        .json(&serde_json::json!({"name": "x"}))
        .send_bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"{\"ok\": true}");
    assert_eq!(server.accepted(), 4);
    assert_eq!(server.heads().len(), 4);
}

#[tokio::test]
async fn body_dropped_before_its_end_closes_the_connection() {
    let large = vec![b'x'; 4 * 1024 * 1024];
    let server = RawServer::start(large, AfterReply::KeepAlive).await;
    let client = client(server.config());

    let mut stream = Box::pin(client.call(&LIST).send_stream().await.unwrap());
    let first = stream.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(stream);

    // The first connection still has unread body on it, so this needs a second one.
    let whole = client.call(&LIST).send_stream().await.unwrap();
    let total: usize = whole
        .map(|chunk| chunk.unwrap().len())
        .fold(0, |a, b| async move { a + b })
        .await;
    assert_eq!(total, 4 * 1024 * 1024);
    assert_eq!(server.accepted(), 2);

    // The second body was read to its end, so its connection serves the next request.
    let again = client.call(&LIST).send_bytes().await.unwrap();
    assert_eq!(again.len(), 4 * 1024 * 1024);
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn concurrent_requests_open_connections_and_reuse_them() {
    let server = RawServer::start(b"{}".to_vec(), AfterReply::KeepAlive).await;
    let client = client(server.config());
    for _ in 0..3 {
        let calls = (0..8).map(|_| client.call(&LIST).send_bytes());
        for result in futures::future::join_all(calls).await {
            assert_eq!(&result.unwrap()[..], b"{}");
        }
    }
    // The first round opens at most one connection per request, and later rounds reuse them.
    let accepted = server.accepted();
    assert!((1..=8).contains(&accepted), "{accepted} connections");
    assert_eq!(server.heads().len(), 24);
}

#[tokio::test]
async fn paths_needing_escapes_are_escaped() {
    let server = RawServer::start(b"{}".to_vec(), AfterReply::KeepAlive).await;
    let client = client(server.config());
    let paths = [
        "/items/a b",
        "/items/é",
        "/items/./x/../list",
        "/items/list",
    ];
    for path in paths {
        client
            .request(Service::Registry, http::Method::GET, path)
            .send_bytes()
            .await
            .unwrap();
    }
    let targets: Vec<String> = server
        .heads()
        .iter()
        .map(|head| head.lines().next().unwrap().to_owned())
        .collect();
    assert_eq!(
        targets,
        vec![
            "GET /registry/items/a%20b HTTP/1.1",
            "GET /registry/items/%C3%A9 HTTP/1.1",
            "GET /registry/items/list HTTP/1.1",
            "GET /registry/items/list HTTP/1.1",
        ]
    );
}

/// Accepts TCP connections and closes each after `hold`, so a TLS handshake on it fails.
/// Returns the port and the largest number of connections that were open at once.
async fn failing_tls_listener(hold: Duration) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let open = Arc::new(AtomicUsize::new(0));
    let max_open = Arc::new(AtomicUsize::new(0));
    let seen = max_open.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
            seen.fetch_max(now_open, Ordering::SeqCst);
            let open = open.clone();
            tokio::spawn(async move {
                tokio::time::sleep(hold).await;
                drop(stream);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (port, max_open)
}

#[tokio::test]
async fn failed_connects_do_not_queue() {
    let (port, max_open) = failing_tls_listener(Duration::from_millis(200)).await;
    let config = Config::builder()
        .single_base(format!("https://127.0.0.1:{port}"))
        .retry(provena_http::RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let client = client(config);

    let calls = (0..6).map(|_| client.call(&LIST).send_bytes());
    let results = futures::future::join_all(calls).await;
    for result in results {
        let error = result.unwrap_err();
        assert!(
            matches!(error, provena_http::Error::Transport { .. }),
            "{error:?}"
        );
    }
    // The first connection opens alone, in case the host speaks HTTP/2. Once it has failed,
    // the others open side by side instead of one after another.
    let max_open = max_open.load(Ordering::SeqCst);
    assert!(max_open >= 2, "at most {max_open} connection open at once");
}
