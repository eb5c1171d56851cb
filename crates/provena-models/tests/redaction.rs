//! `Debug` output of the types that carry secrets, decoded from payloads written for these
//! tests: secret values never appear, every other field does.

use provena_models::{
    CredentialResponse, Credentials, JobStatusTable, ListJobsResponse, PresignedURLResponse, User,
};
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

/// An encrypted user record as a job payload carries it: opaque text that must not print.
const USER_INFO: &str = "gAAAAABnEncryptedUserRecordQk9CU0VDUkVUVVNFUklORk8=";
const NESTED_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.nestedaccesstoken.c2ln";

fn report_url() -> String {
    format!(
        "https://provena-reports.s3.ap-southeast-2.amazonaws.com/reports/study-7.docx\
         ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY_ID}%2F20261204\
         &X-Amz-Expires=3600&X-Amz-Security-Token={SESSION_TOKEN}&X-Amz-Signature={SIGNATURE}"
    )
}

fn job_json() -> Value {
    json!({
        "session_id": "c1d7e3a2-5b1f-4a86-9d0e-2f4b7a6c8e11",
        "created_timestamp": 1_764_860_400,
        "username": "writer",
        "batch_id": "batch-42",
        "job_type": "REGISTRY",
        "job_sub_type": "GENERATE_REPORT",
        "status": "SUCCEEDED",
        "info": "Report ready.",
        "payload": {
            "id": "10378.1/1700042",
            "depth": 3,
            "item_subtype": "STUDY",
            "user_info": USER_INFO,
            "context": {
                "clients": [
                    {"name": "lodge", "access_token": NESTED_TOKEN, "scopes": ["read", "write"]}
                ],
                "dry_run": false,
                "note": null
            }
        },
        "result": {
            "presigned_url": report_url(),
            "mirror": [report_url(), "https://example.org/reports/public.docx"],
            "message": format!("Download the report from {} within an hour.", report_url()),
            "pages": 12
        }
    })
}

/// Asserts that none of the secrets placed in [`job_json`] appear in `printed`.
fn assert_job_secrets_hidden(printed: &str) {
    for secret in [
        USER_INFO,
        NESTED_TOKEN,
        SIGNATURE,
        SESSION_TOKEN,
        ACCESS_KEY_ID,
        "X-Amz-",
    ] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
}

#[test]
fn job_hides_payload_and_result_secrets() {
    let job: JobStatusTable = decode(job_json());
    let printed = format!("{job:?}");

    assert_job_secrets_hidden(&printed);
    assert!(printed.contains("\"user_info\": <redacted>"), "{printed}");
    assert!(
        printed.contains("\"access_token\": <redacted>"),
        "{printed}"
    );
    let redacted_report = "\"https://provena-reports.s3.ap-southeast-2.amazonaws.com/reports/study-7.docx?<redacted>\"";
    assert!(
        printed.contains(&format!("\"presigned_url\": {redacted_report}")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!(
            "\"mirror\": [{redacted_report}, \"https://example.org/reports/public.docx\"]"
        )),
        "{printed}"
    );
    assert!(
        printed.contains(
            "\"message\": \"Download the report from https://provena-reports.s3.ap-southeast-2.amazonaws.com/reports/study-7.docx?<redacted> within an hour.\""
        ),
        "{printed}"
    );
    // Every other key and value still prints.
    for expected in [
        "\"id\": \"10378.1/1700042\"",
        "\"depth\": 3",
        "\"item_subtype\": \"STUDY\"",
        "\"name\": \"lodge\"",
        "\"scopes\": [\"read\", \"write\"]",
        "\"dry_run\": false",
        "\"note\": null",
        "\"pages\": 12",
        "result: Some({",
        "session_id: \"c1d7e3a2-5b1f-4a86-9d0e-2f4b7a6c8e11\"",
        "batch_id: Some(\"batch-42\")",
        "status: Succeeded",
        "info: Some(\"Report ready.\")",
    ] {
        assert!(printed.contains(expected), "{expected} missing: {printed}");
    }

    // Decoding keeps the secrets, and only `Debug` hides them.
    assert_eq!(job.payload["user_info"], USER_INFO);
    assert_eq!(
        job.payload["context"]["clients"][0]["access_token"],
        NESTED_TOKEN
    );
    assert_eq!(job.result.as_ref().unwrap()["presigned_url"], report_url());
    assert_eq!(serde_json::to_value(&job).unwrap(), job_json());
}

#[test]
fn job_alternate_debug_hides_secrets() {
    let job: JobStatusTable = decode(job_json());
    let printed = format!("{job:#?}");

    assert_job_secrets_hidden(&printed);
    assert!(
        printed.contains("\"user_info\": <redacted>,\n"),
        "{printed}"
    );
    assert!(
        printed.contains("\"access_token\": <redacted>,\n"),
        "{printed}"
    );
    assert!(printed.contains("\"scopes\": [\n"), "{printed}");
    assert!(printed.contains("\"pages\": 12,\n"), "{printed}");
}

#[test]
fn job_listing_hides_every_job_secret() {
    let mut second = job_json();
    second["session_id"] = json!("0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d");
    second["status"] = json!("FAILED");
    second["result"] = json!(null);
    let listing: ListJobsResponse = decode(json!({
        "jobs": [job_json(), second],
        "pagination_key": {"session_id": "0a9b8c7d", "created_timestamp": 1_764_860_400}
    }));
    let printed = format!("{listing:?}");

    assert_job_secrets_hidden(&printed);
    assert_eq!(
        printed.matches("\"user_info\": <redacted>").count(),
        2,
        "{printed}"
    );
    assert!(printed.contains("result: None"), "{printed}");
    assert!(printed.contains("status: Failed"), "{printed}");
    assert!(
        printed.contains(
            "pagination_key: Some({\"session_id\": \"0a9b8c7d\", \"created_timestamp\": 1764860400})"
        ),
        "{printed}"
    );
}
