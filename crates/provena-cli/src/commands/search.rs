//! `search`.

use provena::models::ItemSubType;

use crate::cli::Subtype;
use crate::exit::Failure;
use crate::output::Output;

/// Searches the registry and prints the hits in score order.
pub async fn run(
    search: provena::search::SearchClient,
    query: &str,
    limit: u32,
    subtype: Option<Subtype>,
    out: Output,
) -> Result<(), Failure> {
    if query.trim().is_empty() {
        return Err(Failure::usage("the search query is empty")
            .hint("give one or more words to search for"));
    }
    let mut request = search.search(query).record_limit(limit);
    if let Some(subtype) = subtype {
        request = request.subtype(item_subtype(subtype));
    }
    let results = request.send().await?;
    out.emit(&results.hits, || {
        if results.hits.is_empty() {
            return format!("no results for `{query}`");
        }
        results
            .hits
            .iter()
            .map(|hit| format!("{:.3}\t{}", hit.score, hit.id))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Maps a CLI subtype to the API's subtype value.
pub fn item_subtype(subtype: Subtype) -> ItemSubType {
    match subtype {
        Subtype::Organisation => ItemSubType::Organisation,
        Subtype::Person => ItemSubType::Person,
        Subtype::Model => ItemSubType::Model,
        Subtype::ModelRunWorkflowTemplate => ItemSubType::ModelRunWorkflowTemplate,
        Subtype::DatasetTemplate => ItemSubType::DatasetTemplate,
        Subtype::Dataset => ItemSubType::Dataset,
        Subtype::ModelRun => ItemSubType::ModelRun,
        Subtype::Study => ItemSubType::Study,
        Subtype::Create => ItemSubType::Create,
        Subtype::Version => ItemSubType::Version,
    }
}
