//! Paging over the pagination key: many pages against the double, the total limit, and a
//! local server that returns the same key forever.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::routing::post;
use futures::TryStreamExt;
use provena_http::{Config, HttpClient, Service, StaticToken};
use provena_models::{ItemOrSeed, OrganisationDomainInfo};
use provena_registry::RegistryClient;
use serde_json::{Value, json};

/// Creates `count` organisations as the writer and returns their ids.
async fn create_organisations(registry: &RegistryClient, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for index in 0..count {
        let name = format!("Paging org {index:02}");
        let info = OrganisationDomainInfo {
            display_name: name.clone(),
            name,
            ror: None,
            user_metadata: None,
        };
        ids.push(
            registry
                .organisations()
                .create(&info)
                .await
                .unwrap()
                .item
                .id,
        );
    }
    ids
}

fn ids_of(records: &[ItemOrSeed<provena_models::ItemOrganisation>]) -> Vec<String> {
    records
        .iter()
        .filter_map(|record| record.complete().map(|item| item.id.clone()))
        .collect()
}

#[tokio::test]
async fn many_pages_lose_and_repeat_nothing() {
    let (_double, registries) = common::start().await;
    let seeded = registries
        .reader
        .organisations()
        .list()
        .collect_complete()
        .await
        .unwrap()
        .len();
    let created = create_organisations(&registries.writer, 53).await;
    let total = seeded + created.len();

    // Page size 10: the last page is partial and carries no key. The listing runs in a
    // spawned task, which also checks that the stream is `Send`.
    let organisations = registries.reader.organisations();
    let pages: Vec<_> = tokio::spawn(async move {
        organisations
            .list()
            .page_size(10)
            .pages()
            .try_collect::<Vec<_>>()
            .await
    })
    .await
    .unwrap()
    .unwrap();
    assert!(pages.len() > 5, "only {} pages", pages.len());
    assert_eq!(pages.len(), total.div_ceil(10));
    assert!(pages.iter().all(|page| page.items.len() <= 10));
    let listed: Vec<String> = pages.iter().flat_map(|page| ids_of(&page.items)).collect();
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(listed.len(), total, "items lost or repeated");
    assert_eq!(unique.len(), total, "items repeated");
    assert!(
        created.iter().all(|id| unique.contains(id)),
        "created items missing"
    );
}

#[tokio::test]
async fn full_last_page_ends_on_empty_page() {
    let (_double, registries) = common::start().await;
    let seeded = registries
        .reader
        .organisations()
        .list()
        .collect_complete()
        .await
        .unwrap()
        .len();
    // Make the total a multiple of the page size, so that the last page is full and the
    // registry returns a key followed by an empty page.
    let page_size = 8;
    let to_create = page_size * 6 - seeded;
    create_organisations(&registries.writer, to_create).await;
    let records: Vec<_> = registries
        .reader
        .organisations()
        .list()
        .page_size(page_size as u32)
        .items()
        .try_collect()
        .await
        .unwrap();
    let ids = ids_of(&records);
    assert_eq!(ids.len(), page_size * 6);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
}

#[tokio::test]
async fn limit_stops_mid_page() {
    let (_double, registries) = common::start().await;
    create_organisations(&registries.writer, 12).await;
    let records: Vec<_> = registries
        .reader
        .organisations()
        .list()
        .page_size(5)
        .limit(7)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 7);
}

/// Serves `/registry/entity/model/list` with one new item per request and always the same
/// pagination key, like a registry stuck on one page.
async fn repeating_server(requests: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().route(
        "/registry/entity/model/list",
        post(move |Json(body): Json<Value>| {
            let requests = Arc::clone(&requests);
            async move {
                let count = requests.fetch_add(1, Ordering::SeqCst);
                let id = format!("10378.1/{}", 100 + count);
                let _ = body;
                Json(json!({
                    "status": { "success": true, "details": "listed" },
                    "items": [{
                        "id": id,
                        "display_name": "Looping model",
                        "name": "Looping model",
                        "description": "Served by a stuck registry.",
                        "documentation_url": "https://models.example.org/docs",
                        "source_url": "https://models.example.org/source",
                        "history": [],
                        "owner_username": "admin",
                        "created_timestamp": 1,
                        "updated_timestamp": 1,
                        "record_type": "COMPLETE_ITEM",
                    }],
                    "pagination_key": { "id": "10378.1/100", "item_subtype": "MODEL" },
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{address}")
}

#[tokio::test]
async fn repeated_key_ends_listing() {
    let requests = Arc::new(AtomicUsize::new(0));
    let base = repeating_server(Arc::clone(&requests)).await;
    let config = Config::builder()
        .single_base(base.clone())
        .endpoint(Service::Registry, base)
        .allow_insecure_http(true)
        .build()
        .unwrap();
    let http = HttpClient::new(config, Arc::new(StaticToken::new("test-token"))).unwrap();
    let registry = RegistryClient::new(http);
    let records: Vec<_> = registry
        .models()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    // The first page returns the key, the second returns it again and ends the listing.
    assert_eq!(records.len(), 2);
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}
