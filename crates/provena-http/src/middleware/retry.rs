//! The retry policy for [`tower::retry::Retry`].

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use tower::retry::Policy;

use super::{HttpRequest, HttpResponse, RequestMeta, clone_request};
use crate::config::RetryPolicy as Settings;
use crate::error::{Error, TimeoutKind};

/// Decides whether a failed attempt is sent again, and after which delay.
///
/// A request is retried when it is idempotent and the attempt failed with a connection
/// error, an attempt timeout, or HTTP 429, 502, 503 or 504. A connection that failed to open
/// (the request never left) is retried for any method. The delay is drawn with full jitter
/// from an exponentially growing range, unless the response has `Retry-After` (seconds or
/// an HTTP date). Either delay is capped at the maximum backoff. Each retry is logged at
/// info level with its reason.
///
/// Tower clones the policy for each call, so `attempt` counts the attempts of one call.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    settings: Settings,
    attempt: u32,
}

impl RetryPolicy {
    pub(crate) fn new(settings: Settings) -> Self {
        Self {
            settings,
            attempt: 1,
        }
    }
}

impl Policy<HttpRequest, HttpResponse, Error> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut HttpRequest,
        result: &mut Result<HttpResponse, Error>,
    ) -> Option<Self::Future> {
        if self.attempt >= self.settings.max_attempts {
            return None;
        }
        let meta = RequestMeta::of(request);
        let (reason, hint) = retry_reason(result, meta.idempotent)?;
        let delay = backoff(&self.settings, self.attempt, hint);

        // A retry that would start after the call's deadline could only end in an overall
        // timeout, so the caller gets this attempt's outcome now instead.
        if let Some(&(deadline, _)) = meta.deadline.get()
            && tokio::time::Instant::now()
                .checked_add(delay)
                .is_none_or(|start| start >= deadline)
        {
            tracing::info!(
                target: "provena_http",
                service = %meta.context.service,
                method = %meta.context.method,
                path = %meta.context.path,
                attempt = self.attempt,
                reason = %reason,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "not retrying: the backoff would end after the overall deadline"
            );
            return None;
        }

        // The request span is at debug level, so the event names the request itself for
        // subscribers that show only info and above.
        tracing::info!(
            target: "provena_http",
            service = %meta.context.service,
            method = %meta.context.method,
            path = %meta.context.path,
            attempt = self.attempt,
            reason = %reason,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "retrying request"
        );
        self.attempt += 1;
        meta.attempts.store(self.attempt, Ordering::SeqCst);
        Some(tokio::time::sleep(delay))
    }

    fn clone_request(&mut self, request: &HttpRequest) -> Option<HttpRequest> {
        (self.settings.max_attempts > 1).then(|| clone_request(request))
    }
}

/// Returns why the attempt should be retried and the server's requested delay, or `None`
/// when it should not be.
fn retry_reason(
    result: &Result<HttpResponse, Error>,
    idempotent: bool,
) -> Option<(String, Option<Duration>)> {
    match result {
        Ok(response) => {
            let status = response.status();
            let transient = matches!(status.as_u16(), 429 | 502 | 503 | 504);
            (transient && idempotent).then(|| {
                let reason = format!("HTTP {}", status.as_u16());
                (reason, retry_after(response.headers()))
            })
        }
        // The same certificate would be presented again.
        Err(error) if error.is_certificate_rejection() => None,
        Err(Error::Transport {
            before_send: true, ..
        })
        | Err(Error::Timeout {
            kind: TimeoutKind::Connect,
            ..
        }) => Some((
            String::from("connection failed before the request was sent"),
            None,
        )),
        Err(Error::Transport { .. }) if idempotent => {
            Some((String::from("connection failed"), None))
        }
        Err(Error::Timeout {
            kind: TimeoutKind::Attempt,
            ..
        }) if idempotent => Some((String::from("attempt timed out"), None)),
        Err(_) => None,
    }
}

/// Reads `Retry-After` as a number of seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Computes the delay after attempt `attempt` (1-based): the server's hint capped at
/// `max_backoff`, or else a uniform draw from zero to
/// `min(max_backoff, initial_backoff * 2^(attempt - 1))` (full jitter).
pub(crate) fn backoff(settings: &Settings, attempt: u32, hint: Option<Duration>) -> Duration {
    if let Some(hint) = hint {
        return hint.min(settings.max_backoff);
    }
    let exponent = attempt.saturating_sub(1).min(20);
    let cap = settings
        .initial_backoff
        .saturating_mul(1 << exponent)
        .min(settings.max_backoff);
    let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::random_range(0..=cap_nanos))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU32;

    use http::{HeaderValue, Method};
    use tower::{Layer, ServiceExt};

    use super::*;
    use crate::config::Service as ProvenaService;
    use crate::middleware::testing;

    #[test]
    fn backoff_honours_retry_after_up_to_cap() {
        let settings = Settings::default();
        assert_eq!(
            backoff(&settings, 1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            backoff(&settings, 1, Some(Duration::from_secs(600))),
            settings.max_backoff
        );
        for attempt in 1..40 {
            assert!(backoff(&settings, attempt, None) <= settings.max_backoff);
        }
    }

    #[test]
    fn backoff_range_grows_exponentially() {
        let settings = Settings {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(60),
        };
        let largest = |attempt| {
            (0..200)
                .map(|_| backoff(&settings, attempt, None))
                .max()
                .unwrap()
        };
        assert!(largest(1) <= Duration::from_millis(100));
        assert!(largest(4) <= Duration::from_millis(800));
        // 200 uniform draws stay below half the range with probability 2^-200.
        assert!(largest(4) > Duration::from_millis(400));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(later);
        headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(&date).unwrap(),
        );
        let delay = retry_after(&headers).unwrap();
        assert!(delay > Duration::from_secs(100), "{delay:?}");
        assert!(delay <= Duration::from_secs(120), "{delay:?}");
        headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    /// A service that returns the scripted statuses in order, then 200, and counts calls.
    fn scripted(
        statuses: &'static [(u16, Option<&'static str>)],
        calls: Arc<AtomicU32>,
    ) -> impl tower::Service<HttpRequest, Response = HttpResponse, Error = Error, Future = impl Send>
    + Clone
    + Send
    + 'static {
        tower::service_fn(move |_request: HttpRequest| {
            let index = calls.fetch_add(1, Ordering::SeqCst) as usize;
            async move {
                let (status, retry_after) = statuses.get(index).copied().unwrap_or((200, None));
                let mut response = testing::response(status, "{}");
                if let Some(value) = retry_after {
                    response
                        .headers_mut()
                        .insert(http::header::RETRY_AFTER, HeaderValue::from_static(value));
                }
                Ok::<_, Error>(response)
            }
        })
    }

    fn settings(max_attempts: u32) -> Settings {
        Settings {
            max_attempts,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_delays_the_retry() {
        let calls = Arc::new(AtomicU32::new(0));
        let service = tower::retry::RetryLayer::new(RetryPolicy::new(settings(3)))
            .layer(scripted(&[(429, Some("12"))], calls.clone()));
        let request = testing::request(ProvenaService::Search, Method::GET, "http://127.0.0.1/s");
        let started = tokio::time::Instant::now();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(started.elapsed().as_secs(), 12);
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_limited() {
        let calls = Arc::new(AtomicU32::new(0));
        let statuses = &[(503, None), (502, None), (504, None), (503, None)];
        let service = tower::retry::RetryLayer::new(RetryPolicy::new(settings(3)))
            .layer(scripted(statuses, calls.clone()));
        let request = testing::request(ProvenaService::Search, Method::GET, "http://127.0.0.1/s");
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 504);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn post_is_not_retried() {
        let calls = Arc::new(AtomicU32::new(0));
        let service = tower::retry::RetryLayer::new(RetryPolicy::new(settings(4)))
            .layer(scripted(&[(503, None)], calls.clone()));
        let request =
            testing::request(ProvenaService::Registry, Method::POST, "http://127.0.0.1/r");
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn connect_failure_is_retried_for_any_method() {
        let context = crate::decode::ResponseContext {
            service: ProvenaService::Registry,
            method: Method::POST,
            path: "/r".into(),
        };
        let refused: Result<HttpResponse, Error> = Err(Error::Transport {
            service: context.service,
            method: context.method.clone(),
            path: context.path.clone(),
            before_send: true,
            source: "connection refused".into(),
        });
        assert!(retry_reason(&refused, false).is_some());
        let broken: Result<HttpResponse, Error> = Err(Error::Transport {
            service: context.service,
            method: context.method,
            path: context.path,
            before_send: false,
            source: "connection reset".into(),
        });
        assert!(retry_reason(&broken, false).is_none());
        assert!(retry_reason(&broken, true).is_some());
    }
}
