//! Reads response bodies into memory, within the configured size limit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body_util::combinators::Collect;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tower::{Layer, Service};

use super::transport::transport_error;
use super::{HttpRequest, HttpResponse, RequestMeta, ResponseBody};
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
    S: Service<HttpRequest, Response = http::Response<B>, Error = Error>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = HttpResponse;
    type Error = Error;
    type Future = BufferFuture<S::Future, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        BufferFuture::Head {
            inner: self.inner.call(request),
            meta,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Buffer`]: first the response head, then the body read within the
    /// limit.
    #[project = BufferProjection]
    pub(crate) enum BufferFuture<F, B>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        /// Waiting for the response head.
        Head {
            #[pin]
            inner: F,
            meta: Arc<RequestMeta>,
        },
        /// Reading the body.
        Body {
            #[pin]
            collect: Collect<Limited<B>>,
            parts: Option<http::response::Parts>,
            meta: Arc<RequestMeta>,
        },
    }
}

impl<F, B> Future for BufferFuture<F, B>
where
    F: Future<Output = Result<http::Response<B>, Error>>,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Output = Result<HttpResponse, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match self.as_mut().project() {
                BufferProjection::Head { inner, meta } => {
                    let response = ready!(inner.poll(cx))?;
                    let (parts, body) = response.into_parts();
                    if meta.streaming && parts.status.is_success() {
                        let stream = body.map_err(Into::into).boxed_unsync();
                        return Poll::Ready(Ok(http::Response::from_parts(
                            parts,
                            ResponseBody::Streaming(stream),
                        )));
                    }
                    let meta = meta.clone();
                    let collect = Limited::new(body, meta.limit).collect();
                    self.set(BufferFuture::Body {
                        collect,
                        parts: Some(parts),
                        meta,
                    });
                }
                BufferProjection::Body {
                    collect,
                    parts,
                    meta,
                } => {
                    let bytes = match ready!(collect.poll(cx)) {
                        Ok(collected) => collected.to_bytes(),
                        Err(err) if err.is::<LengthLimitError>() => {
                            return Poll::Ready(Err(Error::TooLarge {
                                service: meta.context.service,
                                method: meta.context.method.clone(),
                                path: meta.context.path.clone(),
                                limit: meta.limit,
                            }));
                        }
                        Err(err) => {
                            return Poll::Ready(Err(transport_error(&meta.context, false, err)));
                        }
                    };
                    // The head is taken once, when the body is complete.
                    let Some(parts) = parts.take() else {
                        return Poll::Ready(Err(transport_error(
                            &meta.context,
                            false,
                            "response polled after it completed".into(),
                        )));
                    };
                    return Poll::Ready(Ok(http::Response::from_parts(
                        parts,
                        ResponseBody::Buffered(bytes),
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Service as ProvenaService;
    use crate::middleware::testing;
    use http::Method;
    use http_body_util::Full;
    use tower::ServiceExt;

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
