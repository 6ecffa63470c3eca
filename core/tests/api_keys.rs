//! Tenant API keys: shown once, stored as a digest, identified by their prefix, verified
//! into the same claims as tokens (with their scopes), confined to their tenant's data and
//! never able to manage the tenant; revocation, expiry and suspension refuse them; a
//! tenant's keys go with its (hard) delete, other tenants' stay.

mod common;

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{NewApiKey, TenantManager, TenantUpdate};

async fn manager(t: &TestDb) -> TenantManager {
    TenantManager::connect(t.config().build().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_key_is_shown_once_stored_as_a_digest_and_verifies_into_scoped_claims() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let admin = tenant_with_login(&m, "Keys Co", "owner@keys.io").await;
    let made = m
        .create_api_key(
            &admin,
            NewApiKey::new(
                "  billing sync ",
                ["orders:read", "orders:write", "orders:read"],
            ),
        )
        .await
        .unwrap();
    let secret = made.key.rsplit_once('_').unwrap().1;
    assert!(made.key.starts_with(&format!("{}_", made.info.prefix)));
    assert!(made.info.prefix.starts_with(tenantry::API_KEY_PREFIX));
    assert_eq!(made.info.name, "billing sync");
    assert_eq!(made.info.scopes, ["orders:read", "orders:write"]);
    assert_eq!(made.info.created_by, admin.admin_id());
    // The secret is nowhere but in the answer: not in its Debug, not in the database.
    assert!(!format!("{made:?}").contains(secret));
    assert!(!format!("{:?}", t.documents("tenant_api_keys").await).contains(secret));
    // Listed without it.
    let listed = m.api_keys(&admin).await.unwrap();
    assert_eq!(listed, vec![made.info.clone()]);
    assert!(listed[0].last_used_at.is_none());

    let claims = m.verify_api_key(&made.key).await.unwrap();
    assert_eq!(claims.api_key_id(), Some(made.info.id));
    assert_eq!(claims.tenant_id(), admin.tenant_id());
    assert_eq!(claims.tenant_name(), "Keys Co");
    assert_eq!(claims.scopes().unwrap(), ["orders:read", "orders:write"]);
    assert!(claims.has_scope("orders:write") && !claims.has_scope("orders"));
    assert!(
        admin.has_scope("anything"),
        "an admin's token has every scope"
    );
    assert_eq!(
        m.verify_credential(&made.key).await.unwrap(),
        claims,
        "one entry point for keys and tokens"
    );
    // Its last use is recorded.
    let used = m.api_keys(&admin).await.unwrap()[0].last_used_at.unwrap();
    assert!((chrono::Utc::now() - used).num_seconds() < 60);

    // It reaches its tenant's data.
    let data = m.tenant_collection::<Document>(&claims).await.unwrap();
    data.insert_one(&doc! { "by": "key" }).await.unwrap();
    assert_eq!(t.count("org_keys_co").await, 1);
    let scope = m.scope(&claims).await.unwrap();
    assert_eq!(
        scope_documents(&scope, tenantry::DEFAULT_COLLECTION)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_key_cannot_manage_its_tenant() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let admin = tenant_with_login(&m, "Guarded", "owner@guarded.io").await;
    let key = m
        .create_api_key(&admin, NewApiKey::new("ci", ["deploy"]))
        .await
        .unwrap();
    let claims = m.verify_api_key(&key.key).await.unwrap();
    let before = t.documents("organizations").await;
    let forbidden = |e: tenantry::Error| assert_eq!(e.code(), "FORBIDDEN", "{e}");
    forbidden(m.rename_tenant(&claims, "Taken Over").await.unwrap_err());
    forbidden(
        m.update_tenant(&claims, TenantUpdate::new().admin_email("thief@evil.io"))
            .await
            .unwrap_err(),
    );
    forbidden(
        m.update_tenant(
            &claims,
            TenantUpdate::new().admin_password("stolen-password-1"),
        )
        .await
        .unwrap_err(),
    );
    forbidden(m.delete_tenant(&claims).await.unwrap_err());
    forbidden(
        m.create_api_key(&claims, NewApiKey::new("more", ["deploy"]))
            .await
            .unwrap_err(),
    );
    forbidden(m.api_keys(&claims).await.unwrap_err());
    forbidden(m.revoke_api_key(&claims, key.info.id).await.unwrap_err());
    forbidden(m.sessions(&claims).await.unwrap_err());
    forbidden(m.end_all_sessions(&claims).await.unwrap_err());
    assert_eq!(
        t.documents("organizations").await,
        before,
        "nothing changed"
    );
    m.authenticate("owner@guarded.io", PASSWORD).await.unwrap();
    assert_eq!(t.documents("tenant_api_keys").await.len(), 1);
}

#[tokio::test]
async fn revoked_expired_forged_and_malformed_keys_are_refused() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let a = tenant_with_login(&m, "Alpha Keys", "a@alpha.io").await;
    let b = tenant_with_login(&m, "Beta Keys", "b@beta.io").await;
    let ka = m
        .create_api_key(&a, NewApiKey::new("a", ["x"]))
        .await
        .unwrap();
    let kb = m
        .create_api_key(&b, NewApiKey::new("b", ["x"]))
        .await
        .unwrap();
    let unauthorized = |e: tenantry::Error| assert_eq!(e.code(), "UNAUTHORIZED", "{e}");

    // Forged and malformed.
    let (prefix, secret) = ka.key.rsplit_once('_').unwrap();
    let forged = format!("{prefix}_{}", "0".repeat(64));
    let other_id = format!("{}_{secret}", kb.info.prefix);
    for bad in [
        forged.as_str(),
        other_id.as_str(),
        &format!(" {}", ka.key),
        &format!("{}\n", ka.key),
        &ka.key[..ka.key.len() - 1],
        &format!("{}0", ka.key),
        "tnk_",
        "tnk_zz_zz",
        "",
    ] {
        unauthorized(m.verify_api_key(bad).await.unwrap_err());
    }
    m.verify_api_key(&ka.key).await.unwrap();

    // Another tenant's admin cannot revoke it; its own can.
    let a_claims = m.verify_api_key(&ka.key).await.unwrap();
    assert!(!m.revoke_api_key(&b, ka.info.id).await.unwrap());
    m.verify_api_key(&ka.key).await.unwrap();
    assert!(m.revoke_api_key(&a, ka.info.id).await.unwrap());
    assert!(!m.revoke_api_key(&a, ka.info.id).await.unwrap(), "once");
    unauthorized(m.verify_api_key(&ka.key).await.unwrap_err());
    // Claims verified before the revocation stop reaching the data.
    unauthorized(m.scope(&a_claims).await.unwrap_err());
    assert!(m.api_keys(&a).await.unwrap().is_empty());
    // The bystander's key is untouched.
    m.verify_api_key(&kb.key).await.unwrap();
    assert_eq!(m.api_keys(&b).await.unwrap().len(), 1);

    // Expiry: a past one is refused at creation; a key past its expiry is refused.
    let past = chrono::Utc::now() - chrono::Duration::seconds(1);
    let e = m
        .create_api_key(&b, NewApiKey::new("late", ["x"]).expires_at(past))
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some("expires_at")));
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    let expiring = m
        .create_api_key(&b, NewApiKey::new("soon", ["x"]).expires_at(soon))
        .await
        .unwrap();
    let claims = m.verify_api_key(&expiring.key).await.unwrap();
    assert_eq!(
        claims.expires_at().timestamp_millis(),
        soon.timestamp_millis()
    );
    t.raw("tenant_api_keys")
        .update_one(
            doc! { "_id": expiring.info.id },
            doc! { "$set": { "expires_at": tenantry::mongodb::bson::DateTime::from_chrono(past) } },
        )
        .await
        .unwrap();
    unauthorized(m.verify_api_key(&expiring.key).await.unwrap_err());
    unauthorized(m.scope(&claims).await.unwrap_err());
}

#[tokio::test]
async fn bad_input_is_refused_with_its_field_and_nothing_written() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let admin = tenant_with_login(&m, "Strict Keys", "s@strict.io").await;
    let many: Vec<String> = (0..33).map(|i| format!("s{i}")).collect();
    let cases: Vec<(NewApiKey, &str)> = vec![
        (NewApiKey::new("", ["x"]), "api_key_name"),
        (NewApiKey::new("   ", ["x"]), "api_key_name"),
        (NewApiKey::new("a".repeat(101), ["x"]), "api_key_name"),
        (NewApiKey::new("bell\u{7}", ["x"]), "api_key_name"),
        (NewApiKey::new("ok", Vec::<String>::new()), "scopes"),
        (NewApiKey::new("ok", [""]), "scopes"),
        (NewApiKey::new("ok", ["has space"]), "scopes"),
        (NewApiKey::new("ok", ["a".repeat(65)]), "scopes"),
        (NewApiKey::new("ok", ["ü"]), "scopes"),
        (NewApiKey::new("ok", many), "scopes"),
    ];
    for (new, field) in cases {
        let e = m.create_api_key(&admin, new.clone()).await.unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            ("INVALID_INPUT", Some(field)),
            "{new:?}"
        );
    }
    assert!(t.documents("tenant_api_keys").await.is_empty());
}

#[tokio::test]
async fn suspension_refuses_keys_and_a_delete_removes_only_the_tenants_keys() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let gone = tenant_with_login(&m, "Gone Keys", "g@gone.io").await;
    let stays = tenant_with_login(&m, "Stays Keys", "s@stays.io").await;
    let kg = m
        .create_api_key(&gone, NewApiKey::new("g", ["x"]))
        .await
        .unwrap();
    let ks = m
        .create_api_key(&stays, NewApiKey::new("s", ["x"]))
        .await
        .unwrap();
    let claims = m.verify_api_key(&kg.key).await.unwrap();

    m.suspend_tenant("Gone Keys", Some("unpaid")).await.unwrap();
    let e = m.verify_api_key(&kg.key).await.unwrap_err();
    assert_eq!(e.code(), "TENANT_SUSPENDED", "{e}");
    assert_eq!(
        m.scope(&claims).await.unwrap_err().code(),
        "TENANT_SUSPENDED"
    );
    m.verify_api_key(&ks.key).await.unwrap();
    m.resume_tenant("Gone Keys").await.unwrap();
    m.verify_api_key(&kg.key).await.unwrap();

    m.delete_tenant(&gone).await.unwrap();
    assert_eq!(
        m.verify_api_key(&kg.key).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );
    let left = t.documents("tenant_api_keys").await;
    assert_eq!(left.len(), 1, "the deleted tenant's key went with it");
    assert_eq!(left[0].get_object_id("_id").unwrap(), ks.info.id);
    m.verify_api_key(&ks.key).await.unwrap();
}
