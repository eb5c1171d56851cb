//! The user-facing registry client.

use std::collections::HashMap;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use provena_http::{Error, HttpClient, Operation};
use provena_models::{
    ItemSubType, JsonObject, ProvGraphRestoreRequest, ProvGraphRestoreResponse,
    RegistryExportResponse, RegistryImportRequest, RegistryImportResponse, RegistryRestoreRequest,
    UntypedFetchResponse, VersionDetails, kinds,
};

use crate::check;
use crate::items::ItemClient;
use crate::listing::ListOptions;
use crate::operations::{self, SubtypeRoutes};
use crate::paging::{self, ListStream, Page};

/// The client for the Provena registry.
///
/// Build one per deployment from a shared [`HttpClient`] and clone it freely: clones share
/// the connection pool and token provider. Each item subtype has its own accessor
/// ([`models`](Self::models), [`datasets`](Self::datasets), ...) returning an
/// [`ItemClient`] with the routes that subtype serves.
///
/// ```no_run
/// # async fn run(http: provena_http::HttpClient) -> Result<(), provena_http::Error> {
/// use futures::TryStreamExt;
/// use provena_registry::RegistryClient;
///
/// let registry = RegistryClient::new(http);
/// let dataset = registry.datasets().fetch("10378.1/1690000").await?;
/// let people: Vec<_> = registry.people().list().page_size(50).items().try_collect().await?;
/// # let _ = (dataset, people);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: HttpClient,
}

/// One of the registry's four access levels, each tied to a realm role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessLevel {
    /// Any signed-in user.
    General,
    /// `entity-registry-read`.
    Read,
    /// `entity-registry-write`.
    Write,
    /// `entity-registry-admin`.
    Admin,
}

impl AccessLevel {
    fn operation(self) -> Operation {
        match self {
            AccessLevel::General => operations::CHECK_GENERAL_ACCESS,
            AccessLevel::Read => operations::CHECK_READ_ACCESS,
            AccessLevel::Write => operations::CHECK_WRITE_ACCESS,
            AccessLevel::Admin => operations::CHECK_ADMIN_ACCESS,
        }
    }
}

/// The caller's identity as the registry reports it after an access check. The service also echoes
/// the access token; it is dropped here so that it cannot end up in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessCheck {
    /// The caller's username.
    pub username: String,
    /// The caller's email, when the token carries one.
    pub email: Option<String>,
    /// The caller's realm roles.
    pub roles: Vec<String>,
}

/// The number of items of each subtype, from [`RegistryClient::count_by_subtype`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubtypeCounts {
    counts: HashMap<ItemSubType, u64>,
}

impl SubtypeCounts {
    /// Returns the count for `subtype`, zero when none were listed.
    pub fn get(&self, subtype: &ItemSubType) -> u64 {
        self.counts.get(subtype).copied().unwrap_or(0)
    }

    /// Returns the count over every subtype.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Iterates over the subtypes with at least one item, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&ItemSubType, u64)> {
        self.counts.iter().map(|(subtype, count)| (subtype, *count))
    }
}

impl RegistryClient {
    /// Builds the client on a shared HTTP client.
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    /// Returns the underlying HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Returns the client for any subtype marker, for generic code.
    pub fn items<K: SubtypeRoutes>(&self) -> ItemClient<K> {
        ItemClient::new(self.http.clone())
    }

    /// Returns the client for organisations.
    pub fn organisations(&self) -> ItemClient<kinds::Organisation> {
        self.items()
    }

    /// Returns the client for people.
    pub fn people(&self) -> ItemClient<kinds::Person> {
        self.items()
    }

    /// Returns the client for models.
    pub fn models(&self) -> ItemClient<kinds::Model> {
        self.items()
    }

    /// Returns the client for model run workflow templates.
    pub fn workflow_templates(&self) -> ItemClient<kinds::ModelRunWorkflowTemplate> {
        self.items()
    }

    /// Returns the client for dataset templates.
    pub fn dataset_templates(&self) -> ItemClient<kinds::DatasetTemplate> {
        self.items()
    }

    /// Returns the client for datasets. Create and update datasets through the datastore.
    pub fn datasets(&self) -> ItemClient<kinds::Dataset> {
        self.items()
    }

    /// Returns the client for model runs. Register model runs through the prov store.
    pub fn model_runs(&self) -> ItemClient<kinds::ModelRun> {
        self.items()
    }

    /// Returns the client for studies.
    pub fn studies(&self) -> ItemClient<kinds::Study> {
        self.items()
    }

    /// Returns the client for create activities, which the registry records itself.
    pub fn create_activities(&self) -> ItemClient<kinds::CreateActivity> {
        self.items()
    }

    /// Returns the client for version activities, which the registry records itself.
    pub fn version_activities(&self) -> ItemClient<kinds::VersionActivity> {
        self.items()
    }

    /// Fetches an item of any subtype as raw JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] with the registry's detail when no item has the id, or any
    /// other [`Error`] of the request.
    pub async fn fetch(&self, id: &str) -> Result<JsonObject, Error> {
        check::id(id)?;
        let response = operations::general_fetch(&self.http, id).await?;
        let details = response.status.details.clone();
        untyped_item(response, &operations::GENERAL_FETCH)?.ok_or_else(|| {
            operations::unsuccessful(
                &operations::GENERAL_FETCH,
                format!("no item with id {id}: {details}"),
            )
        })
    }

    /// Fetches an item of any subtype as raw JSON, or `None` when no item has the id.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn fetch_opt(&self, id: &str) -> Result<Option<JsonObject>, Error> {
        check::id(id)?;
        let response = operations::general_fetch(&self.http, id).await?;
        untyped_item(response, &operations::GENERAL_FETCH)
    }

    /// Fetches an item of any subtype on behalf of `username` (service accounts only).
    ///
    /// # Errors
    ///
    /// As [`fetch`](Self::fetch); HTTP 401 for other callers.
    pub async fn proxy_fetch(&self, id: &str, username: &str) -> Result<JsonObject, Error> {
        check::id(id)?;
        let response = operations::general_proxy_fetch(&self.http, id, username).await?;
        let details = response.status.details.clone();
        untyped_item(response, &operations::GENERAL_PROXY_FETCH)?.ok_or_else(|| {
            operations::unsuccessful(
                &operations::GENERAL_PROXY_FETCH,
                format!("no item with id {id}: {details}"),
            )
        })
    }

    /// Deletes an item of any subtype (registry admins only). Succeeds for unknown ids.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the registry admin role, or any other [`Error`] of the request.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        check::id(id)?;
        operations::general_delete(&self.http, id).await?;
        Ok(())
    }

    /// Streams the pages of items of every subtype, or of `subtype` only, as raw JSON.
    /// Paging ends as for [`ListBuilder::pages`](crate::ListBuilder::pages).
    pub fn list_pages(
        &self,
        subtype: Option<ItemSubType>,
        options: ListOptions,
    ) -> ListStream<Page<JsonObject, JsonObject>> {
        let http = self.http.clone();
        paging::paginate(options.limit, move |key| {
            let http = http.clone();
            let request = options.general_request(subtype.clone(), key);
            let page: futures::future::BoxFuture<'static, _> = Box::pin(async move {
                let response = operations::general_list(&http, &request).await?;
                Ok((response.items.unwrap_or_default(), response.pagination_key))
            });
            page
        })
        .boxed()
    }

    /// Streams items of every subtype, or of `subtype` only, as raw JSON.
    pub fn list(
        &self,
        subtype: Option<ItemSubType>,
        options: ListOptions,
    ) -> ListStream<JsonObject> {
        paging::items(self.list_pages(subtype, options)).boxed()
    }

    /// Counts the complete items of each subtype, reading every page of the general
    /// listing.
    ///
    /// # Errors
    ///
    /// The first [`Error`] of any page request, or [`Error::Decode`] for an item without
    /// an `item_subtype`.
    pub async fn count_by_subtype(&self) -> Result<SubtypeCounts, Error> {
        self.count_by_subtype_with(ListOptions::default()).await
    }

    /// Counts items per subtype with the given options, such as a record type of
    /// `ALL` to count seed items too. A page size of 100 is used unless set.
    ///
    /// # Errors
    ///
    /// As [`count_by_subtype`](Self::count_by_subtype).
    pub async fn count_by_subtype_with(
        &self,
        mut options: ListOptions,
    ) -> Result<SubtypeCounts, Error> {
        options.page_size.get_or_insert(100);
        let mut counts = SubtypeCounts::default();
        let mut items = self.list(None, options);
        while let Some(item) = items.try_next().await? {
            let subtype = item
                .get("item_subtype")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| Error::Decode {
                    service: operations::GENERAL_LIST.service,
                    method: operations::GENERAL_LIST.method,
                    path: operations::GENERAL_LIST.path.to_owned(),
                    json_path: String::from("items[].item_subtype"),
                    message: String::from("listed item has no item_subtype"),
                    snippet: provena_http::decode::snippet(item.to_string().as_bytes()),
                })?;
            *counts
                .counts
                .entry(ItemSubType::from(subtype.to_owned()))
                .or_insert(0) += 1;
        }
        Ok(counts)
    }

    /// Checks that the caller has an access level and returns who they are.
    ///
    /// # Errors
    ///
    /// HTTP 401 with the registry's detail when the caller lacks the level's role.
    pub async fn check_access(&self, level: AccessLevel) -> Result<AccessCheck, Error> {
        let user = operations::check_access(&self.http, &level.operation()).await?;
        Ok(AccessCheck {
            username: user.username,
            email: user.email,
            roles: user.roles,
        })
    }

    /// Returns the deployed release.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn version(&self) -> Result<VersionDetails, Error> {
        operations::version(&self.http).await
    }

    /// Returns the service's greeting from `GET /`, a quick health check.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn health(&self) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
        operations::root(&self.http).await
    }

    /// Returns the admin routes (registry admins only).
    pub fn admin(&self) -> AdminClient {
        AdminClient {
            http: self.http.clone(),
        }
    }
}

/// The registry's admin routes: export, import, restore and configuration.
#[derive(Debug, Clone)]
pub struct AdminClient {
    http: HttpClient,
}

impl AdminClient {
    /// Exports every item with its access settings and lock state.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the admin role, or any other [`Error`] of the request.
    pub async fn export(&self) -> Result<RegistryExportResponse, Error> {
        operations::admin_export(&self.http).await
    }

    /// Imports exported items. Keep `trial_mode` set to see what would change first.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the admin role, or any other [`Error`] of the request.
    pub async fn import(
        &self,
        request: &RegistryImportRequest,
    ) -> Result<RegistryImportResponse, Error> {
        operations::admin_import(&self.http, request).await
    }

    /// Loads items from other storage tables of the deployment.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the admin role, or any other [`Error`] of the request.
    pub async fn restore_from_table(
        &self,
        request: &RegistryRestoreRequest,
    ) -> Result<RegistryImportResponse, Error> {
        operations::admin_restore(&self.http, request).await
    }

    /// Rebuilds the provenance graph from the given items.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the admin role, or any other [`Error`] of the request.
    pub async fn restore_prov_graph(
        &self,
        request: &ProvGraphRestoreRequest,
    ) -> Result<ProvGraphRestoreResponse, Error> {
        operations::admin_restore_prov_graph(&self.http, request).await
    }

    /// Downloads the service's settings as `.env` text; `required_only` limits it to the
    /// settings without a default.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the admin role, or any other [`Error`] of the request.
    pub async fn config_file(&self, required_only: bool) -> Result<Bytes, Error> {
        operations::generate_config_file(&self.http, required_only).await
    }

    /// Calls the error-reporting test route. A deployment with error monitoring raises a
    /// server error on purpose; one without returns a message saying so.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] when the deployment raised the test error.
    pub async fn test_error_reporting(&self) -> Result<serde_json::Value, Error> {
        operations::test_sentry_reporting(&self.http).await
    }
}

/// Reads a general fetch response: `None` for the registry's "no such item" form.
fn untyped_item(
    response: UntypedFetchResponse,
    operation: &Operation,
) -> Result<Option<JsonObject>, Error> {
    match (response.item, response.status.success) {
        (Some(item), true) => Ok(Some(item)),
        (Some(_), false) => Err(operations::unsuccessful(operation, response.status.details)),
        (None, _) => Ok(None),
    }
}
