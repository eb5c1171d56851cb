//! Lazy listing of jobs, following the service's pagination keys.

use futures::Stream;
use futures::stream::{self, TryStreamExt};
use provena_http::{Error, HttpClient};
use provena_models::{
    AdminListByBatchRequest, AdminListJobsRequest, JobStatusTable, ListByBatchRequest,
    ListJobsRequest,
};
use serde_json::Value;

use crate::operations;

/// The page size the service uses when none is given.
pub const DEFAULT_PAGE_SIZE: u32 = 10;

/// A page of jobs and the key of the next page.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JobPage {
    /// The jobs on this page, newest first.
    pub jobs: Vec<JobStatusTable>,
    /// The key to send for the next page, or `None` on the last page.
    pub next_key: Option<Value>,
}

#[derive(Debug, Clone)]
enum Scope {
    User,
    UserBatch(String),
    Admin {
        username: Option<String>,
    },
    AdminBatch {
        batch_id: String,
        username: Option<String>,
    },
}

/// A listing of jobs, built by [`JobsClient::list_jobs`](crate::JobsClient::list_jobs) and
/// the other list methods. Nothing is sent until the stream is polled.
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until its stream is polled"]
pub struct ListJobs {
    http: HttpClient,
    scope: Scope,
    page_size: u32,
    misplaced_filter: Option<String>,
}

impl ListJobs {
    pub(crate) fn user(http: HttpClient) -> Self {
        Self::new(http, Scope::User)
    }

    pub(crate) fn user_batch(http: HttpClient, batch_id: String) -> Self {
        Self::new(http, Scope::UserBatch(batch_id))
    }

    pub(crate) fn admin(http: HttpClient) -> Self {
        Self::new(http, Scope::Admin { username: None })
    }

    pub(crate) fn admin_batch(http: HttpClient, batch_id: String) -> Self {
        Self::new(
            http,
            Scope::AdminBatch {
                batch_id,
                username: None,
            },
        )
    }

    fn new(http: HttpClient, scope: Scope) -> Self {
        Self {
            http,
            scope,
            page_size: DEFAULT_PAGE_SIZE,
            misplaced_filter: None,
        }
    }

    /// Sets how many jobs each request fetches (the service's default is 10).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Keeps only the jobs of `username`. Only the admin listings take a user filter; on
    /// the caller's own listings the filter is rejected with [`Error::Config`] when the
    /// stream is polled.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        let username = username.into();
        match &mut self.scope {
            Scope::Admin { username: filter }
            | Scope::AdminBatch {
                username: filter, ..
            } => {
                *filter = Some(username);
            }
            Scope::User | Scope::UserBatch(_) => self.misplaced_filter = Some(username),
        }
        self
    }

    /// Returns a stream of pages. It ends after a page without a next key, after an empty
    /// page, or when the service returns the same key twice.
    ///
    /// # Errors
    ///
    /// Each item may be an [`Error`]; the stream ends after the first one.
    pub fn pages(self) -> impl Stream<Item = Result<JobPage, Error>> + 'static {
        let state = PagerState {
            listing: self,
            next_key: None,
            finished: false,
        };
        stream::try_unfold(state, |mut state| async move {
            if state.finished {
                return Ok(None);
            }
            if let Some(error) = state.listing.validation_error() {
                return Err(error);
            }
            let sent = state.next_key.take();
            let page = state.listing.fetch(sent.clone()).await?;
            let repeated = page.next_key.is_some() && page.next_key == sent;
            state.finished = page.next_key.is_none() || page.jobs.is_empty() || repeated;
            state.next_key.clone_from(&page.next_key);
            Ok(Some((page, state)))
        })
    }

    /// Returns a stream of jobs across all pages.
    ///
    /// # Errors
    ///
    /// Each item may be an [`Error`]; the stream ends after the first one.
    pub fn into_stream(self) -> impl Stream<Item = Result<JobStatusTable, Error>> + 'static {
        self.pages()
            .map_ok(|page| stream::iter(page.jobs.into_iter().map(Ok)))
            .try_flatten()
    }

    /// Collects every job across all pages.
    ///
    /// # Errors
    ///
    /// The first [`Error`] of any page request.
    pub async fn collect_all(self) -> Result<Vec<JobStatusTable>, Error> {
        self.into_stream().try_collect().await
    }

    /// Returns the error of a listing that cannot be sent, before anything is sent.
    fn validation_error(&self) -> Option<Error> {
        if let Some(username) = &self.misplaced_filter {
            return Some(Error::config(
                "username",
                username.clone(),
                "only the admin listings take a username filter; use `admin_list_jobs` or \
                 `admin_list_batch`",
            ));
        }
        if let Scope::UserBatch(batch_id) | Scope::AdminBatch { batch_id, .. } = &self.scope
            && let Err(error) = crate::client::require_id("batch_id", batch_id)
        {
            return Some(error);
        }
        if self.page_size == 0 {
            return Some(Error::config(
                "page_size",
                "0",
                "use a page size of 1 or more",
            ));
        }
        None
    }

    async fn fetch(&self, key: Option<Value>) -> Result<JobPage, Error> {
        let limit = i64::from(self.page_size);
        let (jobs, next_key) = match &self.scope {
            Scope::User => {
                let request = ListJobsRequest {
                    limit: Some(limit),
                    pagination_key: key,
                };
                let page = operations::list_jobs(&self.http, &request).await?;
                (page.jobs, page.pagination_key)
            }
            Scope::UserBatch(batch_id) => {
                let request = ListByBatchRequest {
                    batch_id: batch_id.clone(),
                    limit: Some(limit),
                    pagination_key: key,
                };
                let page = operations::list_batch(&self.http, &request).await?;
                (page.jobs, page.pagination_key)
            }
            Scope::Admin { username } => {
                let request = AdminListJobsRequest {
                    limit: Some(limit),
                    pagination_key: key,
                    username_filter: username.clone(),
                };
                let page = operations::admin_list_jobs(&self.http, &request).await?;
                (page.jobs, page.pagination_key)
            }
            Scope::AdminBatch { batch_id, username } => {
                let request = AdminListByBatchRequest {
                    batch_id: batch_id.clone(),
                    limit: Some(limit),
                    pagination_key: key,
                    username_filter: username.clone(),
                };
                let page = operations::admin_list_batch(&self.http, &request).await?;
                (page.jobs, page.pagination_key)
            }
        };
        Ok(JobPage {
            jobs,
            next_key: next_key.filter(|key| !is_empty_key(key)),
        })
    }
}

struct PagerState {
    listing: ListJobs,
    next_key: Option<Value>,
    finished: bool,
}

fn is_empty_key(key: &Value) -> bool {
    match key {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}
