//! The pooled HTTP client and its request builder.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue,
    TRANSFER_ENCODING,
};
use http::uri::{Authority, Scheme};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;
use url::Url;

use crate::config::{Config, Service};
use crate::decode::{self, ResponseContext};
use crate::error::{Error, TimeoutKind};
use crate::middleware::auth::{Auth, AuthLayer};
use crate::middleware::buffer::{Buffer, BufferLayer};
use crate::middleware::retry::{RetryPolicy, retry_after};
use crate::middleware::timeout::{
    AttemptTimeout, AttemptTimeoutLayer, OverallTimeout, OverallTimeoutLayer,
};
use crate::middleware::trace::{Trace, TraceLayer};
use crate::middleware::transport::{Connector, Transport, transport_error};
use crate::middleware::user_agent::{UserAgent, UserAgentLayer};
use crate::middleware::{HttpRequest, Payload, RequestMeta, ResponseBody, idempotent_method};
use crate::pool::Pool;
use crate::request::{Multipart, Operation, Query};
use crate::token::{Anonymous, TokenProvider};

/// The `User-Agent` header when the configuration adds no suffix.
const DEFAULT_USER_AGENT: &str = concat!("provena-rs/", env!("CARGO_PKG_VERSION"));

/// How long an idle connection stays in the pool.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The composed middleware stack, from the trace layer down to the transport. It is a
/// concrete type, so that a call's future is one value with no allocation per layer.
type Stack = Trace<
    OverallTimeout<
        tower::retry::Retry<RetryPolicy, Auth<AttemptTimeout<UserAgent<Buffer<Transport>>>>>,
    >,
>;

/// The HTTP client every service crate sends its requests through.
///
/// It contains one connection pool (HTTP/1.1 and HTTP/2 by ALPN, keep-alive, rustls), the
/// deployment's endpoints and the token provider. Cloning is cheap and shares all of them,
/// so build one and hand clones to every service client.
///
/// Each request passes through a stack of tower layers: a tracing span, the overall timeout,
/// retries, the bearer token, the per-attempt timeout, the `User-Agent` header, and body
/// reading with the size limit. See the crate documentation for what each one does.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    user_agent: HeaderValue,
    transport: Transport,
    tokens: Arc<dyn TokenProvider>,
    stack: Stack,
    /// The base URL of each service in [`Service::API_SERVICES`], in the same order.
    bases: [Option<BaseParts>; 7],
    /// The issuer's base URL.
    issuer: Option<BaseParts>,
}

impl Inner {
    /// Returns the parsed base URL of `service`.
    fn base_parts(&self, service: Service) -> Option<&BaseParts> {
        if service == Service::Issuer {
            return self.issuer.as_ref();
        }
        let index = Service::API_SERVICES
            .iter()
            .position(|known| *known == service)?;
        self.bases.get(index)?.as_ref()
    }
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("endpoints", &self.inner.config.endpoints)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// Builds a client for `config` that signs requests with tokens from `tokens`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the TLS setup fails, such as when the native certificate store
    /// is requested but cannot be read, or when the `User-Agent` suffix is not a valid header
    /// value.
    pub fn new(config: Config, tokens: Arc<dyn TokenProvider>) -> Result<Self, Error> {
        let user_agent = if config.user_agent == DEFAULT_USER_AGENT {
            // A static value is shared by every request without a reference count.
            Ok(HeaderValue::from_static(DEFAULT_USER_AGENT))
        } else {
            HeaderValue::from_str(&config.user_agent)
        };
        let user_agent = user_agent.map_err(|_| {
            Error::config(
                "user_agent_suffix",
                config.user_agent.clone(),
                "use only visible ASCII characters and spaces",
            )
        })?;
        let connector = connector(&config)?;
        let pool = Pool::new(
            connector,
            POOL_IDLE_TIMEOUT,
            config.timeouts.connect,
            http2_ping_after(config.timeouts.attempt),
        );
        let transport = Transport::new(pool, config.timeouts.connect);
        Ok(Self::assemble(config, user_agent, transport, tokens))
    }

    /// Builds the middleware stack over `transport` and wraps it in a client.
    fn assemble(
        config: Config,
        user_agent: HeaderValue,
        transport: Transport,
        tokens: Arc<dyn TokenProvider>,
    ) -> Self {
        let parts = |service| config.endpoints.url(service).and_then(BaseParts::of);
        let bases = Service::API_SERVICES.map(parts);
        let issuer = parts(Service::Issuer);
        let stack = tower::ServiceBuilder::new()
            .layer(TraceLayer)
            .layer(OverallTimeoutLayer::new(config.timeouts.overall))
            .layer(tower::retry::RetryLayer::new(RetryPolicy::new(
                config.retry,
            )))
            .layer(AuthLayer::new(tokens.clone(), &config.endpoints))
            .layer(AttemptTimeoutLayer::new(config.timeouts.attempt))
            .layer(UserAgentLayer::new(user_agent.clone()))
            .layer(BufferLayer)
            .service(transport.clone());
        Self {
            inner: Arc::new(Inner {
                config,
                user_agent,
                transport,
                tokens,
                stack,
                bases,
                issuer,
            }),
        }
    }

    /// Builds a client that sends no bearer token, for the issuer or for tests.
    ///
    /// # Errors
    ///
    /// As [`HttpClient::new`].
    pub fn anonymous(config: Config) -> Result<Self, Error> {
        Self::new(config, Arc::new(Anonymous))
    }

    /// Returns a client sharing this one's pool and settings, with another token provider.
    pub fn with_tokens(&self, tokens: Arc<dyn TokenProvider>) -> Self {
        let config = self.inner.config.clone();
        let user_agent = self.inner.user_agent.clone();
        let transport = self.inner.transport.clone();
        Self::assemble(config, user_agent, transport, tokens)
    }

    /// Returns the configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Returns the token provider.
    pub fn tokens(&self) -> &Arc<dyn TokenProvider> {
        &self.inner.tokens
    }

    /// Starts a request for `operation`.
    pub fn call(&self, operation: &Operation) -> RequestBuilder {
        let path = Cow::Borrowed(operation.path);
        let mut builder = self.service_request(operation.service, operation.method.clone(), path);
        builder.idempotent = operation.idempotent;
        builder
    }

    /// Starts a request to `path` below the base URL of `service`.
    pub fn request(&self, service: Service, method: Method, path: &str) -> RequestBuilder {
        self.service_request(service, method, Cow::Owned(path.to_owned()))
    }

    fn service_request(
        &self,
        service: Service,
        method: Method,
        path: Cow<'static, str>,
    ) -> RequestBuilder {
        let target = match self.inner.config.endpoints.url(service) {
            Some(_) => Target::Service { path },
            None => Target::Invalid(Error::config(
                "service",
                service.name(),
                "external hosts have no base URL; use `HttpClient::request_url`",
            )),
        };
        RequestBuilder::new(self.clone(), service, method, target)
    }

    /// Starts a request to a full URL outside the deployment, such as a presigned S3 URL. It
    /// never carries the bearer token.
    pub fn request_url(&self, method: Method, url: Url) -> RequestBuilder {
        RequestBuilder::new(self.clone(), Service::External, method, Target::Url(url))
    }

    /// Sends an already built request without a bearer token and returns the whole
    /// response, whatever its status. Used by the sign-in crate for the issuer's endpoints. Redirects
    /// are not followed.
    ///
    /// The request passes through the same layers as any other: timeouts, retries (GET and
    /// HEAD only, plus connections that failed to open), the user agent, the span and the
    /// size limit. Any `Authorization` header on it is removed.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Transport`] or [`Error::TooLarge`].
    pub async fn send_raw(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        let context = ResponseContext {
            service: Service::Issuer,
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
        };
        let idempotent = idempotent_method(request.method());
        let meta = RequestMeta::new(
            context,
            idempotent,
            self.inner.config.max_response_bytes,
            false,
        );
        let request = request.map(|bytes| Payload {
            bytes,
            meta: Arc::new(meta),
        });
        let response = self.inner.stack.clone().oneshot(request).await?;
        let (parts, body) = response.into_parts();
        let body = match body {
            ResponseBody::Buffered(bytes) => bytes,
            ResponseBody::Streaming(_) => Bytes::new(),
        };
        Ok(http::Response::from_parts(parts, body))
    }
}

/// Returns the silence after which an HTTP/2 connection with open streams is pinged: a
/// quarter of the attempt timeout, between 50 ms and 30 s. A connection whose ping is not
/// acknowledged within the same time is closed, so a silent connection is found within half
/// an attempt and the retry opens a new one.
fn http2_ping_after(attempt: Duration) -> Duration {
    (attempt / 4).clamp(Duration::from_millis(50), Duration::from_secs(30))
}

/// Builds the TLS connector with the chosen root certificates and the connect timeout.
fn connector(config: &Config) -> Result<Connector, Error> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.timeouts.connect));
    http.set_nodelay(true);
    let tls = crate::tls::client_config(config)?;
    let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
    Ok(builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http))
}

enum Target {
    /// A path below the base URL of the request's service.
    Service {
        path: Cow<'static, str>,
    },
    Url(Url),
    Invalid(Error),
}

/// A request being built. Finish it with one of the `send` methods.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    client: HttpClient,
    service: Service,
    method: Method,
    target: Target,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
    idempotent: bool,
    error: Option<Error>,
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder {
    fn new(client: HttpClient, service: Service, method: Method, target: Target) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        Self {
            client,
            service,
            method,
            target,
            query: Query::default(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            idempotent,
            error: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push(key, value);
        self
    }

    /// Adds a query parameter when `value` is `Some`.
    pub fn query_opt<T: ToString>(mut self, key: &str, value: Option<T>) -> Self {
        if let Some(value) = value {
            self.query.push(key, value);
        }
        self
    }

    /// Adds every field of `params` as a query parameter; see [`Query::extend_from`].
    pub fn query_struct<T: Serialize + ?Sized>(mut self, params: &T) -> Self {
        if let Err(error) = self.query.extend_from(params) {
            self.error.get_or_insert(error);
        }
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => {
                self.body = Bytes::from(bytes);
                self.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Err(err) => {
                self.error.get_or_insert(Error::config(
                    "request body",
                    std::any::type_name::<T>(),
                    format!("cannot be serialized to JSON: {err}"),
                ));
            }
        }
        self
    }

    /// Sets a `multipart/form-data` body.
    pub fn multipart(mut self, form: Multipart) -> Self {
        match HeaderValue::from_str(&form.content_type()) {
            Ok(value) => {
                self.headers.insert(CONTENT_TYPE, value);
                self.body = form.into_bytes();
            }
            Err(_) => {
                self.error.get_or_insert(Error::config(
                    "multipart boundary",
                    form.content_type(),
                    "not a valid header value",
                ));
            }
        }
        self
    }

    /// Sets a raw body with its content type.
    pub fn body(mut self, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.body = body.into();
        self
    }

    /// Adds a header. The client sets `Authorization`, `Host`, `Content-Length` and
    /// `Transfer-Encoding` itself, so setting one of them here fails the request with
    /// [`Error::Config`].
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        let fix = if name == AUTHORIZATION {
            Some("the client sets Authorization from its token provider")
        } else if name == HOST {
            Some("the client sets Host from the request URL; change the base URL instead")
        } else if name == CONTENT_LENGTH || name == TRANSFER_ENCODING {
            Some("the client sets the body framing from the body; remove this header")
        } else {
            None
        };
        match fix {
            Some(fix) => {
                self.error
                    .get_or_insert(Error::config("header", name.as_str(), fix));
            }
            None => {
                self.headers.insert(name, value);
            }
        }
        self
    }

    /// Marks the request as safe (or unsafe) to send more than once, overriding the default
    /// taken from the method.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Sends the request and returns the response, whatever its status.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Transport`], [`Error::TooLarge`], [`Error::SignIn`], or
    /// [`Error::Config`] when the request could not be built.
    pub async fn send(self) -> Result<Response, Error> {
        let client = self.client.clone();
        let request = self.prepare(false)?;
        let context = RequestMeta::of(&request).context.clone();
        let response = client.inner.stack.clone().oneshot(request).await?;
        let (parts, body) = response.into_parts();
        let body = match body {
            ResponseBody::Buffered(bytes) => bytes,
            // The buffer layer streams only requests prepared for streaming.
            ResponseBody::Streaming(stream) => {
                let limit = client.inner.config.max_response_bytes;
                read_limited(&context, stream, limit).await?
            }
        };
        Ok(Response {
            context,
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Sends the request, fails on a non-2xx status, and decodes the JSON body into `T`.
    ///
    /// A 2xx body with Provena's `status.success = false` becomes [`Error::Unsuccessful`].
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus the status errors and [`Error::Decode`].
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T, Error> {
        self.send().await?.error_for_status()?.json_checked()
    }

    /// As [`send_json`](Self::send_json), but returns the body even when `status.success` is
    /// `false`, for operations whose callers inspect it.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus the status errors and [`Error::Decode`].
    pub async fn send_json_unchecked<T: DeserializeOwned>(self) -> Result<T, Error> {
        self.send().await?.error_for_status()?.json()
    }

    /// Sends the request, fails on a non-2xx status, and returns the body bytes.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus the status errors.
    pub async fn send_bytes(self) -> Result<Bytes, Error> {
        Ok(self.send().await?.error_for_status()?.body)
    }

    /// Sends the request, fails on a non-2xx status, and streams the body without a size
    /// limit, for large downloads.
    ///
    /// Retries apply until the response head arrives, and a stream that breaks later is
    /// not resumed. The per-attempt timeout covers the wait for the head and then each wait for
    /// the next chunk, so a stalled download fails instead of hanging.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus the status errors. Each stream item may be an
    /// [`Error::Transport`] when the connection breaks, or an [`Error::Timeout`] when no
    /// data arrives within the attempt timeout.
    pub async fn send_stream(
        self,
    ) -> Result<impl Stream<Item = Result<Bytes, Error>> + Send + 'static, Error> {
        let client = self.client.clone();
        let request = self.prepare(true)?;
        let context = RequestMeta::of(&request).context.clone();
        let response = client.inner.stack.clone().oneshot(request).await?;
        let (parts, body) = response.into_parts();
        let stream = match body {
            ResponseBody::Streaming(stream) => stream,
            ResponseBody::Buffered(bytes) => {
                if !parts.status.is_success() {
                    return Err(Error::from_response(
                        context.service,
                        context.method,
                        &context.path,
                        parts.status,
                        bytes,
                        retry_after(&parts.headers),
                    ));
                }
                Full::new(bytes)
                    .map_err(|never| match never {})
                    .boxed_unsync()
            }
        };
        let idle = client.inner.config.timeouts.attempt;
        Ok(chunks(context, stream, idle))
    }

    /// Checks the builder and turns it into a request with the metadata the layers read.
    fn prepare(self, streaming: bool) -> Result<HttpRequest, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }

        let (uri, path) = match self.target {
            Target::Invalid(error) => return Err(error),
            Target::Service { path } => {
                let endpoints = &self.client.inner.config.endpoints;
                let Some(base) = endpoints.url(self.service) else {
                    return Err(Error::config(
                        "service",
                        self.service.name(),
                        "external hosts have no base URL; use `HttpClient::request_url`",
                    ));
                };
                let parts = self.client.inner.base_parts(self.service);
                service_uri(base, parts, &path, &self.query)?
            }
            Target::Url(url) => full_uri(url, &self.query)?,
        };
        let context = ResponseContext {
            service: self.service,
            method: self.method.clone(),
            path,
        };

        let limit = self.client.inner.config.max_response_bytes;
        let meta = RequestMeta::new(context, self.idempotent, limit, streaming);
        let mut request = http::Request::new(Payload {
            bytes: self.body,
            meta: Arc::new(meta),
        });
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        Ok(request)
    }
}

/// A service's base URL taken apart once, so that each request parses only its own path.
struct BaseParts {
    scheme: Scheme,
    authority: Authority,
    /// The base path without its trailing slash.
    path: String,
}

impl BaseParts {
    /// Takes `url` apart, or returns `None` when `http` cannot represent its scheme or
    /// authority. Requests to such a URL take the slower path through [`Url`].
    fn of(url: &Url) -> Option<BaseParts> {
        Some(BaseParts {
            scheme: Scheme::try_from(url.scheme()).ok()?,
            authority: Authority::try_from(url.authority()).ok()?,
            path: url.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// Builds the URI of a request to `path` below the service base URL `base`, and returns it
/// with the request's path for spans and errors.
///
/// A path made only of characters that need no escaping is appended as it is. Any other path
/// goes through [`Url::set_path`], which escapes it and resolves dot segments.
fn service_uri(
    base: &Url,
    parts: Option<&BaseParts>,
    path: &str,
    query: &Query,
) -> Result<(http::Uri, String), Error> {
    // Without the slash the path would run into the base path: `/registry` + `items`.
    if !path.is_empty() && !path.starts_with('/') {
        return Err(Error::config(
            "path",
            path,
            "start the path with `/`, as in `/items/list`",
        ));
    }
    let Some(parts) = parts.filter(|_| is_plain_path(path)) else {
        let base_path = base.path().trim_end_matches('/');
        let mut url = base.clone();
        url.set_path(&format!("{base_path}{path}"));
        return full_uri(url, query);
    };
    let mut full_path = String::with_capacity(parts.path.len() + path.len());
    full_path.push_str(&parts.path);
    full_path.push_str(path);
    let target = match query.encode() {
        Some(encoded) => format!("{full_path}?{encoded}"),
        None => full_path.clone(),
    };
    let invalid = |err: http::Error| {
        Error::config(
            "url",
            full_path.clone(),
            format!("not a valid request URI ({err}); check the base URL and path"),
        )
    };
    let uri = http::Uri::builder()
        .scheme(parts.scheme.clone())
        .authority(parts.authority.clone())
        .path_and_query(target)
        .build()
        .map_err(invalid)?;
    Ok((uri, full_path))
}

/// Builds the URI of a request to a full URL. The URL keeps its own query (a presigned URL's
/// signature lives there), and builder parameters are appended after it.
fn full_uri(mut url: Url, query: &Query) -> Result<(http::Uri, String), Error> {
    if let Some(added) = query.encode() {
        let query = match url.query() {
            Some(existing) if !existing.is_empty() => format!("{existing}&{added}"),
            _ => added,
        };
        url.set_query(Some(&query));
    }
    let path = url.path().to_owned();
    let uri = parse_uri(String::from(url), &path)?;
    Ok((uri, path))
}

fn parse_uri(text: String, path: &str) -> Result<http::Uri, Error> {
    http::Uri::try_from(text).map_err(|err| {
        Error::config(
            "url",
            path.to_owned(),
            format!("not a valid request URI ({err}); check the base URL and path"),
        )
    })
}

/// Reports whether `path` starts with `/`, has no dot segments, and holds only characters
/// that a URI path carries unescaped.
fn is_plain_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("/.")
        && path.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b'/' | b'-'
                        | b'.'
                        | b'_'
                        | b'~'
                        | b'!'
                        | b'$'
                        | b'&'
                        | b'\''
                        | b'('
                        | b')'
                        | b'*'
                        | b'+'
                        | b','
                        | b';'
                        | b'='
                        | b':'
                        | b'@'
                )
        })
}

/// Reads a streamed body into memory, up to `limit` bytes.
async fn read_limited(
    context: &ResponseContext,
    mut stream: http_body_util::combinators::UnsyncBoxBody<Bytes, crate::error::BoxError>,
    limit: usize,
) -> Result<Bytes, Error> {
    // The frames are read one by one rather than through `Limited::collect`, whose future
    // over a boxed error type is not `Send` and would make every request future `!Send`.
    let mut collected = bytes::BytesMut::new();
    while let Some(frame) = stream.frame().await {
        let frame = frame.map_err(|err| transport_error(context, false, err))?;
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > limit {
                return Err(Error::TooLarge {
                    service: context.service,
                    method: context.method.clone(),
                    path: context.path.clone(),
                    limit,
                });
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(collected.freeze())
}

/// Turns a streamed body into a stream of data chunks. Each chunk must arrive within `idle`.
fn chunks(
    context: ResponseContext,
    body: http_body_util::combinators::UnsyncBoxBody<Bytes, crate::error::BoxError>,
    idle: Duration,
) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
    futures::stream::unfold(Some(body), move |state| {
        let context = context.clone();
        async move {
            let mut body = state?;
            loop {
                let frame = match tokio::time::timeout(idle, body.frame()).await {
                    Err(_) => {
                        let error = Error::Timeout {
                            service: context.service,
                            method: context.method.clone(),
                            path: context.path.clone(),
                            kind: TimeoutKind::Attempt,
                            after: idle,
                        };
                        return Some((Err(error), None));
                    }
                    Ok(None) => return None,
                    Ok(Some(Err(err))) => {
                        return Some((Err(transport_error(&context, false, err)), None));
                    }
                    Ok(Some(Ok(frame))) => frame,
                };
                // Trailers carry no data; skip them.
                if let Ok(data) = frame.into_data() {
                    return Some((Ok(data), Some(body)));
                }
            }
        }
    })
}

/// A whole response from a service.
#[derive(Debug, Clone)]
pub struct Response {
    context: ResponseContext,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Response {
    /// Returns the status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Returns the headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Returns the body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Returns the body, consuming the response.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// Turns a non-2xx answer into the matching [`Error`].
    ///
    /// # Errors
    ///
    /// The status error for a non-2xx status.
    pub fn error_for_status(self) -> Result<Self, Error> {
        if self.status.is_success() {
            return Ok(self);
        }
        Err(Error::from_response(
            self.context.service,
            self.context.method,
            &self.context.path,
            self.status,
            self.body,
            retry_after(&self.headers),
        ))
    }

    /// Decodes the body as JSON.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] naming the JSON path that failed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        decode::decode_json(&self.context, &self.body)
    }

    /// Decodes the body as JSON after checking Provena's status wrapper.
    ///
    /// # Errors
    ///
    /// [`Error::Unsuccessful`] when `status.success` is `false`, else as [`Response::json`].
    pub fn json_checked<T: DeserializeOwned>(&self) -> Result<T, Error> {
        if let Some(details) = decode::unsuccessful_details(&self.body) {
            return Err(Error::Unsuccessful(Box::new(crate::error::ApiError {
                service: self.context.service,
                method: self.context.method.clone(),
                path: self.context.path.clone(),
                status: self.status,
                detail: details,
                body: self.body.clone(),
            })));
        }
        self.json()
    }

    /// Returns the body as UTF-8 text.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] when the body is not UTF-8.
    pub fn text(&self) -> Result<String, Error> {
        String::from_utf8(self.body.to_vec()).map_err(|err| Error::Decode {
            service: self.context.service,
            method: self.context.method.clone(),
            path: self.context.path.clone(),
            json_path: String::from("."),
            message: format!("body is not UTF-8: {err}"),
            snippet: decode::snippet(&self.body),
        })
    }
}
