//! The search client against the embedded double, over HTTP on 127.0.0.1.

use std::collections::BTreeSet;

use provena_http::{Error, Operation, Service};
use provena_search::operations::{self, ALL, SearchParams};
use provena_search::{ItemSubType, QueryResult, SearchClient};
use provena_testkit::{ProvenaDouble, users};
use serde_json::json;

const MISSING_ROLE: &str =
    "You are not authorised to access this resource as you don't have the correct role.";

/// Starts an unseeded double holding four items about reefs, ranked by how often and
/// where they name the word `kelpwave`.
async fn double_with_items() -> ProvenaDouble {
    let double = ProvenaDouble::builder().seed(false).start().await.unwrap();
    let items = [
        json!({
            "id": "10378.1/100",
            "item_subtype": "MODEL",
            "display_name": "Kelpwave growth model",
            "description": "Simulates kelpwave forests.",
            "keywords": ["kelpwave"],
        }),
        json!({
            "id": "10378.1/200",
            "item_subtype": "DATASET",
            "collection_format": {
                "dataset_info": {
                    "name": "Kelpwave survey",
                    "description": "Diver counts.",
                    "keywords": ["survey"],
                }
            },
        }),
        json!({
            "id": "10378.1/300",
            "item_subtype": "MODEL",
            "display_name": "Tide model",
            "description": "Mentions kelpwave once.",
        }),
        json!({
            "id": "10378.1/400",
            "item_subtype": "ORGANISATION",
            "display_name": "Unrelated institute",
            "name": "Unrelated institute",
        }),
    ];
    for item in items {
        double.insert_registry_item(item);
    }
    double
}

fn ids(hits: &[QueryResult]) -> Vec<&str> {
    hits.iter().map(|hit| hit.id.as_str()).collect()
}

#[tokio::test]
async fn search_ranks_by_score() {
    let double = double_with_items().await;
    let search = SearchClient::new(double.client(users::READER));

    let results = search.search("kelpwave").send().await.unwrap();
    assert_eq!(
        ids(&results.hits),
        ["10378.1/100", "10378.1/200", "10378.1/300"]
    );
    assert!(results.hits[0].score > results.hits[1].score);
    assert!(results.hits[1].score > results.hits[2].score);
    assert!(results.warnings.is_empty());
}

#[tokio::test]
async fn search_applies_limit_and_subtype() {
    let double = double_with_items().await;
    let search = SearchClient::new(double.client(users::READER));

    let limited = search
        .search("kelpwave")
        .record_limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&limited.hits), ["10378.1/100", "10378.1/200"]);

    let models = search
        .search("kelpwave")
        .subtype(ItemSubType::Model)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&models.hits), ["10378.1/100", "10378.1/300"]);

    let none = search.search("absent").send().await.unwrap();
    assert!(none.hits.is_empty());
}

/// The registry's general delete route, which admins use to delete any item.
const REGISTRY_GENERAL_DELETE: Operation =
    Operation::delete(Service::Registry, "delete", "/registry/general/delete");

#[tokio::test]
async fn loader_reports_deleted_ids_in_order() {
    let double = double_with_items().await;
    let search = SearchClient::new(double.client(users::READER)).with_fetch_concurrency(2);
    let hits = search.search("kelpwave").send().await.unwrap().hits;
    assert_eq!(ids(&hits), ["10378.1/100", "10378.1/200", "10378.1/300"]);

    // The middle hit's item is deleted after the search, as happens while a search index
    // lags behind the registry.
    double
        .client(users::ADMIN)
        .call(&REGISTRY_GENERAL_DELETE)
        .query("id", "10378.1/200")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();

    let loaded = search.load_items(&hits).await.unwrap();
    let loaded_ids: Vec<&str> = loaded.items.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(loaded_ids, ["10378.1/100", "10378.1/300"]);
    assert_eq!(
        loaded.items[0].item["display_name"],
        "Kelpwave growth model"
    );
    assert_eq!(loaded.items[0].score, hits[0].score);
    assert_eq!(loaded.items[1].score, hits[2].score);
    assert_eq!(loaded.missing.len(), 1);
    assert_eq!(loaded.missing[0].id, "10378.1/200");
    assert_eq!(loaded.missing[0].score, hits[1].score);
    assert!(!loaded.missing[0].details.is_empty());
}

#[tokio::test]
async fn send_and_load_returns_items() {
    let double = double_with_items().await;
    let search = SearchClient::new(double.client(users::READER));
    let loaded = search
        .search("survey")
        .subtype(ItemSubType::Dataset)
        .send_and_load()
        .await
        .unwrap();
    assert_eq!(loaded.items.len(), 1);
    assert_eq!(loaded.items[0].id, "10378.1/200");
    assert!(loaded.missing.is_empty());
}

#[tokio::test]
async fn every_operation_is_called() {
    let double = double_with_items().await;
    let reader = SearchClient::new(double.client(users::READER));
    let admin = SearchClient::new(double.client(users::ADMIN));
    let mut called = BTreeSet::new();

    reader.search("kelpwave").send().await.unwrap();
    called.insert(operations::SEARCH_ENTITY_REGISTRY.id);

    let info = reader.service_info().await.unwrap();
    called.insert(operations::ROOT.id);
    assert!(!info.is_empty());

    let general = reader.check_general_access().await.unwrap();
    called.insert(operations::CHECK_GENERAL_ACCESS.id);
    assert_eq!(general.username, users::READER);
    admin.check_read_access().await.unwrap();
    called.insert(operations::CHECK_READ_ACCESS.id);
    admin.check_write_access().await.unwrap();
    called.insert(operations::CHECK_WRITE_ACCESS.id);
    let checked = admin.check_admin_access().await.unwrap();
    called.insert(operations::CHECK_ADMIN_ACCESS.id);
    assert_eq!(checked.username, users::ADMIN);

    let config = admin.config_file(false).await.unwrap();
    called.insert(operations::GENERATE_CONFIG_FILE.id);
    assert!(
        config.contains("SERVICE_NAME=search"),
        "config was {config:?}"
    );

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
async fn non_admin_is_refused() {
    let double = double_with_items().await;
    let reader = SearchClient::new(double.client(users::READER));
    let error = reader.check_admin_access().await.unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "got {error:?}");
    assert_eq!(error.detail(), Some(MISSING_ROLE));
}

#[tokio::test]
async fn invalid_subtype_is_validation_error() {
    let double = double_with_items().await;
    let http = double.client(users::READER);
    let bogus = ItemSubType::Unknown("SPACESHIP".to_owned());
    let params = SearchParams {
        query: "kelpwave",
        subtype_filter: Some(&bogus),
        record_limit: None,
    };
    let error = operations::search_entity_registry(&http, &params)
        .await
        .unwrap_err();
    let Error::Validation { fields, .. } = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(fields[0].location, "query.subtype_filter");
}

#[tokio::test]
async fn blank_query_fails_before_sending() {
    let double = double_with_items().await;
    let search = SearchClient::new(double.client(users::READER));
    let error = search.search("  ").send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "query"),
        "got {error:?}"
    );
    let error = search
        .search("kelpwave")
        .record_limit(0)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config { field, .. } if field == "record_limit"),
        "got {error:?}"
    );
}
