//! Polling with a deadline: the shape of every AWS waiter here. A wait ends when the condition
//! says done, when it says failed, when its timeout passes, or when Terraform asks the provider
//! to stop — nothing waits forever.

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
        let remaining = timeout.saturating_sub(started.elapsed());
        let outcome = tokio::select! {
            biased;
            outcome = check() => outcome,
            () = cancel.cancelled() => return Err(WaitError::Cancelled { what: what.to_string(), last }),
            () = tokio::time::sleep(remaining) => {
                return Err(WaitError::Timeout { what: what.to_string(), waited: started.elapsed(), last });
            }
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
    async fn a_zero_timeout_still_checks_once() {
        let result: Result<i32, WaitError<Broken>> =
            poll_until("x", Duration::ZERO, Duration::from_secs(1), &CancellationToken::new(), || async { Poll::Done(7) }).await;
        assert_eq!(result.ok(), Some(7));
    }
}
