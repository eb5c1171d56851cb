//! Signing in against the embedded Provena double and calling a service with the session.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{channel_prompt, sign_in_error};
use provena_http::{HttpClient, Service, TokenProvider};
use provena_oidc::{SignIn, SignInError};
use provena_testkit::{DeviceApproval, ProvenaDouble, users};

async fn double() -> Arc<ProvenaDouble> {
    let double = ProvenaDouble::builder()
        .device_flow(DeviceApproval::Manual)
        .device_poll_interval(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    Arc::new(double)
}

#[tokio::test]
async fn device_flow_against_double_calls_a_service() {
    let double = double().await;
    let issuer_client = HttpClient::anonymous(double.config()).unwrap();
    let (prompt, mut prompts) = channel_prompt();
    let session = SignIn::new(&issuer_client)
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();
    let client = issuer_client.with_tokens(session.clone().into_provider());
    let approver = {
        let double = Arc::clone(&double);
        tokio::spawn(async move {
            let prompt = prompts.recv().await.expect("a device code is shown");
            double
                .approve_device(prompt.user_code.expose(), users::WRITER)
                .unwrap();
        })
    };

    let response = client
        .request(Service::Auth, http::Method::GET, "/check-access/general")
        .send()
        .await
        .unwrap();

    approver.await.unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text());
    assert_eq!(
        session.claims().unwrap().username.as_deref(),
        Some(users::WRITER)
    );
}

#[tokio::test]
async fn denied_device_code_against_double() {
    let double = double().await;
    let issuer_client = HttpClient::anonymous(double.config()).unwrap();
    let (prompt, mut prompts) = channel_prompt();
    let session = SignIn::new(&issuer_client)
        .device_flow()
        .no_store()
        .prompt(prompt)
        .build()
        .unwrap();
    let denier = {
        let double = Arc::clone(&double);
        tokio::spawn(async move {
            let prompt = prompts.recv().await.expect("a device code is shown");
            double.deny_device(prompt.user_code.expose()).unwrap();
        })
    };

    let error = session.access_token().await.unwrap_err();

    denier.await.unwrap();
    assert!(
        matches!(sign_in_error(&error), SignInError::AccessDenied),
        "{error:?}"
    );
}

#[tokio::test]
async fn offline_token_from_double() {
    let double = double().await;
    let issuer_client = HttpClient::anonymous(double.config()).unwrap();
    let session = SignIn::new(&issuer_client)
        .offline_token(double.offline_token(users::READER))
        .build()
        .unwrap();

    session.access_token().await.unwrap();

    assert_eq!(
        session.claims().unwrap().username.as_deref(),
        Some(users::READER)
    );
}
