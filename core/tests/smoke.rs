mod common;
use common::*;

#[tokio::test]
async fn smoke() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let tenant = m
        .create_tenant("Acme Corp", "admin@acme.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(tenant.collection_name, "org_acme_corp");
    let err = m
        .create_tenant("acme-corp", "other@acme.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    let claims = tenant_with_login(&m, "Beta", "b@beta.io").await;
    let renamed = m.rename_tenant(&claims, "Beta", "Gamma").await.unwrap();
    assert_eq!(renamed.collection_name, "org_gamma");
    t.assert_consistent().await;
    m.delete_tenant(&claims, "gamma").await.unwrap();
    t.assert_consistent().await;
}
