//! Failed-login counters (`login_attempts`): one document per counter key, expired by a
//! TTL index once its window and lock-out are over.
//!
//! An attempt is *reserved* before the password is checked: one conditional increment
//! that the server applies only while the counter is under its limit, so a burst of
//! parallel guesses gets at most `limit` reservations, never more. A reservation counts as
//! a failure until its attempt ends (`pending` says how many have not ended yet): a
//! successful attempt gives it back. An attempt that finds the counter full while some of
//! it is still pending waits for those to end rather than being refused for failures that
//! may not happen.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::IndexModel;

use super::{bson_time, Store};
use crate::error::{duplicate_key, Result};

/// The outcome of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reservation {
    Reserved,
    /// The counter is at its limit until the given instant.
    Refused(DateTime<Utc>),
    /// The counter is full, but some of it is attempts still running: ask again shortly.
    Busy,
}

fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn number(counter: &Document, field: &str) -> i64 {
    counter
        .get_i32(field)
        .map(i64::from)
        .or_else(|_| counter.get_i64(field))
        .unwrap_or(0)
}

fn failures(counter: &Document) -> i64 {
    number(counter, "failures")
}

impl Store {
    pub(crate) async fn ensure_attempt_indexes(&self) -> Result<()> {
        let ttl = IndexOptions::builder()
            .name("expire".to_owned())
            .expire_after(Duration::ZERO)
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

    /// Reserve one attempt on counter `key`: at most `limit` within `window`; the
    /// reservation that reaches the limit holds the counter there for `lockout`.
    pub(crate) async fn reserve_attempt(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
        lockout: Duration,
    ) -> Result<Reservation> {
        let now = Utc::now();
        let window_end = now + span(window);
        let lock_end = now + span(lockout);
        // The document outlives both its window and a lock-out that may follow.
        let expires = window_end + span(lockout);
        // A window that is over starts again from zero.
        self.attempts
            .update_one(
                doc! { "_id": key, "window_until": { "$lte": bson_time(now) } },
                doc! {
                    "$set": { "failures": 0, "pending": 0, "window_until": bson_time(window_end) },
                    "$max": { "expires_at": bson_time(expires) },
                },
            )
            .await?;
        for _ in 0..3 {
            let reserved = self
                .attempts
                .find_one_and_update(
                    doc! { "_id": key, "failures": { "$lt": i64::from(limit) } },
                    doc! {
                        "$inc": { "failures": 1_i64, "pending": 1_i64 },
                        "$setOnInsert": { "window_until": bson_time(window_end) },
                        "$max": { "expires_at": bson_time(expires) },
                    },
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await;
            match reserved {
                Ok(counter) => {
                    if counter.is_some_and(|c| failures(&c) >= i64::from(limit)) {
                        self.attempts
                            .update_one(
                                doc! { "_id": key },
                                doc! { "$set": { "window_until": bson_time(lock_end) } },
                            )
                            .await?;
                    }
                    return Ok(Reservation::Reserved);
                }
                // The counter is at its limit (the filter did not match, so the upsert
                // tried to insert a second document under its key), or a racing first
                // attempt inserted it just now.
                Err(e) if duplicate_key(&e).is_some() => {
                    let Some(counter) = self.attempts.find_one(doc! { "_id": key }).await? else {
                        continue;
                    };
                    let until = counter
                        .get_datetime("window_until")
                        .map(|t| t.to_chrono())
                        .unwrap_or(now);
                    if failures(&counter) >= i64::from(limit) && until > now {
                        return Ok(if number(&counter, "pending") > 0 {
                            Reservation::Busy
                        } else {
                            Reservation::Refused(until)
                        });
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Still contended after three tries: refuse this attempt rather than let it pass
        // uncounted.
        Ok(Reservation::Refused(now + chrono::Duration::seconds(1)))
    }

    /// Give one reservation back (the attempt succeeded, or never reached a verdict).
    pub(crate) async fn release_attempt(&self, key: &str) -> Result<()> {
        self.attempts
            .update_one(
                doc! { "_id": key, "failures": { "$gt": 0 }, "pending": { "$gt": 0 } },
                doc! { "$inc": { "failures": -1_i64, "pending": -1_i64 } },
            )
            .await?;
        Ok(())
    }

    /// A reserved attempt failed: its reservation stays counted, no longer pending.
    pub(crate) async fn confirm_attempt(&self, key: &str) -> Result<()> {
        self.attempts
            .update_one(
                doc! { "_id": key, "pending": { "$gt": 0 } },
                doc! { "$inc": { "pending": -1_i64 } },
            )
            .await?;
        Ok(())
    }

    /// Forget a counter (a successful login on it).
    pub(crate) async fn clear_attempts(&self, key: &str) -> Result<()> {
        self.attempts.delete_one(doc! { "_id": key }).await?;
        Ok(())
    }
}
