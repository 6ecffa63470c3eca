//! Equal work for every failed login: unknown email, wrong password, any password length
//! and either stored hash form cost the same bcrypt work. Measured by the library's count
//! of bcrypt work (deterministic, unlike a timer on a shared machine); this binary holds
//! one test so that no other login adds to the count meanwhile.

mod common;
use common::*;
use tenantry::failpoints::bcrypt_work;
use tenantry::TenantManager;

#[tokio::test]
async fn every_failed_login_costs_one_bcrypt_at_the_configured_cost() {
    let t = TestDb::new().await;
    let config = t
        .config()
        .bcrypt_cost(6)
        .login_throttle(None)
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let long_password = "L".repeat(100); // past bcrypt's 72 bytes: stored as $bcrypt-sha256$
    m.create_tenant("Plain", "plain@w.io", PASSWORD)
        .await
        .unwrap();
    m.create_tenant("Long", "long@w.io", &long_password)
        .await
        .unwrap();
    let stored = |email: &'static str| {
        let t = &t;
        async move {
            t.raw("admin_users")
                .find_one(tenantry::mongodb::bson::doc! { "email": email })
                .await
                .unwrap()
                .unwrap()
                .get_str("hashed_password")
                .unwrap()
                .to_owned()
        }
    };
    assert!(stored("plain@w.io").await.starts_with("$2b$06$"));
    assert!(stored("long@w.io")
        .await
        .starts_with("$bcrypt-sha256$$2b$06$"));
    // The dummy hash is made once, by the first login without an account.
    let _ = m.authenticate("warm-up@w.io", PASSWORD).await;

    let huge = "H".repeat(5000);
    let cases: [(&str, &str, &str); 12] = [
        ("unknown email", "nobody@w.io", PASSWORD),
        (
            "unknown email, long password",
            "nobody@w.io",
            &long_password,
        ),
        ("unknown email, huge password", "nobody@w.io", &huge),
        ("malformed email", "not-an-email", PASSWORD),
        ("plain hash, wrong password", "plain@w.io", "wrong-password"),
        ("plain hash, long password", "plain@w.io", &long_password),
        ("plain hash, huge password", "plain@w.io", &huge),
        ("plain hash, empty password", "plain@w.io", ""),
        ("sha256 form, wrong password", "long@w.io", "wrong-password"),
        (
            "sha256 form, other long password",
            "long@w.io",
            &"M".repeat(100),
        ),
        ("sha256 form, huge password", "long@w.io", &huge),
        (
            "sha256 form, password cut at 72 bytes",
            "long@w.io",
            &long_password[..72],
        ),
    ];
    let mut work = Vec::new();
    for (case, email, password) in cases {
        let before = bcrypt_work();
        let err = m.authenticate(email, password).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_CREDENTIALS", "{case}");
        work.push((case, bcrypt_work() - before));
    }
    let expected = 1 << (6 - 4); // one bcrypt at cost 6, in units of cost 4
    for (case, done) in &work {
        assert_eq!(
            *done, expected,
            "{case}: {done} units of bcrypt work, expected {expected}"
        );
    }
    println!(
        "failed logins: {} cases, each one bcrypt at cost 6",
        work.len()
    );
    // A hash at another cost (an older setting) is replaced at the next successful login,
    // so its account soon costs the configured work like the others.
    let cheap = TenantManager::connect(t.config().bcrypt_cost(4).build().unwrap())
        .await
        .unwrap();
    cheap
        .create_tenant("Cheap", "cheap@w.io", PASSWORD)
        .await
        .unwrap();
    assert!(stored("cheap@w.io").await.starts_with("$2b$04$"));
    m.authenticate("cheap@w.io", PASSWORD).await.unwrap();
    assert!(stored("cheap@w.io").await.starts_with("$2b$06$"));
    let before = bcrypt_work();
    m.authenticate("cheap@w.io", "wrong-password")
        .await
        .unwrap_err();
    assert_eq!(bcrypt_work() - before, expected);
}
