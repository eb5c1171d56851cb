//! Provenance reports: start the report job, wait for it, download the document.

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use provena_http::{Error, http::Method};
use provena_jobs::{PollPolicy, WaitError};
use provena_models::{GenerateReportRequest, ItemSubType};
use tokio::io::AsyncWriteExt;

use crate::ProvClient;
use crate::operations;

/// The smallest and largest upstream depth the service accepts for a report.
pub const REPORT_DEPTH_RANGE: std::ops::RangeInclusive<u32> = 1..=3;

/// A report written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportFile {
    /// The path the document was written to.
    pub path: PathBuf,
    /// The session id of the report job.
    pub session_id: String,
    /// The document's size in bytes.
    pub size: u64,
}

/// Starts the report job, waits for it and downloads the document to `path`.
pub(crate) async fn generate(
    client: &ProvClient,
    id: &str,
    item_subtype: ItemSubType,
    depth: u32,
    path: &Path,
    policy: PollPolicy,
) -> Result<ReportFile, WaitError> {
    if !REPORT_DEPTH_RANGE.contains(&depth) {
        return Err(Error::config(
            "depth",
            depth.to_string(),
            "a report's upstream depth must be 1, 2 or 3",
        )
        .into());
    }
    if id.trim().is_empty() {
        return Err(Error::config("id", id, "give the id of the item to report on").into());
    }
    check_target(path)?;
    let request = GenerateReportRequest {
        id: id.to_owned(),
        item_subtype,
        depth: i64::from(depth),
    };
    let session_id = operations::export_prov_graph(client.http(), &request)
        .await?
        .session_id;
    let job = client
        .jobs()
        .await_completion_with(&session_id, policy)
        .await?;
    let report_url = job
        .result
        .as_ref()
        .and_then(|result| result.get("report_url"))
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| WaitError::InvalidResult {
            session_id: session_id.clone(),
            message: String::from("the result has no `report_url` text"),
        })?;
    let url = url::Url::parse(report_url).map_err(|err| WaitError::InvalidResult {
        session_id: session_id.clone(),
        message: format!("`report_url` is not a valid URL: {err}"),
    })?;
    let size = download(client.http(), url, path).await?;
    Ok(ReportFile {
        path: path.to_owned(),
        session_id,
        size,
    })
}

/// Streams `url` into `path`, through a `.part` file that is renamed once complete so that
/// a broken download never leaves a truncated document under the final name.
async fn download(
    http: &provena_http::HttpClient,
    url: url::Url,
    path: &Path,
) -> Result<u64, Error> {
    let io_error = |action: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source: std::io::Error| Error::Io {
            action,
            path,
            source,
        }
    };
    let partial = partial_path(path);
    let body = http.request_url(Method::GET, url).send_stream().await?;
    let mut body = std::pin::pin!(body);
    let mut file = tokio::fs::File::create(&partial)
        .await
        .map_err(io_error("create", &partial))?;
    let mut size: u64 = 0;
    let written: Result<(), Error> = async {
        while let Some(chunk) = body.try_next().await? {
            file.write_all(&chunk)
                .await
                .map_err(io_error("write", &partial))?;
            size += chunk.len() as u64;
        }
        file.flush().await.map_err(io_error("write", &partial))?;
        Ok(())
    }
    .await;
    drop(file);
    if let Err(error) = written {
        // The partial file is useless; failing to remove it must not hide the real error.
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(error);
    }
    if let Err(source) = tokio::fs::rename(&partial, path).await {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(io_error("rename", &partial)(source));
    }
    Ok(size)
}

/// Checks before the job starts that `path` names a file whose folder exists, so that the
/// temporary `.part` file lands beside it and a wrong path fails fast.
fn check_target(path: &Path) -> Result<(), Error> {
    let shown = path.display().to_string();
    let names_folder =
        path.is_dir() || path.file_name().is_none() || shown.ends_with(std::path::MAIN_SEPARATOR);
    if names_folder {
        return Err(Error::config(
            "path",
            shown,
            "give the report's file path, such as `reports/lineage.docx`, not a folder",
        ));
    }
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => Err(Error::config(
            "path",
            shown,
            format!(
                "the folder `{}` does not exist; create it first",
                parent.display()
            ),
        )),
        _ => Ok(()),
    }
}

fn partial_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|name| name.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    path.with_file_name(name)
}
