//! Sets the `User-Agent` header.

use std::task::{Context, Poll};

use http::HeaderValue;
use http::header::USER_AGENT;
use tower::{Layer, Service};

use super::HttpRequest;

/// Adds [`UserAgent`] to a stack.
#[derive(Debug, Clone)]
pub(crate) struct UserAgentLayer {
    value: HeaderValue,
}

impl UserAgentLayer {
    pub(crate) fn new(value: HeaderValue) -> Self {
        Self { value }
    }
}

impl<S> Layer<S> for UserAgentLayer {
    type Service = UserAgent<S>;

    fn layer(&self, inner: S) -> UserAgent<S> {
        UserAgent {
            inner,
            value: self.value.clone(),
        }
    }
}

/// Sets `User-Agent` on every request, replacing any value already there.
#[derive(Debug, Clone)]
pub(crate) struct UserAgent<S> {
    inner: S,
    value: HeaderValue,
}

impl<S: Service<HttpRequest>> Service<HttpRequest> for UserAgent<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: HttpRequest) -> S::Future {
        request.headers_mut().insert(USER_AGENT, self.value.clone());
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Service as ProvenaService;
    use crate::error::Error;
    use crate::middleware::testing;
    use http::Method;
    use tower::ServiceExt;

    #[tokio::test]
    async fn user_agent_is_set() {
        let inner = tower::service_fn(|request: HttpRequest| async move {
            Ok::<_, Error>(request.headers().get(USER_AGENT).cloned())
        });
        let layer = UserAgentLayer::new(HeaderValue::from_static("provena-rs/0.1.0"));
        let request = testing::request(ProvenaService::Prov, Method::GET, "http://127.0.0.1/p");
        let seen = layer.layer(inner).oneshot(request).await.unwrap();
        assert_eq!(seen, Some(HeaderValue::from_static("provena-rs/0.1.0")));
    }
}
