//! Raw response shapes of the double's search service, handle service and auth API, over
//! HTTP on 127.0.0.1. The client crates test the behaviour; these tests pin the JSON.

use provena_http::http::Method;
use provena_http::{HttpClient, Service};
use provena_testkit::{ProvenaDouble, users};
use serde_json::{Value, json};

async fn get_json(
    client: &HttpClient,
    service: Service,
    path: &str,
    query: &[(&str, &str)],
) -> (u16, Value) {
    let mut request = client.request(service, Method::GET, path);
    for (key, value) in query {
        request = request.query(key, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap())
}

async fn post_json(
    client: &HttpClient,
    service: Service,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let response = client
        .request(service, Method::POST, path)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_slice(response.body()).unwrap())
}

#[tokio::test]
async fn search_response_shape() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    double.insert_registry_item(json!({
        "id": "10378.1/1", "item_subtype": "MODEL", "display_name": "Seagrass model"
    }));
    let client = double.client(users::READER);

    let (status, body) = get_json(
        &client,
        Service::Search,
        "/search/entity-registry",
        &[("query", "seagrass")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"]["success"], true);
    assert_eq!(
        body["status"]["details"],
        "Returned 1 results with no issues."
    );
    assert_eq!(body["results"][0]["id"], "10378.1/1");
    assert!(body["results"][0]["score"].as_f64().unwrap() > 0.0);
    assert_eq!(body["warnings"], Value::Null);
}

#[tokio::test]
async fn search_without_query_is_422() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let client = double.client(users::READER);
    let (status, body) = get_json(&client, Service::Search, "/search/entity-registry", &[]).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["query", "query"]));
    assert_eq!(body["detail"][0]["type"], "value_error.missing");
}

#[tokio::test]
async fn handle_response_shape() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let client = double.client(users::WRITER);

    let (status, body) = post_json(
        &client,
        Service::IdService,
        "/handle/mint",
        &json!({ "value_type": "DESC", "value": "first" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["properties"],
        json!([{ "type": "DESC", "value": "first", "index": 1 }])
    );
    let id = body["id"].as_str().unwrap().to_owned();

    let (status, body) = post_json(
        &client,
        Service::IdService,
        "/handle/add_value_by_index",
        &json!({ "id": id, "value_type": "URL", "value": "https://example.org" }),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "index"]));
}

/// Sends a GET without an `Authorization` header over a plain TCP connection, because
/// `HttpClient` always sends a token to the API services.
async fn get_without_token(base: &url::Url, path: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let host = base.host_str().unwrap();
    let port = base.port().unwrap();
    let mut stream = tokio::net::TcpStream::connect((host, port)).await.unwrap();
    let prefix = base.path().trim_end_matches('/');
    let request =
        format!("GET {prefix}{path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();

    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap())
}

#[tokio::test]
async fn auth_api_checks_tokens() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let base = double.endpoints().url(Service::Auth).unwrap().clone();

    let (status, body) = get_without_token(&base, "/check-access/public").await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);

    let (status, body) = get_without_token(&base, "/groups/user/list_groups").await;
    assert_eq!(status, 401);
    assert_eq!(body["detail"], "Not authenticated");

    let writer = double.client(users::WRITER);
    let (status, body) = get_json(&writer, Service::Auth, "/link/user/lookup", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "success": false }));
}
