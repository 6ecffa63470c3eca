//! Create: record (state `creating`) -> admin -> collection -> record `active`.
//! Recovery of an interrupted create undoes it.

use mongodb::bson::{doc, oid::ObjectId};

use crate::auth::password;
use crate::error::{duplicate_key, Error, Result};
use crate::failpoint;
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
        for attempt in 1..=ATTEMPTS {
            match self.try_create(&name, &email, &hashed).await {
                Err(Taken::Name) => {
                    let holder = self
                        .store
                        .org_holding(name.key(), name.collection())
                        .await?;
                    if attempt == ATTEMPTS || !self.recover_holder(holder).await? {
                        return Err(Error::AlreadyExists {
                            field: "organization_name",
                            message: "Organization already exists".into(),
                        });
                    }
                }
                Err(Taken::Email) => {
                    let holder = match self.store.admin_by_email_key(email.key()).await? {
                        Some(admin) => self.store.org_by_id(admin.organization_id).await?,
                        None => None,
                    };
                    if attempt == ATTEMPTS || !self.recover_holder(holder).await? {
                        return Err(Error::AlreadyExists {
                            field: "email",
                            message: "Email already registered".into(),
                        });
                    }
                }
                Err(Taken::Other(e)) => return Err(e),
                Ok(tenant) => return Ok(tenant),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Recover the holder of a taken key if it is an abandoned operation; whether it was.
    async fn recover_holder(&self, holder: Option<OrgDoc>) -> Result<bool> {
        match holder {
            Some(org) if org.state != OrgState::Active => self.recover_if_stale(&org).await,
            _ => Ok(false),
        }
    }

    async fn try_create(
        &self,
        name: &TenantName,
        email: &Email,
        hashed: &str,
    ) -> Result<Tenant, Taken> {
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
            name_keys: vec![name.key().to_owned()],
            collection_names: vec![name.collection().to_owned()],
            state: OrgState::Creating,
            op: Some(op.clone()),
        };
        if let Err(e) = self.store.orgs.insert_one(&org).await {
            return Err(if duplicate_key(&e).is_some() {
                Taken::Name
            } else {
                Taken::Other(e.into())
            });
        }
        failpoint!("create.record_inserted");
        // The name is ours now; a collection of that name holding data is not.
        if let Err(e) = self.check_free_collection(name.collection()).await {
            self.store
                .orgs
                .delete_one(by_id(org.id))
                .await
                .map_err(Error::from)?;
            return Err(Taken::Other(e));
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
        if let Err(e) = self.store.admins.insert_one(&admin).await {
            let taken = if duplicate_key(&e).is_some() {
                Taken::Email
            } else {
                Taken::Other(e.into())
            };
            // Undo the claim; should this fail too, the record stays `creating` and
            // recovery removes it once its lease runs out.
            if let Err(undo) = self.store.orgs.delete_one(by_id(org.id)).await {
                tracing::warn!(error = %undo, "could not undo a failed create; recovery will");
            }
            return Err(taken);
        }
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
            .await
            .map_err(Error::from)?;
        if activated.matched_count == 0 {
            // Recovered from under us (our lease ran out): the create did not happen.
            return Err(Taken::Other(Error::busy()));
        }
        Ok(self.tenant(OrgDoc {
            state: OrgState::Active,
            op: None,
            ..org
        }))
    }

    /// Undo an interrupted create: collection, admins, then the record (the claim) last.
    pub(crate) async fn roll_back_create(&self, org: &OrgDoc) -> Result<()> {
        self.drop_collection(&org.collection_name).await?;
        failpoint!("recover.create_collection_dropped");
        self.store
            .admins
            .delete_many(doc! { "organization_id": org.id })
            .await?;
        self.store.orgs.delete_one(by_id(org.id)).await?;
        Ok(())
    }
}

/// Why an attempt failed.
enum Taken {
    Name,
    Email,
    Other(Error),
}

impl From<Error> for Taken {
    fn from(e: Error) -> Self {
        Taken::Other(e)
    }
}
