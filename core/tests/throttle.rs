//! Brute-force protection: failures counted in MongoDB per email (and per client key),
//! shared by every manager, a lock-out with a retry time, reset by a successful login.

mod common;
use std::time::Duration;

use common::*;
use tenantry::{LoginThrottle, TenantManager};

async fn throttled(t: &TestDb, max: u32, lockout: Duration) -> TenantManager {
    let limits = LoginThrottle::new(max, Duration::from_secs(600), lockout);
    TenantManager::connect(t.config().login_throttle(Some(limits)).build().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn failures_past_the_limit_lock_the_email_for_a_while() {
    let t = TestDb::new().await;
    let m = throttled(&t, 3, Duration::from_secs(2)).await;
    m.create_tenant("Locked", "lock@x.io", PASSWORD)
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            m.authenticate("lock@x.io", "wrong-password")
                .await
                .unwrap_err()
                .code(),
            "INVALID_CREDENTIALS"
        );
    }
    // Locked: even the right password is refused, with a retry time.
    let err = m.authenticate("LOCK@x.io", PASSWORD).await.unwrap_err();
    match err {
        tenantry::Error::TooManyAttempts { retry_after_secs } => {
            assert!((1..=2).contains(&retry_after_secs))
        }
        other => panic!("expected TOO_MANY_ATTEMPTS, got {other}"),
    }
    // Another account is not affected.
    m.create_tenant("Free", "free@x.io", PASSWORD)
        .await
        .unwrap();
    m.authenticate("free@x.io", PASSWORD).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    m.authenticate("lock@x.io", PASSWORD).await.unwrap();
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let t = TestDb::new().await;
    let m = throttled(&t, 3, Duration::from_secs(60)).await;
    m.create_tenant("Reset", "reset@x.io", PASSWORD)
        .await
        .unwrap();
    for _ in 0..3 {
        for _ in 0..2 {
            let _ = m.authenticate("reset@x.io", "wrong-password").await;
        }
        m.authenticate("reset@x.io", PASSWORD).await.unwrap();
    }
}

#[tokio::test]
async fn managers_share_the_count_and_unknown_emails_count_too() {
    let t = TestDb::new().await;
    let (a, b) = (
        throttled(&t, 4, Duration::from_secs(60)).await,
        throttled(&t, 4, Duration::from_secs(60)).await,
    );
    for m in [&a, &b, &a, &b] {
        assert_eq!(
            m.authenticate("ghost@x.io", PASSWORD)
                .await
                .unwrap_err()
                .code(),
            "INVALID_CREDENTIALS"
        );
    }
    assert_eq!(
        a.authenticate("ghost@x.io", PASSWORD)
            .await
            .unwrap_err()
            .code(),
        "TOO_MANY_ATTEMPTS"
    );
    assert_eq!(
        b.authenticate("ghost@x.io", PASSWORD)
            .await
            .unwrap_err()
            .code(),
        "TOO_MANY_ATTEMPTS"
    );
}

#[tokio::test]
async fn one_client_cannot_spray_many_emails() {
    let t = TestDb::new().await;
    let m = throttled(&t, 3, Duration::from_secs(60)).await;
    m.create_tenant("Target", "target@x.io", PASSWORD)
        .await
        .unwrap();
    for i in 0..3 {
        let _ = m
            .authenticate_from(&format!("guess{i}@x.io"), PASSWORD, Some("203.0.113.9"))
            .await;
    }
    let err = m
        .authenticate_from("target@x.io", PASSWORD, Some("203.0.113.9"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TOO_MANY_ATTEMPTS");
    m.authenticate_from("target@x.io", PASSWORD, Some("198.51.100.7"))
        .await
        .unwrap();
}
