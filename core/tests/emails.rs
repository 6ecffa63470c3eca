//! Invariant 2: one admin per email, case-insensitively, by a unique index.

mod common;
use common::*;
use tenantry::mongodb::bson::doc;

#[tokio::test]
async fn emails_are_unique_case_insensitively() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    m.create_tenant("Acme", "Admin@Acme.com", PASSWORD)
        .await
        .unwrap();
    let err = m
        .create_tenant("Other", "admin@ACME.COM", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    assert_eq!(err.field(), Some("email"));
    // Nothing of the refused tenant is left behind.
    assert!(m.get_tenant("Other").await.is_err());
    assert_eq!(t.tenant_collections().await, vec!["org_acme"]);
    assert_eq!(t.count("organizations").await, 1);
    // Login is case-insensitive too.
    m.authenticate("ADMIN@acme.com", PASSWORD).await.unwrap();
}

/// An email leads to the one admin its key document names, even if another admin
/// document carries the same email (written behind the library's back, and stored first so
/// that a lookup by email would find it first).
#[tokio::test]
async fn an_email_maps_to_the_admin_its_key_names() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let acme = m
        .create_tenant("Acme", "admin@acme.com", PASSWORD)
        .await
        .unwrap();
    let other = m
        .create_tenant("Other", "other@other.io", PASSWORD)
        .await
        .unwrap();
    let admins = t.raw("admin_users");
    let real = admins
        .find_one(doc! { "_id": acme.admin_id })
        .await
        .unwrap()
        .unwrap();
    let mut forged = real.clone();
    forged.insert("_id", tenantry::mongodb::bson::oid::ObjectId::new());
    forged.insert("organization_id", other.id);
    forged.insert(
        "hashed_password",
        bcrypt::hash("forged-password", 4).unwrap(),
    );
    admins
        .delete_one(doc! { "_id": acme.admin_id })
        .await
        .unwrap();
    admins.insert_one(&forged).await.unwrap();
    admins.insert_one(&real).await.unwrap();
    let err = m
        .authenticate("admin@acme.com", "forged-password")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_CREDENTIALS");
    let token = m.authenticate("admin@acme.com", PASSWORD).await.unwrap();
    assert_eq!(token.admin_id, acme.admin_id);
    assert_eq!(token.tenant_id, acme.id);
}

#[tokio::test]
async fn email_change_to_a_taken_email_is_refused() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "A", "a@a.io").await;
    tenant_with_login(&m, "B", "b@b.io").await;
    let err = m
        .update_tenant(&a, tenantry::TenantUpdate::new().admin_email("B@B.IO"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    assert_eq!(m.get_tenant("A").await.unwrap().admin_email, "a@a.io");
    t.assert_consistent().await;
}

#[tokio::test]
async fn a_changed_email_is_free_for_others() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "A", "a@a.io").await;
    m.update_tenant(&a, tenantry::TenantUpdate::new().admin_email("a2@a.io"))
        .await
        .unwrap();
    m.create_tenant("B", "A@A.io", PASSWORD).await.unwrap();
    let err = m.create_tenant("C", "a2@a.io", PASSWORD).await.unwrap_err();
    assert_eq!(err.field(), Some("email"));
    t.assert_consistent().await;
}

#[tokio::test]
async fn invalid_emails_are_refused() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    for bad in ["", "plain", "a@b", "a b@c.io", "@c.io", "a@.io"] {
        let err = m.create_tenant("Acme", bad, PASSWORD).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT", "{bad}");
        assert_eq!(err.field(), Some("email"));
    }
    assert_eq!(t.count("organizations").await, 0);
}
