//! Reads response bodies into memory, within the configured size limit.

use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower::{Layer, Service, ServiceExt};

use super::transport::transport_error;
use super::{BoxFuture, HttpRequest, HttpResponse, RequestMeta, ResponseBody};
use crate::error::{BoxError, Error};

/// Adds [`Buffer`] to a stack.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BufferLayer;

impl<S> Layer<S> for BufferLayer {
    type Service = Buffer<S>;

    fn layer(&self, inner: S) -> Buffer<S> {
        Buffer { inner }
    }
}

/// Reads the whole body of each response, failing with [`Error::TooLarge`] past the request's
/// limit. A successful response to a streaming request keeps its body as a stream. Error
/// responses are always read, so that the layers above can inspect their detail.
#[derive(Debug, Clone)]
pub(crate) struct Buffer<S> {
    inner: S,
}

impl<S, B> Service<HttpRequest> for Buffer<S>
where
    S: Service<HttpRequest, Response = http::Response<B>, Error = Error> + Clone + Send + 'static,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = Error;
    type Future = BoxFuture<Result<HttpResponse, Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        let inner = self.inner.clone();
        Box::pin(async move {
            let response = inner.oneshot(request).await?;
            let (parts, body) = response.into_parts();
            if meta.streaming && parts.status.is_success() {
                let stream = body.map_err(Into::into).boxed_unsync();
                return Ok(http::Response::from_parts(
                    parts,
                    ResponseBody::Streaming(stream),
                ));
            }
            let collected = Limited::new(body, meta.limit).collect().await;
            let bytes = match collected {
                Ok(collected) => collected.to_bytes(),
                Err(err) if err.is::<LengthLimitError>() => {
                    return Err(Error::TooLarge {
                        service: meta.context.service,
                        method: meta.context.method.clone(),
                        path: meta.context.path.clone(),
                        limit: meta.limit,
                    });
                }
                Err(err) => return Err(transport_error(&meta.context, false, err)),
            };
            Ok(http::Response::from_parts(
                parts,
                ResponseBody::Buffered(bytes),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Service as ProvenaService;
    use crate::middleware::testing;
    use http::Method;
    use http_body_util::Full;

    fn serve(
        body: &'static str,
    ) -> impl Service<
        HttpRequest,
        Response = http::Response<Full<Bytes>>,
        Error = Error,
        Future = impl Send,
    > + Clone
    + Send
    + 'static {
        tower::service_fn(move |_request: HttpRequest| async move {
            Ok::<_, Error>(http::Response::new(Full::new(Bytes::from_static(
                body.as_bytes(),
            ))))
        })
    }

    #[tokio::test]
    async fn body_within_limit_is_buffered() {
        let request = testing::request(ProvenaService::Registry, Method::GET, "http://127.0.0.1/x");
        let response = BufferLayer
            .layer(serve("{\"ok\": true}"))
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.body().buffered(), b"{\"ok\": true}");
    }

    #[tokio::test]
    async fn body_over_limit_is_too_large() {
        let request = testing::request(ProvenaService::Registry, Method::GET, "http://127.0.0.1/x");
        let big: &'static str = Box::leak("x".repeat(2048).into_boxed_str());
        let error = BufferLayer
            .layer(serve(big))
            .oneshot(request)
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::TooLarge { limit: 1024, .. }),
            "{error:?}"
        );
    }
}
