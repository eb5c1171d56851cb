//! The tower layers every request passes through.
//!
//! [`HttpClient`](crate::HttpClient) stacks them in this order, outermost first:
//!
//! 1. [`trace::TraceLayer`]: one `request` span per call with service, method, path, status,
//!    attempt and latency.
//! 2. [`timeout::OverallTimeoutLayer`]: a limit on the whole call, retries and backoff included.
//! 3. [`tower::retry::RetryLayer`] with [`retry::RetryPolicy`]: exponential backoff with full
//!    jitter for idempotent requests, `Retry-After` honoured.
//! 4. [`auth::AuthLayer`]: the bearer token for the deployment's own hosts, and one refresh
//!    after a 401 whose detail reports the token as missing or invalid.
//! 5. [`timeout::AttemptTimeoutLayer`]: a limit on one attempt, body included.
//! 6. [`user_agent::UserAgentLayer`]: `User-Agent: provena-rs/<version>`.
//! 7. [`buffer::BufferLayer`]: reads the body up to the size limit, or passes a successful
//!    streaming download through.
//! 8. [`transport::Transport`]: the connection pool in [`crate::pool`].
//!
//! Requests carry a [`RequestMeta`] extension that the client sets: the layers read the
//! service, path, idempotency and body mode from it.

pub(crate) mod auth;
pub(crate) mod buffer;
pub(crate) mod retry;
pub(crate) mod timeout;
pub(crate) mod trace;
pub(crate) mod transport;
pub(crate) mod user_agent;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use http_body_util::combinators::UnsyncBoxBody;
use tokio::time::Instant;

use crate::decode::ResponseContext;
use crate::error::BoxError;

/// The future every layer returns.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A request as the layers see it: the body is buffered, so it can be sent again.
pub(crate) type HttpRequest = http::Request<Payload>;

/// The body of a request with the metadata the layers read. The metadata travels in the
/// body, not in the extensions, so that building and copying a request allocates nothing
/// for it.
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    /// The bytes sent.
    pub(crate) bytes: Bytes,
    /// The settings of this call.
    pub(crate) meta: Arc<RequestMeta>,
}

/// A response as the layers above [`buffer::BufferLayer`] see it.
pub(crate) type HttpResponse = http::Response<ResponseBody>;

/// The body of a response.
pub(crate) enum ResponseBody {
    /// The whole body, read within the size limit.
    Buffered(Bytes),
    /// A successful streaming download, read by the caller.
    Streaming(UnsyncBoxBody<Bytes, BoxError>),
}

impl ResponseBody {
    /// Returns the buffered bytes, or an empty slice for a stream.
    pub(crate) fn buffered(&self) -> &[u8] {
        match self {
            ResponseBody::Buffered(bytes) => bytes,
            ResponseBody::Streaming(_) => &[],
        }
    }
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseBody::Buffered(bytes) => write!(f, "Buffered({} bytes)", bytes.len()),
            ResponseBody::Streaming(_) => f.write_str("Streaming"),
        }
    }
}

/// Per-request settings that the layers read, carried in the request extensions as an
/// `Arc<RequestMeta>` so that copying a request for a retry stays cheap.
#[derive(Debug)]
pub(crate) struct RequestMeta {
    /// The service, method and path, for spans and errors.
    pub(crate) context: ResponseContext,
    /// Whether the request may be sent more than once.
    pub(crate) idempotent: bool,
    /// The largest body read into memory, in bytes.
    pub(crate) limit: usize,
    /// Whether a successful body is streamed to the caller instead of read into memory.
    pub(crate) streaming: bool,
    /// Set once the token has been refreshed for this call. Retried copies of the request
    /// share the metadata, so one call refreshes at most once.
    pub(crate) refreshed: AtomicBool,
    /// The number of the current attempt, starting at 1. The retry layer raises it before
    /// each retry.
    pub(crate) attempts: AtomicU32,
    /// The end of the whole call and the overall limit, set by the overall timeout layer.
    pub(crate) deadline: OnceLock<(Instant, Duration)>,
    /// The number of running attempts whose timer fires no later than `deadline`. While it
    /// is above zero, the overall timeout layer needs no timer of its own.
    pub(crate) watchers: AtomicUsize,
}

impl RequestMeta {
    /// Returns the request's metadata.
    pub(crate) fn of(request: &HttpRequest) -> Arc<RequestMeta> {
        request.body().meta.clone()
    }

    /// Builds the metadata for a new call.
    pub(crate) fn new(
        context: ResponseContext,
        idempotent: bool,
        limit: usize,
        streaming: bool,
    ) -> RequestMeta {
        RequestMeta {
            context,
            idempotent,
            limit,
            streaming,
            refreshed: AtomicBool::new(false),
            attempts: AtomicU32::new(1),
            deadline: OnceLock::new(),
            watchers: AtomicUsize::new(0),
        }
    }
}

/// Reports whether requests with `method` are idempotent by default.
pub(crate) fn idempotent_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::PUT | Method::DELETE | Method::HEAD | Method::OPTIONS
    )
}

/// Copies a request so it can be sent again. The client sets no extensions, so none are
/// copied.
pub(crate) fn clone_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for testing one layer alone over a scripted inner service.

    use super::*;
    use crate::config::Service;

    /// Builds a request to `uri` with metadata for `service`.
    pub(crate) fn request(service: Service, method: Method, uri: &str) -> HttpRequest {
        let uri: http::Uri = uri.parse().expect("test URI");
        let context = ResponseContext {
            service,
            method: method.clone(),
            path: uri.path().to_owned(),
        };
        let meta = Arc::new(RequestMeta::new(
            context,
            idempotent_method(&method),
            1024,
            false,
        ));
        let mut request = http::Request::new(Payload {
            bytes: Bytes::new(),
            meta,
        });
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        request
    }

    /// Builds a buffered response.
    pub(crate) fn response(status: u16, body: &'static str) -> HttpResponse {
        let mut response =
            http::Response::new(ResponseBody::Buffered(Bytes::from_static(body.as_bytes())));
        *response.status_mut() = http::StatusCode::from_u16(status).expect("test status");
        response
    }
}
