//! Invariant 8: a live owner renews its lease and is never taken over; an owner stopped
//! past its lease (as by a debugger or the kernel) loses its operation to a recoverer, and
//! when it wakes up it stops with a clear error and writes nothing more: no double effect,
//! no garbage.

mod common;
use std::time::Duration;

use common::*;
use tenantry::failpoints::{Action, Failpoints, Gate};
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{TenantManager, TenantUpdate};

const LEASE: Duration = Duration::from_millis(500);

async fn manager_with(t: &TestDb, failpoints: Option<std::sync::Arc<Failpoints>>) -> TenantManager {
    let mut config = t.config().operation_lease_for_tests(LEASE);
    if let Some(fp) = failpoints {
        config = config.failpoints(fp);
    }
    TenantManager::connect(config.build().unwrap())
        .await
        .unwrap()
}

/// The operation each failpoint belongs to, run by the owner.
async fn run_op(m: &TenantManager, failpoint: &str) -> tenantry::Result<()> {
    let login = || async {
        let token = m.authenticate("owner@fence.io", PASSWORD).await?;
        m.verify_token(&token.access_token).await
    };
    match failpoint.split('.').next().unwrap() {
        "create" => m
            .create_tenant("Fresh Co", "fresh@fence.io", PASSWORD)
            .await
            .map(|_| ()),
        "update" => {
            let update = TenantUpdate::new()
                .new_name("Fenced Renamed")
                .admin_email("moved@fence.io")
                .admin_password("another-password");
            m.update_tenant(&login().await?, update).await.map(|_| ())
        }
        _ => m.delete_tenant(&login().await?).await,
    }
}

async fn seed(t: &TestDb, m: &TenantManager) -> (Bystanders, Vec<Document>) {
    let bystanders = Bystanders::seed(t, m).await;
    let tenant = m
        .create_tenant("Fenced", "owner@fence.io", PASSWORD)
        .await
        .unwrap();
    let data: Vec<Document> = (0..50).map(|i| doc! { "_id": i }).collect();
    t.raw(&tenant.collection_name)
        .insert_many(data.iter())
        .await
        .unwrap();
    (bystanders, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_owner_that_renews_is_never_taken_over() {
    let t = TestDb::new().await;
    let fp = Failpoints::new();
    let owner = manager_with(&t, Some(fp.clone())).await;
    let recoverer = manager_with(&t, None).await;
    let (bystanders, data) = seed(&t, &owner).await;
    let gate = Gate::new();
    fp.arm("update.move", Action::Pause(gate.clone()));
    let running = {
        let owner = owner.clone();
        tokio::spawn(async move { run_op(&owner, "update.move").await })
    };
    gate.reached().await;
    tokio::time::sleep(LEASE * 3).await;
    let report = recoverer.recover().await.unwrap();
    assert_eq!(
        report.completed + report.rolled_back,
        0,
        "a live owner was taken over: {report:?}"
    );
    gate.release();
    running
        .await
        .unwrap()
        .expect("the owner finishes its own operation");
    let renamed = recoverer.get_tenant("Fenced Renamed").await.unwrap();
    assert_eq!(t.documents(&renamed.collection_name).await, data);
    bystanders.assert_untouched(&t, "slow owner").await;
    t.assert_no_garbage_keys_beside(&bystanders.foreign_names())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_owner_loses_its_operation_and_writes_nothing_after() {
    let points = [
        "create.keys",
        "create.collection",
        "create.admin",
        "update.keys",
        "update.placeholder",
        "update.move",
        "update.tombstone",
        "update.admin",
        "update.admins",
        "delete.check",
        "delete.collection",
        "delete.admins",
    ];
    for failpoint in points {
        for wake_mid_recovery in [false, true] {
            frozen_owner_trial(failpoint, wake_mid_recovery).await;
        }
    }
}

/// The owner freezes at `failpoint` past its lease; a recoverer takes the operation over.
/// The owner wakes after the recovery, or while the recoverer is still at it.
async fn frozen_owner_trial(failpoint: &'static str, wake_mid_recovery: bool) {
    let ctx = format!(
        "{failpoint}, woken {}",
        if wake_mid_recovery {
            "mid-recovery"
        } else {
            "after"
        }
    );
    let t = TestDb::new().await;
    let (fp, rfp) = (Failpoints::new(), Failpoints::new());
    let owner = manager_with(&t, Some(fp.clone())).await;
    let recoverer = manager_with(&t, Some(rfp.clone())).await;
    let (bystanders, data) = seed(&t, &owner).await;
    let gate = Gate::new();
    fp.arm(failpoint, Action::Freeze(gate.clone()));
    let running = {
        let owner = owner.clone();
        tokio::spawn(async move { run_op(&owner, failpoint).await })
    };
    gate.reached().await;
    tokio::time::sleep(LEASE * 3).await;
    let recovery_gate = Gate::new();
    if wake_mid_recovery {
        rfp.arm("recover.taken_over", Action::Pause(recovery_gate.clone()));
    }
    let mut recovery = Some({
        let recoverer = recoverer.clone();
        tokio::spawn(async move { recoverer.recover().await })
    });
    if wake_mid_recovery {
        recovery_gate.reached().await;
    } else {
        let report = recovery.take().unwrap().await.unwrap().unwrap();
        assert_eq!(
            report.completed + report.rolled_back,
            1,
            "{ctx}: not taken over: {report:?}"
        );
    }
    let settled = snapshot(&t).await;
    gate.release();
    let err = running.await.unwrap().expect_err(&ctx);
    assert_eq!(err.code(), "CONFLICT", "{ctx}: {err}");
    assert!(err.to_string().contains("taken over"), "{ctx}: {err}");
    // The woken owner wrote nothing: the state is what the recoverer left (or holds).
    assert_eq!(
        snapshot(&t).await,
        settled,
        "{ctx}: the owner wrote after losing"
    );
    if let Some(recovery) = recovery {
        recovery_gate.release();
        let report = recovery.await.unwrap().unwrap();
        assert_eq!(
            report.completed + report.rolled_back,
            1,
            "{ctx}: {report:?}"
        );
    }
    recoverer.recover().await.unwrap();
    bystanders.assert_untouched(&t, &ctx).await;
    t.assert_no_garbage_keys_beside(&bystanders.foreign_names())
        .await;
    // The subject in one form, whole.
    match (
        recoverer.get_tenant("Fenced").await,
        recoverer.get_tenant("Fenced Renamed").await,
    ) {
        (Ok(tenant), Err(_)) | (Err(_), Ok(tenant)) => {
            assert_eq!(t.documents(&tenant.collection_name).await, data, "{ctx}");
        }
        (Err(_), Err(_)) => assert!(failpoint.starts_with("delete"), "{ctx}: gone"),
        (Ok(_), Ok(_)) => panic!("{ctx}: both names"),
    }
}

/// Every document of the master database and of the tenants' collections.
/// Every collection of the database but the audit log, which records the woken owner's
/// outcome (its `CONFLICT`) by design: that entry is the log's, not the operation's.
async fn snapshot(t: &TestDb) -> Vec<(String, Vec<Document>)> {
    let mut names = t.db().list_collection_names().await.unwrap();
    names.retain(|n| n != "tenant_audit" && n != "tenant_audit_heads");
    names.sort();
    let mut all = Vec::new();
    for name in names {
        let mut docs = t.documents(&name).await;
        if name == "organizations" {
            // Renewal times move while nothing else does.
            for d in &mut docs {
                if let Ok(op) = d.get_document_mut("op") {
                    op.remove("renewed_at");
                }
            }
        }
        all.push((name, docs));
    }
    all
}
