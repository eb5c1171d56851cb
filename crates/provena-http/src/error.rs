//! The error type shared by every provena crate.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};

use crate::config::Service;

/// A boxed error from a lower layer, kept as the `source()` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong with a Provena request.
///
/// Error responses keep the status, service, path and the server's `detail` in an
/// [`ApiError`]. Use [`Error::status`] and [`Error::is_retryable`] rather than matching on
/// every variant: new variants may be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting or argument is invalid. Nothing was sent.
    #[error("invalid {field} `{value}`: {fix}")]
    Config {
        /// The setting or argument, such as `domain` or `PROVENA_REGISTRY_URL`.
        field: String,
        /// The rejected value.
        value: String,
        /// The fix to apply.
        fix: String,
    },
    /// HTTP 400: the service rejected the request.
    #[error("{0}")]
    BadRequest(Box<ApiError>),
    /// HTTP 401. Provena also returns 401 for missing roles, editing another user's item and
    /// editing a locked item; [`ApiError::detail`] tells them apart.
    #[error("{0}")]
    Unauthorized(Box<ApiError>),
    /// HTTP 403.
    #[error("{0}")]
    Forbidden(Box<ApiError>),
    /// HTTP 404.
    #[error("{0}")]
    NotFound(Box<ApiError>),
    /// HTTP 422: the body or query failed validation. `fields` lists each failing field.
    #[error("{error}")]
    Validation {
        /// The answer.
        error: Box<ApiError>,
        /// One entry per field the server rejected.
        fields: Vec<FieldError>,
    },
    /// HTTP 429, after retries ran out.
    #[error("{error}")]
    RateLimited {
        /// The answer.
        error: Box<ApiError>,
        /// The delay the server asked for in `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// HTTP 5xx, after retries ran out.
    #[error("{0}")]
    Server(Box<ApiError>),
    /// HTTP 2xx whose body reports `status.success = false`.
    #[error("{0}")]
    Unsuccessful(Box<ApiError>),
    /// Any other HTTP status the operation does not expect.
    #[error("{0}")]
    Status(Box<ApiError>),
    /// The request did not finish in time.
    #[error("{service} {method} {path}: {kind} timeout after {after:?}")]
    Timeout {
        /// The service called.
        service: Service,
        /// The request method.
        method: Method,
        /// The request path, without the query string.
        path: String,
        /// The limit that was reached.
        kind: TimeoutKind,
        /// The limit.
        after: Duration,
    },
    /// The connection failed or broke before the whole response arrived.
    ///
    /// When the server's TLS certificate was rejected (unknown issuer, wrong host name,
    /// expired), the message names the problem and the fix, and the request is not retried.
    #[error("{service} {method} {path}: {}", transport_summary(.source.as_ref()))]
    Transport {
        /// The service called.
        service: Service,
        /// The request method.
        method: Method,
        /// The request path, without the query string.
        path: String,
        /// Whether the request certainly never reached the server (connect failure).
        before_send: bool,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// The answer arrived but its body does not have the expected shape.
    #[error(
        "{service} {method} {path}: response does not match the expected type at `{json_path}`: {message} (body starts: {snippet})"
    )]
    Decode {
        /// The service called.
        service: Service,
        /// The request method.
        method: Method,
        /// The request path, without the query string.
        path: String,
        /// The JSON path of the field that failed, such as `item.history[0].timestamp`.
        json_path: String,
        /// The serde error message.
        message: String,
        /// The start of the body, at most 200 characters, with token-like values removed.
        snippet: String,
    },
    /// The answer's body exceeds the configured maximum size.
    #[error(
        "{service} {method} {path}: response body exceeds the limit of {limit} bytes; raise `max_response_bytes` or use a streaming download"
    )]
    TooLarge {
        /// The service called.
        service: Service,
        /// The request method.
        method: Method,
        /// The request path, without the query string.
        path: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// Signing in or getting an access token failed.
    #[error("sign-in failed: {message}")]
    SignIn {
        /// The failure and the fix.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<BoxError>,
    },
    /// A local file operation failed.
    #[error("{action} `{path}` failed")]
    Io {
        /// The file operation, such as `write`.
        action: &'static str,
        /// The file or folder.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The kind of timeout that expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Opening the connection.
    Connect,
    /// One attempt.
    Attempt,
    /// The whole operation, retries included.
    Overall,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Attempt => "attempt",
            TimeoutKind::Overall => "overall",
        })
    }
}

/// An error answer from a service.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The service that answered.
    pub service: Service,
    /// The request method.
    pub method: Method,
    /// The request path, without the query string.
    pub path: String,
    /// The HTTP status.
    pub status: StatusCode,
    /// The server's explanation: `detail` of a FastAPI error, `status.details` of a Provena
    /// status wrapper, or the start of the body when it is neither.
    pub detail: String,
    /// The raw body, at most the configured maximum size.
    pub body: Bytes,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("status", &self.status)
            .field("detail", &self.detail)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self.status.canonical_reason().unwrap_or("");
        write!(
            f,
            "{} {} {}: HTTP {} {}",
            self.service,
            self.method,
            self.path,
            self.status.as_u16(),
            reason
        )?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// One field rejected by FastAPI validation (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's location, such as `body.display_name` or `query.id`.
    pub location: String,
    /// The reason for the rejection.
    pub message: String,
    /// The pydantic error type, such as `value_error.missing`.
    pub kind: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl Error {
    /// Builds an [`Error::Config`].
    pub fn config(
        field: impl Into<String>,
        value: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::Config {
            field: field.into(),
            value: value.into(),
            fix: fix.into(),
        }
    }

    /// Builds an [`Error::SignIn`] without an underlying cause.
    pub fn sign_in(message: impl Into<String>) -> Self {
        Error::SignIn {
            message: message.into(),
            source: None,
        }
    }

    /// Returns the service's answer, when the error is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::BadRequest(error)
            | Error::Unauthorized(error)
            | Error::Forbidden(error)
            | Error::NotFound(error)
            | Error::Server(error)
            | Error::Unsuccessful(error)
            | Error::Status(error) => Some(error),
            Error::Validation { error, .. } | Error::RateLimited { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Returns the HTTP status of the answer, if one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(|error| error.status)
    }

    /// Returns the server's `detail`, if an answer arrived.
    pub fn detail(&self) -> Option<&str> {
        self.api_error().map(|error| error.detail.as_str())
    }

    /// Reports whether the same request may succeed if sent again later: timeouts,
    /// connection failures, 429, 502, 503 and 504.
    ///
    /// A rejected TLS certificate is not retryable: the same certificate would come back.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => !self.is_certificate_rejection(),
            Error::Timeout { .. } | Error::RateLimited { .. } => true,
            Error::Server(error) => matches!(error.status.as_u16(), 502..=504),
            _ => false,
        }
    }

    /// Reports whether the connection failed because the server's TLS certificate was
    /// rejected.
    pub(crate) fn is_certificate_rejection(&self) -> bool {
        match self {
            Error::Transport { source, .. } => {
                crate::tls::certificate_problem(source.as_ref()).is_some()
            }
            _ => false,
        }
    }

    /// Reports whether this is a timeout of any kind.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Builds the error for a non-success answer from its status and body.
    pub fn from_response(
        service: Service,
        method: Method,
        path: &str,
        status: StatusCode,
        body: Bytes,
        retry_after: Option<Duration>,
    ) -> Self {
        let (detail, fields) = crate::decode::parse_detail(&body);
        let error = Box::new(ApiError {
            service,
            method,
            path: path.to_owned(),
            status,
            detail,
            body,
        });
        match status.as_u16() {
            400 => Error::BadRequest(error),
            401 => Error::Unauthorized(error),
            403 => Error::Forbidden(error),
            404 => Error::NotFound(error),
            422 => Error::Validation { error, fields },
            429 => Error::RateLimited { error, retry_after },
            500..=599 => Error::Server(error),
            _ => Error::Status(error),
        }
    }
}

/// Describes a connection failure: the certificate problem and its fix when the server's
/// TLS certificate was rejected, else a generic phrase (the cause is in `source()`).
fn transport_summary(source: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    crate::tls::certificate_problem(source).unwrap_or_else(|| String::from("connection failed"))
}

/// Formats an error with its whole `source()` chain on one line, for logs and CLI output.
pub fn display_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        current = cause.source();
    }
    text
}
