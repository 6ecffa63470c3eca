//! Update and rename: claim the record -> `keys` (new name, collection, email; the token
//! checked again) -> `placeholder` (the target collection created marked as this
//! operation's, only if the name is free) -> `move` (`renameCollection` onto the
//! placeholder) -> `tombstone` (the old name refuses writes; strays merged) -> `admin` ->
//! `admins` (follow the new name) -> `release` -> the old keys given back.
//!
//! Every way an update can be refused shows before the commit point (`move`): a taken
//! name or email, a target name held by data no tenant owns, a token revoked meanwhile.
//! The move itself cannot be refused once the placeholder stands, and `renameCollection`
//! replaces only that placeholder (proven by its marker just before).
//!
//! A write through the old name after the move either lands in a *stray* collection
//! there, which the `tombstone` step turns into the tombstone in place and empties into the
//! tenant's collection, or is refused by the tombstone (error 121): no acknowledged write
//! is left in a collection nobody owns.

use std::time::Instant;

use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;

use super::keys::{self, give_back_if_unused};
use super::{execute, new_journal, started, tenant_of, Fail, Operation, Run, StepResult};
use crate::auth::{password, Claims};
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::{validate_password, Email, TenantName};
use crate::placement;
use crate::store::{
    self, AdminChange, Detail, Key, Kind, OrgDoc, RenameTarget, Renamed, State, UpdateDetail,
};
use crate::tenant::{Tenant, TenantUpdate};

/// Steps done once the tenant's data is at the rename target (`move` is done).
pub(crate) const MOVED: u32 = 3;

/// An update, as journaled in its record.
pub(crate) struct Update {
    /// The record as claimed: the tenant's name and collection before the update.
    org: OrgDoc,
    detail: UpdateDetail,
    now: DateTime<Utc>,
}

impl Update {
    pub(crate) fn from_record(org: &OrgDoc, detail: &UpdateDetail) -> Self {
        Update {
            org: org.clone(),
            detail: detail.clone(),
            now: store::now(),
        }
    }

    /// The keys the update takes: the new name and collection, the new email.
    fn new_keys(&self) -> Vec<(Key, ObjectId)> {
        let (org, d) = (&self.org, &self.detail);
        let mut keys = Vec::new();
        if let Some(r) = &d.rename {
            if Some(r.key.as_str()) != org.name_key.as_deref() {
                keys.push((Key::new(Kind::Name, &r.key), org.id));
            }
            if r.collection != org.collection_name {
                keys.push((Key::new(Kind::Collection, &r.collection), org.id));
            }
        }
        if let Some(email_key) = &d.email_key {
            keys.push((Key::new(Kind::Email, email_key), d.admin_id));
        }
        keys
    }

    fn target(&self) -> Option<&RenameTarget> {
        self.detail.moving(&self.org)
    }

    async fn check_token(&self, run: &Run<'_>) -> StepResult {
        let admin = run.store().admin(self.detail.admin_id).await?;
        match admin {
            Some(a)
                if a.organization_id == self.org.id
                    && a.token_version == self.detail.token_version =>
            {
                Ok(())
            }
            // The password changed (or the admin went) since the token was checked.
            _ => Err(Fail::Refused(Error::revoked())),
        }
    }

    async fn take_keys(&self, run: &Run<'_>) -> StepResult {
        match keys::take(run.cx, &self.new_keys(), run.fence.op).await? {
            Ok(()) => Ok(()),
            Err(taken) => Err(Fail::Refused(taken.error("new_name"))),
        }
    }

    /// Create the target collection, marked as ours, if its name is free.
    async fn placeholder(&self, run: &Run<'_>, target: &RenameTarget) -> StepResult {
        let store = &run.cx.data(&self.org)?;
        let op = run.fence.op;
        let ours = store.create_marked(&target.collection, op).await?
            || (store.remove_tombstone(&target.collection).await?
                && store.create_marked(&target.collection, op).await?);
        if ours {
            Ok(())
        } else {
            Err(Fail::Refused(Error::storage_taken("new_name")))
        }
    }

    /// Rename the tenant's collection onto the placeholder, unless that is done already.
    async fn move_data(&self, run: &Run<'_>, target: &RenameTarget) -> StepResult {
        let store = &run.cx.data(&self.org)?;
        // The placeholder still stands (proven by its marker): the data has not moved.
        // Otherwise the target holds the tenant's collection already, and the old name
        // may hold a stray: renaming it onto the target would replace the tenant's data.
        if store
            .create_marked(&target.collection, run.fence.op)
            .await?
        {
            match store
                .rename_collection(&self.org.collection_name, &target.collection, true)
                .await?
            {
                // No collection at the old name (a tenant of the original service whose
                // collection was never created): the placeholder becomes the collection.
                Renamed::Done | Renamed::SourceMissing => {}
                Renamed::TargetExists => {
                    return Err(Fail::Stop(Error::internal("rename target reappeared")));
                }
            }
        }
        Ok(())
    }

    /// Leave a tombstone at the old name. A stray found there (writes through the old
    /// name after the move) becomes the tombstone where it stands, so there is no moment
    /// without a collection at the name for another write to slip into; its documents then
    /// go to the tenant's collection.
    async fn tombstone(&self, run: &Run<'_>, target: &RenameTarget) -> StepResult {
        let store = &run.cx.data(&self.org)?;
        let old = &self.org.collection_name;
        if !store.ensure_tombstone(old).await? {
            store.make_tombstone(old).await?;
            run.hit("update.tombstone.stray_fenced").await?;
        }
        store.register_tombstone(old, self.org.id).await?;
        let merged = store
            .move_documents(old, &target.collection, self.org.id)
            .await?;
        if merged.moved + merged.parked > 0 {
            tracing::warn!(
                organization_id = %self.org.id,
                moved = merged.moved,
                parked = merged.parked,
                "writes through the old collection name during a rename were merged"
            );
            run.hit("update.tombstone.stray_merged").await?;
        }
        Ok(())
    }

    /// The record after the update.
    fn released(&self) -> OrgDoc {
        let mut org = self.org.clone();
        if let Some(r) = &self.detail.rename {
            org.organization_name = r.name.clone();
            org.name_key = Some(r.key.clone());
            org.collection_name = r.collection.clone();
        }
        // The record shows its first admin's email; a joined member's is its own.
        if self.detail.admin_id == self.org.admin_id {
            org.admin_email = self.detail.admin_email.clone();
        }
        org.updated_at = self.now;
        org.state = State::Active;
        org.op = None;
        org
    }
}

impl Operation for Update {
    const KIND: &'static str = "update";
    const STEPS: &'static [&'static str] = &[
        "keys",
        "placeholder",
        "move",
        "tombstone",
        "admin",
        "admins",
        "release",
    ];
    const COMMIT: u32 = 2;

    async fn step(&self, run: &Run<'_>, i: u32) -> StepResult {
        let store = run.store();
        let d = &self.detail;
        run.guard().await?;
        match (i, self.target()) {
            (0, _) => {
                self.check_token(run).await?;
                self.take_keys(run).await
            }
            (1, Some(target)) => self.placeholder(run, target).await,
            (2, Some(target)) => self.move_data(run, target).await,
            (3, Some(target)) => self.tombstone(run, target).await,
            (1..=3, None) => Ok(()),
            (4, _) => {
                let change = AdminChange {
                    email: Some(d.admin_email.as_str()),
                    email_key: d.email_key.as_deref(),
                    new_hash: d.new_hash.as_deref(),
                };
                store
                    .update_admin_once(d.admin_id, run.fence.op, change, self.now)
                    .await?;
                Ok(())
            }
            (5, _) => {
                if let Some(r) = &d.rename {
                    store.rename_admins(self.org.id, &r.name).await?;
                }
                Ok(())
            }
            _ => {
                if let Some(target) = self.target() {
                    // A placeholder that became the collection (nothing was moved onto it)
                    // loses its marker; the tenant's own collection keeps its options.
                    let data = run.cx.data(&self.org)?;
                    if data.create_marked(&target.collection, run.fence.op).await? {
                        data.clear_marker(&target.collection).await?;
                    }
                }
                run.fenced(store.release_as(&run.fence, &self.released()).await?)
            }
        }
    }

    async fn undo(&self, run: &Run<'_>, i: u32) -> StepResult {
        let store = run.store();
        run.guard().await?;
        if i == 1 {
            if let Some(target) = self.target() {
                // Only a name this operation holds, and only its own placeholder.
                let key = Key::new(Kind::Collection, &target.collection);
                let held = store
                    .key(&key)
                    .await?
                    .is_some_and(|k| k.owner == self.org.id && k.op == Some(run.fence.op));
                if held {
                    run.cx
                        .data(&self.org)?
                        .drop_marked(&target.collection, run.fence.op)
                        .await?;
                }
            }
            return Ok(());
        }
        let keys: Vec<Key> = self.new_keys().into_iter().map(|(k, _)| k).collect();
        store.delete_keys_of_op(&keys, run.fence.op).await?;
        Ok(())
    }

    async fn abandon(&self, run: &Run<'_>) -> StepResult {
        run.fenced(run.store().release_unchanged(&run.fence).await?)
    }

    async fn after(&self, cx: &Cx) -> Result<()> {
        // The old name, collection and email are garbage now unless the tenant took them
        // again meanwhile (which re-stamps them: they are then left alone).
        let org = &self.org;
        let mut old = Vec::new();
        if let Some(r) = &self.detail.rename {
            if org.name_key.as_deref() != Some(r.key.as_str()) {
                old.extend(org.name_key.iter().map(|k| Key::new(Kind::Name, k)));
            }
            if org.collection_name != r.collection {
                old.push(Key::new(Kind::Collection, &org.collection_name));
            }
        }
        give_back_if_unused(cx, &old, org.id).await?;
        if let (Some(from), Some(_)) = (&self.detail.from_email_key, &self.detail.email_key) {
            give_back_if_unused(cx, &[Key::new(Kind::Email, from)], self.detail.admin_id).await?;
        }
        Ok(())
    }
}

/// Change the acting admin's email and/or password, and/or rename the claims' tenant.
pub(crate) async fn update(cx: &Cx, claims: &Claims, update: TenantUpdate) -> Result<Tenant> {
    let db = cx.config.tenants_db();
    let new_email = update
        .admin_email
        .as_deref()
        .map(Email::parse)
        .transpose()?;
    if let Some(p) = &update.admin_password {
        validate_password(p, cx.config.min_password_chars)?;
    }
    let new_name = update
        .new_name
        .as_deref()
        .map(|n| TenantName::parse(n, db).map_err(rename_field))
        .transpose()?;
    let org = tenant_of(cx, claims).await?;
    let admin = cx
        .store
        .admin(claims.admin_id())
        .await?
        .ok_or_else(Error::revoked)?;

    // Only a password different from the current one is a change.
    let new_hash = match &update.admin_password {
        Some(p) if !password::verify(p, &admin.hashed_password).await? => {
            Some(password::hash(p, password::Policy::of(&cx.config)).await?)
        }
        _ => None,
    };
    let rename = new_name
        .filter(|n| n.display() != org.organization_name)
        .map(|n| RenameTarget {
            // Same key (a change of spelling or case only), or names that do not follow the
            // tenant's name: the collection stays, and the rename is the record's alone.
            collection: if Some(n.key()) == org.name_key.as_deref()
                || !placement::rename_moves(org.layout, org.naming)
            {
                org.collection_name.clone()
            } else {
                n.collection().to_owned()
            },
            name: n.display().to_owned(),
            key: n.key().to_owned(),
        });
    let detail = UpdateDetail {
        admin_id: admin.id,
        token_version: claims.token_version(),
        admin_email: new_email
            .as_ref()
            .map_or(admin.email.clone(), |e| e.display().to_owned()),
        // A joined member holds no email key (its email is its membership, unchanged
        // here: `members::authorize_update` refused another).
        email_key: new_email
            .as_ref()
            .filter(|e| {
                admin.member_email_key.is_none() && admin.email_key.as_deref() != Some(e.key())
            })
            .map(|e| e.key().to_owned()),
        new_hash,
        rename,
        from_email_key: admin.email_key.clone(),
    };
    let journal = new_journal(cx, Detail::Update(detail.clone()));
    let sent = Instant::now();
    if !cx.store.claim(&org, State::Updating, &journal).await? {
        return Err(Error::busy());
    }
    let run = started(cx, org.id, &journal, journal.owner, sent, "update.claimed").await?;
    let update = Update::from_record(&org, &detail);
    execute(&update, &run).await?;
    Ok(Tenant::from_doc(update.released(), &cx.config.master_db))
}

/// Errors about the new name speak of the field the caller sent.
fn rename_field(e: Error) -> Error {
    match e {
        Error::InvalidInput { message, .. } => Error::InvalidInput {
            field: "new_name",
            message,
        },
        other => other,
    }
}
