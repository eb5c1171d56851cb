//! Time limits on one attempt and on a whole call.

use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

use super::{BoxFuture, HttpRequest, RequestMeta};
use crate::error::{Error, TimeoutKind};

/// Adds [`Timeout`] for one attempt: sending, waiting and reading the body. Each attempt also
/// gets an `attempt` span, a child of the request span.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptTimeoutLayer {
    after: Duration,
}

impl AttemptTimeoutLayer {
    pub(crate) fn new(after: Duration) -> Self {
        Self { after }
    }
}

impl<S> Layer<S> for AttemptTimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            after: self.after,
            kind: TimeoutKind::Attempt,
        }
    }
}

/// Adds [`Timeout`] for a whole call, every retry and backoff included.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OverallTimeoutLayer {
    after: Duration,
}

impl OverallTimeoutLayer {
    pub(crate) fn new(after: Duration) -> Self {
        Self { after }
    }
}

impl<S> Layer<S> for OverallTimeoutLayer {
    type Service = Timeout<S>;

    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            after: self.after,
            kind: TimeoutKind::Overall,
        }
    }
}

/// Fails a call with [`Error::Timeout`] when the inner service takes longer than `after`.
#[derive(Debug, Clone)]
pub(crate) struct Timeout<S> {
    inner: S,
    after: Duration,
    kind: TimeoutKind,
}

impl<S, R> Service<HttpRequest> for Timeout<S>
where
    S: Service<HttpRequest, Response = R, Error = Error> + Clone + Send + 'static,
    S::Future: Send,
    R: Send + 'static,
{
    type Response = R;
    type Error = Error;
    type Future = BoxFuture<Result<R, Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        let attempt = meta.attempts.load(Ordering::SeqCst);
        let inner = self.inner.clone();
        let after = self.after;
        let kind = self.kind;
        let call = async move {
            match tokio::time::timeout(after, inner.oneshot(request)).await {
                Ok(result) => result,
                Err(_) => Err(Error::Timeout {
                    service: meta.context.service,
                    method: meta.context.method.clone(),
                    path: meta.context.path.clone(),
                    kind,
                    after,
                }),
            }
        };
        if kind == TimeoutKind::Attempt {
            let span = tracing::debug_span!(target: "provena_http", "attempt", attempt);
            Box::pin(call.instrument(span))
        } else {
            Box::pin(call)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Service as ProvenaService;
    use crate::middleware::testing;
    use http::Method;

    fn slow(
        delay: Duration,
    ) -> impl Service<HttpRequest, Response = u16, Error = Error, Future = impl Send>
    + Clone
    + Send
    + 'static {
        tower::service_fn(move |_request: HttpRequest| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, Error>(200)
        })
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_timeout_fires() {
        let service =
            AttemptTimeoutLayer::new(Duration::from_secs(5)).layer(slow(Duration::from_secs(60)));
        let request = testing::request(ProvenaService::Jobs, Method::GET, "http://127.0.0.1/j");
        let error = service.oneshot(request).await.unwrap_err();
        match error {
            Error::Timeout {
                kind, after, path, ..
            } => {
                assert_eq!(kind, TimeoutKind::Attempt);
                assert_eq!(after, Duration::from_secs(5));
                assert_eq!(path, "/j");
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn overall_timeout_passes_fast_calls() {
        let service =
            OverallTimeoutLayer::new(Duration::from_secs(5)).layer(slow(Duration::from_secs(1)));
        let request = testing::request(ProvenaService::Jobs, Method::GET, "http://127.0.0.1/j");
        assert_eq!(service.oneshot(request).await.unwrap(), 200);
    }
}
