//! The innermost service: the pooled hyper client.

use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;

use super::{BoxFuture, HttpRequest, RequestMeta};
use crate::decode::ResponseContext;
use crate::error::{BoxError, Error, TimeoutKind};
use crate::pool::{Pool, PooledBody, SendError};

/// The connector: TCP with a connect timeout, then rustls for https.
pub(crate) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Sends a request on a pooled connection and returns the response head with a streaming
/// body. Clones share the pool.
#[derive(Clone)]
pub(crate) struct Transport {
    pool: Pool,
    connect_timeout: Duration,
}

impl Transport {
    pub(crate) fn new(pool: Pool, connect_timeout: Duration) -> Self {
        Self {
            pool,
            connect_timeout,
        }
    }
}

impl tower::Service<HttpRequest> for Transport {
    type Response = http::Response<PooledBody>;
    type Error = Error;
    type Future = BoxFuture<Result<Self::Response, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let meta = RequestMeta::of(&request);
        let request = request.map(|payload| Full::new(payload.bytes));
        let pool = self.pool.clone();
        let connect_timeout = self.connect_timeout;
        Box::pin(async move {
            pool.send(request)
                .await
                .map_err(|err| classify(&meta.context, err, connect_timeout))
        })
    }
}

/// Maps a pool error: a connect timeout becomes [`Error::Timeout`], any other failure
/// [`Error::Transport`], marked as before sending when none of the request was written.
fn classify(context: &ResponseContext, error: SendError, connect_timeout: Duration) -> Error {
    match error {
        SendError::Uri => transport_error(
            context,
            true,
            "the request URI has no scheme or host".into(),
        ),
        SendError::Connect(source) => {
            if has_timed_out(source.as_ref()) {
                return Error::Timeout {
                    service: context.service,
                    method: context.method.clone(),
                    path: context.path.clone(),
                    kind: TimeoutKind::Connect,
                    after: connect_timeout,
                };
            }
            transport_error(context, true, source)
        }
        SendError::Request { error, sent } => transport_error(context, !sent, Box::new(error)),
    }
}

/// Reports whether an I/O error of kind `TimedOut` is anywhere in the source chain.
fn has_timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return true;
        }
        current = cause.source();
    }
    false
}

/// Builds an [`Error::Transport`] for `context`.
pub(crate) fn transport_error(
    context: &ResponseContext,
    before_send: bool,
    source: BoxError,
) -> Error {
    Error::Transport {
        service: context.service,
        method: context.method.clone(),
        path: context.path.clone(),
        before_send,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(std::io::Error);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("tcp connect error")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn timed_out_found_in_source_chain() {
        let timed_out = Wrapper(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timeout",
        ));
        assert!(has_timed_out(&timed_out));
        let refused = Wrapper(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!has_timed_out(&refused));
    }
}
