//! Traits tying each registry item subtype to its types.
//!
//! The registry serves ten item subtypes with the same routes and differently typed bodies.
//! Each subtype has an uninhabited marker type here ([`Model`], [`Dataset`], ...) whose
//! [`ItemKind`] impl names its domain info, item, fetch and list responses, and its route
//! prefix. Capability traits ([`Creatable`], [`Seedable`], [`Updatable`], [`Revertible`],
//! [`Versionable`]) are implemented only by the subtypes that support the operation, so a
//! generic client built on them offers, say, `create` for models but not for model runs.
//!
//! The response traits ([`ItemFetchResponse`], [`ItemListResponse`], ...) give generic code
//! one way to read the ten generated response types of each kind.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{
    CreateDomainInfo, CreateFetchResponse, CreateListResponse, DatasetCreateResponse,
    DatasetDomainInfo, DatasetFetchResponse, DatasetListResponse, DatasetSeedResponse,
    DatasetTemplateCreateResponse, DatasetTemplateDomainInfo, DatasetTemplateFetchResponse,
    DatasetTemplateListResponse, DatasetTemplateSeedResponse, ItemCategory, ItemCreate,
    ItemDataset, ItemDatasetTemplate, ItemModel, ItemModelRun, ItemModelRunWorkflowTemplate,
    ItemOrSeed, ItemOrganisation, ItemPerson, ItemStudy, ItemSubType, ItemVersion,
    ModelCreateResponse, ModelDomainInfo, ModelFetchResponse, ModelListResponse,
    ModelRunCreateResponse, ModelRunDomainInfo, ModelRunFetchResponse, ModelRunListResponse,
    ModelRunSeedResponse, ModelRunWorkflowTemplateCreateResponse,
    ModelRunWorkflowTemplateDomainInfo, ModelRunWorkflowTemplateFetchResponse,
    ModelRunWorkflowTemplateListResponse, ModelRunWorkflowTemplateSeedResponse, ModelSeedResponse,
    OrganisationCreateResponse, OrganisationDomainInfo, OrganisationFetchResponse,
    OrganisationListResponse, OrganisationSeedResponse, PersonCreateResponse, PersonDomainInfo,
    PersonFetchResponse, PersonListResponse, PersonSeedResponse, SeededItem, Status,
    StudyCreateResponse, StudyDomainInfo, StudyFetchResponse, StudyListResponse, StudySeedResponse,
    VersionDomainInfo, VersionFetchResponse, VersionListResponse,
};

/// One registry item subtype: its identity, route prefix and body types.
pub trait ItemKind: Send + Sync + 'static {
    /// The `item_subtype` value of its items.
    const SUBTYPE: ItemSubType;
    /// The `item_category` value of its items.
    const CATEGORY: ItemCategory;
    /// The subtype's name in lower-case words, for messages ("model run workflow template").
    const NAME: &'static str;
    /// The path every route of the subtype starts with, such as `/registry/entity/model`.
    const ROUTE_PREFIX: &'static str;

    /// The user-supplied fields (the body of create, update and validate).
    type DomainInfo: Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static;
    /// A complete item: the domain info plus id, owner, timestamps and history.
    type Item: RegistryItem + Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static;
    /// The response of the fetch route.
    type FetchResponse: ItemFetchResponse<Item = Self::Item>
        + DeserializeOwned
        + Debug
        + Send
        + 'static;
    /// The response of the list route.
    type ListResponse: ItemListResponse<Item = Self::Item>
        + DeserializeOwned
        + Debug
        + Send
        + 'static;
}

/// A subtype whose items can be created (directly or, for datasets and model runs, through
/// a service account's proxy route).
pub trait Creatable: ItemKind {
    /// The response of the create route.
    type CreateResponse: ItemCreateResponse<Item = Self::Item>
        + DeserializeOwned
        + Debug
        + Send
        + 'static;
}

/// A subtype whose ids can be reserved as seed items before the domain info exists.
pub trait Seedable: ItemKind {
    /// The response of the seed route.
    type SeedResponse: ItemSeedResponse + DeserializeOwned + Debug + Send + 'static;
}

/// A subtype whose items can be updated with a reason, adding a history entry.
pub trait Updatable: ItemKind {}

/// A subtype whose items can be reverted to an earlier history entry.
pub trait Revertible: ItemKind {}

/// A subtype whose items can be versioned: a new item with a new id and a version
/// activity linking the two.
pub trait Versionable: ItemKind {}

/// The fields every complete registry item has.
pub trait RegistryItem {
    /// The item's handle, such as `10378.1/1690000`.
    fn id(&self) -> &str;
    /// The name shown to users.
    fn display_name(&self) -> &str;
    /// The username of the item's owner.
    fn owner_username(&self) -> &str;
    /// When the item was created, in epoch seconds.
    fn created_timestamp(&self) -> i64;
    /// When the item was last changed, in epoch seconds.
    fn updated_timestamp(&self) -> i64;
}

/// Read access to a subtype's fetch response.
pub trait ItemFetchResponse {
    /// The complete item type.
    type Item;

    /// The `status` wrapper: `success` is `false` for an unknown id.
    fn status(&self) -> &Status;

    /// Takes the item out of the response: `None` when the registry returned `item: null`
    /// (an unknown id, or an item of another subtype).
    ///
    /// The union of a complete and a seed item has no discriminator in the documents. The
    /// response's `item_is_seed` flag decides when present; a flag that contradicts the
    /// item's own `record_type` is resolved in favour of the flag when the item still
    /// decodes that way, else the decoded form is kept.
    fn into_item(self) -> Option<ItemOrSeed<Self::Item>>;

    /// Whether the item is locked, when the registry reports it.
    fn locked(&self) -> Option<bool>;

    /// The caller's roles on the item, when the registry reports it.
    fn roles(&self) -> &[String];
}

/// One page of a subtype's list response, split into its parts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ListPage<T> {
    /// The complete items.
    pub items: Vec<T>,
    /// The seed items (listed only when the request includes seeds).
    pub seed_items: Vec<SeededItem>,
    /// Stored items the registry could not parse, as raw JSON.
    pub unparsable_items: Vec<serde_json::Value>,
    /// The key of the next page; `None` on the last page.
    pub pagination_key: Option<serde_json::Value>,
}

/// Read access to a subtype's list response.
pub trait ItemListResponse {
    /// The complete item type.
    type Item;

    /// The `status` wrapper: `success` is `false` when some items could not be parsed.
    fn status(&self) -> &Status;

    /// Splits the response into its items, seed items and next-page key.
    fn into_page(self) -> ListPage<Self::Item>;
}

/// Read access to a subtype's create response.
pub trait ItemCreateResponse {
    /// The complete item type.
    type Item;

    /// The `status` wrapper.
    fn status(&self) -> &Status;

    /// Splits the response into the created item and the session id of the job that records
    /// the create activity (the registry leaves it out for subtypes it does not track).
    fn into_parts(self) -> (Option<Self::Item>, Option<String>);
}

/// Read access to a subtype's seed response.
pub trait ItemSeedResponse {
    /// The `status` wrapper.
    fn status(&self) -> &Status;

    /// Takes the seed item out of the response.
    fn into_seeded_item(self) -> Option<SeededItem>;
}

/// Resolves the complete-or-seed union of a fetch response with its `item_is_seed` flag.
fn resolve_item<T: Serialize + DeserializeOwned>(
    item: ItemOrSeed<T>,
    item_is_seed: Option<bool>,
) -> ItemOrSeed<T> {
    match (item, item_is_seed) {
        (ItemOrSeed::Complete(complete), Some(true)) => {
            match serde_json::to_value(&complete).and_then(serde_json::from_value) {
                Ok(seed) => ItemOrSeed::Seed(seed),
                Err(_) => ItemOrSeed::Complete(complete),
            }
        }
        (ItemOrSeed::Seed(seed), Some(false)) => {
            match serde_json::to_value(&seed).and_then(serde_json::from_value) {
                Ok(complete) => ItemOrSeed::Complete(complete),
                Err(_) => ItemOrSeed::Seed(seed),
            }
        }
        (item, _) => item,
    }
}

macro_rules! item_fields {
    ($($item:ty),* $(,)?) => {$(
        impl RegistryItem for $item {
            fn id(&self) -> &str {
                &self.id
            }
            fn display_name(&self) -> &str {
                &self.display_name
            }
            fn owner_username(&self) -> &str {
                &self.owner_username
            }
            fn created_timestamp(&self) -> i64 {
                self.created_timestamp
            }
            fn updated_timestamp(&self) -> i64 {
                self.updated_timestamp
            }
        }
    )*};
}

item_fields!(
    ItemOrganisation,
    ItemPerson,
    ItemModel,
    ItemModelRunWorkflowTemplate,
    ItemDatasetTemplate,
    ItemDataset,
    ItemModelRun,
    ItemStudy,
    ItemCreate,
    ItemVersion,
);

/// Declares a subtype marker with its [`ItemKind`] impl and the fetch and list response
/// impls.
macro_rules! kind {
    (
        $(#[$doc:meta])*
        $marker:ident, $subtype:ident, $category:ident, $name:literal, $prefix:literal,
        $info:ty, $item:ty, $fetch:ty, $list:ty
    ) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $marker {}

        impl ItemKind for $marker {
            const SUBTYPE: ItemSubType = ItemSubType::$subtype;
            const CATEGORY: ItemCategory = ItemCategory::$category;
            const NAME: &'static str = $name;
            const ROUTE_PREFIX: &'static str = $prefix;
            type DomainInfo = $info;
            type Item = $item;
            type FetchResponse = $fetch;
            type ListResponse = $list;
        }

        impl ItemFetchResponse for $fetch {
            type Item = $item;

            fn status(&self) -> &Status {
                &self.status
            }

            fn into_item(self) -> Option<ItemOrSeed<$item>> {
                let item_is_seed = self.item_is_seed;
                self.item.map(|item| resolve_item(item, item_is_seed))
            }

            fn locked(&self) -> Option<bool> {
                self.locked
            }

            fn roles(&self) -> &[String] {
                self.roles.as_deref().unwrap_or_default()
            }
        }

        impl ItemListResponse for $list {
            type Item = $item;

            fn status(&self) -> &Status {
                &self.status
            }

            fn into_page(self) -> ListPage<$item> {
                ListPage {
                    items: self.items.unwrap_or_default(),
                    seed_items: self.seed_items.unwrap_or_default(),
                    unparsable_items: self.unparsable_items.unwrap_or_default(),
                    pagination_key: self.pagination_key,
                }
            }
        }
    };
}

macro_rules! creatable {
    ($($marker:ty => $create:ty),* $(,)?) => {$(
        impl Creatable for $marker {
            type CreateResponse = $create;
        }

        impl ItemCreateResponse for $create {
            type Item = <$marker as ItemKind>::Item;

            fn status(&self) -> &Status {
                &self.status
            }

            fn into_parts(self) -> (Option<Self::Item>, Option<String>) {
                (self.created_item, self.register_create_activity_session_id)
            }
        }
    )*};
}

macro_rules! seedable {
    ($($marker:ty => $seed:ty),* $(,)?) => {$(
        impl Seedable for $marker {
            type SeedResponse = $seed;
        }

        impl ItemSeedResponse for $seed {
            fn status(&self) -> &Status {
                &self.status
            }

            fn into_seeded_item(self) -> Option<SeededItem> {
                self.seeded_item
            }
        }
    )*};
}

kind!(
    /// Organisations (agents).
    Organisation, Organisation, Agent, "organisation", "/registry/agent/organisation",
    OrganisationDomainInfo, ItemOrganisation, OrganisationFetchResponse, OrganisationListResponse
);
kind!(
    /// People (agents). A user account linked to a person may create versioned entities.
    Person, Person, Agent, "person", "/registry/agent/person",
    PersonDomainInfo, ItemPerson, PersonFetchResponse, PersonListResponse
);
kind!(
    /// Models (entities).
    Model, Model, Entity, "model", "/registry/entity/model",
    ModelDomainInfo, ItemModel, ModelFetchResponse, ModelListResponse
);
kind!(
    /// Model run workflow templates (entities): the inputs and outputs a model run declares.
    ModelRunWorkflowTemplate, ModelRunWorkflowTemplate, Entity, "model run workflow template",
    "/registry/entity/model_run_workflow",
    ModelRunWorkflowTemplateDomainInfo, ItemModelRunWorkflowTemplate,
    ModelRunWorkflowTemplateFetchResponse, ModelRunWorkflowTemplateListResponse
);
kind!(
    /// Dataset templates (entities): the resources a dataset of that shape contains.
    DatasetTemplate, DatasetTemplate, Entity, "dataset template",
    "/registry/entity/dataset_template",
    DatasetTemplateDomainInfo, ItemDatasetTemplate, DatasetTemplateFetchResponse,
    DatasetTemplateListResponse
);
kind!(
    /// Datasets (entities). Users create them through the datastore.
    Dataset, Dataset, Entity, "dataset", "/registry/entity/dataset",
    DatasetDomainInfo, ItemDataset, DatasetFetchResponse, DatasetListResponse
);
kind!(
    /// Model runs (activities). Users register them through the prov store.
    ModelRun, ModelRun, Activity, "model run", "/registry/activity/model_run",
    ModelRunDomainInfo, ItemModelRun, ModelRunFetchResponse, ModelRunListResponse
);
kind!(
    /// Studies (activities).
    Study, Study, Activity, "study", "/registry/activity/study",
    StudyDomainInfo, ItemStudy, StudyFetchResponse, StudyListResponse
);
kind!(
    /// Create activities, recorded by the registry when an item is created.
    CreateActivity, Create, Activity, "create activity", "/registry/activity/create",
    CreateDomainInfo, ItemCreate, CreateFetchResponse, CreateListResponse
);
kind!(
    /// Version activities, recorded by the registry when an item is versioned.
    VersionActivity, Version, Activity, "version activity", "/registry/activity/version",
    VersionDomainInfo, ItemVersion, VersionFetchResponse, VersionListResponse
);

creatable!(
    Organisation => OrganisationCreateResponse,
    Person => PersonCreateResponse,
    Model => ModelCreateResponse,
    ModelRunWorkflowTemplate => ModelRunWorkflowTemplateCreateResponse,
    DatasetTemplate => DatasetTemplateCreateResponse,
    Dataset => DatasetCreateResponse,
    ModelRun => ModelRunCreateResponse,
    Study => StudyCreateResponse,
);

seedable!(
    Organisation => OrganisationSeedResponse,
    Person => PersonSeedResponse,
    Model => ModelSeedResponse,
    ModelRunWorkflowTemplate => ModelRunWorkflowTemplateSeedResponse,
    DatasetTemplate => DatasetTemplateSeedResponse,
    Dataset => DatasetSeedResponse,
    ModelRun => ModelRunSeedResponse,
    Study => StudySeedResponse,
);

macro_rules! capability {
    ($capability:ident: $($marker:ty),* $(,)?) => {$(
        impl $capability for $marker {}
    )*};
}

capability!(Updatable: Organisation, Person, Model, ModelRunWorkflowTemplate, DatasetTemplate,
    Dataset, ModelRun, Study);
capability!(Revertible: Organisation, Person, Model, ModelRunWorkflowTemplate, DatasetTemplate,
    Dataset, ModelRun, Study);
capability!(Versionable: Model, ModelRunWorkflowTemplate, DatasetTemplate, Dataset);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn seed_json() -> serde_json::Value {
        json!({
            "id": "10378.1/1690001",
            "owner_username": "writer",
            "created_timestamp": 1_700_000_000,
            "updated_timestamp": 1_700_000_000,
            "item_category": "AGENT",
            "item_subtype": "ORGANISATION",
            "record_type": "SEED_ITEM",
        })
    }

    #[test]
    fn fetch_response_reads_complete_item() {
        let response: OrganisationFetchResponse = serde_json::from_value(json!({
            "status": { "success": true, "details": "fetched" },
            "item": {
                "id": "10378.1/1690000",
                "display_name": "Example Institute",
                "name": "Example Institute",
                "history": [],
                "owner_username": "writer",
                "created_timestamp": 1_700_000_000,
                "updated_timestamp": 1_700_000_100,
                "record_type": "COMPLETE_ITEM",
            },
            "item_is_seed": false,
            "locked": true,
            "roles": ["metadata-read"],
        }))
        .unwrap();
        assert!(response.status().success);
        assert_eq!(response.locked(), Some(true));
        assert_eq!(response.roles(), ["metadata-read".to_owned()]);
        let item = response.into_item().unwrap().into_complete().unwrap();
        assert_eq!(item.id(), "10378.1/1690000");
        assert_eq!(item.updated_timestamp(), 1_700_000_100);
    }

    #[test]
    fn fetch_response_reads_seed_item() {
        let response: ModelFetchResponse = serde_json::from_value(json!({
            "status": { "success": true, "details": "fetched" },
            "item": seed_json(),
            "item_is_seed": true,
        }))
        .unwrap();
        let item = response.into_item().unwrap();
        assert!(item.is_seed());
        assert_eq!(item.seed().unwrap().id, "10378.1/1690001");
    }

    #[test]
    fn fetch_response_without_item_is_none() {
        let response: DatasetFetchResponse = serde_json::from_value(json!({
            "status": { "success": false, "details": "no such item" },
            "item": null,
        }))
        .unwrap();
        assert!(!response.status().success);
        assert!(response.roles().is_empty());
        assert!(response.into_item().is_none());
    }

    #[test]
    fn seed_flag_contradicting_record_type_keeps_decodable_form() {
        // A seed item flagged as complete cannot decode as a complete item, so it stays a
        // seed.
        let item: ItemOrSeed<ItemStudy> = serde_json::from_value(seed_json()).unwrap();
        let resolved = resolve_item(item, Some(false));
        assert!(resolved.is_seed());
    }

    #[test]
    fn list_response_splits_page() {
        let response: StudyListResponse = serde_json::from_value(json!({
            "status": { "success": true, "details": "listed" },
            "items": [],
            "seed_items": [seed_json()],
            "pagination_key": { "id": "10378.1/1690001" },
        }))
        .unwrap();
        let page = response.into_page();
        assert!(page.items.is_empty());
        assert_eq!(page.seed_items.len(), 1);
        assert_eq!(
            page.pagination_key,
            Some(json!({ "id": "10378.1/1690001" }))
        );
    }

    #[test]
    fn kinds_name_their_routes() {
        assert_eq!(Model::ROUTE_PREFIX, "/registry/entity/model");
        assert_eq!(
            ModelRunWorkflowTemplate::SUBTYPE,
            ItemSubType::ModelRunWorkflowTemplate
        );
        assert_eq!(CreateActivity::CATEGORY, ItemCategory::Activity);
        assert_eq!(VersionActivity::NAME, "version activity");
    }
}
