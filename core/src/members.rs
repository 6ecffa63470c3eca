//! Members and roles, and invitations.
//!
//! A tenant's members are admin users (`admin_users`) of its id: the tenant's first admin
//! (the one the original contract knows, an owner unless demoted) and every member who
//! joined through an invitation. A joined member's `_id` is derived from (tenant, email
//! key), so one email is a member of a tenant at most once, and may be a member of several
//! tenants; joined members hold no email key document (those are the first admins').
//! Tokens, sessions, revocation and the cache treat every member alike.
//!
//! Roles: `owner` (everything, renaming and deleting the tenant included), `admin` (members
//! and API keys, but no owner), `member` (the tenant's data, its own sessions). The tenant
//! record counts its owners (`owners`, absent = 1: the first admin), and a demotion or
//! removal of an owner first takes one off that count under the condition that another
//! remains: of two owners demoting each other at once, one is refused with `LAST_OWNER`.
//! The count is written before a demotion and after a promotion, so a crash between the
//! two writes can only leave it lower than the owners there are (a later demotion may be
//! refused that could have passed), never higher.
//!
//! Invitations (`tenant_invitations`, catalog) are `tni_<id>_<secret>`, stored as the
//! secret's digest, single use (one conditional update consumes them), expiring and
//! revocable.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::opaque::{digest, is_secret, matches, secret};
use crate::auth::{login, password, Claims};
use crate::context::Cx;
use crate::error::{duplicate_key, Error, Result};
use crate::naming::{validate_password, Email};
use crate::store::{AdminDoc, OrgDoc, Store};

pub(crate) const TENANT_INVITATIONS: &str = "tenant_invitations";

/// What every invitation token starts with.
pub const INVITATION_PREFIX: &str = "tni_";
/// How long an invitation stays valid unless told otherwise: 7 days.
pub const DEFAULT_INVITATION_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 86400);
/// The longest an invitation may stay valid: 30 days.
pub const MAX_INVITATION_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 86400);
/// Most tenants one email's login looks through (members of more are asked to name the
/// tenant).
pub(crate) const MAX_ACCOUNTS: i64 = 20;
/// Most pending invitations a tenant may hold.
pub const MAX_PENDING_INVITATIONS: u64 = 100;

/// A member's role in its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The tenant's data and the member's own sessions.
    Member,
    /// A member who also manages members (not owners) and API keys.
    Admin,
    /// Everything: renaming and deleting the tenant, and managing owners.
    Owner,
}

impl Role {
    /// `"owner"`, `"admin"` or `"member"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    /// Whether this role may do `action`.
    pub fn may(self, action: Action) -> bool {
        self >= action.needs()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    /// `INVALID_INPUT` on `role` for anything but `owner`, `admin` or `member`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(Error::invalid("role", "must be owner, admin or member")),
        }
    }
}

/// What a role may or may not do (see [`Role::may`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Rename the tenant: owners.
    Rename,
    /// Delete the tenant: owners.
    Delete,
    /// Invite, list, change and remove members: owners and admins (only owners touch
    /// owners).
    ManageMembers,
    /// Make, list and revoke API keys: owners and admins.
    ManageKeys,
    /// Read and write the tenant's data, change one's own password, end one's sessions:
    /// every member.
    UseData,
}

impl Action {
    /// The least role that may do it.
    pub fn needs(self) -> Role {
        match self {
            Action::Rename | Action::Delete => Role::Owner,
            Action::ManageMembers | Action::ManageKeys => Role::Admin,
            Action::UseData => Role::Member,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Action::Rename => "rename the tenant",
            Action::Delete => "delete the tenant",
            Action::ManageMembers => "manage members",
            Action::ManageKeys => "manage API keys",
            Action::UseData => "use the tenant",
        }
    }
}

/// `FORBIDDEN` unless `role` may do `action`.
pub(crate) fn require(role: Role, action: Action) -> Result<()> {
    if role.may(action) {
        return Ok(());
    }
    Err(Error::Forbidden {
        message: format!(
            "a member with role {role} may not {}: that takes {}",
            action.describe(),
            action.needs()
        ),
    })
}

/// The role of an admin user: its own, or owner for a first admin never demoted.
pub(crate) fn role_of(admin: &AdminDoc) -> Role {
    admin.role.unwrap_or(Role::Owner)
}

/// A member of a tenant, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Member {
    /// Its id: the `admin_id` of its tokens.
    pub id: ObjectId,
    /// Its email, as given.
    pub email: String,
    /// Its role.
    pub role: Role,
    /// Whether it is the tenant's first admin (the one of the original contract, which
    /// cannot be removed, only demoted).
    pub first_admin: bool,
    /// When it joined.
    pub created_at: DateTime<Utc>,
}

impl Member {
    fn of(admin: &AdminDoc, org: &OrgDoc) -> Self {
        Member {
            id: admin.id,
            email: admin.email.clone(),
            role: role_of(admin),
            first_admin: admin.id == org.admin_id,
            created_at: admin.created_at,
        }
    }
}

/// An invitation to make: an email, the role it will have, an optional expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvitation {
    email: String,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
}

impl NewInvitation {
    /// Invite `email` as `role`, for [`DEFAULT_INVITATION_TTL`].
    pub fn new(email: impl Into<String>, role: Role) -> Self {
        NewInvitation {
            email: email.into(),
            role,
            expires_at: None,
        }
    }

    /// The invitation expires at `at` (in the future, at most [`MAX_INVITATION_TTL`]
    /// away).
    pub fn expires_at(mut self, at: DateTime<Utc>) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// An invitation as listed: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvitationInfo {
    /// Its id (what [`revoke_invitation`](crate::TenantManager::revoke_invitation) takes).
    pub id: ObjectId,
    /// `tni_<id>`: how its token begins.
    pub prefix: String,
    /// The email invited.
    pub email: String,
    /// The role the member will have.
    pub role: Role,
    /// The member who invited.
    pub invited_by: ObjectId,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// An invitation just made: its token, shown this once (only its digest is stored), and
/// what will be listed of it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Invitation {
    /// `tni_<id>_<secret>`, for the invitee to pass to
    /// [`accept_invitation`](crate::TenantManager::accept_invitation).
    pub token: String,
    /// The invitation as it will be listed.
    pub info: InvitationInfo,
}

impl fmt::Debug for Invitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invitation")
            .field("token", &format_args!("{}_***", self.info.prefix))
            .field("info", &self.info)
            .finish()
    }
}

fn invitations(store: &Store) -> mongodb::Collection<Document> {
    store.catalog(TENANT_INVITATIONS)
}

pub(crate) async fn ensure_indexes(store: &Store) -> Result<()> {
    let by_tenant = crate::store::index(doc! { "tenant": 1, "created_at": 1 }, "tenant");
    invitations(store).create_index(by_tenant).await?;
    Ok(())
}

/// The id of `email_key`'s membership of `tenant`: the same for every process, so that
/// one email joins a tenant at most once.
pub(crate) fn member_id(tenant: ObjectId, email_key: &str) -> ObjectId {
    let hash = Sha256::digest(format!("member:{}:{email_key}", tenant.to_hex()));
    let mut bytes = [0u8; 12];
    bytes.copy_from_slice(&hash[..12]);
    ObjectId::from_bytes(bytes)
}

/// The acting member of claims (a token's, never an API key's), read from the database,
/// with its tenant; `FORBIDDEN` unless its role may do `action`.
pub(crate) async fn acting(cx: &Cx, claims: &Claims, action: Action) -> Result<(OrgDoc, AdminDoc)> {
    let (org, admin) = login::fresh_member(cx, claims).await?;
    require(role_of(&admin), action)?;
    Ok((org, admin))
}

/// `FORBIDDEN` unless the claims' member may make `update`: a rename takes an owner. A
/// joined member's email is not changed this way (`INVALID_INPUT`: it joins under the new
/// one by invitation), and a first admin's may not become a member's of the same tenant.
pub(crate) async fn authorize_update(
    cx: &Cx,
    claims: &Claims,
    update: &crate::tenant::TenantUpdate,
) -> Result<()> {
    let (org, admin) = login::fresh_member(cx, claims).await?;
    if update.new_name.is_some() {
        require(role_of(&admin), Action::Rename)?;
    }
    let Some(email) = &update.admin_email else {
        return Ok(());
    };
    let email = Email::parse(email)?;
    match &admin.member_email_key {
        Some(key) if key != email.key() => Err(Error::invalid(
            "email",
            "a joined member's email is not changed: invite the new email and remove this membership",
        )),
        Some(_) => Ok(()),
        None if cx.store.admin(member_id(org.id, email.key())).await?.is_some() => {
            Err(Error::AlreadyExists {
                field: "email",
                message: "this email is already a member of the tenant".into(),
            })
        }
        None => Ok(()),
    }
}

fn actor(admin: &AdminDoc) -> String {
    format!("admin:{}", admin.id.to_hex())
}

/// The members of the claims' tenant: its first admin, then the others as they joined.
pub(crate) async fn list(cx: &Cx, claims: &Claims) -> Result<Vec<Member>> {
    let (org, _) = acting(cx, claims, Action::UseData).await?;
    let mut members: Vec<Member> = cx
        .store
        .admins_of(org.id)
        .await?
        .iter()
        .map(|a| Member::of(a, &org))
        .collect();
    members.sort_by_key(|m| (!m.first_admin, m.created_at, m.id));
    Ok(members)
}

/// `FORBIDDEN` unless `actor` may touch a member with role `current`, giving it `role`.
fn may_touch(actor: Role, current: Role, role: Option<Role>) -> Result<()> {
    if actor != Role::Owner && (current == Role::Owner || role == Some(Role::Owner)) {
        return Err(Error::Forbidden {
            message: "only an owner may make an owner or change an owner's membership".into(),
        });
    }
    Ok(())
}

fn with_role(role: Role) -> Document {
    if role == Role::Owner {
        doc! { "$or": [ { "role": "owner" }, { "role": { "$exists": false } } ] }
    } else {
        doc! { "role": role.as_str() }
    }
}

/// A member about to be changed or removed, by a member who may.
struct Managed {
    org: OrgDoc,
    by: AdminDoc,
    /// Its role now.
    current: Role,
    /// The member as read: same id, tenant and role.
    filter: Document,
}

/// Member `id` of the claims' tenant, if it has one, for a change to `role` (or a
/// removal): `FORBIDDEN` unless the claims' member may do it.
async fn managed(
    cx: &Cx,
    claims: &Claims,
    id: ObjectId,
    role: Option<Role>,
) -> Result<Option<Managed>> {
    let (org, by) = acting(cx, claims, Action::ManageMembers).await?;
    let target = cx.store.admin(id).await?;
    let Some(target) = target.filter(|a| a.organization_id == org.id) else {
        return Ok(None);
    };
    let current = role_of(&target);
    may_touch(role_of(&by), current, role)?;
    let mut filter = with_role(current);
    filter.insert("_id", id);
    filter.insert("organization_id", org.id);
    Ok(Some(Managed {
        org,
        by,
        current,
        filter,
    }))
}

/// Change a member's role; `None` when the tenant has no such member.
pub(crate) async fn set_role(
    cx: &Cx,
    claims: &Claims,
    id: ObjectId,
    role: Role,
) -> Result<Option<Member>> {
    let Some(Managed {
        org,
        by,
        current,
        filter,
    }) = managed(cx, claims, id, Some(role)).await?
    else {
        return Ok(None);
    };
    let store = &cx.store;
    if current != role {
        let change = doc! { "$set": { "role": role.as_str() } };
        if current == Role::Owner {
            if !store.take_owner(org.id).await? {
                return Err(Error::LastOwner);
            }
            if store.admins.update_one(filter, change).await?.matched_count == 0 {
                store.add_owner(org.id).await?;
                return Err(Error::busy());
            }
        } else {
            if store.admins.update_one(filter, change).await?.matched_count == 0 {
                return Err(Error::busy());
            }
            if role == Role::Owner {
                store.add_owner(org.id).await?;
            }
        }
        // This process sees the new role at once; the others when the change stream says.
        cx.cache.forget_all();
        let detail = doc! { "member": id, "from": current.as_str(), "to": role.as_str() };
        crate::audit::record(store, org.id, &actor(&by), "member.role", "ok", detail).await;
    }
    let member = store
        .admin(id)
        .await?
        .filter(|a| a.organization_id == org.id);
    Ok(member.map(|a| Member::of(&a, &org)))
}

/// Remove a member (its sessions end, its tokens stop verifying); `false` when the tenant
/// has no such member.
pub(crate) async fn remove(cx: &Cx, claims: &Claims, id: ObjectId) -> Result<bool> {
    let Some(Managed {
        org,
        by,
        current,
        filter,
    }) = managed(cx, claims, id, None).await?
    else {
        return Ok(false);
    };
    let store = &cx.store;
    if id == org.admin_id {
        return Err(Error::Forbidden {
            message: "the tenant's first admin cannot be removed (it may be demoted)".into(),
        });
    }
    if current == Role::Owner && !store.take_owner(org.id).await? {
        return Err(Error::LastOwner);
    }
    if store.admins.delete_one(filter).await?.deleted_count == 0 {
        if current == Role::Owner {
            store.add_owner(org.id).await?;
        }
        return Err(Error::busy());
    }
    // This process refuses the member's tokens at once; the others when the change stream
    // says.
    cx.cache.forget_all();
    crate::sessions::end_all_of(cx, id, "member removed").await?;
    let detail = doc! { "member": id, "role": current.as_str() };
    crate::audit::record(store, org.id, &actor(&by), "member.remove", "ok", detail).await;
    Ok(true)
}

fn pending(tenant: ObjectId) -> Document {
    doc! {
        "tenant": tenant,
        "accepted_at": { "$exists": false },
        "revoked_at": { "$exists": false },
        "expires_at": { "$gt": bson::DateTime::now() },
    }
}

fn invitation_info(e: &Document) -> Result<InvitationInfo> {
    let id = e.get_object_id("_id").map_err(Error::internal)?;
    let time = |field: &str| {
        e.get_datetime(field)
            .map(|d| d.to_chrono())
            .map_err(Error::internal)
    };
    Ok(InvitationInfo {
        id,
        prefix: format!("{INVITATION_PREFIX}{}", id.to_hex()),
        email: e.get_str("email").map_err(Error::internal)?.to_owned(),
        role: e.get_str("role").map_err(Error::internal)?.parse()?,
        invited_by: e.get_object_id("invited_by").map_err(Error::internal)?,
        created_at: time("created_at")?,
        expires_at: time("expires_at")?,
    })
}

/// `TENANT_ALREADY_EXISTS` on `email` when `email` is a member of `org` already.
async fn not_a_member(store: &Store, org: &OrgDoc, email: &Email) -> Result<()> {
    let first = store.admin(org.admin_id).await?;
    let is_first = first.is_some_and(|a| a.email.trim().to_lowercase() == email.key());
    if is_first || store.admin(member_id(org.id, email.key())).await?.is_some() {
        return Err(Error::AlreadyExists {
            field: "email",
            message: "this email is already a member of the tenant".into(),
        });
    }
    Ok(())
}

/// Invite an email into the claims' tenant.
pub(crate) async fn invite(cx: &Cx, claims: &Claims, new: NewInvitation) -> Result<Invitation> {
    let email = Email::parse(&new.email)?;
    let now = Utc::now();
    let expires_at = match new.expires_at {
        Some(at) if at <= now => return Err(Error::invalid("expires_at", "must be in the future")),
        Some(at) if at > now + max_ttl() => {
            return Err(Error::invalid("expires_at", "must be at most 30 days away"))
        }
        Some(at) => at,
        None => now + chrono::Duration::seconds(DEFAULT_INVITATION_TTL.as_secs() as i64),
    };
    let (org, by) = acting(cx, claims, Action::ManageMembers).await?;
    may_touch(role_of(&by), Role::Member, Some(new.role))?;
    let store = &cx.store;
    not_a_member(store, &org, &email).await?;
    if invitations(store).count_documents(pending(org.id)).await? >= MAX_PENDING_INVITATIONS {
        return Err(Error::Conflict {
            message: format!(
                "a tenant holds at most {MAX_PENDING_INVITATIONS} pending invitations: revoke one first"
            ),
        });
    }
    let id = ObjectId::new();
    let secret = secret();
    let entry = doc! {
        "_id": id,
        "tenant": org.id,
        "email": email.display(),
        "email_key": email.key(),
        "role": new.role.as_str(),
        "hash": digest(&secret),
        "invited_by": by.id,
        "created_at": bson::DateTime::from_chrono(now),
        "expires_at": bson::DateTime::from_chrono(expires_at),
    };
    invitations(store).insert_one(&entry).await?;
    let info = invitation_info(&entry)?;
    let detail = doc! { "invitation": &info.prefix, "role": new.role.as_str() };
    crate::audit::record(store, org.id, &actor(&by), "member.invite", "ok", detail).await;
    Ok(Invitation {
        token: format!("{}_{secret}", info.prefix),
        info,
    })
}

fn max_ttl() -> chrono::Duration {
    chrono::Duration::seconds(MAX_INVITATION_TTL.as_secs() as i64)
}

/// The claims' tenant's pending invitations, oldest first.
pub(crate) async fn list_invitations(cx: &Cx, claims: &Claims) -> Result<Vec<InvitationInfo>> {
    let (org, _) = acting(cx, claims, Action::ManageMembers).await?;
    let found: Vec<Document> = invitations(&cx.store)
        .find(pending(org.id))
        .sort(doc! { "created_at": 1 })
        .await?
        .try_collect()
        .await?;
    found.iter().map(invitation_info).collect()
}

/// Revoke a pending invitation of the claims' tenant; `false` when it has none by this id.
pub(crate) async fn revoke_invitation(cx: &Cx, claims: &Claims, id: ObjectId) -> Result<bool> {
    let (org, by) = acting(cx, claims, Action::ManageMembers).await?;
    let mut filter = pending(org.id);
    filter.insert("_id", id);
    let change = doc! { "$set": { "revoked_at": bson::DateTime::now(), "revoked_by": by.id } };
    let revoked = invitations(&cx.store)
        .update_one(filter, change)
        .await?
        .modified_count
        == 1;
    if revoked {
        let detail = doc! { "invitation": format!("{INVITATION_PREFIX}{}", id.to_hex()) };
        crate::audit::record(
            &cx.store,
            org.id,
            &actor(&by),
            "member.uninvite",
            "ok",
            detail,
        )
        .await;
    }
    Ok(revoked)
}

fn refused() -> Error {
    Error::unauthorized("invitation is unknown, used, expired or revoked")
}

/// Accept an invitation: the member joins with `password`. One conditional update uses
/// the invitation up, so of racing accepts exactly one joins.
pub(crate) async fn accept(cx: &Cx, token: &str, password: &str) -> Result<Member> {
    let malformed = || Error::unauthorized("invitation is malformed");
    let rest = token
        .strip_prefix(INVITATION_PREFIX)
        .ok_or_else(malformed)?;
    let (id, secret) = rest.split_once('_').ok_or_else(malformed)?;
    if !is_secret(secret) || id.len() != 24 {
        return Err(malformed());
    }
    let id = ObjectId::parse_str(id).map_err(|_| malformed())?;
    let store = &cx.store;
    let entry = invitations(store)
        .find_one(doc! { "_id": id })
        .await?
        .ok_or_else(refused)?;
    let stored = entry.get_str("hash").unwrap_or_default().to_owned();
    if !matches(&stored, secret) {
        return Err(refused());
    }
    let info = invitation_info(&entry)?;
    let used = entry.contains_key("accepted_at") || entry.contains_key("revoked_at");
    if used || info.expires_at <= Utc::now() {
        return Err(refused());
    }
    validate_password(password, cx.config.min_password_chars)?;
    let tenant = entry.get_object_id("tenant").map_err(Error::internal)?;
    let org = match store.org(tenant).await? {
        Some(org) if org.is_visible() => org,
        _ => return Err(refused()),
    };
    login::not_suspended(&org)?;
    let email = Email::parse(&info.email)?;
    if let Err(e) = not_a_member(store, &org, &email).await {
        // A racing accept of this invitation used it up (before joining): refused as used.
        let mut still = pending(tenant);
        still.insert("_id", id);
        if invitations(store).count_documents(still).await? == 0 {
            return Err(refused());
        }
        return Err(e);
    }
    let hashed = password::hash(password, password::Policy::of(&cx.config)).await?;
    // The commit point: the invitation is used up by whoever gets here first.
    let now = crate::store::now();
    let mut filter = pending(tenant);
    filter.insert("_id", id);
    filter.insert("hash", &stored);
    let used = doc! { "$set": { "accepted_at": bson::DateTime::from_chrono(now) } };
    if invitations(store)
        .update_one(filter, used)
        .await?
        .modified_count
        != 1
    {
        return Err(refused());
    }
    // A crash here leaves the invitation used and nobody joined: nothing of anyone's is
    // lost, and the invitee asks for a new invitation.
    let admin = AdminDoc {
        id: member_id(tenant, email.key()),
        email: email.display().to_owned(),
        email_key: None,
        member_email_key: Some(email.key().to_owned()),
        role: Some(info.role),
        hashed_password: hashed,
        organization_name: org.organization_name.clone(),
        organization_id: tenant,
        // Never a version an earlier membership of this email had.
        token_version: now.timestamp_millis(),
        last_op: None,
        created_at: now,
    };
    join(store, &admin).await?;
    let actor = actor(&admin);
    let detail = doc! { "invitation": &info.prefix, "role": info.role.as_str() };
    crate::audit::record(store, tenant, &actor, "member.join", "ok", detail).await;
    Ok(Member::of(&admin, &org))
}

/// Insert a joined member (counting an owner); `TENANT_ALREADY_EXISTS` on `email` when
/// the email is a member already.
pub(crate) async fn join(store: &Store, admin: &AdminDoc) -> Result<()> {
    match store.admins.insert_one(admin).await {
        Err(e) if duplicate_key(&e).is_some() => {
            return Err(Error::AlreadyExists {
                field: "email",
                message: "this email is already a member of the tenant".into(),
            })
        }
        other => {
            other?;
        }
    }
    if admin.role == Some(Role::Owner) {
        store.add_owner(admin.organization_id).await?;
    }
    Ok(())
}

/// Remove every invitation of a tenant (its purge).
pub(crate) async fn delete_of(store: &Store, tenant: ObjectId) -> Result<()> {
    invitations(store)
        .delete_many(doc! { "tenant": tenant })
        .await?;
    Ok(())
}

/// Owner counts on tenant records.
impl Store {
    /// Take one owner off the tenant's count, if another remains; `false` if it is the
    /// last.
    pub(crate) async fn take_owner(&self, org: ObjectId) -> Result<bool> {
        let filter = doc! { "_id": org, "owners": { "$gt": 1_i64 } };
        let change = doc! { "$inc": { "owners": -1_i64 } };
        Ok(self.orgs.update_one(filter, change).await?.modified_count == 1)
    }

    /// Add one owner to the tenant's count (absent counts as its first admin alone).
    pub(crate) async fn add_owner(&self, org: ObjectId) -> Result<()> {
        let absent = doc! { "_id": org, "owners": { "$exists": false } };
        self.orgs
            .update_one(absent, doc! { "$set": { "owners": 1_i64 } })
            .await?;
        self.orgs
            .update_one(doc! { "_id": org }, doc! { "$inc": { "owners": 1_i64 } })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_parse() {
        assert!(Role::Owner.may(Action::Rename) && Role::Owner.may(Action::Delete));
        assert!(!Role::Admin.may(Action::Rename) && !Role::Admin.may(Action::Delete));
        assert!(Role::Admin.may(Action::ManageMembers) && Role::Admin.may(Action::ManageKeys));
        assert!(!Role::Member.may(Action::ManageMembers) && !Role::Member.may(Action::ManageKeys));
        assert!(Role::Member.may(Action::UseData));
        for r in [Role::Owner, Role::Admin, Role::Member] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert_eq!("Owner".parse::<Role>().unwrap_err().code(), "INVALID_INPUT");
    }

    #[test]
    fn member_ids_are_per_tenant_and_email() {
        let (a, b) = (ObjectId::new(), ObjectId::new());
        assert_eq!(member_id(a, "x@y.z"), member_id(a, "x@y.z"));
        assert_ne!(member_id(a, "x@y.z"), member_id(b, "x@y.z"));
        assert_ne!(member_id(a, "x@y.z"), member_id(a, "w@y.z"));
    }

    #[test]
    fn an_invitation_debug_shows_its_prefix_only() {
        let info = InvitationInfo {
            id: ObjectId::new(),
            prefix: "tni_abc".into(),
            email: "a@b.c".into(),
            role: Role::Member,
            invited_by: ObjectId::new(),
            created_at: Utc::now(),
            expires_at: Utc::now(),
        };
        let invitation = Invitation {
            token: format!("tni_abc_{}", secret()),
            info,
        };
        let shown = format!("{invitation:?}");
        assert!(!shown.contains(&invitation.token[8..]), "{shown}");
    }
}
