//! Suspension: a suspended tenant's logins (with the right password), earlier tokens,
//! scopes and token-authorized operations are refused with `TENANT_SUSPENDED`, in this
//! process and another; a wrong password still says only `INVALID_CREDENTIALS`; its data,
//! other tenants and foreign data are untouched; operator calls still reach it; resuming
//! brings every credential back. Suspend and resume are audited with their reason.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{AuditQuery, TenantUpdate, DEFAULT_COLLECTION};

async fn until_refused(m: &tenantry::TenantManager, token: &str) -> tenantry::Error {
    let started = Instant::now();
    loop {
        match m.verify_token(token).await {
            Err(e) => return e,
            Ok(_) if started.elapsed() < Duration::from_secs(5) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Ok(_) => panic!("a suspended tenant's token still verifies after 5 s"),
        }
    }
}

#[tokio::test]
async fn a_suspended_tenant_refuses_every_credential_and_keeps_its_data() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let other = t.second_manager().await;
    let by = Bystanders::seed(&t, &m).await;
    m.create_tenant("Paused Co", "owner@paused.io", PASSWORD)
        .await
        .unwrap();
    let scope = m.admin_scope("Paused Co").await.unwrap();
    let data = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    data.insert_many(&[doc! { "_id": 1 }, doc! { "_id": 2 }])
        .await
        .unwrap();
    let before = scope_documents(&scope, DEFAULT_COLLECTION).await;
    let token = m.authenticate("owner@paused.io", PASSWORD).await.unwrap();
    // Both processes have the tenant cached.
    m.verify_token(&token.access_token).await.unwrap();
    other.verify_token(&token.access_token).await.unwrap();

    let suspended = m
        .suspend_tenant("paused co", Some("unpaid invoice"))
        .await
        .unwrap();
    assert!(suspended.suspended_at.is_some());
    assert_eq!(
        suspended.suspended_reason.as_deref(),
        Some("unpaid invoice")
    );
    // Refused here and in another process (as soon as a revocation would be).
    for manager in [&m, &other] {
        let e = until_refused(manager, &token.access_token).await;
        assert_eq!(e.code(), "TENANT_SUSPENDED", "{e}");
    }
    let e = m
        .authenticate("owner@paused.io", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "TENANT_SUSPENDED");
    // Without the password, nothing is said of the suspension.
    let e = m
        .authenticate("owner@paused.io", "not-the-password")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "INVALID_CREDENTIALS");
    // Claims verified before the suspension open nothing and change nothing.
    let claims = m.decode_token(&token.access_token).unwrap();
    assert_eq!(
        m.scope(&claims).await.unwrap_err().code(),
        "TENANT_SUSPENDED"
    );
    let rename = m
        .update_tenant(&claims, TenantUpdate::new().new_name("Escaped Co"))
        .await
        .unwrap_err();
    assert!(
        matches!(rename.code(), "TENANT_SUSPENDED" | "UNAUTHORIZED"),
        "{rename}"
    );
    assert_eq!(
        m.delete_tenant(&claims).await.unwrap_err().code(),
        "TENANT_SUSPENDED"
    );
    // Its data, name and record stay; operator calls still reach it; others log in.
    assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, before);
    let got = m.get_tenant("Paused Co").await.unwrap();
    assert!(got.suspended_at.is_some());
    login(&m, "bystander0@by.io").await;
    by.assert_untouched(&t, "while suspended").await;
    // Suspending again records the new reason; reasons are checked.
    let again = m.suspend_tenant("Paused Co", None).await.unwrap();
    assert_eq!(again.suspended_reason, None);
    for bad in ["x".repeat(501), "two\nlines".to_owned()] {
        let e = m.suspend_tenant("Paused Co", Some(&bad)).await.unwrap_err();
        assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some("reason")));
    }
    assert_eq!(
        m.suspend_tenant("Nobody Co", None)
            .await
            .unwrap_err()
            .code(),
        "TENANT_NOT_FOUND"
    );

    // Resumed: every credential works again, the earlier token too.
    let resumed = m.resume_tenant("Paused Co").await.unwrap();
    assert_eq!(
        (resumed.suspended_at, resumed.suspended_reason),
        (None, None)
    );
    let started = Instant::now();
    while other.verify_token(&token.access_token).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(5), "still refused");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    m.verify_token(&token.access_token).await.unwrap();
    login(&m, "owner@paused.io").await;
    m.scope(&claims).await.unwrap();
    // Resuming a tenant that is not suspended changes nothing.
    m.resume_tenant("Paused Co").await.unwrap();

    let log = m
        .audit_log(got.id, &AuditQuery::new())
        .await
        .unwrap()
        .entries;
    let ops: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.op != "create")
        .map(|e| (e.op.as_str(), e.outcome.as_str()))
        .collect();
    assert!(ops.contains(&("suspend", "ok")), "{ops:?}");
    assert!(ops.contains(&("login", "TENANT_SUSPENDED")), "{ops:?}");
    assert_eq!(
        ops.iter().filter(|(op, _)| *op == "resume").count(),
        1,
        "{ops:?}"
    );
    let first = log.iter().find(|e| e.op == "suspend").unwrap();
    assert_eq!(first.detail.get_str("reason"), Ok("unpaid invoice"));
    assert!(m.verify_audit(got.id).await.unwrap().is_intact());
    by.assert_untouched(&t, "after resuming").await;
}
