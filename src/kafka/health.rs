//! Connection health of a set of Kafka clients (the agent's producers): the last problem librdkafka
//! reported, as a `Diagnosis`, until a message is delivered again. Read by the status key, the metrics page
//! and the log (which it keeps from repeating the same sentence at every reconnect).

use super::diagnose::{Cause, Diagnosis};
use crate::event::timestamp;
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The same problem is logged again at most this often.
const LOG_REPEAT: Duration = Duration::from_secs(30);

/// A specific problem (a refused login, an untrusted certificate) outranks the vaguer reports that follow
/// it for this long after it was last seen. librdkafka follows a broker's first failure with "1/1 brokers are
/// down", which says nothing new, and then reports an identical failure again only after 30 s
/// (`rd_kafka_broker_set_error`), reconnecting at most every 10 s (`reconnect.backoff.max.ms`): a settings
/// problem that still holds is seen again within the window.
const SPECIFIC_OUTRANKS_FOR: Duration = Duration::from_secs(60);

/// A problem that has not been followed by a delivery.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(flatten)]
    pub diagnosis: Diagnosis,
    /// When it was first reported (UTC, RFC 3339).
    pub since: String,
    /// How many times it was reported since.
    pub count: u64,
}

struct Last {
    problem: Problem,
    logged_at: Instant,
    seen_at: Instant,
}

/// Shared by every client of one role.
#[derive(Default)]
pub struct KafkaHealth {
    failing: AtomicBool,
    last: Mutex<Option<Last>>,
    errors: [AtomicU64; Cause::ALL.len()],
}

impl KafkaHealth {
    /// Records a reported error; `true` when it should be logged (new, or not logged for a while). A vaguer
    /// error than the current problem, reported while that one is still being seen, is counted but neither
    /// replaces it nor is logged.
    pub fn record_error(&self, diagnosis: Diagnosis) -> bool {
        self.record_error_at(diagnosis, Instant::now())
    }

    fn record_error_at(&self, diagnosis: Diagnosis, now: Instant) -> bool {
        if let Some(i) = Cause::ALL.iter().position(|c| *c == diagnosis.cause) {
            self.errors[i].fetch_add(1, Ordering::Relaxed);
        }
        self.failing.store(true, Ordering::Relaxed);
        let mut last = self.last.lock();
        match last.as_mut() {
            Some(l)
                if l.problem.diagnosis.cause.specificity() > diagnosis.cause.specificity()
                    && now.saturating_duration_since(l.seen_at) < SPECIFIC_OUTRANKS_FOR =>
            {
                false
            }
            Some(l) if l.problem.diagnosis == diagnosis => {
                l.problem.count += 1;
                l.seen_at = now;
                if now.saturating_duration_since(l.logged_at) >= LOG_REPEAT {
                    l.logged_at = now;
                    return true;
                }
                false
            }
            _ => {
                *last = Some(Last {
                    problem: Problem {
                        diagnosis,
                        since: timestamp::now(),
                        count: 1,
                    },
                    logged_at: now,
                    seen_at: now,
                });
                true
            }
        }
    }

    /// A message was delivered: whatever was wrong is over. Returns the problem that ended, if any.
    #[inline]
    pub fn record_delivery(&self) -> Option<Problem> {
        if !self.failing.load(Ordering::Relaxed) {
            return None;
        }
        self.clear()
    }

    /// Forgets the current problem (after a delivery, or when the clients are rebuilt).
    pub fn clear(&self) -> Option<Problem> {
        self.failing.store(false, Ordering::Relaxed);
        self.last.lock().take().map(|l| l.problem)
    }

    /// The current problem, if any.
    pub fn problem(&self) -> Option<Problem> {
        self.last.lock().as_ref().map(|l| l.problem.clone())
    }

    /// Errors reported since start, by cause.
    pub fn errors_by_cause(&self) -> Vec<(Cause, u64)> {
        Cause::ALL
            .iter()
            .zip(&self.errors)
            .map(|(cause, n)| (*cause, n.load(Ordering::Relaxed)))
            .collect()
    }
}

/// librdkafka's log line to the `log` crate, as rdkafka's default `ClientContext::log` does (for contexts
/// that also look at the lines).
pub fn forward_log(level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
    use rdkafka::config::RDKafkaLogLevel as L;
    match level {
        L::Emerg | L::Alert | L::Critical | L::Error => {
            log::error!(target: "librdkafka", "librdkafka: {fac} {message}")
        }
        L::Warning => log::warn!(target: "librdkafka", "librdkafka: {fac} {message}"),
        L::Notice | L::Info => log::info!(target: "librdkafka", "librdkafka: {fac} {message}"),
        L::Debug => log::debug!(target: "librdkafka", "librdkafka: {fac} {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Diagnosis {
        Diagnosis {
            cause: Cause::Authentication,
            message: "SASL: refused".into(),
        }
    }

    #[test]
    fn a_problem_lasts_until_a_delivery_and_is_logged_once() {
        let health = KafkaHealth::default();
        assert!(health.record_error(auth()));
        assert!(
            !health.record_error(auth()),
            "the same problem is not logged again at once"
        );
        let problem = health.problem().expect("failing");
        assert_eq!(problem.count, 2);
        assert_eq!(health.record_delivery().map(|p| p.count), Some(2));
        assert!(health.problem().is_none());
        assert!(health.record_delivery().is_none());
        let auth_errors = health
            .errors_by_cause()
            .into_iter()
            .find(|(c, _)| *c == Cause::Authentication)
            .map(|(_, n)| n);
        assert_eq!(auth_errors, Some(2));
    }

    fn unreachable() -> Diagnosis {
        Diagnosis {
            cause: Cause::Unreachable,
            message: "cannot reach broker k:9093 (1/1 brokers are down)".into(),
        }
    }

    #[test]
    fn a_refused_login_is_not_hidden_by_the_brokers_down_report_that_follows_it() {
        let health = KafkaHealth::default();
        let start = Instant::now();
        assert!(health.record_error_at(auth(), start));
        assert!(
            !health.record_error_at(unreachable(), start + Duration::from_millis(5)),
            "the vaguer report is not logged either"
        );
        let problem = health.problem().expect("failing");
        assert_eq!(problem.diagnosis.cause, Cause::Authentication);
        assert_eq!(problem.count, 1);
        // The login is refused again at the next reconnect: the window starts again from there.
        health.record_error_at(auth(), start + Duration::from_secs(20));
        health.record_error_at(unreachable(), start + Duration::from_secs(75));
        assert_eq!(
            health.problem().map(|p| p.diagnosis.cause),
            Some(Cause::Authentication)
        );
        // Once the login has not been seen for the window, the broker is down for another reason.
        assert!(health.record_error_at(unreachable(), start + Duration::from_secs(81)));
        assert_eq!(
            health.problem().map(|p| p.diagnosis.cause),
            Some(Cause::Unreachable)
        );
        // A specific problem replaces a vague one at once.
        assert!(health.record_error_at(auth(), start + Duration::from_secs(82)));
        assert_eq!(
            health.problem().map(|p| p.diagnosis.cause),
            Some(Cause::Authentication)
        );
        let by_cause = health.errors_by_cause();
        let count = |cause| by_cause.iter().find(|(c, _)| *c == cause).map(|(_, n)| *n);
        assert_eq!(
            count(Cause::Unreachable),
            Some(3),
            "every report is counted"
        );
        assert_eq!(count(Cause::Authentication), Some(3));
    }
}
