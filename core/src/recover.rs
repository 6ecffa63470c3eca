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
use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::error::{Error, Result};
use crate::keys::{Key, Kind};
use crate::manager::by_id;
use crate::manager::Inner;
use crate::naming::{name_key, COLLECTION_PREFIX};
use crate::store::ADMIN_USERS;
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
        report.swept_keys = self.sweep_keys().await?;
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
    /// the lifecycle cover them. A record whose name, collection or email is taken by
    /// another is left out and reported.
    pub(crate) async fn adopt_legacy(&self, report: &mut RecoveryReport) -> Result<()> {
        // Token versions start at 0; updates match on the version.
        self.store
            .raw(ADMIN_USERS)
            .update_many(
                doc! { "token_version": { "$exists": false } },
                doc! { "$set": { "token_version": 0_i64 } },
            )
            .await?;
        let legacy: Vec<OrgDoc> = self
            .store
            .orgs
            .find(doc! { "name_key": { "$exists": false } })
            .await?
            .try_collect()
            .await?;
        for org in legacy {
            let key = name_key(&org.organization_name);
            // The record names its key first, so the key documents are live once taken.
            self.store
                .orgs
                .update_one(
                    doc! { "_id": org.id, "name_key": { "$exists": false } },
                    doc! { "$set": { "name_key": &key, "admin_id": org.admin_id, "state": "active" } },
                )
                .await?;
            let keys = [
                Key::new(Kind::Name, &key),
                Key::new(Kind::Collection, &org.collection_name),
            ];
            match self.take_keys(&keys, org.id).await? {
                Ok(()) => report.adopted += 1,
                Err(_) => {
                    self.store
                        .orgs
                        .update_one(by_id(org.id), doc! { "$unset": { "name_key": "" } })
                        .await?;
                    report.not_adopted.push(format!(
                        "organization '{}': its normalized name or collection is held by another",
                        org.organization_name
                    ));
                }
            }
        }
        let admins: Vec<Document> = self
            .store
            .raw(ADMIN_USERS)
            .find(doc! { "email_key": { "$exists": false } })
            .await?
            .try_collect()
            .await?;
        for admin in admins {
            let (Ok(id), Ok(email)) = (admin.get_object_id("_id"), admin.get_str("email")) else {
                continue;
            };
            let key = email.trim().to_lowercase();
            let mut set = doc! { "email_key": &key };
            // The original service may have stored the tenant's id as a hex string.
            if let Ok(org_id) = admin.get_str("organization_id").map(ObjectId::parse_str) {
                set.insert("organization_id", org_id.map_err(Error::internal)?);
            }
            self.store
                .raw(ADMIN_USERS)
                .update_one(doc! { "_id": id }, doc! { "$set": set })
                .await?;
            if self
                .take_keys(&[Key::new(Kind::Email, &key)], id)
                .await?
                .is_err()
            {
                self.store
                    .raw(ADMIN_USERS)
                    .update_one(doc! { "_id": id }, doc! { "$unset": { "email_key": "" } })
                    .await?;
                report
                    .not_adopted
                    .push(format!("admin '{email}': the email is registered twice"));
            }
        }
        Ok(())
    }

    /// `org_*` collections that no tenant record claims.
    async fn orphan_collections(&self) -> Result<Vec<String>> {
        let orgs: Vec<OrgDoc> = self.store.orgs.find(doc! {}).await?.try_collect().await?;
        let mut claimed: Vec<&str> = orgs.iter().map(|o| o.collection_name.as_str()).collect();
        claimed.extend(
            orgs.iter()
                .filter_map(|o| o.op.as_ref()?.rename.as_ref())
                .map(|r| r.collection.as_str()),
        );
        let names = self.store.db.list_collection_names().await?;
        Ok(names
            .into_iter()
            .filter(|n| n.starts_with(COLLECTION_PREFIX) && !claimed.contains(&n.as_str()))
            .collect())
    }
}
