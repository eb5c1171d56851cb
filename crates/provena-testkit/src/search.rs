//! The double's search service: ranked results over the registry's items, by name,
//! description and keywords, with the record limit and subtype filter of the real
//! `/search/entity-registry` route.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::id_service::{AccessRoles, common_routes};
use crate::respond::{ApiResult, ValidQuery};
use crate::state::AppState;
use crate::users::roles;

/// The number of results when the request sets no limit, as the real service's default.
const DEFAULT_QUERY_SIZE: usize = 10;
/// The largest number of results the real service returns, whatever the limit.
const MAX_QUERY_SIZE: usize = 50;

/// The weight of a match in each searchable field: names count most, then keywords.
const FIELD_WEIGHTS: &[(&str, f64)] = &[
    ("display_name", 3.0),
    ("name", 3.0),
    ("keywords", 2.0),
    ("description", 1.0),
];

/// The registry item subtypes the search route accepts as `subtype_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum ItemSubType {
    WorkflowRun,
    ModelRun,
    Study,
    Create,
    Version,
    Person,
    Organisation,
    Software,
    Model,
    WorkflowTemplate,
    ModelRunWorkflowTemplate,
    Dataset,
    DatasetTemplate,
}

impl ItemSubType {
    fn as_str(self) -> &'static str {
        match self {
            ItemSubType::WorkflowRun => "WORKFLOW_RUN",
            ItemSubType::ModelRun => "MODEL_RUN",
            ItemSubType::Study => "STUDY",
            ItemSubType::Create => "CREATE",
            ItemSubType::Version => "VERSION",
            ItemSubType::Person => "PERSON",
            ItemSubType::Organisation => "ORGANISATION",
            ItemSubType::Software => "SOFTWARE",
            ItemSubType::Model => "MODEL",
            ItemSubType::WorkflowTemplate => "WORKFLOW_TEMPLATE",
            ItemSubType::ModelRunWorkflowTemplate => "MODEL_RUN_WORKFLOW_TEMPLATE",
            ItemSubType::Dataset => "DATASET",
            ItemSubType::DatasetTemplate => "DATASET_TEMPLATE",
        }
    }
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    query: String,
    #[serde(default)]
    subtype_filter: Option<ItemSubType>,
    #[serde(default)]
    record_limit: Option<i64>,
}

const SEARCH_ROLES: AccessRoles = AccessRoles {
    read: &[roles::SYS_ADMIN_READ],
    write: &[roles::SYS_ADMIN_READ, roles::SYS_ADMIN_WRITE],
    admin: &[
        roles::SYS_ADMIN_READ,
        roles::SYS_ADMIN_WRITE,
        roles::SYS_ADMIN_ADMIN,
    ],
};

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/search/entity-registry", get(search_entity_registry))
        .merge(common_routes(SEARCH_ROLES, "search"))
        .with_state(state)
}

async fn search_entity_registry(
    State(state): State<AppState>,
    caller: Caller,
    ValidQuery(query): ValidQuery<SearchQuery>,
) -> ApiResult<Json<Value>> {
    caller.require_registry_read()?;

    // Like the real service, a missing or zero limit means the default, and a larger one
    // is capped.
    let size = match query.record_limit {
        Some(limit) if limit != 0 => usize::try_from(limit.max(0))
            .unwrap_or(MAX_QUERY_SIZE)
            .min(MAX_QUERY_SIZE),
        _ => DEFAULT_QUERY_SIZE,
    };
    let terms = tokenize(&query.query);
    let subtype = query.subtype_filter.map(ItemSubType::as_str);

    let items = state.registry().searchable_items();
    let mut hits: Vec<(String, f64)> = items
        .iter()
        .filter(|item| subtype.is_none_or(|wanted| item["item_subtype"] == wanted))
        .filter_map(|item| {
            let id = item["id"].as_str()?;
            let score = score(item, &terms);
            (score > 0.0).then(|| (id.to_owned(), score))
        })
        .collect();
    hits.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    hits.truncate(size);

    let results: Vec<Value> = hits
        .iter()
        .map(|(id, score)| json!({ "id": id, "score": score }))
        .collect();
    Ok(Json(json!({
        "status": {
            "success": true,
            "details": format!("Returned {} results with no issues.", results.len()),
        },
        "results": results,
        "warnings": null,
    })))
}

/// Splits text into lower-case words.
fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Scores `item` against the query words: each word found in a searchable field adds the
/// field's weight, and a word that only starts a field word adds half of it.
///
/// NOTE: the real service ranks with OpenSearch (BM25 over a linearised copy of each
/// item), so its scores and the order of near ties differ from the double's.
fn score(item: &Value, terms: &[String]) -> f64 {
    let mut fields = Vec::new();
    collect_fields(item, &mut fields);
    let mut total = 0.0;
    for term in terms {
        for (weight, text) in &fields {
            for word in tokenize(text) {
                if word == *term {
                    total += weight;
                } else if word.starts_with(term.as_str()) {
                    total += weight / 2.0;
                }
            }
        }
    }
    total
}

/// Collects every searchable field of `value`, at any depth, with its weight. Datasets
/// keep their name and description under `collection_format.dataset_info`.
fn collect_fields<'a>(value: &'a Value, out: &mut Vec<(f64, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let weight = FIELD_WEIGHTS
                    .iter()
                    .find(|(field, _)| field == key)
                    .map(|(_, weight)| *weight);
                match (weight, child) {
                    (Some(weight), Value::String(text)) => out.push((weight, text)),
                    (Some(weight), Value::Array(entries)) => {
                        for entry in entries {
                            if let Value::String(text) = entry {
                                out.push((weight, text));
                            }
                        }
                    }
                    _ => collect_fields(child, out),
                }
            }
        }
        Value::Array(entries) => {
            for entry in entries {
                collect_fields(entry, out);
            }
        }
        _ => {}
    }
}

// Test support: exact registry content for search tests, without the registry's create
// checks (owner, handle, history).
impl crate::ProvenaDouble {
    /// Stores `item` in the registry as is, replacing any item with the same `id`. The
    /// item must carry a string `id` and should carry `item_subtype`, the fields search
    /// filters on; searchable text goes in `display_name`, `name`, `description` or
    /// `keywords`.
    pub fn insert_registry_item(&self, item: Value) {
        self.state().registry().insert(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_outrank_descriptions() {
        let named = json!({ "display_name": "Coral reef model", "description": "x" });
        let described = json!({ "display_name": "Other", "description": "a coral study" });
        let terms = tokenize("coral");
        assert!(score(&named, &terms) > score(&described, &terms));
        assert_eq!(score(&json!({ "display_name": "none" }), &terms), 0.0);
    }

    #[test]
    fn nested_dataset_fields_count() {
        let dataset = json!({
            "collection_format": {
                "dataset_info": { "name": "Reef temperature", "keywords": ["ocean"] }
            }
        });
        assert_eq!(score(&dataset, &tokenize("ocean")), 2.0);
        assert_eq!(score(&dataset, &tokenize("temp")), 1.5);
    }
}
