//! Sends every registry operation in `operations::ALL` at least once against the double,
//! through the client methods, and checks with the double's request counts that each one
//! reached its route.

mod common;

use futures::TryStreamExt;
use provena_models::{
    BundledItem, ImportMode, ProvGraphRestoreRequest, QueryRecordTypes, RegistryImportRequest,
    RegistryRestoreRequest, TableNames,
};
use provena_registry::kinds::{self, RegistryItem};
use provena_registry::operations::{self, SubtypeRoutes};
use provena_registry::{
    AccessLevel, ItemClient, ListOptions, ProxyUpdateOptions, RegistryClient, ReviewListOptions,
};

const UNKNOWN_ID: &str = "10378.1/1";

/// Sends the fifteen operations every subtype serves, on an existing item `id`.
async fn exercise_common<K: SubtypeRoutes>(
    admin: &RegistryClient,
    service: &RegistryClient,
    id: &str,
) {
    let items: ItemClient<K> = admin.items();
    let record = items.fetch(id).await.unwrap();
    let info = common::domain_info::<K>(&record);
    items.validate(&info).await.unwrap();
    service.items::<K>().proxy_fetch(id).await.unwrap();
    let listed: Vec<_> = items
        .list()
        .record_type(QueryRecordTypes::All)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(!listed.is_empty(), "{} listing is empty", K::NAME);
    assert!(items.schema().await.unwrap().is_object());
    assert!(items.ui_schema().await.unwrap().is_object());
    assert!(
        items
            .my_roles(id)
            .await
            .unwrap()
            .contains(&"admin".to_owned())
    );
    let settings = items.access_settings(id).await.unwrap();
    items.set_access_settings(id, &settings).await.unwrap();
    assert!(!items.available_roles().await.unwrap().is_empty());
    items.lock(id, "coverage").await.unwrap();
    assert!(items.is_locked(id).await.unwrap());
    items.unlock(id, "coverage").await.unwrap();
    assert_eq!(items.lock_history(id).await.unwrap().len(), 2);
    items.delete(UNKNOWN_ID).await.unwrap();
}

async fn first_id<K: SubtypeRoutes>(registry: &RegistryClient) -> String {
    let items: Vec<K::Item> = registry
        .items::<K>()
        .list()
        .collect_complete()
        .await
        .unwrap();
    items.first().expect("a listed item").id().to_owned()
}

/// Creates, seeds, updates and reverts an item of a subtype with the direct routes.
async fn exercise_writes<K>(admin: &RegistryClient, template_id: &str) -> String
where
    K: operations::CreateRoute
        + operations::SeedRoute
        + operations::UpdateRoute
        + operations::RevertRoute,
{
    let items: ItemClient<K> = admin.items();
    let template = items.fetch_complete(template_id).await.unwrap();
    let info = common::domain_info::<K>(&template);
    let created = items.create(&info).await.unwrap();
    let id = created.item.id().to_owned();
    items.update(&id, "coverage update", &info).await.unwrap();
    items.revert(&id, 0, "coverage revert").await.unwrap();
    let seed = items.seed().await.unwrap();
    items
        .update(&seed.id, "complete the seed", &info)
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn every_operation_reaches_the_double() {
    let (_double, registries) = common::start().await;
    let admin = &registries.admin;
    let service = &registries.service;

    // General, check-access and admin routes.
    assert!(!admin.health().await.unwrap().is_empty());
    admin.version().await.unwrap();
    for level in [
        AccessLevel::General,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::Admin,
    ] {
        assert_eq!(admin.check_access(level).await.unwrap().username, "admin");
    }
    assert!(!admin.admin().config_file(false).await.unwrap().is_empty());
    // With monitoring on, the route raises a server error on purpose; without, it returns a
    // message.
    match admin.admin().test_error_reporting().await {
        Ok(body) => assert!(body["message"].is_string(), "{body}"),
        Err(error) => assert_eq!(error.status().map(|status| status.as_u16()), Some(500)),
    }
    let export = admin.admin().export().await.unwrap();
    let bundles: Vec<BundledItem> = export.items.unwrap_or_default();
    assert!(!bundles.is_empty());
    let import = admin
        .admin()
        .import(&RegistryImportRequest {
            allow_entry_deletion: None,
            import_mode: ImportMode::AddOrOverwrite,
            items: bundles.clone(),
            parse_items: None,
            trial_mode: Some(true),
        })
        .await
        .unwrap();
    assert!(import.trial_mode);
    admin
        .admin()
        .restore_from_table(&RegistryRestoreRequest {
            allow_entry_deletion: None,
            import_mode: ImportMode::AddOrOverwrite,
            parse_items: None,
            table_names: TableNames {
                auth_table_name: "RegistryAuth".into(),
                lock_table_name: "RegistryLocks".into(),
                resource_table_name: "RegistryResources".into(),
            },
            trial_mode: Some(true),
        })
        .await
        .unwrap();
    admin
        .admin()
        .restore_prov_graph(&ProvGraphRestoreRequest {
            abort_if_failures: None,
            items: bundles,
            trial_mode: Some(true),
        })
        .await
        .unwrap();

    // Direct writes, and versions of the three versioned subtypes with direct routes.
    let organisation = first_id::<kinds::Organisation>(admin).await;
    exercise_writes::<kinds::Organisation>(admin, &organisation).await;
    let person = first_id::<kinds::Person>(admin).await;
    exercise_writes::<kinds::Person>(admin, &person).await;
    let study = first_id::<kinds::Study>(admin).await;
    exercise_writes::<kinds::Study>(admin, &study).await;
    let model = first_id::<kinds::Model>(admin).await;
    let new_model = exercise_writes::<kinds::Model>(admin, &model).await;
    admin
        .models()
        .version(&new_model, "coverage version")
        .await
        .unwrap();
    let template = first_id::<kinds::DatasetTemplate>(admin).await;
    let new_template = exercise_writes::<kinds::DatasetTemplate>(admin, &template).await;
    admin
        .dataset_templates()
        .version(&new_template, "coverage version")
        .await
        .unwrap();
    let workflow = first_id::<kinds::ModelRunWorkflowTemplate>(admin).await;
    let new_workflow = exercise_writes::<kinds::ModelRunWorkflowTemplate>(admin, &workflow).await;
    admin
        .workflow_templates()
        .version(&new_workflow, "coverage version")
        .await
        .unwrap();

    // Proxy writes of datasets and model runs by the service account.
    let dataset = first_id::<kinds::Dataset>(admin).await;
    let dataset_info =
        common::domain_info::<kinds::Dataset>(&admin.datasets().fetch(&dataset).await.unwrap());
    let datasets = service.datasets();
    let created = datasets.proxy_create(&dataset_info).await.unwrap();
    datasets
        .proxy_update(
            &created.item.id,
            &dataset_info,
            &ProxyUpdateOptions::with_reason("coverage"),
        )
        .await
        .unwrap();
    datasets
        .proxy_revert(&created.item.id, 0, "coverage revert")
        .await
        .unwrap();
    datasets.proxy_seed().await.unwrap();
    datasets
        .proxy_version(&created.item.id, "coverage version")
        .await
        .unwrap();
    let reviewing: Vec<_> = admin
        .datasets()
        .reviewing(ReviewListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert!(reviewing.is_empty());

    let run = first_id::<kinds::ModelRun>(admin).await;
    let run_info =
        common::domain_info::<kinds::ModelRun>(&admin.model_runs().fetch(&run).await.unwrap());
    let runs = service.model_runs();
    let created_run = runs.proxy_create(&run_info).await.unwrap();
    runs.proxy_update(
        &created_run.item.id,
        &run_info,
        &ProxyUpdateOptions::with_reason("coverage"),
    )
    .await
    .unwrap();
    runs.proxy_revert(&created_run.item.id, 0, "coverage revert")
        .await
        .unwrap();
    runs.proxy_seed().await.unwrap();

    // The fifteen common routes of every subtype; activities exist by now.
    exercise_common::<kinds::Organisation>(admin, service, &organisation).await;
    exercise_common::<kinds::Person>(admin, service, &person).await;
    exercise_common::<kinds::Model>(admin, service, &model).await;
    exercise_common::<kinds::ModelRunWorkflowTemplate>(admin, service, &workflow).await;
    exercise_common::<kinds::DatasetTemplate>(admin, service, &template).await;
    exercise_common::<kinds::Dataset>(admin, service, &dataset).await;
    exercise_common::<kinds::ModelRun>(admin, service, &run).await;
    exercise_common::<kinds::Study>(admin, service, &study).await;
    let create = first_id::<kinds::CreateActivity>(admin).await;
    exercise_common::<kinds::CreateActivity>(admin, service, &create).await;
    let version = first_id::<kinds::VersionActivity>(admin).await;
    exercise_common::<kinds::VersionActivity>(admin, service, &version).await;

    // General item routes.
    let fetched = admin.fetch(&model).await.unwrap();
    assert_eq!(fetched["id"], model.as_str());
    let proxied = service.proxy_fetch(&model, "reader").await.unwrap();
    assert_eq!(proxied["id"], model.as_str());
    let counts = admin.count_by_subtype().await.unwrap();
    assert!(counts.total() > 0);
    let some: Vec<_> = admin
        .list(None, ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert!(!some.is_empty());
    admin.delete(UNKNOWN_ID).await.unwrap();

    let calls = common::calls(admin).await;
    let missing: Vec<String> = operations::ALL
        .iter()
        .map(|operation| format!("{} {}", operation.method, operation.path))
        .filter(|route| !calls.contains_key(route))
        .collect();
    assert!(missing.is_empty(), "operations never sent: {missing:#?}");
}
