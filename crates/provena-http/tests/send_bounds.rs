//! Request futures and streams must be `Send`, so callers can spawn them on any runtime
//! thread and service crates can return `Send` streams.

use std::sync::Arc;

use provena_http::{Config, HttpClient, Operation, Service, StaticToken};

fn assert_send<T: Send>(_: &T) {}

const PING: Operation = Operation::get(Service::Registry, "ping", "/ping");

#[test]
fn request_futures_are_send() {
    let config = Config::builder()
        .domain("provena.example.org")
        .realm("provena")
        .build()
        .unwrap();
    let client = HttpClient::new(config, Arc::new(StaticToken::new("token"))).unwrap();

    assert_send(&client.call(&PING).send());
    assert_send(&client.call(&PING).send_json::<serde_json::Value>());
    assert_send(
        &client
            .call(&PING)
            .send_json_unchecked::<serde_json::Value>(),
    );
    assert_send(&client.call(&PING).send_bytes());
    assert_send(&client.call(&PING).send_stream());
}

#[tokio::test]
async fn request_future_can_be_spawned() {
    let config = Config::builder()
        .single_base("http://127.0.0.1:9")
        .retry(provena_http::RetryPolicy::disabled())
        .build()
        .unwrap();
    let client = HttpClient::new(config, Arc::new(StaticToken::new("token"))).unwrap();
    let task = tokio::spawn(async move { client.call(&PING).send().await });
    let result = task.await.unwrap();
    assert!(
        matches!(result, Err(provena_http::Error::Transport { .. })),
        "{result:?}"
    );
}
