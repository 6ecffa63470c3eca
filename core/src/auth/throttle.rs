//! Brute-force protection: failed logins counted per email (and per client key) in
//! MongoDB, so that every process shares the count, with a lock-out past a threshold.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, IndexModel};

use crate::config::LoginThrottle;
use crate::error::{Error, Result};
use crate::store::bson_time;

/// Collection of failure counters, one document per key, expired by a TTL index.
pub(crate) const LOGIN_ATTEMPTS: &str = "login_attempts";

pub(crate) struct Throttle {
    attempts: Collection<Document>,
    limits: LoginThrottle,
}

/// The counter keys of a login: its email, and the client when one is given.
pub(crate) fn keys(email: &str, client: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("email:{}", email.trim().to_lowercase())];
    if let Some(client) = client.filter(|c| !c.is_empty()) {
        keys.push(format!("client:{client}"));
    }
    keys
}

fn span(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Throttle {
    pub(crate) fn new(attempts: Collection<Document>, limits: LoginThrottle) -> Self {
        Throttle { attempts, limits }
    }

    pub(crate) async fn ensure_indexes(&self) -> Result<()> {
        let ttl = IndexOptions::builder()
            .name("expire".to_owned())
            .expire_after(std::time::Duration::ZERO)
            .build();
        self.attempts
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "expires_at": 1 })
                    .options(ttl)
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Refuse the login if any of its keys is locked out.
    pub(crate) async fn check(&self, keys: &[String]) -> Result<()> {
        let now = Utc::now();
        let locked = self
            .attempts
            .find_one(doc! { "_id": { "$in": keys }, "locked_until": { "$gt": bson_time(now) } })
            .sort(doc! { "locked_until": -1 })
            .await?;
        match locked.and_then(|d| d.get_datetime("locked_until").ok().copied()) {
            Some(until) => Err(Error::TooManyAttempts {
                retry_after_secs: retry_after(until.to_chrono(), now),
            }),
            None => Ok(()),
        }
    }

    /// Count a failure on every key; lock the keys that reach the limit.
    pub(crate) async fn record_failure(&self, keys: &[String]) -> Result<()> {
        let now = Utc::now();
        let window_end = now + span(self.limits.window);
        let expires = window_end + span(self.limits.lockout);
        for key in keys {
            // An expired window starts again from zero.
            self.attempts
                .update_one(
                    doc! { "_id": key, "window_until": { "$lte": bson_time(now) } },
                    doc! { "$set": { "failures": 0, "window_until": bson_time(window_end) } },
                )
                .await?;
            let counter = self
                .attempts
                .find_one_and_update(
                    doc! { "_id": key },
                    doc! {
                        "$inc": { "failures": 1 },
                        "$setOnInsert": { "window_until": bson_time(window_end) },
                        "$set": { "expires_at": bson_time(expires) },
                    },
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await?;
            let failures = counter
                .and_then(|c| c.get_i32("failures").ok())
                .unwrap_or(0);
            if failures >= self.limits.max_failures as i32 {
                let until = now + span(self.limits.lockout);
                self.attempts
                    .update_one(
                        doc! { "_id": key },
                        doc! { "$set": { "locked_until": bson_time(until) } },
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// A successful login clears its counters.
    pub(crate) async fn reset(&self, keys: &[String]) -> Result<()> {
        self.attempts
            .delete_many(doc! { "_id": { "$in": keys } })
            .await?;
        Ok(())
    }
}

/// Whole seconds until `until`, at least 1.
fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let millis = (until - now).num_milliseconds().max(0) as u64;
    millis.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_client_is_optional() {
        assert_eq!(keys(" A@B.io ", None), vec!["email:a@b.io"]);
        assert_eq!(
            keys("a@b.io", Some("10.0.0.1")),
            vec!["email:a@b.io", "client:10.0.0.1"]
        );
        assert_eq!(keys("a@b.io", Some("")), vec!["email:a@b.io"]);
    }

    #[test]
    fn retry_after_rounds_up() {
        let now = Utc::now();
        assert_eq!(
            retry_after(now + chrono::Duration::milliseconds(1500), now),
            2
        );
        assert_eq!(retry_after(now - chrono::Duration::seconds(3), now), 1);
    }
}
