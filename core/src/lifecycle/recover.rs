//! Recovery: take over operations whose owner stopped renewing their lease (a crash, a
//! killed process) and resume them from their journal; adopt records written by the
//! original service; sweep garbage keys and old tombstones; list what no tenant owns.
//!
//! A take-over happens only once the lease ran out on the *server's* clock, and only by a
//! conditional write naming the journal's owner and renewal time as read: of two
//! recoverers one wins, and a live owner, renewing, is never taken over. Each tenant is
//! recovered on its own: one that cannot be fixed is reported, never blocks the others.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Duration as ChronoDuration;
use mongodb::bson::oid::ObjectId;

use super::create::Create;
use super::delete::Delete;
use super::keys::{self, Taken};
use super::relocate::Move;
use super::update::Update;
use super::{lease_ms, new_owner, resume, started};
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::{name_key, COLLECTION_PREFIX};
use crate::placement::HOME_CLUSTER;
use crate::store::{Detail, Journal, Key, Kind, OrgDoc, State, TombstoneDoc};
use crate::tenant::{RecoveryFailure, RecoveryReport};

/// What recovering one record did.
enum Outcome {
    Completed,
    RolledBack,
    /// Not abandoned (its owner is alive), or another recoverer got there first.
    Skipped,
}

pub(crate) async fn recover_all(cx: &Cx) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    if let Err(e) = adopt_legacy(cx, &mut report).await {
        report
            .failed
            .push(RecoveryFailure::of(None, "(adoption)", &e));
    }
    for org in cx.store.orgs_in_flight(None).await? {
        match recover_org(cx, &org).await {
            Ok(Outcome::Completed) => report.completed += 1,
            Ok(Outcome::RolledBack) => report.rolled_back += 1,
            Ok(Outcome::Skipped) => {}
            Err(e) => {
                tracing::warn!(organization_id = %org.id, error = %e, "recovery failed");
                report.failed.push(RecoveryFailure::of(
                    Some(org.id),
                    &org.organization_name,
                    &e,
                ));
            }
        }
    }
    match keys::sweep(cx).await {
        Ok(n) => report.swept_keys = n,
        Err(e) => report
            .failed
            .push(RecoveryFailure::of(None, "(key sweep)", &e)),
    }
    for tombstone in cx.store.tombstones().await? {
        match heal_tombstone(cx, &tombstone).await {
            Ok(moved) => report.moved_documents += moved,
            Err(e) => report.failed.push(RecoveryFailure::of(
                Some(tombstone.tenant),
                &tombstone.name,
                &e,
            )),
        }
        let data = match tombstone_store(cx, &tombstone) {
            Ok(data) => data,
            Err(e) => {
                report.failed.push(RecoveryFailure::of(
                    Some(tombstone.tenant),
                    &tombstone.name,
                    &e,
                ));
                continue;
            }
        };
        match data
            .sweep_tombstone(&tombstone, cx.config.tombstone_retention)
            .await
        {
            Ok(true) => report.swept_tombstones += 1,
            Ok(false) => {}
            Err(e) => report.failed.push(RecoveryFailure::of(
                Some(tombstone.tenant),
                &tombstone.name,
                &e,
            )),
        }
    }
    match super::delete::purge_expired(cx).await {
        Ok(n) => report.purged = n,
        Err(e) => report
            .failed
            .push(RecoveryFailure::of(None, "(purge of deleted tenants)", &e)),
    }
    match sweep_fences(cx).await {
        Ok(n) => report.swept_fences = n,
        Err(e) => report
            .failed
            .push(RecoveryFailure::of(None, "(fence sweep)", &e)),
    }
    report.orphan_collections = orphan_collections(cx).await?;
    Ok(report)
}

/// Lift the fences of tenants in shared collections they left that are older than the
/// tombstone retention; how many. A tenant with an operation in flight keeps its fences
/// (a move out of the collection may be between its fence and its switch), and a fence
/// set again meanwhile stays.
async fn sweep_fences(cx: &Cx) -> Result<usize> {
    let mut lifted = 0;
    for fence in cx.store.shared_fences().await? {
        let age = chrono::Utc::now() - fence.since.to_chrono();
        if age.to_std().unwrap_or_default() < cx.config.tombstone_retention {
            continue;
        }
        if cx
            .store
            .org(fence.tenant)
            .await?
            .is_some_and(|org| org.state.in_flight())
        {
            continue;
        }
        let data = cx.store.on_cluster(
            &fence.cluster,
            cx.client_of(&fence.cluster)?,
            &fence.database,
        );
        if data
            .lift_fence_set_at(&fence.cluster, &fence.collection, fence.tenant, fence.since)
            .await?
        {
            lifted += 1;
        }
    }
    Ok(lifted)
}

/// Move documents that reached a tombstone after its rename was over (a write the server
/// let through as the tombstone was put in place) to its tenant's collection; how many.
/// A tombstone whose tenant is gone keeps them: it is listed with the orphans.
/// The store on a tombstone's database and cluster.
fn tombstone_store(cx: &Cx, tombstone: &TombstoneDoc) -> Result<crate::store::Store> {
    let cluster = tombstone.cluster.as_deref().unwrap_or(HOME_CLUSTER);
    let database = tombstone
        .database
        .as_deref()
        .unwrap_or(&cx.config.master_db);
    Ok(cx
        .store
        .on_cluster(cluster, cx.client_of(cluster)?, database))
}

async fn heal_tombstone(cx: &Cx, tombstone: &TombstoneDoc) -> Result<u64> {
    let data = tombstone_store(cx, tombstone)?;
    if data.is_empty(tombstone.collection()).await? {
        return Ok(0);
    }
    let Some(org) = cx.store.org(tombstone.tenant).await? else {
        return Ok(0);
    };
    let home = cx.data(&org)?;
    if org.state != State::Active
        || home.db.name() != data.db.name()
        || org.cluster() != tombstone.cluster.as_deref().unwrap_or(HOME_CLUSTER)
    {
        return Ok(0); // Its operation comes first; the next recovery moves them.
    }
    let merged = data
        .move_documents(tombstone.collection(), &org.collection_name, org.id)
        .await?;
    tracing::warn!(organization_id = %org.id, moved = merged.moved, parked = merged.parked,
        "documents found in a tombstone were moved to the tenant's collection");
    Ok(merged.moved + merged.parked)
}

/// Recover `org` if its operation was abandoned; whether anything was done.
pub(crate) async fn recover_if_stale(cx: &Cx, org: &OrgDoc) -> Result<bool> {
    Ok(!matches!(recover_org(cx, org).await?, Outcome::Skipped))
}

async fn recover_org(cx: &Cx, org: &OrgDoc) -> Result<Outcome> {
    let Some(journal) = &org.op else {
        if org.state.in_flight() {
            return Err(Error::internal(format_args!(
                "record in state {} without a journal",
                org.state.as_str()
            )));
        }
        return Ok(Outcome::Skipped);
    };
    let expires = journal.renewed_at + ChronoDuration::milliseconds(journal.lease_ms);
    if expires > cx.store.server_time().await? {
        return Ok(Outcome::Skipped);
    }
    let owner = new_owner();
    let sent = Instant::now();
    if !cx
        .store
        .take_over(org.id, journal, owner, lease_ms(cx))
        .await?
    {
        return Ok(Outcome::Skipped);
    }
    tracing::info!(organization_id = %org.id, state = org.state.as_str(), step = journal.step,
        "taking over an abandoned operation");
    let run = started(cx, org.id, journal, owner, sent, "recover.taken_over").await?;
    let forward = match (&org.state, &journal.detail) {
        (State::Creating, Detail::Create { hashed_password }) => {
            resume(&Create::from_record(org, hashed_password), &run, journal).await?
        }
        (State::Updating, Detail::Update(d)) => {
            resume(&Update::from_record(org, d), &run, journal).await?
        }
        (State::Deleting, Detail::Delete(d)) => {
            resume(&Delete::from_record(org, d), &run, journal).await?
        }
        (State::Updating, Detail::Move(d)) => {
            resume(&Move::from_record(org, d, None), &run, journal).await?
        }
        (state, _) => {
            return Err(Error::internal(format_args!(
                "journal does not match the record's state {}",
                state.as_str()
            )))
        }
    };
    Ok(if forward {
        Outcome::Completed
    } else {
        Outcome::RolledBack
    })
}

/// Give records of the original service their keys, so that lookups, uniqueness and the
/// lifecycle cover them. A record whose name, collection or email is taken by another is
/// left out and reported.
pub(crate) async fn adopt_legacy(cx: &Cx, report: &mut RecoveryReport) -> Result<()> {
    let store = &cx.store;
    store.default_token_versions().await?;
    let adoption = ObjectId::new();
    for org in store.unadopted_orgs().await? {
        let key = name_key(&org.organization_name);
        // The record names its key first, so the key documents are live once taken.
        store.adopt_org(&org, &key).await?;
        let keys = [
            (Key::new(Kind::Name, &key), org.id),
            (Key::new(Kind::Collection, &org.collection_name), org.id),
        ];
        match keys::take(cx, &keys, adoption).await? {
            Ok(()) => report.adopted += 1,
            Err(Taken(_)) => {
                store.unadopt_org(org.id).await?;
                report.not_adopted.push(format!(
                    "organization '{}': its normalized name or collection is held by another",
                    org.organization_name
                ));
            }
        }
    }
    for admin in store.unadopted_admins().await? {
        let (Some(id), Ok(email)) = (admin.get("_id"), admin.get_str("email")) else {
            continue;
        };
        let Some(owner) = id.as_object_id() else {
            continue;
        };
        let key = email.trim().to_lowercase();
        // The original service may have stored the tenant's id as a hex string.
        let org = match admin.get_str("organization_id").map(ObjectId::parse_str) {
            Ok(parsed) => Some(parsed.map_err(Error::internal)?),
            Err(_) => None,
        };
        store.adopt_admin(id, &key, org).await?;
        let taken = keys::take(cx, &[(Key::new(Kind::Email, &key), owner)], adoption).await?;
        if taken.is_err() {
            store.unadopt_admin(id).await?;
            report
                .not_adopted
                .push(format!("admin '{email}': the email is registered twice"));
        }
    }
    Ok(())
}

/// Collections no tenant owns: `org_*` collections of the master and tenants' databases
/// that no record claims (registered tombstones excepted). Never dropped automatically:
/// they may hold data written outside this library. Those of the master database are
/// named alone, the others as `database.collection`. (`tenant_*` databases are not listed:
/// several installations may share a deployment, and a database that no record of this
/// one claims may be another's.)
async fn orphan_collections(cx: &Cx) -> Result<Vec<String>> {
    let master = cx.config.master_db.as_str();
    let orgs = cx.store.all_orgs().await?;
    let mut owned: HashSet<(String, String)> = HashSet::new();
    for org in orgs.iter().filter(|o| o.cluster() == HOME_CLUSTER) {
        let db = org.database(master).to_owned();
        owned.insert((db.clone(), org.collection_name.clone()));
        if let Some(Journal {
            detail: Detail::Update(u),
            ..
        }) = &org.op
        {
            owned.extend(u.rename.iter().map(|r| (db.clone(), r.collection.clone())));
        }
    }
    for tombstone in cx.store.tombstones().await? {
        let db = tombstone.database.as_deref().unwrap_or(master);
        if tombstone
            .cluster
            .as_deref()
            .is_some_and(|c| c != HOME_CLUSTER)
        {
            continue; // Only the home cluster's databases are scanned.
        }
        // A tombstone holding documents that no tenant takes any more is an orphan.
        if cx.store.on(db).is_empty(tombstone.collection()).await?
            || cx.store.org(tombstone.tenant).await?.is_some()
        {
            owned.insert((db.to_owned(), tombstone.collection().to_owned()));
        }
    }
    let qualified = |db: &str, name: &str| {
        if db == master {
            name.to_owned()
        } else {
            format!("{db}.{name}")
        }
    };
    let mut orphans = Vec::new();
    let mut scanned = vec![master.to_owned()];
    if cx.config.tenants_db() != master {
        scanned.push(cx.config.tenants_db().to_owned());
    }
    for db in &scanned {
        for name in cx.store.on(db).collection_names().await? {
            if name.starts_with(COLLECTION_PREFIX) && !owned.contains(&(db.clone(), name.clone())) {
                orphans.push(qualified(db, &name));
            }
        }
    }
    orphans.sort();
    Ok(orphans)
}
