//! The registry service: items of every subtype, versions, history, locks and access.
//!
//! Items are stored as the JSON the real registry returns. Every subtype serves the same
//! route family below its prefix; [`SUBTYPES`] lists the optional routes each one has.
//! Bodies are decoded into the `provena-models` types, so an invalid body gets HTTP 422
//! in pydantic's form, and then stored as JSON.
//!
//! Permissions follow the real registry: the realm roles gate each route (read, write,
//! admin), and each item's access settings grant item roles: its owner and registry admins
//! hold all of them, every signed-in user holds the settings' `general` roles
//! (`metadata-read` by default). Every refusal is HTTP 401.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use provena_models::{
    AccessSettings, CreateDomainInfo, DatasetDomainInfo, DatasetTemplateDomainInfo,
    GeneralListRequest, ItemRevertRequest, ListUserReviewingDatasetsRequest, LockChangeRequest,
    ModelDomainInfo, ModelRunDomainInfo, ModelRunWorkflowTemplateDomainInfo,
    OrganisationDomainInfo, PersonDomainInfo, ProvGraphRestoreRequest, QueryRecordTypes,
    RegistryImportRequest, RegistryRestoreRequest, SortOptions, SortType, StudyDomainInfo,
    SubtypeListRequest, VersionDomainInfo, VersionRequest,
};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::id_service::{self, AccessRoles};
use crate::respond::{ApiError, ApiResult, FieldError, ValidJson, ValidQuery, status_value};
use crate::state::AppState;
use crate::users::roles;

mod general;
mod listing;
mod seed;
mod writes;

use general::{admin_routes, general_routes};
use listing::{list_items, list_releasing_datasets};
pub(crate) use seed::seed;
use writes::{create_item, revert_item, seed_item, update_item, version_item};

/// The detail of an edit by a caller without `metadata-write` on the item.
const NOT_AUTHORISED_EDIT: &str =
    "You are not authorised to edit the item: it needs the metadata-write role on the item.";
/// The detail of an action that needs the item's `admin` role.
const NOT_ITEM_ADMIN: &str =
    "You are not authorised to perform this action: it needs the admin role on the item.";
/// The detail of an edit of a locked item.
const LOCKED: &str = "Cannot perform this action as the resource is locked.";
/// The detail of a versioned-entity create by a user without a linked Person.
const LINK_REQUIRED: &str = "In order to perform this operation you must link your User account to a Person in the registry.";
/// The detail of a proxy route called by a caller that is not a service account.
const PROXY_ONLY: &str =
    "You are not authorised to access this resource as you don't have the correct role.";

/// The item roles the registry grants, from weakest to strongest.
const ITEM_ROLES: &[&str] = &["metadata-read", "metadata-write", "admin"];
/// Datasets also grant roles on their files.
const DATASET_ROLES: &[&str] = &[
    "metadata-read",
    "metadata-write",
    "dataset-data-read",
    "dataset-data-write",
    "admin",
];

/// The routes beyond the fifteen every subtype serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    /// create, seed, update and revert for the item owner.
    Direct,
    /// Only the service-account `proxy/` forms of create, seed, update and revert.
    Proxy,
    /// None: the registry writes these items itself.
    None,
}

/// One item subtype of the registry.
#[derive(Debug)]
pub(crate) struct Subtype {
    /// The `item_subtype` value.
    pub(crate) name: &'static str,
    /// The `item_category` value.
    pub(crate) category: &'static str,
    /// The route prefix.
    pub(crate) prefix: &'static str,
    /// The title of the domain info schema.
    schema_title: &'static str,
    /// The required fields of the domain info.
    required: &'static [&'static str],
    writes: Writes,
    /// Versioned entities need a linked Person to create, record a create activity, and
    /// carry `versioning_info`.
    versioned: bool,
    /// Whether `version` (or `proxy/version` for proxy subtypes) exists.
    version_route: bool,
}

/// The ten subtypes.
pub(crate) const SUBTYPES: &[Subtype] = &[
    Subtype {
        name: "ORGANISATION",
        category: "AGENT",
        prefix: "/registry/agent/organisation",
        schema_title: "OrganisationDomainInfo",
        required: &["display_name", "name"],
        writes: Writes::Direct,
        versioned: false,
        version_route: false,
    },
    Subtype {
        name: "PERSON",
        category: "AGENT",
        prefix: "/registry/agent/person",
        schema_title: "PersonDomainInfo",
        required: &["display_name", "email", "first_name", "last_name"],
        writes: Writes::Direct,
        versioned: false,
        version_route: false,
    },
    Subtype {
        name: "MODEL",
        category: "ENTITY",
        prefix: "/registry/entity/model",
        schema_title: "ModelDomainInfo",
        required: &[
            "display_name",
            "name",
            "description",
            "documentation_url",
            "source_url",
        ],
        writes: Writes::Direct,
        versioned: true,
        version_route: true,
    },
    Subtype {
        name: "MODEL_RUN_WORKFLOW_TEMPLATE",
        category: "ENTITY",
        prefix: "/registry/entity/model_run_workflow",
        schema_title: "ModelRunWorkflowTemplateDomainInfo",
        required: &["display_name", "software_id"],
        writes: Writes::Direct,
        versioned: true,
        version_route: true,
    },
    Subtype {
        name: "DATASET_TEMPLATE",
        category: "ENTITY",
        prefix: "/registry/entity/dataset_template",
        schema_title: "DatasetTemplateDomainInfo",
        required: &["display_name"],
        writes: Writes::Direct,
        versioned: true,
        version_route: true,
    },
    Subtype {
        name: "DATASET",
        category: "ENTITY",
        prefix: "/registry/entity/dataset",
        schema_title: "DatasetDomainInfo",
        required: &["display_name", "collection_format", "s3", "release_status"],
        writes: Writes::Proxy,
        versioned: true,
        version_route: true,
    },
    Subtype {
        name: "MODEL_RUN",
        category: "ACTIVITY",
        prefix: "/registry/activity/model_run",
        schema_title: "ModelRunDomainInfo",
        required: &[
            "display_name",
            "record_status",
            "record",
            "prov_serialisation",
        ],
        writes: Writes::Proxy,
        versioned: false,
        version_route: false,
    },
    Subtype {
        name: "STUDY",
        category: "ACTIVITY",
        prefix: "/registry/activity/study",
        schema_title: "StudyDomainInfo",
        required: &["display_name", "title", "description"],
        writes: Writes::Direct,
        versioned: false,
        version_route: false,
    },
    Subtype {
        name: "CREATE",
        category: "ACTIVITY",
        prefix: "/registry/activity/create",
        schema_title: "CreateDomainInfo",
        required: &["display_name", "created_item_id"],
        writes: Writes::None,
        versioned: false,
        version_route: false,
    },
    Subtype {
        name: "VERSION",
        category: "ACTIVITY",
        prefix: "/registry/activity/version",
        schema_title: "VersionDomainInfo",
        required: &[
            "display_name",
            "reason",
            "from_item_id",
            "to_item_id",
            "new_version_number",
        ],
        writes: Writes::None,
        versioned: false,
        version_route: false,
    },
];

/// Finds a subtype by its `item_subtype` value.
pub(crate) fn subtype(name: &str) -> Option<&'static Subtype> {
    SUBTYPES.iter().find(|subtype| subtype.name == name)
}

/// Lock state and events of one item.
#[derive(Debug, Default, Clone)]
struct LockRecord {
    locked: bool,
    history: Vec<Value>,
}

/// Registry items by id, with their access settings and locks.
#[derive(Debug, Default)]
pub(crate) struct RegistryStore {
    items: BTreeMap<String, Value>,
    /// Access settings set through `auth/configuration`; items without an entry use the
    /// default settings (owner plus general `metadata-read`).
    access: BTreeMap<String, Value>,
    locks: BTreeMap<String, LockRecord>,
    /// Requests per `METHOD /route`, for coverage checks in tests.
    calls: BTreeMap<String, u64>,
}

impl RegistryStore {
    /// Inserts `item`, or replaces the item with the same `id`. An item without a string
    /// `id` is ignored.
    pub(crate) fn insert(&mut self, item: Value) {
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            self.items.insert(id.to_owned(), item);
        }
    }

    /// Returns the item with `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Value> {
        self.items.get(id)
    }

    /// Removes the item with `id` with its access settings and lock, and returns it.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Value> {
        self.access.remove(id);
        self.locks.remove(id);
        self.items.remove(id)
    }

    /// Returns the items whose `item_subtype` is `subtype` (such as `MODEL`), seed items
    /// included, in id order.
    pub(crate) fn items_of(&self, subtype: &str) -> Vec<&Value> {
        self.items
            .values()
            .filter(|item| item["item_subtype"] == subtype)
            .collect()
    }

    /// Reports whether the item with `id` is locked.
    pub(crate) fn is_locked(&self, id: &str) -> bool {
        self.locks.get(id).is_some_and(|record| record.locked)
    }

    /// Returns the access settings of the item with `id`: the stored ones, or the defaults
    /// for its owner. `None` for an unknown id.
    pub(crate) fn access_settings(&self, id: &str) -> Option<Value> {
        if let Some(settings) = self.access.get(id) {
            return Some(settings.clone());
        }
        let item = self.items.get(id)?;
        Some(json!({
            "owner": item["owner_username"],
            "general": ["metadata-read"],
            "groups": {},
        }))
    }

    /// Returns the item roles `caller` holds on the item with `id`.
    pub(crate) fn roles_of(&self, id: &str, caller: &Caller) -> Vec<String> {
        let Some(item) = self.items.get(id) else {
            return Vec::new();
        };
        let all = if item["item_subtype"] == "DATASET" {
            DATASET_ROLES
        } else {
            ITEM_ROLES
        };
        let settings = self.access_settings(id).unwrap_or(Value::Null);
        if caller.is_registry_admin() || settings["owner"] == caller.username.as_str() {
            return all.iter().map(|role| (*role).to_owned()).collect();
        }
        // NOTE: group roles are not granted: the double has no user groups.
        let general: Vec<&str> = settings["general"]
            .as_array()
            .map(|roles| roles.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        all.iter()
            .filter(|role| general.contains(role))
            .map(|role| (*role).to_owned())
            .collect()
    }

    /// Returns how often each `METHOD /route` of the registry was requested.
    pub(crate) fn calls(&self) -> &BTreeMap<String, u64> {
        &self.calls
    }

    /// Returns a copy of every item, seed items included, in id order.
    pub(crate) fn searchable_items(&self) -> Vec<Value> {
        self.items.values().cloned().collect()
    }
}

/// Builds the registry's routes.
pub(crate) fn router(state: AppState) -> Router {
    let roles = AccessRoles {
        read: &[roles::ENTITY_REGISTRY_READ],
        write: &[roles::ENTITY_REGISTRY_READ, roles::ENTITY_REGISTRY_WRITE],
        admin: &[
            roles::ENTITY_REGISTRY_READ,
            roles::ENTITY_REGISTRY_WRITE,
            roles::ENTITY_REGISTRY_ADMIN,
        ],
    };
    let mut router = id_service::common_routes(roles, "registry")
        .merge(general_routes())
        .merge(admin_routes());
    for subtype in SUBTYPES {
        router = router.merge(match subtype.name {
            "ORGANISATION" => subtype_routes::<OrganisationDomainInfo>(subtype),
            "PERSON" => subtype_routes::<PersonDomainInfo>(subtype),
            "MODEL" => subtype_routes::<ModelDomainInfo>(subtype),
            "MODEL_RUN_WORKFLOW_TEMPLATE" => {
                subtype_routes::<ModelRunWorkflowTemplateDomainInfo>(subtype)
            }
            "DATASET_TEMPLATE" => subtype_routes::<DatasetTemplateDomainInfo>(subtype),
            "DATASET" => subtype_routes::<DatasetDomainInfo>(subtype),
            "MODEL_RUN" => subtype_routes::<ModelRunDomainInfo>(subtype),
            "STUDY" => subtype_routes::<StudyDomainInfo>(subtype),
            "CREATE" => subtype_routes::<CreateDomainInfo>(subtype),
            _ => subtype_routes::<VersionDomainInfo>(subtype),
        });
    }
    router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            count_call,
        ))
        .route("/_double/calls", get(calls))
        .with_state(state)
}

/// Counts each matched request by method and route.
async fn count_call(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(path) = request.extensions().get::<MatchedPath>() {
        let key = format!("{} {}", request.method(), path.as_str());
        *state.registry().calls.entry(key).or_insert(0) += 1;
    }
    next.run(request).await
}

/// Returns the request counts per `METHOD /route`, for the double's own `/_double/calls`.
async fn calls(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.registry().calls()))
}

/// The query of the routes that take only an id.
#[derive(Debug, Deserialize)]
struct IdQuery {
    id: String,
}

/// The query of fetch.
#[derive(Debug, Deserialize)]
struct FetchQuery {
    id: String,
    #[serde(default)]
    seed_allowed: bool,
}

/// The query of update.
#[derive(Debug, Deserialize)]
struct UpdateQuery {
    id: String,
    reason: Option<String>,
    #[serde(default)]
    bypass_item_lock: bool,
    #[serde(default)]
    exclude_history_update: bool,
    #[serde(default)]
    manual_grant: bool,
}

/// The query of the general proxy fetch.
#[derive(Debug, Deserialize)]
struct ProxyFetchQuery {
    id: String,
    username: String,
}

/// The party an action is for: the caller, or, through a proxy route, the service
/// account acting for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    User,
    Proxy,
}

fn subtype_routes<D>(subtype: &'static Subtype) -> Router<AppState>
where
    D: DeserializeOwned + Serialize + Send + 'static,
{
    let path = |tail: &str| format!("{}{tail}", subtype.prefix);
    let mut router = Router::new()
        .route(
            &path("/fetch"),
            get(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<FetchQuery>| {
                    fetch_item(subtype, state, caller, query, Mode::User)
                },
            ),
        )
        .route(
            &path("/proxy/fetch"),
            get(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<FetchQuery>| {
                    fetch_item(subtype, state, caller, query, Mode::Proxy)
                },
            ),
        )
        .route(
            &path("/list"),
            post(
                move |state: State<AppState>,
                      caller: Caller,
                      body: ValidJson<SubtypeListRequest>| {
                    list_items(subtype, state, caller, body)
                },
            ),
        )
        .route(
            &path("/schema"),
            get(move |caller: Caller| schema(subtype, caller)),
        )
        .route(
            &path("/ui_schema"),
            get(move |caller: Caller| ui_schema(subtype, caller)),
        )
        .route(
            &path("/validate"),
            post(
                move |state: State<AppState>, caller: Caller, body: ValidJson<D>| {
                    validate(subtype, state, caller, body)
                },
            ),
        )
        .route(
            &path("/auth/evaluate"),
            get(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<IdQuery>| {
                    auth_evaluate(subtype, state, caller, query)
                },
            ),
        )
        .route(
            &path("/auth/configuration"),
            get(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<IdQuery>| {
                    auth_configuration(subtype, state, caller, query)
                },
            )
            .put(
                move |state: State<AppState>,
                      caller: Caller,
                      query: ValidQuery<IdQuery>,
                      body: ValidJson<AccessSettings>| {
                    put_auth_configuration(subtype, state, caller, query, body)
                },
            ),
        )
        .route(
            &path("/auth/roles"),
            get(move |caller: Caller| auth_roles(subtype, caller)),
        )
        .route(
            &path("/locks/lock"),
            put(
                move |state: State<AppState>,
                      caller: Caller,
                      body: ValidJson<LockChangeRequest>| {
                    change_lock(subtype, state, caller, body, true)
                },
            ),
        )
        .route(
            &path("/locks/unlock"),
            put(
                move |state: State<AppState>,
                      caller: Caller,
                      body: ValidJson<LockChangeRequest>| {
                    change_lock(subtype, state, caller, body, false)
                },
            ),
        )
        .route(
            &path("/locks/history"),
            get(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<IdQuery>| {
                    lock_history(subtype, state, caller, query)
                },
            ),
        )
        .route(
            &path("/locks/locked"),
            get(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<IdQuery>| {
                    lock_status(subtype, state, caller, query)
                },
            ),
        )
        .route(
            &path("/delete"),
            delete(
                move |state: State<AppState>, caller: Caller, query: ValidQuery<IdQuery>| {
                    delete_item(Some(subtype), state, caller, query)
                },
            ),
        );

    let (mode, infix) = match subtype.writes {
        Writes::Direct => (Mode::User, ""),
        Writes::Proxy => (Mode::Proxy, "/proxy"),
        Writes::None => return router,
    };
    router = router
        .route(
            &path(&format!("{infix}/create")),
            post(
                move |state: State<AppState>, caller: Caller, body: ValidJson<D>| {
                    create_item(subtype, state, caller, body, mode)
                },
            ),
        )
        .route(
            &path(&format!("{infix}/seed")),
            post(move |state: State<AppState>, caller: Caller| {
                seed_item(subtype, state, caller, mode)
            }),
        )
        .route(
            &path(&format!("{infix}/update")),
            put(
                move |state: State<AppState>,
                      caller: Caller,
                      query: ValidQuery<UpdateQuery>,
                      body: ValidJson<D>| {
                    update_item(subtype, state, caller, query, body, mode)
                },
            ),
        )
        .route(
            &path(&format!("{infix}/revert")),
            put(
                move |state: State<AppState>,
                      caller: Caller,
                      body: ValidJson<ItemRevertRequest>| {
                    revert_item(subtype, state, caller, body, mode)
                },
            ),
        );
    if subtype.version_route {
        router = router.route(
            &path(&format!("{infix}/version")),
            post(
                move |state: State<AppState>, caller: Caller, body: ValidJson<VersionRequest>| {
                    version_item(subtype, state, caller, body, mode)
                },
            ),
        );
    }
    if subtype.name == "DATASET" {
        router = router.route(&path("/user/releases"), post(list_releasing_datasets));
    }
    router
}

/// Checks the realm roles of a route: proxy routes need the service-account role.
fn require_write(caller: &Caller, mode: Mode) -> ApiResult<()> {
    caller.require_registry_write()?;
    if mode == Mode::Proxy && !caller.has_role(roles::DATA_STORE_API) {
        return Err(ApiError::unauthorized(PROXY_ONLY));
    }
    Ok(())
}

/// Builds a fetch-style failure: HTTP 200 with `success: false` and no item.
fn missing_item(details: impl Into<String>) -> Json<Value> {
    Json(json!({ "status": status_value(false, details), "item": Value::Null }))
}

/// Returns a copy of the item `id` when it is of `subtype`.
fn item_of(state: &AppState, subtype: &Subtype, id: &str) -> Option<Value> {
    state
        .registry()
        .get(id)
        .filter(|item| item["item_subtype"] == subtype.name)
        .cloned()
}

async fn fetch_item(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<FetchQuery>,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    if mode == Mode::Proxy && !caller.has_role(roles::DATA_STORE_API) {
        return Err(ApiError::unauthorized(PROXY_ONLY));
    }
    let registry = state.registry();
    let Some(item) = registry.get(&query.id) else {
        return Ok(missing_item(format!(
            "Failed to fetch item with id {}: no such item exists in the registry.",
            query.id
        )));
    };
    if item["item_subtype"] != subtype.name {
        return Ok(missing_item(format!(
            "Item with id {} is a {} and failed validation as a {}: item_subtype must be {}.",
            query.id, item["item_subtype"], subtype.name, subtype.name
        )));
    }
    let is_seed = item["record_type"] == "SEED_ITEM";
    if is_seed && !query.seed_allowed {
        return Ok(missing_item(format!(
            "Item with id {} is a seed item; fetch it with seed_allowed=true.",
            query.id
        )));
    }
    let roles = registry.roles_of(&query.id, &caller);
    if !roles.iter().any(|role| role == "metadata-read") {
        return Err(ApiError::unauthorized(format!(
            "You are not authorised to view the item {}: it needs the metadata-read role.",
            query.id
        )));
    }
    Ok(Json(json!({
        "status": status_value(true, "Successfully fetched item."),
        "item": item,
        "roles": roles,
        "locked": registry.is_locked(&query.id),
        "item_is_seed": is_seed,
    })))
}

async fn schema(subtype: &'static Subtype, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    Ok(Json(json!({
        "status": status_value(true, "Successfully generated schema."),
        // NOTE: a summary of the real JSON schema: title, type and required fields only.
        "json_schema": {
            "title": subtype.schema_title,
            "type": "object",
            "required": subtype.required,
        },
    })))
}

async fn ui_schema(subtype: &'static Subtype, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let order: Vec<&str> = subtype.required.to_vec();
    Ok(Json(json!({
        "status": status_value(true, "Successfully generated UI schema."),
        "ui_schema": { "ui:order": order },
    })))
}

/// Checks the references of a domain info against the registry: the ids it names must
/// exist with the right subtype. Returns the failure's details.
fn reference_problem(state: &AppState, subtype: &Subtype, info: &Value) -> Option<String> {
    let registry = state.registry();
    let expect = |field: &str, wanted: &str| -> Option<String> {
        let id = info[field].as_str()?;
        match registry.get(id) {
            Some(item) if item["item_subtype"] == wanted => None,
            Some(item) => Some(format!(
                "The {field} {id} refers to a {} but must refer to a {wanted}.",
                item["item_subtype"]
            )),
            None => Some(format!("The {field} {id} does not exist in the registry.")),
        }
    };
    match subtype.name {
        "MODEL_RUN_WORKFLOW_TEMPLATE" => expect("software_id", "MODEL"),
        "CREATE" => {
            let id = info["created_item_id"].as_str()?;
            registry
                .get(id)
                .is_none()
                .then(|| format!("The created_item_id {id} does not exist in the registry."))
        }
        "VERSION" => {
            let from = info["from_item_id"].as_str()?;
            registry
                .get(from)
                .is_none()
                .then(|| format!("The from_item_id {from} does not exist in the registry."))
        }
        _ => None,
    }
}

async fn validate<D: Serialize>(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(info): ValidJson<D>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let info = to_json(&info)?;
    Ok(Json(match reference_problem(&state, subtype, &info) {
        Some(problem) => json!({ "status": status_value(false, problem) }),
        None => json!({ "status": status_value(true, "Item is valid.") }),
    }))
}

fn to_json<T: Serialize>(value: &T) -> ApiResult<Value> {
    serde_json::to_value(value)
        .map_err(|error| ApiError::internal(format!("failed to encode the body: {error}")))
}

/// Returns the item's roles for the caller, or 400 for an unknown id of this subtype.
fn item_roles(
    state: &AppState,
    subtype: &Subtype,
    id: &str,
    caller: &Caller,
) -> ApiResult<Vec<String>> {
    if item_of(state, subtype, id).is_none() {
        return Err(ApiError::bad_request(format!(
            "No {} with id {id} exists in the registry.",
            subtype.name
        )));
    }
    Ok(state.registry().roles_of(id, caller))
}

async fn auth_evaluate(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let roles = item_roles(&state, subtype, &query.id, &caller)?;
    Ok(Json(json!({ "roles": roles })))
}

fn require_item_admin(
    state: &AppState,
    subtype: &Subtype,
    id: &str,
    caller: &Caller,
) -> ApiResult<()> {
    let roles = item_roles(state, subtype, id, caller)?;
    if roles.iter().any(|role| role == "admin") {
        Ok(())
    } else {
        Err(ApiError::unauthorized(NOT_ITEM_ADMIN))
    }
}

async fn auth_configuration(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    require_item_admin(&state, subtype, &query.id, &caller)?;
    let settings = state
        .registry()
        .access_settings(&query.id)
        .unwrap_or_default();
    Ok(Json(settings))
}

async fn put_auth_configuration(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
    ValidJson(settings): ValidJson<AccessSettings>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    require_item_admin(&state, subtype, &query.id, &caller)?;
    let settings = to_json(&settings)?;
    state.registry().access.insert(query.id, settings);
    Ok(Json(
        json!({ "status": status_value(true, "Access settings updated.") }),
    ))
}

async fn auth_roles(subtype: &'static Subtype, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let describe = |name: &str, display: &str, description: &str, grants: &[&str]| {
        json!({
            "role_name": name,
            "role_display_name": display,
            "description": description,
            "also_grants": grants,
        })
    };
    let mut described = vec![
        describe(
            "metadata-read",
            "Metadata Read",
            "Read the item's metadata.",
            &[],
        ),
        describe(
            "metadata-write",
            "Metadata Write",
            "Change the item's metadata.",
            &["metadata-read"],
        ),
    ];
    if subtype.name == "DATASET" {
        described.push(describe(
            "dataset-data-read",
            "Dataset Data Read",
            "Read the dataset's files.",
            &["metadata-read"],
        ));
        described.push(describe(
            "dataset-data-write",
            "Dataset Data Write",
            "Change the dataset's files.",
            &["metadata-read", "dataset-data-read"],
        ));
    }
    described.push(describe(
        "admin",
        "Admin",
        "Change the item's access settings and locks.",
        &["metadata-read", "metadata-write"],
    ));
    Ok(Json(json!({ "roles": described })))
}

async fn change_lock(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<LockChangeRequest>,
    lock: bool,
) -> ApiResult<Json<Value>> {
    caller.require_registry_write()?;
    require_item_admin(&state, subtype, &request.id, &caller)?;
    let now = state.now();
    let mut registry = state.registry();
    let record = registry.locks.entry(request.id.clone()).or_default();
    if record.locked == lock {
        return Err(ApiError::bad_request(if lock {
            "Cannot lock a resource which is already locked."
        } else {
            "Cannot unlock a resource which is not locked."
        }));
    }
    record.locked = lock;
    record.history.push(json!({
        "action_type": if lock { "LOCK" } else { "UNLOCK" },
        "username": caller.username,
        "email": caller.email,
        "reason": request.reason,
        "timestamp": now,
    }));
    Ok(Json(json!({
        "status": status_value(true, if lock { "Resource locked." } else { "Resource unlocked." }),
    })))
}

async fn lock_history(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    item_roles(&state, subtype, &query.id, &caller)?;
    let history = state
        .registry()
        .locks
        .get(&query.id)
        .map(|record| record.history.clone())
        .unwrap_or_default();
    Ok(Json(json!({
        "status": status_value(true, "Fetched lock history."),
        "history": history,
    })))
}

async fn lock_status(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    item_roles(&state, subtype, &query.id, &caller)?;
    Ok(Json(
        json!({ "locked": state.registry().is_locked(&query.id) }),
    ))
}

async fn delete_item(
    subtype: Option<&'static Subtype>,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let mut registry = state.registry();
    let matches = registry
        .get(&query.id)
        .is_some_and(|item| subtype.is_none_or(|subtype| item["item_subtype"] == subtype.name));
    if matches {
        registry.remove(&query.id);
    }
    Ok(Json(
        json!({ "status": status_value(true, "Deleted the item if it existed.") }),
    ))
}
