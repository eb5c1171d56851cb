//! `Debug` output of the types that carry secrets, decoded from payloads written for these
//! tests: secret values never appear, every other field does.

use provena_models::{CredentialResponse, Credentials, PresignedURLResponse, User};
use serde_json::{Value, json};

const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3cml0ZXIifQ.c2lnbmF0dXJl";
const ACCESS_KEY_ID: &str = "ASIAEXAMPLEKEYID7788";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY55";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKENa1b2c3d4";
const SIGNATURE: &str = "5f3c0b9e2a7d41c8b6e0f9a4d3c2b1a0";
const SIGNIN_TOKEN: &str = "SigninTokenValue991";

fn decode<T: serde::de::DeserializeOwned>(body: Value) -> T {
    serde_json::from_value(body).unwrap()
}

fn credentials_json() -> Value {
    json!({
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET_ACCESS_KEY,
        "aws_session_token": SESSION_TOKEN,
        "expiry": "2026-12-04T18:00:00Z"
    })
}

fn presigned_url() -> String {
    format!(
        "https://provena-data.s3.ap-southeast-2.amazonaws.com/datasets/10378.1-1700001/data/run.csv\
         ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY_ID}%2F20261204\
         &X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature={SIGNATURE}"
    )
}

#[test]
fn user_hides_access_token() {
    let user: User = decode(json!({
        "username": "writer",
        "email": "writer@example.org",
        "roles": ["entity-registry-write", "data-store-read"],
        "access_token": ACCESS_TOKEN
    }));
    let printed = format!("{user:?}");

    assert!(!printed.contains(ACCESS_TOKEN), "{printed}");
    assert!(!printed.contains("eyJ"), "{printed}");
    assert!(printed.contains("access_token: <redacted>"), "{printed}");
    assert!(printed.contains("username: \"writer\""), "{printed}");
    assert!(
        printed.contains("email: Some(\"writer@example.org\")"),
        "{printed}"
    );
    assert!(printed.contains("\"entity-registry-write\""), "{printed}");
    assert!(printed.contains("\"data-store-read\""), "{printed}");
    assert_eq!(user.access_token, ACCESS_TOKEN);
}

#[test]
fn user_alternate_debug_hides_token() {
    let user: User = decode(json!({
        "username": "reader",
        "roles": [],
        "access_token": ACCESS_TOKEN
    }));
    let printed = format!("{user:#?}");

    assert!(!printed.contains(ACCESS_TOKEN), "{printed}");
    assert!(printed.contains("access_token: <redacted>,"), "{printed}");
    assert!(printed.contains("email: None,"), "{printed}");
    assert!(printed.starts_with("User {\n"), "{printed}");
}

#[test]
fn credentials_hide_aws_keys() {
    let credentials: Credentials = decode(credentials_json());
    let printed = format!("{credentials:?}");

    for secret in [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(
        printed.contains("aws_access_key_id: <redacted>"),
        "{printed}"
    );
    assert!(
        printed.contains("aws_secret_access_key: <redacted>"),
        "{printed}"
    );
    assert!(
        printed.contains("aws_session_token: <redacted>"),
        "{printed}"
    );
    assert!(printed.contains("expiry: 2026-12-04"), "{printed}");
    assert_eq!(credentials.aws_secret_access_key, SECRET_ACCESS_KEY);
}

#[test]
fn credential_response_hides_keys_and_signin_query() {
    let console_url = format!(
        "https://signin.aws.amazon.com/federation?Action=login&Destination=console&SigninToken={SIGNIN_TOKEN}"
    );
    let response: CredentialResponse = decode(json!({
        "status": {"success": true, "details": "Successfully generated credentials."},
        "credentials": credentials_json(),
        "console_session_url": console_url
    }));
    let printed = format!("{response:?}");

    for secret in [
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        SESSION_TOKEN,
        SIGNIN_TOKEN,
    ] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(!printed.contains("Action=login"), "{printed}");
    assert!(
        printed.contains(
            "console_session_url: Some(\"https://signin.aws.amazon.com/federation?<redacted>\")"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("details: \"Successfully generated credentials.\""),
        "{printed}"
    );
    assert!(printed.contains("success: true"), "{printed}");
    assert!(printed.contains("expiry: 2026-12-04"), "{printed}");
    assert_eq!(response.console_session_url.as_deref(), Some(&*console_url));
}

#[test]
fn credential_response_without_console_url() {
    let response: CredentialResponse = decode(json!({
        "status": {"success": true, "details": "ok"},
        "credentials": credentials_json()
    }));
    let printed = format!("{response:?}");

    assert!(printed.contains("console_session_url: None"), "{printed}");
    assert!(!printed.contains(SECRET_ACCESS_KEY), "{printed}");
}

#[test]
fn presigned_response_hides_query() {
    let response: PresignedURLResponse = decode(json!({
        "dataset_id": "10378.1/1700001",
        "file_path": "data/run.csv",
        "presigned_url": presigned_url()
    }));
    let printed = format!("{response:?}");

    for secret in [SIGNATURE, SESSION_TOKEN, ACCESS_KEY_ID, "X-Amz-"] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    assert!(
        printed.contains(
            "presigned_url: \"https://provena-data.s3.ap-southeast-2.amazonaws.com/datasets/10378.1-1700001/data/run.csv?<redacted>\""
        ),
        "{printed}"
    );
    assert!(
        printed.contains("dataset_id: \"10378.1/1700001\""),
        "{printed}"
    );
    assert!(printed.contains("file_path: \"data/run.csv\""), "{printed}");
    assert_eq!(response.presigned_url, presigned_url());
}

#[test]
fn redacted_types_serialize_in_full() {
    let response: PresignedURLResponse = decode(json!({
        "dataset_id": "10378.1/1700001",
        "file_path": "data/run.csv",
        "presigned_url": presigned_url()
    }));
    let credentials: Credentials = decode(credentials_json());

    let response_json = serde_json::to_value(&response).unwrap();
    let credentials_json = serde_json::to_value(&credentials).unwrap();

    assert_eq!(response_json["presigned_url"], presigned_url());
    assert_eq!(credentials_json["aws_session_token"], SESSION_TOKEN);
}
