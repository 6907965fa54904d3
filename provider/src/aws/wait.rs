//! Polling with a deadline: the shape of every AWS waiter here. A wait ends when the condition
//! says done, when it says failed, when its timeout passes, or when Terraform asks the provider
//! to stop — nothing waits forever. Single calls get the same bound from [`bounded`]: the SDK
//! retries a dead endpoint for many minutes, so each create, update and delete call is raced
//! against its resource's deadline and StopProvider.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// What one poll found.
pub enum Poll<T, E> {
    /// The wait is over.
    Done(T),
    /// Not yet; the text says where things stand ("status CREATING"), for the timeout message.
    Pending(String),
    /// It will never succeed.
    Failed(E),
}

/// Why a wait ended without success.
#[derive(Debug, thiserror::Error)]
pub enum WaitError<E: std::error::Error + 'static> {
    #[error("timed out after {waited:?} waiting for {what} (last seen: {last})")]
    Timeout { what: String, waited: Duration, last: String },
    #[error("stopped waiting for {what}: Terraform asked the provider to stop (last seen: {last})")]
    Cancelled { what: String, last: String },
    #[error("{0}")]
    Failed(#[source] E),
}

/// How long one mutating call may take in resources without a `timeouts` block: far beyond a
/// healthy call (well under a second, or a few seconds of retries under throttling), well short
/// of what the SDK's retries could add up to against an endpoint that is gone (25 attempts of up
/// to 60 s each, with backoff).
pub const SINGLE_CALL_LIMIT: Duration = Duration::from_secs(5 * 60);

/// How long the lookup made after a failed, timed-out or stopped operation may take: it only
/// records what exists, and Terraform may be waiting to exit (after Ctrl-C), so it is short.
pub const AFTER_FAILURE_LOOKUP_LIMIT: Duration = Duration::from_secs(15);

/// Why a single call was abandoned before it answered. AWS may have done the work all the same.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Interrupted {
    #[error("{what} did not answer within {limit:?}; AWS may still have done it")]
    TimedOut { what: String, limit: Duration },
    #[error("stopped before {what} answered: Terraform asked the provider to stop; AWS may still have done it")]
    Cancelled { what: String },
}

/// Runs one call, giving up when `limit` passes or `cancel` fires, whichever is first.
///
/// # Errors
/// [`Interrupted`] when the call was abandoned; the call's own result otherwise.
pub async fn bounded<T>(what: &str, limit: Duration, cancel: &CancellationToken, call: impl Future<Output = T>) -> Result<T, Interrupted> {
    tokio::select! {
        biased;
        result = call => Ok(result),
        () = cancel.cancelled() => Err(Interrupted::Cancelled { what: what.to_string() }),
        () = tokio::time::sleep(limit) => Err(Interrupted::TimedOut { what: what.to_string(), limit }),
    }
}

/// Runs one call, giving up when `limit` passes — for the lookups made after a stop, which
/// must not be cut short by the very stop signal they follow.
///
/// # Errors
/// [`Interrupted::TimedOut`] when the call was abandoned.
pub async fn within<T>(what: &str, limit: Duration, call: impl Future<Output = T>) -> Result<T, Interrupted> {
    bounded(what, limit, &CancellationToken::new(), call).await
}

/// A deadline shared by the steps of one operation (a create call, then its wait), so the
/// resource's timeout bounds the whole operation, not each step.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// `timeout` from now.
    pub fn after(timeout: Duration) -> Self {
        Self(Instant::now() + timeout)
    }

    /// What is left; zero once passed.
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// Polls `check` every `interval` until it is done or failed, `timeout` passes, or `cancel` fires.
///
/// # Errors
/// `Timeout`, `Cancelled`, or the condition's own failure.
pub async fn poll_until<T, E, F, Fut>(
    what: &str,
    timeout: Duration,
    interval: Duration,
    cancel: &CancellationToken,
    mut check: F,
) -> Result<T, WaitError<E>>
where
    E: std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Poll<T, E>>,
{
    let started = Instant::now();
    let mut last = "no answer yet".to_string();
    loop {
        // The check itself (an AWS call, retried by the SDK for minutes when the API is down)
        // is raced against the deadline and StopProvider too, not only the naps between checks.
        let outcome = match bounded(what, timeout.saturating_sub(started.elapsed()), cancel, check()).await {
            Ok(outcome) => outcome,
            Err(Interrupted::Cancelled { .. }) => return Err(WaitError::Cancelled { what: what.to_string(), last }),
            Err(Interrupted::TimedOut { .. }) => return Err(WaitError::Timeout { what: what.to_string(), waited: started.elapsed(), last }),
        };
        match outcome {
            Poll::Done(value) => return Ok(value),
            Poll::Failed(err) => return Err(WaitError::Failed(err)),
            Poll::Pending(state) => last = state,
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Err(WaitError::Timeout { what: what.to_string(), waited, last });
        }
        let nap = interval.min(timeout - waited);
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            () = cancel.cancelled() => return Err(WaitError::Cancelled { what: what.to_string(), last }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("broken")]
    struct Broken;

    #[tokio::test]
    async fn returns_when_done() {
        let mut n = 0;
        let result: Result<i32, WaitError<Broken>> = poll_until("thing", Duration::from_secs(5), Duration::from_millis(1), &CancellationToken::new(), || {
            n += 1;
            let n = n;
            async move { if n == 3 { Poll::Done(n) } else { Poll::Pending(format!("try {n}")) } }
        })
        .await;
        assert_eq!(result.ok(), Some(3));
    }

    #[tokio::test]
    async fn times_out_with_the_last_state() {
        let result: Result<(), WaitError<Broken>> =
            poll_until("node group", Duration::from_millis(30), Duration::from_millis(5), &CancellationToken::new(), || async {
                Poll::Pending("status CREATING".into())
            })
            .await;
        let text = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("timed out") && text.contains("status CREATING"), "{text}");
    }

    #[tokio::test]
    async fn stops_when_cancelled() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let result: Result<(), WaitError<Broken>> =
            poll_until("x", Duration::from_secs(60), Duration::from_secs(10), &cancel, || async { Poll::Pending("busy".into()) }).await;
        assert!(matches!(result, Err(WaitError::Cancelled { .. })));
    }

    #[tokio::test]
    async fn reports_failure() {
        let result: Result<(), WaitError<Broken>> =
            poll_until("x", Duration::from_secs(60), Duration::from_millis(1), &CancellationToken::new(), || async { Poll::Failed(Broken) }).await;
        assert!(matches!(result, Err(WaitError::Failed(Broken))));
    }

    #[tokio::test]
    async fn a_hanging_check_is_stopped_by_stop_provider() {
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            stopper.cancel();
        });
        let started = Instant::now();
        let result: Result<(), WaitError<Broken>> =
            poll_until("x", Duration::from_secs(600), Duration::from_secs(1), &cancel, std::future::pending).await;
        assert!(matches!(result, Err(WaitError::Cancelled { .. })), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_hanging_check_is_stopped_by_the_timeout() {
        let started = Instant::now();
        let result: Result<(), WaitError<Broken>> =
            poll_until("node group", Duration::from_millis(50), Duration::from_secs(1), &CancellationToken::new(), std::future::pending).await;
        let text = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("timed out") && text.contains("no answer yet"), "{text}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_bounded_call_that_answers_returns_its_result() {
        let result = bounded("CreateNodegroup", Duration::from_secs(5), &CancellationToken::new(), async { 42 }).await;
        assert_eq!(result.ok(), Some(42));
    }

    #[tokio::test]
    async fn a_hanging_call_ends_at_its_limit() {
        let started = Instant::now();
        let result: Result<(), Interrupted> = bounded("CreateNodegroup", Duration::from_millis(50), &CancellationToken::new(), std::future::pending()).await;
        let text = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(text, "CreateNodegroup did not answer within 50ms; AWS may still have done it");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_hanging_call_ends_on_stop_provider() {
        let cancel = CancellationToken::new();
        let stopper = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            stopper.cancel();
        });
        let started = Instant::now();
        let result: Result<(), Interrupted> = bounded("DeleteNodegroup", Duration::from_secs(600), &cancel, std::future::pending()).await;
        assert!(matches!(&result, Err(Interrupted::Cancelled { what }) if what == "DeleteNodegroup"), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn the_lookup_after_a_stop_runs_although_stop_was_signalled() {
        // `within` ignores the stop signal (already fired) but keeps its own limit.
        let answered = within("DescribeNodegroup", Duration::from_secs(5), async { "found" }).await;
        assert_eq!(answered.ok(), Some("found"));
        let hung: Result<(), Interrupted> = within("DescribeNodegroup", Duration::from_millis(20), std::future::pending()).await;
        assert!(matches!(hung, Err(Interrupted::TimedOut { .. })));
    }

    #[test]
    fn a_deadline_counts_down_to_zero() {
        let deadline = Deadline::after(Duration::from_millis(5));
        assert!(deadline.remaining() <= Duration::from_millis(5));
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_zero_timeout_still_checks_once() {
        let result: Result<i32, WaitError<Broken>> =
            poll_until("x", Duration::ZERO, Duration::from_secs(1), &CancellationToken::new(), || async { Poll::Done(7) }).await;
        assert_eq!(result.ok(), Some(7));
    }
}
