//! One tracing span per request.

use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

use super::{BoxFuture, HttpRequest, HttpResponse, RequestMeta};
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
    S: Service<HttpRequest, Response = HttpResponse, Error = Error> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = HttpResponse;
    type Error = Error;
    type Future = BoxFuture<Result<HttpResponse, Error>>;

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
        let inner = self.inner.clone();
        let started = Instant::now();
        let call = async move {
            let result = inner.oneshot(request).await;
            let span = tracing::Span::current();
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            span.record("latency_ms", latency_ms);
            span.record("attempt", meta.attempts.load(Ordering::SeqCst));
            match &result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    tracing::debug!(target: "provena_http", "response received");
                }
                Err(error) => {
                    if let Some(status) = error.status() {
                        span.record("status", status.as_u16());
                    }
                    tracing::debug!(
                        target: "provena_http",
                        error = %display_chain(error),
                        "request failed"
                    );
                }
            }
            result
        };
        Box::pin(call.instrument(span))
    }
}
