//! Update and rename: claim the record (and the new name) -> admin record (marked with the
//! operation id) -> `renameCollection` -> admins follow the name -> release the record.
//!
//! Every way the update can be refused (name taken, email taken) shows before the
//! collection moves, and the claim is undone then. Recovery finishes an update whose admin
//! record carries the operation's id and undoes one whose admin record does not.

use mongodb::bson::{doc, to_bson, Document};

use crate::auth::password;
use crate::auth::Claims;
use crate::error::{duplicate_key, Error, Result};
use crate::failpoint;
use crate::manager::Inner;
use crate::naming::{validate_password, Email, TenantName};
use crate::store::{bson_time, Operation, OrgDoc, RenameTarget};
use crate::tenant::{Tenant, TenantUpdate};

impl Inner {
    pub(crate) async fn update(
        &self,
        claims: &Claims,
        name: &str,
        update: TenantUpdate,
    ) -> Result<Tenant> {
        let db = &self.config.master_db;
        let new_email = update
            .admin_email
            .as_deref()
            .map(Email::parse)
            .transpose()?;
        if let Some(p) = &update.admin_password {
            validate_password(p, self.config.min_password_chars)?;
        }
        let new_name = update
            .new_name
            .as_deref()
            .map(|n| TenantName::parse(n, db).map_err(rename_field))
            .transpose()?;
        let org = self.authorize(claims, name).await?;
        let admin = self
            .store
            .admin_by_id(claims.admin_id)
            .await?
            .ok_or_else(|| Error::unauthorized("token has been revoked"))?;

        // Only a password different from the current one is a change.
        let new_hash = match &update.admin_password {
            Some(p) if !password::verify(p, &admin.hashed_password).await? => {
                Some(password::hash(p, self.config.bcrypt_cost).await?)
            }
            _ => None,
        };
        let rename = new_name
            .filter(|n| n.display() != org.organization_name)
            .map(|n| RenameTarget {
                // Same key (a change of spelling or case only): the collection stays.
                collection: if Some(n.key()) == org.name_key.as_deref() {
                    org.collection_name.clone()
                } else {
                    n.collection().to_owned()
                },
                name: n.display().to_owned(),
                key: n.key().to_owned(),
            });

        let mut op = self.new_operation();
        op.admin_id = Some(admin.id);
        op.admin_email = Some(
            new_email
                .as_ref()
                .map_or(admin.email.clone(), |e| e.display().to_owned()),
        );
        op.rename = rename;
        self.claim_for_update(&org, &op).await?;
        failpoint!("update.claimed");
        // The new name is ours now; a collection of that name holding data is not.
        if let Some(r) = op
            .rename
            .as_ref()
            .filter(|r| r.collection != org.collection_name)
        {
            if let Err(e) = self.check_free_collection(&r.collection).await {
                self.release_claim(&org, &op).await?;
                return Err(e);
            }
        }

        let mut set = doc! { "last_op": op.id, "updated_at": bson_time(crate::store::now()) };
        if let Some(email) = &new_email {
            set.insert("email", email.display());
            set.insert("email_key", email.key());
        }
        let mut change = doc! {};
        if let Some(hash) = new_hash {
            set.insert("hashed_password", hash);
            change.insert("$inc", doc! { "token_version": 1_i64 });
        }
        change.insert("$set", set);
        let admin_filter = doc! { "_id": admin.id, "token_version": admin.token_version };
        match self.store.admins.update_one(admin_filter, change).await {
            Ok(r) if r.matched_count == 1 => {}
            outcome => {
                let err = match outcome {
                    Err(e) if duplicate_key(&e).is_some() => Error::AlreadyExists {
                        field: "email",
                        message: "Email already registered".into(),
                    },
                    Err(e) => e.into(),
                    // The password changed under us: this token is no longer good.
                    Ok(_) => Error::unauthorized("token has been revoked"),
                };
                self.release_claim(&org, &op).await?;
                return Err(err);
            }
        }
        failpoint!("update.admin_updated");
        let org = self.finish_update(org, &op).await?;
        Ok(self.tenant(org))
    }

    /// Mark the record as updating and claim the new name and collection, atomically.
    async fn claim_for_update(&self, org: &OrgDoc, op: &Operation) -> Result<()> {
        let mut change =
            doc! { "$set": { "state": "updating", "op": to_bson(op).map_err(Error::internal)? } };
        if let Some(r) = &op.rename {
            change.insert(
                "$addToSet",
                doc! { "name_keys": &r.key, "collection_names": &r.collection },
            );
        }
        let filter = doc! { "_id": org.id, "state": "active" };
        match self.store.orgs.update_one(filter, change).await {
            Ok(r) if r.matched_count == 1 => Ok(()),
            Ok(_) => Err(Error::busy()),
            Err(e) if duplicate_key(&e).is_some() => Err(Error::AlreadyExists {
                field: "new_organization_name",
                message: "Organization name already taken".into(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Undo a claim that wrote nothing else: release the record, give the new name back.
    pub(crate) async fn release_claim(&self, org: &OrgDoc, op: &Operation) -> Result<()> {
        let mut change = doc! { "$set": { "state": "active" }, "$unset": { "op": "" } };
        if let Some(r) = &op.rename {
            let mut pull = Document::new();
            if Some(r.key.as_str()) != org.name_key.as_deref() {
                pull.insert("name_keys", &r.key);
            }
            if r.collection != org.collection_name {
                pull.insert("collection_names", &r.collection);
            }
            if !pull.is_empty() {
                change.insert("$pull", pull);
            }
        }
        self.store
            .orgs
            .update_one(doc! { "_id": org.id, "op.id": op.id }, change)
            .await?;
        Ok(())
    }

    /// Carry a claimed update to its end. Idempotent: recovery repeats it from any point.
    pub(crate) async fn finish_update(&self, mut org: OrgDoc, op: &Operation) -> Result<OrgDoc> {
        let now = crate::store::now();
        let mut set = Self::release_update(now);
        if let Some(r) = &op.rename {
            if r.collection != org.collection_name {
                self.move_collection(&org.collection_name, &r.collection)
                    .await?;
                failpoint!("update.collection_renamed");
            }
            self.store
                .admins
                .update_many(
                    doc! { "organization_id": org.id },
                    doc! { "$set": { "organization_name": &r.name } },
                )
                .await?;
            failpoint!("update.admins_renamed");
            set.insert("organization_name", &r.name);
            set.insert("name_key", &r.key);
            set.insert("collection_name", &r.collection);
            set.insert("name_keys", vec![r.key.clone()]);
            set.insert("collection_names", vec![r.collection.clone()]);
            org.organization_name = r.name.clone();
            org.name_key = Some(r.key.clone());
            org.collection_name = r.collection.clone();
        }
        if let Some(email) = &op.admin_email {
            set.insert("admin_email", email);
            org.admin_email = email.clone();
        }
        self.store
            .orgs
            .update_one(
                doc! { "_id": org.id, "op.id": op.id },
                doc! { "$set": set, "$unset": { "op": "" } },
            )
            .await?;
        org.state = crate::store::OrgState::Active;
        org.op = None;
        org.updated_at = now;
        Ok(org)
    }
}

/// Errors about the new name speak of the field the caller sent.
fn rename_field(e: Error) -> Error {
    match e {
        Error::InvalidInput { message, .. } => Error::InvalidInput {
            field: "new_organization_name",
            message,
        },
        other => other,
    }
}
