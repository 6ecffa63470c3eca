//! Create: the record (state `creating`, with its journal) -> `keys` (name, collection,
//! email) -> `collection` (created marked as this operation's, only if the name is free)
//! -> `admin` -> `release` (marker cleared, record active).
//!
//! Before the commit point (`admin`), a taken name or email, or a collection name held by
//! data that no tenant owns, refuses the create, and it is undone: the collection only if
//! its marker proves this operation made it, the keys only those this operation stamped,
//! the record last.

use std::time::Instant;

use mongodb::bson::oid::ObjectId;

use super::keys::{self, live_holder};
use super::{execute, new_journal, recover, started, Fail, Operation, Run, StepResult};
use crate::auth::password;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::{validate_password, Email, TenantName};
use crate::store::{self, AdminDoc, Detail, Key, Kind, OrgDoc, State};
use crate::tenant::Tenant;

/// A create, as journaled in its record.
pub(crate) struct Create {
    org: OrgDoc,
    /// The admin's password hash, kept in the journal until the admin exists.
    hashed_password: String,
}

impl Create {
    pub(crate) fn from_record(org: &OrgDoc, hashed_password: &str) -> Self {
        Create {
            org: org.clone(),
            hashed_password: hashed_password.to_owned(),
        }
    }

    fn keys(&self) -> [(Key, ObjectId); 3] {
        let org = &self.org;
        [
            (
                Key::new(Kind::Name, org.name_key.clone().unwrap_or_default()),
                org.id,
            ),
            (Key::new(Kind::Collection, &org.collection_name), org.id),
            (
                Key::new(Kind::Email, org.admin_email.to_lowercase()),
                org.admin_id,
            ),
        ]
    }
}

impl Operation for Create {
    const KIND: &'static str = "create";
    const STEPS: &'static [&'static str] = &["keys", "collection", "admin", "release"];
    const COMMIT: u32 = 2;

    async fn step(&self, run: &Run<'_>, i: u32) -> StepResult {
        let org = &self.org;
        let store = run.store();
        run.guard().await?;
        match i {
            0 => match keys::take(run.cx, &self.keys(), run.fence.op).await? {
                Ok(()) => Ok(()),
                Err(taken) => Err(Fail::Refused(taken.error("name"))),
            },
            1 => {
                let name = &org.collection_name;
                let ours = store.create_marked(name, run.fence.op).await?
                    || (store.remove_tombstone(name).await?
                        && store.create_marked(name, run.fence.op).await?);
                if ours {
                    Ok(())
                } else {
                    Err(Fail::Refused(Error::storage_taken("name")))
                }
            }
            2 => {
                let admin = AdminDoc {
                    id: org.admin_id,
                    email: org.admin_email.clone(),
                    email_key: Some(org.admin_email.to_lowercase()),
                    hashed_password: self.hashed_password.clone(),
                    organization_name: org.organization_name.clone(),
                    organization_id: org.id,
                    token_version: 0,
                    last_op: None,
                    created_at: org.created_at,
                };
                store.insert_admin(&admin).await?;
                Ok(())
            }
            _ => {
                store.clear_marker(&org.collection_name).await?;
                run.fenced(store.release_unchanged(&run.fence).await?)
            }
        }
    }

    async fn undo(&self, run: &Run<'_>, i: u32) -> StepResult {
        let store = run.store();
        run.guard().await?;
        match i {
            1 => {
                // Only a collection of a name this operation holds, and only if its marker
                // proves this operation made it.
                let key = Key::new(Kind::Collection, &self.org.collection_name);
                let held = store
                    .key(&key)
                    .await?
                    .is_some_and(|k| k.owner == self.org.id && k.op == Some(run.fence.op));
                if held {
                    store
                        .drop_marked(&self.org.collection_name, run.fence.op)
                        .await?;
                }
                Ok(())
            }
            _ => {
                let keys: Vec<Key> = self.keys().into_iter().map(|(k, _)| k).collect();
                store.delete_keys_of_op(&keys, run.fence.op).await?;
                Ok(())
            }
        }
    }

    async fn abandon(&self, run: &Run<'_>) -> StepResult {
        run.fenced(run.store().delete_org(&run.fence).await?)
    }

    async fn after(&self, _cx: &Cx) -> Result<()> {
        Ok(())
    }
}

/// Create a tenant with its admin and its collection, all or nothing.
pub(crate) async fn create(cx: &Cx, name: &str, email: &str, password: &str) -> Result<Tenant> {
    let name = TenantName::parse(name, &cx.config.master_db)?;
    let email = Email::parse(email)?;
    validate_password(password, cx.config.min_password_chars)?;
    let hashed = password::hash(password, cx.config.bcrypt_cost).await?;
    // Abandoned attempts at this name hold nothing the next attempt needs; finish them off
    // here rather than leave them to `recover()`.
    for org in cx.store.orgs_in_flight(Some(name.key())).await? {
        recover::recover_if_stale(cx, &org).await?;
    }
    let mut retried = false;
    loop {
        let result = try_create(cx, &name, &email, &hashed).await;
        match &result {
            Err(Error::AlreadyExists { field, .. }) if !retried => {
                // The holder may be an abandoned operation: recover it and try once more.
                let candidates = match *field {
                    "email" => vec![Key::new(Kind::Email, email.key())],
                    _ => vec![
                        Key::new(Kind::Name, name.key()),
                        Key::new(Kind::Collection, name.collection()),
                    ],
                };
                let mut recovered = false;
                for key in &candidates {
                    recovered |= recover_key_holder(cx, key).await?;
                }
                if !recovered {
                    return result;
                }
                retried = true;
            }
            _ => return result,
        }
    }
}

async fn try_create(cx: &Cx, name: &TenantName, email: &Email, hashed: &str) -> Result<Tenant> {
    let now = store::now();
    let journal = new_journal(
        cx,
        Detail::Create {
            hashed_password: hashed.to_owned(),
        },
    );
    let owner = journal.owner;
    let org = OrgDoc {
        id: ObjectId::new(),
        organization_name: name.display().to_owned(),
        collection_name: name.collection().to_owned(),
        admin_email: email.display().to_owned(),
        admin_id: ObjectId::new(),
        created_at: now,
        updated_at: now,
        name_key: Some(name.key().to_owned()),
        state: State::Creating,
        op: Some(journal),
    };
    let sent = Instant::now();
    cx.store.insert_creating(&org).await?;
    let journal = org.op.as_ref().expect("just set");
    let run = started(cx, org.id, journal, owner, sent, "create.started").await?;
    execute(&Create::from_record(&org, hashed), &run).await?;
    Ok(Tenant::from_doc(
        OrgDoc {
            state: State::Active,
            op: None,
            ..org
        },
        &cx.config.master_db,
    ))
}

/// If a key's live holder is a tenant whose operation was abandoned, recover it; whether
/// anything was recovered.
async fn recover_key_holder(cx: &Cx, key: &Key) -> Result<bool> {
    let Some(owner) = live_holder(cx, key).await? else {
        return Ok(false);
    };
    let org = match key.kind {
        Kind::Email => match cx.store.admin(owner).await? {
            Some(admin) => cx.store.org(admin.organization_id).await?,
            None => cx.store.org_by_admin(owner).await?,
        },
        _ => cx.store.org(owner).await?,
    };
    match org {
        Some(org) if org.state != State::Active => recover::recover_if_stale(cx, &org).await,
        _ => Ok(false),
    }
}
