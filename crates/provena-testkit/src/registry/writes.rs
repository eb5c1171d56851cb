//! Write routes: create, seed, update, revert and version, and the activities they record.

use super::*;

/// Builds a complete item from a domain info.
pub(super) fn complete_item(
    subtype: &Subtype,
    id: &str,
    owner: &str,
    created: i64,
    now: i64,
    info: &Value,
) -> Value {
    let mut item = info.clone();
    let fields = [
        ("id", json!(id)),
        ("item_category", json!(subtype.category)),
        ("item_subtype", json!(subtype.name)),
        ("owner_username", json!(owner)),
        ("created_timestamp", json!(created)),
        ("updated_timestamp", json!(now)),
        ("record_type", json!("COMPLETE_ITEM")),
    ];
    if let Some(object) = item.as_object_mut() {
        for (key, value) in fields {
            object.insert(key.to_owned(), value);
        }
    }
    item
}

/// Mints a handle for a new item.
pub(super) fn mint(state: &AppState) -> String {
    let value = state
        .endpoints()
        .url(provena_http::Service::Registry)
        .map(|url| url.to_string())
        .unwrap_or_default();
    state.handles().mint(&value)
}

/// Checks that a versioned entity's creator is linked to a Person.
pub(super) fn require_person_link(state: &AppState, username: &str) -> ApiResult<String> {
    state
        .auth_api()
        .person_for(username)
        .ok_or_else(|| ApiError::bad_request(LINK_REQUIRED))
}

/// Records an activity item (create or version) through a job, as the real registry's
/// asynchronous worker does, and returns the job's session id.
pub(super) fn record_activity(
    state: &AppState,
    username: &str,
    job_sub_type: &str,
    activity: &'static str,
    info: &Value,
) -> String {
    let session_id = state
        .jobs()
        .submit(username, "REGISTRY", job_sub_type, info.clone(), None);
    let Some(subtype) = subtype(activity) else {
        return session_id;
    };
    let id = mint(state);
    let now = state.now();
    let mut item = complete_item(subtype, &id, username, now, now, info);
    item["history"] = json!([history_entry(
        0,
        now,
        "Recorded by the registry.",
        username,
        info
    )]);
    state.registry().insert(item);
    state
        .jobs()
        .finish(&session_id, Ok(json!({ "activity_id": id })));
    session_id
}

pub(super) fn history_entry(
    id: i64,
    timestamp: i64,
    reason: &str,
    username: &str,
    info: &Value,
) -> Value {
    json!({
        "id": id,
        "timestamp": timestamp,
        "reason": reason,
        "username": username,
        "item": info,
    })
}

/// Registers the create activity of a newly completed versioned entity.
pub(super) fn record_create_activity(state: &AppState, username: &str, item: &Value) -> String {
    let info = json!({
        "display_name": format!("Creation of {}", item["display_name"].as_str().unwrap_or_default()),
        "created_item_id": item["id"],
    });
    record_activity(state, username, "REGISTER_CREATE_ACTIVITY", "CREATE", &info)
}

pub(super) async fn create_item<D: Serialize>(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(info): ValidJson<D>,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    require_write(&caller, mode)?;
    // Proxy callers (the datastore) check the user's link themselves before calling.
    if subtype.versioned && mode == Mode::User {
        require_person_link(&state, &caller.username)?;
    }
    let info = to_json(&info)?;
    if let Some(problem) = reference_problem(&state, subtype, &info) {
        return Ok(Json(json!({ "status": status_value(false, problem) })));
    }
    let id = mint(&state);
    let now = state.now();
    let mut item = complete_item(subtype, &id, &caller.username, now, now, &info);
    item["history"] = json!([history_entry(
        0,
        now,
        "Initial record creation",
        &caller.username,
        &info
    )]);
    if subtype.versioned {
        item["versioning_info"] = json!({ "version": 1 });
    }
    state.registry().insert(item.clone());
    let session_id = subtype
        .versioned
        .then(|| record_create_activity(&state, &caller.username, &item));
    Ok(Json(json!({
        "status": status_value(true, "Successfully created item."),
        "created_item": item,
        "register_create_activity_session_id": session_id,
    })))
}

pub(super) async fn seed_item(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    require_write(&caller, mode)?;
    let id = mint(&state);
    let now = state.now();
    let item = json!({
        "id": id,
        "item_category": subtype.category,
        "item_subtype": subtype.name,
        "owner_username": caller.username,
        "created_timestamp": now,
        "updated_timestamp": now,
        "record_type": "SEED_ITEM",
    });
    state.registry().insert(item.clone());
    Ok(Json(json!({
        "status": status_value(true, "Successfully seeded item."),
        "seeded_item": item,
    })))
}

/// Checks that the caller may edit the item `id` of `subtype` and returns a copy of it:
/// 400 for an unknown id, 401 without `metadata-write` or when the item is locked.
pub(super) fn editable_item(
    state: &AppState,
    subtype: &Subtype,
    id: &str,
    caller: &Caller,
    bypass_lock: bool,
    mode: Mode,
) -> ApiResult<Value> {
    let item = item_of(state, subtype, id).ok_or_else(|| {
        ApiError::bad_request(format!(
            "No {} with id {id} exists in the registry.",
            subtype.name
        ))
    })?;
    let registry = state.registry();
    let may_edit = mode == Mode::Proxy
        || registry
            .roles_of(id, caller)
            .iter()
            .any(|role| role == "metadata-write");
    if !may_edit {
        return Err(ApiError::unauthorized(NOT_AUTHORISED_EDIT));
    }
    if registry.is_locked(id) && !bypass_lock {
        return Err(ApiError::unauthorized(LOCKED));
    }
    Ok(item)
}

/// Replaces the domain info of `item`, keeping its metadata, and adds a history entry
/// unless `record_history` is false.
pub(super) fn replace_info(
    subtype: &Subtype,
    item: &Value,
    info: &Value,
    reason: &str,
    username: &str,
    now: i64,
    record_history: bool,
) -> Value {
    let id = item["id"].as_str().unwrap_or_default();
    let owner = item["owner_username"].as_str().unwrap_or_default();
    let created = item["created_timestamp"].as_i64().unwrap_or(now);
    let mut history: Vec<Value> = item["history"].as_array().cloned().unwrap_or_default();
    if record_history || history.is_empty() {
        let next_id = history
            .iter()
            .filter_map(|entry| entry["id"].as_i64())
            .max()
            .map_or(0, |max| max + 1);
        history.insert(0, history_entry(next_id, now, reason, username, info));
    }
    let mut updated = complete_item(subtype, id, owner, created, now, info);
    updated["history"] = Value::Array(history);
    if let Some(versioning) = item.get("versioning_info") {
        updated["versioning_info"] = versioning.clone();
    } else if subtype.versioned {
        updated["versioning_info"] = json!({ "version": 1 });
    }
    updated
}

pub(super) async fn update_item<D: Serialize>(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<UpdateQuery>,
    ValidJson(info): ValidJson<D>,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    require_write(&caller, mode)?;
    let bypass_lock = mode == Mode::Proxy && query.bypass_item_lock;
    let item = editable_item(&state, subtype, &query.id, &caller, bypass_lock, mode)?;
    // NOTE: `manual_grant` is accepted and ignored: proxy callers may always edit.
    let _ = query.manual_grant;
    let info = to_json(&info)?;
    if let Some(problem) = reference_problem(&state, subtype, &info) {
        return Ok(Json(json!({ "status": status_value(false, problem) })));
    }
    let was_seed = item["record_type"] == "SEED_ITEM";
    let reason = match (&query.reason, was_seed) {
        (Some(reason), _) => reason.clone(),
        (None, true) => String::from("Initial record creation"),
        (None, false) => {
            return Err(ApiError::bad_request(
                "A reason is required when updating a complete item.",
            ));
        }
    };
    if was_seed && subtype.versioned && mode == Mode::User {
        require_person_link(&state, &caller.username)?;
    }
    let now = state.now();
    let record_history = !(mode == Mode::Proxy && query.exclude_history_update);
    let updated = replace_info(
        subtype,
        &item,
        &info,
        &reason,
        &caller.username,
        now,
        record_history,
    );
    state.registry().insert(updated.clone());
    let session_id = (was_seed && subtype.versioned)
        .then(|| record_create_activity(&state, &caller.username, &updated));
    Ok(Json(json!({
        "status": status_value(true, "Successfully updated item."),
        "register_create_activity_session_id": session_id,
    })))
}

pub(super) async fn revert_item(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ItemRevertRequest>,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    require_write(&caller, mode)?;
    let item = editable_item(&state, subtype, &request.id, &caller, false, mode)?;
    let entry = item["history"]
        .as_array()
        .and_then(|history| {
            history
                .iter()
                .find(|entry| entry["id"].as_i64() == Some(request.history_id))
        })
        .cloned()
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "Item {} has no history entry with id {}.",
                request.id, request.history_id
            ))
        })?;
    let now = state.now();
    let reverted = replace_info(
        subtype,
        &item,
        &entry["item"],
        &request.reason,
        &caller.username,
        now,
        true,
    );
    state.registry().insert(reverted);
    Ok(Json(
        json!({ "status": status_value(true, "Successfully reverted item.") }),
    ))
}

pub(super) async fn version_item(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<VersionRequest>,
    mode: Mode,
) -> ApiResult<Json<Value>> {
    require_write(&caller, mode)?;
    if mode == Mode::User {
        require_person_link(&state, &caller.username)?;
    }
    let item = editable_item(&state, subtype, &request.id, &caller, true, mode)?;
    if item["record_type"] == "SEED_ITEM" {
        return Err(ApiError::bad_request(format!(
            "Item {} is a seed item; complete it before versioning.",
            request.id
        )));
    }
    let version = item["versioning_info"]["version"].as_i64().unwrap_or(1);
    let info = domain_info_of(subtype, &item);
    let new_id = mint(&state);
    let now = state.now();
    let mut new_item = complete_item(subtype, &new_id, &caller.username, now, now, &info);
    new_item["history"] = json!([history_entry(
        0,
        now,
        &request.reason,
        &caller.username,
        &info
    )]);
    new_item["versioning_info"] = json!({
        "version": version + 1,
        "previous_version": request.id,
        "reason": request.reason,
    });
    let mut old_item = item;
    old_item["versioning_info"]["next_version"] = json!(new_id);
    {
        let mut registry = state.registry();
        registry.insert(old_item);
        registry.insert(new_item);
    }
    let activity = json!({
        "display_name": format!("Version {} of {}", version + 1, request.id),
        "reason": request.reason,
        "from_item_id": request.id,
        "to_item_id": new_id,
        "new_version_number": version + 1,
    });
    let session_id = record_activity(
        &state,
        &caller.username,
        "VERSION_CREATE_ACTIVITY",
        "VERSION",
        &activity,
    );
    Ok(Json(json!({
        "new_version_id": new_id,
        "version_job_session_id": session_id,
    })))
}

/// The domain info of an item: the newest history entry's, or the item without its
/// registry fields.
pub(super) fn domain_info_of(_subtype: &Subtype, item: &Value) -> Value {
    if let Some(info) = item["history"].get(0).map(|entry| entry["item"].clone()) {
        return info;
    }
    let mut info = item.clone();
    if let Some(object) = info.as_object_mut() {
        for key in [
            "id",
            "item_category",
            "item_subtype",
            "owner_username",
            "created_timestamp",
            "updated_timestamp",
            "record_type",
            "history",
            "versioning_info",
            "workflow_links",
        ] {
            object.remove(key);
        }
    }
    info
}
