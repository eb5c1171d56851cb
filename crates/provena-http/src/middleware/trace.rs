//! One tracing span per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use tower::{Layer, Service};

use super::{HttpRequest, HttpResponse, RequestMeta};
use crate::error::{Error, display_chain};

/// Adds [`Trace`] to a stack.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TraceLayer;

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace { inner }
    }
}

/// Wraps each call in a `request` span at debug level, target `provena_http`.
///
/// The span records the service, method, path, final status, the number of the last attempt
/// and the latency in milliseconds. It never records headers, the query string or the body,
/// because those can carry tokens and identifiers.
#[derive(Debug, Clone)]
pub(crate) struct Trace<S> {
    inner: S,
}

impl<S> Service<HttpRequest> for Trace<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = Error>,
{
    type Response = HttpResponse;
    type Error = Error;
    type Future = TraceFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        let context = &meta.context;
        let span = tracing::debug_span!(
            target: "provena_http",
            "request",
            service = %context.service,
            method = %context.method,
            path = %context.path,
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // With no subscriber that records the span, the clock is not read.
        let started = (!span.is_disabled()).then(Instant::now);
        let inner = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        TraceFuture {
            inner,
            span,
            meta,
            started,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Trace`]: the inner call, polled inside the request span.
    pub(crate) struct TraceFuture<F> {
        #[pin]
        inner: F,
        span: tracing::Span,
        meta: Arc<RequestMeta>,
        started: Option<Instant>,
    }
}

impl<F> Future for TraceFuture<F>
where
    F: Future<Output = Result<HttpResponse, Error>>,
{
    type Output = Result<HttpResponse, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = ready!(this.inner.poll(cx));
        if let Some(started) = this.started {
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            this.span.record("latency_ms", latency_ms);
            this.span
                .record("attempt", this.meta.attempts.load(Ordering::SeqCst));
        }
        match &result {
            Ok(response) => {
                this.span.record("status", response.status().as_u16());
                tracing::debug!(target: "provena_http", "response received");
            }
            Err(error) => {
                if let Some(status) = error.status() {
                    this.span.record("status", status.as_u16());
                }
                tracing::debug!(
                    target: "provena_http",
                    error = %display_chain(error),
                    "request failed"
                );
            }
        }
        Poll::Ready(result)
    }
}
