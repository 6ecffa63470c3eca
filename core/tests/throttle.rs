//! Brute-force protection: attempts reserved atomically before bcrypt (a burst gets at most
//! the limit's verdicts), counted per (email, client) pair with per-email and per-client
//! ceilings (one address cannot lock the owner out), shared by every manager, cleaned up
//! by the server's TTL monitor.

mod common;
use std::time::Duration;

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{LoginThrottle, TenantManager};

async fn throttled(t: &TestDb, limits: LoginThrottle) -> TenantManager {
    TenantManager::connect(t.config().login_throttle(Some(limits)).build().unwrap())
        .await
        .unwrap()
}

fn pair_limit(max: u32, lockout: Duration) -> LoginThrottle {
    LoginThrottle::new(max, Duration::from_secs(600), lockout)
}

#[tokio::test]
async fn failures_past_the_limit_lock_the_pair_for_a_while() {
    let t = TestDb::new().await;
    let m = throttled(&t, pair_limit(3, Duration::from_secs(2))).await;
    m.create_tenant("Locked", "lock@x.io", PASSWORD)
        .await
        .unwrap();
    let attacker = Some("203.0.113.9");
    for _ in 0..3 {
        let err = m
            .authenticate_from("lock@x.io", "wrong-password", attacker)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_CREDENTIALS");
    }
    // Locked for that address: even the right password is refused, with a retry time.
    match m
        .authenticate_from("LOCK@x.io", PASSWORD, attacker)
        .await
        .unwrap_err()
    {
        tenantry::Error::TooManyAttempts { retry_after_secs } => {
            assert!((1..=2).contains(&retry_after_secs), "{retry_after_secs}")
        }
        other => panic!("expected TOO_MANY_ATTEMPTS, got {other}"),
    }
    // The owner, from elsewhere, is not locked out.
    m.authenticate_from("lock@x.io", PASSWORD, Some("198.51.100.7"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    m.authenticate_from("lock@x.io", PASSWORD, attacker)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_guesses_get_at_most_the_limit_of_verdicts() {
    const LIMIT: u32 = 10;
    const GUESSES: usize = 40;
    let t = TestDb::new().await;
    let limits = pair_limit(LIMIT, Duration::from_secs(60));
    let (a, b) = (throttled(&t, limits).await, throttled(&t, limits).await);
    a.create_tenant("Burst", "burst@x.io", PASSWORD)
        .await
        .unwrap();
    for client in [Some("203.0.113.50"), None] {
        let tasks: Vec<_> = (0..GUESSES)
            .map(|i| {
                let m = if i % 2 == 0 { a.clone() } else { b.clone() };
                let client = client.map(str::to_owned);
                tokio::spawn(async move {
                    m.authenticate_from("burst@x.io", &format!("guess-{i}"), client.as_deref())
                        .await
                })
            })
            .collect();
        let (mut verdicts, mut refused) = (0, 0);
        for task in tasks {
            match task.await.unwrap().unwrap_err().code() {
                "INVALID_CREDENTIALS" => verdicts += 1,
                "TOO_MANY_ATTEMPTS" => refused += 1,
                other => panic!("unexpected {other}"),
            }
        }
        println!("{GUESSES} parallel guesses from {client:?}: {verdicts} verdicts, {refused} refused (limit {LIMIT})");
        assert!(
            verdicts <= LIMIT as usize,
            "{verdicts} verdicts past a limit of {LIMIT}"
        );
        assert_eq!(verdicts + refused, GUESSES);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_correct_logins_all_succeed() {
    let t = TestDb::new().await;
    let m = throttled(&t, pair_limit(3, Duration::from_secs(60))).await;
    m.create_tenant("Busy", "busy@x.io", PASSWORD)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.authenticate("busy@x.io", PASSWORD).await })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("a correct login waits for running ones, never fails");
    }
}

#[tokio::test]
async fn one_address_cannot_lock_the_owner_out_but_the_account_ceiling_holds() {
    let t = TestDb::new().await;
    let limits = pair_limit(3, Duration::from_secs(60)).account_limit(7, Duration::from_secs(3600));
    let m = throttled(&t, limits).await;
    m.create_tenant("Owned", "owner@x.io", PASSWORD)
        .await
        .unwrap();
    // One address hammers the account: it locks itself, not the owner.
    for _ in 0..6 {
        let _ = m
            .authenticate_from("owner@x.io", "guess", Some("203.0.113.1"))
            .await;
    }
    m.authenticate_from("owner@x.io", PASSWORD, Some("198.51.100.7"))
        .await
        .unwrap();
    // Many addresses together reach the per-account ceiling (3 counted from the first
    // address, then 4 more): then the account is refused from everywhere, as OWASP ASVS
    // 2.2.1 asks (at most 100 failures per hour per account by default).
    for i in 0..4 {
        let err = m
            .authenticate_from(
                "owner@x.io",
                "guess",
                Some(&format!("203.0.113.{}", 10 + i)),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_CREDENTIALS", "guess {i}");
    }
    let err = m
        .authenticate_from("owner@x.io", PASSWORD, Some("198.51.100.7"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TOO_MANY_ATTEMPTS");
}

#[tokio::test]
async fn a_successful_login_resets_the_count() {
    let t = TestDb::new().await;
    let m = throttled(&t, pair_limit(3, Duration::from_secs(60))).await;
    m.create_tenant("Reset", "reset@x.io", PASSWORD)
        .await
        .unwrap();
    for _ in 0..3 {
        for _ in 0..2 {
            let _ = m.authenticate("reset@x.io", "wrong-password").await;
        }
        m.authenticate("reset@x.io", PASSWORD).await.unwrap();
    }
    // Successes gave their reservations back: the account counter holds the 6 failures only.
    let account = t
        .raw("login_attempts")
        .find_one(doc! { "_id": "email:reset@x.io" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(account.get_i64("failures").unwrap(), 6, "{account}");
    assert_eq!(account.get_i64("pending").unwrap(), 0, "{account}");
}

#[tokio::test]
async fn managers_share_the_count_and_unknown_emails_count_too() {
    let t = TestDb::new().await;
    let limits = pair_limit(4, Duration::from_secs(60));
    let (a, b) = (throttled(&t, limits).await, throttled(&t, limits).await);
    for m in [&a, &b, &a, &b] {
        assert_eq!(
            m.authenticate("ghost@x.io", PASSWORD)
                .await
                .unwrap_err()
                .code(),
            "INVALID_CREDENTIALS"
        );
    }
    for m in [&a, &b] {
        assert_eq!(
            m.authenticate("ghost@x.io", PASSWORD)
                .await
                .unwrap_err()
                .code(),
            "TOO_MANY_ATTEMPTS"
        );
    }
}

#[tokio::test]
async fn one_client_cannot_spray_many_emails() {
    let t = TestDb::new().await;
    let m = throttled(&t, pair_limit(10, Duration::from_secs(60)).client_limit(3)).await;
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

#[tokio::test]
async fn counters_are_removed_by_the_ttl_index_once_over() {
    let t = TestDb::new().await;
    let limits = LoginThrottle::new(5, Duration::from_secs(1), Duration::from_secs(1))
        .account_limit(5, Duration::from_secs(1));
    let m = throttled(&t, limits).await;
    let _ = m.authenticate("ttl@x.io", "guess").await;
    let indexes: Vec<_> = collect(t.raw("login_attempts").list_indexes().await.unwrap()).await;
    let ttl = indexes
        .iter()
        .find(|i| i.keys == doc! { "expires_at": 1 })
        .expect("a TTL index on expires_at");
    assert_eq!(
        ttl.options.as_ref().and_then(|o| o.expire_after),
        Some(Duration::ZERO)
    );
    // A counter outlives its window and any lock-out, so the TTL never frees a lock early.
    let counters: Vec<Document> =
        collect(t.raw("login_attempts").find(doc! {}).await.unwrap()).await;
    assert_eq!(counters.len(), 2);
    for c in &counters {
        assert!(
            c.get_datetime("expires_at").unwrap() >= c.get_datetime("window_until").unwrap(),
            "{c}"
        );
    }
    // The server's TTL monitor (every 60 s on MongoDB) removes them once expired.
    let started = std::time::Instant::now();
    while t.count("login_attempts").await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(150),
            "counters never expired"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!("TTL removed the counters after {:?}", started.elapsed());
}
