//! The audit log: every lifecycle and credential event of a tenant, in order, with actor
//! and outcome, hash-chained so that an edited, removed or reordered entry (or one removed
//! at the end) is found by `verify_audit`; appends racing from many tasks keep one
//! unbroken chain; the log outlives a purged tenant; no password is ever in it.

mod common;

use std::time::Duration;

use common::*;
use futures_util::future::join_all;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Document};
use tenantry::{AuditQuery, Layout, MoveTarget, TenantManager, TenantUpdate};

async fn manager(t: &TestDb) -> TenantManager {
    let config = t
        .config()
        .deleted_retention(Duration::from_secs(3600))
        .build()
        .unwrap();
    TenantManager::connect(config).await.unwrap()
}

async fn ops(m: &TenantManager, tenant: ObjectId) -> Vec<(String, String)> {
    let page = m
        .audit_log(tenant, &AuditQuery::new().limit(1000))
        .await
        .unwrap();
    page.entries
        .into_iter()
        .map(|e| (e.op, e.outcome))
        .collect()
}

#[tokio::test]
async fn every_event_is_logged_in_order_and_outlives_the_tenant() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let by = Bystanders::seed(&t, &m).await;
    let tenant = m
        .create_tenant("Audited", "a@audit.io", PASSWORD)
        .await
        .unwrap();
    assert!(m
        .authenticate("a@audit.io", "not-the-password")
        .await
        .is_err());
    let claims = login(&m, "a@audit.io").await;
    let new_password = "another-password-9";
    let update = TenantUpdate::new()
        .new_name("Audited Renamed")
        .admin_email("b@audit.io")
        .admin_password(new_password);
    m.update_tenant(&claims, update).await.unwrap();
    // Refused with the old token (revoked by the password change): logged with its code.
    let refused = m.rename_tenant(&claims, "Nope").await.unwrap_err();
    m.move_tenant("Audited Renamed", MoveTarget::new().layout(Layout::Shared))
        .await
        .unwrap();
    let token = m.authenticate("b@audit.io", new_password).await.unwrap();
    let claims = m.verify_token(&token.access_token).await.unwrap();
    m.delete_tenant(&claims).await.unwrap();
    m.restore_tenant("Audited Renamed").await.unwrap();
    let claims = m
        .verify_token(
            &m.authenticate("b@audit.io", new_password)
                .await
                .unwrap()
                .access_token,
        )
        .await
        .unwrap();
    m.delete_tenant(&claims).await.unwrap();
    m.purge_tenant("Audited Renamed").await.unwrap();
    let expected = [
        ("create", "ok"),
        ("login", "INVALID_CREDENTIALS"),
        ("login", "ok"),
        ("rename", "ok"),
        ("email_change", "ok"),
        ("password_change", "ok"),
        ("rename", refused.code()),
        ("move", "ok"),
        ("login", "ok"),
        ("delete", "ok"),
        ("restore", "ok"),
        ("login", "ok"),
        ("delete", "ok"),
        ("purge", "ok"),
    ];
    let got = ops(&m, tenant.id).await;
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(o, r)| (o.to_string(), r.to_string()))
        .collect();
    assert_eq!(got, want);
    let page = m.audit_log(tenant.id, &AuditQuery::new()).await.unwrap();
    let actors: Vec<&str> = page.entries.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(actors[0], "anonymous");
    assert_eq!(actors[2], format!("admin:{}", tenant.admin_id.to_hex()));
    assert_eq!(actors[7], "operator");
    assert_eq!(
        page.entries[3].detail,
        doc! { "from": "Audited", "to": "Audited Renamed" }
    );
    // Whole, and never a password in it.
    let verified = m.verify_audit(tenant.id).await.unwrap();
    assert!(verified.is_intact(), "{verified:?}");
    assert_eq!(verified.entries, expected.len() as u64);
    let raw = format!("{:?}", t.documents("tenant_audit").await);
    assert!(!raw.contains(PASSWORD) && !raw.contains(new_password));
    // Paging and filters.
    let first = m
        .audit_log(tenant.id, &AuditQuery::new().limit(5))
        .await
        .unwrap();
    assert_eq!((first.entries.len(), first.next), (5, Some(5)));
    let rest = m
        .audit_log(tenant.id, &AuditQuery::new().after(5).limit(1000))
        .await
        .unwrap();
    assert_eq!(rest.entries[0].seq, 6);
    assert_eq!(rest.next, None);
    let logins = m
        .audit_log(tenant.id, &AuditQuery::new().op("login"))
        .await
        .unwrap();
    assert_eq!(logins.entries.len(), 4);
    let bad = m
        .audit_log(tenant.id, &AuditQuery::new().limit(0))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), "INVALID_INPUT");
    // Other tenants' logs are theirs.
    let other = m.get_tenant("Bystander One").await.unwrap();
    assert_eq!(
        ops(&m, other.id).await,
        [("create".to_owned(), "ok".to_owned())]
    );
    by.assert_untouched(&t, "after the audited life").await;
}

/// A tenant with a log of `n` entries (failed logins after its create).
async fn logged(m: &TenantManager, n: usize) -> ObjectId {
    let tenant = m
        .create_tenant("Chained", "c@audit.io", PASSWORD)
        .await
        .unwrap();
    for _ in 1..n {
        assert!(m
            .authenticate("c@audit.io", "wrong-password")
            .await
            .is_err());
    }
    tenant.id
}

#[tokio::test]
async fn an_edited_removed_or_reordered_entry_breaks_the_chain() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    let id = logged(&m, 6).await;
    assert!(m.verify_audit(id).await.unwrap().is_intact());
    let log = t.raw("tenant_audit");
    let snapshot: Vec<Document> = collect(log.find(doc! { "tenant": id }).await.unwrap()).await;
    let restore = || async {
        log.delete_many(doc! { "tenant": id }).await.unwrap();
        log.insert_many(snapshot.iter()).await.unwrap();
        assert!(m.verify_audit(id).await.unwrap().is_intact());
    };
    let broken_at = || async { m.verify_audit(id).await.unwrap().broken };
    // Edited.
    log.update_one(
        doc! { "tenant": id, "seq": 3_i64 },
        doc! { "$set": { "outcome": "ok" } },
    )
    .await
    .unwrap();
    assert_eq!(broken_at().await.map(|b| b.0), Some(3));
    restore().await;
    // Edited with its own hash made again: the next entry's link breaks.
    let third = log
        .find_one(doc! { "tenant": id, "seq": 3_i64 })
        .await
        .unwrap()
        .unwrap();
    let second = log
        .find_one(doc! { "tenant": id, "seq": 2_i64 })
        .await
        .unwrap()
        .unwrap();
    log.update_one(
        doc! { "tenant": id, "seq": 3_i64 },
        doc! { "$set": { "hash": second.get_str("hash").unwrap() } },
    )
    .await
    .unwrap();
    let broken = broken_at().await.unwrap();
    assert_eq!(broken.0, 3, "{broken:?}");
    drop(third);
    restore().await;
    // Removed in the middle.
    log.delete_one(doc! { "tenant": id, "seq": 4_i64 })
        .await
        .unwrap();
    assert_eq!(broken_at().await.map(|b| b.0), Some(5));
    restore().await;
    // Reordered: two entries swap places (written again under each other's `seq`; the
    // test server keeps a unique key of a value updated in place, so no in-place update).
    let at = |seq: i64| {
        snapshot
            .iter()
            .find(|d| d.get_i64("seq") == Ok(seq))
            .unwrap()
            .clone()
    };
    let (mut two, mut five) = (at(2), at(5));
    log.delete_many(doc! { "tenant": id, "seq": { "$in": [2_i64, 5_i64] } })
        .await
        .unwrap();
    two.insert("seq", 5_i64);
    five.insert("seq", 2_i64);
    two.remove("_id");
    five.remove("_id");
    log.insert_many([&two, &five]).await.unwrap();
    assert_eq!(broken_at().await.map(|b| b.0), Some(2));
    restore().await;
    // Removed at the end: the head is ahead of the entries.
    log.delete_one(doc! { "tenant": id, "seq": 6_i64 })
        .await
        .unwrap();
    let broken = broken_at().await.unwrap();
    assert_eq!(broken.0, 6, "{broken:?}");
    restore().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_appends_keep_one_unbroken_chain() {
    let t = TestDb::new().await;
    // Unthrottled, so that every failed login reaches the account (throttled attempts are
    // refused before it and leave no entry).
    let unthrottled = || async {
        let config = t.config().login_throttle(None).build().unwrap();
        TenantManager::connect(config).await.unwrap()
    };
    let (a, b) = (unthrottled().await, unthrottled().await);
    let id = logged(&a, 1).await;
    let attempts = (0..24).map(|i| {
        let m = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { m.authenticate("c@audit.io", "wrong-password").await }
    });
    let failed = join_all(attempts).await;
    assert!(failed.iter().all(Result::is_err));
    let verified = a.verify_audit(id).await.unwrap();
    assert!(verified.is_intact(), "{verified:?}");
    assert_eq!(verified.entries, 25);
    let seqs: Vec<i64> = a
        .audit_log(id, &AuditQuery::new().limit(1000))
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=25).collect::<Vec<i64>>());
}
