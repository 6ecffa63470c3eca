//! Invariant 3 (crash side): a process killed at any step of create, update/rename or
//! delete (or of a recovery) leaves a state that `recover()`, or the next ordinary
//! operation on the tenant, finishes or undoes, with no data lost.
//!
//! Each trial runs the operation in a child process (this test binary, running the ignored
//! `child` test) that aborts at one named failpoint: no destructors, no cleanup. The parent
//! then checks the invariants with a fresh manager.

mod common;
use std::process::Command;

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{failpoints, TenantManager, TenantUpdate};

const OLD: &str = "Crash Co";
const NEW: &str = "Crash Renamed";
const EMAIL: &str = "admin@crash.io";
const NEW_EMAIL: &str = "new-admin@crash.io";
const NEW_PASSWORD: &str = "a-brand-new-password";
const DOCS: i32 = 300;

/// Entry point of the child processes; does nothing unless run by a trial.
#[tokio::test]
#[ignore = "run by the crash trials in a child process"]
async fn child() {
    let (Ok(db), Ok(scenario)) = (std::env::var("CRASH_DB"), std::env::var("CRASH_SCENARIO"))
    else {
        return;
    };
    // A zero lease: the parent may take the abandoned operation over at once, instead of
    // after the default 30 s.
    let config = tenantry::Config::builder(mongo_uri(), SECRET)
        .master_db(db)
        .bcrypt_cost(4)
        .operation_lease(std::time::Duration::ZERO)
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    match scenario.as_str() {
        "create" => {
            m.create_tenant(OLD, EMAIL, PASSWORD).await.unwrap();
        }
        "update" => {
            let token = m.authenticate(EMAIL, PASSWORD).await.unwrap();
            let claims = m.verify_token(&token.access_token).await.unwrap();
            let update = TenantUpdate::new()
                .new_name(NEW)
                .admin_email(NEW_EMAIL)
                .admin_password(NEW_PASSWORD);
            m.update_tenant(&claims, OLD, update).await.unwrap();
        }
        "delete" => {
            let token = m.authenticate(EMAIL, PASSWORD).await.unwrap();
            let claims = m.verify_token(&token.access_token).await.unwrap();
            m.delete_tenant(&claims, OLD).await.unwrap();
        }
        "recover" => {
            let config = tenantry::Config::builder(mongo_uri(), SECRET)
                .master_db(std::env::var("CRASH_DB").unwrap())
                .operation_lease(std::time::Duration::ZERO)
                .build()
                .unwrap();
            TenantManager::connect(config)
                .await
                .unwrap()
                .recover()
                .await
                .unwrap();
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// Run `scenario` in a child that aborts at `failpoint`; assert it did abort there.
fn crash(t: &TestDb, scenario: &str, failpoint: &str) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRASH_DB", &t.name)
        .env("CRASH_SCENARIO", scenario)
        .env("TENANTRY_FAILPOINT", failpoint)
        .env("MONGODB_URI", mongo_uri())
        .output()
        .unwrap();
    assert!(
        !status.status.success(),
        "child of {scenario} did not crash at {failpoint}: {}",
        String::from_utf8_lossy(&status.stdout)
    );
}

/// A manager that may take over abandoned operations at once.
async fn recovering_manager(t: &TestDb) -> TenantManager {
    TenantManager::connect(
        t.config()
            .operation_lease(std::time::Duration::ZERO)
            .build()
            .unwrap(),
    )
    .await
    .unwrap()
}

async fn seed_tenant(t: &TestDb) -> Vec<Document> {
    let m = t.manager().await;
    let tenant = m.create_tenant(OLD, EMAIL, PASSWORD).await.unwrap();
    let docs: Vec<Document> = (0..DOCS)
        .map(|i| doc! { "_id": i, "v": format!("value-{i}") })
        .collect();
    t.raw(&tenant.collection_name)
        .insert_many(&docs)
        .await
        .unwrap();
    docs
}

/// How the parent recovers: explicitly, or through the next ordinary operation.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Recover,
    NextOperation,
}

async fn login_any(m: &TenantManager) -> tenantry::Claims {
    for (email, password) in [
        (EMAIL, PASSWORD),
        (NEW_EMAIL, NEW_PASSWORD),
        (EMAIL, NEW_PASSWORD),
        (NEW_EMAIL, PASSWORD),
    ] {
        if let Ok(token) = m.authenticate(email, password).await {
            return m.verify_token(&token.access_token).await.unwrap();
        }
    }
    panic!("no admin can log in");
}

async fn create_trial(failpoint: &str, mode: Mode) {
    let t = TestDb::new().await;
    crash(&t, "create", failpoint);
    let m = recovering_manager(&t).await;
    match mode {
        Mode::Recover => {
            let report = m.recover().await.unwrap();
            assert_eq!(report.rolled_back, 1, "{failpoint}: {report:?}");
            t.assert_no_garbage_keys().await;
            assert_eq!(t.count("organizations").await, 0, "{failpoint}");
        }
        Mode::NextOperation => {}
    }
    // Retrying succeeds (in NextOperation mode it recovers the abandoned holder itself).
    m.create_tenant(OLD, EMAIL, PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{failpoint} {mode:?}: {e}"));
    t.assert_consistent().await;
}

async fn update_trial(failpoint: &str, mode: Mode) {
    let t = TestDb::new().await;
    let docs = seed_tenant(&t).await;
    crash(&t, "update", failpoint);
    let m = recovering_manager(&t).await;
    if let Mode::Recover = mode {
        let report = m.recover().await.unwrap();
        // A crash after the record was released leaves nothing to finish, only old keys.
        let settled = report.completed + report.rolled_back;
        assert!(
            settled == 1 || failpoint == "update.released",
            "{failpoint}: {report:?}"
        );
        t.assert_no_garbage_keys().await;
    }
    let claims = login_any(&m).await;
    let current = m.tenant_collection::<Document>(&claims).await;
    if let Mode::Recover = mode {
        let name_ok = m.get_tenant(OLD).await.is_ok() || m.get_tenant(NEW).await.is_ok();
        assert!(name_ok, "{failpoint}: neither the old nor the new name");
        assert_eq!(
            t.documents(current.unwrap().name()).await,
            docs,
            "{failpoint}: data lost"
        );
    }
    // The retried operation succeeds, whichever name the tenant has now.
    let name = if m.get_tenant(NEW).await.is_ok() {
        NEW
    } else {
        OLD
    };
    let update = TenantUpdate::new()
        .new_name("Crash Final")
        .admin_email(NEW_EMAIL)
        .admin_password(NEW_PASSWORD);
    let done = m
        .update_tenant(&claims, name, update)
        .await
        .unwrap_or_else(|e| panic!("{failpoint} {mode:?}: {e}"));
    assert_eq!(
        t.documents(&done.collection_name).await,
        docs,
        "{failpoint}: data lost"
    );
    t.assert_consistent().await;
    m.authenticate(NEW_EMAIL, NEW_PASSWORD).await.unwrap();
}

async fn delete_trial(failpoint: &str, mode: Mode) {
    let t = TestDb::new().await;
    seed_tenant(&t).await;
    crash(&t, "delete", failpoint);
    let m = recovering_manager(&t).await;
    match mode {
        Mode::Recover => {
            let report = m.recover().await.unwrap();
            assert_eq!(report.completed, 1, "{failpoint}: {report:?}");
            t.assert_no_garbage_keys().await;
        }
        Mode::NextOperation => {
            // The tenant is on its way out: a lookup no longer sees it, a new create of the
            // name finishes the delete and goes through.
            assert!(m.get_tenant(OLD).await.is_err());
        }
    }
    m.create_tenant(OLD, EMAIL, PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{failpoint} {mode:?}: {e}"));
    assert_eq!(
        t.count(&m.get_tenant(OLD).await.unwrap().collection_name)
            .await,
        0
    );
    t.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failpoint_is_recovered() {
    let mut trials = 0;
    for &failpoint in failpoints::ALL {
        for mode in [Mode::Recover, Mode::NextOperation] {
            match failpoint.split('.').next().unwrap() {
                "create" => create_trial(failpoint, mode).await,
                "update" => update_trial(failpoint, mode).await,
                "delete" => delete_trial(failpoint, mode).await,
                "recover" => recovery_crash_trial(failpoint, mode).await,
                other => panic!("no trial for {other}"),
            }
            trials += 1;
        }
    }
    assert_eq!(trials, failpoints::ALL.len() * 2);
    println!(
        "crash trials: {trials} over {} failpoints, 0 violations",
        failpoints::ALL.len()
    );
}

/// A recovery that itself crashes is recovered by the next one.
async fn recovery_crash_trial(failpoint: &str, mode: Mode) {
    let t = TestDb::new().await;
    crash(&t, "create", "create.collection_created");
    crash(&t, "recover", failpoint);
    let m = recovering_manager(&t).await;
    if let Mode::Recover = mode {
        m.recover().await.unwrap();
        t.assert_no_garbage_keys().await;
    }
    m.create_tenant(OLD, EMAIL, PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{failpoint} {mode:?}: {e}"));
    t.assert_consistent().await;
}
