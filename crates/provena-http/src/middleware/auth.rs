//! Bearer tokens for the deployment's own hosts.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, ready};

use http::HeaderValue;
use http::StatusCode;
use http::header::AUTHORIZATION;
use tower::{Layer, Service, ServiceExt};
use url::Url;

use super::{BoxFuture, HttpRequest, HttpResponse, RequestMeta, clone_request};
use crate::config::{Endpoints, Service as ProvenaService};
use crate::decode;
use crate::error::Error;
use crate::token::{Secret, TokenProvider};

/// The 401 details that mean the token itself was missing or rejected. Provena also returns
/// 401 for a missing role, another user's item and a locked item, which a new token cannot
/// fix, so only these two trigger a refresh.
pub(crate) const REFRESHABLE_DETAILS: [&str; 2] =
    ["Not authenticated", "Could not validate credentials"];

/// Adds [`Auth`] to a stack.
#[derive(Debug, Clone)]
pub(crate) struct AuthLayer {
    shared: Arc<Shared>,
}

/// The token provider, the deployment's base URLs and the header cache, behind one reference
/// count so that copying the layer for each call stays cheap.
#[derive(Debug)]
struct Shared {
    tokens: Arc<dyn TokenProvider>,
    bases: Box<[Base]>,
    bearer: BearerCache,
}

impl AuthLayer {
    pub(crate) fn new(tokens: Arc<dyn TokenProvider>, endpoints: &Endpoints) -> Self {
        let bases = ProvenaService::API_SERVICES
            .iter()
            .filter_map(|service| endpoints.url(*service))
            .map(Base::new)
            .collect();
        Self {
            shared: Arc::new(Shared {
                tokens,
                bases,
                bearer: BearerCache::default(),
            }),
        }
    }
}

/// The `Authorization` values of the first token and of the token used last, so that each
/// request with the same token reuses one instead of formatting and checking the token again.
///
/// The first token is read without a lock, which keeps concurrent requests with a static
/// token from contending. A token that rotates goes through the lock.
#[derive(Default)]
struct BearerCache {
    first: OnceLock<(Secret, HeaderValue)>,
    latest: Mutex<Option<(Secret, HeaderValue)>>,
}

impl std::fmt::Debug for BearerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerCache(<redacted>)")
    }
}

impl BearerCache {
    /// Returns the header value for `token`, marked sensitive so that it is never printed.
    fn value(&self, token: &Secret) -> Result<HeaderValue, Error> {
        if let Some((secret, value)) = self.first.get()
            && secret == token
        {
            return Ok(value.clone());
        }
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((secret, value)) = latest.as_ref()
            && secret == token
        {
            return Ok(value.clone());
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
            Error::sign_in(
                "the access token contains characters that are not allowed in an HTTP header; check the token source",
            )
        })?;
        value.set_sensitive(true);
        let _ = self.first.set((token.clone(), value.clone()));
        *latest = Some((token.clone(), value.clone()));
        Ok(value)
    }
}

/// The origin and path of one API service's base URL, compared against each request URI
/// without parsing it again.
#[derive(Debug)]
struct Base {
    scheme: String,
    /// The host and port as the URL writes them, for the quick comparison.
    authority: String,
    host: String,
    port: Option<u16>,
    path: String,
}

impl Base {
    fn new(url: &Url) -> Base {
        Base {
            scheme: url.scheme().to_owned(),
            authority: url.authority().to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
            port: url.port_or_known_default(),
            path: url.path().trim_end_matches('/').to_owned(),
        }
    }

    /// Reports whether `target` has this base's scheme, host and port, and a path at or
    /// below this base's path.
    fn contains(&self, target: &Target<'_>) -> bool {
        self.is_above(target.path)
            && target.port == self.port
            && target.scheme.eq_ignore_ascii_case(&self.scheme)
            && target.host.eq_ignore_ascii_case(&self.host)
    }
}

impl Base {
    /// Reports whether `path` is this base's path or below it.
    fn is_above(&self, path: &str) -> bool {
        match path.strip_prefix(self.path.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }

    /// Reports whether `uri` has this base's scheme and authority written the same way, and
    /// a path at or below this base's path. Requests built from the base URL always do.
    fn contains_as_written(&self, uri: &http::Uri) -> bool {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        scheme == self.scheme
            && (authority.as_str() == self.authority
                || authority.as_str().eq_ignore_ascii_case(&self.authority))
            && self.is_above(uri.path())
    }
}

/// The parts of a request URI that decide whether it carries the token.
struct Target<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<u16>,
    path: &'a str,
}

impl<'a> Target<'a> {
    fn of(uri: &'a http::Uri) -> Option<Target<'a>> {
        let scheme = uri.scheme_str()?;
        let port = uri.port_u16().or(match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        Some(Target {
            scheme,
            host: uri.host()?,
            port,
            path: uri.path(),
        })
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// Sets `Authorization: Bearer <token>` on requests to the deployment's API services.
///
/// A request carries the token only when its service is one of the API services and its URL
/// lies under one of their configured base URLs (same scheme, host and port, and path
/// prefix). Every other request, such as one to a presigned S3 URL or to the issuer, is sent
/// with any `Authorization` header removed. The header value is marked sensitive.
///
/// When a service returns 401 with a detail reporting the token as missing or invalid, the
/// provider refreshes the token once and the request is sent once more. Any other 401 goes
/// back to the caller unchanged.
#[derive(Debug, Clone)]
pub(crate) struct Auth<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Auth<S> {
    /// Reports whether `request` goes to one of the deployment's API services and the
    /// provider has tokens to send.
    fn carries_token(&self, request: &HttpRequest, meta: &RequestMeta) -> bool {
        let shared = &self.shared;
        if !meta.context.service.carries_token() || !shared.tokens.sends_tokens() {
            return false;
        }
        let uri = request.uri();
        if shared
            .bases
            .iter()
            .any(|base| base.contains_as_written(uri))
        {
            return true;
        }
        // A URL written another way, such as with its default port, is compared part by part.
        Target::of(uri).is_some_and(|target| shared.bases.iter().any(|base| base.contains(&target)))
    }
}

impl<S> Service<HttpRequest> for Auth<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = Error> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = HttpResponse;
    type Error = Error;
    type Future = AuthFuture<S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        if !self.carries_token(&request, &meta) {
            request.headers_mut().remove(AUTHORIZATION);
            return AuthFuture::Sent {
                inner: self.inner.call(request),
                refresh: None,
            };
        }

        // A cached token goes out at once, because the inner service was made ready for this call.
        if let Some(token) = self.shared.tokens.cached_token() {
            let value = match self.shared.bearer.value(&token) {
                Ok(value) => value,
                Err(error) => return AuthFuture::Failed { error: Some(error) },
            };
            let refresh = Refresh {
                inner: self.inner.clone(),
                request: clone_request(&request),
                token,
                shared: self.shared.clone(),
                meta,
            };
            request.headers_mut().insert(AUTHORIZATION, value);
            return AuthFuture::Sent {
                inner: self.inner.call(request),
                refresh: Some(Box::new(refresh)),
            };
        }

        // Otherwise the provider is asked first, on a clone of the inner service.
        let inner = self.inner.clone();
        let shared = self.shared.clone();
        AuthFuture::Boxed {
            future: Box::pin(async move {
                let token = shared.tokens.access_token().await?;
                let value = shared.bearer.value(&token)?;
                let refresh = Refresh {
                    inner: inner.clone(),
                    request: clone_request(&request),
                    token,
                    shared,
                    meta,
                };
                request.headers_mut().insert(AUTHORIZATION, value);
                let response = inner.oneshot(request).await?;
                match refresh.needed(&response) {
                    true => refresh.send().await,
                    false => Ok(response),
                }
            }),
        }
    }
}

/// The request copy, token and services needed to send a request once more with a fresh
/// token.
struct Refresh<S> {
    inner: S,
    request: HttpRequest,
    token: Secret,
    shared: Arc<Shared>,
    meta: Arc<RequestMeta>,
}

impl<S> Refresh<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = Error> + Send + 'static,
    S::Future: Send,
{
    /// Reports whether `response` rejects the token itself, and this call has not refreshed
    /// it yet.
    fn needed(&self, response: &HttpResponse) -> bool {
        if response.status() != StatusCode::UNAUTHORIZED {
            return false;
        }
        let (detail, _) = decode::parse_detail(response.body().buffered());
        if !REFRESHABLE_DETAILS.contains(&detail.as_str())
            || self.meta.refreshed.swap(true, Ordering::SeqCst)
        {
            return false;
        }
        tracing::debug!(
            target: "provena_http",
            detail = %detail,
            "access token rejected, refreshing it once"
        );
        true
    }

    /// Refreshes the token and sends the request again.
    async fn send(self) -> Result<HttpResponse, Error> {
        let fresh = self.shared.tokens.refresh(&self.token).await?;
        let mut request = self.request;
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.shared.bearer.value(&fresh)?);
        self.inner.oneshot(request).await
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Auth`].
    #[project = AuthProjection]
    pub(crate) enum AuthFuture<S>
    where
        S: Service<HttpRequest>,
    {
        /// The request is under way, with what a refresh needs when it carries a token.
        Sent {
            #[pin]
            inner: S::Future,
            refresh: Option<Box<Refresh<S>>>,
        },
        /// The token is being fetched, or refreshed and the request sent again.
        Boxed {
            future: BoxFuture<Result<HttpResponse, Error>>,
        },
        /// The request could not be prepared.
        Failed {
            error: Option<Error>,
        },
    }
}

impl<S> Future for AuthFuture<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = Error> + Send + 'static,
    S::Future: Send,
{
    type Output = Result<HttpResponse, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.as_mut().project() {
            AuthProjection::Sent { inner, refresh } => {
                let response = ready!(inner.poll(cx))?;
                let Some(refresh) = refresh.take().filter(|refresh| refresh.needed(&response))
                else {
                    return Poll::Ready(Ok(response));
                };
                let mut future: BoxFuture<_> = Box::pin(refresh.send());
                let polled = future.as_mut().poll(cx);
                self.set(AuthFuture::Boxed { future });
                polled
            }
            AuthProjection::Boxed { future } => future.as_mut().poll(cx),
            AuthProjection::Failed { error } => {
                Poll::Ready(Err(error.take().unwrap_or_else(|| {
                    Error::sign_in("the request future was polled after it completed")
                })))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use http::Method;

    use super::*;
    use crate::middleware::testing;

    /// Hands out `token-1`, then `token-2` after a refresh, and counts refreshes. With
    /// `cached` set, it also offers the current token without waiting.
    #[derive(Debug, Default)]
    struct Rotating {
        refreshes: Mutex<u32>,
        cached: bool,
    }

    impl Rotating {
        fn current(&self) -> Secret {
            let refreshes = *self.refreshes.lock().unwrap();
            Secret::new(format!("token-{}", refreshes + 1))
        }
    }

    #[async_trait]
    impl TokenProvider for Rotating {
        async fn access_token(&self) -> Result<Secret, Error> {
            Ok(self.current())
        }

        fn cached_token(&self) -> Option<Secret> {
            self.cached.then(|| self.current())
        }

        async fn refresh(&self, _rejected: &Secret) -> Result<Secret, Error> {
            *self.refreshes.lock().unwrap() += 1;
            self.access_token().await
        }
    }

    /// Records the Authorization header of each request and returns 401 with `detail` while
    /// the token is `token-1`.
    fn service(
        detail: &'static str,
        seen: Arc<Mutex<Vec<Option<HeaderValue>>>>,
    ) -> impl Service<HttpRequest, Response = HttpResponse, Error = Error, Future = impl Send>
    + Clone
    + Send
    + 'static {
        tower::service_fn(move |request: HttpRequest| {
            let header = request.headers().get(AUTHORIZATION).cloned();
            seen.lock().unwrap().push(header.clone());
            async move {
                let stale = header.is_some_and(|value| value == "Bearer token-1");
                if stale {
                    let body: &'static str =
                        Box::leak(format!("{{\"detail\": \"{detail}\"}}").into_boxed_str());
                    Ok::<_, Error>(testing::response(401, body))
                } else {
                    Ok(testing::response(200, "{}"))
                }
            }
        })
    }

    fn layer(tokens: Arc<Rotating>) -> AuthLayer {
        let endpoints = Endpoints::single_base("http://127.0.0.1:9000").unwrap();
        AuthLayer::new(tokens, &endpoints)
    }

    #[tokio::test]
    async fn header_is_sensitive_bearer() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tokens = Arc::new(Rotating::default());
        *tokens.refreshes.lock().unwrap() = 1;
        let service = layer(tokens).layer(service("Not authenticated", seen.clone()));
        let request = testing::request(
            ProvenaService::Registry,
            Method::GET,
            "http://127.0.0.1:9000/registry/x",
        );
        service.oneshot(request).await.unwrap();
        let header = seen.lock().unwrap()[0].clone().unwrap();
        assert_eq!(header, "Bearer token-2");
        assert!(header.is_sensitive());
    }

    #[tokio::test]
    async fn invalid_token_is_refreshed_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tokens = Arc::new(Rotating::default());
        let service =
            layer(tokens.clone()).layer(service("Could not validate credentials", seen.clone()));
        let request = testing::request(
            ProvenaService::Registry,
            Method::POST,
            "http://127.0.0.1:9000/registry/x",
        );
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(*tokens.refreshes.lock().unwrap(), 1);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn cached_token_is_refreshed_once() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tokens = Arc::new(Rotating {
            cached: true,
            ..Rotating::default()
        });
        let service = layer(tokens.clone()).layer(service("Not authenticated", seen.clone()));
        let request = testing::request(
            ProvenaService::Registry,
            Method::GET,
            "http://127.0.0.1:9000/registry/x",
        );
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(*tokens.refreshes.lock().unwrap(), 1);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].as_ref().unwrap(), "Bearer token-1");
        assert_eq!(seen[1].as_ref().unwrap(), "Bearer token-2");
    }

    #[tokio::test]
    async fn other_401_is_not_refreshed() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tokens = Arc::new(Rotating::default());
        let service = layer(tokens.clone()).layer(service(
            "You are not authorised to edit the item",
            seen.clone(),
        ));
        let request = testing::request(
            ProvenaService::Registry,
            Method::PUT,
            "http://127.0.0.1:9000/registry/x",
        );
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(*tokens.refreshes.lock().unwrap(), 0);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn base_written_another_way_gets_token() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let endpoints = Endpoints::single_base("http://127.0.0.1:80").unwrap();
        let tokens = Arc::new(Rotating {
            cached: true,
            ..Rotating::default()
        });
        let service = AuthLayer::new(tokens, &endpoints).layer(service("", seen.clone()));
        let uris = [
            "http://127.0.0.1/registry/x",
            "http://127.0.0.1:80/registry/x",
            "http://127.0.0.1/registry",
        ];
        for uri in uris {
            let request = testing::request(ProvenaService::Registry, Method::GET, uri);
            service.clone().oneshot(request).await.unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for (index, header) in seen.iter().enumerate() {
            let header = header
                .as_ref()
                .unwrap_or_else(|| panic!("case {index} had no token"));
            assert_eq!(header, "Bearer token-1");
        }
    }

    #[tokio::test]
    async fn other_hosts_get_no_token() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let service = layer(Arc::new(Rotating::default())).layer(service("", seen.clone()));
        let cases = [
            (ProvenaService::Registry, "http://127.0.0.1:9001/registry/x"),
            (ProvenaService::Registry, "http://127.0.0.1:9000/elsewhere"),
            (
                ProvenaService::Registry,
                "http://127.0.0.1:9000/registry-copy/x",
            ),
            (
                ProvenaService::Registry,
                "https://127.0.0.1:9000/registry/x",
            ),
            (ProvenaService::Registry, "http://localhost:9000/registry/x"),
            (ProvenaService::External, "http://127.0.0.1:9000/registry/x"),
            (ProvenaService::Issuer, "http://127.0.0.1:9000/issuer/token"),
        ];
        for (service_kind, uri) in cases {
            let mut request = testing::request(service_kind, Method::GET, uri);
            request
                .headers_mut()
                .insert(AUTHORIZATION, HeaderValue::from_static("Bearer planted"));
            service.clone().oneshot(request).await.unwrap();
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 7);
        for (index, header) in seen.iter().enumerate() {
            assert_eq!(header, &None, "case {index} carried a token");
        }
    }
}
