//! Login attempts are rate-limited per user name and per client address (GCRA buckets of `governor`),
//! before the password is checked, so guessing costs the guesser time and the console no bcrypt work. An
//! attempt over either limit is refused with 429 and the seconds to wait.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Login attempts one user name may have per minute (in a burst, then one every 12 s).
pub const PER_USER_PER_MINUTE: u32 = 5;
/// Login attempts one client address may have per minute.
pub const PER_ADDRESS_PER_MINUTE: u32 = 20;

/// Which limit an attempt ran into, and how long until the next attempt is let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limited {
    User { wait: Duration },
    Address { wait: Duration },
}

impl Limited {
    pub fn wait(&self) -> Duration {
        match self {
            Limited::User { wait } | Limited::Address { wait } => *wait,
        }
    }
}

/// The console's login limits.
pub struct LoginLimit {
    users: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Default for LoginLimit {
    fn default() -> Self {
        LoginLimit {
            users: DefaultKeyedRateLimiter::keyed(per_minute(PER_USER_PER_MINUTE)),
            addresses: DefaultKeyedRateLimiter::keyed(per_minute(PER_ADDRESS_PER_MINUTE)),
            clock: DefaultClock::default(),
        }
    }
}

impl LoginLimit {
    /// Counts one attempt by `address` for `user`; `Err` when either limit is reached (the attempt is then
    /// not to be checked).
    pub fn attempt(&self, address: IpAddr, user: &str) -> Result<(), Limited> {
        // Forget idle keys now and then so made-up user names do not pile up.
        if self.users.len() > 10_000 {
            self.users.retain_recent();
        }
        if self.addresses.len() > 10_000 {
            self.addresses.retain_recent();
        }
        let now = self.clock.now();
        self.addresses
            .check_key(&address)
            .map_err(|n| Limited::Address {
                wait: n.wait_time_from(now),
            })?;
        self.users
            .check_key(&user.to_string())
            .map_err(|n| Limited::User {
                wait: n.wait_time_from(now),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_user_and_per_address() {
        let limit = LoginLimit::default();
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        for _ in 0..PER_USER_PER_MINUTE {
            assert_eq!(limit.attempt(a, "ann"), Ok(()));
        }
        let refused = limit.attempt(a, "ann").expect_err("limited");
        assert!(matches!(refused, Limited::User { .. }), "{refused:?}");
        assert!(refused.wait() > Duration::ZERO && refused.wait() <= Duration::from_secs(12));
        // Another name from the same address still gets through, until the address's limit.
        let mut outcome = Ok(());
        for i in 0..PER_ADDRESS_PER_MINUTE {
            outcome = limit.attempt(a, &format!("user-{i}"));
            if outcome.is_err() {
                break;
            }
        }
        assert!(
            matches!(outcome, Err(Limited::Address { .. })),
            "{outcome:?}"
        );
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        assert_eq!(limit.attempt(b, "vic"), Ok(()));
    }
}
