//! Helpers shared by the registry test suites: the double, clients per user, and the
//! double's request counts.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use provena_http::{HttpClient, Service, StaticToken};
use provena_registry::RegistryClient;
use provena_registry::kinds::ItemKind;
use provena_testkit::ProvenaDouble;
use serde_json::Value;

/// Registry clients for the built-in users and the service account.
pub struct Registries {
    pub admin: RegistryClient,
    pub writer: RegistryClient,
    pub reader: RegistryClient,
    pub service: RegistryClient,
}

pub async fn start() -> (ProvenaDouble, Registries) {
    let double = ProvenaDouble::start().await.expect("the double starts");
    let registries = Registries {
        admin: RegistryClient::new(double.client(provena_testkit::users::ADMIN)),
        writer: RegistryClient::new(double.client(provena_testkit::users::WRITER)),
        reader: RegistryClient::new(double.client(provena_testkit::users::READER)),
        service: RegistryClient::new(service_account_client(&double).await),
    };
    (double, registries)
}

/// Signs the double's service account in with the client-credentials grant.
pub async fn service_account_client(double: &ProvenaDouble) -> HttpClient {
    let (client_id, secret) = double.service_account();
    let anonymous = HttpClient::anonymous(double.config()).unwrap();
    let mut token_url = double.issuer();
    let path = format!("{}/protocol/openid-connect/token", token_url.path());
    token_url.set_path(&path);
    let form = format!(
        "grant_type=client_credentials&client_id={client_id}&client_secret={}",
        secret.expose()
    );
    let response = anonymous
        .request_url(provena_http::http::Method::POST, token_url)
        .body("application/x-www-form-urlencoded", form)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().unwrap();
    let token = body["access_token"]
        .as_str()
        .expect("a service-account token")
        .to_owned();
    HttpClient::new(double.config(), Arc::new(StaticToken::new(token))).unwrap()
}

/// Returns the double's request counts per `METHOD /route`.
pub async fn calls(registry: &RegistryClient) -> BTreeMap<String, u64> {
    registry
        .http()
        .request(
            Service::Registry,
            provena_http::http::Method::GET,
            "/_double/calls",
        )
        .send_json()
        .await
        .unwrap()
}

/// Decodes a subtype's domain info out of an item's JSON (the item carries every domain
/// field, and unknown fields are ignored).
pub fn domain_info<K: ItemKind>(item: &impl serde::Serialize) -> K::DomainInfo {
    serde_json::from_value(serde_json::to_value(item).unwrap()).unwrap()
}
