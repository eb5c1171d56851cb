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
//! 8. [`transport::Transport`]: the pooled hyper client.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32};

use bytes::Bytes;
use http::Method;
use http_body_util::combinators::UnsyncBoxBody;

use crate::config::Service;
use crate::decode::ResponseContext;
use crate::error::BoxError;

/// The future every layer returns.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A request as the layers see it: the body is buffered, so it can be sent again.
pub(crate) type HttpRequest = http::Request<Bytes>;

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
#[derive(Debug, Clone)]
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
    /// share it, so one call refreshes at most once.
    pub(crate) refreshed: Arc<AtomicBool>,
    /// The number of the current attempt, starting at 1. The retried copies of the request
    /// share it, and the retry layer raises it before each retry.
    pub(crate) attempts: Arc<AtomicU32>,
}

impl RequestMeta {
    /// The default body limit for requests that arrive without metadata: 64 MiB.
    const FALLBACK_LIMIT: usize = 64 * 1024 * 1024;

    /// Returns the request's metadata. A request built outside the client has none, so the
    /// layers treat it as a buffered request to an external host, idempotent by method.
    pub(crate) fn of(request: &HttpRequest) -> Arc<RequestMeta> {
        if let Some(meta) = request.extensions().get::<Arc<RequestMeta>>() {
            return meta.clone();
        }
        Arc::new(RequestMeta {
            context: ResponseContext {
                service: Service::External,
                method: request.method().clone(),
                path: request.uri().path().to_owned(),
            },
            idempotent: idempotent_method(request.method()),
            limit: Self::FALLBACK_LIMIT,
            streaming: false,
            refreshed: Arc::new(AtomicBool::new(false)),
            attempts: Arc::new(AtomicU32::new(1)),
        })
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
            refreshed: Arc::new(AtomicBool::new(false)),
            attempts: Arc::new(AtomicU32::new(1)),
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

/// Copies a request, extensions included, so it can be sent again.
pub(crate) fn clone_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for testing one layer alone over a scripted inner service.

    use super::*;

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
        let mut request = http::Request::new(Bytes::new());
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        request.extensions_mut().insert(meta);
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
