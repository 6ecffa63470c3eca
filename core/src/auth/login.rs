//! Authentication policy: logging an admin in (throttled, with equal work for every
//! failure), and checking that a token was not revoked.

use crate::auth::{password, throttle, AccessToken, Claims};
use crate::cache::AdminVersion;
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::naming::Email;
use crate::store::{AdminDoc, OrgDoc};

/// Log an admin in, counting failures per (email, client) pair, email and client.
pub(crate) async fn authenticate(
    cx: &Cx,
    email: &str,
    password: &str,
    client: Option<&str>,
) -> Result<AccessToken> {
    let Some(limits) = &cx.config.login_throttle else {
        return login(cx, email, password).await;
    };
    let counters = throttle::counters(limits, email, client);
    throttle::reserve(cx, limits, &counters).await?;
    let outcome = login(cx, email, password).await;
    throttle::settle(cx, &counters, &outcome).await?;
    outcome
}

/// The admin an email belongs to: through its key document, so one email leads to one
/// admin even if two admin documents carried it.
async fn account(cx: &Cx, email: &str) -> Result<Option<AdminDoc>> {
    let Ok(email) = Email::parse(email) else {
        return Ok(None);
    };
    let Some(holder) = cx.store.email_key_holder(email.key()).await? else {
        return Ok(None);
    };
    Ok(cx
        .store
        .admin(holder.owner)
        .await?
        .filter(|a| a.email_key.as_deref() == Some(email.key())))
}

async fn login(cx: &Cx, email: &str, password: &str) -> Result<AccessToken> {
    let admin = account(cx, email).await?;
    let stored = admin.as_ref().map(|a| a.hashed_password.as_str());
    let dummy = cx.dummy_hash().await?;
    if !password::verify_login(password, stored, dummy).await? {
        if let Some(admin) = &admin {
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
        return Err(Error::InvalidCredentials);
    }
    let Some(admin) = admin else {
        return Err(Error::InvalidCredentials);
    };
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
    let org = check_not_revoked(cx, &claims).await?;
    Ok(claims.with_tenant(&org, &cx.config.master_db))
}

/// The tenant record of valid, unrevoked claims, from the hot path's cache (as fresh as
/// the cache promises: see `cache.rs`).
pub(crate) async fn check_not_revoked(cx: &Cx, claims: &Claims) -> Result<OrgDoc> {
    if let Some(key) = claims.api_key_id() {
        crate::api_keys::check_live(cx, key, claims.tenant_id()).await?;
        return check_not_revoked_org(cx, claims.tenant_id()).await;
    }
    let admin = cx.cache.admin_version(&cx.store, claims.admin_id()).await?;
    check_admin(claims, admin)?;
    visible(cx.cache.org(&cx.store, claims.tenant_id()).await?)
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
    require_admin(claims)?;
    let admin = cx.store.admin(claims.admin_id()).await?;
    check_admin(claims, admin.as_ref().map(AdminVersion::from))?;
    visible(cx.store.org(claims.tenant_id()).await?)
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

fn check_admin(claims: &Claims, admin: Option<AdminVersion>) -> Result<()> {
    match admin {
        Some(a)
            if a.organization_id == claims.tenant_id()
                && a.token_version == claims.token_version() =>
        {
            Ok(())
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
