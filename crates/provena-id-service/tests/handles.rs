//! The handle client against the embedded double, over HTTP on 127.0.0.1.

use std::collections::BTreeSet;

use provena_http::Error;
use provena_id_service::operations::{self, ALL};
use provena_id_service::{HandleClient, ValueType};
use provena_models::{MintRequest, ModifyRequest};
use provena_testkit::{ProvenaDouble, users};

const MISSING_ROLE: &str =
    "You are not authorised to access this resource as you don't have the correct role.";

fn values(handle: &provena_models::Handle) -> Vec<(i64, String, String)> {
    handle
        .properties
        .iter()
        .map(|property| {
            (
                property.index,
                property.type_.to_string(),
                property.value.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_operation_round_trip() {
    let double = ProvenaDouble::start().await.unwrap();
    let writer = HandleClient::new(double.client(users::WRITER));
    let admin = HandleClient::new(double.client(users::ADMIN));
    let mut called = BTreeSet::new();

    let minted = writer
        .mint(ValueType::Url, "https://example.org/a")
        .await
        .unwrap();
    called.insert(operations::MINT.id);
    assert!(
        minted.id.starts_with("10378.1/"),
        "unexpected id {}",
        minted.id
    );
    assert_eq!(
        values(&minted),
        vec![(1, "URL".to_owned(), "https://example.org/a".to_owned())]
    );

    let fetched = writer.get(&minted.id).await.unwrap();
    called.insert(operations::GET.id);
    assert_eq!(fetched, minted);

    let ids = writer.list().await.unwrap();
    called.insert(operations::LIST.id);
    assert!(ids.contains(&minted.id));

    let added = writer
        .add_value(&minted.id, ValueType::Desc, "landing page")
        .await
        .unwrap();
    called.insert(operations::ADD_VALUE.id);
    assert_eq!(added.properties.len(), 2);
    assert_eq!(added.properties[1].index, 2);
    assert_eq!(added.properties[1].type_, ValueType::Desc);

    let indexed = writer
        .add_value_by_index(&minted.id, 7, ValueType::Url, "https://example.org/b")
        .await
        .unwrap();
    called.insert(operations::ADD_VALUE_BY_INDEX.id);
    assert_eq!(
        indexed
            .properties
            .iter()
            .map(|p| p.index)
            .collect::<Vec<_>>(),
        vec![1, 2, 7]
    );

    let modified = writer
        .modify_by_index(&minted.id, 2, "new description")
        .await
        .unwrap();
    called.insert(operations::MODIFY_BY_INDEX.id);
    assert_eq!(modified.properties[1].value, "new description");
    assert_eq!(modified.properties[1].type_, ValueType::Desc);

    let removed = writer.remove_by_index(&minted.id, 1).await.unwrap();
    called.insert(operations::REMOVE_BY_INDEX.id);
    assert_eq!(
        removed
            .properties
            .iter()
            .map(|p| p.index)
            .collect::<Vec<_>>(),
        vec![2, 7]
    );
    assert_eq!(writer.get(&minted.id).await.unwrap(), removed);

    let general = writer.check_general_access().await.unwrap();
    called.insert(operations::CHECK_GENERAL_ACCESS.id);
    assert_eq!(general.username, users::WRITER);
    let read = writer.check_read_access().await.unwrap();
    called.insert(operations::CHECK_READ_ACCESS.id);
    assert!(read.roles.iter().any(|role| role == "handle-read"));
    writer.check_write_access().await.unwrap();
    called.insert(operations::CHECK_WRITE_ACCESS.id);
    let checked = admin.check_admin_access().await.unwrap();
    called.insert(operations::CHECK_ADMIN_ACCESS.id);
    assert_eq!(checked.username, users::ADMIN);

    let info = writer.service_info().await.unwrap();
    called.insert(operations::ROOT.id);
    assert!(!info.is_empty());

    let config = admin.config_file(true).await.unwrap();
    called.insert(operations::GENERATE_CONFIG_FILE.id);
    assert!(config.contains("SERVICE_NAME="), "config was {config:?}");

    let reported = admin
        .test_error_reporting()
        .await
        .unwrap()
        .unwrap_or_default();
    called.insert(operations::TEST_SENTRY_REPORTING.id);
    assert!(reported.contains_key("message"), "got {reported:?}");

    let all: BTreeSet<&str> = ALL.iter().map(|operation| operation.id).collect();
    assert_eq!(called, all);
    assert_eq!(ALL.len(), all.len(), "ALL lists an operation twice");
}

#[tokio::test]
async fn reader_cannot_mint() {
    let double = ProvenaDouble::start().await.unwrap();
    let reader = HandleClient::new(double.client(users::READER));
    let error = reader
        .mint(ValueType::Url, "https://example.org")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "got {error:?}");
    assert_eq!(error.detail(), Some(MISSING_ROLE));

    let error = reader.check_write_access().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "got {error:?}");
    let error = reader.config_file(false).await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "got {error:?}");
}

#[tokio::test]
async fn unknown_handle_is_server_error() {
    let double = ProvenaDouble::start().await.unwrap();
    let writer = HandleClient::new(double.client(users::WRITER));
    let error = writer.get("10378.1/404").await.unwrap_err();
    assert!(matches!(error, Error::Server(_)), "got {error:?}");
    let detail = error.detail().unwrap_or_default();
    assert!(detail.contains("10378.1/404"), "detail was {detail:?}");

    let error = writer
        .add_value("10378.1/404", ValueType::Desc, "x")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "got {error:?}");
}

#[tokio::test]
async fn index_errors_are_reported() {
    let double = ProvenaDouble::start().await.unwrap();
    let writer = HandleClient::new(double.client(users::WRITER));
    let handle = writer
        .mint(ValueType::Url, "https://example.org")
        .await
        .unwrap();

    let in_use = writer
        .add_value_by_index(&handle.id, 1, ValueType::Desc, "x")
        .await
        .unwrap_err();
    assert!(matches!(in_use, Error::Server(_)), "got {in_use:?}");
    assert!(in_use.detail().unwrap_or_default().contains("index 1"));

    let out_of_range = writer
        .modify_by_index(&handle.id, 9, "x")
        .await
        .unwrap_err();
    assert!(
        matches!(out_of_range, Error::Server(_)),
        "got {out_of_range:?}"
    );
    assert!(
        out_of_range
            .detail()
            .unwrap_or_default()
            .contains("index 9")
    );

    let remove = writer.remove_by_index(&handle.id, 3).await.unwrap_err();
    assert!(matches!(remove, Error::Server(_)), "got {remove:?}");

    // Nothing changed.
    assert_eq!(writer.get(&handle.id).await.unwrap(), handle);
}

#[tokio::test]
async fn bad_arguments_fail_before_sending() {
    let double = ProvenaDouble::start().await.unwrap();
    let writer = HandleClient::new(double.client(users::WRITER));

    let zero = writer.remove_by_index("10378.1/1", 0).await.unwrap_err();
    assert!(
        matches!(&zero, Error::Config { field, .. } if field == "index"),
        "got {zero:?}"
    );
    let empty = writer.get(" ").await.unwrap_err();
    assert!(
        matches!(&empty, Error::Config { field, .. } if field == "id"),
        "got {empty:?}"
    );
    let blank = writer.mint(ValueType::Url, "").await.unwrap_err();
    assert!(
        matches!(&blank, Error::Config { field, .. } if field == "value"),
        "got {blank:?}"
    );
}

#[tokio::test]
async fn invalid_body_is_validation_error() {
    let double = ProvenaDouble::start().await.unwrap();
    let http = double.client(users::WRITER);

    let request = MintRequest {
        value: "https://example.org".to_owned(),
        value_type: ValueType::Unknown("PHONE".to_owned()),
    };
    let error = operations::mint(&http, &request).await.unwrap_err();
    let Error::Validation { fields, .. } = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].location, "body.value_type");

    let request = ModifyRequest {
        id: String::new(),
        index: 1,
        value: "x".to_owned(),
    };
    // An empty id passes validation and fails as an unknown handle.
    let error = operations::modify_by_index(&http, &request)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(_)), "got {error:?}");
}
