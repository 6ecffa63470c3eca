//! The audit log: every lifecycle and credential event of a tenant (who, when, what, with
//! which outcome), in the catalog's `tenant_audit`, hash-chained per tenant.
//!
//! Entry `n` of a tenant (`seq`, from 1, unique with the tenant) carries the hash of entry
//! `n - 1` (`prev`; 64 zeros for the first) and its own `hash`: SHA-256 over the entry's
//! fields in a fixed order, `prev` included. `tenant_audit_heads` keeps the last `seq` and
//! `hash` of each tenant. [`verify`] walks a tenant's chain: an edited entry no longer
//! matches its hash, a removed one leaves a gap in `seq` (or, at the end, a head ahead of
//! the entries), and entries put in another order break the `prev` links. The log outlives
//! the tenant: a purged tenant's entries stay, listed and verified by its id.
//!
//! Entries are written after the event, by the process that made it; appends of one tenant
//! race on the unique `(tenant, seq)` and retry. A process that dies between an event and
//! its entry loses that entry (the event itself is journaled and recovered as always): the
//! log says what happened, it does not decide it.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{duplicate_key, Error, Result};
use crate::store::Store;

/// The collection of audit entries.
pub(crate) const TENANT_AUDIT: &str = "tenant_audit";
/// The collection of each tenant's last entry.
pub(crate) const TENANT_AUDIT_HEADS: &str = "tenant_audit_heads";
/// The `prev` of a tenant's first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Attempts of an append racing others of the same tenant (each after a short, growing,
/// jittered pause).
const ATTEMPTS: u32 = 200;

/// One event of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEntry {
    /// The tenant.
    pub tenant: ObjectId,
    /// Its place in the tenant's chain, from 1.
    pub seq: i64,
    /// When it was written.
    #[serde(with = "bson::serde_helpers::chrono_datetime_as_bson_datetime")]
    pub at: DateTime<Utc>,
    /// Who acted: `admin:<id>`, `operator`, `retention`, `anonymous`.
    pub actor: String,
    /// What happened: `create`, `rename`, `email_change`, `password_change`, `delete`,
    /// `restore`, `purge`, `move`, `login`.
    pub op: String,
    /// `ok`, or the error code the operation ended with.
    pub outcome: String,
    /// What else is worth keeping (a rename's names, a move's target); never a secret.
    pub detail: Document,
    /// The hash of the entry before (64 zeros for the first).
    pub prev: String,
    /// This entry's hash (see the module docs).
    pub hash: String,
}

impl AuditEntry {
    /// Whether the entry's hash is the hash of its content.
    pub(crate) fn is_sealed(&self) -> Result<bool> {
        Ok(self.digest()? == self.hash)
    }

    /// The hash of the entry's fields, `prev` included, in a fixed order.
    fn digest(&self) -> Result<String> {
        let canonical = doc! {
            "tenant": self.tenant,
            "seq": self.seq,
            "at": bson::DateTime::from_chrono(self.at),
            "actor": &self.actor,
            "op": &self.op,
            "outcome": &self.outcome,
            "detail": &self.detail,
            "prev": &self.prev,
        };
        let bytes = bson::to_vec(&canonical).map_err(Error::internal)?;
        Ok(hex::encode(Sha256::digest(&bytes)))
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditVerification {
    /// Entries read.
    pub entries: u64,
    /// The first entry (by `seq`) where the chain breaks, and how; `None` when whole.
    pub broken: Option<(i64, String)>,
}

impl AuditVerification {
    /// Whether the chain is whole.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Which entries of a tenant to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditQuery {
    /// Only entries of this operation.
    pub op: Option<String>,
    /// Only entries written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries written before this time.
    pub until: Option<DateTime<Utc>>,
    /// Entries per page (100 when unset; 1 to 1000).
    pub limit: Option<usize>,
    /// Entries after this `seq` (the `next` of the page before).
    pub after: Option<i64>,
}

impl AuditQuery {
    /// Every entry, first page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only entries of `op`.
    pub fn op(mut self, op: impl Into<String>) -> Self {
        self.op = Some(op.into());
        self
    }

    /// Only entries at or after `time`.
    pub fn since(mut self, time: DateTime<Utc>) -> Self {
        self.since = Some(time);
        self
    }

    /// Only entries before `time`.
    pub fn until(mut self, time: DateTime<Utc>) -> Self {
        self.until = Some(time);
        self
    }

    /// At most `limit` entries per page.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The entries after `seq`.
    pub fn after(mut self, seq: i64) -> Self {
        self.after = Some(seq);
        self
    }
}

/// A page of a tenant's entries, in order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// The `after` of the next page (`None` on the last).
    pub next: Option<i64>,
}

impl AuditPage {
    /// A page of `entries` with the cursor `next` (for bindings that rebuild pages).
    pub fn new(entries: Vec<AuditEntry>, next: Option<i64>) -> Self {
        AuditPage { entries, next }
    }
}

impl AuditVerification {
    /// A verification result (for bindings that rebuild one).
    pub fn new(entries: u64, broken: Option<(i64, String)>) -> Self {
        AuditVerification { entries, broken }
    }
}

fn entries(store: &Store) -> Collection<AuditEntry> {
    store.catalog(TENANT_AUDIT)
}

fn heads(store: &Store) -> Collection<Document> {
    store.catalog(TENANT_AUDIT_HEADS)
}

/// Create the log's index: one `seq` per tenant.
pub(crate) async fn ensure_indexes(store: &Store) -> Result<()> {
    let options = IndexOptions::builder()
        .unique(true)
        .name("tenant_seq".to_owned())
        .build();
    entries(store)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "tenant": 1, "seq": 1 })
                .options(options)
                .build(),
        )
        .await?;
    Ok(())
}

/// Append an event of `tenant` to its chain.
pub(crate) async fn append(
    store: &Store,
    tenant: ObjectId,
    actor: &str,
    op: &str,
    outcome: &str,
    detail: Document,
) -> Result<AuditEntry> {
    let log = entries(store);
    let mut attempt = 0;
    while attempt < ATTEMPTS {
        let last = log
            .find_one(doc! { "tenant": tenant })
            .sort(doc! { "seq": -1 })
            .await?;
        let (seq, prev) = match &last {
            Some(l) => (l.seq + 1, l.hash.clone()),
            None => (1, GENESIS.to_owned()),
        };
        let mut entry = AuditEntry {
            tenant,
            seq,
            // Stored to the millisecond: hashed as stored.
            at: bson::DateTime::now().to_chrono(),
            actor: actor.to_owned(),
            op: op.to_owned(),
            outcome: outcome.to_owned(),
            detail: detail.clone(),
            prev,
            hash: String::new(),
        };
        entry.hash = entry.digest()?;
        match log.insert_one(&entry).await {
            Ok(_) => {
                let ahead = doc! { "_id": tenant, "seq": { "$lt": seq } };
                let set = doc! { "$set": { "seq": seq, "hash": &entry.hash } };
                match heads(store).update_one(ahead, set).upsert(true).await {
                    // A later entry moved the head already.
                    Err(e) if duplicate_key(&e).is_some() => {}
                    other => {
                        other?;
                    }
                }
                return Ok(entry);
            }
            // Another process appended this `seq` first: read the chain again.
            Err(e) if duplicate_key(&e).is_some() => {
                attempt += 1;
                let jitter = u64::from(entry.hash.as_bytes()[0]) % 4;
                let pause = (u64::from(attempt.min(10)) + jitter).min(12);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::busy())
}

/// Keep an entry as it is (an imported archive's, under its own tenant), unless that
/// tenant's log has this `seq` already.
pub(crate) async fn keep(store: &Store, entry: &AuditEntry) -> Result<()> {
    match entries(store).insert_one(entry).await {
        Ok(_) => {
            let ahead = doc! { "_id": entry.tenant, "seq": { "$lt": entry.seq } };
            let set = doc! { "$set": { "seq": entry.seq, "hash": &entry.hash } };
            match heads(store).update_one(ahead, set).upsert(true).await {
                Err(e) if duplicate_key(&e).is_some() => Ok(()),
                other => other.map(|_| ()).map_err(Error::from),
            }
        }
        Err(e) if duplicate_key(&e).is_some() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Record an event, logging (not returning) a failure to: the event happened either way.
pub(crate) async fn record(
    store: &Store,
    tenant: ObjectId,
    actor: &str,
    op: &str,
    outcome: &str,
    detail: Document,
) {
    if let Err(e) = append(store, tenant, actor, op, outcome, detail).await {
        tracing::warn!(tenant = %tenant, op, error = %e, "the audit entry could not be written");
    }
}

/// One page of `tenant`'s entries matching `query`.
pub(crate) async fn list(store: &Store, tenant: ObjectId, query: &AuditQuery) -> Result<AuditPage> {
    let size = match query.limit {
        None => 100,
        Some(n) if (1..=1000).contains(&n) => n,
        Some(_) => return Err(Error::invalid("limit", "must be between 1 and 1000")),
    };
    let mut filter = doc! { "tenant": tenant };
    if let Some(op) = &query.op {
        filter.insert("op", op);
    }
    let mut at = Document::new();
    if let Some(since) = query.since {
        at.insert("$gte", bson::DateTime::from_chrono(since));
    }
    if let Some(until) = query.until {
        at.insert("$lt", bson::DateTime::from_chrono(until));
    }
    if !at.is_empty() {
        filter.insert("at", at);
    }
    if let Some(after) = query.after {
        filter.insert("seq", doc! { "$gt": after });
    }
    let mut entries: Vec<AuditEntry> = entries(store)
        .find(filter)
        .sort(doc! { "seq": 1 })
        .limit(size as i64 + 1)
        .await?
        .try_collect()
        .await?;
    let more = entries.len() > size;
    entries.truncate(size);
    let next = more.then(|| entries.last().map(|e| e.seq)).flatten();
    Ok(AuditPage { entries, next })
}

/// Walk `tenant`'s whole chain (see the module docs).
pub(crate) async fn verify(store: &Store, tenant: ObjectId) -> Result<AuditVerification> {
    let mut cursor = entries(store)
        .clone_with_type::<Document>()
        .find(doc! { "tenant": tenant })
        .sort(doc! { "seq": 1 })
        .await?;
    let (mut read, mut prev, mut expected) = (0u64, GENESIS.to_owned(), 1i64);
    let broken = |seq: i64, why: &str| Some((seq, why.to_owned()));
    while let Some(raw) = cursor.try_next().await? {
        read += 1;
        let seq = raw.get_i64("seq").unwrap_or(-1);
        let Ok(entry) = bson::from_document::<AuditEntry>(raw) else {
            return Ok(AuditVerification {
                entries: read,
                broken: broken(seq, "an entry that does not read as one"),
            });
        };
        let problem = if entry.seq != expected {
            Some("an entry is missing before this one")
        } else if entry.prev != prev {
            Some("its link to the entry before does not match")
        } else if entry.digest()? != entry.hash {
            Some("its content does not match its hash")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Ok(AuditVerification {
                entries: read,
                broken: broken(entry.seq, problem),
            });
        }
        prev = entry.hash;
        expected += 1;
    }
    let head = heads(store).find_one(doc! { "_id": tenant }).await?;
    if let Some(head) = head {
        let seq = head.get_i64("seq").unwrap_or(0);
        if seq >= expected {
            return Ok(AuditVerification {
                entries: read,
                broken: broken(expected, "entries at the end were removed"),
            });
        }
        if seq == expected - 1 && head.get_str("hash").ok() != Some(prev.as_str()) {
            return Ok(AuditVerification {
                entries: read,
                broken: broken(seq, "the last entry does not match the recorded head"),
            });
        }
    }
    Ok(AuditVerification {
        entries: read,
        broken: None,
    })
}
