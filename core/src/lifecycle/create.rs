//! Create: record (state `creating`) -> name, collection and email keys -> admin ->
//! collection -> record `active`. Recovery of an interrupted create undoes it.

use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId};

use crate::auth::password;
use crate::error::{Error, Result};
use crate::failpoint;
use crate::keys::{Key, Kind, Taken};
use crate::manager::{by_id, Inner};
use crate::naming::{validate_password, Email, TenantName};
use crate::store::{AdminDoc, OrgDoc, OrgState};
use crate::tenant::Tenant;

/// How often a create retries after recovering an abandoned holder of its name or email.
const ATTEMPTS: usize = 2;

impl Inner {
    pub(crate) async fn create(&self, name: &str, email: &str, password: &str) -> Result<Tenant> {
        let name = TenantName::parse(name, &self.config.master_db)?;
        let email = Email::parse(email)?;
        validate_password(password, self.config.min_password_chars)?;
        let hashed = password::hash(password, self.config.bcrypt_cost).await?;
        // Abandoned attempts at this name (a crash before they took their keys) hold
        // nothing, but are finished off here rather than left for `recover()`.
        let stale: Vec<OrgDoc> = self
            .store
            .orgs
            .find(doc! { "name_key": name.key(), "state": { "$ne": "active" } })
            .await?
            .try_collect()
            .await?;
        for org in stale
            .iter()
            .filter(|o| o.name_key.as_deref() == Some(name.key()))
        {
            self.recover_if_stale(org).await?;
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_create(&name, &email, &hashed).await? {
                Ok(tenant) => return Ok(tenant),
                Err(taken) => {
                    let key = match taken.0 {
                        Kind::Name => Key::new(Kind::Name, name.key()),
                        Kind::Collection => Key::new(Kind::Collection, name.collection()),
                        Kind::Email => Key::new(Kind::Email, email.key()),
                    };
                    if attempt == ATTEMPTS || !self.recover_key_holder(&key).await? {
                        return Err(taken.into());
                    }
                }
            }
        }
    }

    /// If a key's owner is a tenant whose operation was abandoned, recover it; whether
    /// anything was done.
    async fn recover_key_holder(&self, key: &Key) -> Result<bool> {
        let Some(owner) = self.key_owner(key).await? else {
            return Ok(true); // Freed meanwhile: worth another try.
        };
        let org = match key.kind {
            Kind::Email => match self.store.admin_by_id(owner).await? {
                Some(admin) => self.store.org_by_id(admin.organization_id).await?,
                None => self.store.orgs.find_one(doc! { "admin_id": owner }).await?,
            },
            _ => self.store.org_by_id(owner).await?,
        };
        match org {
            Some(org) if org.state != OrgState::Active => self.recover_if_stale(&org).await,
            _ => Ok(false),
        }
    }

    async fn try_create(
        &self,
        name: &TenantName,
        email: &Email,
        hashed: &str,
    ) -> Result<Result<Tenant, Taken>> {
        let now = crate::store::now();
        let op = self.new_operation();
        let org = OrgDoc {
            id: ObjectId::new(),
            organization_name: name.display().to_owned(),
            collection_name: name.collection().to_owned(),
            admin_email: email.display().to_owned(),
            admin_id: ObjectId::new(),
            created_at: now,
            updated_at: now,
            name_key: Some(name.key().to_owned()),
            state: OrgState::Creating,
            op: Some(op.clone()),
        };
        self.store.orgs.insert_one(&org).await?;
        failpoint!("create.record_inserted");
        let org_keys = [
            Key::new(Kind::Name, name.key()),
            Key::new(Kind::Collection, name.collection()),
        ];
        let email_key = [Key::new(Kind::Email, email.key())];
        let taken = match self.take_keys(&org_keys, org.id).await? {
            Err(taken) => Some(taken),
            Ok(()) => self.take_keys(&email_key, org.admin_id).await?.err(),
        };
        if let Some(taken) = taken {
            // Undo; should this fail, the record stays `creating` and recovery removes it.
            self.give_back_keys(&org_keys, org.id).await?;
            self.store.orgs.delete_one(by_id(org.id)).await?;
            return Ok(Err(taken));
        }
        failpoint!("create.keys_taken");
        // The name is ours now; a collection of that name holding data is not.
        if let Err(e) = self.check_free_collection(name.collection()).await {
            self.roll_back_create(&org).await?;
            return Err(e);
        }
        let admin = AdminDoc {
            id: org.admin_id,
            email: email.display().to_owned(),
            email_key: Some(email.key().to_owned()),
            hashed_password: hashed.to_owned(),
            organization_name: name.display().to_owned(),
            organization_id: org.id,
            token_version: 0,
            last_op: None,
            created_at: now,
        };
        self.store.admins.insert_one(&admin).await?;
        failpoint!("create.admin_inserted");
        self.create_collection(name.collection()).await?;
        failpoint!("create.collection_created");
        let activated = self
            .store
            .orgs
            .update_one(
                doc! { "_id": org.id, "op.id": op.id },
                doc! { "$set": { "state": "active" }, "$unset": { "op": "" } },
            )
            .await?;
        if activated.matched_count == 0 {
            // Recovered from under us (our lease ran out): the create did not happen.
            return Err(Error::busy());
        }
        Ok(Ok(self.tenant(OrgDoc {
            state: OrgState::Active,
            op: None,
            ..org
        })))
    }

    /// Undo an interrupted create: collection, admin, keys, then the record last.
    pub(crate) async fn roll_back_create(&self, org: &OrgDoc) -> Result<()> {
        self.drop_collection(&org.collection_name).await?;
        failpoint!("recover.create_collection_dropped");
        self.store
            .admins
            .delete_many(doc! { "organization_id": org.id })
            .await?;
        self.give_back_all_keys(&[org.id, org.admin_id]).await?;
        self.store.orgs.delete_one(by_id(org.id)).await?;
        Ok(())
    }
}
