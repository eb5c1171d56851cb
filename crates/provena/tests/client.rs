//! The facade against the embedded double: building clients and reaching each service.

use provena::{Error, Provena, Service};
use provena_testkit::{ProvenaDouble, users};

#[tokio::test]
async fn static_token_reaches_every_service() {
    let double = ProvenaDouble::start().await.unwrap();
    let provena = Provena::builder()
        .endpoints(double.endpoints())
        .static_token(double.access_token(users::WRITER))
        .build()
        .unwrap();

    let counts = provena.registry().count_by_subtype().await.unwrap();
    assert!(counts.total() > 0, "the seeded registry is empty");
    let datasets = provena.datastore().check_read_access().await.unwrap();
    assert_eq!(datasets.username, users::WRITER);
    assert!(provena.auth().check_general_access().await.is_ok());
    assert!(provena.jobs().check_read_access().await.is_ok());
    assert!(provena.prov().check_read_access().await.is_ok());
    let search_check = provena.search().check_general_access().await;
    assert!(search_check.is_ok(), "{search_check:?}");
    assert!(provena.handles().list().await.is_ok());
    assert_eq!(
        provena.endpoints().url(Service::Registry),
        double.endpoints().url(Service::Registry)
    );
}

#[tokio::test]
async fn device_flow_signs_in_through_the_double() {
    let double = ProvenaDouble::start().await.unwrap();
    let provena = Provena::builder()
        .endpoints(double.endpoints())
        .client_id(double.oidc_client_id())
        .device_flow()
        .sign_in(|sign_in| {
            sign_in
                .no_store()
                .prompt(|_: &provena::oidc::DeviceCodePrompt| {})
        })
        .build()
        .unwrap();
    let claims = provena.session().unwrap().sign_in().await.unwrap().unwrap();
    assert_eq!(claims.username.as_deref(), Some(users::WRITER));
    let person = provena.auth().linked_person().await.unwrap();
    assert_eq!(person, None);
}

#[test]
fn missing_sign_in_method_is_rejected() {
    let error = Provena::builder()
        .domain("provena.example.org")
        .realm("provena")
        .build()
        .unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(message.contains("device_flow()"), "{message}");
}

#[test]
fn env_picks_offline_token_before_device_flow() {
    let env = |name: &str| match name {
        "PROVENA_DOMAIN" => Some("provena.example.org".to_owned()),
        "PROVENA_REALM" => Some("provena".to_owned()),
        "PROVENA_OFFLINE_TOKEN" => Some("offline-token-value".to_owned()),
        _ => None,
    };
    let provena = Provena::builder().env(env).build().unwrap();
    assert!(provena.session().is_some());
    assert_eq!(
        provena.endpoints().issuer().as_str(),
        "https://auth.provena.example.org/auth/realms/provena"
    );
    assert!(!format!("{provena:?}").contains("offline-token-value"));
}

#[test]
fn client_secret_without_client_id_is_rejected() {
    let env = |name: &str| match name {
        "PROVENA_DOMAIN" => Some("provena.example.org".to_owned()),
        "PROVENA_REALM" => Some("provena".to_owned()),
        "PROVENA_CLIENT_SECRET" => Some("secret".to_owned()),
        _ => None,
    };
    let error = Provena::builder().env(env).build().unwrap_err();
    assert!(error.to_string().contains("PROVENA_CLIENT_ID"), "{error}");
}

#[test]
fn plain_http_s3_endpoint_needs_loopback() {
    let build = |endpoint: &str| {
        Provena::builder()
            .domain("provena.example.org")
            .realm("provena")
            .static_token("token")
            .s3_endpoint(endpoint)
            .build()
    };
    assert!(build("http://127.0.0.1:9000").is_ok());
    assert!(build("https://s3.ap-southeast-2.amazonaws.com").is_ok());
    let error = build("http://10.0.0.5:9000").unwrap_err();
    assert!(error.to_string().contains("PROVENA_S3_ENDPOINT"), "{error}");
    assert!(build("ftp://files.example.org").is_err());
}

#[test]
fn empty_static_token_is_rejected() {
    let error = Provena::builder()
        .domain("provena.example.org")
        .realm("provena")
        .static_token(" ")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("token is empty"), "{error}");
}

#[test]
fn invalid_s3_endpoint_is_rejected() {
    let error = Provena::builder()
        .domain("provena.example.org")
        .realm("provena")
        .static_token("token")
        .s3_endpoint("not a url")
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("not a url"), "{error}");
}
