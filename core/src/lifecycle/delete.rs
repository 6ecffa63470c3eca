//! Delete: claim the record (state `deleting`, with the identity of the tenant's collection
//! and its admins) -> `check` (the token checked again) -> `collection` (dropped only if it
//! is still the collection of that identity; in the `database` layout the database whose
//! first collection has that identity; in the `shared` layout the documents stamped with
//! the tenant's id) -> `admins` -> `release` (the record removed) -> the keys given back,
//! last.
//!
//! Until the record is gone the tenant's keys stay taken, so no create can reuse its name
//! or collection while the delete runs; and what the delete drops is identified by the
//! collection's UUID, so a delete resumed later never reaches another tenant's data.
//!
//! With a deleted retention configured, a delete is soft: one conditional write makes the
//! record `deleted` (invisible to every call but listing, restore and purge; its data,
//! admins and keys kept, so its name stays taken). A restore within the retention is one
//! conditional write back. A purge is the delete above, claimed from `deleted` with no
//! admin to check; undone or abandoned, the record is `deleted` again, never active.

use std::time::Instant;

use super::{execute, new_journal, started, tenant_of, Fail, Operation, Run, StepResult};
use crate::auth::Claims;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::placement::Layout;
use crate::store::{DeleteDetail, Detail, OrgDoc, State};

/// A delete, as journaled in its record.
pub(crate) struct Delete {
    org: OrgDoc,
    detail: DeleteDetail,
}

impl Delete {
    pub(crate) fn from_record(org: &OrgDoc, detail: &DeleteDetail) -> Self {
        Delete {
            org: org.clone(),
            detail: detail.clone(),
        }
    }
}

impl Operation for Delete {
    const KIND: &'static str = "delete";
    const STEPS: &'static [&'static str] = &["check", "collection", "admins", "release"];
    const COMMIT: u32 = 1;

    async fn step(&self, run: &Run<'_>, i: u32) -> StepResult {
        let store = run.store();
        let d = &self.detail;
        run.guard().await?;
        match i {
            0 if d.purge => Ok(()),
            0 => {
                let admin = store.admin(d.acting_admin).await?;
                match admin {
                    Some(a)
                        if a.organization_id == self.org.id
                            && a.token_version == d.token_version =>
                    {
                        Ok(())
                    }
                    _ => Err(Fail::Refused(Error::revoked())),
                }
            }
            1 => {
                let (org, data) = (&self.org, run.cx.data(&self.org)?);
                match org.layout {
                    Layout::Collection => {
                        if let Some(uuid) = &d.collection_uuid {
                            data.drop_if_uuid(&org.collection_name, uuid).await?;
                        }
                    }
                    // The database whose first collection is the one the create made.
                    Layout::Database => {
                        if let Some(uuid) = &d.collection_uuid {
                            data.drop_database_if(&org.collection_name, uuid).await?;
                        }
                    }
                    // The tenant's documents only, by their stamp.
                    Layout::Shared => {
                        for shared in data.shared_collections().await? {
                            run.guard().await?;
                            data.delete_stamped(&shared, org.id).await?;
                        }
                    }
                }
                Ok(())
            }
            2 => {
                store.delete_admins_of(self.org.id).await?;
                crate::api_keys::delete_of(store, self.org.id).await?;
                crate::members::delete_of(store, self.org.id).await?;
                Ok(())
            }
            _ => run.fenced(store.delete_org(&run.fence).await?),
        }
    }

    async fn undo(&self, _run: &Run<'_>, _i: u32) -> StepResult {
        Ok(()) // The check writes nothing.
    }

    async fn abandon(&self, run: &Run<'_>) -> StepResult {
        let store = run.store();
        run.fenced(match self.detail.purge {
            true => store.release_deleted(&run.fence).await?,
            false => store.release_unchanged(&run.fence).await?,
        })
    }

    async fn after(&self, cx: &Cx) -> Result<()> {
        // The tenant's migration ledger goes with it (its audit log stays).
        crate::schema::forget(cx, self.org.id).await?;
        // Last, once nothing refers to them: the tenant's and its admins' keys.
        let mut owners = vec![self.org.id, self.org.admin_id];
        owners.extend(&self.detail.admins);
        cx.store.delete_keys_of_owners(&owners).await
    }
}

/// Delete the claims' tenant: softly when a deleted retention is configured, otherwise its
/// collection, its admins, its record, then its keys.
pub(crate) async fn delete(cx: &Cx, claims: &Claims) -> Result<()> {
    let org = tenant_of(cx, claims).await?;
    if !cx.config.deleted_retention.is_zero() {
        return soft_delete(cx, claims, &org).await;
    }
    let detail = DeleteDetail {
        admins: cx.store.admin_ids_of(org.id).await?,
        collection_uuid: collection_uuid(cx, &org).await?,
        acting_admin: claims.admin_id(),
        token_version: claims.token_version(),
        purge: false,
    };
    remove(cx, &org, State::Active, detail).await
}

/// The identity of the collection a delete may drop (none in the `shared` layout).
async fn collection_uuid(cx: &Cx, org: &OrgDoc) -> Result<Option<mongodb::bson::Binary>> {
    match org.layout {
        Layout::Shared => Ok(None),
        _ => cx.data(org)?.collection_uuid(&org.collection_name).await,
    }
}

/// Claim `org` (in state `from`) and run the delete.
async fn remove(cx: &Cx, org: &OrgDoc, from: State, detail: DeleteDetail) -> Result<()> {
    let journal = new_journal(cx, Detail::Delete(detail.clone()));
    let sent = Instant::now();
    if !cx
        .store
        .claim_from(org, from, State::Deleting, &journal)
        .await?
    {
        return Err(Error::busy());
    }
    let run = started(cx, org.id, &journal, journal.owner, sent, "delete.claimed").await?;
    execute(&Delete::from_record(org, &detail), &run).await
}

/// Make `org` (the claims' tenant, active) `deleted`, restorable for the retention. The
/// token is checked again after: one revoked meanwhile undoes the delete.
async fn soft_delete(cx: &Cx, claims: &Claims, org: &OrgDoc) -> Result<()> {
    let until = chrono::Utc::now()
        + chrono::Duration::from_std(cx.config.deleted_retention)
            .map_err(|_| Error::invalid("deleted_retention", "is too long"))?;
    if !cx
        .store
        .soft_delete(org, mongodb::bson::DateTime::from_chrono(until))
        .await?
    {
        return Err(Error::busy());
    }
    cx.failpoints.crash_point("delete.soft.hidden");
    let admin = cx.store.admin(claims.admin_id()).await?;
    let current = admin
        .is_some_and(|a| a.organization_id == org.id && a.token_version == claims.token_version());
    if !current {
        if let Some(deleted) = cx.store.org(org.id).await? {
            if let Some(at) = deleted.deleted_at {
                cx.store.restore(org.id, at).await?;
            }
        }
        return Err(Error::revoked());
    }
    Ok(())
}

/// The softly deleted tenant named `name`. An operation left in flight under the name (a
/// purge whose process died) is recovered first; one still running is `CONFLICT`.
async fn deleted_named(cx: &Cx, name: &str) -> Result<OrgDoc> {
    let key = crate::naming::TenantName::parse(name, cx.config.tenants_db())?;
    for org in cx.store.orgs_in_flight(Some(key.key())).await? {
        if !super::recover::recover_if_stale(cx, &org).await? {
            return Err(Error::busy());
        }
    }
    cx.store
        .deleted_org_by_key(key.key())
        .await?
        .ok_or_else(|| Error::not_found(key.display()))
}

/// Bring the softly deleted tenant named `name` back, within its retention.
pub(crate) async fn restore(cx: &Cx, name: &str) -> Result<OrgDoc> {
    let org = deleted_named(cx, name).await?;
    if org.importing.is_some() {
        return Err(Error::invalid(
            "name",
            format_args!(
                "'{}' is an import that did not finish: it can only be purged",
                org.organization_name
            ),
        ));
    }
    let (Some(deleted_at), Some(until)) = (org.deleted_at, org.purge_after) else {
        return Err(Error::internal(
            "a deleted record without its deletion time",
        ));
    };
    if until <= mongodb::bson::DateTime::now() {
        return Err(Error::invalid(
            "name",
            format_args!(
                "'{}' was deleted and its retention has passed: it can only be purged",
                org.organization_name
            ),
        ));
    }
    if !cx.store.restore(org.id, deleted_at).await? {
        return Err(Error::busy());
    }
    cx.failpoints.crash_point("restore.revealed");
    crate::audit::record(
        &cx.store,
        org.id,
        "operator",
        "restore",
        "ok",
        Default::default(),
    )
    .await;
    cx.store.org(org.id).await?.ok_or_else(Error::revoked)
}

/// Purge the softly deleted tenant named `name` now, whatever its retention.
pub(crate) async fn purge(cx: &Cx, name: &str) -> Result<()> {
    let org = deleted_named(cx, name).await?;
    purge_org(cx, &org, "operator").await
}

/// Purge the softly deleted tenants whose retention has passed; how many.
pub(crate) async fn purge_expired(cx: &Cx) -> Result<usize> {
    let mut purged = 0;
    for org in cx
        .store
        .expired_deleted(mongodb::bson::DateTime::now())
        .await?
    {
        match purge_org(cx, &org, "retention").await {
            Ok(()) => purged += 1,
            // Restored, or purged by another process meanwhile.
            Err(Error::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(purged)
}

/// Purge the softly deleted (or hidden, being imported) tenant with this id.
pub(crate) async fn purge_org_of(cx: &Cx, id: mongodb::bson::oid::ObjectId) -> Result<()> {
    match cx.store.org(id).await? {
        Some(org) if org.state == State::Deleted => purge_org(cx, &org, "operator").await,
        _ => Ok(()),
    }
}

async fn purge_org(cx: &Cx, org: &OrgDoc, actor: &str) -> Result<()> {
    let detail = DeleteDetail {
        admins: cx.store.admin_ids_of(org.id).await?,
        collection_uuid: collection_uuid(cx, org).await?,
        acting_admin: org.admin_id,
        token_version: 0,
        purge: true,
    };
    remove(cx, org, State::Deleted, detail).await?;
    let detail = mongodb::bson::doc! { "name": &org.organization_name };
    crate::audit::record(&cx.store, org.id, actor, "purge", "ok", detail).await;
    Ok(())
}
