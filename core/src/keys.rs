//! Unique keys as documents: `tenant_keys` holds one document per taken organization name
//! key, collection name and admin email, `_id` = `<kind>:<value>`, with its owner (the
//! tenant's or the admin's id). Taking a key is an insert under the `_id` unique index,
//! so of N racing claims exactly one succeeds; nothing is checked and then inserted.
//!
//! Key documents are only ever inserted and deleted, never updated: a unique index then
//! stays exact even on servers whose index maintenance on updates is imperfect.
//!
//! A key is *live* while its owner refers to it (the tenant's current name or collection,
//! or the target of its operation in flight; the admin's current email or the one its
//! tenant's operation is moving to; for a tenant being created, its admin's email). A key
//! that is not live is garbage left by a crash after an operation ended: whoever meets it
//! removes it, and `recover()` sweeps it.

use chrono::Utc;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::{options::IndexOptions, IndexModel};

use crate::error::{duplicate_key, Error, Result};
use crate::manager::Inner;
use crate::store::{bson_time, OrgState};

/// Collection of key documents.
pub(crate) const TENANT_KEYS: &str = "tenant_keys";

/// What a key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Name,
    Collection,
    Email,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Name => "name:",
            Kind::Collection => "collection:",
            Kind::Email => "email:",
        }
    }

    /// The input field whose value a taken key of this kind refuses.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Kind::Name | Kind::Collection => "organization_name",
            Kind::Email => "email",
        }
    }
}

/// One key: kind and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub kind: Kind,
    pub value: String,
}

impl Key {
    pub(crate) fn new(kind: Kind, value: impl Into<String>) -> Self {
        Key {
            kind,
            value: value.into(),
        }
    }

    fn id(&self) -> String {
        format!("{}{}", self.kind.prefix(), self.value)
    }

    fn parse(id: &str) -> Option<Key> {
        [Kind::Name, Kind::Collection, Kind::Email]
            .into_iter()
            .find_map(|kind| id.strip_prefix(kind.prefix()).map(|v| Key::new(kind, v)))
    }
}

/// A key held by a live owner.
#[derive(Debug)]
pub(crate) struct Taken(pub Kind);

impl Inner {
    pub(crate) async fn ensure_key_indexes(&self) -> Result<()> {
        let options = IndexOptions::builder().name("owner".to_owned()).build();
        self.store
            .raw(TENANT_KEYS)
            .create_index(
                IndexModel::builder()
                    .keys(doc! { "owner": 1 })
                    .options(options)
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Take every key for `owner`, all or none. A key already ours is kept; a garbage key
    /// is removed and taken; a live key of another owner refuses the whole set.
    pub(crate) async fn take_keys(
        &self,
        keys: &[Key],
        owner: ObjectId,
    ) -> Result<Result<(), Taken>> {
        let coll = self.store.raw(TENANT_KEYS);
        let mut taken_now = Vec::new();
        for key in keys {
            let mut attempts = 0;
            loop {
                attempts += 1;
                let entry =
                    doc! { "_id": key.id(), "owner": owner, "created_at": bson_time(Utc::now()) };
                match coll.insert_one(entry).await {
                    Ok(_) => {
                        taken_now.push(key.clone());
                        break;
                    }
                    Err(e) if duplicate_key(&e).is_none() => {
                        self.give_back_keys(&taken_now, owner).await?;
                        return Err(e.into());
                    }
                    Err(_) => {}
                }
                let holder = coll.find_one(doc! { "_id": key.id() }).await?;
                let holder_owner = holder.as_ref().and_then(|h| h.get_object_id("owner").ok());
                if holder_owner == Some(owner) {
                    break;
                }
                let garbage = match holder_owner {
                    Some(other) => !self.key_is_live(key, other).await?,
                    None => true,
                };
                if garbage && attempts < 3 {
                    if let Some(other) = holder_owner {
                        coll.delete_one(doc! { "_id": key.id(), "owner": other })
                            .await?;
                    }
                    continue;
                }
                self.give_back_keys(&taken_now, owner).await?;
                return Ok(Err(Taken(key.kind)));
            }
        }
        Ok(Ok(()))
    }

    /// Give keys back (only those `owner` holds).
    pub(crate) async fn give_back_keys(&self, keys: &[Key], owner: ObjectId) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = keys.iter().map(Key::id).collect();
        self.store
            .raw(TENANT_KEYS)
            .delete_many(doc! { "_id": { "$in": ids }, "owner": owner })
            .await?;
        Ok(())
    }

    /// Give back every key of these owners.
    pub(crate) async fn give_back_all_keys(&self, owners: &[ObjectId]) -> Result<()> {
        self.store
            .raw(TENANT_KEYS)
            .delete_many(doc! { "owner": { "$in": owners } })
            .await?;
        Ok(())
    }

    /// The owner of a live key, if the key is taken by a live owner.
    pub(crate) async fn key_owner(&self, key: &Key) -> Result<Option<ObjectId>> {
        let holder = self
            .store
            .raw(TENANT_KEYS)
            .find_one(doc! { "_id": key.id() })
            .await?;
        match holder.and_then(|h| h.get_object_id("owner").ok()) {
            Some(owner) if self.key_is_live(key, owner).await? => Ok(Some(owner)),
            _ => Ok(None),
        }
    }

    /// Whether `owner` still refers to `key` (see the module docs).
    async fn key_is_live(&self, key: &Key, owner: ObjectId) -> Result<bool> {
        let v = key.value.as_str();
        Ok(match key.kind {
            Kind::Name | Kind::Collection => match self.store.org_by_id(owner).await? {
                None => false,
                Some(org) => {
                    let target = org.op.as_ref().and_then(|op| op.rename.as_ref());
                    if key.kind == Kind::Name {
                        org.name_key.as_deref() == Some(v) || target.is_some_and(|r| r.key == v)
                    } else {
                        org.collection_name == v || target.is_some_and(|r| r.collection == v)
                    }
                }
            },
            Kind::Email => match self.store.admin_by_id(owner).await? {
                Some(admin) => {
                    admin.email_key.as_deref() == Some(v)
                        || match self.store.org_by_id(admin.organization_id).await? {
                            Some(org) => {
                                org.op.is_some_and(|op| op.email_key.as_deref() == Some(v))
                            }
                            None => false,
                        }
                }
                // A tenant being created takes its admin's email before the admin exists.
                None => self
                    .store
                    .orgs
                    .find_one(doc! { "admin_id": owner })
                    .await?
                    .is_some_and(|org| org.state == OrgState::Creating),
            },
        })
    }

    /// Remove every key no owner refers to any more; how many.
    pub(crate) async fn sweep_keys(&self) -> Result<usize> {
        let coll = self.store.raw(TENANT_KEYS);
        let all: Vec<Document> = coll.find(doc! {}).await?.try_collect().await?;
        let mut swept = 0;
        for entry in all {
            let (Ok(id), Ok(owner)) = (entry.get_str("_id"), entry.get_object_id("owner")) else {
                continue;
            };
            let Some(key) = Key::parse(id) else { continue };
            if !self.key_is_live(&key, owner).await? {
                coll.delete_one(doc! { "_id": id, "owner": owner }).await?;
                swept += 1;
            }
        }
        Ok(swept)
    }
}

impl From<Taken> for Error {
    fn from(t: Taken) -> Self {
        let message = match t.0 {
            Kind::Name | Kind::Collection => "Organization already exists",
            Kind::Email => "Email already registered",
        };
        Error::AlreadyExists {
            field: t.0.field(),
            message: message.into(),
        }
    }
}
