//! The pooled HTTP client and its request builder.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::Stream;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::config::{Config, RootCertificates, Service};
use crate::decode::{self, ResponseContext};
use crate::error::{BoxError, Error, TimeoutKind};
use crate::request::{Multipart, Operation, Query};
use crate::token::{Anonymous, Secret, TokenProvider};

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The HTTP client every service crate sends its requests through.
///
/// It holds one connection pool (HTTP/1.1 and HTTP/2 by ALPN, keep-alive, rustls), the
/// deployment's endpoints and the token provider. Cloning is cheap and shares all of them,
/// so build one and hand clones to every service client.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    client: Client<Connector, Full<Bytes>>,
    tokens: Arc<dyn TokenProvider>,
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
    /// is requested but cannot be read.
    pub fn new(config: Config, tokens: Arc<dyn TokenProvider>) -> Result<Self, Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.timeouts.connect));
        http.set_nodelay(true);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = match config.roots {
            RootCertificates::Webpki => {
                #[cfg(feature = "webpki-roots")]
                {
                    builder.with_provider_and_webpki_roots(provider).map_err(|err| {
                        Error::config("tls", "webpki roots", format!("TLS setup failed: {err}"))
                    })?
                }
                #[cfg(not(feature = "webpki-roots"))]
                {
                    let _ = (builder, provider);
                    return Err(Error::config(
                        "root_certificates",
                        "webpki",
                        "enable the `webpki-roots` feature of provena-http, or choose native roots",
                    ));
                }
            }
            RootCertificates::Native => {
                #[cfg(feature = "native-roots")]
                {
                    builder.with_provider_and_native_roots(provider).map_err(|err| {
                        Error::config("tls", "native roots", format!("TLS setup failed: {err}"))
                    })?
                }
                #[cfg(not(feature = "native-roots"))]
                {
                    let _ = (builder, provider);
                    return Err(Error::config(
                        "root_certificates",
                        "native",
                        "enable the `native-roots` feature of provena-http",
                    ));
                }
            }
        };
        let connector = builder
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                client,
                tokens,
            }),
        })
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
        Self {
            inner: Arc::new(Inner {
                config: self.inner.config.clone(),
                client: self.inner.client.clone(),
                tokens,
            }),
        }
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
        let mut builder = self.request(operation.service, operation.method.clone(), operation.path);
        builder.idempotent = operation.idempotent;
        builder
    }

    /// Starts a request to `path` below the base URL of `service`.
    pub fn request(&self, service: Service, method: Method, path: &str) -> RequestBuilder {
        let target = match self.inner.config.endpoints.url(service) {
            Some(base) => Target::Service {
                base: base.clone(),
                path: path.to_owned(),
            },
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

    /// Sends an already built request without a bearer token and returns the whole answer,
    /// whatever its status. Used by the sign-in crate for the issuer's endpoints. Redirects
    /// are not followed.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Transport`] or [`Error::TooLarge`].
    pub async fn send_raw(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let context = ResponseContext {
            service: Service::Issuer,
            method: parts.method.clone(),
            path,
        };
        let mut request = http::Request::from_parts(parts, Full::new(body));
        self.set_user_agent(request.headers_mut());
        let limit = self.inner.config.max_response_bytes;
        let attempt = self.inner.config.timeouts.attempt;
        let sent = tokio::time::timeout(attempt, self.exchange(&context, request, limit)).await;
        let (status, headers, body) = match sent {
            Ok(result) => result?,
            Err(_) => {
                return Err(Error::Timeout {
                    service: context.service,
                    method: context.method,
                    path: context.path,
                    kind: TimeoutKind::Attempt,
                    after: attempt,
                });
            }
        };
        let mut response = http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }

    fn set_user_agent(&self, headers: &mut HeaderMap) {
        if let Ok(value) = HeaderValue::from_str(&self.inner.config.user_agent) {
            headers.insert(USER_AGENT, value);
        }
    }

    /// Sends one attempt and reads the whole body, up to `limit` bytes.
    async fn exchange(
        &self,
        context: &ResponseContext,
        request: http::Request<Full<Bytes>>,
        limit: usize,
    ) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
        let response = self
            .inner
            .client
            .request(request)
            .await
            .map_err(|err| transport_error(context, err.is_connect(), Box::new(err)))?;
        let (parts, body) = response.into_parts();
        let collected = Limited::new(body, limit).collect().await.map_err(|err| {
            if err.is::<http_body_util::LengthLimitError>() {
                Error::TooLarge {
                    service: context.service,
                    method: context.method.clone(),
                    path: context.path.clone(),
                    limit,
                }
            } else {
                transport_error(context, false, err)
            }
        })?;
        Ok((parts.status, parts.headers, collected.to_bytes()))
    }
}

fn transport_error(context: &ResponseContext, before_send: bool, source: BoxError) -> Error {
    Error::Transport {
        service: context.service,
        method: context.method.clone(),
        path: context.path.clone(),
        before_send,
        source,
    }
}

enum Target {
    Service { base: Url, path: String },
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
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE | Method::HEAD);
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

    /// Adds a header. `Authorization` is set by the client and cannot be set here.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        if name == AUTHORIZATION {
            self.error.get_or_insert(Error::config(
                "header",
                "authorization",
                "the client sets Authorization from its token provider",
            ));
        } else {
            self.headers.insert(name, value);
        }
        self
    }

    /// Marks the request as safe (or unsafe) to send more than once, overriding the default
    /// taken from the method.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Sends the request and returns the answer, whatever its status.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Transport`], [`Error::TooLarge`], [`Error::SignIn`], or
    /// [`Error::Config`] when the request could not be built.
    pub async fn send(self) -> Result<Response, Error> {
        let prepared = self.prepare()?;
        prepared.execute().await
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
    /// limit, for large downloads. Only the request itself is retried, never a broken stream.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus the status errors. Each stream item may be an
    /// [`Error::Transport`] when the connection breaks.
    pub async fn send_stream(
        self,
    ) -> Result<impl Stream<Item = Result<Bytes, Error>> + Send + 'static, Error> {
        let prepared = self.prepare()?;
        prepared.execute_stream().await
    }

    fn prepare(self) -> Result<Prepared, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut url = match self.target {
            Target::Invalid(error) => return Err(error),
            Target::Url(url) => url,
            Target::Service { base, path } => {
                let mut url = base;
                let joined = format!("{}{}", url.path().trim_end_matches('/'), path);
                url.set_path(&joined);
                url
            }
        };
        url.set_query(self.query.encode().as_deref());
        let context = ResponseContext {
            service: self.service,
            method: self.method.clone(),
            path: url.path().to_owned(),
        };
        let carries_token = self.service.carries_token()
            && self
                .client
                .inner
                .config
                .endpoints
                .service_for(&url)
                .is_some_and(Service::carries_token);
        Ok(Prepared {
            client: self.client,
            context,
            url,
            headers: self.headers,
            body: self.body,
            idempotent: self.idempotent,
            carries_token,
        })
    }
}

struct Prepared {
    client: HttpClient,
    context: ResponseContext,
    url: Url,
    headers: HeaderMap,
    body: Bytes,
    idempotent: bool,
    carries_token: bool,
}

/// Token-related 401 details: a refresh may fix these, and no other 401.
const REFRESHABLE_DETAILS: [&str; 2] = ["Not authenticated", "Could not validate credentials"];

impl Prepared {
    fn build(&self, token: Option<&Secret>) -> Result<http::Request<Full<Bytes>>, Error> {
        let mut request = http::Request::builder()
            .method(self.context.method.clone())
            .uri(self.url.as_str())
            .body(Full::new(self.body.clone()))
            .map_err(|err| {
                Error::config("url", self.context.path.clone(), format!("invalid request: {err}"))
            })?;
        *request.headers_mut() = self.headers.clone();
        self.client.set_user_agent(request.headers_mut());
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| {
                    Error::sign_in("the access token contains characters not allowed in a header")
                })?;
            value.set_sensitive(true);
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        Ok(request)
    }

    async fn token(&self) -> Result<Option<Secret>, Error> {
        if self.carries_token {
            Ok(Some(self.client.inner.tokens.access_token().await?))
        } else {
            Ok(None)
        }
    }

    async fn execute(self) -> Result<Response, Error> {
        let overall = self.client.inner.config.timeouts.overall;
        let span = tracing::debug_span!(
            target: "provena_http",
            "request",
            service = %self.context.service,
            method = %self.context.method,
            path = %self.context.path,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let context = self.context.clone();
        let result = tokio::time::timeout(overall, self.attempts(&span))
            .instrument(span.clone())
            .await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        match result {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                service: context.service,
                method: context.method,
                path: context.path,
                kind: TimeoutKind::Overall,
                after: overall,
            }),
        }
    }

    async fn attempts(&self, span: &tracing::Span) -> Result<Response, Error> {
        let config = &self.client.inner.config;
        let policy = config.retry;
        let mut token = self.token().await?;
        let mut refreshed = false;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            span.record("attempts", attempt);
            let request = self.build(token.as_ref())?;
            let outcome = tokio::time::timeout(
                config.timeouts.attempt,
                self.client
                    .exchange(&self.context, request, config.max_response_bytes),
            )
            .await
            .unwrap_or_else(|_| {
                Err(Error::Timeout {
                    service: self.context.service,
                    method: self.context.method.clone(),
                    path: self.context.path.clone(),
                    kind: TimeoutKind::Attempt,
                    after: config.timeouts.attempt,
                })
            });
            let can_retry = attempt < policy.max_attempts;
            match outcome {
                Ok((status, headers, body)) => {
                    span.record("status", status.as_u16());
                    if status == StatusCode::UNAUTHORIZED && !refreshed {
                        if let Some(rejected) = token.as_ref() {
                            let (detail, _) = decode::parse_detail(&body);
                            if REFRESHABLE_DETAILS.iter().any(|known| detail == *known) {
                                tracing::debug!(
                                    target: "provena_http",
                                    attempt,
                                    "token rejected, refreshing once"
                                );
                                refreshed = true;
                                token = Some(self.client.inner.tokens.refresh(rejected).await?);
                                attempt -= 1;
                                continue;
                            }
                        }
                    }
                    let retryable_status = matches!(status.as_u16(), 429 | 502 | 503 | 504);
                    if retryable_status && self.idempotent && can_retry {
                        let hint = retry_after(&headers);
                        let delay = backoff(&policy, attempt, hint);
                        tracing::debug!(
                            target: "provena_http",
                            attempt,
                            status = status.as_u16(),
                            delay_ms = delay.as_millis() as u64,
                            "retrying after status"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Ok(Response {
                        context: self.context.clone(),
                        status,
                        headers,
                        body,
                    });
                }
                Err(error) => {
                    let before_send =
                        matches!(&error, Error::Transport { before_send: true, .. });
                    let transient = matches!(
                        &error,
                        Error::Transport { .. } | Error::Timeout { .. }
                    );
                    if transient && (self.idempotent || before_send) && can_retry {
                        let delay = backoff(&policy, attempt, None);
                        tracing::debug!(
                            target: "provena_http",
                            attempt,
                            error = %error,
                            delay_ms = delay.as_millis() as u64,
                            "retrying after failure"
                        );
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(error);
                }
            }
        }
    }

    async fn execute_stream(
        self,
    ) -> Result<impl Stream<Item = Result<Bytes, Error>> + Send + 'static, Error> {
        use futures::TryStreamExt;

        let token = self.token().await?;
        let request = self.build(token.as_ref())?;
        let attempt = self.client.inner.config.timeouts.attempt;
        let context = self.context.clone();
        let response = tokio::time::timeout(attempt, self.client.inner.client.request(request))
            .await
            .map_err(|_| Error::Timeout {
                service: context.service,
                method: context.method.clone(),
                path: context.path.clone(),
                kind: TimeoutKind::Attempt,
                after: attempt,
            })?
            .map_err(|err| transport_error(&context, err.is_connect(), Box::new(err)))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let limit = self.client.inner.config.max_response_bytes;
            let body = Limited::new(response.into_body(), limit)
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            return Err(Error::from_response(
                context.service,
                context.method,
                &context.path,
                status,
                body,
                retry_after(&headers),
            ));
        }
        let stream = http_body_util::BodyDataStream::new(response.into_body())
            .map_err(move |err| transport_error(&context, false, Box::new(err)));
        Ok(stream)
    }
}

/// Reads `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Computes the delay before the retry that follows attempt `attempt` (1-based): full jitter
/// over an exponentially growing cap, or the server's hint capped at `max_backoff`.
fn backoff(policy: &crate::config::RetryPolicy, attempt: u32, hint: Option<Duration>) -> Duration {
    if let Some(hint) = hint {
        return hint.min(policy.max_backoff);
    }
    let exponent = attempt.saturating_sub(1).min(20);
    let cap = policy
        .initial_backoff
        .saturating_mul(1 << exponent)
        .min(policy.max_backoff);
    let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::random_range(0..=cap_nanos))
}

/// A whole answer from a service.
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

    /// Returns the body, consuming the answer.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RetryPolicy;

    #[test]
    fn backoff_honours_retry_after_up_to_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            backoff(&policy, 1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            backoff(&policy, 1, Some(Duration::from_secs(600))),
            policy.max_backoff
        );
        for attempt in 1..10 {
            assert!(backoff(&policy, attempt, None) <= policy.max_backoff);
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(later);
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(&date).unwrap(),
        );
        let delay = retry_after(&headers).unwrap();
        assert!(delay > Duration::from_secs(100) && delay <= Duration::from_secs(120));
    }
}
