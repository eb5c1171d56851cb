//! `registry fetch|list|create|update`.

use futures::TryStreamExt;
use provena::models::kinds::RegistryItem;
use provena::registry::{ItemClient, RegistryClient};
use serde_json::json;

use crate::cli::{RegistryCommand, Subtype};
use crate::commands::read_json;
use crate::exit::Failure;
use crate::output::{Output, pretty};

/// Calls `$body` with `$items` bound to the item client of `$subtype`.
macro_rules! with_subtype {
    ($subtype:expr, $registry:expr, $items:ident => $body:expr) => {
        match $subtype {
            Subtype::Organisation => {
                let $items = $registry.organisations();
                $body
            }
            Subtype::Person => {
                let $items = $registry.people();
                $body
            }
            Subtype::Model => {
                let $items = $registry.models();
                $body
            }
            Subtype::ModelRunWorkflowTemplate => {
                let $items = $registry.workflow_templates();
                $body
            }
            Subtype::DatasetTemplate => {
                let $items = $registry.dataset_templates();
                $body
            }
            Subtype::Dataset => {
                let $items = $registry.datasets();
                $body
            }
            Subtype::ModelRun => {
                let $items = $registry.model_runs();
                $body
            }
            Subtype::Study => {
                let $items = $registry.studies();
                $body
            }
            Subtype::Create => {
                let $items = $registry.create_activities();
                $body
            }
            Subtype::Version => {
                let $items = $registry.version_activities();
                $body
            }
        }
    };
}

/// Runs one registry command.
pub async fn run(
    registry: RegistryClient,
    command: RegistryCommand,
    out: Output,
) -> Result<(), Failure> {
    match command {
        RegistryCommand::Fetch { subtype, id } => {
            with_subtype!(subtype, registry, items => fetch(items, &id, out).await)
        }
        RegistryCommand::List {
            subtype,
            limit,
            page_size,
        } => with_subtype!(subtype, registry, items => list(items, limit, page_size, out).await),
        RegistryCommand::Create { subtype, file } => match subtype {
            Subtype::Organisation => create(registry.organisations(), &file, out).await,
            Subtype::Person => create(registry.people(), &file, out).await,
            Subtype::Model => create(registry.models(), &file, out).await,
            Subtype::ModelRunWorkflowTemplate => {
                create(registry.workflow_templates(), &file, out).await
            }
            Subtype::DatasetTemplate => create(registry.dataset_templates(), &file, out).await,
            Subtype::Study => create(registry.studies(), &file, out).await,
            Subtype::Dataset => Err(Failure::usage("datasets are created by the data store")
                .hint("use `provena datastore mint --file metadata.json`")),
            Subtype::ModelRun => Err(Failure::usage(
                "model runs are created by the provenance service",
            )
            .hint("register the model run through the prov API")),
            Subtype::Create | Subtype::Version => Err(Failure::usage(
                "create and version activities are recorded by the registry itself",
            )),
        },
        RegistryCommand::Update {
            subtype,
            id,
            file,
            reason,
        } => match subtype {
            Subtype::Organisation => {
                update(registry.organisations(), &id, &file, &reason, out).await
            }
            Subtype::Person => update(registry.people(), &id, &file, &reason, out).await,
            Subtype::Model => update(registry.models(), &id, &file, &reason, out).await,
            Subtype::ModelRunWorkflowTemplate => {
                update(registry.workflow_templates(), &id, &file, &reason, out).await
            }
            Subtype::DatasetTemplate => {
                update(registry.dataset_templates(), &id, &file, &reason, out).await
            }
            Subtype::Study => update(registry.studies(), &id, &file, &reason, out).await,
            Subtype::Dataset => Err(Failure::usage(
                "dataset metadata is updated through the data store",
            )),
            Subtype::ModelRun => Err(Failure::usage(
                "model runs are updated through the prov API",
            )),
            Subtype::Create | Subtype::Version => {
                Err(Failure::usage("activities cannot be updated"))
            }
        },
    }
}

async fn fetch<K>(items: ItemClient<K>, id: &str, out: Output) -> Result<(), Failure>
where
    K: provena::registry::operations::SubtypeRoutes,
    K::Item: serde::Serialize + RegistryItem,
{
    let record = items.fetch_opt(id).await?.ok_or_else(|| {
        Failure::new(
            crate::exit::SERVER,
            format!("no {} with id `{id}`", K::NAME),
        )
        .hint("check the id and the subtype; `provena search WORDS` finds items by name")
    })?;
    out.emit(&record, || match record.complete() {
        Some(item) => format!("{} ({})\n{}", item.display_name(), item.id(), pretty(item)),
        None => format!("{id} is a seed item: its id is reserved and it has no details yet"),
    })
}

async fn list<K>(
    items: ItemClient<K>,
    limit: usize,
    page_size: Option<u32>,
    out: Output,
) -> Result<(), Failure>
where
    K: provena::registry::operations::SubtypeRoutes,
    K::Item: serde::Serialize + RegistryItem,
{
    let mut builder = items.list().limit(limit);
    if let Some(size) = page_size {
        builder = builder.page_size(size);
    }
    let records: Vec<_> = builder.items().try_collect().await?;
    out.emit(&records, || {
        let mut text = String::new();
        for record in &records {
            match record.complete() {
                Some(item) => text.push_str(&format!("{}\t{}\n", item.id(), item.display_name())),
                None => {
                    if let Some(seed) = record.seed() {
                        text.push_str(&format!("{}\t(seed)\n", seed.id));
                    }
                }
            }
        }
        if records.is_empty() {
            text.push_str("no items\n");
        }
        text
    })
}

async fn create<K>(items: ItemClient<K>, file: &std::path::Path, out: Output) -> Result<(), Failure>
where
    K: provena::registry::operations::CreateRoute,
    K::Item: serde::Serialize + RegistryItem,
{
    let info: K::DomainInfo = read_json(file, &format!("the {} request body", K::NAME))?;
    let created = items.create(&info).await?;
    let result = json!({
        "id": created.item.id(),
        "item": &created.item,
        "create_activity_session_id": created.create_activity_session_id,
    });
    out.emit(&result, || {
        format!(
            "created {} {}",
            created.item.id(),
            created.item.display_name()
        )
    })
}

async fn update<K>(
    items: ItemClient<K>,
    id: &str,
    file: &std::path::Path,
    reason: &str,
    out: Output,
) -> Result<(), Failure>
where
    K: provena::registry::operations::UpdateRoute,
{
    let info: K::DomainInfo = read_json(file, &format!("the {} request body", K::NAME))?;
    items.update(id, reason, &info).await?;
    out.emit(&json!({ "id": id, "updated": true }), || {
        format!("updated {id}")
    })
}
