//! Lazy paging over the registry's `pagination_key`.

use std::collections::HashSet;
use std::future::Future;

use futures::{Stream, TryStreamExt};
use provena_http::Error;
use serde::Serialize;

/// A lazy stream of listing results: pages or items, each request sent when the stream is
/// polled. It is `Send`, so a listing can run in a spawned task.
pub type ListStream<T> = futures::stream::BoxStream<'static, Result<T, Error>>;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T, K> {
    /// The page's items, at most the page size (fewer on the last page, or when the total
    /// limit cuts the page short).
    pub items: Vec<T>,
    /// The key the service returned for the next page; `None` on the last page.
    pub next_key: Option<K>,
}

/// The state of a listing: the next key, the keys already sent, and the items still allowed.
struct Cursor<K> {
    next_key: Option<K>,
    sent_keys: HashSet<String>,
    remaining: Option<usize>,
    done: bool,
}

/// Streams the pages that `fetch` returns, sending each returned key back, until one of:
///
/// - the service returns no key (`null`),
/// - a page comes back empty (the service may return a key followed by one empty page),
/// - the service returns a key it returned before, which would loop forever,
/// - `limit` items have been returned (the last page is cut to fit).
///
/// The first error ends the stream after being returned.
pub(crate) fn paginate<T, K, F, Fut>(
    limit: Option<usize>,
    fetch: F,
) -> impl Stream<Item = Result<Page<T, K>, Error>> + Send
where
    T: Send,
    K: Serialize + Clone + Send,
    F: FnMut(Option<K>) -> Fut + Send,
    Fut: Future<Output = Result<(Vec<T>, Option<K>), Error>> + Send,
{
    let cursor = Cursor {
        next_key: None,
        sent_keys: HashSet::new(),
        remaining: limit,
        done: limit == Some(0),
    };
    futures::stream::try_unfold((cursor, fetch), |(mut cursor, mut fetch)| async move {
        if cursor.done {
            return Ok(None);
        }
        if let Some(key) = &cursor.next_key {
            cursor.sent_keys.insert(key_text(key));
        }
        let (mut items, next_key) = fetch(cursor.next_key.take()).await?;
        if items.is_empty() {
            return Ok(None);
        }
        if let Some(remaining) = cursor.remaining.as_mut() {
            items.truncate(*remaining);
            *remaining -= items.len();
            if *remaining == 0 {
                cursor.done = true;
            }
        }
        match &next_key {
            None => cursor.done = true,
            // A key sent before would fetch a page already returned.
            Some(key) if cursor.sent_keys.contains(&key_text(key)) => cursor.done = true,
            Some(key) => cursor.next_key = Some(key.clone()),
        }
        let page = Page { items, next_key };
        Ok(Some((page, (cursor, fetch))))
    })
}

/// Flattens a page stream into its items.
pub(crate) fn items<T, K>(
    pages: impl Stream<Item = Result<Page<T, K>, Error>> + Send,
) -> impl Stream<Item = Result<T, Error>> + Send
where
    T: Send,
    K: Send,
{
    pages
        .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok)))
        .try_flatten()
}

/// Returns the key's JSON text, to recognise a key the service returned before. The
/// listings use `serde_json::Value` keys, whose serialisation cannot fail; for another key
/// type a failure gives an empty text, which only weakens the repeat check.
fn key_text<K: Serialize>(key: &K) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::TryStreamExt;

    use super::*;

    /// A scripted page: items and the next key.
    type ScriptedPage = (Vec<u32>, Option<u32>);

    /// Serves `pages` in order: each call returns the page at the index given by the key.
    fn scripted(
        pages: Vec<ScriptedPage>,
        calls: Arc<Mutex<Vec<Option<u32>>>>,
    ) -> impl FnMut(Option<u32>) -> futures::future::Ready<Result<ScriptedPage, Error>> {
        move |key| {
            calls.lock().unwrap().push(key);
            let index = key.unwrap_or(0) as usize;
            futures::future::ready(Ok(pages.get(index).cloned().unwrap_or_default()))
        }
    }

    #[tokio::test]
    async fn stops_on_null_key() {
        let calls = Arc::default();
        let pages = vec![(vec![1, 2], Some(1)), (vec![3], None)];
        let items: Vec<u32> = items(paginate(None, scripted(pages, Arc::clone(&calls))))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, vec![1, 2, 3]);
        assert_eq!(*calls.lock().unwrap(), vec![None, Some(1)]);
    }

    #[tokio::test]
    async fn stops_on_empty_page() {
        let calls = Arc::default();
        let pages = vec![(vec![1], Some(1)), (vec![], Some(2)), (vec![9], None)];
        let items: Vec<u32> = items(paginate(None, scripted(pages, Arc::clone(&calls))))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, vec![1]);
        assert_eq!(calls.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn stops_on_repeated_key() {
        let calls = Arc::default();
        // The second page points back at itself.
        let pages = vec![(vec![1], Some(1)), (vec![2], Some(1))];
        let items: Vec<u32> = items(paginate(None, scripted(pages, Arc::clone(&calls))))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, vec![1, 2]);
        assert_eq!(*calls.lock().unwrap(), vec![None, Some(1)]);
    }

    #[tokio::test]
    async fn limit_cuts_last_page() {
        let calls = Arc::default();
        let pages = vec![
            (vec![1, 2], Some(1)),
            (vec![3, 4], Some(2)),
            (vec![5], None),
        ];
        let items: Vec<u32> = items(paginate(Some(3), scripted(pages, Arc::clone(&calls))))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(items, vec![1, 2, 3]);
        assert_eq!(calls.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn limit_zero_sends_nothing() {
        let calls = Arc::default();
        let pages = vec![(vec![1], None)];
        let items: Vec<u32> = items(paginate(Some(0), scripted(pages, Arc::clone(&calls))))
            .try_collect()
            .await
            .unwrap();
        assert!(items.is_empty());
        assert!(calls.lock().unwrap().is_empty());
    }
}
