//! Dataset file transfers on S3.
//!
//! Provena never passes file bytes through its APIs. The data store hands out short-lived S3
//! credentials scoped to one dataset's prefix, and clients move the files with S3 directly.
//! [`DatasetFiles`] does that with `object_store`: it lists the files under the prefix,
//! downloads all of them or a chosen path into a local folder, and uploads a local folder.
//! Transfers run in parallel up to [`TransferOptions::with_concurrency`] at a time, files
//! from [`TransferOptions::with_multipart_threshold`] up go as multipart uploads, and
//! credentials are renewed from a [`CredentialSource`] before they expire.
//!
//! The S3 client is separate from the one that calls the Provena APIs. It trusts the
//! operating system's root certificates plus the CA certificates given with
//! [`TransferOptions::with_root_certificate_der`]. Transfers started from a
//! `DatastoreClient` also trust its HTTP client's extra CA certificates.
//!
//! A download writes each file under a temporary name in the target folder and renames it
//! once complete, so a failed or cancelled transfer never leaves a partial file under the
//! final name.

mod credentials;

use std::fmt;
use std::path::{Path as LocalPath, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{HttpConnector, ReqwestConnector};
use object_store::path::Path as ObjectPath;
use object_store::{
    Certificate, ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use credentials::RenewingProvider;
pub use credentials::{CredentialSource, S3Credentials, StaticCredentials};

/// The smallest part S3 accepts in a multipart upload, except for the last part.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// A boxed error kept as the cause of a [`TransferError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The kind of file operation that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferAction {
    /// Listing the dataset's files.
    List,
    /// Downloading a file.
    Download,
    /// Uploading a file.
    Upload,
    /// Reading the local folder to upload.
    ReadLocal,
}

impl fmt::Display for TransferAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferAction::List => "listing",
            TransferAction::Download => "download",
            TransferAction::Upload => "upload",
            TransferAction::ReadLocal => "reading",
        })
    }
}

/// The error of a dataset file operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A data store request or a setting failed before any file moved.
    #[error(transparent)]
    Provena(Box<provena_http::Error>),
    /// One file failed. Files that finished before stay in place, and a failed download
    /// leaves no file under its final name.
    #[error("{action} of `{file}` failed")]
    File {
        /// The operation that failed.
        action: TransferAction,
        /// The file: its path in the dataset, or the local path for local read errors.
        file: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl From<provena_http::Error> for TransferError {
    fn from(error: provena_http::Error) -> Self {
        TransferError::Provena(Box::new(error))
    }
}

impl TransferError {
    fn file(action: TransferAction, file: impl Into<String>, source: impl Into<BoxError>) -> Self {
        let source = source.into();
        let source = match CertificateRejected::find(source.as_ref()) {
            Some(problem) => Box::new(CertificateRejected { problem, source }),
            None => source,
        };
        TransferError::File {
            action,
            file: file.into(),
            source,
        }
    }

    /// Returns the dataset path or local path of the file that failed, if one did.
    pub fn failed_file(&self) -> Option<&str> {
        match self {
            TransferError::File { file, .. } => Some(file),
            TransferError::Provena(_) => None,
        }
    }
}

/// A rejection of the S3 endpoint's TLS certificate, with the reason and the fix. The
/// error object_store returned stays as its source.
#[derive(Debug)]
struct CertificateRejected {
    problem: String,
    source: BoxError,
}

impl fmt::Display for CertificateRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem)
    }
}

impl std::error::Error for CertificateRejected {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

impl CertificateRejected {
    /// Describes the certificate rejection in `error`'s source chain, if there is one.
    ///
    /// An I/O error is followed into the error it wraps, because `std::io::Error::source`
    /// skips that error, and the TLS layer under object_store wraps the rustls error in one.
    fn find(error: &(dyn std::error::Error + 'static)) -> Option<String> {
        let mut current = Some(error);
        let rejected = loop {
            let cause = current?;
            if let Some(rustls::Error::InvalidCertificate(rejected)) =
                cause.downcast_ref::<rustls::Error>()
            {
                break rejected;
            }
            current = match cause
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => cause.source(),
            };
        };
        Some(match rejected {
            rustls::CertificateError::UnknownIssuer => format!(
                "the S3 endpoint's TLS certificate was rejected because no trusted CA signed it \
                 ({rejected}). Add the deployment's CA certificate with \
                 TransferOptions::with_root_certificate_der, or, for transfers started from \
                 DatastoreClient, with ConfigBuilder::add_root_certificate_pem or \
                 PROVENA_EXTRA_CA_CERTS"
            ),
            other => format!("the S3 endpoint's TLS certificate was rejected ({other})"),
        })
    }
}

/// The storage location of a dataset's files: S3 endpoint, region, bucket and key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetStorage {
    /// The S3 endpoint, such as `https://s3.ap-southeast-2.amazonaws.com` for a deployment
    /// on AWS, or a local S3 server in tests. Requests use path-style addressing.
    pub endpoint: Url,
    /// The region requests are signed for.
    pub region: String,
    /// The bucket name.
    pub bucket: String,
    /// The dataset's key prefix inside the bucket, such as `datasets/10378-1-1690000`.
    pub prefix: String,
}

/// A progress report: bytes and files done so far out of the totals of the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Bytes transferred so far. A part of a multipart upload counts once it is queued for
    /// sending, so this may run ahead of the network by up to `concurrency` parts.
    pub bytes_done: u64,
    /// Bytes the whole transfer moves.
    pub bytes_total: u64,
    /// Files completed so far.
    pub files_done: usize,
    /// Files the whole transfer moves.
    pub files_total: usize,
}

/// A progress callback. It runs on the transfer's tasks, so it must return quickly.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Settings for dataset file transfers.
#[derive(Clone)]
pub struct TransferOptions {
    concurrency: usize,
    multipart_threshold: u64,
    part_size: usize,
    renew_before: Duration,
    max_retries: usize,
    progress: Option<ProgressFn>,
    root_certificates: Vec<Vec<u8>>,
}

impl fmt::Debug for TransferOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransferOptions")
            .field("concurrency", &self.concurrency)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("part_size", &self.part_size)
            .field("renew_before", &self.renew_before)
            .field("max_retries", &self.max_retries)
            .field("progress", &self.progress.is_some())
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            multipart_threshold: 16 * 1024 * 1024,
            part_size: 8 * 1024 * 1024,
            renew_before: Duration::from_secs(5 * 60),
            max_retries: 3,
            progress: None,
            root_certificates: Vec::new(),
        }
    }
}

impl TransferOptions {
    /// Sets how many files (and how many parts of one multipart upload) move at once.
    /// Default 8; 0 counts as 1.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sets the file size in bytes from which uploads go multipart. Default 16 MiB.
    pub fn with_multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Sets the part size in bytes of multipart uploads. Default 8 MiB; S3 needs at least
    /// [`MIN_PART_SIZE`], which [`DatasetFiles::new`] checks.
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes;
        self
    }

    /// Sets how long before their expiry credentials are renewed. Default 5 minutes.
    pub fn with_renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = margin;
        self
    }

    /// Sets how many times one failed S3 request is retried. Default 3.
    pub fn with_max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets a callback that receives [`Progress`] after each chunk.
    pub fn with_progress(mut self, progress: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Adds a CA certificate, in DER form, that the S3 endpoint's TLS certificate may chain
    /// to. Use it when the endpoint's certificate comes from a private CA.
    ///
    /// Transfers trust the operating system's root certificates plus every certificate
    /// added here. Adding the same certificate again has no effect. The certificate is
    /// checked when [`DatasetFiles`] is built, which fails with a configuration error if it
    /// cannot be used. A PEM certificate is the base64 encoding of this DER between its
    /// `-----BEGIN CERTIFICATE-----` and `-----END CERTIFICATE-----` lines.
    ///
    /// Transfers started from a `DatastoreClient` also trust the extra CA certificates of
    /// its HTTP client (`ConfigBuilder::add_root_certificate_pem` and
    /// `PROVENA_EXTRA_CA_CERTS`), so a CA configured there needs no second setting here.
    pub fn with_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        let der = der.into();
        if !self.root_certificates.contains(&der) {
            self.root_certificates.push(der);
        }
        self
    }

    /// Returns the number of parallel transfers.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Returns how many CA certificates transfers trust on top of the operating system's
    /// root certificates.
    pub fn root_certificate_count(&self) -> usize {
        self.root_certificates.len()
    }
}

/// One file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileEntry {
    /// The path relative to the dataset root, with `/` separators.
    pub path: String,
    /// The size in bytes.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: Option<OffsetDateTime>,
    /// The object's entity tag. S3 gives multipart uploads a tag ending in `-<parts>`.
    pub e_tag: Option<String>,
}

/// The files a transfer moved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferSummary {
    /// The dataset-relative paths, sorted.
    pub files: Vec<String>,
    /// The total number of bytes.
    pub bytes: u64,
}

/// File access to one dataset's S3 prefix.
///
/// Cheap to clone. Build it with [`DatasetFiles::new`], or from the data store client with
/// `DatastoreClient::dataset(id)`, which fetches the dataset's location and uses the data
/// store's credential operations.
#[derive(Clone)]
pub struct DatasetFiles {
    store: Arc<AmazonS3>,
    provider: Arc<RenewingProvider>,
    storage: DatasetStorage,
    root: ObjectPath,
    options: TransferOptions,
}

impl fmt::Debug for DatasetFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetFiles")
            .field("storage", &self.storage)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

struct Counters {
    bytes_done: AtomicU64,
    files_done: AtomicUsize,
    bytes_total: u64,
    files_total: usize,
    callback: Option<ProgressFn>,
}

impl Counters {
    fn new(bytes_total: u64, files_total: usize, callback: Option<ProgressFn>) -> Self {
        Self {
            bytes_done: AtomicU64::new(0),
            files_done: AtomicUsize::new(0),
            bytes_total,
            files_total,
            callback,
        }
    }

    fn add_bytes(&self, bytes: u64) {
        let done = self.bytes_done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.report(done, self.files_done.load(Ordering::Relaxed));
    }

    fn finish_file(&self) {
        let files = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        self.report(self.bytes_done.load(Ordering::Relaxed), files);
    }

    fn report(&self, bytes_done: u64, files_done: usize) {
        if let Some(callback) = &self.callback {
            callback(Progress {
                bytes_done,
                bytes_total: self.bytes_total,
                files_done,
                files_total: self.files_total,
            });
        }
    }
}

/// Removes a temporary download file unless the download completed, also when the
/// transfer future is dropped part way.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            // The file may not exist yet; any other failure leaves only a hidden temp file.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl DatasetFiles {
    /// Builds file access to `storage`, signing requests with credentials from `credentials`.
    ///
    /// No request is sent until a transfer starts. The credentials always come from
    /// `credentials`: the environment and instance metadata are never consulted. An https
    /// endpoint's certificate must chain to one of the operating system's root certificates
    /// or to a CA added with [`TransferOptions::with_root_certificate_der`].
    ///
    /// # Errors
    ///
    /// [`TransferError::Provena`] with a configuration error when the endpoint is not http
    /// or https, the bucket is empty, the part size is below [`MIN_PART_SIZE`], or the S3
    /// client cannot use one of the CA certificates (the error gives its position and size).
    pub fn new(
        storage: DatasetStorage,
        credentials: Arc<dyn CredentialSource>,
        options: TransferOptions,
    ) -> Result<Self, TransferError> {
        let scheme = storage.endpoint.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(provena_http::Error::config(
                "S3 endpoint",
                storage.endpoint.as_str(),
                "use an http or https URL",
            )
            .into());
        }
        if storage.bucket.is_empty() {
            return Err(provena_http::Error::config(
                "bucket",
                "",
                "give the bucket the dataset is stored in",
            )
            .into());
        }
        check_part_size(&options)?;
        let root = ObjectPath::parse(storage.prefix.trim_matches('/')).map_err(|err| {
            provena_http::Error::config(
                "dataset prefix",
                storage.prefix.clone(),
                format!("not a valid S3 key prefix: {err}"),
            )
        })?;

        let provider = Arc::new(RenewingProvider::new(credentials, options.renew_before));
        let store = build_store(&storage, &provider, &options)?;

        Ok(Self {
            store: Arc::new(store),
            provider,
            storage,
            root,
            options,
        })
    }

    /// Returns where the dataset's files live.
    pub fn storage(&self) -> &DatasetStorage {
        &self.storage
    }

    /// Returns the transfer settings.
    pub fn options(&self) -> &TransferOptions {
        &self.options
    }

    /// Returns a copy that uses `options` for its transfers; the credentials are shared.
    ///
    /// `options` replaces every setting, the extra CA certificates included. To change one
    /// setting and keep the rest, start from [`options`](Self::options):
    /// `files.with_options(files.options().clone().with_concurrency(2))`.
    ///
    /// # Errors
    ///
    /// As [`DatasetFiles::new`].
    pub fn with_options(&self, options: TransferOptions) -> Result<Self, TransferError> {
        check_part_size(&options)?;
        let store = build_store(&self.storage, &self.provider, &options)?;
        Ok(Self {
            store: Arc::new(store),
            options,
            ..self.clone()
        })
    }

    /// Returns how many credential sets the source has issued to this value so far. More
    /// than one means credentials were renewed during transfers.
    pub fn credentials_issued(&self) -> u64 {
        self.provider.issued()
    }

    /// Lists every file of the dataset, sorted by path.
    ///
    /// # Errors
    ///
    /// [`TransferError::File`] with [`TransferAction::List`] when S3 rejects the listing.
    pub async fn list(&self) -> Result<Vec<FileEntry>, TransferError> {
        self.list_under("").await
    }

    /// Lists the files at or below `path` (a file or a folder, relative to the dataset
    /// root), sorted by path.
    ///
    /// # Errors
    ///
    /// [`TransferError::File`] with [`TransferAction::List`] when `path` is invalid or S3
    /// rejects the listing.
    pub async fn list_under(&self, path: &str) -> Result<Vec<FileEntry>, TransferError> {
        let relative = path.trim_matches('/');
        let mut entries = Vec::new();
        let prefix = if relative.is_empty() {
            self.root.clone()
        } else {
            let location = self.location(relative, TransferAction::List)?;
            // A path that names one object is a single-file selection.
            match self.store.head(&location).await {
                Ok(meta) => {
                    entries.push(self.entry(meta, TransferAction::List)?);
                    return Ok(entries);
                }
                Err(object_store::Error::NotFound { .. }) => location,
                Err(err) => return Err(TransferError::file(TransferAction::List, relative, err)),
            }
        };
        let mut listing = self.store.list(Some(&prefix));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|err| {
                TransferError::file(TransferAction::List, display_relative(relative), err)
            })?;
            entries.push(self.entry(meta, TransferAction::List)?);
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Downloads every file of the dataset into `dir`, keeping the dataset's folder layout.
    /// Existing files with the same names are replaced.
    ///
    /// # Errors
    ///
    /// [`TransferError::File`] naming the first file that failed. Other files still in
    /// flight are cancelled; completed files stay.
    pub async fn download_to(
        &self,
        dir: impl AsRef<LocalPath>,
    ) -> Result<TransferSummary, TransferError> {
        self.download_path_to("", dir).await
    }

    /// Downloads the file or folder `path` (relative to the dataset root; empty for all)
    /// into `dir`, keeping its dataset-relative layout: `data/a.csv` lands at
    /// `dir/data/a.csv`.
    ///
    /// # Errors
    ///
    /// As [`download_to`](Self::download_to); also [`TransferError::File`] when `path`
    /// matches no file.
    pub async fn download_path_to(
        &self,
        path: &str,
        dir: impl AsRef<LocalPath>,
    ) -> Result<TransferSummary, TransferError> {
        let dir = dir.as_ref();
        let entries = self.list_under(path).await?;
        if entries.is_empty() && !path.trim_matches('/').is_empty() {
            return Err(TransferError::file(
                TransferAction::Download,
                path,
                "no file or folder with this path in the dataset",
            ));
        }
        let total = entries.iter().map(|entry| entry.size).sum();
        let counters = Arc::new(Counters::new(
            total,
            entries.len(),
            self.options.progress.clone(),
        ));

        let mut summary = TransferSummary::default();
        let mut transfers = futures::stream::iter(entries.into_iter().map(|entry| {
            let counters = Arc::clone(&counters);
            async move {
                self.download_one(&entry, dir, &counters).await?;
                counters.finish_file();
                Ok::<_, TransferError>(entry)
            }
        }))
        .buffer_unordered(self.options.concurrency);
        while let Some(entry) = transfers.try_next().await? {
            summary.bytes += entry.size;
            summary.files.push(entry.path);
        }
        summary.files.sort();
        Ok(summary)
    }

    /// Uploads every regular file below `dir` to the dataset, keeping the folder layout:
    /// `dir/data/a.csv` becomes `data/a.csv` in the dataset. Files with the same path in the
    /// dataset are replaced.
    ///
    /// # Errors
    ///
    /// [`TransferError::File`] with [`TransferAction::ReadLocal`] when the folder cannot be
    /// read or a name is not UTF-8, or with [`TransferAction::Upload`] naming the first
    /// file that failed to upload. An S3 object appears only once its upload completes.
    pub async fn upload_from(
        &self,
        dir: impl AsRef<LocalPath>,
    ) -> Result<TransferSummary, TransferError> {
        let files = collect_local_files(dir.as_ref()).await?;
        let total = files.iter().map(|file| file.size).sum();
        let counters = Arc::new(Counters::new(
            total,
            files.len(),
            self.options.progress.clone(),
        ));

        let mut summary = TransferSummary::default();
        let mut transfers = futures::stream::iter(files.into_iter().map(|file| {
            let counters = Arc::clone(&counters);
            async move {
                self.upload_one(&file, &counters).await?;
                counters.finish_file();
                Ok::<_, TransferError>(file)
            }
        }))
        .buffer_unordered(self.options.concurrency);
        while let Some(file) = transfers.try_next().await? {
            summary.bytes += file.size;
            summary.files.push(file.relative);
        }
        summary.files.sort();
        Ok(summary)
    }

    fn location(
        &self,
        relative: &str,
        action: TransferAction,
    ) -> Result<ObjectPath, TransferError> {
        let relative = ObjectPath::parse(relative)
            .map_err(|err| TransferError::file(action, relative, err))?;
        Ok(ObjectPath::from_iter(
            self.root.parts().chain(relative.parts()),
        ))
    }

    fn entry(
        &self,
        meta: object_store::ObjectMeta,
        action: TransferAction,
    ) -> Result<FileEntry, TransferError> {
        let Some(parts) = meta.location.prefix_match(&self.root) else {
            return Err(TransferError::file(
                action,
                meta.location.to_string(),
                "S3 returned an object outside the dataset prefix",
            ));
        };
        let path = parts
            .map(|part| part.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join("/");
        let last_modified =
            OffsetDateTime::from_unix_timestamp(meta.last_modified.timestamp()).ok();
        Ok(FileEntry {
            path,
            size: meta.size,
            last_modified,
            e_tag: meta.e_tag,
        })
    }

    async fn download_one(
        &self,
        entry: &FileEntry,
        dir: &LocalPath,
        counters: &Counters,
    ) -> Result<(), TransferError> {
        let fail = |err: BoxError| TransferError::file(TransferAction::Download, &entry.path, err);
        let target = local_target(dir, &entry.path).map_err(|err| fail(err.into()))?;
        let parent = target.parent().unwrap_or(dir).to_path_buf();
        tokio::fs::create_dir_all(&parent)
            .await
            .map_err(|err| fail(Box::new(err)))?;

        let file_name = target
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut temp = TempFile {
            path: parent.join(format!(
                ".{file_name}.{}.part",
                uuid::Uuid::new_v4().simple()
            )),
            keep: false,
        };
        let mut out = tokio::fs::File::create(&temp.path)
            .await
            .map_err(|err| fail(Box::new(err)))?;

        let location = self.location(&entry.path, TransferAction::Download)?;
        let result = self
            .store
            .get(&location)
            .await
            .map_err(|err| fail(Box::new(err)))?;
        let mut stream = result.into_stream();
        let mut written = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|err| fail(Box::new(err)))?;
            out.write_all(&chunk)
                .await
                .map_err(|err| fail(Box::new(err)))?;
            written += chunk.len() as u64;
            counters.add_bytes(chunk.len() as u64);
        }
        out.flush().await.map_err(|err| fail(Box::new(err)))?;
        out.sync_all().await.map_err(|err| fail(Box::new(err)))?;
        drop(out);
        if written != entry.size {
            return Err(fail(
                format!(
                    "received {written} bytes but the listing gave {}",
                    entry.size
                )
                .into(),
            ));
        }
        tokio::fs::rename(&temp.path, &target)
            .await
            .map_err(|err| fail(Box::new(err)))?;
        temp.keep = true;
        Ok(())
    }

    async fn upload_one(&self, file: &LocalFile, counters: &Counters) -> Result<(), TransferError> {
        let fail = |err: BoxError| TransferError::file(TransferAction::Upload, &file.relative, err);
        let location = self.location(&file.relative, TransferAction::Upload)?;
        let mut input = tokio::fs::File::open(&file.absolute)
            .await
            .map_err(|err| fail(Box::new(err)))?;

        if file.size < self.options.multipart_threshold {
            let mut data = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
            input
                .read_to_end(&mut data)
                .await
                .map_err(|err| fail(Box::new(err)))?;
            let length = data.len() as u64;
            self.store
                .put(&location, PutPayload::from(data))
                .await
                .map_err(|err| fail(Box::new(err)))?;
            counters.add_bytes(length);
            return Ok(());
        }

        let upload = self
            .store
            .put_multipart(&location)
            .await
            .map_err(|err| fail(Box::new(err)))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.options.part_size);
        let mut buffer = vec![0u8; self.options.part_size];
        let outcome = async {
            loop {
                let read = read_full(&mut input, &mut buffer).await?;
                if read == 0 {
                    break;
                }
                writer
                    .wait_for_capacity(self.options.concurrency)
                    .await
                    .map_err(|err| -> BoxError { Box::new(err) })?;
                writer.write(&buffer[..read]);
                counters.add_bytes(read as u64);
            }
            Ok::<_, BoxError>(())
        }
        .await;
        match outcome {
            Ok(()) => {
                writer.finish().await.map_err(|err| fail(Box::new(err)))?;
                Ok(())
            }
            Err(err) => {
                // Abort so that S3 drops the parts already sent; the original error matters
                // more than a failed abort.
                let _ = writer.abort().await;
                Err(fail(err))
            }
        }
    }
}

/// Rejects a multipart part size below the minimum S3 accepts.
fn check_part_size(options: &TransferOptions) -> Result<(), TransferError> {
    if options.part_size < MIN_PART_SIZE {
        return Err(provena_http::Error::config(
            "part_size",
            options.part_size.to_string(),
            format!("S3 needs parts of at least {MIN_PART_SIZE} bytes"),
        )
        .into());
    }
    Ok(())
}

/// Builds the S3 client for `storage` with the retries and CA certificates of `options`.
fn build_store(
    storage: &DatasetStorage,
    provider: &Arc<RenewingProvider>,
    options: &TransferOptions,
) -> Result<AmazonS3, TransferError> {
    let allow_http = storage.endpoint.scheme() == "http";
    let retry = RetryConfig {
        max_retries: options.max_retries,
        ..RetryConfig::default()
    };
    let mut client_options = ClientOptions::new().with_allow_http(allow_http);
    for certificate in root_certificates(&options.root_certificates)? {
        client_options = client_options.with_root_certificate(certificate);
    }
    // The endpoint, region and credential provider are all set explicitly, so the
    // builder never falls back to an AWS host, the environment or instance metadata.
    // NOTE: the HTTP client under object_store still follows the HTTP_PROXY and
    // HTTPS_PROXY environment variables; list the S3 host in NO_PROXY to bypass them.
    AmazonS3Builder::new()
        .with_endpoint(storage.endpoint.as_str().trim_end_matches('/'))
        .with_region(storage.region.clone())
        .with_bucket_name(storage.bucket.clone())
        .with_virtual_hosted_style_request(false)
        .with_allow_http(allow_http)
        .with_credentials(Arc::clone(provider) as _)
        .with_retry(retry)
        .with_client_options(client_options)
        .build()
        .map_err(|err| {
            // object_store checks the certificates only when it builds its HTTP client, and
            // it checks all of them at once. Trying each alone finds the one it rejects.
            if let Some(rejected) = find_rejected_certificate(&options.root_certificates) {
                return rejected.into();
            }
            provena_http::Error::config(
                "S3 endpoint",
                storage.endpoint.as_str(),
                format!("the S3 client cannot be built: {}", error_chain(&err)),
            )
            .into()
        })
}

/// Wraps each DER certificate for object_store.
fn root_certificates(ders: &[Vec<u8>]) -> Result<Vec<Certificate>, provena_http::Error> {
    ders.iter()
        .enumerate()
        .map(|(index, der)| {
            Certificate::from_der(der)
                .map_err(|err| rejected_certificate(index, ders.len(), der, &err))
        })
        .collect()
}

/// Returns the error for the first certificate that object_store's HTTP client rejects on
/// its own, or `None` when each one is accepted alone.
fn find_rejected_certificate(ders: &[Vec<u8>]) -> Option<provena_http::Error> {
    for (index, der) in ders.iter().enumerate() {
        let outcome = Certificate::from_der(der).and_then(|certificate| {
            ReqwestConnector::default()
                .connect(&ClientOptions::new().with_root_certificate(certificate))
        });
        if let Err(err) = outcome {
            return Some(rejected_certificate(index, ders.len(), der, &err));
        }
    }
    None
}

/// Describes a rejected CA certificate by its position and size, never its bytes.
fn rejected_certificate(
    index: usize,
    total: usize,
    der: &[u8],
    err: &object_store::Error,
) -> provena_http::Error {
    provena_http::Error::config(
        "root certificate",
        format!("number {} of {total}, {} bytes", index + 1, der.len()),
        format!(
            "the S3 client cannot use it as a CA certificate ({}). Give the CA certificate \
             itself in DER form (the base64 between the BEGIN and END CERTIFICATE lines of a \
             PEM file, decoded), or remove it from TransferOptions::with_root_certificate_der \
             or the HTTP client's extra CA certificates",
            error_chain(err)
        ),
    )
}

/// Joins an error's message with those of its sources.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

/// Reads until `buffer` is full or the file ends; returns the number of bytes read.
async fn read_full(input: &mut tokio::fs::File, buffer: &mut [u8]) -> Result<usize, BoxError> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = input.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

fn display_relative(relative: &str) -> &str {
    if relative.is_empty() {
        "<dataset root>"
    } else {
        relative
    }
}

/// Maps a dataset-relative path onto `dir`, rejecting paths that would leave it.
fn local_target(dir: &LocalPath, relative: &str) -> Result<PathBuf, String> {
    let mut target = dir.to_path_buf();
    for segment in relative.split('/') {
        let unsafe_segment = segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains('\\')
            || segment.contains(':');
        if unsafe_segment {
            return Err(format!(
                "the dataset path cannot be stored safely in a local folder (segment `{segment}`)"
            ));
        }
        target.push(segment);
    }
    Ok(target)
}

struct LocalFile {
    relative: String,
    absolute: PathBuf,
    size: u64,
}

/// Lists the regular files below `dir` (following symbolic links), sorted by path.
async fn collect_local_files(dir: &LocalPath) -> Result<Vec<LocalFile>, TransferError> {
    let local_error = |path: &LocalPath, err: BoxError| {
        TransferError::file(TransferAction::ReadLocal, path.display().to_string(), err)
    };
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, relative)) = pending.pop() {
        let mut entries = tokio::fs::read_dir(&folder)
            .await
            .map_err(|err| local_error(&folder, Box::new(err)))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|err| local_error(&folder, Box::new(err)))?
        {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(local_error(
                    &path,
                    "the file name is not valid UTF-8".into(),
                ));
            };
            let child = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            let meta = tokio::fs::metadata(&path)
                .await
                .map_err(|err| local_error(&path, Box::new(err)))?;
            if meta.is_dir() {
                pending.push((path, child));
            } else if meta.is_file() {
                files.push(LocalFile {
                    relative: child,
                    absolute: path,
                    size: meta.len(),
                });
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_target_keeps_layout() {
        let target = local_target(LocalPath::new("/tmp/out"), "data/a.csv").unwrap();
        assert_eq!(target, PathBuf::from("/tmp/out/data/a.csv"));
    }

    #[test]
    fn local_target_rejects_escapes() {
        for bad in ["../a", "data/../../a", "a//b", "a\\b", "c:x"] {
            assert!(
                local_target(LocalPath::new("/tmp/out"), bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn small_part_size_is_rejected() {
        let storage = DatasetStorage {
            endpoint: Url::parse("http://127.0.0.1:9").unwrap(),
            region: "ap-southeast-2".into(),
            bucket: "bucket".into(),
            prefix: "datasets/x".into(),
        };
        let source = Arc::new(StaticCredentials(S3Credentials {
            access_key_id: "key".into(),
            secret_access_key: "secret".into(),
            session_token: None,
            expiry: None,
        }));
        let err = DatasetFiles::new(
            storage,
            source,
            TransferOptions::default().with_part_size(1024),
        )
        .unwrap_err();
        assert!(err.to_string().contains("part_size"), "{err}");
    }
}
