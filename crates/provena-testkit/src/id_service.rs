//! The double's handle service (id-service): mint handles, read and list them, and add,
//! modify and remove the indexed values stored under them.
//!
//! Also contains the routes every Provena API service shares (`/`, `/admin/config`,
//! `/admin/sentry-debug`, `/check-access/...`), which the search and auth API modules
//! reuse.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::respond::{ApiError, ApiResult, ValidJson, ValidQuery};
use crate::state::AppState;

/// The prefix of every handle the double mints.
pub(crate) const HANDLE_PREFIX: &str = "10378.1";
/// The suffix of the first handle minted.
const FIRST_SUFFIX: u64 = 1_690_000;

/// The type of a handle value, as requests name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub(crate) enum ValueType {
    /// A description.
    #[serde(rename = "DESC")]
    Desc,
    /// A URL, such as an item's landing page.
    #[serde(rename = "URL")]
    Url,
}

impl ValueType {
    fn as_str(self) -> &'static str {
        match self {
            ValueType::Desc => "DESC",
            ValueType::Url => "URL",
        }
    }
}

/// One value of a handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandleValue {
    pub(crate) index: u32,
    pub(crate) kind: String,
    pub(crate) value: String,
}

/// A handle and its values, in index order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Handle {
    pub(crate) id: String,
    pub(crate) values: Vec<HandleValue>,
}

impl Handle {
    /// Returns the handle in the service's JSON shape.
    pub(crate) fn to_json(&self) -> Value {
        let properties: Vec<Value> = self
            .values
            .iter()
            .map(|entry| json!({ "type": entry.kind, "value": entry.value, "index": entry.index }))
            .collect();
        json!({ "id": self.id, "properties": properties })
    }

    fn position(&self, index: u32) -> Option<usize> {
        self.values.iter().position(|entry| entry.index == index)
    }

    /// Inserts a value, keeping the values in index order.
    fn insert(&mut self, index: u32, kind: ValueType, value: &str) {
        let at = self
            .values
            .iter()
            .position(|entry| entry.index > index)
            .unwrap_or(self.values.len());
        self.values.insert(
            at,
            HandleValue {
                index,
                kind: kind.as_str().to_owned(),
                value: value.to_owned(),
            },
        );
    }
}

/// Handles in minting order.
#[derive(Debug, Default)]
pub(crate) struct HandleStore {
    handles: Vec<Handle>,
    minted: u64,
}

/// The reason a handle operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandleError {
    UnknownHandle(String),
    IndexInUse(String, u32),
    NoValueAtIndex(String, i64),
    InvalidIndex(i64),
}

impl HandleError {
    fn message(&self) -> String {
        match self {
            HandleError::UnknownHandle(id) => format!("Handle {id} does not exist"),
            HandleError::IndexInUse(id, index) => {
                format!("Handle {id} already has a value at index {index}")
            }
            HandleError::NoValueAtIndex(id, index) => {
                format!("Handle {id} has no value at index {index}")
            }
            HandleError::InvalidIndex(index) => {
                format!("Index {index} is invalid, indexes start at 1")
            }
        }
    }

    /// Builds the error response. The real service wraps every failure of the upstream handle
    /// system in HTTP 500 with this detail.
    ///
    /// NOTE: the text after `contents:` is the double's own wording, because the upstream
    /// system's messages are not recorded.
    fn into_api_error(self) -> ApiError {
        ApiError::internal(format!(
            "Error was reported by ARDC handle service, contents: {}.",
            self.message()
        ))
    }
}

impl HandleStore {
    /// Mints the next handle, such as `10378.1/1690000`, with `value` as a `URL` value at
    /// index 1, and returns its id.
    pub(crate) fn mint(&mut self, value: &str) -> String {
        self.mint_typed(ValueType::Url, value)
    }

    /// Mints the next handle with `value` of type `kind` at index 1, and returns its id.
    pub(crate) fn mint_typed(&mut self, kind: ValueType, value: &str) -> String {
        let id = format!("{HANDLE_PREFIX}/{}", FIRST_SUFFIX + self.minted);
        self.minted += 1;
        let mut handle = Handle {
            id: id.clone(),
            values: Vec::new(),
        };
        handle.insert(1, kind, value);
        self.handles.push(handle);
        id
    }

    /// Returns the handle with `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&Handle> {
        self.handles.iter().find(|handle| handle.id == id)
    }

    /// Returns every handle id in minting order.
    pub(crate) fn ids(&self) -> Vec<String> {
        self.handles
            .iter()
            .map(|handle| handle.id.clone())
            .collect()
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut Handle, HandleError> {
        self.handles
            .iter_mut()
            .find(|handle| handle.id == id)
            .ok_or_else(|| HandleError::UnknownHandle(id.to_owned()))
    }

    /// Adds a value at the next free index (one past the highest in use).
    pub(crate) fn add_value(
        &mut self,
        id: &str,
        kind: ValueType,
        value: &str,
    ) -> Result<Value, HandleError> {
        let handle = self.get_mut(id)?;
        let next = handle
            .values
            .iter()
            .map(|entry| entry.index)
            .max()
            .unwrap_or(0)
            + 1;
        handle.insert(next, kind, value);
        Ok(handle.to_json())
    }

    /// Adds a value at `index`, which must be positive and free.
    pub(crate) fn add_value_by_index(
        &mut self,
        id: &str,
        index: i64,
        kind: ValueType,
        value: &str,
    ) -> Result<Value, HandleError> {
        let index = valid_index(index)?;
        let handle = self.get_mut(id)?;
        if handle.position(index).is_some() {
            return Err(HandleError::IndexInUse(id.to_owned(), index));
        }
        handle.insert(index, kind, value);
        Ok(handle.to_json())
    }

    /// Replaces the value at `index`, keeping its type.
    pub(crate) fn modify_by_index(
        &mut self,
        id: &str,
        index: i64,
        value: &str,
    ) -> Result<Value, HandleError> {
        let handle = self.get_mut(id)?;
        let position = u32::try_from(index)
            .ok()
            .and_then(|index| handle.position(index))
            .ok_or_else(|| HandleError::NoValueAtIndex(id.to_owned(), index))?;
        handle.values[position].value = value.to_owned();
        Ok(handle.to_json())
    }

    /// Removes the value at `index`.
    pub(crate) fn remove_by_index(&mut self, id: &str, index: i64) -> Result<Value, HandleError> {
        let handle = self.get_mut(id)?;
        let position = u32::try_from(index)
            .ok()
            .and_then(|index| handle.position(index))
            .ok_or_else(|| HandleError::NoValueAtIndex(id.to_owned(), index))?;
        handle.values.remove(position);
        Ok(handle.to_json())
    }
}

fn valid_index(index: i64) -> Result<u32, HandleError> {
    u32::try_from(index)
        .ok()
        .filter(|index| *index >= 1)
        .ok_or(HandleError::InvalidIndex(index))
}

#[derive(Debug, Deserialize)]
struct MintBody {
    value_type: ValueType,
    value: String,
}

#[derive(Debug, Deserialize)]
struct AddValueBody {
    id: String,
    value_type: ValueType,
    value: String,
}

#[derive(Debug, Deserialize)]
struct AddValueIndexBody {
    id: String,
    index: i64,
    value_type: ValueType,
    value: String,
}

#[derive(Debug, Deserialize)]
struct ModifyBody {
    id: String,
    index: i64,
    value: String,
}

#[derive(Debug, Deserialize)]
struct RemoveBody {
    id: String,
    index: i64,
}

#[derive(Debug, Deserialize)]
struct IdQuery {
    id: String,
}

/// The role checks of one service's `check-access` and admin routes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccessRoles {
    pub(crate) read: &'static [&'static str],
    pub(crate) write: &'static [&'static str],
    pub(crate) admin: &'static [&'static str],
}

const HANDLE_ROLES: AccessRoles = AccessRoles {
    read: &[crate::users::roles::HANDLE_READ],
    write: &[
        crate::users::roles::HANDLE_READ,
        crate::users::roles::HANDLE_WRITE,
    ],
    admin: &[
        crate::users::roles::HANDLE_READ,
        crate::users::roles::HANDLE_WRITE,
        crate::users::roles::HANDLE_ADMIN,
    ],
};

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/handle/mint", post(mint))
        .route("/handle/add_value", post(add_value))
        .route("/handle/add_value_by_index", post(add_value_by_index))
        .route("/handle/get", get(get_handle))
        .route("/handle/list", get(list_handles))
        .route("/handle/modify_by_index", put(modify_by_index))
        .route("/handle/remove_by_index", post(remove_by_index))
        .merge(common_routes(HANDLE_ROLES, "id-service"))
        .with_state(state)
}

async fn mint(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<MintBody>,
) -> ApiResult<Json<Value>> {
    caller.require_handle_write()?;
    let mut store = state.handles();
    let id = store.mint_typed(body.value_type, &body.value);
    store
        .get(&id)
        .map(|handle| Json(handle.to_json()))
        .ok_or_else(|| ApiError::internal("the minted handle is missing from the store"))
}

async fn add_value(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<AddValueBody>,
) -> ApiResult<Json<Value>> {
    caller.require_handle_write()?;
    state
        .handles()
        .add_value(&body.id, body.value_type, &body.value)
        .map(Json)
        .map_err(HandleError::into_api_error)
}

async fn add_value_by_index(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<AddValueIndexBody>,
) -> ApiResult<Json<Value>> {
    caller.require_handle_write()?;
    state
        .handles()
        .add_value_by_index(&body.id, body.index, body.value_type, &body.value)
        .map(Json)
        .map_err(HandleError::into_api_error)
}

async fn get_handle(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_handle_read()?;
    state
        .handles()
        .get(&query.id)
        .map(|handle| Json(handle.to_json()))
        .ok_or_else(|| HandleError::UnknownHandle(query.id).into_api_error())
}

async fn list_handles(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_handle_read()?;
    let ids = state.handles().ids();
    Ok(Json(json!({ "ids": ids })))
}

async fn modify_by_index(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<ModifyBody>,
) -> ApiResult<Json<Value>> {
    caller.require_handle_write()?;
    state
        .handles()
        .modify_by_index(&body.id, body.index, &body.value)
        .map(Json)
        .map_err(HandleError::into_api_error)
}

async fn remove_by_index(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<RemoveBody>,
) -> ApiResult<Json<Value>> {
    caller.require_handle_write()?;
    state
        .handles()
        .remove_by_index(&body.id, body.index)
        .map(Json)
        .map_err(HandleError::into_api_error)
}

// The routes every Provena API service shares.

/// Builds `/`, `/admin/config`, `/admin/sentry-debug` and the four
/// `/check-access/check-*-access` routes with `roles`. `service` names the service in the
/// greeting and the configuration file.
pub(crate) fn common_routes(roles: AccessRoles, service: &'static str) -> Router<AppState> {
    Router::new()
        .route("/", get(move || root(service)))
        .route(
            "/admin/config",
            get(move |caller: Caller, query: ValidQuery<ConfigQuery>| {
                config_file(caller, query, roles, service)
            }),
        )
        .route(
            "/admin/sentry-debug",
            get(move |caller: Caller| sentry_debug(caller, roles)),
        )
        .route(
            "/check-access/check-general-access",
            get(|caller: Caller, headers: HeaderMap| check_access(caller, headers, &[])),
        )
        .route(
            "/check-access/check-read-access",
            get(move |caller: Caller, headers: HeaderMap| {
                check_access(caller, headers, roles.read)
            }),
        )
        .route(
            "/check-access/check-write-access",
            get(move |caller: Caller, headers: HeaderMap| {
                check_access(caller, headers, roles.write)
            }),
        )
        .route(
            "/check-access/check-admin-access",
            get(move |caller: Caller, headers: HeaderMap| {
                check_access(caller, headers, roles.admin)
            }),
        )
}

/// Returns the health-check greeting for `/`.
pub(crate) async fn root(service: &'static str) -> Json<Value> {
    Json(json!({ "message": "Health check successful.", "service": service }))
}

/// The query of `/admin/config`.
#[derive(Debug, Deserialize)]
pub(crate) struct ConfigQuery {
    #[serde(default = "default_true")]
    required_only: bool,
}

fn default_true() -> bool {
    true
}

/// Returns a `.env`-style file of the settings for `/admin/config`, as the real services
/// do for their administrators.
pub(crate) async fn config_file(
    caller: Caller,
    ValidQuery(query): ValidQuery<ConfigQuery>,
    roles: AccessRoles,
    service: &'static str,
) -> ApiResult<Response> {
    caller.require_all(roles.admin)?;
    // NOTE: the real file lists the deployment's settings. The double has only a few, so
    // it lists the service name and stage, plus its defaults with `required_only=false`.
    let mut text = format!("SERVICE_NAME={service}\nSTAGE=TEST\n");
    if !query.required_only {
        text.push_str("TEST_MODE=True\nMONITORING_ENABLED=False\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"config.txt\"",
            ),
        ],
        text,
    )
        .into_response())
}

/// Handles `/admin/sentry-debug`, which the real services use to raise a test error for
/// their error reporting. Like a real deployment with monitoring off, the double raises
/// nothing and returns a message instead.
pub(crate) async fn sentry_debug(caller: Caller, roles: AccessRoles) -> ApiResult<Json<Value>> {
    caller.require_all(roles.write)?;
    Ok(Json(
        json!({ "message": "Monitoring is disabled, so no test error was raised." }),
    ))
}

/// Handles a `check-access` route and returns the caller's user record, token included, when the
/// caller has every role in `required`.
pub(crate) async fn check_access(
    caller: Caller,
    headers: HeaderMap,
    required: &'static [&'static str],
) -> ApiResult<Json<Value>> {
    caller.require_all(required)?;
    Ok(Json(user_json(&caller, &headers)))
}

/// Builds the `User` record the real services return: username, email, roles and the
/// caller's own access token.
pub(crate) fn user_json(caller: &Caller, headers: &HeaderMap) -> Value {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .map(|(_, token)| token.trim().to_owned())
        .unwrap_or_default();
    json!({
        "username": caller.username,
        "email": caller.email,
        "roles": caller.roles,
        "access_token": token,
    })
}
