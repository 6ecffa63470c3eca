//! Create: the record (state `creating`, with its journal and its placement) -> `keys`
//! (name, email, and the collection in the `collection` layout) -> `collection` (the
//! tenant's collection, or its database's first collection, created marked as this
//! operation's, only if the name is free; in the `shared` layout, the shared collection
//! made or proven to be the library's) -> `admin` -> `release` (marker cleared, record
//! active).
//!
//! Before the commit point (`admin`), a taken name or email, or a collection name held by
//! data that no tenant owns, refuses the create, and it is undone: the collection only if
//! its marker proves this operation made it, the keys only those this operation stamped,
//! the record last. A shared collection is never undone: it holds other tenants' data.

use std::time::Instant;

use mongodb::bson::oid::ObjectId;

use super::keys::{self, live_holder};
use super::{execute, new_journal, recover, started, Fail, Operation, Run, StepResult};
use crate::auth::password;
use crate::config::PlacementPolicy;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::{validate_password, Email, TenantName};
use crate::placement::{self, Layout, Naming, HOME_CLUSTER};
use crate::store::{self, AdminDoc, Detail, Key, Kind, OrgDoc, State};
use crate::tenant::{Tenant, TenantOptions};

/// How long a tenant being imported stays hidden past the import's last sign of life (it
/// renews this after every batch) before `recover()` purges it as abandoned.
pub(crate) const IMPORT_LEASE_MS: i64 = 120_000;

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

    fn keys(&self) -> Vec<(Key, ObjectId)> {
        let org = &self.org;
        let mut keys = vec![
            (
                Key::new(Kind::Name, org.name_key.clone().unwrap_or_default()),
                org.id,
            ),
            (
                Key::new(Kind::Email, org.admin_email.to_lowercase()),
                org.admin_id,
            ),
        ];
        // Only `slug` names in the `collection` layout name a collection after the tenant;
        // the others derive theirs from the tenant's id, or share them.
        if placement::rename_moves(org.layout, org.naming) {
            keys.push((Key::new(Kind::Collection, &org.collection_name), org.id));
        }
        keys
    }

    /// Make the tenant's collection, marked as this operation's (whether it is ours now).
    async fn make_collection(&self, run: &Run<'_>) -> Result<bool> {
        let (org, op) = (&self.org, run.fence.op);
        let data = run.cx.data(org)?;
        let name = &org.collection_name;
        Ok(match org.layout {
            Layout::Collection => {
                data.create_marked(name, op).await?
                    || (data.remove_tombstone(name).await? && data.create_marked(name, op).await?)
            }
            Layout::Database => data.create_marked(name, op).await?,
            Layout::Shared => data.ensure_shared(name).await?,
        })
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
                if self.make_collection(run).await? {
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
                    member_email_key: None,
                    role: None,
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
                if org.layout != Layout::Shared {
                    run.cx.data(org)?.clear_marker(&org.collection_name).await?;
                }
                run.fenced(match org.importing {
                    // Hidden until its data is in: purged in a while if it never is.
                    Some(since) => {
                        let until = since.timestamp_millis() + IMPORT_LEASE_MS;
                        let until = mongodb::bson::DateTime::from_millis(until);
                        store.release_importing(&run.fence, until).await?
                    }
                    None => store.release_unchanged(&run.fence).await?,
                })
            }
        }
    }

    async fn undo(&self, run: &Run<'_>, i: u32) -> StepResult {
        let store = run.store();
        run.guard().await?;
        match i {
            1 => {
                let org = &self.org;
                let data = run.cx.data(org)?;
                match org.layout {
                    Layout::Collection if org.naming == Naming::Slug => {
                        // Only a collection of a name this operation holds, and only if its
                        // marker proves this operation made it.
                        let key = Key::new(Kind::Collection, &org.collection_name);
                        let held = store
                            .key(&key)
                            .await?
                            .is_some_and(|k| k.owner == org.id && k.op == Some(run.fence.op));
                        if held {
                            data.drop_marked(&org.collection_name, run.fence.op).await?;
                        }
                    }
                    // Names derived from this tenant's id: the collection is dropped only
                    // if the marker proves this operation made it.
                    Layout::Collection | Layout::Database => {
                        data.drop_marked(&org.collection_name, run.fence.op).await?;
                    }
                    // Other tenants' data: never undone.
                    Layout::Shared => {}
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
pub(crate) async fn create(
    cx: &Cx,
    name: &str,
    email: &str,
    password: &str,
    options: TenantOptions,
) -> Result<Tenant> {
    validate_password(password, cx.config.min_password_chars)?;
    let hashed = password::hash(password, password::Policy::of(&cx.config)).await?;
    create_hashed(cx, name, email, &hashed, options, None).await
}

/// [`create`] with the admin's password hash given (an import's); `importing` (when the
/// import began) leaves the tenant hidden until the import reveals it.
pub(crate) async fn create_hashed(
    cx: &Cx,
    name: &str,
    email: &str,
    hashed: &str,
    options: TenantOptions,
    importing: Option<mongodb::bson::DateTime>,
) -> Result<Tenant> {
    let name = TenantName::parse(name, cx.config.tenants_db())?;
    let email = Email::parse(email)?;
    // Abandoned attempts at this name hold nothing the next attempt needs; finish them off
    // here rather than leave them to `recover()`.
    for org in cx.store.orgs_in_flight(Some(name.key())).await? {
        recover::recover_if_stale(cx, &org).await?;
    }
    let mut retried = false;
    loop {
        let result = try_create(cx, &name, &email, hashed, &options, importing).await;
        match &result {
            Err(Error::AlreadyExists { field, .. }) if !retried => {
                // The holder may be an abandoned operation: recover it and try once more.
                let candidates = match *field {
                    "email" => vec![Key::new(Kind::Email, email.key())],
                    // A slug collection name is only taken in the `collection` layout, but
                    // its holder is recovered whatever the new tenant's layout.
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

async fn try_create(
    cx: &Cx,
    name: &TenantName,
    email: &Email,
    hashed: &str,
    options: &TenantOptions,
    importing: Option<mongodb::bson::DateTime>,
) -> Result<Tenant> {
    let now = store::now();
    let id = ObjectId::new();
    let cluster = choose_cluster(cx, options).await?;
    let home = placement::home(
        options.layout.unwrap_or(cx.config.layout),
        options.naming.unwrap_or(cx.config.naming),
        id,
        name,
        cx.config.tenants_db(),
    );
    let journal = new_journal(
        cx,
        Detail::Create {
            hashed_password: hashed.to_owned(),
        },
    );
    let owner = journal.owner;
    let org = OrgDoc {
        id,
        organization_name: name.display().to_owned(),
        collection_name: home.collection,
        admin_email: email.display().to_owned(),
        admin_id: ObjectId::new(),
        created_at: now,
        updated_at: now,
        name_key: Some(name.key().to_owned()),
        state: State::Creating,
        layout: home.layout,
        naming: home.naming,
        database: Some(home.database),
        cluster: (cluster != HOME_CLUSTER).then_some(cluster),
        op: Some(journal),
        deleted_at: None,
        purge_after: None,
        importing,
        suspended_at: None,
        suspended_reason: None,
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

/// The cluster a new tenant goes to: the one named in `options`, or the least used of those
/// with its tag, or by the configured policy.
async fn choose_cluster(cx: &Cx, options: &TenantOptions) -> Result<String> {
    if let Some(name) = &options.cluster {
        cx.client_of(name)
            .map_err(|_| Error::invalid("cluster", format_args!("no cluster is named '{name}'")))?;
        return Ok(name.clone());
    }
    let candidates: Vec<&str> = match (&options.tag, cx.config.placement) {
        (Some(tag), _) => {
            let tagged: Vec<&str> = cx
                .clusters
                .iter()
                .filter(|(_, (_, tags))| tags.contains(tag))
                .map(|(name, _)| name.as_str())
                .collect();
            if tagged.is_empty() {
                return Err(Error::invalid(
                    "tag",
                    format_args!("no cluster has the tag '{tag}'"),
                ));
            }
            tagged
        }
        (None, PlacementPolicy::Home) => return Ok(HOME_CLUSTER.to_owned()),
        (None, _) => std::iter::once(HOME_CLUSTER)
            .chain(cx.clusters.keys().map(String::as_str))
            .collect(),
    };
    let mut best: Option<(u64, &str)> = None;
    for name in candidates {
        let count = cx.store.tenants_on(name).await?;
        // Ties go to the first name in order, so the choice is stable.
        if best.is_none_or(|(n, b)| count < n || (count == n && name < b)) {
            best = Some((count, name));
        }
    }
    Ok(best
        .map(|(_, n)| n.to_owned())
        .unwrap_or_else(|| HOME_CLUSTER.to_owned()))
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
        Some(org) if org.state.in_flight() => recover::recover_if_stale(cx, &org).await,
        _ => Ok(false),
    }
}
