//! Fault injection: latency, error statuses, dropped connections and truncated bodies.
//!
//! Faults are armed from a test through [`Faults`] and checked by every listener of the
//! double before a request reaches its service. Each fault has a scope (one service, the
//! issuer, the S3 endpoint, or everything) and an optional count of requests it applies to.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use provena_http::Service;
use provena_http::http::StatusCode;

/// The listeners a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultScope {
    /// Every listener: the seven API services, the issuer and the S3 endpoint.
    All,
    /// One API service, or the issuer with [`Service::Issuer`].
    Service(Service),
    /// The S3 endpoint.
    S3,
}

impl FaultScope {
    fn covers(self, target: FaultScope) -> bool {
        self == FaultScope::All || self == target
    }
}

/// The effect of a fault on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FaultKind {
    Latency(Duration),
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    DropConnection,
    TruncateBody,
}

/// One fault to arm with [`Faults::inject`].
///
/// A fault applies to every matching request until [`Faults::clear`] unless limited with
/// [`times`](Fault::times).
///
/// ```
/// use std::time::Duration;
/// use provena_http::Service;
/// use provena_http::http::StatusCode;
/// use provena_testkit::Fault;
///
/// // The next two registry requests fail with 503 and ask for a retry after one second.
/// let fault = Fault::status(StatusCode::SERVICE_UNAVAILABLE)
///     .retry_after(Duration::from_secs(1))
///     .on(Service::Registry)
///     .times(2);
/// # let _ = fault;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    scope: FaultScope,
    remaining: Option<u32>,
}

impl Fault {
    fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            scope: FaultScope::All,
            remaining: None,
        }
    }

    /// Delays each matching request by `delay` before it is handled. Latency faults add
    /// up, and combine with one other fault on the same request.
    pub fn latency(delay: Duration) -> Self {
        Self::new(FaultKind::Latency(delay))
    }

    /// Responds to matching requests with `status` and `{"detail": "..."}` without
    /// handling them.
    pub fn status(status: StatusCode) -> Self {
        Self::new(FaultKind::Status {
            status,
            retry_after: None,
        })
    }

    /// Closes the connection without a response. The request is not handled.
    pub fn drop_connection() -> Self {
        Self::new(FaultKind::DropConnection)
    }

    /// Handles the request, then sends the status, the headers (with the full
    /// `Content-Length`) and only the first half of the body before closing the connection.
    pub fn truncate_body() -> Self {
        Self::new(FaultKind::TruncateBody)
    }

    /// Adds `Retry-After` (whole seconds, rounded up) to a [`status`](Fault::status) fault.
    /// Has no effect on other kinds.
    pub fn retry_after(mut self, delay: Duration) -> Self {
        if let FaultKind::Status { retry_after, .. } = &mut self.kind {
            *retry_after = Some(delay);
        }
        self
    }

    /// Limits the fault to one service, or to the issuer with [`Service::Issuer`].
    pub fn on(mut self, service: Service) -> Self {
        self.scope = FaultScope::Service(service);
        self
    }

    /// Limits the fault to the S3 endpoint.
    pub fn on_s3(mut self) -> Self {
        self.scope = FaultScope::S3;
        self
    }

    /// Sets the scope.
    pub fn scope(mut self, scope: FaultScope) -> Self {
        self.scope = scope;
        self
    }

    /// Applies the fault to the next `count` matching requests only.
    pub fn times(mut self, count: u32) -> Self {
        self.remaining = Some(count);
        self
    }
}

/// The listener's handling of one request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) delay: Duration,
    pub(crate) action: Option<Action>,
}

/// The fault that replaces or changes the normal response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    DropConnection,
    TruncateBody,
}

/// The faults armed on one double. Cloning shares the same table.
#[derive(Clone, Default)]
pub struct Faults {
    armed: Arc<Mutex<Vec<Fault>>>,
    applied: Arc<AtomicU64>,
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("armed", &self.armed())
            .field("applied", &self.applied())
            .finish()
    }
}

impl Faults {
    /// Arms a fault. Faults apply in the order they were armed.
    pub fn inject(&self, fault: Fault) {
        if fault.remaining != Some(0) {
            self.table().push(fault);
        }
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        self.table().clear();
    }

    /// Returns the faults still armed.
    pub fn armed(&self) -> Vec<Fault> {
        self.table().clone()
    }

    /// Returns how many requests a fault changed so far.
    pub fn applied(&self) -> u64 {
        self.applied.load(Ordering::SeqCst)
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides what happens to one request arriving at `target`, using up one count of each
    /// fault that applies. All matching latency faults apply; of the other kinds, the first
    /// armed one wins.
    pub(crate) fn plan(&self, target: FaultScope) -> Plan {
        let mut plan = Plan::default();
        let mut table = self.table();
        for fault in table.iter_mut() {
            if !fault.scope.covers(target) {
                continue;
            }
            let used = match &fault.kind {
                FaultKind::Latency(delay) => {
                    plan.delay += *delay;
                    true
                }
                _ if plan.action.is_some() => false,
                FaultKind::Status {
                    status,
                    retry_after,
                } => {
                    plan.action = Some(Action::Status {
                        status: *status,
                        retry_after: *retry_after,
                    });
                    true
                }
                FaultKind::DropConnection => {
                    plan.action = Some(Action::DropConnection);
                    true
                }
                FaultKind::TruncateBody => {
                    plan.action = Some(Action::TruncateBody);
                    true
                }
            };
            if used && let Some(remaining) = &mut fault.remaining {
                *remaining = remaining.saturating_sub(1);
            }
        }
        table.retain(|fault| fault.remaining != Some(0));
        drop(table);
        if plan != Plan::default() {
            self.applied.fetch_add(1, Ordering::SeqCst);
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_fault_expires() {
        let faults = Faults::default();
        faults.inject(Fault::status(StatusCode::BAD_GATEWAY).times(2));
        let target = FaultScope::Service(Service::Registry);
        assert!(faults.plan(target).action.is_some());
        assert!(faults.plan(target).action.is_some());
        assert_eq!(faults.plan(target), Plan::default());
        assert!(faults.armed().is_empty());
        assert_eq!(faults.applied(), 2);
    }

    #[test]
    fn scope_limits_fault() {
        let faults = Faults::default();
        faults.inject(Fault::drop_connection().on(Service::Jobs));
        assert_eq!(
            faults.plan(FaultScope::Service(Service::Registry)),
            Plan::default()
        );
        assert_eq!(faults.plan(FaultScope::S3), Plan::default());
        assert_eq!(
            faults.plan(FaultScope::Service(Service::Jobs)).action,
            Some(Action::DropConnection)
        );
    }

    #[test]
    fn latency_adds_and_combines() {
        let faults = Faults::default();
        faults.inject(Fault::latency(Duration::from_millis(5)));
        faults.inject(Fault::latency(Duration::from_millis(7)).on_s3());
        faults.inject(Fault::truncate_body().times(1));
        let plan = faults.plan(FaultScope::S3);
        assert_eq!(plan.delay, Duration::from_millis(12));
        assert_eq!(plan.action, Some(Action::TruncateBody));
        let plan = faults.plan(FaultScope::S3);
        assert_eq!(plan.action, None);
    }

    #[test]
    fn first_action_wins_and_others_keep_count() {
        let faults = Faults::default();
        faults.inject(Fault::status(StatusCode::TOO_MANY_REQUESTS).times(1));
        faults.inject(Fault::drop_connection().times(1));
        let target = FaultScope::All;
        assert!(matches!(
            faults.plan(target).action,
            Some(Action::Status { .. })
        ));
        assert_eq!(faults.plan(target).action, Some(Action::DropConnection));
        assert_eq!(faults.plan(target).action, None);
    }
}
