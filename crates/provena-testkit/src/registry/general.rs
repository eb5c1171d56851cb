//! The general item routes and the admin routes: export, import and restore.

use super::listing::{paginate, readable_items};
use super::*;

pub(super) fn general_routes() -> Router<AppState> {
    Router::new()
        .route("/registry/general/about/version", get(about_version))
        .route("/registry/general/fetch", get(general_fetch))
        .route("/registry/general/proxy/fetch", get(general_proxy_fetch))
        .route("/registry/general/list", post(general_list))
        .route(
            "/registry/general/delete",
            delete(
                |state: State<AppState>, caller: Caller, query: ValidQuery<IdQuery>| {
                    delete_item(None, state, caller, query)
                },
            ),
        )
}

pub(super) async fn about_version() -> Json<Value> {
    Json(json!({
        "commit_id": "0000000000000000000000000000000000000000",
        "tag_name": "double",
        "release_title": "Embedded Provena double",
    }))
}

pub(super) fn general_item(state: &AppState, id: &str, reader: &Caller) -> ApiResult<Json<Value>> {
    let registry = state.registry();
    let Some(item) = registry.get(id) else {
        return Ok(missing_item(format!(
            "Failed to fetch item with id {id}: no such item exists in the registry."
        )));
    };
    if !registry
        .roles_of(id, reader)
        .iter()
        .any(|role| role == "metadata-read")
    {
        return Err(ApiError::unauthorized(format!(
            "You are not authorised to view the item {id}: it needs the metadata-read role."
        )));
    }
    Ok(Json(json!({
        "status": status_value(true, "Successfully fetched item."),
        "item": item,
    })))
}

pub(super) async fn general_fetch(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<IdQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    general_item(&state, &query.id, &caller)
}

pub(super) async fn general_proxy_fetch(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<ProxyFetchQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    if !caller.has_role(roles::DATA_STORE_API) {
        return Err(ApiError::unauthorized(PROXY_ONLY));
    }
    // The access check is made for the named user, with the roles of an ordinary reader.
    let on_behalf = Caller {
        username: query.username,
        email: None,
        roles: vec![roles::ENTITY_REGISTRY_READ.to_owned()],
    };
    general_item(&state, &query.id, &on_behalf)
}

pub(super) async fn general_list(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<GeneralListRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let filter = request.filter_by.as_ref();
    let subtype = filter
        .and_then(|filter| filter.item_subtype.as_ref())
        .map(ToString::to_string);
    let record_type = filter.and_then(|filter| filter.record_type.as_ref());
    let (items, _) = readable_items(&state, subtype.as_deref(), record_type, &caller);
    let (page, key) = paginate(
        items,
        request.sort_by.as_ref(),
        request.page_size,
        request.pagination_key.as_ref(),
    )?;
    Ok(Json(json!({
        "status": status_value(true, "Successfully listed items."),
        "total_item_count": page.len(),
        "items": page,
        "pagination_key": key,
    })))
}

/// The names of the double's storage tables, accepted by restore-from-table.
pub(super) const TABLE_NAMES: [&str; 3] = ["RegistryResources", "RegistryAuth", "RegistryLocks"];

pub(super) fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/admin/export", get(admin_export))
        .route("/admin/import", post(admin_import))
        .route("/admin/restore_from_table", post(admin_restore))
        .route("/admin/restore-prov-graph", post(admin_restore_prov_graph))
}

/// Bundles every item with its access settings and lock state.
pub(super) fn bundle(registry: &RegistryStore) -> Vec<Value> {
    registry
        .items
        .iter()
        .map(|(id, item)| {
            let lock = registry.locks.get(id).cloned().unwrap_or_default();
            json!({
                "id": id,
                "item_payload": item,
                "auth_payload": registry.access_settings(id),
                "lock_payload": { "locked": lock.locked, "history": lock.history },
            })
        })
        .collect()
}

pub(super) async fn admin_export(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let items = bundle(&state.registry());
    Ok(Json(json!({
        "status": status_value(true, "Exported every item."),
        "items": items,
    })))
}

/// Applies bundled items to the store following `mode`, and returns the statistics. In
/// trial mode the store is left unchanged.
pub(super) fn import_bundles(
    registry: &mut RegistryStore,
    mode: &str,
    items: Vec<Value>,
    allow_entry_deletion: bool,
    trial_mode: bool,
) -> ApiResult<Value> {
    let old_size = registry.items.len();
    let sync = mode.starts_with("SYNC");
    if mode == "SYNC_DELETION_ALLOWED" && !allow_entry_deletion {
        return Err(ApiError::bad_request(
            "SYNC_DELETION_ALLOWED needs allow_entry_deletion=true.",
        ));
    }
    let incoming: HashMap<String, Value> = items
        .into_iter()
        .filter_map(|bundle| Some((bundle["id"].as_str()?.to_owned(), bundle)))
        .collect();
    let (mut new_entries, mut overwritten, mut deleted) = (0, 0, 0);
    for (id, bundle) in &incoming {
        let exists = registry.items.contains_key(id);
        let apply = match mode {
            "ADD_ONLY" => !exists,
            "OVERWRITE_ONLY" => exists,
            _ => true,
        };
        if mode == "ADD_ONLY" && exists {
            return Err(ApiError::bad_request(format!(
                "Item {id} already exists and ADD_ONLY does not overwrite."
            )));
        }
        if mode == "OVERWRITE_ONLY" && !exists {
            return Err(ApiError::bad_request(format!(
                "Item {id} does not exist and OVERWRITE_ONLY does not add."
            )));
        }
        if !apply {
            continue;
        }
        if exists {
            overwritten += 1;
        } else {
            new_entries += 1;
        }
        if !trial_mode {
            registry
                .items
                .insert(id.clone(), bundle["item_payload"].clone());
            if bundle["auth_payload"].is_object() {
                registry
                    .access
                    .insert(id.clone(), bundle["auth_payload"].clone());
            }
            let lock = &bundle["lock_payload"];
            registry.locks.insert(
                id.clone(),
                LockRecord {
                    locked: lock["locked"].as_bool().unwrap_or(false),
                    history: lock["history"].as_array().cloned().unwrap_or_default(),
                },
            );
        }
    }
    if sync && mode == "SYNC_DELETION_ALLOWED" {
        let stale: Vec<String> = registry
            .items
            .keys()
            .filter(|id| !incoming.contains_key(*id))
            .cloned()
            .collect();
        deleted = stale.len();
        if !trial_mode {
            for id in stale {
                registry.remove(&id);
            }
        }
    }
    let new_size = if trial_mode {
        old_size + new_entries - deleted
    } else {
        registry.items.len()
    };
    Ok(json!({
        "old_registry_size": old_size,
        "new_registry_size": new_size,
        "deleted_entries": deleted,
        "overwritten_entries": overwritten,
        "new_entries": new_entries,
    }))
}

pub(super) async fn admin_import(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<RegistryImportRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let items = request
        .items
        .iter()
        .map(to_json)
        .collect::<ApiResult<Vec<Value>>>()?;
    let trial_mode = request.trial_mode.unwrap_or(true);
    let statistics = import_bundles(
        &mut state.registry(),
        request.import_mode.as_str(),
        items,
        request.allow_entry_deletion.unwrap_or(false),
        trial_mode,
    )?;
    Ok(Json(json!({
        "status": status_value(true, "Import complete."),
        "trial_mode": trial_mode,
        "statistics": statistics,
        "failure_list": [],
    })))
}

pub(super) async fn admin_restore(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<RegistryRestoreRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let names = &request.table_names;
    for name in [
        &names.resource_table_name,
        &names.auth_table_name,
        &names.lock_table_name,
    ] {
        if !TABLE_NAMES.contains(&name.as_str()) {
            return Err(ApiError::bad_request(format!(
                "Table {name} does not exist; the tables are {}.",
                TABLE_NAMES.join(", ")
            )));
        }
    }
    // The double has one set of tables, so a restore re-imports the current content.
    let trial_mode = request.trial_mode.unwrap_or(true);
    let mut registry = state.registry();
    let items = bundle(&registry);
    let statistics = import_bundles(
        &mut registry,
        request.import_mode.as_str(),
        items,
        request.allow_entry_deletion.unwrap_or(false),
        trial_mode,
    )?;
    Ok(Json(json!({
        "status": status_value(true, "Restore complete."),
        "trial_mode": trial_mode,
        "statistics": statistics,
        "failure_list": [],
    })))
}

pub(super) async fn admin_restore_prov_graph(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ProvGraphRestoreRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_admin()?;
    let trial_mode = request.trial_mode.unwrap_or(true);
    let abort_if_failures = request.abort_if_failures.unwrap_or(true);
    let mut task_ids = Vec::new();
    if !trial_mode {
        for bundle in &request.items {
            let payload = to_json(bundle)?;
            let session_id = state.jobs().submit(
                &caller.username,
                "PROV_LODGE",
                "MODEL_RUN_LODGE_ONLY",
                payload,
                None,
            );
            task_ids.push(session_id);
        }
    }
    Ok(Json(json!({
        "status": status_value(true, "Provenance graph restore submitted."),
        "trial_mode": trial_mode,
        "abort_if_failures": abort_if_failures,
        "task_ids": task_ids,
    })))
}
