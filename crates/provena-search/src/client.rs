//! The user-facing search client and its request builder.

use std::collections::BTreeMap;

use provena_http::{Error, HttpClient};
use provena_models::{ItemSubType, QueryResult};

use crate::AccessCheck;
use crate::load::{self, LoadedItems};
use crate::operations::{self, SearchParams};

/// How many registry fetches [`SearchClient::load_items`] runs at once by default.
pub const DEFAULT_FETCH_CONCURRENCY: usize = 8;

/// A client for the search service, which ranks registry items by how well their names,
/// descriptions and keywords match a query.
///
/// Cloning is cheap: every clone shares the [`HttpClient`] and its connection pool.
#[derive(Debug, Clone)]
pub struct SearchClient {
    http: HttpClient,
    fetch_concurrency: usize,
}

impl SearchClient {
    /// Wraps an HTTP client configured for the deployment.
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            fetch_concurrency: DEFAULT_FETCH_CONCURRENCY,
        }
    }

    /// Sets how many registry fetches [`load_items`](Self::load_items) runs at once
    /// (at least 1; 0 is treated as 1).
    pub fn with_fetch_concurrency(mut self, concurrency: usize) -> Self {
        self.fetch_concurrency = concurrency.max(1);
        self
    }

    /// Returns the HTTP client, for the functions in [`operations`].
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Starts a search of the registry for `query`. Set a record limit or subtype filter on
    /// the returned builder, then call [`SearchRequest::send`].
    pub fn search(&self, query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            client: self.clone(),
            query: query.into(),
            record_limit: None,
            subtype: None,
        }
    }

    /// Fetches the registry items behind `hits` through the registry's general fetch route,
    /// at most [`with_fetch_concurrency`](Self::with_fetch_concurrency) at a time, and
    /// returns them in the order of `hits` (score order for search results).
    ///
    /// Ids the registry no longer resolves (deleted since they were indexed) are listed in
    /// [`LoadedItems::missing`] instead of failing the whole load.
    ///
    /// # Errors
    ///
    /// The first [`Error`] other than an unresolved id, such as a connection failure or
    /// [`Error::Unauthorized`] when the caller lacks the registry read role.
    pub async fn load_items(&self, hits: &[QueryResult]) -> Result<LoadedItems, Error> {
        load::load_items(&self.http, hits, self.fetch_concurrency).await
    }

    /// Checks that the caller is signed in, and returns the user the service identified.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the token is missing or invalid.
    pub async fn check_general_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_GENERAL_ACCESS).await
    }

    /// Checks that the caller has the search service's read role.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks the role.
    pub async fn check_read_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_READ_ACCESS).await
    }

    /// Checks that the caller has the search service's read and write roles.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks a role.
    pub async fn check_write_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_WRITE_ACCESS).await
    }

    /// Checks that the caller has the search service's read, write and admin roles.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] when the caller lacks a role.
    pub async fn check_admin_access(&self) -> Result<AccessCheck, Error> {
        operations::check_access(&self.http, &operations::CHECK_ADMIN_ACCESS).await
    }

    /// Returns the service's greeting, a small map that shows it is up.
    ///
    /// # Errors
    ///
    /// Any [`Error`] from the request.
    pub async fn service_info(&self) -> Result<BTreeMap<String, String>, Error> {
        operations::root(&self.http).await
    }

    /// Downloads the service's configuration file (admin only). With `required_only`, only
    /// the settings without defaults are listed.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] for callers without the admin role, or any other [`Error`].
    pub async fn config_file(&self, required_only: bool) -> Result<String, Error> {
        operations::generate_config_file(&self.http, required_only).await
    }

    /// Asks the service to raise a test error for its error reporting (needs the admin read
    /// and write roles). With monitoring off, the service raises nothing and returns a
    /// message saying so.
    ///
    /// # Errors
    ///
    /// A deployment with monitoring on returns [`Error::Server`] on purpose.
    pub async fn test_error_reporting(&self) -> Result<Option<BTreeMap<String, String>>, Error> {
        operations::test_sentry_reporting(&self.http).await
    }
}

/// A registry search being built by [`SearchClient::search`].
#[derive(Debug, Clone)]
#[must_use = "a search does nothing until it is sent"]
pub struct SearchRequest {
    client: SearchClient,
    query: String,
    record_limit: Option<u32>,
    subtype: Option<ItemSubType>,
}

impl SearchRequest {
    /// Sets the maximum number of results. Provena's search service caps it at 50 and
    /// returns 10 when no limit is set, unless its deployment configures other values.
    pub fn record_limit(mut self, limit: u32) -> Self {
        self.record_limit = Some(limit);
        self
    }

    /// Only returns items of `subtype`.
    pub fn subtype(mut self, subtype: ItemSubType) -> Self {
        self.subtype = Some(subtype);
        self
    }

    /// Sends the search and returns the hits, best first.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the query is blank or the record limit is 0;
    /// [`Error::Unauthorized`] when the caller lacks the registry read role;
    /// [`Error::Unsuccessful`] when the service reports a failed search.
    pub async fn send(self) -> Result<SearchResults, Error> {
        if self.query.trim().is_empty() {
            return Err(Error::config(
                "query",
                self.query,
                "give at least one word to search for",
            ));
        }
        if self.record_limit == Some(0) {
            return Err(Error::config(
                "record_limit",
                "0",
                "set a limit of 1 or more, or leave it unset for the service's default",
            ));
        }
        let params = SearchParams {
            query: &self.query,
            subtype_filter: self.subtype.as_ref(),
            record_limit: self.record_limit,
        };
        let response = operations::search_entity_registry(&self.client.http, &params).await?;
        Ok(SearchResults {
            hits: response.results.unwrap_or_default(),
            warnings: response.warnings.unwrap_or_default(),
        })
    }

    /// Sends the search, then loads the registry items behind the hits with
    /// [`SearchClient::load_items`].
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send) and [`SearchClient::load_items`].
    pub async fn send_and_load(self) -> Result<LoadedItems, Error> {
        let client = self.client.clone();
        let results = self.send().await?;
        client.load_items(&results.hits).await
    }
}

/// The results of a registry search.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SearchResults {
    /// The matching item ids with their scores, best first.
    pub hits: Vec<QueryResult>,
    /// Problems the service met while building the response, such as index entries it could
    /// not read. Empty when there were none.
    pub warnings: Vec<String>,
}
