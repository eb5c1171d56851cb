//! Blank ids and reasons fail in the client with a usage error, before any request; an
//! empty listing prefix sets no filter.

mod common;

use std::collections::BTreeMap;

use futures::TryStreamExt;
use provena_http::Error;
use provena_models::{AccessSettings, ModelDomainInfo};

fn model(name: &str) -> ModelDomainInfo {
    ModelDomainInfo {
        description: format!("{name}, written for the tests."),
        display_name: name.to_owned(),
        documentation_url: "https://models.example.org/docs".to_owned(),
        name: name.to_owned(),
        source_url: "https://models.example.org/source".to_owned(),
        user_metadata: None,
    }
}

/// Returns the double's request counts, without its own counting route.
async fn item_calls(registry: &provena_registry::RegistryClient) -> BTreeMap<String, u64> {
    common::calls(registry)
        .await
        .into_iter()
        .filter(|(route, _)| !route.contains("/_double/"))
        .collect()
}

fn assert_usage_error(result: Result<impl std::fmt::Debug, Error>, argument: &str, call: &str) {
    match result {
        Err(Error::Config { field, fix, .. }) => {
            assert_eq!(field, argument, "{call}");
            assert!(!fix.is_empty(), "{call}: the error says what to do");
        }
        other => panic!("{call}: expected a usage error for `{argument}`, got {other:?}"),
    }
}

#[tokio::test]
async fn blank_ids_fail_before_any_request() {
    let (_double, registries) = common::start().await;
    let models = registries.admin.models();
    let before = item_calls(&registries.admin).await;
    for id in ["", "  ", "\t"] {
        assert_usage_error(models.fetch(id).await, "id", "fetch");
        assert_usage_error(models.fetch_opt(id).await, "id", "fetch_opt");
        assert_usage_error(models.fetch_complete(id).await, "id", "fetch_complete");
        assert_usage_error(models.proxy_fetch(id).await, "id", "proxy_fetch");
        assert_usage_error(models.my_roles(id).await, "id", "my_roles");
        assert_usage_error(models.access_settings(id).await, "id", "access_settings");
        let settings = AccessSettings {
            general: Vec::new(),
            groups: std::collections::BTreeMap::new(),
            owner: String::from("admin"),
        };
        assert_usage_error(
            models.set_access_settings(id, &settings).await,
            "id",
            "set_access_settings",
        );
        assert_usage_error(models.lock(id, "why").await, "id", "lock");
        assert_usage_error(models.unlock(id, "why").await, "id", "unlock");
        assert_usage_error(models.is_locked(id).await, "id", "is_locked");
        assert_usage_error(models.lock_history(id).await, "id", "lock_history");
        assert_usage_error(models.delete(id).await, "id", "delete");
        assert_usage_error(models.update(id, "why", &model("M")).await, "id", "update");
        assert_usage_error(models.revert(id, 0, "why").await, "id", "revert");
        assert_usage_error(models.version(id, "why").await, "id", "version");
        assert_usage_error(registries.admin.fetch(id).await, "id", "general fetch");
        assert_usage_error(
            registries.admin.fetch_opt(id).await,
            "id",
            "general fetch_opt",
        );
        assert_usage_error(
            registries.admin.proxy_fetch(id, "writer").await,
            "id",
            "general proxy_fetch",
        );
        assert_usage_error(registries.admin.delete(id).await, "id", "general delete");
    }
    assert_eq!(
        item_calls(&registries.admin).await,
        before,
        "nothing was sent"
    );
}

#[tokio::test]
async fn blank_reasons_fail_before_any_request() {
    let (_double, registries) = common::start().await;
    let models = registries.admin.models();
    let id = models.create(&model("Reasoned")).await.unwrap().item.id;
    let before = item_calls(&registries.admin).await;
    for reason in ["", " \n"] {
        assert_usage_error(
            models.update(&id, reason, &model("M")).await,
            "reason",
            "update",
        );
        assert_usage_error(models.revert(&id, 0, reason).await, "reason", "revert");
        assert_usage_error(models.version(&id, reason).await, "reason", "version");
        assert_usage_error(models.lock(&id, reason).await, "reason", "lock");
        assert_usage_error(models.unlock(&id, reason).await, "reason", "unlock");
    }
    assert_eq!(
        item_calls(&registries.admin).await,
        before,
        "nothing was sent"
    );
    match models.lock(&id, "  ").await {
        Err(error) => assert!(
            error.to_string().contains("non-empty reason"),
            "the message says what to do: {error}"
        ),
        Ok(()) => panic!("a blank reason was accepted"),
    }
    assert!(
        !models.is_locked(&id).await.unwrap(),
        "the item stayed unlocked"
    );
}

#[tokio::test]
async fn empty_prefix_lists_like_no_prefix() {
    let (_double, registries) = common::start().await;
    let models = registries.admin.models();
    for name in ["Alpha model", "Beta model"] {
        models.create(&model(name)).await.unwrap();
    }
    let ids = |records: Vec<provena_registry::Record<provena_registry::kinds::Model>>| {
        let mut ids: Vec<String> = records
            .iter()
            .map(|record| serde_json::to_value(record).unwrap()["id"].to_string())
            .collect();
        ids.sort();
        ids
    };
    let unfiltered = ids(models.list().items().try_collect().await.unwrap());
    let empty = ids(models
        .list()
        .begins_with("")
        .items()
        .try_collect()
        .await
        .unwrap());
    assert!(unfiltered.len() >= 2);
    assert_eq!(empty, unfiltered);
    let cleared = ids(models
        .list()
        .begins_with("Zeta")
        .begins_with("")
        .items()
        .try_collect()
        .await
        .unwrap());
    assert_eq!(cleared, unfiltered, "an empty prefix clears an earlier one");
}
