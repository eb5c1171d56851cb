//! Hostile servers and careless callers against the pool and the layers: raw HTTP/1.1
//! servers on 127.0.0.1 that break keep-alive rules, cancelled calls, slow token providers,
//! and HTTP/2 servers that send GOAWAY or close the connection between requests.

mod tls_support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use http::Method;
use provena_http::{
    Config, ConfigBuilder, Error, HttpClient, Operation, RetryPolicy, Secret, Service, StaticToken,
    TimeoutKind, TokenProvider,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const LIST: Operation = Operation::get(Service::Registry, "list_items", "/items/list");
const CREATE: Operation = Operation::post(Service::Registry, "create_item", "/items/create");

/// A raw TCP server on 127.0.0.1 whose handler owns each connection. It counts connections
/// and stops accepting when dropped.
struct Raw {
    port: u16,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for Raw {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Raw {
    /// Starts a server that runs `handler(stream, connection index)` for each connection.
    async fn start<F, Fut>(handler: F) -> Raw
    where
        F: Fn(TcpStream, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let index = count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handler(stream, index));
            }
        });
        Raw {
            port,
            accepted,
            task,
        }
    }

    /// Starts a server that keeps each connection open and writes
    /// `reply(connection index, request index on that connection, request head)` after
    /// each request.
    async fn replying<F>(reply: F) -> Raw
    where
        F: Fn(usize, usize, &str) -> String + Send + Sync + 'static,
    {
        let reply = Arc::new(reply);
        Raw::start(move |mut stream, connection| {
            let reply = reply.clone();
            async move {
                let mut buffer = Vec::new();
                let mut served = 0;
                while let Some(head) = read_request(&mut stream, &mut buffer).await {
                    let text = reply(connection, served, &head);
                    served += 1;
                    if stream.write_all(text.as_bytes()).await.is_err() {
                        return;
                    }
                }
            }
        })
        .await
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Reads one request head and its `content-length` body from `stream`, keeping any bytes
/// after it in `buffer`. Returns the head, or `None` when the client closed.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<String> {
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let declared = content_length(&head);
    while buffer.len() < head_end + declared {
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
    buffer.drain(..head_end + declared);
    Some(head)
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

/// Returns the request target of a request head, such as `/registry/items/list?id=3`.
fn target(head: &str) -> String {
    head.split(' ').nth(1).unwrap_or_default().to_owned()
}

/// Builds a keep-alive 200 response with `body`.
fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
    }
}

fn config(base: &str) -> ConfigBuilder {
    Config::builder().single_base(base).retry(quick_retries())
}

fn client(config: ConfigBuilder) -> HttpClient {
    HttpClient::new(
        config.build().unwrap(),
        Arc::new(StaticToken::new("review-token")),
    )
    .unwrap()
}

/// Serves keep-alive connections and responds to each request with its target as a JSON
/// string.
async fn echo_server() -> Raw {
    Raw::replying(|_, _, head| ok(&format!("\"{}\"", target(head)))).await
}

// ---------------------------------------------------------------------------------------
// HTTP/1.1 framing
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn extra_bytes_after_body_never_become_a_response() {
    // The first response on each connection carries a second, unrequested response after
    // its declared body. A client that reused the connection would read it as the response to
    // its next request.
    let server = Raw::replying(|_, served, _| {
        if served == 0 {
            format!("{}{}", ok("{}"), ok("\"smuggled\""))
        } else {
            ok("\"genuine\"")
        }
    })
    .await;
    let client = client(config(&server.url()));
    for round in 0..20 {
        let body = client.call(&LIST).send_bytes().await.unwrap();
        assert_ne!(&body[..], b"\"smuggled\"", "round {round}");
    }
}

#[tokio::test]
async fn late_extra_bytes_close_idle_connection() {
    // The unrequested bytes arrive while the connection sits idle in the pool.
    let server = Raw::start(|mut stream, index| async move {
        let mut buffer = Vec::new();
        let mut served = 0;
        while let Some(_head) = read_request(&mut stream, &mut buffer).await {
            let body = if index == 0 { "{}" } else { "\"genuine\"" };
            served += 1;
            if stream.write_all(ok(body).as_bytes()).await.is_err() {
                return;
            }
            if index == 0 && served == 1 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = stream.write_all(ok("\"smuggled\"").as_bytes()).await;
            }
        }
    })
    .await;
    let client = client(config(&server.url()));
    assert_eq!(&client.call(&LIST).send_bytes().await.unwrap()[..], b"{}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let body = client.call(&LIST).send_bytes().await.unwrap();
    assert_eq!(&body[..], b"\"genuine\"");
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn connection_close_header_is_honoured() {
    // The server announces `Connection: close` but keeps the socket open and keeps
    // responding, and each response names its connection.
    let server = Raw::replying(|index, _, _| {
        let body = format!("\"conn-{index}\"");
        format!(
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let client = client(config(&server.url()));
    for round in 0..3 {
        let body = client.call(&LIST).send_bytes().await.unwrap();
        assert_eq!(
            body,
            format!("\"conn-{round}\"").as_bytes(),
            "round {round}"
        );
    }
    assert_eq!(server.accepted(), 3);
}

#[tokio::test]
async fn chunked_bodies_return_connection() {
    let server = Raw::replying(|_, _, _| {
        String::from(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
             3\r\n{\"a\r\n6\r\n\": 1}\n\r\n0\r\n\r\n",
        )
    })
    .await;
    let client = client(config(&server.url()));
    for _ in 0..5 {
        let body = client.call(&LIST).send_bytes().await.unwrap();
        assert_eq!(&body[..], b"{\"a\": 1}\n");
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn empty_bodies_return_connection() {
    // 204, 304, a HEAD response that declares a length, an empty 200, and a 200 after
    // informational 100 and 103 heads: each leaves the connection ready for the next.
    let server = Raw::replying(|_, _, head| match target(head).as_str() {
        "/registry/no-content" => "HTTP/1.1 204 No Content\r\n\r\n".to_owned(),
        "/registry/not-modified" => "HTTP/1.1 304 Not Modified\r\netag: \"x\"\r\n\r\n".to_owned(),
        "/registry/head" => "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n".to_owned(),
        "/registry/empty" => "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_owned(),
        _ => format!(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n{}",
            ok("{}")
        ),
    })
    .await;
    let client = client(config(&server.url()));
    let cases = [
        (Method::GET, "/no-content", 204),
        (Method::GET, "/not-modified", 304),
        (Method::HEAD, "/head", 200),
        (Method::GET, "/empty", 200),
        (Method::GET, "/informational", 200),
    ];
    for _ in 0..2 {
        for (method, path, status) in &cases {
            let response = client
                .request(Service::Registry, method.clone(), path)
                .send()
                .await
                .unwrap_or_else(|error| panic!("{path}: {error}"));
            assert_eq!(response.status().as_u16(), *status, "{path}");
        }
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn oversized_body_connection_not_reused() {
    // The first response on each connection is larger than the limit. The client must not
    // read the next response from the rest of it.
    let server = Raw::replying(|_, served, _| {
        if served == 0 {
            ok(&format!("\"{}\"", "x".repeat(64 * 1024)))
        } else {
            ok("\"small\"")
        }
    })
    .await;
    let client = client(config(&server.url()).max_response_bytes(1024));
    let error = client.call(&LIST).send_bytes().await.unwrap_err();
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    let error = client.call(&LIST).send_bytes().await.unwrap_err();
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn stalled_body_times_out_and_pool_recovers() {
    // The first connection sends half its body and stalls. Later ones respond normally.
    let server = Raw::start(|mut stream, index| async move {
        let mut buffer = Vec::new();
        while let Some(_head) = read_request(&mut stream, &mut buffer).await {
            if index == 0 {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{\"a\"")
                    .await;
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            if stream.write_all(ok("\"fine\"").as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let client = client(
        config(&server.url())
            .retry(RetryPolicy::disabled())
            .attempt_timeout(Duration::from_millis(300)),
    );
    let error = client.call(&LIST).send_bytes().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                kind: TimeoutKind::Attempt,
                ..
            }
        ),
        "{error:?}"
    );
    let body = client.call(&LIST).send_bytes().await.unwrap();
    assert_eq!(&body[..], b"\"fine\"");
    assert_eq!(server.accepted(), 2);
}

#[tokio::test]
async fn short_body_then_close_fails_cleanly() {
    let server = Raw::start(|mut stream, index| async move {
        let mut buffer = Vec::new();
        while let Some(_head) = read_request(&mut stream, &mut buffer).await {
            if index == 0 {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{\"a\"")
                    .await;
                return;
            }
            if stream.write_all(ok("\"fine\"").as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let client = client(config(&server.url()).retry(RetryPolicy::disabled()));
    let error = client.call(&LIST).send_bytes().await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    let body = client.call(&LIST).send_bytes().await.unwrap();
    assert_eq!(&body[..], b"\"fine\"");
}

#[tokio::test]
async fn close_right_after_response_then_get() {
    // The server closes each connection a moment after its response, so the GET that
    // follows may pick the connection just before or just after the close arrives. A POST
    // sent in that window fails with a reset and is not retried, as HTTP requires.
    let server = Raw::start(|mut stream, _| async move {
        let mut buffer = Vec::new();
        if let Some(head) = read_request(&mut stream, &mut buffer).await {
            let body = format!("\"{}\"", target(&head));
            let _ = stream.write_all(ok(&body).as_bytes()).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let client = client(config(&server.url()));
    let mut failures = Vec::new();
    for round in 0..30 {
        client.call(&LIST).send_bytes().await.unwrap();
        tokio::time::sleep(Duration::from_millis(round % 10)).await;
        if let Err(error) = client.call(&LIST).query("round", round).send_bytes().await {
            failures.push(format!("round {round}: {error:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------
// Concurrency and cancellation
// ---------------------------------------------------------------------------------------

/// Starts a server that responds to each request with its own target after up to 3 ms.
async fn slow_echo_server() -> Raw {
    Raw::start(|mut stream, _| async move {
        let mut buffer = Vec::new();
        while let Some(head) = read_request(&mut stream, &mut buffer).await {
            let wait = target(&head).len() as u64 % 4;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let body = format!("\"{}\"", target(&head));
            // Written in two pieces so that a cancelled call can stop between them.
            let text = ok(&body);
            let (first, second) = text.split_at(text.len() - 3);
            if stream.write_all(first.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
            if stream.write_all(second.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_never_mix_up_responses() {
    let registry = slow_echo_server().await;
    let datastore = slow_echo_server().await;
    let client = client(
        config(&registry.url())
            .endpoint(Service::Datastore, format!("{}/datastore", datastore.url())),
    );

    let call = |client: HttpClient, id: usize| async move {
        let service = if id.is_multiple_of(2) {
            Service::Registry
        } else {
            Service::Datastore
        };
        let path = format!("/items/{id}");
        let body = client
            .request(service, Method::GET, &path)
            .send_bytes()
            .await?;
        Ok::<_, Error>((service, path, body))
    };
    let expected = |service: Service, path: &str| match service {
        Service::Registry => format!("\"/registry{path}\""),
        _ => format!("\"/datastore{path}\""),
    };

    // 200 calls, each cut after 0 to 5 ms.
    let mut tasks = Vec::new();
    for id in 0..200 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let limit = Duration::from_millis((id % 6) as u64);
            tokio::time::timeout(limit, call(client, id)).await
        }));
    }
    for task in tasks {
        if let Ok(result) = task.await.unwrap() {
            let (service, path, body) = result.unwrap();
            assert_eq!(body, expected(service, &path).as_bytes());
        }
    }

    // Every later call gets its own response, promptly.
    let mut tasks = Vec::new();
    for id in 1000..1200 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::timeout(Duration::from_secs(10), call(client, id)).await
        }));
    }
    for task in tasks {
        let (service, path, body) = task.await.unwrap().expect("call hung").unwrap();
        assert_eq!(body, expected(service, &path).as_bytes());
    }
}

// ---------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------

/// Starts a server that reads requests and never responds.
async fn silent_server() -> Raw {
    Raw::start(|mut stream, _| async move {
        let mut buffer = Vec::new();
        while read_request(&mut stream, &mut buffer).await.is_some() {}
    })
    .await
}

fn timeout_kind(error: &Error) -> Option<TimeoutKind> {
    match error {
        Error::Timeout { kind, .. } => Some(*kind),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overall_timeout_fires_after_cancelled_calls() {
    let server = silent_server().await;
    let client = client(
        config(&server.url())
            .attempt_timeout(Duration::from_secs(20))
            .overall_timeout(Duration::from_millis(300)),
    );
    for id in 0..100 {
        let call = client.call(&LIST).query("id", id).send_bytes();
        let _ = tokio::time::timeout(Duration::from_millis(id % 4), call).await;
    }
    let result = tokio::time::timeout(Duration::from_secs(5), client.call(&LIST).send_bytes())
        .await
        .expect("the overall timeout did not fire");
    let error = result.unwrap_err();
    assert_eq!(
        timeout_kind(&error),
        Some(TimeoutKind::Overall),
        "{error:?}"
    );
}

/// A token provider whose `access_token` never finishes and that caches nothing.
#[derive(Debug)]
struct Hanging;

#[async_trait]
impl TokenProvider for Hanging {
    async fn access_token(&self) -> Result<Secret, Error> {
        std::future::pending().await
    }

    async fn refresh(&self, _rejected: &Secret) -> Result<Secret, Error> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn hanging_token_provider_cut_by_overall_timeout() {
    let server = echo_server().await;
    let config = config(&server.url())
        .overall_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = HttpClient::new(config, Arc::new(Hanging)).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), client.call(&LIST).send_bytes())
        .await
        .expect("the overall timeout did not fire");
    let error = result.unwrap_err();
    assert_eq!(
        timeout_kind(&error),
        Some(TimeoutKind::Overall),
        "{error:?}"
    );
}

#[tokio::test]
async fn retry_after_past_deadline_returns_response() {
    // The server requests a retry after 8 s, but the call has only 400 ms. Waiting could only
    // end in an overall timeout, so the caller gets the 503 at once.
    let server = Raw::replying(|_, _, _| {
        let body = r#"{"detail": "busy"}"#;
        format!(
            "HTTP/1.1 503 Service Unavailable\r\nretry-after: 8\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let client = client(
        config(&server.url())
            .retry(RetryPolicy {
                max_attempts: 4,
                initial_backoff: Duration::from_millis(1),
                max_backoff: Duration::from_secs(10),
            })
            .overall_timeout(Duration::from_millis(400)),
    );

    let result = tokio::time::timeout(Duration::from_secs(5), client.call(&LIST).send_bytes())
        .await
        .expect("the call hung");
    // Waiting out the backoff would have ended in an overall timeout instead of the 503.
    let error = result.unwrap_err();
    let status = error.api_error().map(|api| api.status.as_u16());
    assert_eq!(status, Some(503), "{error:?}");
}

// ---------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------

/// A provider with a cached token that tests change, and a count of refreshes. With
/// `cache` false it offers no cached token, so every call takes the asynchronous path.
#[derive(Debug)]
struct Switchable {
    current: Mutex<String>,
    refreshed_to: String,
    refreshes: AtomicUsize,
    cache: bool,
}

impl Switchable {
    fn new(current: &str, refreshed_to: &str, cache: bool) -> Switchable {
        Switchable {
            current: Mutex::new(current.to_owned()),
            refreshed_to: refreshed_to.to_owned(),
            refreshes: AtomicUsize::new(0),
            cache,
        }
    }

    fn set(&self, token: &str) {
        *self.current.lock().unwrap() = token.to_owned();
    }
}

#[async_trait]
impl TokenProvider for Switchable {
    async fn access_token(&self) -> Result<Secret, Error> {
        Ok(Secret::new(self.current.lock().unwrap().clone()))
    }

    fn cached_token(&self) -> Option<Secret> {
        self.cache
            .then(|| Secret::new(self.current.lock().unwrap().clone()))
    }

    async fn refresh(&self, _rejected: &Secret) -> Result<Secret, Error> {
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        self.set(&self.refreshed_to.clone());
        Ok(Secret::new(self.refreshed_to.clone()))
    }
}

/// Starts a server that records each `Authorization` header and rejects every token but
/// `accepted` with Provena's 401 for an invalid token.
async fn auth_server(accepted: &'static str, seen: Arc<Mutex<Vec<Option<String>>>>) -> Raw {
    Raw::start(move |mut stream, _| {
        let seen = seen.clone();
        async move {
            let mut buffer = Vec::new();
            while let Some(head) = read_request(&mut stream, &mut buffer).await {
                let authorization = head
                    .lines()
                    .filter_map(|line| line.split_once(": "))
                    .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                    .map(|(_, value)| value.to_owned());
                let good = authorization.as_deref() == Some(accepted);
                seen.lock().unwrap().push(authorization);
                let reply = if good {
                    ok("{}")
                } else {
                    let body = r#"{"detail": "Could not validate credentials"}"#;
                    format!(
                        "HTTP/1.1 401 Unauthorized\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    )
                };
                if stream.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    })
    .await
}

#[tokio::test]
async fn cached_token_change_reaches_next_call() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = auth_server("Bearer any", seen.clone()).await;
    let tokens = Arc::new(Switchable::new("one", "never", true));
    let client = HttpClient::new(config(&server.url()).build().unwrap(), tokens.clone()).unwrap();
    for token in ["one", "two", "two", "three", "one"] {
        tokens.set(token);
        let _ = client.call(&LIST).send().await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    let expected: Vec<Option<String>> = ["one", "two", "two", "three", "one"]
        .iter()
        .map(|token| Some(format!("Bearer {token}")))
        .collect();
    // Every token is rejected, so each call refreshes once to "never" and resends.
    let first_tries: Vec<Option<String>> = seen.iter().step_by(2).cloned().collect();
    assert_eq!(first_tries, expected);
}

async fn check_refresh(cache: bool, operation: &Operation) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = auth_server("Bearer fresh", seen.clone()).await;
    let tokens = Arc::new(Switchable::new("stale", "fresh", cache));
    let client = HttpClient::new(config(&server.url()).build().unwrap(), tokens.clone()).unwrap();
    let body = client
        .call(operation)
        .json(&serde_json::json!({"a": 1}))
        .send_bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"{}");
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            Some("Bearer stale".to_owned()),
            Some("Bearer fresh".to_owned())
        ]
    );
    // The next call uses the refreshed token straight away.
    client.call(operation).send_bytes().await.unwrap();
    assert_eq!(tokens.refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn refresh_after_401_cached_path() {
    check_refresh(true, &LIST).await;
    check_refresh(true, &CREATE).await;
}

#[tokio::test]
async fn refresh_after_401_async_path() {
    check_refresh(false, &LIST).await;
    check_refresh(false, &CREATE).await;
}

#[tokio::test]
async fn token_never_sent_to_other_hosts() {
    let seen_api = Arc::new(Mutex::new(Vec::new()));
    let api = auth_server("Bearer review-token", seen_api.clone()).await;
    let seen_other = Arc::new(Mutex::new(Vec::new()));
    let other = auth_server("never", seen_other.clone()).await;
    let client = client(config(&api.url()));

    client.call(&LIST).send_bytes().await.unwrap();
    // Another port on the same host, the API host itself through `request_url`, a URL that
    // differs only by case.
    let urls = [
        format!("{}/registry/items/list", other.url()),
        format!("{}/upload?X-Amz-Signature=abc", other.url()),
        format!("{}/registry/items/list", api.url()),
        format!("{}/REGISTRY/items/list", api.url()),
    ];
    for url in &urls {
        let _ = client
            .request_url(Method::GET, url.parse().unwrap())
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        *seen_api.lock().unwrap(),
        vec![Some("Bearer review-token".to_owned()), None, None]
    );
    assert_eq!(*seen_other.lock().unwrap(), vec![None, None]);
}

// ---------------------------------------------------------------------------------------
// HTTP/2
// ---------------------------------------------------------------------------------------

/// How the HTTP/2 test server ends each connection after its first request.
#[derive(Clone, Copy)]
enum H2End {
    /// Sends GOAWAY and closes once the response is out.
    GoAway,
    /// Drops the TCP connection a moment after the response, with no GOAWAY.
    Drop,
    /// Stops reading and writing but keeps the connection open, as a server that froze or
    /// a network path that silently lost the connection does.
    Freeze,
}

/// An HTTP/2-only TLS server on 127.0.0.1 that serves one request per connection and then
/// ends the connection as `end` selects. Each response names its connection.
struct H2Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl H2Server {
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for H2Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl H2Server {
    async fn start(leaf: &tls_support::Leaf, end: H2End) -> H2Server {
        use hyper_util::rt::{TokioExecutor, TokioIo};

        let acceptor = tokio_rustls::TlsAcceptor::from(leaf.server_config(&[b"h2"]));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let (count, served) = (connections.clone(), requests.clone());
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let index = count.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                let served = served.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let answered = Arc::new(tokio::sync::Notify::new());
                    let notify = answered.clone();
                    let service = hyper::service::service_fn(move |_request| {
                        served.fetch_add(1, Ordering::SeqCst);
                        notify.notify_one();
                        async move {
                            let body = format!("{{\"connection\": {index}}}");
                            Ok::<_, std::convert::Infallible>(http::Response::new(
                                http_body_util::Full::new(bytes::Bytes::from(body)),
                            ))
                        }
                    });
                    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service);
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => return,
                        () = answered.notified() => {}
                    }
                    match end {
                        H2End::GoAway => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
                        }
                        H2End::Drop => {
                            let _ = tokio::time::timeout(
                                Duration::from_millis(20),
                                connection.as_mut(),
                            )
                            .await;
                        }
                        H2End::Freeze => {
                            let _ = tokio::time::timeout(
                                Duration::from_millis(20),
                                connection.as_mut(),
                            )
                            .await;
                            tokio::time::sleep(Duration::from_secs(60)).await;
                        }
                    }
                });
            }
        });
        H2Server {
            port,
            connections,
            requests,
            task,
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

async fn check_h2_connection_ends(end: H2End, pause: Duration, operation: &Operation) {
    let ca = tls_support::TestCa::new("provena-rs review CA");
    let server = H2Server::start(&ca.leaf(&["127.0.0.1"]), end).await;
    let client = client(config(&server.url()).add_root_certificate_pem(ca.pem()));
    let mut failures = Vec::new();
    for round in 0..10 {
        match client
            .call(operation)
            .json(&round)
            .send_json::<serde_json::Value>()
            .await
        {
            Ok(body) => assert!(body["connection"].is_u64(), "{body}"),
            Err(error) => failures.push(format!("round {round}: {error:?}")),
        }
        tokio::time::sleep(pause).await;
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn h2_goaway_between_requests() {
    check_h2_connection_ends(H2End::GoAway, Duration::from_millis(50), &LIST).await;
    check_h2_connection_ends(H2End::GoAway, Duration::from_millis(50), &CREATE).await;
}

#[tokio::test]
async fn h2_drop_between_requests() {
    check_h2_connection_ends(H2End::Drop, Duration::from_millis(50), &LIST).await;
    check_h2_connection_ends(H2End::Drop, Duration::from_millis(50), &CREATE).await;
}

#[tokio::test]
async fn h2_goaway_back_to_back_get() {
    check_h2_connection_ends(H2End::GoAway, Duration::ZERO, &LIST).await;
}

#[tokio::test]
async fn h2_goaway_back_to_back_post() {
    check_h2_connection_ends(H2End::GoAway, Duration::ZERO, &CREATE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_cold_start_cancellation_storm() {
    let ca = tls_support::TestCa::new("provena-rs review CA");
    let server = tls_support::TlsServer::start(
        &ca.leaf(&["127.0.0.1"]),
        tls_support::H2_AND_HTTP11,
        Duration::from_millis(2),
    )
    .await;
    let client = client(config(&server.url("127.0.0.1")).add_root_certificate_pem(ca.pem()));
    let mut tasks = Vec::new();
    for id in 0..200u64 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let call = client.call(&LIST).query("id", id).send_bytes();
            tokio::time::timeout(Duration::from_millis(id % 6), call).await
        }));
    }
    for task in tasks {
        if let Ok(result) = task.await.unwrap() {
            assert_eq!(&result.unwrap()[..], br#"{"ok": true}"#);
        }
    }
    let mut tasks = Vec::new();
    for id in 0..200u64 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let call = client.call(&LIST).query("id", id).send_bytes();
            tokio::time::timeout(Duration::from_secs(10), call).await
        }));
    }
    for task in tasks {
        let body = task.await.unwrap().expect("call hung").unwrap();
        assert_eq!(&body[..], br#"{"ok": true}"#);
    }

    let versions: Vec<http::Version> = server.requests().iter().map(|seen| seen.version).collect();
    assert!(
        versions
            .iter()
            .all(|version| *version == http::Version::HTTP_2)
    );
}

#[tokio::test]
async fn h2_frozen_connection_is_replaced() {
    // The first connection responds once and then goes silent without closing. Every later
    // connection responds once too, so a retry on a new connection succeeds.
    let ca = tls_support::TestCa::new("provena-rs review CA");
    let server = H2Server::start(&ca.leaf(&["127.0.0.1"]), H2End::Freeze).await;
    let client = client(
        config(&server.url())
            .add_root_certificate_pem(ca.pem())
            .attempt_timeout(Duration::from_secs(2))
            .overall_timeout(Duration::from_secs(10)),
    );
    client.call(&LIST).send_bytes().await.unwrap();
    let result = client.call(&LIST).send_json::<serde_json::Value>().await;
    let connections = server.connections.load(Ordering::SeqCst);
    assert!(
        result.is_ok(),
        "{result:?} after {connections} connections and {} answered requests",
        server.requests()
    );
    assert_eq!(connections, 2);
}

#[tokio::test]
async fn stalled_tls_handshake_hits_connect_timeout() {
    // The server accepts TCP connections and never responds to the TLS ClientHello.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut open_streams = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open_streams.push(stream);
        }
    });
    let client = client(
        config(&format!("https://127.0.0.1:{port}"))
            .retry(RetryPolicy::disabled())
            .connect_timeout(Duration::from_millis(200))
            .attempt_timeout(Duration::from_secs(3)),
    );
    let error = client.call(&LIST).send_bytes().await.unwrap_err();
    task.abort();
    assert_eq!(
        timeout_kind(&error),
        Some(TimeoutKind::Connect),
        "{error:?}"
    );
}

#[tokio::test]
async fn unbounded_timeouts_do_not_panic() {
    // A caller that wants no limit sets the largest duration.
    let server = echo_server().await;
    let cases = [
        ("connect", Config::builder().connect_timeout(Duration::MAX)),
        ("attempt", Config::builder().attempt_timeout(Duration::MAX)),
        ("overall", Config::builder().overall_timeout(Duration::MAX)),
    ];
    for (name, builder) in cases {
        let client = client(builder.single_base(server.url()));
        let call = tokio::spawn(async move { client.call(&LIST).send_bytes().await });
        let outcome = call.await;
        assert!(outcome.is_ok(), "{name}: the call panicked");
        let body = outcome.unwrap().unwrap();
        assert_eq!(&body[..], b"\"/registry/items/list\"", "{name}");
    }
}

#[tokio::test]
async fn http10_response_not_reused() {
    // An HTTP/1.0 response without `Connection: keep-alive` ends its connection, even when
    // the server keeps the socket open and would respond again.
    let server = Raw::replying(|index, _, _| {
        let body = format!("\"conn-{index}\"");
        format!(
            "HTTP/1.0 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    })
    .await;
    let client = client(config(&server.url()));
    for round in 0..3 {
        let body = client.call(&LIST).send_bytes().await.unwrap();
        assert_eq!(
            body,
            format!("\"conn-{round}\"").as_bytes(),
            "round {round}"
        );
    }
    assert_eq!(server.accepted(), 3);
}

#[tokio::test]
async fn head_response_with_body_bytes_ignored() {
    // The server wrongly sends a body after a HEAD response, and the body looks like a
    // response.
    let server = Raw::replying(|_, _, head| {
        if head.starts_with("HEAD") {
            let smuggled = ok("\"smuggled\"");
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{smuggled}",
                smuggled.len()
            )
        } else {
            ok("\"genuine\"")
        }
    })
    .await;
    let client = client(config(&server.url()));
    for round in 0..10 {
        let response = client
            .request(Service::Registry, Method::HEAD, "/items/list")
            .send()
            .await
            .unwrap();
        assert!(response.body().is_empty(), "round {round}");
        let body = client.call(&LIST).send_bytes().await.unwrap();
        assert_eq!(&body[..], b"\"genuine\"", "round {round}");
    }
}

/// A provider whose token is always rejected and whose refresh never finishes. With
/// `cached` false it offers no cached token.
#[derive(Debug)]
struct HangingRefresh {
    cached: bool,
}

#[async_trait]
impl TokenProvider for HangingRefresh {
    async fn access_token(&self) -> Result<Secret, Error> {
        Ok(Secret::new("stale"))
    }

    fn cached_token(&self) -> Option<Secret> {
        self.cached.then(|| Secret::new("stale"))
    }

    async fn refresh(&self, _rejected: &Secret) -> Result<Secret, Error> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn hanging_refresh_cut_by_overall_timeout() {
    check_hanging_refresh(true).await;
    check_hanging_refresh(false).await;
}

async fn check_hanging_refresh(cached: bool) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = auth_server("Bearer fresh", seen.clone()).await;
    let config = config(&server.url())
        .overall_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let client = HttpClient::new(config, Arc::new(HangingRefresh { cached })).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), client.call(&LIST).send_bytes())
        .await
        .expect("the overall timeout did not fire");
    let error = result.unwrap_err();
    assert_eq!(
        timeout_kind(&error),
        Some(TimeoutKind::Overall),
        "{error:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// Sends one call with `client` on a new single-threaded runtime that is dropped
/// afterwards.
fn call_on_own_runtime(client: &HttpClient) -> Result<bytes::Bytes, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = client.clone();
    runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(10), client.call(&LIST).send_bytes())
            .await
            .expect("call hung")
    })
}

#[test]
fn client_outlives_runtimes_http1() {
    // One client used from several runtimes in turn, as a shared static client is used by
    // tests that each start their own runtime.
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(echo_server());
    let client = client(config(&server.url()));
    for round in 0..3 {
        let body =
            call_on_own_runtime(&client).unwrap_or_else(|error| panic!("round {round}: {error}"));
        assert_eq!(&body[..], b"\"/registry/items/list\"");
    }
}

#[test]
fn client_outlives_runtimes_http2() {
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let ca = tls_support::TestCa::new("provena-rs review CA");
    let server = server_runtime.block_on(tls_support::TlsServer::start(
        &ca.leaf(&["127.0.0.1"]),
        tls_support::H2_AND_HTTP11,
        Duration::ZERO,
    ));
    let client = client(config(&server.url("127.0.0.1")).add_root_certificate_pem(ca.pem()));
    for round in 0..3 {
        let body =
            call_on_own_runtime(&client).unwrap_or_else(|error| panic!("round {round}: {error}"));
        assert_eq!(&body[..], br#"{"ok": true}"#);
    }
}

#[tokio::test]
async fn path_without_leading_slash_rejected() {
    let server = echo_server().await;
    let client = client(config(&server.url()));
    for path in ["items/list", "items/a b"] {
        let error = client
            .request(Service::Registry, Method::GET, path)
            .send()
            .await
            .unwrap_err();
        match error {
            Error::Config { field, value, .. } => {
                assert_eq!(field, "path");
                assert_eq!(value, path);
            }
            other => panic!("{path}: expected a config error, got {other:?}"),
        }
    }
    assert_eq!(server.accepted(), 0);
    // An empty path still means the base URL itself.
    let body = client
        .request(Service::Registry, Method::GET, "")
        .send_bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"\"/registry\"");
}

#[tokio::test]
async fn caller_framing_headers_rejected() {
    let server = echo_server().await;
    let client = client(config(&server.url()));
    let cases = [
        (http::header::CONTENT_LENGTH, "1"),
        (http::header::CONTENT_LENGTH, "50"),
        (http::header::TRANSFER_ENCODING, "chunked"),
        (http::header::HOST, "other.example"),
    ];
    for (header, value) in cases {
        let error = client
            .call(&CREATE)
            .header(header.clone(), http::HeaderValue::from_static(value))
            .body("application/json", r#"{"name": "x"}"#)
            .send_bytes()
            .await
            .unwrap_err();
        match error {
            Error::Config { field, value, .. } => {
                assert_eq!(field, "header");
                assert_eq!(value, header.as_str());
            }
            other => panic!("{header}: expected a config error, got {other:?}"),
        }
    }
    assert_eq!(server.accepted(), 0);
}

#[tokio::test]
async fn raw_request_framing_and_host_from_client() {
    // `send_raw` takes a built request, so the pool itself must set the host and framing.
    let received = Arc::new(Mutex::new(Vec::<(String, Vec<u8>)>::new()));
    let seen = received.clone();
    let server = Raw::start(move |mut stream, _| {
        let seen = seen.clone();
        async move {
            let mut buffer = Vec::new();
            loop {
                let Some(end) = find(&buffer, b"\r\n\r\n") else {
                    let mut chunk = [0u8; 4096];
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                    }
                    continue;
                };
                let head = String::from_utf8_lossy(&buffer[..end + 4]).into_owned();
                let declared = content_length(&head);
                while buffer.len() < end + 4 + declared {
                    let mut chunk = [0u8; 4096];
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                    }
                }
                let body = buffer[end + 4..end + 4 + declared].to_vec();
                buffer.drain(..end + 4 + declared);
                seen.lock().unwrap().push((head, body));
                if stream.write_all(ok("{}").as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    let client = client(config(&server.url()));
    for declared in ["1", "50"] {
        let request = http::Request::builder()
            .method(Method::POST)
            .uri(format!("{}/token", server.url()))
            .header(http::header::HOST, "other.example")
            .header(http::header::CONTENT_LENGTH, declared)
            .body(bytes::Bytes::from_static(b"grant_type=refresh"))
            .unwrap();
        let response = client.send_raw(request).await.unwrap();
        assert_eq!(response.status(), 200, "declared {declared}");
    }
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    for (head, body) in received {
        let host = format!("host: 127.0.0.1:{}", server.port);
        assert!(head.to_ascii_lowercase().contains(&host), "{head}");
        assert_eq!(body, b"grant_type=refresh", "{head}");
    }
}

#[tokio::test]
async fn concurrent_calls_to_stalled_host_fail_together() {
    // The server accepts TCP connections and never responds to the TLS ClientHello. Each of
    // the concurrent calls should fail after about one connect timeout, not wait for the
    // connection attempts of all the calls queued before it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut open_streams = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open_streams.push(stream);
        }
    });
    let client = client(
        config(&format!("https://127.0.0.1:{port}"))
            .retry(RetryPolicy::disabled())
            .connect_timeout(Duration::from_millis(200))
            .attempt_timeout(Duration::from_secs(1)),
    );
    let calls = (0..20).map(|_| client.call(&LIST).send_bytes());
    let results = futures::future::join_all(calls).await;
    task.abort();
    let kinds: Vec<Option<TimeoutKind>> = results
        .iter()
        .map(|result| timeout_kind(result.as_ref().unwrap_err()))
        .collect();
    assert!(
        kinds.iter().all(|kind| *kind == Some(TimeoutKind::Connect)),
        "{kinds:?}"
    );
}
