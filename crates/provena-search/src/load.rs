//! Loading the registry items behind search hits.

use futures::{StreamExt, TryStreamExt};
use provena_http::{Error, HttpClient, Operation, Service};
use provena_models::QueryResult;
use serde::Deserialize;

/// The registry's general fetch route, which returns any item subtype by id.
///
/// It belongs to the registry's API document, so it is not part of
/// [`operations::ALL`](crate::operations::ALL).
pub const REGISTRY_GENERAL_FETCH: Operation =
    Operation::get(Service::Registry, "fetch", "/registry/general/fetch");

/// The registry items behind a list of search hits.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoadedItems {
    /// The items that resolved, in the order of the hits (best score first).
    pub items: Vec<LoadedItem>,
    /// The hits whose ids the registry no longer resolves, in the order of the hits.
    pub missing: Vec<MissingItem>,
}

/// One registry item behind a search hit.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoadedItem {
    /// The item's id.
    pub id: String,
    /// The hit's search score.
    pub score: f64,
    /// The whole item as the registry returns it. Its `item_subtype` field names the
    /// subtype, so it can be decoded into the matching `provena_models` type.
    pub item: serde_json::Value,
}

/// A search hit whose id the registry no longer resolves.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MissingItem {
    /// The item's id.
    pub id: String,
    /// The hit's search score.
    pub score: f64,
    /// The registry's explanation.
    pub details: String,
}

#[derive(Deserialize)]
struct FetchResponse {
    status: FetchStatus,
    #[serde(default)]
    item: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct FetchStatus {
    success: bool,
    #[serde(default)]
    details: Option<String>,
}

enum Outcome {
    Found(LoadedItem),
    Missing(MissingItem),
}

pub(crate) async fn load_items(
    http: &HttpClient,
    hits: &[QueryResult],
    concurrency: usize,
) -> Result<LoadedItems, Error> {
    // `buffered` keeps the input order while running up to `concurrency` fetches at once,
    // so the results stay in score order.
    let outcomes: Vec<Outcome> = futures::stream::iter(hits.iter().cloned())
        .map(|hit| fetch_one(http, hit))
        .buffered(concurrency.max(1))
        .try_collect()
        .await?;

    let mut loaded = LoadedItems {
        items: Vec::with_capacity(outcomes.len()),
        missing: Vec::new(),
    };
    for outcome in outcomes {
        match outcome {
            Outcome::Found(item) => loaded.items.push(item),
            Outcome::Missing(missing) => loaded.missing.push(missing),
        }
    }
    Ok(loaded)
}

async fn fetch_one(http: &HttpClient, hit: QueryResult) -> Result<Outcome, Error> {
    // The registry returns HTTP 200 with `status.success = false` and a null item for an id
    // it does not know, so the status is read here instead of turned into an error.
    let response: FetchResponse = http
        .call(&REGISTRY_GENERAL_FETCH)
        .query("id", &hit.id)
        .send_json_unchecked()
        .await?;
    match (response.status.success, response.item) {
        (true, Some(item)) if !item.is_null() => Ok(Outcome::Found(LoadedItem {
            id: hit.id,
            score: hit.score,
            item,
        })),
        _ => Ok(Outcome::Missing(MissingItem {
            id: hit.id,
            score: hit.score,
            details: response
                .status
                .details
                .unwrap_or_else(|| String::from("the registry returned no item")),
        })),
    }
}
