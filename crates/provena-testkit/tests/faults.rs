//! Fault injection, observed on the wire.

mod common;

use std::time::{Duration, Instant};

use common::{get, send};
use provena_http::http::{Method, StatusCode};
use provena_http::{Error, Service};
use provena_testkit::{Fault, FaultScope, ProvenaDouble, users};
use serde_json::Value;

const DISCOVERY: &str = "/.well-known/openid-configuration";

async fn double() -> ProvenaDouble {
    ProvenaDouble::builder().seed(false).start().await.unwrap()
}

#[tokio::test]
async fn status_fault_counts_down() {
    let double = double().await;
    double.faults().inject(
        Fault::status(StatusCode::SERVICE_UNAVAILABLE)
            .retry_after(Duration::from_millis(1500))
            .on(Service::Issuer)
            .times(2),
    );
    let issuer = double.issuer();
    for _ in 0..2 {
        let reply = get(&issuer, DISCOVERY, None).await.unwrap();
        assert_eq!(reply.status, 503);
        // Retry-After is rounded up to whole seconds.
        assert_eq!(reply.header("retry-after"), Some("2"));
        assert!(reply.json()["detail"].as_str().unwrap().contains("503"));
    }
    let reply = get(&issuer, DISCOVERY, None).await.unwrap();
    assert_eq!(reply.status, 200);
    assert!(double.faults().armed().is_empty());
    assert_eq!(double.faults().applied(), 2);
}

#[tokio::test]
async fn fault_stays_in_its_scope() {
    let double = double().await;
    double
        .faults()
        .inject(Fault::status(StatusCode::BAD_GATEWAY).on(Service::Registry));
    let registry = double.endpoints().url(Service::Registry).unwrap().clone();
    let jobs = double.endpoints().url(Service::Jobs).unwrap().clone();

    assert_eq!(
        get(&registry, "/no-such-path", None).await.unwrap().status,
        502
    );
    assert_eq!(get(&jobs, "/no-such-path", None).await.unwrap().status, 404);
    assert_eq!(
        get(&double.issuer(), DISCOVERY, None).await.unwrap().status,
        200
    );
    // Without a count the fault stays until cleared.
    assert_eq!(
        get(&registry, "/no-such-path", None).await.unwrap().status,
        502
    );
    double.faults().clear();
    assert_eq!(
        get(&registry, "/no-such-path", None).await.unwrap().status,
        404
    );
}

#[tokio::test]
async fn fault_on_all_reaches_s3() {
    let double = double().await;
    double.faults().inject(
        Fault::status(StatusCode::INTERNAL_SERVER_ERROR)
            .scope(FaultScope::All)
            .times(3),
    );
    let s3 = double.s3_endpoint();
    let auth = double.endpoints().url(Service::Auth).unwrap().clone();
    assert_eq!(get(&s3, "/", None).await.unwrap().status, 500);
    assert_eq!(get(&auth, "/", None).await.unwrap().status, 500);
    assert_eq!(
        get(&double.issuer(), DISCOVERY, None).await.unwrap().status,
        500
    );
    assert_eq!(
        get(&double.issuer(), DISCOVERY, None).await.unwrap().status,
        200
    );
}

#[tokio::test]
async fn latency_delays_response() {
    let double = double().await;
    double.faults().inject(
        Fault::latency(Duration::from_millis(400))
            .on(Service::Issuer)
            .times(1),
    );
    let started = Instant::now();
    let reply = get(&double.issuer(), DISCOVERY, None).await.unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(double.faults().applied(), 1);
}

#[tokio::test]
async fn dropped_connection_has_no_response() {
    let double = double().await;
    double
        .faults()
        .inject(Fault::drop_connection().on(Service::Issuer).times(1));
    let error = get(&double.issuer(), DISCOVERY, None).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    assert_eq!(
        get(&double.issuer(), DISCOVERY, None).await.unwrap().status,
        200
    );
}

#[tokio::test]
async fn truncated_body_stops_halfway() {
    let double = double().await;
    let whole = get(&double.issuer(), DISCOVERY, None).await.unwrap();
    assert!(whole.complete);

    double
        .faults()
        .inject(Fault::truncate_body().on(Service::Issuer).times(1));
    let cut = get(&double.issuer(), DISCOVERY, None).await.unwrap();
    assert_eq!(cut.status, 200);
    assert!(!cut.complete);
    assert_eq!(cut.content_length, Some(whole.body.len()));
    assert_eq!(cut.body.len(), whole.body.len() / 2);
    assert_eq!(cut.body[..], whole.body[..whole.body.len() / 2]);
}

#[tokio::test]
async fn client_retries_through_fault() {
    let double = double().await;
    double.faults().inject(
        Fault::status(StatusCode::SERVICE_UNAVAILABLE)
            .on(Service::Issuer)
            .times(2),
    );
    let client = double.client(users::READER);
    let document: Value = client
        .request(Service::Issuer, Method::GET, DISCOVERY)
        .send_json()
        .await
        .unwrap();
    assert_eq!(
        document["issuer"],
        double.issuer().as_str().trim_end_matches('/')
    );
    assert_eq!(double.faults().applied(), 2);
}

#[tokio::test]
async fn client_sees_truncation_as_error() {
    let double = double().await;
    double
        .faults()
        .inject(Fault::truncate_body().on(Service::Issuer));
    let client = double.client(users::READER);
    let result = client
        .request(Service::Issuer, Method::GET, DISCOVERY)
        .send_json::<Value>()
        .await;
    assert!(
        matches!(
            result,
            Err(Error::Transport { .. }) | Err(Error::Decode { .. })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn zero_count_fault_is_ignored() {
    let double = double().await;
    double
        .faults()
        .inject(Fault::status(StatusCode::BAD_GATEWAY).times(0));
    assert!(double.faults().armed().is_empty());
    let reply = send(&double.issuer(), "GET", DISCOVERY, &[], b"")
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
}
