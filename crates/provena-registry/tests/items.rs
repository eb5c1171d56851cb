//! Item behaviour against the double: fetch forms, history, versions, locks, access and
//! every rejection the registry returns as HTTP 401 or 400.

mod common;

use futures::TryStreamExt;
use provena_http::Error;
use provena_models::{
    ItemOrSeed, ItemSubType, ModelDomainInfo, OrganisationDomainInfo, QueryRecordTypes, SortType,
};
use provena_registry::kinds::RegistryItem;
use provena_registry::operations;
use serde_json::json;

const MISSING_ID: &str = "10378.1/9999999";

fn organisation(name: &str) -> OrganisationDomainInfo {
    OrganisationDomainInfo {
        display_name: name.to_owned(),
        name: name.to_owned(),
        ror: None,
        user_metadata: None,
    }
}

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

fn status_of(error: &Error) -> Option<u16> {
    error.status().map(|status| status.as_u16())
}

#[tokio::test]
async fn fetch_opt_returns_none_for_missing_id() {
    let (_double, registries) = common::start().await;
    let missing = registries
        .reader
        .models()
        .fetch_opt(MISSING_ID)
        .await
        .unwrap();
    assert!(missing.is_none());
    let error = registries
        .reader
        .models()
        .fetch(MISSING_ID)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unsuccessful(_)), "{error:?}");
    assert!(error.detail().unwrap().contains(MISSING_ID), "{error}");
    assert!(
        registries
            .reader
            .fetch_opt(MISSING_ID)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn fetch_through_other_subtype_is_none() {
    let (_double, registries) = common::start().await;
    let models = registries
        .reader
        .models()
        .list()
        .collect_complete()
        .await
        .unwrap();
    let model_id = models[0].id().to_owned();
    assert!(
        registries
            .reader
            .people()
            .fetch_opt(&model_id)
            .await
            .unwrap()
            .is_none()
    );
    let fetched = registries.reader.models().fetch(&model_id).await.unwrap();
    assert_eq!(
        fetched.complete().map(|item| item.id.as_str()),
        Some(model_id.as_str())
    );
}

#[tokio::test]
async fn seed_item_fetches_as_seed() {
    let (_double, registries) = common::start().await;
    let seed = registries.writer.organisations().seed().await.unwrap();
    let record = registries
        .writer
        .organisations()
        .fetch(&seed.id)
        .await
        .unwrap();
    assert!(record.is_seed());
    assert_eq!(
        record.seed().map(|seed| seed.id.as_str()),
        Some(seed.id.as_str())
    );
    let complete = registries
        .writer
        .organisations()
        .fetch_complete(&seed.id)
        .await
        .unwrap_err();
    assert!(
        complete.detail().unwrap().contains("seed item"),
        "{complete}"
    );

    // Completing the seed needs no reason; it becomes a complete item with one entry.
    registries
        .writer
        .organisations()
        .update(&seed.id, "first details", &organisation("Seeded Org"))
        .await
        .unwrap();
    let item = registries
        .writer
        .organisations()
        .fetch_complete(&seed.id)
        .await
        .unwrap();
    assert_eq!(item.display_name, "Seeded Org");
    assert_eq!(item.history.len(), 1);
}

#[tokio::test]
async fn seeds_are_listed_only_when_asked() {
    let (_double, registries) = common::start().await;
    let seed = registries.writer.studies().seed().await.unwrap();
    let default: Vec<_> = registries
        .writer
        .studies()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert!(default.iter().all(|record| !record.is_seed()));
    let all: Vec<_> = registries
        .writer
        .studies()
        .list()
        .record_type(QueryRecordTypes::All)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), default.len() + 1);
    assert!(
        all.iter()
            .any(|record| matches!(record, ItemOrSeed::Seed(item) if item.id == seed.id))
    );
}

#[tokio::test]
async fn update_records_history_and_revert_restores() {
    let (_double, registries) = common::start().await;
    let organisations = registries.writer.organisations();
    let created = organisations
        .create(&organisation("First name"))
        .await
        .unwrap();
    assert!(created.create_activity_session_id.is_none());
    let id = created.item.id.clone();
    organisations
        .update(&id, "rename once", &organisation("Second name"))
        .await
        .unwrap();
    organisations
        .update(&id, "rename twice", &organisation("Third name"))
        .await
        .unwrap();

    let item = organisations.fetch_complete(&id).await.unwrap();
    assert_eq!(item.display_name, "Third name");
    let ids: Vec<i64> = item.history.iter().map(|entry| entry.id).collect();
    assert_eq!(ids, vec![2, 1, 0], "history is newest first");
    assert_eq!(item.history[0].reason, "rename twice");
    assert_eq!(item.history[2].item.display_name, "First name");

    organisations
        .revert(&id, 0, "undo the renames")
        .await
        .unwrap();
    let reverted = organisations.fetch_complete(&id).await.unwrap();
    assert_eq!(reverted.display_name, "First name");
    assert_eq!(reverted.history.len(), 4);
    assert_eq!(reverted.history[0].reason, "undo the renames");

    let error = organisations
        .revert(&id, 42, "no such entry")
        .await
        .unwrap_err();
    assert_eq!(status_of(&error), Some(400));
}

#[tokio::test]
async fn versioned_create_records_activity_and_version_links() {
    let (_double, registries) = common::start().await;
    let models = registries.admin.models();
    let created = models.create(&model("Versioned model")).await.unwrap();
    let session = created
        .create_activity_session_id
        .expect("a create activity job");
    assert!(!session.is_empty());
    let id = created.item.id.clone();
    assert_eq!(
        created
            .item
            .versioning_info
            .as_ref()
            .map(|info| info.version),
        Some(1)
    );

    let activities = registries
        .admin
        .create_activities()
        .list()
        .collect_complete()
        .await
        .unwrap();
    assert!(
        activities
            .iter()
            .any(|activity| activity.created_item_id == id)
    );

    let version = models.version(&id, "new calibration").await.unwrap();
    assert_ne!(version.new_version_id, id);
    assert!(!version.version_job_session_id.is_empty());
    let new = models
        .fetch_complete(&version.new_version_id)
        .await
        .unwrap();
    let info = new.versioning_info.expect("versioning info");
    assert_eq!(info.version, 2);
    assert_eq!(info.previous_version.as_deref(), Some(id.as_str()));
    let old = models.fetch_complete(&id).await.unwrap();
    assert_eq!(
        old.versioning_info
            .and_then(|info| info.next_version)
            .as_deref(),
        Some(version.new_version_id.as_str())
    );
    let versions = registries
        .admin
        .version_activities()
        .list()
        .collect_complete()
        .await
        .unwrap();
    assert!(
        versions
            .iter()
            .any(|activity| activity.to_item_id == version.new_version_id)
    );
}

#[tokio::test]
async fn reader_cannot_edit() {
    let (_double, registries) = common::start().await;
    let error = registries
        .reader
        .organisations()
        .create(&organisation("Nope"))
        .await
        .unwrap_err();
    assert_eq!(status_of(&error), Some(401));
    assert!(
        error
            .detail()
            .unwrap()
            .contains("don't have the correct role"),
        "{error}"
    );
    let write = registries
        .reader
        .check_access(provena_registry::AccessLevel::Write)
        .await
        .unwrap_err();
    assert_eq!(status_of(&write), Some(401));
}

#[tokio::test]
async fn other_users_item_is_refused() {
    let (_double, registries) = common::start().await;
    let created = registries
        .admin
        .organisations()
        .create(&organisation("Admin's"))
        .await
        .unwrap();
    let error = registries
        .writer
        .organisations()
        .update(&created.item.id, "take over", &organisation("Writer's"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert!(
        error
            .detail()
            .unwrap()
            .contains("not authorised to edit the item"),
        "{error}"
    );
    let lock = registries
        .writer
        .organisations()
        .lock(&created.item.id, "mine now")
        .await
        .unwrap_err();
    assert_eq!(status_of(&lock), Some(401));
    let settings = registries
        .writer
        .organisations()
        .access_settings(&created.item.id)
        .await
        .unwrap_err();
    assert_eq!(status_of(&settings), Some(401));
}

#[tokio::test]
async fn locked_item_is_refused() {
    let (_double, registries) = common::start().await;
    let organisations = registries.writer.organisations();
    let id = organisations
        .create(&organisation("Lockable"))
        .await
        .unwrap()
        .item
        .id;
    organisations.lock(&id, "under review").await.unwrap();
    assert!(organisations.is_locked(&id).await.unwrap());
    let fetched = organisations.fetch(&id).await.unwrap();
    assert!(!fetched.is_seed());

    let error = organisations
        .update(&id, "edit", &organisation("Changed"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert!(error.detail().unwrap().contains("locked"), "{error}");
    let again = organisations.lock(&id, "twice").await.unwrap_err();
    assert_eq!(status_of(&again), Some(400));

    organisations.unlock(&id, "review done").await.unwrap();
    organisations
        .update(&id, "edit", &organisation("Changed"))
        .await
        .unwrap();
    let history = organisations.lock_history(&id).await.unwrap();
    let reasons: Vec<&str> = history.iter().map(|event| event.reason.as_str()).collect();
    assert_eq!(reasons, vec!["under review", "review done"]);
}

#[tokio::test]
async fn access_settings_control_reads() {
    let (_double, registries) = common::start().await;
    let organisations = registries.writer.organisations();
    let id = organisations
        .create(&organisation("Private"))
        .await
        .unwrap()
        .item
        .id;
    let mut settings = organisations.access_settings(&id).await.unwrap();
    assert_eq!(settings.owner, "writer");
    assert_eq!(settings.general, vec!["metadata-read".to_owned()]);
    assert_eq!(
        registries
            .reader
            .organisations()
            .my_roles(&id)
            .await
            .unwrap(),
        vec!["metadata-read".to_owned()]
    );

    settings.general.clear();
    organisations
        .set_access_settings(&id, &settings)
        .await
        .unwrap();
    let error = registries
        .reader
        .organisations()
        .fetch(&id)
        .await
        .unwrap_err();
    assert_eq!(status_of(&error), Some(401));
    assert!(
        registries
            .reader
            .organisations()
            .my_roles(&id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn invalid_body_names_the_fields() {
    let (_double, registries) = common::start().await;
    let error = registries
        .writer
        .http()
        .call(&operations::organisation::CREATE)
        .json(&json!({ "display_name": "No name field" }))
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    let Error::Validation { fields, .. } = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(fields[0].location, "body.name");
    assert_eq!(fields[0].kind, "value_error.missing");
    assert!(error.detail().unwrap().contains("body.name"), "{error}");
}

#[tokio::test]
async fn versioned_create_needs_person_link() {
    let (_double, registries) = common::start().await;
    let error = registries
        .writer
        .models()
        .create(&model("Unlinked"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BadRequest(_)), "{error:?}");
    assert!(
        error
            .detail()
            .unwrap()
            .contains("must link your User account to a Person"),
        "{error}"
    );
}

#[tokio::test]
async fn validate_reports_bad_reference() {
    let (_double, registries) = common::start().await;
    let templates = registries.admin.workflow_templates();
    let template = templates.list().collect_complete().await.unwrap().remove(0);
    let mut info =
        common::domain_info::<provena_registry::kinds::ModelRunWorkflowTemplate>(&template);
    templates.validate(&info).await.unwrap();
    info.software_id = MISSING_ID.to_owned();
    let error = templates.validate(&info).await.unwrap_err();
    assert!(matches!(error, Error::Unsuccessful(_)), "{error:?}");
    assert!(error.detail().unwrap().contains(MISSING_ID), "{error}");
}

/// Counts the complete items of subtype `K` through its own listing.
async fn listed<K: provena_registry::operations::SubtypeRoutes>(
    registry: &provena_registry::RegistryClient,
) -> u64 {
    registry
        .items::<K>()
        .list()
        .collect_complete()
        .await
        .unwrap()
        .len() as u64
}

#[tokio::test]
async fn count_by_subtype_matches_listings() {
    use provena_registry::kinds;

    let (_double, registries) = common::start().await;
    // Add a few so that the counts are not only the seed content.
    registries
        .writer
        .studies()
        .create(&study("Counted study"))
        .await
        .unwrap();
    registries.writer.studies().seed().await.unwrap();
    let registry = &registries.reader;
    let counts = registry.count_by_subtype().await.unwrap();
    let expected = [
        (
            ItemSubType::Organisation,
            listed::<kinds::Organisation>(registry).await,
        ),
        (ItemSubType::Person, listed::<kinds::Person>(registry).await),
        (ItemSubType::Model, listed::<kinds::Model>(registry).await),
        (
            ItemSubType::ModelRunWorkflowTemplate,
            listed::<kinds::ModelRunWorkflowTemplate>(registry).await,
        ),
        (
            ItemSubType::DatasetTemplate,
            listed::<kinds::DatasetTemplate>(registry).await,
        ),
        (
            ItemSubType::Dataset,
            listed::<kinds::Dataset>(registry).await,
        ),
        (
            ItemSubType::ModelRun,
            listed::<kinds::ModelRun>(registry).await,
        ),
        (ItemSubType::Study, listed::<kinds::Study>(registry).await),
        (
            ItemSubType::Create,
            listed::<kinds::CreateActivity>(registry).await,
        ),
        (
            ItemSubType::Version,
            listed::<kinds::VersionActivity>(registry).await,
        ),
    ];
    for (subtype, count) in &expected {
        assert_eq!(counts.get(subtype), *count, "count of {subtype}");
    }
    assert!(
        counts.get(&ItemSubType::Study) >= 2,
        "the seeded and the created study"
    );
    assert!(counts.get(&ItemSubType::Organisation) >= 2);
    let total: u64 = expected.iter().map(|(_, count)| count).sum();
    assert_eq!(counts.total(), total);
}

fn study(name: &str) -> provena_models::StudyDomainInfo {
    provena_models::StudyDomainInfo {
        description: format!("{name}, written for the tests."),
        display_name: name.to_owned(),
        study_alternative_id: None,
        title: name.to_owned(),
        user_metadata: None,
    }
}

#[tokio::test]
async fn list_sorts_by_display_name() {
    let (_double, registries) = common::start().await;
    let names: Vec<String> = registries
        .reader
        .people()
        .list()
        .sort(SortType::DisplayName, true)
        .collect_complete()
        .await
        .unwrap()
        .into_iter()
        .map(|person| person.display_name)
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for seeded in ["Ada Admin", "Kai Modeller", "Wren Writer"] {
        assert!(
            names.iter().any(|name| name == seeded),
            "{seeded} missing from {names:?}"
        );
    }
}

/// Serves one user's token and counts refresh requests.
#[derive(Debug)]
struct CountingTokens {
    token: provena_http::Secret,
    refreshes: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl provena_http::TokenProvider for CountingTokens {
    async fn access_token(&self) -> Result<provena_http::Secret, Error> {
        Ok(self.token.clone())
    }

    async fn refresh(
        &self,
        _rejected: &provena_http::Secret,
    ) -> Result<provena_http::Secret, Error> {
        self.refreshes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.token.clone())
    }
}

#[tokio::test]
async fn refusals_skip_token_refresh() {
    let (double, registries) = common::start().await;
    let tokens = std::sync::Arc::new(CountingTokens {
        token: double.access_token(provena_testkit::users::WRITER),
        refreshes: std::sync::atomic::AtomicUsize::new(0),
    });
    let http = provena_http::HttpClient::new(double.config(), tokens.clone()).unwrap();
    let writer = provena_registry::RegistryClient::new(http);

    // Another user's item, then a locked item of the writer's own: both 401, no refresh.
    let admins = registries
        .admin
        .organisations()
        .create(&organisation("Admin owned"))
        .await
        .unwrap();
    let foreign = writer
        .organisations()
        .update(&admins.item.id, "edit", &organisation("Edited"))
        .await
        .unwrap_err();
    assert_eq!(status_of(&foreign), Some(401));
    let own = writer
        .organisations()
        .create(&organisation("Writer owned"))
        .await
        .unwrap();
    writer
        .organisations()
        .lock(&own.item.id, "freeze")
        .await
        .unwrap();
    let locked = writer
        .organisations()
        .update(&own.item.id, "edit", &organisation("Edited"))
        .await
        .unwrap_err();
    assert!(locked.detail().unwrap().contains("locked"), "{locked}");
    assert_eq!(
        tokens.refreshes.load(std::sync::atomic::Ordering::SeqCst),
        0
    );
}
