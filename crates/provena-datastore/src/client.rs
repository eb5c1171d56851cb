//! The user-facing data store client and the per-dataset handle.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::Stream;
use futures::stream::{self, TryStreamExt};
use provena_http::{Error, HttpClient, Secret};
use provena_models::{
    ActionApprovalRequest, ActionApprovalRequestResponse, CollectionFormat, CredentialResponse,
    CredentialsRequest, DatasetListResponse, ItemDataset, ItemRevertRequest, ItemRevertResponse,
    MintResponse, NoFilterSubtypeListRequest, PresignedURLRequest, RegistryFetchResponse,
    ReleaseApprovalRequest, ReleaseApprovalRequestResponse, SortOptions, Status,
    UpdateMetadataResponse, User, VersionRequest, VersionResponse,
};
use url::Url;

use crate::files::{
    CredentialSource, DatasetFiles, DatasetStorage, FileEntry, S3Credentials, TransferError,
    TransferOptions, TransferSummary,
};
use crate::operations;

/// The region Provena's S3 buckets live in unless set otherwise. Only used to sign
/// requests; the endpoint is always given explicitly.
pub const DEFAULT_S3_REGION: &str = "ap-southeast-2";

/// Client for the Provena data store.
///
/// Cheap to clone: create it once and share it. File transfers need the S3 endpoint, which
/// Provena's APIs do not return; set it with [`with_s3_endpoint`](Self::with_s3_endpoint).
///
/// Transfers go through a separate S3 client that trusts the operating system's root
/// certificates, the extra CA certificates of the HTTP client (from
/// `ConfigBuilder::add_root_certificate_pem` or `PROVENA_EXTRA_CA_CERTS`), and any added
/// with [`TransferOptions::with_root_certificate_der`]. A private CA configured for the
/// Provena APIs therefore also covers an S3 endpoint it signed.
///
/// ```no_run
/// # async fn run(http: provena_http::HttpClient) -> Result<(), Box<dyn std::error::Error>> {
/// use provena_datastore::DatastoreClient;
///
/// let datastore = DatastoreClient::new(http)
///     .with_s3_endpoint("https://s3.ap-southeast-2.amazonaws.com".parse()?);
/// let dataset = datastore.dataset("10378.1/1690000");
/// dataset.download_to("./data").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct DatastoreClient {
    http: HttpClient,
    s3_endpoint: Option<Url>,
    s3_region: String,
    transfer: TransferOptions,
}

impl fmt::Debug for DatastoreClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatastoreClient")
            .field("http", &self.http)
            .field("s3_endpoint", &self.s3_endpoint.as_ref().map(Url::as_str))
            .field("s3_region", &self.s3_region)
            .field("transfer", &self.transfer)
            .finish()
    }
}

/// The access level of the S3 credentials a transfer requests from the data store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Read-only credentials, for listing and downloading.
    Read,
    /// Read and write credentials, for uploading.
    Write,
}

/// A presigned download URL for one dataset file.
///
/// The URL's query carries a signature that grants access to anyone holding it, so it is a
/// [`Secret`]: `Debug` and `Display` print it redacted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PresignedUrl {
    /// The dataset id.
    pub dataset_id: String,
    /// The file path inside the dataset.
    pub file_path: String,
    /// The URL. Call [`Secret::expose`] to use it.
    pub url: Secret,
}

impl DatastoreClient {
    /// Builds a client that sends its requests through `http`.
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            s3_endpoint: None,
            s3_region: DEFAULT_S3_REGION.to_owned(),
            transfer: TransferOptions::default(),
        }
    }

    /// Sets the S3 endpoint dataset files are transferred through, such as
    /// `https://s3.ap-southeast-2.amazonaws.com`, or a local S3 server in tests.
    pub fn with_s3_endpoint(mut self, endpoint: Url) -> Self {
        self.s3_endpoint = Some(endpoint);
        self
    }

    /// Sets the region S3 requests are signed for. Default [`DEFAULT_S3_REGION`].
    pub fn with_s3_region(mut self, region: impl Into<String>) -> Self {
        self.s3_region = region.into();
        self
    }

    /// Sets the default settings of file transfers started from this client. Each transfer
    /// adds the HTTP client's extra CA certificates to the certificates in `options`.
    pub fn with_transfer_options(mut self, options: TransferOptions) -> Self {
        self.transfer = options;
        self
    }

    /// Returns the HTTP client requests go through.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Returns the S3 endpoint, if set.
    pub fn s3_endpoint(&self) -> Option<&Url> {
        self.s3_endpoint.as_ref()
    }

    /// Returns a handle on one dataset, for file transfers and versioning. A blank id is
    /// reported as [`Error::Config`] by the handle's first call, before any request.
    pub fn dataset(&self, id: impl Into<String>) -> DatasetHandle {
        DatasetHandle {
            client: self.clone(),
            id: id.into(),
            options: self.transfer.clone(),
        }
    }

    /// Returns the service's greeting, a small map of text values.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn about(&self) -> Result<std::collections::BTreeMap<String, String>, Error> {
        operations::root(&self.http).await
    }

    /// Returns the service configuration text (admin only).
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] for non-admins; any other [`Error`] of the request.
    pub async fn config_file(&self, required_only: bool) -> Result<String, Error> {
        operations::generate_config_file(&self.http, Some(required_only)).await
    }

    /// Asks the service to raise an error on purpose, to test its error reporting.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request; a deployment normally returns a server error.
    pub async fn test_error_reporting(
        &self,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, Error> {
        operations::test_sentry_reporting(&self.http).await
    }

    /// Checks that the caller may use the data store at all and returns the caller.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when not signed in; any other [`Error`].
    pub async fn check_general_access(&self) -> Result<User, Error> {
        operations::check_general_access(&self.http).await
    }

    /// Checks that the caller has the data store read role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role; any other [`Error`].
    pub async fn check_read_access(&self) -> Result<User, Error> {
        operations::check_read_access(&self.http).await
    }

    /// Checks that the caller has the data store write role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role; any other [`Error`].
    pub async fn check_write_access(&self) -> Result<User, Error> {
        operations::check_write_access(&self.http).await
    }

    /// Checks that the caller has the data store admin role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] without the role; any other [`Error`].
    pub async fn check_admin_access(&self) -> Result<User, Error> {
        operations::check_admin_access(&self.http).await
    }

    /// Returns the JSON schema dataset metadata must satisfy.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn dataset_schema(&self) -> Result<serde_json::Value, Error> {
        operations::get_dataset_schema(&self.http).await
    }

    /// Validates dataset metadata without registering it. Invalid metadata comes back as
    /// a [`Status`] with `success: false` and the reason in `details`.
    ///
    /// # Errors
    ///
    /// [`Error::Validation`] when the metadata does not parse; any other [`Error`].
    pub async fn validate(&self, metadata: &CollectionFormat) -> Result<Status, Error> {
        operations::validate_metadata(&self.http, metadata).await
    }

    /// Registers a new dataset from its metadata and returns its handle and S3 location.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when the service rejects the metadata, for example an
    /// organisation or publisher id that does not exist; any other [`Error`].
    pub async fn mint(&self, metadata: &CollectionFormat) -> Result<MintResponse, Error> {
        operations::mint_dataset(&self.http, metadata).await
    }

    /// Replaces a dataset's metadata; `reason` is recorded in its history.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] for an unknown id or metadata that breaks the schema;
    /// [`Error::Unauthorized`] when the caller may not edit the dataset; any other [`Error`].
    pub async fn update(
        &self,
        id: &str,
        reason: &str,
        metadata: &CollectionFormat,
    ) -> Result<UpdateMetadataResponse, Error> {
        check_id(id)?;
        check_reason(reason)?;
        operations::update_metadata(&self.http, id, reason, metadata).await
    }

    /// Restores the metadata of history entry `history_id`; `reason` is recorded.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] for an unknown id or history entry; any other [`Error`].
    pub async fn revert(
        &self,
        id: &str,
        history_id: i64,
        reason: &str,
    ) -> Result<ItemRevertResponse, Error> {
        check_id(id)?;
        check_reason(reason)?;
        let request = ItemRevertRequest {
            id: id.to_owned(),
            history_id,
            reason: reason.to_owned(),
        };
        operations::revert_metadata(&self.http, &request).await
    }

    /// Creates a new version of a dataset and returns the new dataset's id and the id of
    /// the job that records the version activity.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn version(&self, id: &str, reason: &str) -> Result<VersionResponse, Error> {
        check_id(id)?;
        check_reason(reason)?;
        let request = VersionRequest {
            id: id.to_owned(),
            reason: reason.to_owned(),
        };
        operations::version_dataset(&self.http, &request).await
    }

    /// Fetches a dataset.
    ///
    /// # Errors
    ///
    /// [`Error::BadRequest`] when no dataset has this id (the data store returns 400, not
    /// 404); [`Error::Unsuccessful`] when the service reports `success: false`;
    /// [`Error::Config`] naming the id when a successful response carries no item.
    pub async fn fetch(&self, id: &str) -> Result<ItemDataset, Error> {
        let response = self.fetch_response(id).await?;
        response.item.ok_or_else(|| {
            Error::config(
                "dataset id",
                id,
                "the data store returned no item for this id; check the id",
            )
        })
    }

    /// Fetches a dataset with its lock state and the caller's roles on it.
    ///
    /// # Errors
    ///
    /// As [`fetch`](Self::fetch).
    pub async fn fetch_response(&self, id: &str) -> Result<RegistryFetchResponse, Error> {
        check_id(id)?;
        operations::fetch_dataset(&self.http, id).await
    }

    /// Starts a list of datasets. Nothing is sent until the returned stream is polled.
    pub fn list(&self) -> ListDatasets {
        ListDatasets {
            http: self.http.clone(),
            page_size: None,
            sort_by: None,
        }
    }

    /// Creates a presigned URL to download one file of a dataset, valid for `expires_in`
    /// (the service default of 3 hours when `None`; at most 24 hours).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a zero or too long `expires_in`; any other [`Error`].
    pub async fn presigned_url(
        &self,
        id: &str,
        file_path: &str,
        expires_in: Option<Duration>,
    ) -> Result<PresignedUrl, Error> {
        check_id(id)?;
        let expires_in = match expires_in {
            None => None,
            Some(duration) => {
                let seconds = duration.as_secs();
                if !(1..=86_400).contains(&seconds) {
                    return Err(Error::config(
                        "expires_in",
                        format!("{seconds} s"),
                        "give a duration from 1 second to 24 hours",
                    ));
                }
                Some(seconds as i64)
            }
        };
        let request = PresignedURLRequest {
            dataset_id: id.to_owned(),
            file_path: file_path.to_owned(),
            expires_in,
        };
        let response = operations::generate_presigned_url(&self.http, &request).await?;
        Ok(PresignedUrl {
            dataset_id: response.dataset_id,
            file_path: response.file_path,
            url: Secret::new(response.presigned_url),
        })
    }

    /// Issues S3 credentials scoped to one dataset's prefix.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks that access to the dataset; any other
    /// [`Error`].
    pub async fn credentials(&self, id: &str, access: Access) -> Result<S3Credentials, Error> {
        let response = self.credential_response(id, access, false).await?;
        Ok(into_s3_credentials(response))
    }

    /// Issues S3 credentials and returns the full response, including an AWS console
    /// session URL when `console_session` is set.
    ///
    /// # Errors
    ///
    /// As [`credentials`](Self::credentials).
    pub async fn credential_response(
        &self,
        id: &str,
        access: Access,
        console_session: bool,
    ) -> Result<CredentialResponse, Error> {
        check_id(id)?;
        let request = CredentialsRequest {
            dataset_id: id.to_owned(),
            console_session_required: console_session,
        };
        match access {
            Access::Read => {
                operations::generate_read_access_credentials(&self.http, &request).await
            }
            Access::Write => {
                operations::generate_write_access_credentials(&self.http, &request).await
            }
        }
    }

    /// Asks `approver_id` (a person id among the reviewers) to approve a dataset's release.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn request_release(
        &self,
        id: &str,
        approver_id: &str,
        notes: &str,
    ) -> Result<ReleaseApprovalRequestResponse, Error> {
        check_id(id)?;
        let request = ReleaseApprovalRequest {
            dataset_id: id.to_owned(),
            approver_id: approver_id.to_owned(),
            notes: notes.to_owned(),
        };
        operations::approval_request(&self.http, &request).await
    }

    /// Approves or rejects a pending release request, as its reviewer.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn review_release(
        &self,
        id: &str,
        approve: bool,
        notes: &str,
    ) -> Result<ActionApprovalRequestResponse, Error> {
        check_id(id)?;
        let request = ActionApprovalRequest {
            dataset_id: id.to_owned(),
            approve,
            notes: notes.to_owned(),
        };
        operations::action_approval_request(&self.http, &request).await
    }

    /// Adds a person id to the release reviewers (admin only).
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn add_reviewer(&self, reviewer_id: &str) -> Result<(), Error> {
        operations::add_reviewer(&self.http, reviewer_id)
            .await
            .map(drop)
    }

    /// Removes a person id from the release reviewers (admin only).
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn remove_reviewer(&self, reviewer_id: &str) -> Result<(), Error> {
        operations::delete_reviewer(&self.http, reviewer_id)
            .await
            .map(drop)
    }

    /// Lists the release reviewers' person ids.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn list_reviewers(&self) -> Result<Vec<String>, Error> {
        operations::list_reviewers(&self.http).await
    }

    async fn files(
        &self,
        id: &str,
        access: Access,
        options: TransferOptions,
    ) -> Result<DatasetFiles, TransferError> {
        check_id(id)?;
        let Some(endpoint) = self.s3_endpoint.clone() else {
            return Err(Error::config(
                "S3 endpoint",
                "<unset>",
                "set it with DatastoreClient::with_s3_endpoint before transferring files",
            )
            .into());
        };
        let item = self.fetch(id).await?;
        let storage = DatasetStorage {
            endpoint,
            region: self.s3_region.clone(),
            bucket: item.s3.bucket_name,
            prefix: item.s3.path.trim_matches('/').to_owned(),
        };
        let source = Arc::new(DatastoreCredentials {
            http: self.http.clone(),
            dataset_id: id.to_owned(),
            access,
        });
        // A deployment with a private CA usually serves S3 under it too, so the CA
        // certificates the HTTP client trusts apply to transfers as well.
        let options = self
            .http
            .config()
            .extra_root_certificates_der()
            .fold(options, |options, der| {
                options.with_root_certificate_der(der)
            });
        DatasetFiles::new(storage, source, options)
    }
}

/// Rejects an empty or whitespace-only dataset id before a request goes out.
fn check_id(id: &str) -> Result<(), Error> {
    if id.trim().is_empty() {
        return Err(Error::config(
            "id",
            id,
            "give the dataset's handle id, such as 10378.1/1690000",
        ));
    }
    Ok(())
}

/// Rejects an empty or whitespace-only reason before a request goes out.
fn check_reason(reason: &str) -> Result<(), Error> {
    if reason.trim().is_empty() {
        return Err(Error::config(
            "reason",
            reason,
            "give a non-empty reason; it is recorded in the dataset's history",
        ));
    }
    Ok(())
}

fn into_s3_credentials(response: CredentialResponse) -> S3Credentials {
    let credentials = response.credentials;
    S3Credentials {
        access_key_id: credentials.aws_access_key_id,
        secret_access_key: Secret::new(credentials.aws_secret_access_key),
        session_token: Some(Secret::new(credentials.aws_session_token)),
        expiry: Some(credentials.expiry),
    }
}

/// Issues credentials for one dataset through the data store's credential operations.
#[derive(Debug)]
struct DatastoreCredentials {
    http: HttpClient,
    dataset_id: String,
    access: Access,
}

#[async_trait]
impl CredentialSource for DatastoreCredentials {
    async fn issue(&self) -> Result<S3Credentials, Error> {
        let request = CredentialsRequest {
            dataset_id: self.dataset_id.clone(),
            console_session_required: false,
        };
        let response = match self.access {
            Access::Read => {
                operations::generate_read_access_credentials(&self.http, &request).await?
            }
            Access::Write => {
                operations::generate_write_access_credentials(&self.http, &request).await?
            }
        };
        Ok(into_s3_credentials(response))
    }
}

/// A list of datasets, sent page by page as the stream is polled.
#[derive(Debug, Clone)]
#[must_use = "a list does nothing until its stream is polled"]
pub struct ListDatasets {
    http: HttpClient,
    page_size: Option<i64>,
    sort_by: Option<SortOptions>,
}

impl ListDatasets {
    /// Sets how many datasets each page contains (service default 20).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(i64::from(size));
        self
    }

    /// Sets the sort order.
    pub fn sort_by(mut self, sort: SortOptions) -> Self {
        self.sort_by = Some(sort);
        self
    }

    /// Returns a stream of pages. It follows the pagination key and ends after a page
    /// without a key, an empty page, or a key the service already sent.
    pub fn pages(self) -> impl Stream<Item = Result<DatasetListResponse, Error>> + Send + 'static {
        enum Next {
            Start,
            Key(serde_json::Value),
            Done,
        }
        let seen = Vec::<serde_json::Value>::new();
        stream::unfold(
            (self, Next::Start, seen),
            |(list, next, mut seen)| async move {
                let pagination_key = match next {
                    Next::Done => return None,
                    Next::Start => None,
                    Next::Key(key) => Some(key),
                };
                let request = NoFilterSubtypeListRequest {
                    page_size: list.page_size,
                    pagination_key,
                    sort_by: list.sort_by.clone(),
                };
                match operations::list(&list.http, &request).await {
                    Err(err) => Some((Err(err), (list, Next::Done, seen))),
                    Ok(page) => {
                        let empty = page.items.as_ref().is_none_or(Vec::is_empty);
                        let next = match page.pagination_key.clone() {
                            Some(key) if !empty && !is_empty_key(&key) && !seen.contains(&key) => {
                                seen.push(key.clone());
                                Next::Key(key)
                            }
                            _ => Next::Done,
                        };
                        Some((Ok(page), (list, next, seen)))
                    }
                }
            },
        )
    }

    /// Returns a stream of the datasets on every page, in order.
    pub fn items(self) -> impl Stream<Item = Result<ItemDataset, Error>> + Send + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.items.unwrap_or_default().into_iter().map(Ok)))
            .try_flatten()
    }
}

/// Reports whether a pagination key is absent in substance: `null` or `{}`.
fn is_empty_key(key: &serde_json::Value) -> bool {
    match key {
        serde_json::Value::Null => true,
        serde_json::Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// One dataset, for file transfers and versioning. Get it from
/// [`DatastoreClient::dataset`].
///
/// Each transfer fetches the dataset's S3 location, requests credentials from the data store
/// scoped to it (read for downloads, write for uploads) and renews them before they expire.
#[derive(Debug, Clone)]
pub struct DatasetHandle {
    client: DatastoreClient,
    id: String,
    options: TransferOptions,
}

impl DatasetHandle {
    /// Returns the dataset id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Sets the settings of this handle's transfers: concurrency, multipart sizes,
    /// credential renewal margin, retries, the progress callback and extra CA certificates.
    /// The HTTP client's extra CA certificates are added to them at each transfer.
    pub fn with_options(mut self, options: TransferOptions) -> Self {
        self.options = options;
        self
    }

    /// Fetches the dataset.
    ///
    /// # Errors
    ///
    /// As [`DatastoreClient::fetch`].
    pub async fn fetch(&self) -> Result<ItemDataset, Error> {
        self.client.fetch(&self.id).await
    }

    /// Returns file access with read or write credentials, for repeated transfers that
    /// share one credential cache.
    ///
    /// # Errors
    ///
    /// [`TransferError::Provena`] when the S3 endpoint is unset or the dataset cannot be
    /// fetched.
    pub async fn files(&self, access: Access) -> Result<DatasetFiles, TransferError> {
        self.client
            .files(&self.id, access, self.options.clone())
            .await
    }

    /// Lists the dataset's files, sorted by path.
    ///
    /// # Errors
    ///
    /// As [`files`](Self::files) and [`DatasetFiles::list`].
    pub async fn list_files(&self) -> Result<Vec<FileEntry>, TransferError> {
        self.files(Access::Read).await?.list().await
    }

    /// Downloads every file of the dataset into `dir`.
    ///
    /// # Errors
    ///
    /// As [`files`](Self::files) and [`DatasetFiles::download_to`].
    pub async fn download_to(
        &self,
        dir: impl AsRef<Path>,
    ) -> Result<TransferSummary, TransferError> {
        self.files(Access::Read).await?.download_to(dir).await
    }

    /// Downloads the file or folder `path` of the dataset into `dir`.
    ///
    /// # Errors
    ///
    /// As [`files`](Self::files) and [`DatasetFiles::download_path_to`].
    pub async fn download_path_to(
        &self,
        path: &str,
        dir: impl AsRef<Path>,
    ) -> Result<TransferSummary, TransferError> {
        self.files(Access::Read)
            .await?
            .download_path_to(path, dir)
            .await
    }

    /// Uploads every file below `dir` into the dataset.
    ///
    /// # Errors
    ///
    /// As [`files`](Self::files) and [`DatasetFiles::upload_from`].
    pub async fn upload_from(
        &self,
        dir: impl AsRef<Path>,
    ) -> Result<TransferSummary, TransferError> {
        self.files(Access::Write).await?.upload_from(dir).await
    }

    /// Creates a new version of the dataset.
    ///
    /// # Errors
    ///
    /// As [`DatastoreClient::version`].
    pub async fn version(&self, reason: &str) -> Result<VersionResponse, Error> {
        self.client.version(&self.id, reason).await
    }

    /// Restores the metadata of history entry `history_id`.
    ///
    /// # Errors
    ///
    /// As [`DatastoreClient::revert`].
    pub async fn revert(&self, history_id: i64, reason: &str) -> Result<ItemRevertResponse, Error> {
        self.client.revert(&self.id, history_id, reason).await
    }

    /// Replaces the dataset's metadata.
    ///
    /// # Errors
    ///
    /// As [`DatastoreClient::update`].
    pub async fn update(
        &self,
        reason: &str,
        metadata: &CollectionFormat,
    ) -> Result<UpdateMetadataResponse, Error> {
        self.client.update(&self.id, reason, metadata).await
    }

    /// Creates a presigned URL for one file of the dataset.
    ///
    /// # Errors
    ///
    /// As [`DatastoreClient::presigned_url`].
    pub async fn presigned_url(
        &self,
        file_path: &str,
        expires_in: Option<Duration>,
    ) -> Result<PresignedUrl, Error> {
        self.client
            .presigned_url(&self.id, file_path, expires_in)
            .await
    }
}
