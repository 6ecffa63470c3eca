//! Invariant 3 (data side): a rename moves the tenant's collection with the server's
//! `renameCollection`: same `_id`s, same documents, same indexes; admins follow the name.

mod common;
use common::*;
use futures_util::TryStreamExt;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Document};
use tenantry::mongodb::options::IndexOptions;
use tenantry::mongodb::IndexModel;
use tenantry::TenantUpdate;

#[tokio::test]
async fn rename_keeps_ids_documents_and_indexes() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = tenant_with_login(&m, "Acme Corp", "admin@acme.com").await;
    let data = m.tenant_collection::<Document>(&claims).await.unwrap();
    let docs: Vec<Document> = (0..5000)
        .map(|i| doc! { "_id": ObjectId::new(), "sku": format!("sku-{i}"), "n": i, "pad": "x".repeat(150) })
        .collect();
    data.insert_many(&docs).await.unwrap();
    data.collection()
        .create_index(
            IndexModel::builder()
                .keys(doc! { "sku": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name("sku_unique".to_owned())
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();
    let before = t.documents("org_acme_corp").await;

    let renamed = m.rename_tenant(&claims, "Globex Inc").await.unwrap();
    assert_eq!(renamed.name, "Globex Inc");
    assert_eq!(renamed.collection_name, "org_globex_inc");
    assert_eq!(renamed.id, claims.tenant_id());
    assert_eq!(t.live_collections().await, vec!["org_globex_inc"]);
    assert_eq!(t.tombstones().await, vec!["org_acme_corp"]);
    assert_eq!(t.documents("org_globex_inc").await, before);
    let index = t
        .raw("org_globex_inc")
        .list_indexes()
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.options.as_ref().and_then(|o| o.name.as_deref()) == Some("sku_unique"))
        .expect("secondary index moved");
    assert_eq!(index.keys, doc! { "sku": 1 });
    assert_eq!(index.options.unwrap().unique, Some(true));
    // The unique index still bites in its new home.
    assert!(t
        .raw("org_globex_inc")
        .insert_one(doc! { "sku": "sku-1" })
        .await
        .is_err());

    assert_eq!(
        m.get_tenant("Acme Corp").await.unwrap_err().code(),
        "TENANT_NOT_FOUND"
    );
    assert_eq!(m.get_tenant("globex-inc").await.unwrap().id, renamed.id);
    let admin = t
        .raw("admin_users")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.get_str("organization_name").unwrap(), "Globex Inc");
    // The old name is free again; the new one is taken.
    m.create_tenant("ACME corp", "new@acme.com", PASSWORD)
        .await
        .unwrap();
    let err = m
        .create_tenant("Globex Inc", "x@acme.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    // The tenant's handle follows the rename.
    let data = m.tenant_collection::<Document>(&claims).await.unwrap();
    assert_eq!(data.name(), "org_globex_inc");
    t.assert_consistent().await;
}

#[tokio::test]
async fn respelling_keeps_the_collection() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = tenant_with_login(&m, "acme corp", "admin@acme.com").await;
    t.raw("org_acme_corp")
        .insert_one(doc! { "k": 1 })
        .await
        .unwrap();
    let renamed = m.rename_tenant(&claims, "ACME Corp").await.unwrap();
    assert_eq!(renamed.name, "ACME Corp");
    assert_eq!(renamed.collection_name, "org_acme_corp");
    assert_eq!(t.count("org_acme_corp").await, 1);
    t.assert_consistent().await;
}

#[tokio::test]
async fn rename_onto_a_taken_name_changes_nothing() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "Alpha", "a@a.io").await;
    tenant_with_login(&m, "Beta", "b@b.io").await;
    let update = TenantUpdate::new()
        .new_name("BETA")
        .admin_email("changed@a.io")
        .admin_password("another-password");
    let err = m.update_tenant(&a, update).await.unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    assert_eq!(err.field(), Some("new_name"));
    let alpha = m.get_tenant("Alpha").await.unwrap();
    assert_eq!(alpha.admin_email, "a@a.io");
    m.authenticate("a@a.io", PASSWORD).await.unwrap();
    m.verify_token_ok(&a).await;
    t.assert_consistent().await;
}

#[tokio::test]
async fn rename_onto_a_foreign_collection_with_data_is_refused() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "Alpha", "a@a.io").await;
    t.raw("org_gamma")
        .insert_one(doc! { "not": "ours" })
        .await
        .unwrap();
    let err = m.rename_tenant(&a, "Gamma").await.unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    assert_eq!(err.field(), Some("new_name"));
    assert!(!err.to_string().contains("org_gamma"), "{err}");
    assert_eq!(t.count("org_gamma").await, 1);
    assert_eq!(
        m.get_tenant("Alpha").await.unwrap().collection_name,
        "org_alpha"
    );
    let report = m.recover().await.unwrap();
    assert_eq!(report.orphan_collections, vec!["org_gamma"]);
}

/// Extension used above: the claims still verify (no revocation happened).
trait VerifyOk {
    async fn verify_token_ok(&self, claims: &tenantry::Claims);
}

impl VerifyOk for tenantry::TenantManager {
    async fn verify_token_ok(&self, claims: &tenantry::Claims) {
        self.tenant_collection::<Document>(claims)
            .await
            .expect("claims still valid");
    }
}
