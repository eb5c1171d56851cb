//! Time limits on one attempt and on a whole call.
//!
//! A call normally runs one timer at a time. The overall layer records the call's deadline in
//! the request metadata, and each attempt's timer fires at its own limit or at that deadline,
//! whichever comes first. The overall layer starts a timer of its own only while no attempt
//! is running, such as during a retry's backoff or while a token is fetched, or when the stack
//! has no attempt layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

use super::{HttpRequest, RequestMeta};
use crate::error::{Error, TimeoutKind};

/// Adds [`AttemptTimeout`] for one attempt: sending, waiting and reading the body. Each
/// attempt also gets an `attempt` span, a child of the request span.
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
    type Service = AttemptTimeout<S>;

    fn layer(&self, inner: S) -> AttemptTimeout<S> {
        AttemptTimeout {
            inner,
            after: self.after,
        }
    }
}

/// Adds [`OverallTimeout`] for a whole call, every retry and backoff included.
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
    type Service = OverallTimeout<S>;

    fn layer(&self, inner: S) -> OverallTimeout<S> {
        OverallTimeout {
            inner,
            after: self.after,
        }
    }
}

/// Returns the instant `after` from now. A limit too large for the clock, such as
/// `Duration::MAX` set to mean "no limit", ends about 30 years from now.
fn instant_after(after: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    let now = Instant::now();
    now.checked_add(after)
        .or_else(|| now.checked_add(FAR_FUTURE))
        .unwrap_or(now)
}

/// Builds the timeout error for `meta`'s request.
fn timeout_error(meta: &RequestMeta, kind: TimeoutKind, after: Duration) -> Error {
    Error::Timeout {
        service: meta.context.service,
        method: meta.context.method.clone(),
        path: meta.context.path.clone(),
        kind,
        after,
    }
}

/// Fails an attempt with [`Error::Timeout`] when it takes longer than `after`, or when the
/// call's deadline passes first (then the error is an overall timeout).
#[derive(Debug, Clone)]
pub(crate) struct AttemptTimeout<S> {
    inner: S,
    after: Duration,
}

impl<S, R> Service<HttpRequest> for AttemptTimeout<S>
where
    S: Service<HttpRequest, Response = R, Error = Error>,
{
    type Response = R;
    type Error = Error;
    type Future = AttemptFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        let own_end = instant_after(self.after);
        let (end, kind, after) = match meta.deadline.get() {
            Some(&(deadline, overall)) if deadline < own_end => {
                (deadline, TimeoutKind::Overall, overall)
            }
            _ => (own_end, TimeoutKind::Attempt, self.after),
        };
        let attempt = meta.attempts.load(Ordering::SeqCst);
        let span = tracing::debug_span!(target: "provena_http", "attempt", attempt);
        let inner = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        AttemptFuture {
            inner: tokio::time::timeout_at(end, inner),
            span,
            watch: Watch::new(meta),
            kind,
            after,
        }
    }
}

/// Counts a running attempt in [`RequestMeta::watchers`] until it is dropped.
struct Watch(Arc<RequestMeta>);

impl Watch {
    fn new(meta: Arc<RequestMeta>) -> Watch {
        meta.watchers.fetch_add(1, Ordering::SeqCst);
        Watch(meta)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::SeqCst);
    }
}

pin_project_lite::pin_project! {
    /// The future of [`AttemptTimeout`]: the inner call under a timer, inside the `attempt`
    /// span.
    pub(crate) struct AttemptFuture<F> {
        #[pin]
        inner: tokio::time::Timeout<F>,
        span: tracing::Span,
        watch: Watch,
        kind: TimeoutKind,
        after: Duration,
    }
}

impl<F, R> Future for AttemptFuture<F>
where
    F: Future<Output = Result<R, Error>>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        match ready!(this.inner.poll(cx)) {
            Ok(result) => Poll::Ready(result),
            Err(_elapsed) => {
                Poll::Ready(Err(timeout_error(&this.watch.0, *this.kind, *this.after)))
            }
        }
    }
}

/// Fails a call with [`Error::Timeout`] when it takes longer than `after`, retries and
/// backoff included.
#[derive(Debug, Clone)]
pub(crate) struct OverallTimeout<S> {
    inner: S,
    after: Duration,
}

impl<S, R> Service<HttpRequest> for OverallTimeout<S>
where
    S: Service<HttpRequest, Response = R, Error = Error>,
{
    type Response = R;
    type Error = Error;
    type Future = OverallFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        let deadline = instant_after(self.after);
        // An outer overall layer, if any, set the deadline first and keeps it.
        let _ = meta.deadline.set((deadline, self.after));
        OverallFuture {
            inner: self.inner.call(request),
            timer: None,
            deadline,
            after: self.after,
            meta,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`OverallTimeout`]. Its timer starts only when no attempt timer watches
    /// the deadline.
    pub(crate) struct OverallFuture<F> {
        #[pin]
        inner: F,
        timer: Option<Pin<Box<Sleep>>>,
        deadline: Instant,
        after: Duration,
        meta: Arc<RequestMeta>,
    }
}

impl<F, R> Future for OverallFuture<F>
where
    F: Future<Output = Result<R, Error>>,
{
    type Output = Result<R, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(result) = this.inner.poll(cx) {
            return Poll::Ready(result);
        }
        if this.timer.is_none() && this.meta.watchers.load(Ordering::SeqCst) > 0 {
            // A running attempt's timer fires by the deadline and wakes this call.
            return Poll::Pending;
        }
        let deadline = *this.deadline;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        ready!(timer.as_mut().poll(cx));
        Poll::Ready(Err(timeout_error(
            this.meta,
            TimeoutKind::Overall,
            *this.after,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Service as ProvenaService;
    use crate::middleware::testing;
    use http::Method;
    use tower::ServiceExt;

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

    fn expect_timeout(error: Error) -> (TimeoutKind, Duration) {
        match error {
            Error::Timeout { kind, after, .. } => (kind, after),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn overall_timeout_fires_alone() {
        let service =
            OverallTimeoutLayer::new(Duration::from_secs(5)).layer(slow(Duration::from_secs(60)));
        let request = testing::request(ProvenaService::Jobs, Method::GET, "http://127.0.0.1/j");
        let error = service.oneshot(request).await.unwrap_err();
        assert_eq!(
            expect_timeout(error),
            (TimeoutKind::Overall, Duration::from_secs(5))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn attempt_stops_at_call_deadline() {
        let attempt =
            AttemptTimeoutLayer::new(Duration::from_secs(5)).layer(slow(Duration::from_secs(60)));
        let service = OverallTimeoutLayer::new(Duration::from_secs(3)).layer(attempt);
        let request = testing::request(ProvenaService::Jobs, Method::GET, "http://127.0.0.1/j");
        let started = Instant::now();
        let error = service.oneshot(request).await.unwrap_err();
        assert_eq!(
            expect_timeout(error),
            (TimeoutKind::Overall, Duration::from_secs(3))
        );
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn overall_timer_covers_gap_between_attempts() {
        // One quick attempt, then a wait with no attempt running, as in a retry's backoff.
        let inner = tower::service_fn(|request: HttpRequest| async move {
            let attempt = AttemptTimeoutLayer::new(Duration::from_secs(10))
                .layer(slow(Duration::from_secs(1)));
            attempt.oneshot(request).await?;
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, Error>(200)
        });
        let service = OverallTimeoutLayer::new(Duration::from_secs(3)).layer(inner);
        let request = testing::request(ProvenaService::Jobs, Method::GET, "http://127.0.0.1/j");
        let error = service.oneshot(request).await.unwrap_err();
        assert_eq!(
            expect_timeout(error),
            (TimeoutKind::Overall, Duration::from_secs(3))
        );
    }
}
