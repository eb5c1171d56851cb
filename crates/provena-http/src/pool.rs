//! The connection pool under [`Transport`](crate::middleware::transport::Transport).
//!
//! Connections come from the TLS connector and speak HTTP/2 when ALPN picks `h2`, else
//! HTTP/1.1. An HTTP/2 connection carries every request to its host at once. An HTTP/1.1
//! connection carries one request at a time: it goes back to the pool when its response body
//! has been read to the end, and is closed when the body is dropped before that. Idle
//! connections are kept for the idle timeout, at most [`MAX_IDLE_PER_HOST`] per host.
//!
//! The server may close a pooled connection while it is idle. Such a connection rejects the
//! next request before writing any of it, and the request goes to the next pooled connection
//! or a new one.
//!
//! An HTTP/2 connection whose open streams receive nothing for a while is pinged, and closed
//! when the ping is not acknowledged in time, so that a connection that went silent without
//! closing is replaced.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper_util::client::legacy::connect::Connection;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::ServiceExt;

use crate::error::BoxError;
use crate::middleware::transport::Connector;

/// The maximum number of idle HTTP/1.1 connections kept per host.
pub(crate) const MAX_IDLE_PER_HOST: usize = 256;

/// The request body type the pool sends.
type RequestBody = Full<Bytes>;

/// A failure to send a request or to receive its response head.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The request URI has no scheme or host.
    Uri,
    /// No connection could be opened: TCP, TLS or the HTTP handshake failed.
    Connect(BoxError),
    /// The connection failed while the request was under way. `sent` is false when none
    /// of the request was written, so sending it again is safe.
    Request { error: hyper::Error, sent: bool },
}

/// Pooled connections to every host the client talks to. Clones share the pool.
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    connector: Connector,
    idle_timeout: Duration,
    /// The time allowed to open a connection: TCP, TLS and the HTTP handshake.
    connect_timeout: Duration,
    /// The silence on an HTTP/2 connection with open streams after which it is pinged, and
    /// the time the ping's acknowledgement may take before the connection is closed.
    ping_after: Duration,
    /// One entry per host, never removed, so an index names a host for good.
    hosts: Mutex<Vec<Host>>,
}

/// The connections to one scheme and authority.
struct Host {
    scheme: Scheme,
    authority: Authority,
    /// The `Host` header for HTTP/1.1 requests: the host, and the port unless it is the
    /// scheme's default.
    host_header: HeaderValue,
    http2: Option<http2::SendRequest<RequestBody>>,
    /// Idle HTTP/1.1 connections, oldest first.
    // NOTE: connections past the idle timeout are dropped only when the host is next used.
    // No background task closes them, so their sockets stay open until the server closes them.
    idle: Vec<Idle>,
    /// Set once a connection to the host settled on HTTP/1.1, after which new connections
    /// open side by side.
    speaks_http1: bool,
    /// Held while a connection that may turn out to be HTTP/2 opens.
    connecting: Arc<tokio::sync::Mutex<()>>,
    /// Set when the last connection to the host failed to open.
    connect_failed: bool,
}

struct Idle {
    sender: http1::SendRequest<RequestBody>,
    since: Instant,
}

/// A host entry's index and `Host` header, looked up once per request.
struct Target {
    index: usize,
    host_header: HeaderValue,
}

/// Takes a live connection from `entry`: the shared HTTP/2 connection, or the most recently
/// used idle HTTP/1.1 one that is younger than `idle_timeout`.
fn take_pooled(entry: &mut Host, idle_timeout: Duration) -> Option<Conn> {
    if let Some(sender) = &entry.http2 {
        if !sender.is_closed() {
            return Some(Conn::Http2(sender.clone()));
        }
        entry.http2 = None;
    }
    if entry.idle.is_empty() {
        return None;
    }
    let now = Instant::now();
    while let Some(idle) = entry.idle.pop() {
        let fresh = now.saturating_duration_since(idle.since) < idle_timeout;
        if fresh && !idle.sender.is_closed() {
            return Some(Conn::Http1(idle.sender));
        }
    }
    None
}

/// A connection taken from the pool or newly opened.
enum Conn {
    Http1(http1::SendRequest<RequestBody>),
    Http2(http2::SendRequest<RequestBody>),
}

impl Pool {
    /// Builds an empty pool that opens connections with `connector` within
    /// `connect_timeout`, and pings an HTTP/2 connection whose streams get no data for
    /// `ping_after`.
    pub(crate) fn new(
        connector: Connector,
        idle_timeout: Duration,
        connect_timeout: Duration,
        ping_after: Duration,
    ) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                connector,
                idle_timeout,
                connect_timeout,
                ping_after,
                hosts: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Sends `request`, whose URI must be absolute, and returns the response head. The body
    /// streams from the connection.
    pub(crate) async fn send(
        &self,
        mut request: Request<RequestBody>,
    ) -> Result<Response<PooledBody>, SendError> {
        let uri = request.uri().clone();
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(SendError::Uri);
        };
        let (host, mut pooled) = self.target(scheme, authority);

        let mut waited = false;
        loop {
            // Pooled connections come first. One that rejects the request without writing any
            // of it (closed by the server while idle) is dropped, and the request goes to the
            // next.
            while let Some(conn) = pooled.take().or_else(|| self.checkout(host.index)) {
                match self.send_on(conn, &host, request, &uri).await {
                    Ok(response) => return Ok(response),
                    Err(SendFailure::Unsent(back, _)) => request = *back,
                    Err(SendFailure::Failed(error)) => return Err(error),
                }
            }
            // A host that may speak HTTP/2 gets one new connection at a time, so that the
            // requests arriving while it opens share it instead of opening their own.
            let lock = if waited {
                None
            } else {
                self.connect_lock(host.index)
            };
            let Some(lock) = lock else {
                break;
            };
            let guard = lock.lock_owned().await;
            waited = true;
            if self.has_pooled(host.index) {
                continue;
            }
            if self.connect_lock(host.index).is_none() {
                // The connection opened meanwhile settled on HTTP/1.1.
                break;
            }
            // Connecting is rare, so its large future is boxed to keep this one small.
            let conn = Box::pin(self.connect(host.index, &uri)).await;
            drop(guard);
            return self.send_on_new(conn?, &host, request, &uri).await;
        }
        let conn = Box::pin(self.connect(host.index, &uri)).await?;
        self.send_on_new(conn, &host, request, &uri).await
    }

    /// Sends `request` on a connection that was just opened.
    async fn send_on_new(
        &self,
        conn: Conn,
        host: &Target,
        request: Request<RequestBody>,
        uri: &Uri,
    ) -> Result<Response<PooledBody>, SendError> {
        match self.send_on(conn, host, request, uri).await {
            Ok(response) => Ok(response),
            Err(SendFailure::Unsent(_, error)) => Err(SendError::Request { error, sent: false }),
            Err(SendFailure::Failed(error)) => Err(error),
        }
    }

    /// Returns the lock that new connections to `host` take. There is none when the host is
    /// known to speak HTTP/1.1, when its scheme has no ALPN, or when its last connection
    /// failed to open, so that requests then connect in parallel instead of queueing.
    fn connect_lock(&self, host: usize) -> Option<Arc<tokio::sync::Mutex<()>>> {
        let hosts = self.shared.lock();
        let entry = hosts.get(host)?;
        let may_be_http2 =
            entry.scheme == Scheme::HTTPS && !entry.speaks_http1 && !entry.connect_failed;
        may_be_http2.then(|| entry.connecting.clone())
    }

    /// Reports whether `host` has a live HTTP/2 connection or an idle HTTP/1.1 one.
    fn has_pooled(&self, host: usize) -> bool {
        let hosts = self.shared.lock();
        hosts.get(host).is_some_and(|entry| {
            entry
                .http2
                .as_ref()
                .is_some_and(|sender| !sender.is_closed())
                || !entry.idle.is_empty()
        })
    }

    /// Returns the entry for `scheme` and `authority`, adding it if new, and takes a pooled
    /// connection to it under the same lock.
    fn target(&self, scheme: &Scheme, authority: &Authority) -> (Target, Option<Conn>) {
        let mut hosts = self.shared.lock();
        if let Some(index) = hosts
            .iter()
            .position(|host| host.scheme == *scheme && same_authority(&host.authority, authority))
        {
            let entry = &mut hosts[index];
            let target = Target {
                index,
                host_header: entry.host_header.clone(),
            };
            return (target, take_pooled(entry, self.shared.idle_timeout));
        }
        let host_header = host_header(scheme, authority);
        hosts.push(Host {
            scheme: scheme.clone(),
            authority: authority.clone(),
            host_header: host_header.clone(),
            http2: None,
            idle: Vec::new(),
            speaks_http1: false,
            connecting: Arc::new(tokio::sync::Mutex::new(())),
            connect_failed: false,
        });
        let target = Target {
            index: hosts.len() - 1,
            host_header,
        };
        (target, None)
    }

    /// Takes a live connection to `host` from the pool: the shared HTTP/2 connection, or the
    /// most recently used idle HTTP/1.1 one.
    fn checkout(&self, host: usize) -> Option<Conn> {
        let mut hosts = self.shared.lock();
        take_pooled(hosts.get_mut(host)?, self.shared.idle_timeout)
    }

    /// Opens a connection to `host` within the connect timeout and, when it speaks HTTP/2,
    /// shares it. It records whether the connection opened.
    async fn connect(&self, host: usize, uri: &Uri) -> Result<Conn, SendError> {
        // The connector bounds only the TCP connect, so the TLS handshake, which a server
        // can leave unanswered, is bounded here.
        let result =
            match tokio::time::timeout(self.shared.connect_timeout, self.open(host, uri)).await {
                Ok(result) => result,
                Err(_elapsed) => Err(SendError::Connect(Box::new(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "opening the connection (TCP, TLS and HTTP handshakes) timed out",
                )))),
            };
        if let Some(entry) = self.shared.lock().get_mut(host) {
            entry.connect_failed = result.is_err();
        }
        result
    }

    /// Opens a connection to `host` and runs the HTTP handshake.
    async fn open(&self, host: usize, uri: &Uri) -> Result<Conn, SendError> {
        let io = self
            .shared
            .connector
            .clone()
            .oneshot(uri.clone())
            .await
            .map_err(SendError::Connect)?;
        let http2 = io.connected().is_negotiated_h2();
        if let Some(entry) = self.shared.lock().get_mut(host) {
            entry.speaks_http1 = !http2;
        }
        if http2 {
            // Pings find a connection that went silent without closing, such as one whose
            // server froze or whose network path dropped it. Without them every request
            // to the host would wait on it until the operating system gives up on the socket.
            let (sender, connection) = http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .keep_alive_interval(self.shared.ping_after)
                .keep_alive_timeout(self.shared.ping_after)
                .handshake(io)
                .await
                .map_err(|error| SendError::Connect(Box::new(error)))?;
            spawn_connection(connection, "HTTP/2");
            if let Some(entry) = self.shared.lock().get_mut(host) {
                entry.http2 = Some(sender.clone());
            }
            Ok(Conn::Http2(sender))
        } else {
            let (sender, connection) = http1::Builder::new()
                .handshake(io)
                .await
                .map_err(|error| SendError::Connect(Box::new(error)))?;
            spawn_connection(connection, "HTTP/1.1");
            Ok(Conn::Http1(sender))
        }
    }

    /// Sends `request` on `conn`. An HTTP/1.1 connection comes back to the pool when the
    /// response body ends.
    async fn send_on(
        &self,
        conn: Conn,
        host: &Target,
        mut request: Request<RequestBody>,
        uri: &Uri,
    ) -> Result<Response<PooledBody>, SendFailure> {
        match conn {
            Conn::Http2(mut sender) => {
                *request.uri_mut() = uri.clone();
                remove_framing(request.headers_mut());
                request.headers_mut().remove(http::header::HOST);
                // NOTE: a stream the server refuses (REFUSED_STREAM, or one past a GOAWAY) was
                // not processed and could be sent again even as a POST, but it counts as sent here.
                match sender.try_send_request(request).await {
                    Ok(response) => Ok(response.map(|body| PooledBody::new(body, None))),
                    Err(error) => Err(SendFailure::from_try_send(error)),
                }
            }
            Conn::Http1(mut sender) => {
                if let Err(error) = sender.ready().await {
                    return Err(SendFailure::Unsent(Box::new(request), error));
                }
                // The URI decides the host, whatever `Host` header the request carried: a
                // different one would route the request, and its bearer token, to another
                // virtual host behind the same address.
                remove_framing(request.headers_mut());
                request
                    .headers_mut()
                    .insert(http::header::HOST, host.host_header.clone());
                *request.uri_mut() = origin_form(uri);
                match sender.try_send_request(request).await {
                    Ok(response) => {
                        let release = Release {
                            sender,
                            pool: Arc::downgrade(&self.shared),
                            host: host.index,
                        };
                        Ok(response.map(|body| PooledBody::new(body, Some(release))))
                    }
                    Err(error) => Err(SendFailure::from_try_send(error)),
                }
            }
        }
    }
}

impl Shared {
    /// Locks the host table. A panic while it was held cannot leave it inconsistent (every
    /// change is one push or pop), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, Vec<Host>> {
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The outcome of a send that did not produce a response.
enum SendFailure {
    /// The connection took none of the request, which comes back to be sent elsewhere.
    Unsent(Box<Request<RequestBody>>, hyper::Error),
    /// The request failed after some of it may have been written.
    Failed(SendError),
}

impl SendFailure {
    fn from_try_send(mut error: hyper::client::conn::TrySendError<Request<RequestBody>>) -> Self {
        match error.take_message() {
            Some(request) => SendFailure::Unsent(Box::new(request), error.into_error()),
            None => SendFailure::Failed(SendError::Request {
                error: error.into_error(),
                sent: true,
            }),
        }
    }
}

/// Reports whether two authorities are equal, ignoring case. Requests to one host write it
/// the same way, so the exact comparison usually decides.
fn same_authority(known: &Authority, other: &Authority) -> bool {
    known.as_str() == other.as_str() || known == other
}

/// Runs a connection's I/O on its own task until the connection closes.
fn spawn_connection<F>(connection: F, protocol: &'static str)
where
    F: std::future::Future<Output = Result<(), hyper::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(target: "provena_http", protocol, %error, "connection closed");
        }
    });
}

/// Removes `Content-Length` and `Transfer-Encoding`, so that hyper frames the body from its
/// exact size. A declared length shorter than the body would cut the body silently, and a
/// longer one would fail the request after it was partly written.
fn remove_framing(headers: &mut http::HeaderMap) {
    headers.remove(http::header::CONTENT_LENGTH);
    headers.remove(http::header::TRANSFER_ENCODING);
}

/// Returns `uri` as an HTTP/1.1 request target: the path and query only.
fn origin_form(uri: &Uri) -> Uri {
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    Uri::from(path)
}

/// Builds the `Host` header value for `authority`: without the port when it is the default
/// for `scheme`.
fn host_header(scheme: &Scheme, authority: &Authority) -> HeaderValue {
    let default_port = match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let text = match authority.port_u16() {
        Some(port) if Some(port) != default_port => format!("{}:{port}", authority.host()),
        _ => authority.host().to_owned(),
    };
    // The authority came from a parsed URI, so its characters are valid in a header; the
    // fallback only guards that reasoning.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("localhost"))
}

/// An HTTP/1.1 connection waiting for its response body to end.
struct Release {
    sender: http1::SendRequest<RequestBody>,
    pool: Weak<Shared>,
    host: usize,
}

impl Release {
    /// Puts the connection back into the pool, unless the pool is gone or the connection
    /// closed.
    fn release(self) {
        let Some(shared) = self.pool.upgrade() else {
            return;
        };
        if self.sender.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut hosts = shared.lock();
        let Some(entry) = hosts.get_mut(self.host) else {
            return;
        };
        let expired = entry
            .idle
            .iter()
            .take_while(|idle| now.saturating_duration_since(idle.since) >= shared.idle_timeout)
            .count();
        entry.idle.drain(..expired);
        if entry.idle.len() < MAX_IDLE_PER_HOST {
            entry.idle.push(Idle {
                sender: self.sender,
                since: now,
            });
        }
    }
}

pin_project_lite::pin_project! {
    /// A response body that returns its HTTP/1.1 connection to the pool once read to the end.
    pub(crate) struct PooledBody {
        #[pin]
        inner: Incoming,
        release: Option<Release>,
    }
}

impl PooledBody {
    fn new(inner: Incoming, release: Option<Release>) -> PooledBody {
        PooledBody { inner, release }
    }
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        let done = match &frame {
            None => true,
            Some(Ok(_)) => this.inner.is_end_stream(),
            Some(Err(_)) => {
                // A broken body leaves the connection unusable.
                this.release.take();
                false
            }
        };
        if done && let Some(release) = this.release.take() {
            release.release();
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
