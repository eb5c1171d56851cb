//! `datastore mint|download|upload`, with progress bars.

use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use provena::datastore::files::{
    Progress, TransferAction, TransferError, TransferOptions, TransferSummary,
};
use provena::models::CollectionFormat;
use serde_json::json;

use crate::commands::read_json;
use crate::exit::{Failure, SERVER, chain, find_sdk_error};
use crate::output::Output;

/// Mints a dataset from a metadata file.
pub async fn mint(
    datastore: provena::datastore::DatastoreClient,
    file: &Path,
    out: Output,
) -> Result<(), Failure> {
    let metadata: CollectionFormat = read_json(file, "the dataset metadata (collection format)")?;
    let minted = datastore.mint(&metadata).await?;
    let Some(handle) = minted.handle.clone() else {
        return Err(Failure::new(
            SERVER,
            "the data store answered the mint without the new dataset's id",
        )
        .hint("search for the dataset's name with `provena search` before minting it again"));
    };
    out.emit(
        &json!({ "id": handle, "s3_location": minted.s3_location }),
        || format!("minted dataset {handle}"),
    )?;
    out.note(&format!(
        "Next: `provena datastore upload {handle} FOLDER` adds its files."
    ));
    Ok(())
}

/// Downloads a dataset's files, or one path of it, into `dir`.
pub async fn download(
    datastore: provena::datastore::DatastoreClient,
    id: &str,
    dir: &Path,
    path: Option<&str>,
    out: Output,
) -> Result<(), Failure> {
    std::fs::create_dir_all(dir).map_err(|err| {
        Failure::local(format!("cannot create the folder {}: {err}", dir.display()))
            .hint("choose a folder you may write, or create it first")
    })?;
    let bar = progress_bar(out);
    let dataset = datastore.dataset(id).with_options(options(&bar));
    let summary = match path {
        Some(path) => dataset.download_path_to(path, dir).await,
        None => dataset.download_to(dir).await,
    };
    bar.finish_and_clear();
    report(
        &summary.map_err(|error| transfer_failure(&error))?,
        "downloaded",
        dir,
        out,
    )
}

/// Uploads every file below `dir` into a dataset.
pub async fn upload(
    datastore: provena::datastore::DatastoreClient,
    id: &str,
    dir: &Path,
    out: Output,
) -> Result<(), Failure> {
    if !dir.is_dir() {
        return Err(Failure::usage(format!("{} is not a folder", dir.display()))
            .hint("give the folder whose files should go into the dataset"));
    }
    let bar = progress_bar(out);
    let summary = datastore
        .dataset(id)
        .with_options(options(&bar))
        .upload_from(dir)
        .await;
    bar.finish_and_clear();
    report(
        &summary.map_err(|error| transfer_failure(&error))?,
        "uploaded",
        dir,
        out,
    )
}

fn progress_bar(out: Output) -> ProgressBar {
    if out.is_json() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn options(bar: &ProgressBar) -> TransferOptions {
    let bar = bar.clone();
    TransferOptions::default().with_progress(move |progress: Progress| {
        bar.set_length(progress.bytes_total);
        bar.set_position(progress.bytes_done);
    })
}

fn transfer_failure(error: &TransferError) -> Failure {
    let message = chain(error);
    // A refusal or outage of a Provena service inside the transfer keeps its own exit code
    // and advice.
    let sdk = match &error {
        TransferError::Provena(inner) => Some(inner.as_ref()),
        _ => find_sdk_error(error),
    };
    if let Some(sdk) = sdk {
        return Failure::from_sdk(sdk).with_message(message);
    }
    match error {
        TransferError::File {
            action,
            file,
            source,
        } if source.downcast_ref::<std::io::Error>().is_some() => {
            let hint = match action {
                TransferAction::ReadLocal | TransferAction::Upload => {
                    format!("check that `{file}` exists and that you may read it")
                }
                _ => String::from(
                    "check that the target folder can be written and that the disk has room",
                ),
            };
            Failure::local(message).hint(hint)
        }
        TransferError::File { file, .. } => Failure::new(SERVER, message).hint(format!(
            "`{file}` failed; no partial file is left under its name, so run the command again"
        )),
        _ => Failure::new(SERVER, message)
            .hint("run the command again; files that finished are kept"),
    }
}

fn report(summary: &TransferSummary, verb: &str, dir: &Path, out: Output) -> Result<(), Failure> {
    out.emit(
        &json!({ "files": &summary.files, "bytes": summary.bytes, "dir": dir }),
        || {
            let count = summary.files.len();
            let noun = if count == 1 { "file" } else { "files" };
            format!(
                "{verb} {count} {noun} ({} bytes), folder {}",
                summary.bytes,
                dir.display()
            )
        },
    )
}
