//! The core's audit log (`tenantry::AuditEntry`, `AuditQuery`, `AuditPage`,
//! `AuditVerification`) as plain JS objects: `seq` and counts as numbers, `at` as a `Date`,
//! `detail` as relaxed Extended JSON (what `GET /admin/audit` shows: an ObjectId as
//! `{ $oid }`, a time as `{ $date }`); and the query going the other way. Conversions only.

use chrono::{DateTime, Utc};
use napi::bindgen_prelude::Either;
use napi_derive::napi;
use serde_json::Value;
use tenantry::mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use crate::types::{given, whole, DateValue, Nullable};

/// One event of a tenant's audit log, hash-chained to the one before.
#[napi(object)]
pub struct AuditEntry {
    /// Its place in the tenant's chain, from 1.
    pub seq: f64,
    /// When it was written (to the millisecond).
    pub at: DateTime<Utc>,
    /// Who acted: `admin:<id>`, `operator`, `retention` or `anonymous`.
    pub actor: String,
    /// What happened: `create`, `rename`, `email_change`, `password_change`, `delete`,
    /// `restore`, `purge`, `move`, `import`, `login`, `suspend`, `resume`.
    pub op: String,
    /// `ok`, or the error code the operation ended with.
    pub outcome: String,
    /// What else is kept (a rename's names, a move's target; never a secret), as relaxed
    /// Extended JSON: an ObjectId is `{ $oid: '...' }`, a time `{ $date: '...' }`.
    #[napi(ts_type = "Record<string, unknown>")]
    pub detail: Value,
    /// The hash of the entry before (64 zeros for the first).
    pub prev: String,
    /// This entry's hash (SHA-256, hex).
    pub hash: String,
}

impl From<tenantry::AuditEntry> for AuditEntry {
    fn from(e: tenantry::AuditEntry) -> Self {
        AuditEntry {
            // Exact as a JS number up to 2^53 entries.
            seq: e.seq as f64,
            at: e.at,
            actor: e.actor,
            op: e.op,
            outcome: e.outcome,
            detail: Bson::Document(e.detail).into_relaxed_extjson(),
            prev: e.prev,
            hash: e.hash,
        }
    }
}

impl AuditEntry {
    /// The core's entry again, for the core's HTTP body. The core builds its `AuditEntry`
    /// itself (the type is not constructible outside it), so the way back in is its serde
    /// form. The body does not show the tenant, which this mirror does not carry: it is
    /// left as the zero id.
    pub(crate) fn into_core(self) -> tenantry::Result<tenantry::AuditEntry> {
        let not_ours = |why: String| tenantry::Error::InvalidInput {
            field: "page",
            message: format!("is not an audit page this library returned ({why})"),
        };
        let seq = whole(self.seq, "seq")?;
        let detail = match Bson::try_from(self.detail) {
            Ok(Bson::Document(d)) => d,
            Ok(_) => return Err(not_ours("an entry's detail is not an object".into())),
            Err(e) => return Err(not_ours(e.to_string())),
        };
        let raw: Document = doc! {
            "tenant": ObjectId::from_bytes([0; 12]),
            "seq": seq,
            "at": bson::DateTime::from_chrono(self.at),
            "actor": self.actor,
            "op": self.op,
            "outcome": self.outcome,
            "detail": detail,
            "prev": self.prev,
            "hash": self.hash,
        };
        bson::from_document(raw).map_err(|e| not_ours(e.to_string()))
    }
}

/// One page of a tenant's audit log, in order (`auditLog`).
#[napi(object, use_nullable = true)]
pub struct AuditPage {
    /// The entries of this page.
    pub entries: Vec<AuditEntry>,
    /// The `after` of the next page; `null` on the last one.
    pub next: Option<f64>,
}

impl From<tenantry::AuditPage> for AuditPage {
    fn from(page: tenantry::AuditPage) -> Self {
        AuditPage {
            entries: page.entries.into_iter().map(AuditEntry::from).collect(),
            next: page.next.map(|n| n as f64),
        }
    }
}

impl TryFrom<AuditPage> for tenantry::AuditPage {
    type Error = tenantry::Error;

    fn try_from(page: AuditPage) -> tenantry::Result<Self> {
        let entries = page
            .entries
            .into_iter()
            .map(AuditEntry::into_core)
            .collect::<tenantry::Result<Vec<_>>>()?;
        let next = page.next.map(|n| whole(n, "next")).transpose()?;
        Ok(tenantry::AuditPage::new(entries, next))
    }
}

/// Which entries of a tenant's audit log `auditLog` lists; every condition given must
/// hold, and an absent (or `null`) one does not filter. The core checks every value.
#[napi(object)]
pub struct AuditQuery {
    /// Only entries of this operation (`login`, `rename`, ...).
    #[napi(ts_type = "string | null")]
    pub op: Option<Nullable<String>>,
    /// Only entries written at or after this time.
    #[napi(ts_type = "Date | null")]
    pub since: Option<Nullable<DateValue>>,
    /// Only entries written before this time.
    #[napi(ts_type = "Date | null")]
    pub until: Option<Nullable<DateValue>>,
    /// Entries per page, 1 to 1000 (100 when unset).
    #[napi(ts_type = "number | null")]
    pub limit: Option<Nullable<f64>>,
    /// The entries after this `seq`: the `next` of the page before.
    #[napi(ts_type = "number | null")]
    pub after: Option<Nullable<f64>>,
}

impl TryFrom<AuditQuery> for tenantry::AuditQuery {
    type Error = tenantry::Error;

    fn try_from(q: AuditQuery) -> tenantry::Result<Self> {
        let mut query = tenantry::AuditQuery::new();
        if let Some(op) = given(q.op) {
            query = query.op(op);
        }
        if let Some(time) = given(q.since) {
            query = query.since(time.to_utc("since")?);
        }
        if let Some(time) = given(q.until) {
            query = query.until(time.to_utc("until")?);
        }
        if let Some(limit) = given(q.limit) {
            // A negative limit becomes 0: the core refuses it with its own range.
            query = query.limit(whole(limit, "limit")?.max(0) as usize);
        }
        if let Some(after) = given(q.after) {
            query = query.after(whole(after, "after")?);
        }
        Ok(query)
    }
}

impl From<tenantry::AuditQuery> for AuditQuery {
    fn from(q: tenantry::AuditQuery) -> Self {
        AuditQuery {
            op: q.op.map(Either::A),
            since: q.since.map(|t| Either::A(t.into())),
            until: q.until.map(|t| Either::A(t.into())),
            // Past 2^53 a JS number loses precision; the core refuses such a limit anyway.
            limit: q.limit.map(|n| Either::A(n as f64)),
            after: q.after.map(|n| Either::A(n as f64)),
        }
    }
}

/// Where a tenant's audit chain breaks, and how.
#[napi(object)]
pub struct AuditBreak {
    /// The first entry (by `seq`) where the chain breaks.
    pub seq: f64,
    /// How: an entry edited, one missing before it, a broken link, entries removed at the
    /// end.
    pub reason: String,
}

/// What `verifyAudit` found.
#[napi(object, use_nullable = true)]
pub struct AuditVerification {
    /// Entries read.
    pub entries: f64,
    /// Whether the chain is whole.
    pub intact: bool,
    /// Where it breaks; `null` when whole.
    pub broken: Option<AuditBreak>,
}

impl From<tenantry::AuditVerification> for AuditVerification {
    fn from(v: tenantry::AuditVerification) -> Self {
        AuditVerification {
            entries: v.entries as f64,
            intact: v.is_intact(),
            broken: v.broken.map(|(seq, reason)| AuditBreak {
                seq: seq as f64,
                reason,
            }),
        }
    }
}

impl TryFrom<AuditVerification> for tenantry::AuditVerification {
    type Error = tenantry::Error;

    /// `intact` is derived from `broken`, so it is not read back.
    fn try_from(v: AuditVerification) -> tenantry::Result<Self> {
        let entries = whole(v.entries, "entries")?.max(0) as u64;
        let broken = match v.broken {
            Some(b) => Some((whole(b.seq, "seq")?, b.reason)),
            None => None,
        };
        Ok(tenantry::AuditVerification::new(entries, broken))
    }
}

/// A tenant id (24 hex digits), or `INVALID_INPUT` naming `tenantId`.
pub(crate) fn tenant_id(id: &str) -> tenantry::Result<ObjectId> {
    ObjectId::parse_str(id.trim()).map_err(|_| tenantry::Error::InvalidInput {
        field: "tenant_id",
        message: "must be a tenant id (24 hexadecimal digits)".into(),
    })
}

/// The field names of the core's `AuditEntry` (snake_case), read from its serde form.
pub(crate) fn core_entry_fields() -> Vec<String> {
    let sample = AuditEntry {
        seq: 1.0,
        at: DateTime::<Utc>::UNIX_EPOCH,
        actor: String::new(),
        op: String::new(),
        outcome: String::new(),
        detail: serde_json::json!({}),
        prev: String::new(),
        hash: String::new(),
    };
    sample
        .into_core()
        .ok()
        .and_then(|entry| bson::to_document(&entry).ok())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}
