//! openidconnect's HTTP client trait over `provena-http`, so sign-in shares the SDK's
//! connection pool, TLS setup and timeouts.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use provena_http::{Error, HttpClient};

/// Sends openidconnect's requests to the issuer through [`HttpClient::send_raw`], which never
/// adds a bearer token and never follows redirects.
#[derive(Debug, Clone)]
pub(crate) struct IssuerTransport {
    http: HttpClient,
}

impl IssuerTransport {
    pub(crate) fn new(http: HttpClient) -> Self {
        Self { http }
    }
}

impl<'c> AsyncHttpClient<'c> for IssuerTransport {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let request = http::Request::from_parts(parts, Bytes::from(body));
            let response = self.http.send_raw(request).await?;
            let (parts, body) = response.into_parts();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        })
    }
}
