//! Listing and counting tenants: a query (state, layout, cluster, name prefix, created
//! range) and pages in creation order (`created_at`, then `_id` between equal times) with
//! an opaque cursor, stable while tenants are created and deleted (a page starts after the
//! last tenant of the one before).

use chrono::{DateTime, Utc};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};

use crate::error::{Error, Result};
use crate::naming::name_key;
use crate::placement::{Layout, HOME_CLUSTER};
use crate::store::State;
use crate::tenant::{Tenant, TenantState};

/// Tenants on a page unless a query asks otherwise.
pub const DEFAULT_PAGE: usize = 100;
/// The most tenants on one page.
pub const MAX_PAGE: usize = 1000;

/// Which tenants to list or count; every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantQuery {
    /// Only tenants in this state (both when unset).
    pub state: Option<TenantState>,
    /// Only tenants of this layout.
    pub layout: Option<Layout>,
    /// Only tenants whose data is on this cluster.
    pub cluster: Option<String>,
    /// Only tenants whose name starts with this (compared as names are: case and spacing
    /// folded).
    pub name_prefix: Option<String>,
    /// Only tenants created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Only tenants created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Tenants per page ([`DEFAULT_PAGE`] when unset; 1 to [`MAX_PAGE`]).
    pub limit: Option<usize>,
    /// The cursor of the page to read: [`TenantPage::next`] of the one before.
    pub after: Option<String>,
}

impl TenantQuery {
    /// Every tenant, active or deleted, first page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only tenants in `state`.
    pub fn state(mut self, state: TenantState) -> Self {
        self.state = Some(state);
        self
    }

    /// Only tenants of `layout`.
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// Only tenants on `cluster`.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// Only tenants whose name starts with `prefix`.
    pub fn name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.name_prefix = Some(prefix.into());
        self
    }

    /// Only tenants created at or after `time`.
    pub fn created_after(mut self, time: DateTime<Utc>) -> Self {
        self.created_after = Some(time);
        self
    }

    /// Only tenants created before `time`.
    pub fn created_before(mut self, time: DateTime<Utc>) -> Self {
        self.created_before = Some(time);
        self
    }

    /// At most `limit` tenants per page.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The page after the one that returned this cursor.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// The records' filter (visible or softly deleted records only: never one being
    /// created or deleted).
    pub(crate) fn filter(&self) -> Result<Document> {
        let states: Vec<&str> = match self.state {
            Some(TenantState::Active) => vec![State::Active.as_str(), State::Updating.as_str()],
            Some(TenantState::Deleted) => vec![State::Deleted.as_str()],
            None => vec![
                State::Active.as_str(),
                State::Updating.as_str(),
                State::Deleted.as_str(),
            ],
        };
        let mut filter = doc! { "state": { "$in": states } };
        if let Some(layout) = self.layout {
            // Records of the original service have no layout: theirs is `collection`.
            let mut layouts = vec![Bson::String(layout.as_str().to_owned())];
            if layout == Layout::Collection {
                layouts.push(Bson::Null);
            }
            filter.insert("layout", doc! { "$in": layouts });
        }
        if let Some(cluster) = &self.cluster {
            if cluster.trim().is_empty() {
                return Err(Error::invalid("cluster", "must not be empty"));
            }
            let mut clusters = vec![Bson::String(cluster.clone())];
            if cluster == HOME_CLUSTER {
                clusters.push(Bson::Null);
            }
            filter.insert("cluster", doc! { "$in": clusters });
        }
        if let Some(prefix) = &self.name_prefix {
            let key = name_key(prefix);
            if key.is_empty() {
                return Err(Error::invalid("name_prefix", "must not be empty"));
            }
            filter.insert(
                "name_key",
                doc! { "$regex": format!("^{}", escape_regex(&key)) },
            );
        }
        let mut created = Document::new();
        if let Some(after) = self.created_after {
            created.insert("$gte", bson::DateTime::from_chrono(after));
        }
        if let Some(before) = self.created_before {
            created.insert("$lt", bson::DateTime::from_chrono(before));
        }
        if !created.is_empty() {
            filter.insert("created_at", created);
        }
        Ok(filter)
    }

    /// Tenants per page, checked.
    pub(crate) fn page_size(&self) -> Result<usize> {
        match self.limit {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
            Some(_) => Err(Error::invalid(
                "limit",
                format_args!("must be between 1 and {MAX_PAGE}"),
            )),
        }
    }

    /// The tenant (creation time, id) the page starts after, from the cursor.
    pub(crate) fn start(&self) -> Result<Option<(bson::DateTime, ObjectId)>> {
        let Some(cursor) = &self.after else {
            return Ok(None);
        };
        let bad = || Error::invalid("after", "is not a cursor this library returned");
        let (millis, id) = cursor.trim().split_once('.').ok_or_else(bad)?;
        let millis: i64 = millis.parse().map_err(|_| bad())?;
        let id = ObjectId::parse_str(id).map_err(|_| bad())?;
        Ok(Some((bson::DateTime::from_millis(millis), id)))
    }
}

/// One page of tenants, in creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantPage {
    /// The tenants of this page.
    pub tenants: Vec<Tenant>,
    /// The cursor of the next page (`None` on the last one).
    pub next: Option<String>,
}

impl TenantPage {
    /// A page of `tenants` with the cursor `next` (for bindings that rebuild pages they
    /// handed out, to answer with the core's bodies).
    pub fn new(tenants: Vec<Tenant>, next: Option<String>) -> Self {
        TenantPage { tenants, next }
    }

    /// A page of `records` read with one more than `size` asked for: whether there is a
    /// next page shows in the extra one.
    pub(crate) fn of(mut tenants: Vec<Tenant>, size: usize) -> Self {
        let more = tenants.len() > size;
        tenants.truncate(size);
        let next = more.then(|| tenants.last().map(cursor_of)).flatten();
        TenantPage { tenants, next }
    }
}

/// The cursor of the page after `last`: its creation time (milliseconds) and id.
fn cursor_of(last: &Tenant) -> String {
    format!(
        "{}.{}",
        last.created_at.timestamp_millis(),
        last.id.to_hex()
    )
}

/// `text` with every character a regular expression gives a meaning escaped.
fn escape_regex(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_alphanumeric() && c != ' ' && c != '_' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_queries_are_typed_errors() {
        let code = |e: Error| e.code();
        assert_eq!(
            code(TenantQuery::new().limit(0).page_size().unwrap_err()),
            "INVALID_INPUT"
        );
        assert_eq!(
            code(
                TenantQuery::new()
                    .limit(MAX_PAGE + 1)
                    .page_size()
                    .unwrap_err()
            ),
            "INVALID_INPUT"
        );
        assert_eq!(
            code(
                TenantQuery::new()
                    .after("not a cursor")
                    .start()
                    .unwrap_err()
            ),
            "INVALID_INPUT"
        );
        assert_eq!(
            code(TenantQuery::new().name_prefix("   ").filter().unwrap_err()),
            "INVALID_INPUT"
        );
    }

    #[test]
    fn a_prefix_is_folded_as_names_are_and_matched_literally() {
        let filter = TenantQuery::new().name_prefix("ACME.c*(").filter().unwrap();
        let regex = filter
            .get_document("name_key")
            .unwrap()
            .get_str("$regex")
            .unwrap();
        assert_eq!(regex, "^acme_c");
        assert_eq!(escape_regex("a.b*c(d)|é"), "a\\.b\\*c\\(d\\)\\|é");
    }
}
