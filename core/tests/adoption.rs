//! A database written by the original service is adopted: its records get keys, its
//! admins log in with their `$bcrypt-sha256$` hashes, and the lifecycle covers them.

mod common;
use common::*;
use sha2::{Digest, Sha256};
use tenantry::mongodb::bson::{doc, oid::ObjectId, DateTime};

#[tokio::test]
async fn seed_records_are_adopted() {
    let t = TestDb::new().await;
    let (org_id, admin_id) = (ObjectId::new(), ObjectId::new());
    let hash = format!(
        "$bcrypt-sha256${}",
        bcrypt::hash(Sha256::digest(b"securepassword123"), 4).unwrap()
    );
    // As the original service wrote them (ids as strings, no keys, no state).
    t.raw("organizations")
        .insert_one(doc! {
            "_id": org_id, "organization_name": "Acme Corp", "collection_name": "org_acme_corp",
            "admin_email": "admin@acme.com", "admin_id": admin_id.to_hex(),
            "created_at": DateTime::now(), "updated_at": DateTime::now(),
        })
        .await
        .unwrap();
    t.raw("admin_users")
        .insert_one(doc! {
            "_id": admin_id, "email": "Admin@Acme.com", "hashed_password": hash,
            "organization_name": "Acme Corp", "organization_id": org_id.to_hex(),
            "created_at": DateTime::now(),
        })
        .await
        .unwrap();
    t.raw("org_acme_corp")
        .insert_one(doc! { "legacy": true })
        .await
        .unwrap();

    let m = t.manager().await;
    let acme = m.get_tenant("acme-corp").await.unwrap();
    assert_eq!((acme.id, acme.admin_id), (org_id, admin_id));
    let err = m
        .create_tenant("ACME CORP", "other@acme.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    let err = m
        .create_tenant("Other", "admin@ACME.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("email"));

    let token = m
        .authenticate("admin@acme.com", "securepassword123")
        .await
        .unwrap();
    let claims = m.verify_token(&token.access_token).await.unwrap();
    let renamed = m.rename_tenant(&claims, "Acme Inc").await.unwrap();
    assert_eq!(t.count(&renamed.collection_name).await, 1);
    let report = m.recover().await.unwrap();
    assert_eq!(report.adopted, 0, "adopted once, on connect");
    assert!(report.orphan_collections.is_empty());
}
