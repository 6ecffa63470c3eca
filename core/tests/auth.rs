//! Invariant 5: bcrypt off the executor, indistinguishable login failures, tokens that
//! survive renames and email changes but not password changes or deletes, pinned
//! algorithms, and no acting on another tenant.

mod common;
use std::time::{Duration, Instant};

use common::*;
use sha2::{Digest, Sha256};
use tenantry::mongodb::bson::{doc, oid::ObjectId, DateTime};
use tenantry::{Config, TenantManager, TenantUpdate};

#[tokio::test(flavor = "current_thread")]
async fn bcrypt_never_blocks_the_executor() {
    // One executor thread: if bcrypt ran on it, the ticker could not tick during a login.
    let t = TestDb::new().await;
    let m = TenantManager::connect(t.config().bcrypt_cost(12).build().unwrap())
        .await
        .unwrap();
    m.create_tenant("Slow Hash", "slow@hash.io", PASSWORD)
        .await
        .unwrap();
    let ticker = tokio::spawn(async {
        let (mut ticks, mut worst) = (0u32, Duration::ZERO);
        let mut last = Instant::now();
        let end = Instant::now() + Duration::from_millis(600);
        while Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(2)).await;
            worst = worst.max(last.elapsed());
            last = Instant::now();
            ticks += 1;
        }
        (ticks, worst)
    });
    let started = Instant::now();
    m.authenticate("slow@hash.io", PASSWORD).await.unwrap();
    let login = started.elapsed();
    let (ticks, worst) = ticker.await.unwrap();
    assert!(
        login > Duration::from_millis(20),
        "cost 12 should take a while: {login:?}"
    );
    assert!(
        worst < Duration::from_millis(100),
        "executor stalled {worst:?} during a {login:?} login"
    );
    assert!(ticks > 50, "{ticks} ticks");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_alike() {
    let t = TestDb::new().await;
    // Throttling off: this test fails on purpose more often than the lock-out allows.
    let m = TenantManager::connect(
        t.config()
            .bcrypt_cost(8)
            .login_throttle(None)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    m.create_tenant("Acme", "admin@acme.com", PASSWORD)
        .await
        .unwrap();
    let wrong = m
        .authenticate("admin@acme.com", "wrong-password")
        .await
        .unwrap_err();
    let unknown = m
        .authenticate("ghost@acme.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    assert_eq!(unknown.code(), "INVALID_CREDENTIALS");
    assert_eq!(wrong.to_string(), unknown.to_string());

    // Both cost one bcrypt verification: compare medians, as a ratio.
    let time = |email: &'static str| {
        let m = m.clone();
        async move {
            let mut samples = Vec::new();
            for _ in 0..15 {
                let started = Instant::now();
                let _ = m.authenticate(email, "wrong-password").await;
                samples.push(started.elapsed());
            }
            samples.sort();
            samples[samples.len() / 2]
        }
    };
    let known = time("admin@acme.com").await;
    let unknown = time("nobody@acme.com").await;
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "unknown {unknown:?} vs known {known:?}"
    );
}

#[tokio::test]
async fn seed_format_hashes_verify() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let tenant = m
        .create_tenant("Seeded", "seed@x.io", PASSWORD)
        .await
        .unwrap();
    // Overwrite the hash with the original service's format.
    let digest = Sha256::digest(b"original-password");
    let seed_hash = format!("$bcrypt-sha256${}", bcrypt::hash(digest, 4).unwrap());
    t.raw("admin_users")
        .update_one(
            doc! { "_id": tenant.admin_id },
            doc! { "$set": { "hashed_password": seed_hash } },
        )
        .await
        .unwrap();
    m.authenticate("seed@x.io", "original-password")
        .await
        .unwrap();
    assert_eq!(
        m.authenticate("seed@x.io", "original-passwor")
            .await
            .unwrap_err()
            .code(),
        "INVALID_CREDENTIALS"
    );
}

#[tokio::test]
async fn long_passwords_are_not_truncated() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let long = format!("{}tail-A", "p".repeat(80));
    m.create_tenant("Long", "long@x.io", &long).await.unwrap();
    m.authenticate("long@x.io", &long).await.unwrap();
    for near in [
        &long[..72],
        &long[..71],
        &format!("{}tail-B", "p".repeat(80)),
    ] {
        assert_eq!(
            m.authenticate("long@x.io", near).await.unwrap_err().code(),
            "INVALID_CREDENTIALS"
        );
    }
    let too_long = "x".repeat(tenantry::MAX_PASSWORD_BYTES + 1);
    let err = m
        .create_tenant("Longer", "longer@x.io", &too_long)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("INVALID_INPUT", Some("password"))
    );
}

#[tokio::test]
async fn the_admin_of_a_can_never_act_on_b() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let a = tenant_with_login(&m, "Tenant A", "a@a.io").await;
    let b_tenant = m
        .create_tenant("Tenant B", "b@b.io", PASSWORD)
        .await
        .unwrap();
    t.raw(&b_tenant.collection_name)
        .insert_one(doc! { "secret": 1 })
        .await
        .unwrap();
    // Operations act on the claims' own tenant: there is no way to name another. An API
    // that names its target (the HTTP contract) checks the name against the claims.
    for name in ["Tenant B", "tenant-b", "TENANT B"] {
        let err = m.check_tenant_name(&a, name).unwrap_err();
        assert_eq!(err.code(), "FORBIDDEN", "{name}");
    }
    for name in ["Tenant A", "tenant-a"] {
        m.check_tenant_name(&a, name).unwrap();
    }
    let updated = m
        .update_tenant(&a, TenantUpdate::new().new_name("Pwned"))
        .await
        .unwrap();
    assert_eq!(updated.id, a.tenant_id(), "A renamed itself, not B");
    // A's data handle is A's collection, never B's.
    let handle = m
        .tenant_collection::<tenantry::mongodb::bson::Document>(&a)
        .await
        .unwrap();
    assert_eq!(handle.name(), "org_pwned");
    let b = m.get_tenant("Tenant B").await.unwrap();
    assert_eq!(b.admin_email, "b@b.io");
    assert_eq!(t.count("org_tenant_b").await, 1);
    m.authenticate("b@b.io", PASSWORD).await.unwrap();
    // Claims cannot be forged for B from A's: their fields are private (a compile_fail
    // doctest on `Claims` proves it).
    t.assert_consistent().await;
}

#[tokio::test]
async fn tokens_survive_rename_and_email_change() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    m.create_tenant("Stable", "s@s.io", PASSWORD).await.unwrap();
    let token = m
        .authenticate("s@s.io", PASSWORD)
        .await
        .unwrap()
        .access_token;
    let claims = m.verify_token(&token).await.unwrap();
    let update = TenantUpdate::new()
        .new_name("Stable Renamed")
        .admin_email("new@s.io")
        .admin_password(PASSWORD);
    m.update_tenant(&claims, update).await.unwrap();
    let again = m.verify_token(&token).await.unwrap();
    assert_eq!(again.tenant_id(), claims.tenant_id());
    assert_eq!(again.tenant_name(), "Stable Renamed");
    m.rename_tenant(&again, "Stable Twice").await.unwrap();
}

#[tokio::test]
async fn password_change_revokes_tokens_and_same_password_does_not() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    m.create_tenant("Rev", "r@r.io", PASSWORD).await.unwrap();
    let token = m
        .authenticate("r@r.io", PASSWORD)
        .await
        .unwrap()
        .access_token;
    let claims = m.verify_token(&token).await.unwrap();
    // The contract sends the password with every update: the same one is no change.
    m.update_tenant(&claims, TenantUpdate::new().admin_password(PASSWORD))
        .await
        .unwrap();
    m.verify_token(&token).await.unwrap();
    m.update_tenant(
        &claims,
        TenantUpdate::new().admin_password("a-new-password"),
    )
    .await
    .unwrap();
    let err = m.verify_token(&token).await.unwrap_err();
    assert_eq!(err.code(), "UNAUTHORIZED");
    assert!(err.to_string().contains("revoked"), "{err}");
    assert_eq!(
        m.update_tenant(&claims, TenantUpdate::new())
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let fresh = m.authenticate("r@r.io", "a-new-password").await.unwrap();
    m.verify_token(&fresh.access_token).await.unwrap();
}

#[tokio::test]
async fn delete_revokes_tokens() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = tenant_with_login(&m, "Gone", "g@g.io").await;
    let token = m
        .authenticate("g@g.io", PASSWORD)
        .await
        .unwrap()
        .access_token;
    m.delete_tenant(&claims).await.unwrap();
    assert_eq!(
        m.verify_token(&token).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );
    // A tenant re-created under the same name is not reachable with the old token.
    m.create_tenant("Gone", "g@g.io", PASSWORD).await.unwrap();
    assert_eq!(
        m.verify_token(&token).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );
}

#[tokio::test]
async fn tokens_of_other_keys_algorithms_or_expired_are_refused() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    m.create_tenant("Keys", "k@k.io", PASSWORD).await.unwrap();
    let token = m.authenticate("k@k.io", PASSWORD).await.unwrap();
    assert_eq!(token.token_type, "bearer");
    let other_key = TenantManager::connect(
        Config::builder_with_client(t.client.clone(), "a-completely-different-secret")
            .master_db(&t.name)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        other_key
            .verify_token(&token.access_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let hs512 = TenantManager::connect(
        t.config()
            .jwt_algorithm(tenantry::JwtAlgorithm::HS512)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        hs512
            .verify_token(&token.access_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let short = TenantManager::connect(
        t.config()
            .jwt_expiry(Duration::from_secs(1))
            .jwt_leeway(Duration::ZERO)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let brief = short.authenticate("k@k.io", PASSWORD).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let err = short.verify_token(&brief.access_token).await.unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
}

#[tokio::test]
async fn issuer_and_audience_are_checked_when_configured() {
    let t = TestDb::new().await;
    let plain = t.manager().await;
    plain
        .create_tenant("Aud", "aud@x.io", PASSWORD)
        .await
        .unwrap();
    let strict = TenantManager::connect(
        t.config()
            .jwt_issuer("tenantry-tests")
            .jwt_audience("api")
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let untagged = plain.authenticate("aud@x.io", PASSWORD).await.unwrap();
    assert_eq!(
        strict
            .verify_token(&untagged.access_token)
            .await
            .unwrap_err()
            .code(),
        "UNAUTHORIZED"
    );
    let tagged = strict.authenticate("aud@x.io", PASSWORD).await.unwrap();
    strict.verify_token(&tagged.access_token).await.unwrap();
}

#[tokio::test]
async fn login_of_a_tenant_being_created_is_refused() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let tenant = m.create_tenant("Half", "h@h.io", PASSWORD).await.unwrap();
    t.raw("organizations")
        .update_one(
            doc! { "_id": tenant.id },
            doc! { "$set": { "state": "creating", "op": {
                "id": ObjectId::new(), "owner": ObjectId::new(), "renewed_at": DateTime::now(),
                "lease_ms": 30_000_i64, "step": 0,
                "detail": { "kind": "create", "hashed_password": "x" },
            } } },
        )
        .await
        .unwrap();
    assert_eq!(
        m.authenticate("h@h.io", PASSWORD).await.unwrap_err().code(),
        "INVALID_CREDENTIALS"
    );
    assert_eq!(
        m.get_tenant("Half").await.unwrap_err().code(),
        "TENANT_NOT_FOUND"
    );
}

#[tokio::test]
async fn tokens_without_exp_or_with_skew_beyond_the_leeway_are_refused() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let t = TestDb::new().await;
    let m = t.manager().await;
    let tenant = m.create_tenant("Exp", "exp@x.io", PASSWORD).await.unwrap();
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: Option<i64>| {
        let mut c = serde_json::json!({
            "sub": tenant.admin_id.to_hex(), "org": tenant.id.to_hex(), "org_name": "Exp",
            "ver": 0, "iat": now,
        });
        if let Some(exp) = exp {
            c["exp"] = exp.into();
        }
        c
    };
    // Correctly signed, but no exp: refused.
    let no_exp = encode(&Header::default(), &claims(None), &key).unwrap();
    assert_eq!(
        m.verify_token(&no_exp).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );
    // Expired 10 s ago: inside the default 30 s leeway; 120 s ago: outside.
    let recent = encode(&Header::default(), &claims(Some(now - 10)), &key).unwrap();
    m.verify_token(&recent).await.unwrap();
    let stale = encode(&Header::default(), &claims(Some(now - 120)), &key).unwrap();
    assert_eq!(
        m.verify_token(&stale).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );
    // The leeway itself is bounded by configuration.
    assert!(t
        .config()
        .jwt_leeway(Duration::from_secs(301))
        .build()
        .is_err());
}
