//! Starting and stopping the double, and every service's response to unknown paths.

mod common;

use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use common::{get, send};
use provena_http::Service;
use provena_testkit::{DeviceApproval, ProvenaDouble, TestkitError};
use url::Url;

fn every_url(double: &ProvenaDouble) -> Vec<Url> {
    let mut urls: Vec<Url> = Service::API_SERVICES
        .iter()
        .map(|service| double.endpoints().url(*service).unwrap().clone())
        .collect();
    urls.push(double.issuer());
    urls.push(double.s3_endpoint());
    urls
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).is_ok()
}

#[tokio::test]
async fn each_service_has_own_port() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let urls = every_url(&double);
    let ports: HashSet<u16> = urls.iter().map(|url| url.port().unwrap()).collect();
    assert_eq!(ports.len(), 9, "{urls:?}");
    for url in &urls {
        assert_eq!(url.scheme(), "http");
        assert_eq!(url.host_str(), Some("127.0.0.1"));
    }
    assert_eq!(double.config().endpoints(), double.endpoints());
}

#[tokio::test]
async fn shutdown_frees_ports() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let ports: Vec<u16> = every_url(&double)
        .iter()
        .map(|url| url.port().unwrap())
        .collect();
    assert!(ports.iter().all(|port| !port_is_free(*port)));
    double.shutdown().await;
    for port in ports {
        assert!(port_is_free(port), "port {port} is still bound");
    }
}

#[tokio::test]
async fn drop_frees_ports() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let ports: Vec<u16> = every_url(&double)
        .iter()
        .map(|url| url.port().unwrap())
        .collect();
    drop(double);
    // Aborted tasks release their listeners when the runtime next polls them.
    for _ in 0..100 {
        if ports.iter().all(|port| port_is_free(*port)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("ports {ports:?} are still bound a second after drop");
}

#[tokio::test]
async fn temp_dir_removed_on_drop() {
    let chosen = tempfile::tempdir().unwrap();
    let double = ProvenaDouble::builder()
        .seed(false)
        .data_dir(chosen.path().join("s3"))
        .start()
        .await
        .unwrap();
    assert!(chosen.path().join("s3").is_dir());
    drop(double);
    // A directory the caller chose is left in place.
    assert!(chosen.path().join("s3").is_dir());
}

#[tokio::test]
async fn unknown_path_is_not_found() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    for service in Service::API_SERVICES {
        let base = double.endpoints().url(service).unwrap();
        let reply = get(base, "/surely/not/a/route", None).await.unwrap();
        assert_eq!(reply.status, 404, "{service}");
        assert_eq!(
            reply.json(),
            serde_json::json!({"detail": "Not Found"}),
            "{service}"
        );
    }
}

#[tokio::test]
async fn wrong_method_is_not_allowed() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let reply = send(
        &double.issuer(),
        "DELETE",
        "/.well-known/openid-configuration",
        &[],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 405);
    assert_eq!(
        reply.json(),
        serde_json::json!({"detail": "Method Not Allowed"})
    );
}

#[tokio::test]
async fn unknown_auto_approve_user_fails_start() {
    let result = ProvenaDouble::builder()
        .seed(false)
        .device_flow(DeviceApproval::Auto("mallory"))
        .start()
        .await;
    match result {
        Err(TestkitError::UnknownUser(name)) => assert_eq!(name, "mallory"),
        other => panic!("expected UnknownUser, got {other:?}"),
    }
}

#[tokio::test]
#[should_panic(expected = "not a built-in user")]
async fn access_token_for_unknown_user_panics() {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let _ = double.access_token("mallory");
}

#[tokio::test]
async fn two_doubles_reject_each_other() {
    let first = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let second = ProvenaDouble::builder().seed(false).start().await.unwrap();
    assert_ne!(first.issuer(), second.issuer());
    assert_ne!(first.service_account().1, second.service_account().1);
}
