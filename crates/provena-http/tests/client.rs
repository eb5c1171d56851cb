//! The client against a scripted HTTP server on 127.0.0.1, over real TCP.
//!
//! Tests that involve delays use short real durations and assert outcomes (error kinds,
//! request counts, logged delays), never elapsed wall-clock time. Paused tokio time cannot
//! be used here: with a timer pending, the paused clock jumps ahead while the client waits
//! for socket I/O, so timeouts would fire before the server responds.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::TryStreamExt;
use http::Method;
use provena_http::{
    Config, ConfigBuilder, Error, HttpClient, Multipart, Operation, RetryPolicy, Secret, Service,
    StaticToken, TimeoutKind, TokenProvider,
};
use serde_json::json;
use support::{Reply, Server, capture_logs};

const LIST: Operation = Operation::get(Service::Registry, "list_items", "/registry/items/list");
const CREATE: Operation =
    Operation::post(Service::Registry, "create_item", "/registry/items/create");
const VALIDATE: Operation = Operation::post_safe(
    Service::Registry,
    "validate_item",
    "/registry/items/validate",
);

/// Hands out `token-<n>`, where n counts refreshes from 1, and records refreshes.
#[derive(Debug, Default)]
struct Rotating {
    refreshes: Mutex<Vec<String>>,
}

impl Rotating {
    fn refreshes(&self) -> Vec<String> {
        self.refreshes.lock().unwrap().clone()
    }
}

#[async_trait]
impl TokenProvider for Rotating {
    async fn access_token(&self) -> Result<Secret, Error> {
        let count = self.refreshes.lock().unwrap().len();
        Ok(Secret::new(format!("token-{}", count + 1)))
    }

    async fn refresh(&self, rejected: &Secret) -> Result<Secret, Error> {
        self.refreshes
            .lock()
            .unwrap()
            .push(rejected.expose().to_owned());
        self.access_token().await
    }
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_secs(5),
    }
}

/// Builds a config that puts every service under `server`, with quick retries.
fn config(server: &Server) -> ConfigBuilder {
    Config::builder()
        .single_base(server.url())
        .retry(fast_retries(3))
}

fn client(config: ConfigBuilder) -> HttpClient {
    HttpClient::new(
        config.build().unwrap(),
        Arc::new(StaticToken::new("static-token")),
    )
    .unwrap()
}

fn ok_body() -> serde_json::Value {
    json!({"status": {"success": true, "details": "ok"}, "items": [1, 2, 3]})
}

#[tokio::test]
async fn connection_reused_over_100_requests() {
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let client = client(config(&server));
    for _ in 0..100 {
        let body: serde_json::Value = client.call(&LIST).send_json().await.unwrap();
        assert_eq!(body["items"], json!([1, 2, 3]));
    }
    assert_eq!(server.requests().len(), 100);
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn request_carries_token_user_agent_and_query() {
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let client = client(config(&server));
    let _: serde_json::Value = client
        .call(&LIST)
        .query("id", "10378.1/1690000")
        .query_opt("page", None::<u32>)
        .send_json()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.path, "/registry/registry/items/list");
    assert_eq!(request.query.as_deref(), Some("id=10378.1%2F1690000"));
    assert_eq!(
        request.header("authorization").as_deref(),
        Some("Bearer static-token")
    );
    let agent = request.header("user-agent").unwrap();
    assert_eq!(agent, format!("provena-rs/{}", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn anonymous_client_sends_no_token() {
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let client = HttpClient::anonymous(config(&server).build().unwrap()).unwrap();
    let _: serde_json::Value = client.call(&LIST).send_json().await.unwrap();
    let request = &server.requests()[0];
    assert_eq!(request.path, "/registry/registry/items/list");
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn presigned_url_keeps_its_query() {
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let client = client(config(&server));
    let mut url = url::Url::parse(&server.url()).unwrap();
    url.set_path("/bucket/datasets/file.csv");
    url.set_query(Some("X-Amz-Signature=abc%2Fdef&X-Amz-Expires=60"));
    client
        .request_url(provena_http::http::Method::GET, url)
        .query("part", 2)
        .send_bytes()
        .await
        .unwrap();
    let request = &server.requests()[0];
    assert_eq!(
        request.query.as_deref(),
        Some("X-Amz-Signature=abc%2Fdef&X-Amz-Expires=60&part=2")
    );
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn retry_after_503_then_success() {
    let server = Server::start(|index, _| {
        if index == 0 {
            Reply::new(503, "text/plain", "upstream unavailable")
        } else {
            Reply::json(200, &ok_body())
        }
    })
    .await;
    let (_guard, logs) = capture_logs();
    let body: serde_json::Value = client(config(&server))
        .call(&LIST)
        .send_json()
        .await
        .unwrap();

    assert_eq!(body["items"], json!([1, 2, 3]));
    assert_eq!(server.requests().len(), 2);

    let text = logs.text();
    assert!(text.contains("retrying request"), "{text}");
    assert!(text.contains("reason=HTTP 503"), "{text}");
    assert!(text.contains("attempt{attempt=2}"), "{text}");

    let finished = text
        .lines()
        .find(|line| line.contains("response received"))
        .unwrap();
    assert!(finished.contains("attempt=2"), "{finished}");
    assert!(finished.contains("status=200"), "{finished}");
    assert!(
        finished.contains("path=/registry/registry/items/list"),
        "{finished}"
    );
}

#[tokio::test]
async fn retries_stop_at_max_attempts() {
    let server = Server::always(Reply::new(502, "text/plain", "bad gateway")).await;
    let error = client(config(&server))
        .call(&LIST)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    assert!(error.is_retryable());
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = Server::start(|index, _| {
        if index == 0 {
            Reply::json(429, &json!({"detail": "slow down"})).header("retry-after", "1")
        } else {
            Reply::json(200, &ok_body())
        }
    })
    .await;
    let (_guard, logs) = capture_logs();
    let _: serde_json::Value = client(config(&server))
        .call(&LIST)
        .send_json()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
    let text = logs.text();
    assert!(text.contains("reason=HTTP 429"), "{text}");
    assert!(text.contains("delay_ms=1000"), "{text}");
}

#[tokio::test]
async fn rate_limit_error_keeps_retry_after() {
    let server = Server::always(
        Reply::json(429, &json!({"detail": "slow down"})).header("retry-after", "30"),
    )
    .await;
    let client = client(config(&server).retry(RetryPolicy::disabled()));
    let error = client
        .call(&LIST)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    match &error {
        Error::RateLimited { error, retry_after } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(30)));
            assert_eq!(error.detail, "slow down");
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn unmarked_post_not_retried() {
    let server = Server::always(Reply::new(503, "text/plain", "unavailable")).await;
    let client = client(config(&server));
    let error = client
        .call(&CREATE)
        .json(&json!({"display_name": "x"}))
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn safe_post_is_retried() {
    let server = Server::start(|index, _| {
        if index == 0 {
            Reply::new(504, "text/plain", "gateway timeout")
        } else {
            Reply::json(200, &ok_body())
        }
    })
    .await;
    let _: serde_json::Value = client(config(&server))
        .call(&VALIDATE)
        .json(&json!({"display_name": "x"}))
        .send_json()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].body, requests[0].body);
    assert_eq!(
        requests[1].body,
        Bytes::from_static(br#"{"display_name":"x"}"#)
    );
}

#[tokio::test]
async fn refused_connection_retried_for_post() {
    // Bind a port, then free it, so that connecting to it is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (_guard, logs) = capture_logs();
    let config = Config::builder().single_base(url).retry(fast_retries(3));
    let error = client(config).call(&CREATE).send().await.unwrap_err();
    match &error {
        Error::Transport { before_send, .. } => assert!(*before_send),
        other => panic!("expected a transport error, got {other:?}"),
    }
    let text = logs.text();
    let retries = text
        .matches("connection failed before the request was sent")
        .count();
    assert_eq!(retries, 2, "{text}");
}

#[tokio::test]
async fn attempt_timeout_then_retry_succeeds() {
    let server = Server::start(|index, _| {
        let reply = Reply::json(200, &ok_body());
        if index == 0 {
            reply.delayed(Duration::from_secs(30))
        } else {
            reply
        }
    })
    .await;
    let config = config(&server).attempt_timeout(Duration::from_millis(200));
    let body: serde_json::Value = client(config).call(&LIST).send_json().await.unwrap();
    assert_eq!(body["items"], json!([1, 2, 3]));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn attempt_timeout_without_retries() {
    let server =
        Server::always(Reply::json(200, &ok_body()).delayed(Duration::from_secs(30))).await;
    let config = config(&server)
        .retry(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_millis(100));
    let error = client(config).call(&LIST).send().await.unwrap_err();
    match &error {
        Error::Timeout { kind, after, .. } => {
            assert_eq!(*kind, TimeoutKind::Attempt);
            assert_eq!(*after, Duration::from_millis(100));
        }
        other => panic!("expected an attempt timeout, got {other:?}"),
    }
    assert!(error.is_timeout());
}

#[tokio::test]
async fn overall_timeout_spans_retries() {
    let server =
        Server::always(Reply::json(200, &ok_body()).delayed(Duration::from_secs(30))).await;
    let config = config(&server)
        .attempt_timeout(Duration::from_secs(20))
        .overall_timeout(Duration::from_millis(300));
    let error = client(config).call(&LIST).send().await.unwrap_err();
    match &error {
        Error::Timeout { kind, path, .. } => {
            assert_eq!(*kind, TimeoutKind::Overall);
            assert_eq!(path, "/registry/registry/items/list");
        }
        other => panic!("expected an overall timeout, got {other:?}"),
    }
}

/// Returns a handler that responds 401 with `detail` to every request whose token is in
/// `rejected`, and 200 to the others.
fn auth_server(
    detail: &'static str,
    rejected: &'static [&'static str],
) -> impl Fn(usize, &support::Recorded) -> Reply {
    move |_, request| {
        let header = request.header("authorization").unwrap_or_default();
        if rejected
            .iter()
            .any(|token| header == format!("Bearer {token}"))
        {
            Reply::json(401, &json!({ "detail": detail }))
        } else {
            Reply::json(200, &ok_body())
        }
    }
}

#[tokio::test]
async fn refresh_after_401_then_success() {
    let server = Server::start(auth_server("Could not validate credentials", &["token-1"])).await;
    let tokens = Arc::new(Rotating::default());
    let client = HttpClient::new(config(&server).build().unwrap(), tokens.clone()).unwrap();
    let body: serde_json::Value = client.call(&CREATE).send_json().await.unwrap();
    assert_eq!(body["items"], json!([1, 2, 3]));
    assert_eq!(tokens.refreshes(), vec!["token-1".to_owned()]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[1].header("authorization").as_deref(),
        Some("Bearer token-2")
    );
}

#[tokio::test]
async fn second_401_is_unauthorized() {
    let server = Server::start(auth_server("Not authenticated", &["token-1", "token-2"])).await;
    let tokens = Arc::new(Rotating::default());
    let client = HttpClient::new(config(&server).build().unwrap(), tokens.clone()).unwrap();
    let error = client
        .call(&LIST)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(error.detail(), Some("Not authenticated"));
    assert_eq!(tokens.refreshes().len(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn role_401_is_not_refreshed() {
    let detail = "You do not have sufficient permissions to access this resource";
    let server = Server::start(auth_server(detail, &["token-1"])).await;
    let tokens = Arc::new(Rotating::default());
    let client = HttpClient::new(config(&server).build().unwrap(), tokens.clone()).unwrap();
    let error = client
        .call(&LIST)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(error.detail(), Some(detail));
    assert!(tokens.refreshes().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn static_token_rejection_is_sign_in_error() {
    let server = Server::start(auth_server(
        "Could not validate credentials",
        &["static-token"],
    ))
    .await;
    let error = client(config(&server))
        .call(&LIST)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::SignIn { .. }), "{error:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn success_false_at_200() {
    let body =
        json!({"status": {"success": false, "details": "Could not find Author Organisation ID"}});
    let server = Server::always(Reply::json(200, &body)).await;
    let error = client(config(&server))
        .call(&CREATE)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unsuccessful(_)), "{error:?}");
    assert_eq!(
        error.detail(),
        Some("Could not find Author Organisation ID")
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
    let unchecked: serde_json::Value = client(config(&server))
        .call(&CREATE)
        .send_json_unchecked()
        .await
        .unwrap();
    assert_eq!(unchecked["status"]["success"], json!(false));
}

#[tokio::test]
async fn validation_422_gives_field_errors() {
    let body = json!({"detail": [
        {"loc": ["body", "display_name"], "msg": "field required", "type": "value_error.missing"},
        {"loc": ["query", "page", 0], "msg": "value is not a valid integer", "type": "type_error.integer"}
    ]});
    let server = Server::always(Reply::json(422, &body)).await;
    let error = client(config(&server))
        .call(&CREATE)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    let Error::Validation { fields, .. } = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].location, "body.display_name");
    assert_eq!(fields[0].message, "field required");
    assert_eq!(fields[0].kind, "value_error.missing");
    assert_eq!(fields[1].location, "query.page.0");
    assert!(
        error
            .to_string()
            .contains("body.display_name: field required"),
        "{error}"
    );
}

#[tokio::test]
async fn html_page_where_json_expected() {
    let page = "<html><head><title>Maintenance</title></head><body>Back soon</body></html>";
    let server = Server::always(Reply::new(200, "text/html", page)).await;
    let error = client(config(&server))
        .call(&LIST)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    let Error::Decode { snippet, path, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert!(snippet.contains("<title>Maintenance</title>"), "{snippet}");
    assert_eq!(path, "/registry/registry/items/list");
}

#[tokio::test]
async fn html_error_page_becomes_detail() {
    let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let server = Server::always(Reply::new(502, "text/html", page)).await;
    let error = client(config(&server))
        .call(&CREATE)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert!(
        error.detail().unwrap().contains("502 Bad Gateway"),
        "{error}"
    );
}

#[tokio::test]
async fn decode_error_names_json_path() {
    #[derive(Debug, serde::Deserialize)]
    struct Page {
        #[allow(dead_code, reason = "only decoding is tested")]
        items: Vec<u32>,
    }
    let server = Server::always(Reply::json(200, &json!({"items": [1, "two"]}))).await;
    let error = client(config(&server))
        .call(&LIST)
        .send_json::<Page>()
        .await
        .unwrap_err();
    let Error::Decode { json_path, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(json_path, "items[1]");
}

#[tokio::test]
async fn truncated_body_is_transport_error() {
    let server =
        Server::always(Reply::new(200, "application/json", "{\"items\": [1,").truncated(4096))
            .await;
    let client = client(config(&server).retry(RetryPolicy::disabled()));
    let error = client.call(&LIST).send().await.unwrap_err();
    match &error {
        Error::Transport { before_send, .. } => assert!(!*before_send),
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert!(error.is_retryable());
}

#[tokio::test]
async fn truncated_body_retried_for_get() {
    let server = Server::start(|index, _| {
        if index == 0 {
            Reply::new(200, "application/json", "{\"items\": [1,").truncated(4096)
        } else {
            Reply::json(200, &ok_body())
        }
    })
    .await;
    let body: serde_json::Value = client(config(&server))
        .call(&LIST)
        .send_json()
        .await
        .unwrap();
    assert_eq!(body["items"], json!([1, 2, 3]));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn body_over_size_limit() {
    let server = Server::always(Reply::new(200, "application/json", vec![b' '; 64 * 1024])).await;
    let client = client(config(&server).max_response_bytes(16 * 1024));
    let error = client.call(&LIST).send().await.unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit: 16384, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_response_bytes"), "{error}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn token_never_sent_to_other_host() {
    let deployment = Server::always(Reply::json(200, &ok_body())).await;
    let other = Server::always(Reply::new(200, "text/plain", "file contents")).await;
    let client = client(config(&deployment));
    let url = url::Url::parse(&format!(
        "{}/bucket/file.csv?X-Amz-Signature=abc",
        other.url()
    ))
    .unwrap();
    let bytes = client
        .request_url(Method::GET, url)
        .send_bytes()
        .await
        .unwrap();
    assert_eq!(bytes, Bytes::from_static(b"file contents"));

    // A service request whose path lies outside every configured base also goes without it.
    let outside = url::Url::parse(&format!("{}/not-a-service", deployment.url())).unwrap();
    client
        .request_url(Method::GET, outside)
        .send()
        .await
        .unwrap();

    // The issuer is part of the deployment but never receives the API token.
    let issuer = http::Request::builder()
        .uri(format!(
            "{}/issuer/.well-known/openid-configuration",
            deployment.url()
        ))
        .body(Bytes::new())
        .unwrap();
    let response = client.send_raw(issuer).await.unwrap();
    assert_eq!(response.status(), 200);

    let requests = other.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("authorization"), None);
    let deployment_requests = deployment.requests();
    assert_eq!(deployment_requests.len(), 2);
    for request in deployment_requests {
        assert_eq!(request.header("authorization"), None, "{}", request.path);
    }
}

#[tokio::test]
async fn redirect_not_followed_with_token() {
    let other = Server::always(Reply::new(200, "text/plain", "captured")).await;
    let location = format!("{}/steal", other.url());
    let deployment =
        Server::always(Reply::new(302, "text/plain", "").header("location", &location)).await;
    let error = client(config(&deployment))
        .call(&LIST)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Status(_)), "{error:?}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(302));
    assert_eq!(deployment.requests().len(), 1);
    assert!(other.requests().is_empty());
}

#[tokio::test]
async fn tokens_redacted_in_logs() {
    let server = Server::start(|index, request| {
        let header = request.header("authorization").unwrap_or_default();
        if header == "Bearer token-1" {
            Reply::json(401, &json!({"detail": "Could not validate credentials"}))
        } else if index == 1 {
            Reply::new(503, "text/plain", "busy")
        } else {
            Reply::json(200, &json!({"access_token": "token-2", "items": []}))
        }
    })
    .await;
    let tokens = Arc::new(Rotating::default());
    let client = HttpClient::new(config(&server).build().unwrap(), tokens.clone()).unwrap();
    let (_guard, logs) = capture_logs();
    let _: serde_json::Value = client
        .call(&LIST)
        .query("code", "query-secret-value")
        .send_json()
        .await
        .unwrap();
    let error = client
        .call(&LIST)
        .send_json::<Vec<u32>>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    tracing::debug!(error = %provena_http::display_chain(&error), "logged by the caller");
    assert_eq!(server.requests().len(), 4);

    let text = logs.text();
    assert!(
        text.contains("request{service=registry method=GET path=/registry/registry/items/list"),
        "{text}"
    );
    assert!(text.contains("refreshing it once"), "{text}");
    assert!(text.contains("retrying request"), "{text}");
    assert!(text.contains("logged by the caller"), "{text}");
    assert!(!text.contains("token-1"), "{text}");
    assert!(!text.contains("token-2"), "{text}");
    assert!(!text.contains("query-secret-value"), "{text}");
    assert!(!text.to_ascii_lowercase().contains("bearer"), "{text}");
}

#[tokio::test]
async fn streaming_download_yields_body() {
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let server = Server::always(Reply::new(200, "text/csv", content.clone())).await;
    // The size limit applies to buffered bodies only.
    let client = client(config(&server).max_response_bytes(1024));
    let stream = client
        .request(Service::Datastore, Method::GET, "/files/download")
        .send_stream()
        .await
        .unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    let received: Vec<u8> = chunks.concat();
    assert_eq!(received.len(), content.len());
    assert_eq!(received, content);
}

#[tokio::test]
async fn streaming_download_error_status() {
    let server = Server::always(Reply::json(404, &json!({"detail": "no such file"}))).await;
    let result = client(config(&server))
        .request(Service::Datastore, Method::GET, "/files/download")
        .send_stream()
        .await;
    let Err(error) = result else {
        panic!("expected an error for HTTP 404");
    };
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(error.detail(), Some("no such file"));
}

#[tokio::test]
async fn multipart_upload_reaches_server() {
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let form = Multipart::new().text("note", "first run").file(
        "csv_file",
        "runs.csv",
        "text/csv",
        "a,b\n1,2\n",
    );
    let _: serde_json::Value = client(config(&server))
        .request(Service::Prov, Method::POST, "/bulk/convert")
        .multipart(form)
        .send_json()
        .await
        .unwrap();
    let request = &server.requests()[0];
    let content_type = request.header("content-type").unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8(request.body.to_vec()).unwrap();
    assert!(
        body.contains("name=\"csv_file\"; filename=\"runs.csv\""),
        "{body}"
    );
    assert!(body.contains("a,b\n1,2\n"), "{body}");
    assert!(body.contains("first run"), "{body}");
}

#[tokio::test]
async fn query_struct_skips_none() {
    #[derive(serde::Serialize)]
    struct Params {
        id: &'static str,
        page: Option<u32>,
    }
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let _: serde_json::Value = client(config(&server))
        .call(&LIST)
        .query_struct(&Params {
            id: "10378.1/1",
            page: None,
        })
        .send_json()
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].query.as_deref(),
        Some("id=10378.1%2F1")
    );
}

#[tokio::test]
async fn with_tokens_shares_pool() {
    let server = Server::always(Reply::json(200, &ok_body())).await;
    let first = client(config(&server));
    let second = first.with_tokens(Arc::new(StaticToken::new("second-token")));
    first.call(&LIST).send().await.unwrap();
    second.call(&LIST).send().await.unwrap();
    let requests = server.requests();
    assert_eq!(
        requests[0].header("authorization").as_deref(),
        Some("Bearer static-token")
    );
    assert_eq!(
        requests[1].header("authorization").as_deref(),
        Some("Bearer second-token")
    );
    assert_eq!(server.accepted(), 1);
}

#[test]
fn invalid_user_agent_suffix_rejected() {
    let config = Config::builder()
        .single_base("http://127.0.0.1:9")
        .user_agent_suffix("tool/1.0\r\nX-Injected: 1")
        .build()
        .unwrap();
    let error = HttpClient::anonymous(config).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("user_agent_suffix"), "{message}");
}
