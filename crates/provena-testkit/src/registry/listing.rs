//! Listing routes: sorting, filtering and the pagination key.

use super::*;

/// The sort key of an item for `sort`.
pub(super) fn sort_key(item: &Value, sort_type: &SortType) -> Value {
    match sort_type {
        SortType::CreatedTime => item["created_timestamp"].clone(),
        SortType::DisplayName => item["display_name"].clone(),
        SortType::ReleaseTimestamp => item["release_timestamp"].clone(),
        SortType::AccessInfoUriBeginsWith => item["access_info_uri"].clone(),
        _ => item["updated_timestamp"].clone(),
    }
}

pub(super) fn compare_values(left: &Value, right: &Value) -> std::cmp::Ordering {
    match (left.as_i64(), right.as_i64()) {
        (Some(left), Some(right)) => left.cmp(&right),
        _ => left
            .as_str()
            .unwrap_or_default()
            .cmp(right.as_str().unwrap_or_default()),
    }
}

/// Sorts, filters and cuts one page out of `items`. The pagination key is the last
/// returned item's `{id, item_subtype, updated_timestamp}`, as the real registry's
/// DynamoDB key; a full page always carries one, so the page after the last full page is
/// empty.
pub(super) fn paginate(
    mut items: Vec<Value>,
    sort_by: Option<&SortOptions>,
    page_size: Option<i64>,
    pagination_key: Option<&Value>,
) -> ApiResult<(Vec<Value>, Option<Value>)> {
    let page_size = page_size.unwrap_or(20);
    if page_size <= 0 {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            vec![json!("body"), json!("page_size")],
            "ensure this value is greater than 0",
            "value_error.number.not_gt",
        )]));
    }
    let sort_type = sort_by
        .and_then(|sort| sort.sort_type.clone())
        .unwrap_or(SortType::UpdatedTime);
    let ascending = sort_by.and_then(|sort| sort.ascending).unwrap_or(false);
    if let Some(prefix) = sort_by.and_then(|sort| sort.begins_with.as_deref()) {
        items.retain(|item| {
            sort_key(item, &sort_type)
                .as_str()
                .is_some_and(|text| text.starts_with(prefix))
        });
    }
    items.sort_by(|left, right| {
        let order = compare_values(&sort_key(left, &sort_type), &sort_key(right, &sort_type));
        let order = if ascending { order } else { order.reverse() };
        order.then_with(|| compare_values(&left["id"], &right["id"]))
    });
    let start = match pagination_key.and_then(|key| key["id"].as_str()) {
        None => 0,
        // NOTE: a key naming a deleted item ends the listing; the real registry resumes
        // after the key's position instead.
        Some(id) => match items.iter().position(|item| item["id"] == id) {
            Some(index) => index + 1,
            None => items.len(),
        },
    };
    let page_size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let page: Vec<Value> = items.into_iter().skip(start).take(page_size).collect();
    let key = if page.len() == page_size {
        page.last().map(|item| {
            json!({
                "id": item["id"],
                "item_subtype": item["item_subtype"],
                "updated_timestamp": item["updated_timestamp"],
            })
        })
    } else {
        None
    };
    Ok((page, key))
}

/// Whether `record_type` keeps `item`: complete items only unless asked otherwise.
pub(super) fn record_type_keeps(record_type: Option<&QueryRecordTypes>, item: &Value) -> bool {
    let seed = item["record_type"] == "SEED_ITEM";
    match record_type {
        Some(QueryRecordTypes::All) => true,
        Some(QueryRecordTypes::SeedOnly) => seed,
        _ => !seed,
    }
}

/// Returns the items of `subtype` (all subtypes for `None`) that `record_type` keeps and
/// the caller may read, and how many were left out as not readable.
pub(super) fn readable_items(
    state: &AppState,
    subtype: Option<&str>,
    record_type: Option<&QueryRecordTypes>,
    caller: &Caller,
) -> (Vec<Value>, usize) {
    let registry = state.registry();
    let mut hidden = 0;
    let items = registry
        .items
        .values()
        .filter(|item| subtype.is_none_or(|name| item["item_subtype"] == name))
        .filter(|item| record_type_keeps(record_type, item))
        .filter(|item| {
            let id = item["id"].as_str().unwrap_or_default();
            let readable = registry
                .roles_of(id, caller)
                .iter()
                .any(|role| role == "metadata-read");
            if !readable {
                hidden += 1;
            }
            readable
        })
        .cloned()
        .collect();
    (items, hidden)
}

pub(super) async fn list_items(
    subtype: &'static Subtype,
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<SubtypeListRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let record_type = request
        .filter_by
        .as_ref()
        .and_then(|filter| filter.record_type.as_ref());
    let (items, hidden) = readable_items(&state, Some(subtype.name), record_type, &caller);
    let (page, key) = paginate(
        items,
        request.sort_by.as_ref(),
        request.page_size,
        request.pagination_key.as_ref(),
    )?;
    let (seeds, complete): (Vec<Value>, Vec<Value>) = page
        .into_iter()
        .partition(|item| item["record_type"] == "SEED_ITEM");
    Ok(Json(json!({
        "status": status_value(true, "Successfully listed items."),
        "total_item_count": complete.len() + seeds.len(),
        "complete_item_count": complete.len(),
        "seed_item_count": seeds.len(),
        "unparsable_item_count": 0,
        "not_authorised_count": hidden,
        "items": complete,
        "seed_items": seeds,
        "unparsable_items": [],
        "pagination_key": key,
    })))
}

pub(super) async fn list_releasing_datasets(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(request): ValidJson<ListUserReviewingDatasetsRequest>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;
    let Some(person) = state.auth_api().person_for(&caller.username) else {
        return Err(ApiError::bad_request(LINK_REQUIRED));
    };
    let filter = &request.filter_by;
    if let Some(reviewer) = &filter.release_reviewer
        && reviewer != &person
    {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "You can only search for your own dataset releases.",
        ));
    }
    let status = filter.release_status.as_ref().map(ToString::to_string);
    let (items, _) = readable_items(&state, Some("DATASET"), None, &caller);
    let items: Vec<Value> = items
        .into_iter()
        .filter(|item| item["release_approver"] == person.as_str())
        .filter(|item| {
            status
                .as_deref()
                .is_none_or(|status| item["release_status"] == status)
        })
        .collect();
    let (page, key) = paginate(
        items,
        request.sort_by.as_ref(),
        request.page_size,
        request.pagination_key.as_ref(),
    )?;
    Ok(Json(json!({
        "status": status_value(true, "Successfully listed datasets."),
        "dataset_items": page,
        "total_dataset_count": page.len(),
        "pagination_key": key,
    })))
}
