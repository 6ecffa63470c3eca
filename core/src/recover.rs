//! Recovery: finish or undo lifecycle operations abandoned by a crashed process, and adopt
//! records written by the original service.
//!
//! An operation's journal entry carries a lease. Once it has run out, whoever comes first
//! (`recover()`, or the next operation that meets the record) takes the lease over with a
//! conditional write, so two recoverers never work on one record at once, and then:
//! - `creating`: undone (collection, admins, record);
//! - `updating`: finished if the admin record carries the operation's id, else undone;
//! - `deleting`: finished.

use chrono::Utc;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, to_bson};

use crate::error::{duplicate_key, Error, Result};
use crate::manager::Inner;
use crate::naming::{name_key, COLLECTION_PREFIX};
use crate::store::{bson_time, OrgDoc, OrgState};
use crate::tenant::RecoveryReport;

/// What recovering one record did.
enum Outcome {
    Completed,
    RolledBack,
    /// Not abandoned (lease still running), or somebody else got there first.
    Skipped,
}

impl Inner {
    pub(crate) async fn recover_all(&self) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        self.adopt_legacy(&mut report).await?;
        let mut pending = self
            .store
            .orgs
            .find(doc! { "state": { "$in": ["creating", "updating", "deleting"] } })
            .await?;
        let mut abandoned = Vec::new();
        while let Some(org) = pending.try_next().await? {
            abandoned.push(org);
        }
        for org in abandoned {
            match self.recover_org(&org).await? {
                Outcome::Completed => report.completed += 1,
                Outcome::RolledBack => report.rolled_back += 1,
                Outcome::Skipped => {}
            }
        }
        report.orphan_collections = self.orphan_collections().await?;
        Ok(report)
    }

    /// Recover `org` if its operation was abandoned; whether anything was done.
    pub(crate) async fn recover_if_stale(&self, org: &OrgDoc) -> Result<bool> {
        Ok(!matches!(self.recover_org(org).await?, Outcome::Skipped))
    }

    async fn recover_org(&self, org: &OrgDoc) -> Result<Outcome> {
        let Some(op) = &org.op else {
            return Ok(Outcome::Skipped);
        };
        let now = Utc::now();
        if op.lease_until > now {
            return Ok(Outcome::Skipped);
        }
        let taken = self
            .store
            .orgs
            .update_one(
                doc! { "_id": org.id, "op.id": op.id, "op.lease_until": { "$lte": bson_time(now) } },
                doc! { "$set": { "op.lease_until": bson_time(self.lease_deadline()) } },
            )
            .await?;
        if taken.matched_count == 0 {
            return Ok(Outcome::Skipped);
        }
        tracing::info!(organization_id = %org.id, state = ?org.state, "recovering an abandoned operation");
        match org.state {
            OrgState::Creating => {
                self.roll_back_create(org).await?;
                Ok(Outcome::RolledBack)
            }
            OrgState::Updating => {
                let admin_done = match op.admin_id {
                    Some(id) => self
                        .store
                        .admin_by_id(id)
                        .await?
                        .is_some_and(|a| a.last_op == Some(op.id)),
                    None => false,
                };
                if admin_done {
                    self.finish_update(org.clone(), op).await?;
                    Ok(Outcome::Completed)
                } else {
                    self.release_claim(org, op).await?;
                    Ok(Outcome::RolledBack)
                }
            }
            OrgState::Deleting => {
                self.finish_delete(org).await?;
                Ok(Outcome::Completed)
            }
            OrgState::Active => Ok(Outcome::Skipped),
        }
    }

    /// Give records of the original service their keys, so that lookups, uniqueness and
    /// the lifecycle cover them. A record whose key is taken is left as it is and reported.
    pub(crate) async fn adopt_legacy(&self, report: &mut RecoveryReport) -> Result<()> {
        let mut legacy = self
            .store
            .orgs
            .find(doc! { "name_key": { "$exists": false } })
            .await?;
        let mut orgs: Vec<OrgDoc> = Vec::new();
        while let Some(org) = legacy.try_next().await? {
            orgs.push(org);
        }
        for org in orgs {
            let key = name_key(&org.organization_name);
            let adopted = self
                .store
                .orgs
                .update_one(
                    doc! { "_id": org.id, "name_key": { "$exists": false } },
                    doc! { "$set": {
                        "admin_id": org.admin_id,
                        "name_key": &key,
                        "name_keys": [&key],
                        "collection_names": [&org.collection_name],
                        "state": to_bson(&OrgState::Active).map_err(Error::internal)?,
                    } },
                )
                .await;
            match adopted {
                Ok(_) => report.adopted += 1,
                Err(e) if duplicate_key(&e).is_some() => report.not_adopted.push(format!(
                    "organization '{}': its normalized name or collection is held by another",
                    org.organization_name
                )),
                Err(e) => return Err(e.into()),
            }
        }
        // Token versions start at 0; updates match on the version.
        self.store
            .raw(crate::store::ADMIN_USERS)
            .update_many(
                doc! { "token_version": { "$exists": false } },
                doc! { "$set": { "token_version": 0_i64 } },
            )
            .await?;
        let mut admins = self
            .store
            .raw(crate::store::ADMIN_USERS)
            .find(doc! { "email_key": { "$exists": false } })
            .await?;
        while let Some(admin) = admins.try_next().await? {
            let (Ok(id), Ok(email)) = (admin.get_object_id("_id"), admin.get_str("email")) else {
                continue;
            };
            let mut set = doc! { "email_key": email.trim().to_lowercase() };
            // The original service may have stored the tenant's id as a hex string.
            if let Ok(org_id) = admin.get_str("organization_id").map(ObjectId::parse_str) {
                set.insert("organization_id", org_id.map_err(Error::internal)?);
            }
            let set = self
                .store
                .raw(crate::store::ADMIN_USERS)
                .update_one(doc! { "_id": id }, doc! { "$set": set })
                .await;
            match set {
                Ok(_) => {}
                Err(e) if duplicate_key(&e).is_some() => report
                    .not_adopted
                    .push(format!("admin '{email}': the email is registered twice")),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// `org_*` collections that no tenant record claims.
    async fn orphan_collections(&self) -> Result<Vec<String>> {
        let names = self.store.db.list_collection_names().await?;
        let mut orphans = Vec::new();
        for name in names
            .into_iter()
            .filter(|n| n.starts_with(COLLECTION_PREFIX))
        {
            let claimed = self
                .store
                .orgs
                .count_documents(
                    doc! { "$or": [ { "collection_names": &name }, { "collection_name": &name } ] },
                )
                .await?;
            if claimed == 0 {
                orphans.push(name);
            }
        }
        Ok(orphans)
    }
}
