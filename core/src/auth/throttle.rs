//! Brute-force protection: which counters a login attempt reserves, and what its outcome
//! does to them (the counters themselves are `store/attempts.rs`).
//!
//! An attempt reserves, before its password is checked, one failure on each of:
//! - its (email, client) pair, so one address locks out only itself;
//! - its email, a ceiling over every address (OWASP ASVS 2.2.1);
//! - its client, when known, a ceiling over every email it tries.
//!
//! A failed attempt keeps its reservations; a successful one gives them back and clears its
//! pair; an attempt that never reached a verdict (a database error) gives them back too.

use std::time::Duration;

use chrono::Utc;

use crate::config::LoginThrottle;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::Email;
use crate::store::Reservation;

/// One counter a login attempt reserves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counter {
    key: String,
    limit: u32,
    window: Duration,
    /// The pair counter: cleared by a success.
    pair: bool,
}

/// The counters of a login from `client` (an address or any key the application trusts)
/// to `email`.
pub(crate) fn counters(limits: &LoginThrottle, email: &str, client: Option<&str>) -> Vec<Counter> {
    let email = Email::parse(email)
        .map(|e| e.key().to_owned())
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let client = client.map(str::trim).filter(|c| !c.is_empty());
    let mut counters = vec![
        Counter {
            key: format!("pair:{email}|{}", client.unwrap_or("-")),
            limit: limits.max_failures,
            window: limits.window,
            pair: true,
        },
        Counter {
            key: format!("email:{email}"),
            limit: limits.account_max_failures,
            window: limits.account_window,
            pair: false,
        },
    ];
    if let Some(client) = client {
        counters.push(Counter {
            key: format!("client:{client}"),
            limit: limits.client_max_failures,
            window: limits.window,
            pair: false,
        });
    }
    counters
}

/// How long an attempt waits between two looks at a counter full of running attempts.
const BUSY_POLL: Duration = Duration::from_millis(25);

/// Reserve an attempt on every counter, or refuse it (giving back what was reserved). A
/// counter full of attempts still running is waited on, up to the database timeout.
pub(crate) async fn reserve(cx: &Cx, limits: &LoginThrottle, counters: &[Counter]) -> Result<()> {
    let deadline = tokio::time::Instant::now() + cx.config.database_timeout;
    for (i, c) in counters.iter().enumerate() {
        let reserved = loop {
            let reserved = cx
                .store
                .reserve_attempt(&c.key, c.limit, c.window, limits.lockout)
                .await;
            match reserved {
                Ok(Reservation::Busy) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(BUSY_POLL).await;
                }
                other => break other,
            }
        };
        let refused = match reserved {
            Ok(Reservation::Reserved) => continue,
            Ok(Reservation::Busy) => Error::TooManyAttempts {
                retry_after_secs: 1,
            },
            Ok(Reservation::Refused(until)) => {
                let millis = (until - Utc::now()).num_milliseconds().max(0) as u64;
                Error::TooManyAttempts {
                    retry_after_secs: millis.div_ceil(1000).max(1),
                }
            }
            Err(e) => e,
        };
        for earlier in &counters[..i] {
            cx.store.release_attempt(&earlier.key).await?;
        }
        return Err(refused);
    }
    Ok(())
}

/// Settle the reservations of an attempt by its outcome.
pub(crate) async fn settle<T>(cx: &Cx, counters: &[Counter], outcome: &Result<T>) -> Result<()> {
    for c in counters {
        match outcome {
            Err(Error::InvalidCredentials) => cx.store.confirm_attempt(&c.key).await?,
            Ok(_) if c.pair => cx.store.clear_attempts(&c.key).await?,
            _ => cx.store.release_attempt(&c.key).await?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_case_insensitive_and_the_client_is_optional() {
        let limits = LoginThrottle::default();
        let keys = |email, client| -> Vec<String> {
            counters(&limits, email, client)
                .into_iter()
                .map(|c| c.key)
                .collect()
        };
        assert_eq!(keys(" A@B.io ", None), ["pair:a@b.io|-", "email:a@b.io"]);
        assert_eq!(
            keys("a@b.io", Some("10.0.0.1")),
            ["pair:a@b.io|10.0.0.1", "email:a@b.io", "client:10.0.0.1"]
        );
        assert_eq!(keys("a@b.io", Some(" ")), ["pair:a@b.io|-", "email:a@b.io"]);
        let ceilings: Vec<u32> = counters(&limits, "a@b.io", Some("x"))
            .iter()
            .map(|c| c.limit)
            .collect();
        assert_eq!(ceilings, [10, 100, 100]);
    }
}
