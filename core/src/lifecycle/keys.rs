//! The policy of the key documents (`store/keys.rs`): taking a set of keys for an operation,
//! all or none; whether a key is live; removing the ones that are not.
//!
//! A key is *live* while its owner refers to it: the tenant's current name or collection,
//! or the target of its rename in flight; the admin's current email, or the one its
//! tenant's update is moving to; for a tenant being created, its admin's email. A key that
//! is not live is garbage left by an operation that ended (or crashed): whoever meets it
//! removes it, exactly as read, so that an owner re-asserting it meanwhile keeps it.

use mongodb::bson::oid::ObjectId;

use crate::context::Cx;
use crate::error::{Error, Result};
use crate::store::{Detail, Journal, Key, KeyDoc, Kind, OrgDoc};

/// A key held by a live owner.
#[derive(Debug)]
pub(crate) struct Taken(pub Kind);

/// How often a key is retried while its holder changes under us.
const ATTEMPTS: usize = 5;

/// Take every key, each for its owner, on behalf of operation `op`, all or none. A key
/// already its owner's is re-stamped with `op`; garbage is removed and taken; a live key of
/// another owner refuses the set (the keys this call stamped are given back).
pub(crate) async fn take(
    cx: &Cx,
    keys: &[(Key, ObjectId)],
    op: ObjectId,
) -> Result<std::result::Result<(), Taken>> {
    for (i, (key, owner)) in keys.iter().enumerate() {
        if !take_one(cx, key, *owner, op).await? {
            let stamped: Vec<Key> = keys[..i].iter().map(|(k, _)| k.clone()).collect();
            cx.store.delete_keys_of_op(&stamped, op).await?;
            return Ok(Err(Taken(key.kind)));
        }
    }
    Ok(Ok(()))
}

async fn take_one(cx: &Cx, key: &Key, owner: ObjectId, op: ObjectId) -> Result<bool> {
    for _ in 0..ATTEMPTS {
        if cx.store.insert_key(key, owner, op).await? {
            return Ok(true);
        }
        let Some(holder) = cx.store.key(key).await? else {
            continue; // Given back meanwhile.
        };
        if holder.owner == owner {
            if holder.op == Some(op) || cx.store.restamp_key(&holder, op).await? {
                return Ok(true);
            }
            continue;
        }
        if is_live(cx, key, &holder).await? {
            return Ok(false);
        }
        cx.store.delete_key_as_seen(&holder).await?;
    }
    Ok(false)
}

/// The live owner of a key, if it has one.
pub(crate) async fn live_holder(cx: &Cx, key: &Key) -> Result<Option<ObjectId>> {
    match cx.store.key(key).await? {
        Some(holder) if is_live(cx, key, &holder).await? => Ok(Some(holder.owner)),
        _ => Ok(None),
    }
}

/// Whether the holder of `key` still refers to it (see the module docs).
async fn is_live(cx: &Cx, key: &Key, holder: &KeyDoc) -> Result<bool> {
    let v = key.value.as_str();
    Ok(match key.kind {
        Kind::Name | Kind::Collection => match cx.store.org(holder.owner).await? {
            Some(org) => refers(&org, key),
            None => false,
        },
        Kind::Email => email_is_live(cx, v, holder.owner).await?,
    })
}

/// Whether admin `owner` refers to the email key `v`. It reads two documents (the admin,
/// then its tenant's record), and a running operation may take a step between the two
/// reads; so a "no" is believed only when the admin read the same before and after the
/// record. Undecided after a few tries, the key counts as live (it is never removed on
/// doubtful evidence).
async fn email_is_live(cx: &Cx, v: &str, owner: ObjectId) -> Result<bool> {
    let fingerprint = |a: &Option<crate::store::AdminDoc>| {
        a.as_ref()
            .map(|a| (a.email_key.clone(), a.last_op, a.organization_id))
    };
    for _ in 0..ATTEMPTS {
        let admin = cx.store.admin(owner).await?;
        let live = match &admin {
            // An admin whose tenant is gone holds nothing; otherwise its email, or the
            // one an update is moving it to.
            Some(a) => cx.store.org(a.organization_id).await?.is_some_and(|org| {
                a.email_key.as_deref() == Some(v)
                    || update_of(&org)
                        .is_some_and(|u| u.admin_id == owner && u.email_key.as_deref() == Some(v))
            }),
            // A tenant being created takes its admin's email before the admin exists.
            None => cx
                .store
                .org_by_admin(owner)
                .await?
                .is_some_and(|org| org.admin_email.to_lowercase() == v),
        };
        if live {
            return Ok(true);
        }
        if fingerprint(&cx.store.admin(owner).await?) == fingerprint(&admin) {
            return Ok(false);
        }
    }
    Ok(true)
}

fn update_of(org: &OrgDoc) -> Option<&crate::store::UpdateDetail> {
    match &org.op {
        Some(Journal {
            detail: Detail::Update(update),
            ..
        }) => Some(update),
        _ => None,
    }
}

/// Whether a tenant record refers to a name or collection key.
fn refers(org: &OrgDoc, key: &Key) -> bool {
    let v = key.value.as_str();
    let target = update_of(org).and_then(|u| u.rename.as_ref());
    match key.kind {
        Kind::Name => org.name_key.as_deref() == Some(v) || target.is_some_and(|r| r.key == v),
        Kind::Collection => org.collection_name == v || target.is_some_and(|r| r.collection == v),
        Kind::Email => false,
    }
}

/// Remove these keys of `owner` if they are garbage now.
pub(crate) async fn give_back_if_unused(cx: &Cx, keys: &[Key], owner: ObjectId) -> Result<()> {
    for key in keys {
        if let Some(holder) = cx.store.key(key).await? {
            if holder.owner == owner && !is_live(cx, key, &holder).await? {
                cx.store.delete_key_as_seen(&holder).await?;
            }
        }
    }
    Ok(())
}

/// Remove every key no owner refers to any more; how many.
pub(crate) async fn sweep(cx: &Cx) -> Result<usize> {
    let mut swept = 0;
    for holder in cx.store.all_keys().await? {
        let Some(key) = Key::parse(&holder.id) else {
            continue;
        };
        if !is_live(cx, &key, &holder).await? && cx.store.delete_key_as_seen(&holder).await? {
            swept += 1;
        }
    }
    Ok(swept)
}

impl Taken {
    /// The error of a taken key; `name_field` names the input of a name.
    pub(crate) fn error(self, name_field: &'static str) -> Error {
        match self.0 {
            Kind::Name | Kind::Collection => Error::name_taken(name_field),
            Kind::Email => Error::email_taken(),
        }
    }
}
