//! Sessions and rotating refresh tokens: a refresh token works once; presenting a used one
//! ends its whole session (also when two presentations race, from two processes); a
//! wrong secret ends nothing; a password change ends the other sessions (all of them
//! when made with a token of no session);
//! a suspension refuses refreshes without burning the token; sessions are listed and ended
//! one by one or all at once (which also revokes the admin's access tokens); the secret
//! is stored only as a digest and never printed.

mod common;

use std::time::Duration;

use common::*;
use futures_util::TryStreamExt;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{TenantManager, TenantUpdate};

async fn manager(t: &TestDb) -> TenantManager {
    TenantManager::connect(t.config().build().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_ends_the_session() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    m.create_tenant("Session Co", "owner@session.io", PASSWORD)
        .await
        .unwrap();
    let first = m
        .login_session("owner@session.io", PASSWORD, Some("10.0.0.1"))
        .await
        .unwrap();
    // Short access tokens that verify; the original login keeps its day-long token.
    let claims = m.verify_token(&first.access.access_token).await.unwrap();
    let left = first.access.expires_at - chrono::Utc::now();
    assert!(left <= chrono::Duration::minutes(15) && left > chrono::Duration::minutes(14));
    let long = m.authenticate("owner@session.io", PASSWORD).await.unwrap();
    assert!(long.expires_at - chrono::Utc::now() > chrono::Duration::hours(23));
    assert!(
        !format!("{first:?}").contains(&first.refresh_token[25..]),
        "Debug"
    );
    // The secret is stored as a digest only.
    let stored: Vec<Document> = t
        .raw("tenant_sessions")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let secret = first.refresh_token.split_once('.').unwrap().1;
    assert!(!format!("{stored:?}").contains(secret));

    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = m.refresh_session(&first.refresh_token).await.unwrap();
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(
        second.expires_at, first.expires_at,
        "the login's absolute expiry"
    );
    m.verify_token(&second.access.access_token).await.unwrap();
    // Listed with the time it began, not the time of its last refresh.
    let listed = m.sessions(&claims).await.unwrap();
    assert_eq!(listed.len(), 1);
    let started = stored[0].get_datetime("created_at").unwrap().to_chrono();
    assert_eq!(listed[0].created_at, started, "began at the login");
    assert!(listed[0].refreshed_at > listed[0].created_at, "{listed:?}");
    // A wrong secret for a real id: refused, and nothing ends.
    let (id, _) = second.refresh_token.split_once('.').unwrap();
    let forged = format!("{id}.{}", "0".repeat(64));
    assert_eq!(
        m.refresh_session(&forged).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );
    for malformed in [
        format!(" {}", second.refresh_token),
        "abc".into(),
        format!("{id}.zz"),
        String::new(),
    ] {
        assert_eq!(
            m.refresh_session(&malformed).await.unwrap_err().code(),
            "UNAUTHORIZED"
        );
    }
    let third = m.refresh_session(&second.refresh_token).await.unwrap();
    // The first token again: reuse. The whole session ends, the newest token with it.
    let e = m.refresh_session(&first.refresh_token).await.unwrap_err();
    assert_eq!(e.code(), "UNAUTHORIZED");
    assert!(e.to_string().contains("already used"), "{e}");
    let e = m.refresh_session(&third.refresh_token).await.unwrap_err();
    assert_eq!(e.code(), "UNAUTHORIZED", "the family ended: {e}");
    assert!(m.sessions(&claims).await.unwrap().is_empty());
    // Audited.
    let log = m
        .audit_log(claims.tenant_id(), &tenantry::AuditQuery::new())
        .await
        .unwrap();
    assert!(log
        .entries
        .iter()
        .any(|e| e.op == "refresh" && e.outcome == "REUSED"));
}

#[tokio::test]
async fn two_racing_uses_of_one_token_end_the_session() {
    let t = TestDb::new().await;
    let (a, b) = (manager(&t).await, manager(&t).await);
    a.create_tenant("Race Co", "owner@race.io", PASSWORD)
        .await
        .unwrap();
    for round in 0..12 {
        let s = a
            .login_session("owner@race.io", PASSWORD, None)
            .await
            .unwrap();
        let (x, y) = tokio::join!(
            a.refresh_session(&s.refresh_token),
            b.refresh_session(&s.refresh_token)
        );
        // At most one succeeds, and whatever it got no longer refreshes.
        assert!(x.is_err() || y.is_err(), "round {round}: both refreshed");
        for won in [x, y].into_iter().flatten() {
            let e = a.refresh_session(&won.refresh_token).await.unwrap_err();
            assert_eq!(e.code(), "UNAUTHORIZED", "round {round}");
        }
        let open = t
            .raw("tenant_sessions")
            .count_documents(doc! { "family": s.session_id, "revoked_at": { "$exists": false } })
            .await
            .unwrap();
        assert_eq!(open, 0, "round {round}: the family ended");
    }
}

#[tokio::test]
async fn password_changes_suspensions_and_logouts_end_sessions() {
    let t = TestDb::new().await;
    let m = manager(&t).await;
    m.create_tenant("End Co", "owner@end.io", PASSWORD)
        .await
        .unwrap();
    m.create_tenant("Other Co", "owner@other.io", PASSWORD)
        .await
        .unwrap();
    let other = m
        .login_session("owner@other.io", PASSWORD, None)
        .await
        .unwrap();
    let one = m
        .login_session("owner@end.io", PASSWORD, Some("10.0.0.1"))
        .await
        .unwrap();
    let two = m
        .login_session("owner@end.io", PASSWORD, Some("10.0.0.2"))
        .await
        .unwrap();
    let claims = m.verify_token(&two.access.access_token).await.unwrap();
    let listed = m.sessions(&claims).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0].client.as_deref(),
        Some("10.0.0.2"),
        "newest first"
    );
    // Suspended: refused, not burned.
    m.suspend_tenant("End Co", None).await.unwrap();
    let e = m.refresh_session(&one.refresh_token).await.unwrap_err();
    assert_eq!(e.code(), "TENANT_SUSPENDED");
    m.resume_tenant("End Co").await.unwrap();
    let one = m.refresh_session(&one.refresh_token).await.unwrap();
    // One ended: its refresh fails, the other works.
    assert!(m.end_session(&claims, one.session_id).await.unwrap());
    assert!(
        !m.end_session(&claims, one.session_id).await.unwrap(),
        "already ended"
    );
    assert_eq!(
        m.refresh_session(&one.refresh_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let two = m.refresh_session(&two.refresh_token).await.unwrap();
    // Another admin cannot end it.
    let theirs = m.verify_token(&other.access.access_token).await.unwrap();
    assert!(!m.end_session(&theirs, two.session_id).await.unwrap());
    // A password change made through a session ends the other sessions; that one goes
    // on (its access token, of the old version, is refused: a refresh renews it).
    let claims = m.verify_token(&two.access.access_token).await.unwrap();
    assert_eq!(claims.session_id(), Some(two.session_id));
    let three = m
        .login_session("owner@end.io", PASSWORD, None)
        .await
        .unwrap();
    m.update_tenant(
        &claims,
        TenantUpdate::new().admin_password("a-new-password-77"),
    )
    .await
    .unwrap();
    assert_eq!(
        m.refresh_session(&three.refresh_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    assert_eq!(
        m.verify_token(&two.access.access_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let two = m.refresh_session(&two.refresh_token).await.unwrap();
    let claims = m.verify_token(&two.access.access_token).await.unwrap();
    assert_eq!(m.sessions(&claims).await.unwrap().len(), 1, "this one only");
    // Through a token of no session (the original login's), every session ends.
    let original = m
        .authenticate("owner@end.io", "a-new-password-77")
        .await
        .unwrap();
    let original = m.verify_token(&original.access_token).await.unwrap();
    assert_eq!(original.session_id(), None);
    m.update_tenant(
        &original,
        TenantUpdate::new().admin_password("a-third-password-88"),
    )
    .await
    .unwrap();
    assert_eq!(
        m.refresh_session(&two.refresh_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    m.update_tenant(
        &m.verify_token(
            &m.authenticate("owner@end.io", "a-third-password-88")
                .await
                .unwrap()
                .access_token,
        )
        .await
        .unwrap(),
        TenantUpdate::new().admin_password("a-new-password-77"),
    )
    .await
    .unwrap();
    // Log out everywhere: every session ends and the access tokens are revoked.
    let a = m
        .login_session("owner@end.io", "a-new-password-77", None)
        .await
        .unwrap();
    let b = m
        .login_session("owner@end.io", "a-new-password-77", None)
        .await
        .unwrap();
    let claims = m.verify_token(&a.access.access_token).await.unwrap();
    assert_eq!(m.end_all_sessions(&claims).await.unwrap(), 2);
    for s in [&a, &b] {
        assert_eq!(
            m.refresh_session(&s.refresh_token)
                .await
                .unwrap_err()
                .code(),
            "UNAUTHORIZED"
        );
    }
    let started = std::time::Instant::now();
    while m.verify_token(&b.access.access_token).await.is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "access token still verifies"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other tenant's session is untouched.
    m.refresh_session(&other.refresh_token).await.unwrap();
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_expiry() {
    let t = TestDb::new().await;
    let config = t
        .config()
        .session_refresh_ttl(Duration::from_secs(1))
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    m.create_tenant("Brief Co", "owner@brief.io", PASSWORD)
        .await
        .unwrap();
    let s = m
        .login_session("owner@brief.io", PASSWORD, None)
        .await
        .unwrap();
    let s = m.refresh_session(&s.refresh_token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        m.refresh_session(&s.refresh_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let bad = t.config().session_access_ttl(Duration::ZERO).build();
    assert_eq!(bad.unwrap_err().code(), "CONFIG");
}
