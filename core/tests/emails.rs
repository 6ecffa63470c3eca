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
    // The key's unique index itself refuses a duplicate written behind the library's back.
    let forged = t
        .raw("tenant_keys")
        .insert_one(doc! { "_id": "email:admin@acme.com", "owner": 1 })
        .await;
    assert!(forged.is_err());
}

#[tokio::test]
async fn email_change_to_a_taken_email_is_refused() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "A", "a@a.io").await;
    tenant_with_login(&m, "B", "b@b.io").await;
    let err = m
        .update_tenant(&a, "A", tenantry::TenantUpdate::new().admin_email("B@B.IO"))
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
    m.update_tenant(
        &a,
        "A",
        tenantry::TenantUpdate::new().admin_email("a2@a.io"),
    )
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
