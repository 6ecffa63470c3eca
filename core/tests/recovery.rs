//! Invariant 10 (recovery is per tenant) and the life of tombstones: a tenant recovery
//! cannot fix is reported with its code while the others are recovered; tombstones refuse
//! writes, are replaced when the name is taken again, and are swept after their retention.

mod common;
use std::time::Duration;

use common::*;
use tenantry::failpoints::{Action, Failpoints};
use tenantry::mongodb::bson::doc;
use tenantry::TenantManager;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stuck_tenant_is_reported_and_the_others_are_recovered() {
    let t = TestDb::new().await;
    let fp = Failpoints::new();
    let crashing = TenantManager::connect(
        t.config()
            .operation_lease_for_tests(Duration::from_millis(500))
            .failpoints(fp.clone())
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let m = t.manager().await;
    let bystanders = Bystanders::seed(&t, &m).await;
    let stuck = tenant_with_login(&m, "Stuck", "stuck@r.io").await;
    let moving = tenant_with_login(&m, "Moving", "moving@r.io").await;
    let leaving = tenant_with_login(&m, "Leaving", "leaving@r.io").await;
    // A journal nobody can read (written by another version, or damaged).
    t.raw("organizations")
        .update_one(
            doc! { "_id": stuck.tenant_id() },
            doc! { "$set": { "state": "updating", "op": { "unreadable": true } } },
        )
        .await
        .unwrap();
    // Two operations abandoned past their commit points.
    fp.arm("update.move", Action::Halt);
    crashing.rename_tenant(&moving, "Moved").await.unwrap_err();
    fp.arm("delete.collection", Action::Halt);
    crashing.delete_tenant(&leaving).await.unwrap_err();
    expire_leases(&t).await;

    let report = m.recover().await.unwrap();
    assert_eq!(report.completed, 2, "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let failure = &report.failed[0];
    assert_eq!(failure.tenant_id, Some(stuck.tenant_id()));
    assert_eq!(failure.code, "INTERNAL");
    assert!(m.get_tenant("Moved").await.is_ok());
    assert!(m.get_tenant("Leaving").await.is_err());
    bystanders.assert_untouched(&t, "recovery").await;
    // Reported again next time, never silently dropped.
    assert_eq!(m.recover().await.unwrap().failed.len(), 1);
}

#[tokio::test]
async fn tombstones_refuse_writes_are_replaced_and_swept() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = tenant_with_login(&m, "Alpha", "a@t.io").await;
    let old = t.raw("org_alpha");
    old.insert_one(doc! { "_id": 1 }).await.unwrap();
    m.rename_tenant(&claims, "Beta").await.unwrap();
    assert_eq!(t.tombstones().await, vec!["org_alpha"]);
    // A write through the old name is refused (121), not written to a new collection.
    let refused = old.insert_one(doc! { "_id": 2 }).await.unwrap_err();
    assert!(
        refused.to_string().contains("121") || refused.to_string().contains("validation"),
        "{refused}"
    );
    assert_eq!(t.count("org_alpha").await, 0);
    assert_eq!(t.documents("org_beta").await, vec![doc! { "_id": 1 }]);
    // A write the server let into the tombstone anyway (here: one that bypassed its
    // validator) is moved to the tenant's collection by the next recovery.
    t.raw("org_alpha")
        .insert_one(doc! { "_id": 9 })
        .bypass_document_validation(true)
        .await
        .unwrap();
    // Kept by a recovery within its retention.
    let report = m.recover().await.unwrap();
    assert_eq!(report.moved_documents, 1);
    assert_eq!(
        t.documents("org_beta").await,
        vec![doc! { "_id": 1 }, doc! { "_id": 9 }]
    );
    t.raw("org_beta")
        .delete_one(doc! { "_id": 9 })
        .await
        .unwrap();
    assert_eq!(report.swept_tombstones, 0);
    assert!(report.orphan_collections.is_empty(), "{report:?}");
    // A tenant taking the name again replaces it.
    let again = m
        .create_tenant("Alpha", "again@t.io", PASSWORD)
        .await
        .unwrap();
    assert_eq!(again.collection_name, "org_alpha");
    assert!(t.tombstones().await.is_empty());
    t.raw("org_alpha")
        .insert_one(doc! { "_id": 3 })
        .await
        .unwrap();
    // Renamed back and forth: the tombstone at the target of a rename is replaced too.
    let beta = m
        .verify_token(
            &m.authenticate("a@t.io", PASSWORD)
                .await
                .unwrap()
                .access_token,
        )
        .await
        .unwrap();
    m.rename_tenant(&beta, "Gamma").await.unwrap();
    m.rename_tenant(&beta, "Beta").await.unwrap();
    assert_eq!(t.documents("org_beta").await, vec![doc! { "_id": 1 }]);
    // Swept once older than the retention.
    let sweeper = TenantManager::connect(
        t.config()
            .tombstone_retention(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let report = sweeper.recover().await.unwrap();
    assert_eq!(report.swept_tombstones, 1, "{report:?}");
    assert!(t.tombstones().await.is_empty());
    assert_eq!(t.live_collections().await, vec!["org_alpha", "org_beta"]);
    t.assert_no_garbage_keys().await;
}
