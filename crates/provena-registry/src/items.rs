//! The generic client for one item subtype.

use std::marker::PhantomData;

use futures::{StreamExt, TryStreamExt};
use provena_http::{Error, HttpClient};
use provena_models::kinds::{
    ItemCreateResponse, ItemFetchResponse, ItemKind, ItemListResponse, ItemSeedResponse,
};
use provena_models::{
    AccessSettings, DescribedRole, ItemDataset, ItemOrSeed, ItemRevertRequest,
    ListUserReviewingDatasetsRequest, LockChangeRequest, LockEvent, SeededItem, SubtypeListRequest,
    UpdateResponse, VersionRequest, VersionResponse, kinds,
};

use crate::check;
use crate::listing::{ListOptions, ReviewListOptions};
use crate::operations::item::{self as ops, ProxyUpdateOptions};
use crate::operations::{
    self, CreateRoute, ProxyCreateRoute, ProxyRevertRoute, ProxySeedRoute, ProxyUpdateRoute,
    ProxyVersionRoute, RevertRoute, SeedRoute, SubtypeRoutes, UpdateRoute, VersionRoute,
};
use crate::paging::{self, ListStream, Page};

/// An item as fetched or listed: complete, or a seed item that has an id but no domain info.
pub type Record<K> = ItemOrSeed<<K as ItemKind>::Item>;

/// A page of a subtype listing: complete items first, then seed items.
pub type RecordPage<K> = Page<Record<K>, serde_json::Value>;

/// The result of a create.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Created<T> {
    /// The new item.
    pub item: T,
    /// The session id of the job that records the create activity, for subtypes the
    /// registry tracks (versioned entities). Poll it with the jobs client.
    pub create_activity_session_id: Option<String>,
}

/// The client for one item subtype `K`, such as
/// [`RegistryClient::models`](crate::RegistryClient::models).
///
/// Methods for optional routes exist only where the subtype serves them: `create` and
/// `update` for models, but only the `proxy_` forms for datasets and model runs, which
/// users change through the datastore and the prov store.
///
/// Every method taking an item id or a reason checks it first: an empty or
/// whitespace-only value is an [`Error::Config`] naming the argument, and no request is
/// sent.
pub struct ItemClient<K> {
    http: HttpClient,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for ItemClient<K> {
    fn clone(&self) -> Self {
        Self {
            http: self.http.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: ItemKind> std::fmt::Debug for ItemClient<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemClient")
            .field("subtype", &K::NAME)
            .finish_non_exhaustive()
    }
}

impl<K: SubtypeRoutes> ItemClient<K> {
    pub(crate) fn new(http: HttpClient) -> Self {
        Self {
            http,
            kind: PhantomData,
        }
    }

    /// Fetches one item, complete or seed.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] with the registry's detail when no item of this subtype has
    /// the id; any other [`Error`] of the request.
    pub async fn fetch(&self, id: &str) -> Result<Record<K>, Error> {
        check::id(id)?;
        let response = ops::fetch::<K>(&self.http, id, Some(true)).await?;
        record_or_error::<K>(response, K::OPERATIONS.fetch, id)
    }

    /// Fetches one item, or `None` when no item of this subtype has the id. The registry
    /// responds to a missing id with HTTP 200, `status.success = false` and `item: null`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request, and [`Error::Unsuccessful`] when the registry reports
    /// a failure while still returning an item.
    pub async fn fetch_opt(&self, id: &str) -> Result<Option<Record<K>>, Error> {
        check::id(id)?;
        let response = ops::fetch::<K>(&self.http, id, Some(true)).await?;
        optional_record::<K>(response, K::OPERATIONS.fetch)
    }

    /// Fetches one complete item; a seed item is an error.
    ///
    /// # Errors
    ///
    /// As [`fetch`](Self::fetch), and [`Error::Unsuccessful`] for a seed item.
    pub async fn fetch_complete(&self, id: &str) -> Result<K::Item, Error> {
        check::id(id)?;
        match self.fetch(id).await? {
            ItemOrSeed::Complete(item) => Ok(item),
            ItemOrSeed::Seed(_) => Err(operations::unsuccessful(
                K::OPERATIONS.fetch,
                format!(
                    "{} {id} is a seed item without domain info; update it first",
                    K::NAME
                ),
            )),
        }
    }

    /// Fetches one item on behalf of a user (service accounts only).
    ///
    /// # Errors
    ///
    /// As [`fetch`](Self::fetch); HTTP 401 for other callers.
    pub async fn proxy_fetch(&self, id: &str) -> Result<Record<K>, Error> {
        check::id(id)?;
        let response = ops::proxy_fetch::<K>(&self.http, id, Some(true)).await?;
        record_or_error::<K>(response, K::OPERATIONS.proxy_fetch, id)
    }

    /// Starts a listing. Set options on the returned builder, then call
    /// [`items`](ListBuilder::items) or [`pages`](ListBuilder::pages).
    pub fn list(&self) -> ListBuilder<K> {
        ListBuilder {
            http: self.http.clone(),
            options: ListOptions::default(),
            kind: PhantomData,
        }
    }

    /// Returns the JSON schema of the subtype's domain info.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn schema(&self) -> Result<serde_json::Value, Error> {
        let response = ops::schema::<K>(&self.http).await?;
        Ok(response.json_schema.unwrap_or_default())
    }

    /// Returns the form layout (UI schema) of the subtype's domain info.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn ui_schema(&self) -> Result<serde_json::Value, Error> {
        let response = ops::ui_schema::<K>(&self.http).await?;
        Ok(response.ui_schema.unwrap_or_default())
    }

    /// Checks a domain info against the registry's rules without storing it.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] carrying the registry's reason when the domain info is
    /// invalid (for example a reference to an unknown item), [`Error::Validation`] when it
    /// does not match the schema, or any other [`Error`] of the request.
    pub async fn validate(&self, info: &K::DomainInfo) -> Result<(), Error> {
        let response = ops::validate::<K>(&self.http, info).await?;
        if response.status.success {
            Ok(())
        } else {
            Err(operations::unsuccessful(
                K::OPERATIONS.validate,
                response.status.details,
            ))
        }
    }

    /// Returns the caller's roles on one item, such as `metadata-read`.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn my_roles(&self, id: &str) -> Result<Vec<String>, Error> {
        check::id(id)?;
        Ok(ops::auth_evaluate::<K>(&self.http, id).await?.roles)
    }

    /// Returns one item's access settings: owner, general roles and group roles.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request; HTTP 401 without the item's admin role.
    pub async fn access_settings(&self, id: &str) -> Result<AccessSettings, Error> {
        check::id(id)?;
        ops::auth_configuration::<K>(&self.http, id).await
    }

    /// Replaces one item's access settings.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request; HTTP 401 without the item's admin role.
    pub async fn set_access_settings(
        &self,
        id: &str,
        settings: &AccessSettings,
    ) -> Result<(), Error> {
        check::id(id)?;
        ops::put_auth_configuration::<K>(&self.http, id, settings).await?;
        Ok(())
    }

    /// Describes the roles an item's access settings may grant.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn available_roles(&self) -> Result<Vec<DescribedRole>, Error> {
        Ok(ops::auth_roles::<K>(&self.http).await?.roles)
    }

    /// Locks an item against edits; `reason` goes into the lock history.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the item's admin role, HTTP 400 for an unknown or already locked
    /// item, or any other [`Error`] of the request.
    pub async fn lock(&self, id: &str, reason: &str) -> Result<(), Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::lock::<K>(&self.http, &lock_request(id, reason)).await?;
        Ok(())
    }

    /// Unlocks an item; `reason` goes into the lock history.
    ///
    /// # Errors
    ///
    /// As [`lock`](Self::lock), with HTTP 400 for an item that is not locked.
    pub async fn unlock(&self, id: &str, reason: &str) -> Result<(), Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::unlock::<K>(&self.http, &lock_request(id, reason)).await?;
        Ok(())
    }

    /// Reports whether an item is locked.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn is_locked(&self, id: &str) -> Result<bool, Error> {
        check::id(id)?;
        Ok(ops::lock_status::<K>(&self.http, id).await?.locked)
    }

    /// Returns an item's lock and unlock events, oldest first.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn lock_history(&self, id: &str) -> Result<Vec<LockEvent>, Error> {
        check::id(id)?;
        Ok(ops::lock_history::<K>(&self.http, id)
            .await?
            .history
            .unwrap_or_default())
    }

    /// Deletes an item (registry admins only). Succeeds for unknown ids too.
    ///
    /// # Errors
    ///
    /// HTTP 401 without the registry admin role, or any other [`Error`] of the request.
    pub async fn delete(&self, id: &str) -> Result<(), Error> {
        check::id(id)?;
        ops::delete::<K>(&self.http, id).await?;
        Ok(())
    }
}

impl<K: CreateRoute> ItemClient<K> {
    /// Creates an item owned by the caller.
    ///
    /// # Errors
    ///
    /// HTTP 400 (`must link your User account to a Person`) when creating a versioned
    /// entity before the caller's account is linked to a Person, [`Error::Validation`] for
    /// an invalid domain info, or any other [`Error`] of the request.
    pub async fn create(&self, info: &K::DomainInfo) -> Result<Created<K::Item>, Error> {
        let response = ops::create::<K>(&self.http, info).await?;
        created::<K>(response, K::CREATE)
    }
}

impl<K: SeedRoute> ItemClient<K> {
    /// Reserves an id for an item whose domain info comes later through an update.
    ///
    /// # Errors
    ///
    /// Any [`Error`] of the request.
    pub async fn seed(&self) -> Result<SeededItem, Error> {
        let response = ops::seed::<K>(&self.http).await?;
        seeded(response, K::SEED)
    }
}

impl<K: UpdateRoute> ItemClient<K> {
    /// Replaces an item's domain info and records a history entry with `reason`.
    ///
    /// Returns the session id of the job recording the create activity when the update
    /// completes a seed item of a versioned entity.
    ///
    /// # Errors
    ///
    /// HTTP 401 when the caller does not own the item or it is locked (the error's
    /// [`detail`](Error::detail) distinguishes them), or any other [`Error`] of the request.
    pub async fn update(
        &self,
        id: &str,
        reason: &str,
        info: &K::DomainInfo,
    ) -> Result<UpdateResponse, Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::update::<K>(&self.http, id, Some(reason), info).await
    }
}

impl<K: RevertRoute> ItemClient<K> {
    /// Restores an item's domain info from history entry `history_id`, adding a new entry.
    ///
    /// # Errors
    ///
    /// As [`update`](Self::update), plus HTTP 400 for an unknown history id.
    pub async fn revert(&self, id: &str, history_id: i64, reason: &str) -> Result<(), Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::revert::<K>(&self.http, &revert_request(id, history_id, reason)).await?;
        Ok(())
    }
}

impl<K: VersionRoute> ItemClient<K> {
    /// Creates a new version of an item under a new id; returns the new id and the
    /// session id of the job recording the version activity.
    ///
    /// # Errors
    ///
    /// As [`update`](Self::update).
    pub async fn version(&self, id: &str, reason: &str) -> Result<VersionResponse, Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::version_item::<K>(&self.http, &version_request(id, reason)).await
    }
}

impl<K: ProxyCreateRoute> ItemClient<K> {
    /// Creates an item on behalf of a user (service accounts only).
    ///
    /// # Errors
    ///
    /// HTTP 401 for other callers, or any other [`Error`] of the request.
    pub async fn proxy_create(&self, info: &K::DomainInfo) -> Result<Created<K::Item>, Error> {
        let response = ops::proxy_create::<K>(&self.http, info).await?;
        created::<K>(response, K::PROXY_CREATE)
    }
}

impl<K: ProxySeedRoute> ItemClient<K> {
    /// Seeds an item on behalf of a user (service accounts only).
    ///
    /// # Errors
    ///
    /// HTTP 401 for other callers, or any other [`Error`] of the request.
    pub async fn proxy_seed(&self) -> Result<SeededItem, Error> {
        let response = ops::proxy_seed::<K>(&self.http).await?;
        seeded(response, K::PROXY_SEED)
    }
}

impl<K: ProxyUpdateRoute> ItemClient<K> {
    /// Updates an item on behalf of a user (service accounts only).
    ///
    /// # Errors
    ///
    /// HTTP 401 for other callers, or any other [`Error`] of the request.
    pub async fn proxy_update(
        &self,
        id: &str,
        info: &K::DomainInfo,
        options: &ProxyUpdateOptions,
    ) -> Result<UpdateResponse, Error> {
        check::id(id)?;
        ops::proxy_update::<K>(&self.http, id, options, info).await
    }
}

impl<K: ProxyRevertRoute> ItemClient<K> {
    /// Reverts an item on behalf of a user (service accounts only).
    ///
    /// # Errors
    ///
    /// HTTP 401 for other callers, or any other [`Error`] of the request.
    pub async fn proxy_revert(&self, id: &str, history_id: i64, reason: &str) -> Result<(), Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::proxy_revert::<K>(&self.http, &revert_request(id, history_id, reason)).await?;
        Ok(())
    }
}

impl<K: ProxyVersionRoute> ItemClient<K> {
    /// Versions an item on behalf of a user (service accounts only).
    ///
    /// # Errors
    ///
    /// HTTP 401 for other callers, or any other [`Error`] of the request.
    pub async fn proxy_version(&self, id: &str, reason: &str) -> Result<VersionResponse, Error> {
        check::id(id)?;
        check::reason(reason)?;
        ops::proxy_version_item::<K>(&self.http, &version_request(id, reason)).await
    }
}

impl ItemClient<kinds::Dataset> {
    /// Streams the datasets whose release the caller reviews, following the pagination
    /// key like [`ListBuilder::items`].
    pub fn reviewing(&self, options: ReviewListOptions) -> ListStream<ItemDataset> {
        let http = self.http.clone();
        let limit = options.list.limit;
        let pages = paging::paginate(limit, move |key| {
            let http = http.clone();
            let request: ListUserReviewingDatasetsRequest = options.review_request(key);
            let page: futures::future::BoxFuture<'static, _> = Box::pin(async move {
                let response = ops::list_releasing_datasets(&http, &request).await?;
                let key = response.pagination_key;
                Ok((response.dataset_items.unwrap_or_default(), key))
            });
            page
        });
        paging::items(pages).boxed()
    }
}

/// A listing of one subtype being set up. Nothing is sent until the stream is polled.
#[must_use = "a listing does nothing until its stream is polled"]
pub struct ListBuilder<K> {
    http: HttpClient,
    options: ListOptions,
    kind: PhantomData<fn() -> K>,
}

impl<K: ItemKind> std::fmt::Debug for ListBuilder<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListBuilder")
            .field("subtype", &K::NAME)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<K: SubtypeRoutes> ListBuilder<K> {
    /// Replaces every option at once.
    pub fn options(mut self, options: ListOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the number of items each request returns at most (the registry's default is 20).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.options.page_size = Some(page_size);
        self
    }

    /// Sorts by `sort_type`, ascending or descending.
    pub fn sort(mut self, sort_type: provena_models::SortType, ascending: bool) -> Self {
        self.options.sort_type = Some(sort_type);
        self.options.ascending = ascending;
        self
    }

    /// Keeps only items whose sort field begins with `prefix`. An empty prefix sets no
    /// filter and clears an earlier one.
    pub fn begins_with(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.options.begins_with = (!prefix.is_empty()).then_some(prefix);
        self
    }

    /// Chooses complete items, seed items or both (the registry's default is complete
    /// items only).
    pub fn record_type(mut self, record_type: provena_models::QueryRecordTypes) -> Self {
        self.options.record_type = Some(record_type);
        self
    }

    /// Stops after `limit` items in total.
    pub fn limit(mut self, limit: usize) -> Self {
        self.options.limit = Some(limit);
        self
    }

    /// Streams the pages, each with its complete items first and then its seed items.
    ///
    /// The stream follows the pagination key and ends when the registry returns no key,
    /// returns an empty page, or repeats a key it returned before; or when the limit is
    /// reached. A page whose `status.success` is `false` (unparsable stored items) still
    /// yields its parsable items; it is an error only when it has none and no key.
    pub fn pages(self) -> ListStream<RecordPage<K>> {
        let http = self.http;
        let options = self.options;
        paging::paginate(options.limit, move |key| {
            let http = http.clone();
            let request: SubtypeListRequest = options.subtype_request(key);
            let page: futures::future::BoxFuture<'static, _> = Box::pin(async move {
                let response = ops::list::<K>(&http, &request).await?;
                let success = response.status().success;
                let details = response.status().details.clone();
                let page = response.into_page();
                let records: Vec<Record<K>> = page
                    .items
                    .into_iter()
                    .map(ItemOrSeed::Complete)
                    .chain(page.seed_items.into_iter().map(ItemOrSeed::Seed))
                    .collect();
                if !success && records.is_empty() && page.pagination_key.is_none() {
                    return Err(operations::unsuccessful(K::OPERATIONS.list, details));
                }
                Ok((records, page.pagination_key))
            });
            page
        })
        .boxed()
    }

    /// Streams the items of every page; see [`pages`](Self::pages) for when it ends.
    pub fn items(self) -> ListStream<Record<K>> {
        paging::items(self.pages()).boxed()
    }

    /// Collects every complete item, skipping seed items.
    ///
    /// # Errors
    ///
    /// The first [`Error`] of any page request.
    pub async fn collect_complete(self) -> Result<Vec<K::Item>, Error> {
        self.items()
            .try_filter_map(|record| futures::future::ready(Ok(record.into_complete())))
            .try_collect()
            .await
    }
}

/// Reads a fetch response: `None` for the registry's "no such item" form (`item: null`).
fn optional_record<K: ItemKind>(
    response: K::FetchResponse,
    operation: &provena_http::Operation,
) -> Result<Option<Record<K>>, Error> {
    let success = response.status().success;
    let details = response.status().details.clone();
    match response.into_item() {
        Some(record) if success => Ok(Some(record)),
        Some(_) => Err(operations::unsuccessful(operation, details)),
        None => Ok(None),
    }
}

fn record_or_error<K: ItemKind>(
    response: K::FetchResponse,
    operation: &provena_http::Operation,
    id: &str,
) -> Result<Record<K>, Error> {
    let details = response.status().details.clone();
    optional_record::<K>(response, operation)?.ok_or_else(|| {
        operations::unsuccessful(operation, format!("no {} with id {id}: {details}", K::NAME))
    })
}

fn created<K: kinds::Creatable>(
    response: K::CreateResponse,
    operation: &provena_http::Operation,
) -> Result<Created<K::Item>, Error> {
    let details = response.status().details.clone();
    match response.into_parts() {
        (Some(item), session_id) => Ok(Created {
            item,
            create_activity_session_id: session_id,
        }),
        (None, _) => Err(operations::unsuccessful(
            operation,
            format!("the registry returned no created item: {details}"),
        )),
    }
}

fn seeded<R: ItemSeedResponse>(
    response: R,
    operation: &provena_http::Operation,
) -> Result<SeededItem, Error> {
    let details = response.status().details.clone();
    response.into_seeded_item().ok_or_else(|| {
        operations::unsuccessful(
            operation,
            format!("the registry returned no seeded item: {details}"),
        )
    })
}

fn lock_request(id: &str, reason: &str) -> LockChangeRequest {
    LockChangeRequest {
        id: id.to_owned(),
        reason: reason.to_owned(),
    }
}

fn revert_request(id: &str, history_id: i64, reason: &str) -> ItemRevertRequest {
    ItemRevertRequest {
        id: id.to_owned(),
        history_id,
        reason: reason.to_owned(),
    }
}

fn version_request(id: &str, reason: &str) -> VersionRequest {
    VersionRequest {
        id: id.to_owned(),
        reason: reason.to_owned(),
    }
}
