//! Authentication policy: logging an admin in (throttled, with equal work for every
//! failure), and checking that a token was not revoked.

use crate::auth::{password, throttle, AccessToken, Claims};
use crate::cache::AdminVersion;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::Email;
use crate::store::{AdminDoc, OrgDoc};

/// Log an admin in, counting failures per (email, client) pair, email and client. With
/// `tenant`, only that tenant's member of the email may log in; without, an email that
/// is a member of several tenants logs into the one its password opens, and is asked to
/// name the tenant (`INVALID_INPUT` on `organization_name`) when it opens several.
pub(crate) async fn authenticate(
    cx: &Cx,
    email: &str,
    password: &str,
    tenant: Option<&str>,
    client: Option<&str>,
) -> Result<AccessToken> {
    let Some(limits) = &cx.config.login_throttle else {
        return login(cx, email, password, tenant).await;
    };
    let counters = throttle::counters(limits, email, client);
    throttle::reserve(cx, limits, &counters).await?;
    let outcome = login(cx, email, password, tenant).await;
    throttle::settle(cx, &counters, &outcome).await?;
    outcome
}

/// The first admin an email belongs to: through its key document, so one email leads to
/// one first admin even if two admin documents carried it.
async fn first_admin(cx: &Cx, email: &Email) -> Result<Option<AdminDoc>> {
    let Some(holder) = cx.store.email_key_holder(email.key()).await? else {
        return Ok(None);
    };
    Ok(cx
        .store
        .admin(holder.owner)
        .await?
        .filter(|a| a.email_key.as_deref() == Some(email.key())))
}

/// Every account of an email (a first admin, joined members), of `tenant` only when one
/// is named, in tenants that are there.
async fn accounts(cx: &Cx, email: &str, tenant: Option<&str>) -> Result<Vec<AdminDoc>> {
    use futures_util::TryStreamExt;
    let Ok(email) = Email::parse(email) else {
        return Ok(Vec::new());
    };
    let only = match tenant {
        Some(name) => {
            let Ok(name) = crate::naming::TenantName::parse(name, cx.config.tenants_db()) else {
                return Ok(Vec::new());
            };
            match cx.store.visible_org_by_key(name.key()).await? {
                Some(org) => Some(org.id),
                None => return Ok(Vec::new()),
            }
        }
        None => None,
    };
    let mut found: Vec<AdminDoc> = first_admin(cx, &email).await?.into_iter().collect();
    let members: Vec<AdminDoc> = match only {
        // A tenant's membership of the email is one known document.
        Some(org) => cx
            .store
            .admin(crate::members::member_id(org, email.key()))
            .await?
            .into_iter()
            .collect(),
        None => {
            cx.store
                .admins
                .find(mongodb::bson::doc! { "member_email_key": email.key() })
                .limit(crate::members::MAX_ACCOUNTS)
                .await?
                .try_collect()
                .await?
        }
    };
    found.extend(
        members
            .into_iter()
            .filter(|m| m.member_email_key.as_deref() == Some(email.key())),
    );
    found.retain(|a| only.is_none_or(|org| a.organization_id == org));
    if found.len() > 1 {
        let mut there = Vec::with_capacity(found.len());
        for a in found {
            if cx
                .store
                .org(a.organization_id)
                .await?
                .is_some_and(|o| o.is_visible())
            {
                there.push(a);
            }
        }
        found = there;
    }
    Ok(found)
}

async fn audit_failure(cx: &Cx, admin: &AdminDoc) {
    let actor = format!("admin:{}", admin.id.to_hex());
    let outcome = Error::InvalidCredentials.code();
    let tenant = admin.organization_id;
    crate::audit::record(
        &cx.store,
        tenant,
        &actor,
        "login",
        outcome,
        Default::default(),
    )
    .await;
}

/// The account among `accounts` that `password` opens. One account costs one hash
/// verification, as an unknown email does (the dummy hash); several cost one each.
async fn opened(cx: &Cx, accounts: Vec<AdminDoc>, password: &str) -> Result<AdminDoc> {
    let dummy = cx.dummy_hash().await?;
    if accounts.is_empty() {
        password::verify_login(password, None, dummy).await?;
        return Err(Error::InvalidCredentials);
    }
    let mut opened = Vec::new();
    for account in accounts {
        if password::verify_login(password, Some(&account.hashed_password), dummy).await? {
            opened.push(account);
        } else {
            audit_failure(cx, &account).await;
        }
    }
    match opened.len() {
        0 => Err(Error::InvalidCredentials),
        1 => Ok(opened.remove(0)),
        _ => Err(Error::invalid(
            "organization_name",
            "this email belongs to several organizations: name the one to log into",
        )),
    }
}

async fn login(cx: &Cx, email: &str, password: &str, tenant: Option<&str>) -> Result<AccessToken> {
    let accounts = accounts(cx, email, tenant).await?;
    let admin = opened(cx, accounts, password).await?;
    let org = match cx.store.org(admin.organization_id).await? {
        Some(org) if org.is_visible() => org,
        _ => return Err(Error::InvalidCredentials),
    };
    // Said only to whoever knows the password.
    if let Err(e) = not_suspended(&org) {
        let actor = format!("admin:{}", admin.id.to_hex());
        crate::audit::record(
            &cx.store,
            org.id,
            &actor,
            "login",
            e.code(),
            Default::default(),
        )
        .await;
        return Err(e);
    }
    // Hashes at another cost (an older setting, the original service's) are replaced at
    // the next successful login, so every account costs the configured work.
    let policy = password::Policy::of(&cx.config);
    if password::needs_rehash(&admin.hashed_password, policy) {
        let rehashed = password::hash(password, policy).await?;
        cx.store
            .replace_hash(admin.id, &admin.hashed_password, &rehashed)
            .await?;
    }
    let token = issue_for(cx, &admin, &org).await?;
    let actor = format!("admin:{}", admin.id.to_hex());
    crate::audit::record(&cx.store, org.id, &actor, "login", "ok", Default::default()).await;
    Ok(token)
}

/// The claims of a token whose signature, algorithm and expiry check out and which was not
/// revoked, under the tenant's current name and with its current collection.
pub(crate) async fn verify_token(cx: &Cx, token: &str) -> Result<Claims> {
    let claims = cx.tokens.decode_fresh(&cx.store, token).await?;
    let (org, role) = check_member(cx, &claims).await?;
    Ok(claims
        .with_tenant(&org, &cx.config.master_db)
        .with_role(role))
}

/// The tenant record and the member's role of a token's valid, unrevoked claims (from the
/// hot path's cache).
async fn check_member(cx: &Cx, claims: &Claims) -> Result<(OrgDoc, crate::members::Role)> {
    require_admin(claims)?;
    let admin = cx.cache.admin_version(&cx.store, claims.admin_id()).await?;
    let role = check_admin(claims, admin)?;
    Ok((
        visible(cx.cache.org(&cx.store, claims.tenant_id()).await?)?,
        role,
    ))
}

/// The tenant record of valid, unrevoked claims, from the hot path's cache (as fresh as
/// the cache promises: see `cache.rs`).
pub(crate) async fn check_not_revoked(cx: &Cx, claims: &Claims) -> Result<OrgDoc> {
    if let Some(key) = claims.api_key_id() {
        crate::api_keys::check_live(cx, key, claims.tenant_id()).await?;
        return check_not_revoked_org(cx, claims.tenant_id()).await;
    }
    check_member(cx, claims).await.map(|(org, _)| org)
}

/// The record of a tenant that is there and not suspended, from the hot path's cache.
pub(crate) async fn check_not_revoked_org(
    cx: &Cx,
    tenant: mongodb::bson::oid::ObjectId,
) -> Result<OrgDoc> {
    visible(cx.cache.org(&cx.store, tenant).await?)
}

/// The same, from the database itself: for the operations that change the tenant.
pub(crate) async fn check_not_revoked_fresh(cx: &Cx, claims: &Claims) -> Result<OrgDoc> {
    fresh_member(cx, claims).await.map(|(org, _)| org)
}

/// The tenant record and the member of a token's valid, unrevoked claims, from the
/// database itself.
pub(crate) async fn fresh_member(cx: &Cx, claims: &Claims) -> Result<(OrgDoc, AdminDoc)> {
    require_admin(claims)?;
    let admin = cx.store.admin(claims.admin_id()).await?;
    check_admin(claims, admin.as_ref().map(AdminVersion::from))?;
    let org = visible(cx.store.org(claims.tenant_id()).await?)?;
    Ok((org, admin.ok_or_else(Error::revoked)?))
}

/// `FORBIDDEN` for an API key's claims: managing the tenant (its name, its admins, its
/// sessions and keys) takes an admin's token.
pub(crate) fn require_admin(claims: &Claims) -> Result<()> {
    match claims.api_key_id() {
        Some(_) => Err(Error::Forbidden {
            message: "an API key cannot manage its tenant: that takes an admin's token".into(),
        }),
        None => Ok(()),
    }
}

fn check_admin(claims: &Claims, admin: Option<AdminVersion>) -> Result<crate::members::Role> {
    match admin {
        Some(a)
            if a.organization_id == claims.tenant_id()
                && a.token_version == claims.token_version() =>
        {
            Ok(a.role)
        }
        _ => Err(Error::revoked()),
    }
}

fn visible(org: Option<OrgDoc>) -> Result<OrgDoc> {
    match org {
        Some(org) if org.is_visible() => not_suspended(&org).map(|()| org),
        _ => Err(Error::revoked()),
    }
}

/// `TENANT_SUSPENDED` for a suspended tenant: no credential of it is accepted.
pub(crate) fn not_suspended(org: &OrgDoc) -> Result<()> {
    match org.suspended_at {
        Some(_) => Err(Error::Suspended {
            name: org.organization_name.clone(),
        }),
        None => Ok(()),
    }
}

/// A token of `admin` of `org`, at the admin's current token version.
async fn issue_for(cx: &Cx, admin: &AdminDoc, org: &OrgDoc) -> Result<AccessToken> {
    let (name, version) = (&org.organization_name, admin.token_version);
    cx.tokens
        .issue(&cx.store, admin.id, org.id, name, version)
        .await
}

/// Claims of the tenant named `name`'s first admin, as a token of its current version
/// would carry: for the operator's calls that run the admin's operations (a rename, a
/// delete) without one of its tokens.
pub(crate) async fn operator_claims(cx: &Cx, name: &str) -> Result<Claims> {
    let key = crate::naming::TenantName::parse(name, cx.config.tenants_db())?;
    let org = cx
        .store
        .visible_org_by_key(key.key())
        .await?
        .ok_or_else(|| Error::not_found(key.display()))?;
    let admin = cx
        .store
        .admin(org.admin_id)
        .await?
        .ok_or_else(Error::revoked)?;
    let token = issue_for(cx, &admin, &org).await?;
    Ok(cx
        .tokens
        .decode_fresh(&cx.store, &token.access_token)
        .await?
        .with_tenant(&org, &cx.config.master_db))
}
