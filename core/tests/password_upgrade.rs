//! Password hashing schemes: with `argon2id` configured, new hashes are argon2id (19 MiB,
//! 2 iterations, 1 lane); bcrypt hashes (the original service's, or an older setting's)
//! keep verifying and are replaced by the configured scheme at the next successful login,
//! never at a failed one; switching back replaces them again. Other admins' hashes are not
//! touched.

mod common;

use common::*;
use tenantry::mongodb::bson::doc;
use tenantry::{PasswordHashing, TenantManager, TenantUpdate};

async fn stored_hash(t: &TestDb, email: &str) -> String {
    t.raw("admin_users")
        .find_one(doc! { "email": email })
        .await
        .unwrap()
        .unwrap()
        .get_str("hashed_password")
        .unwrap()
        .to_owned()
}

async fn manager(t: &TestDb, scheme: PasswordHashing) -> TenantManager {
    let config = t.config().password_hashing(scheme).build().unwrap();
    assert_eq!(
        config.settings().password_hash.as_deref(),
        Some(scheme.as_str())
    );
    TenantManager::connect(config).await.unwrap()
}

#[tokio::test]
async fn hashes_follow_the_configured_scheme_at_the_next_successful_login() {
    let t = TestDb::new().await;
    let bcrypt = manager(&t, PasswordHashing::Bcrypt).await;
    bcrypt
        .create_tenant("Hash Co", "owner@hash.io", PASSWORD)
        .await
        .unwrap();
    bcrypt
        .create_tenant("Other Co", "owner@other.io", PASSWORD)
        .await
        .unwrap();
    let first = stored_hash(&t, "owner@hash.io").await;
    assert!(first.starts_with("$2b$04$"), "{first}");
    let other = stored_hash(&t, "owner@other.io").await;

    let argon = manager(&t, PasswordHashing::Argon2id).await;
    // A failed login changes nothing.
    assert!(argon
        .authenticate("owner@hash.io", "wrong-password-1")
        .await
        .is_err());
    assert_eq!(stored_hash(&t, "owner@hash.io").await, first);
    // The bcrypt hash verifies, and is replaced by an argon2id one.
    let token = argon.authenticate("owner@hash.io", PASSWORD).await.unwrap();
    let upgraded = stored_hash(&t, "owner@hash.io").await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{upgraded}"
    );
    // The upgrade is no password change: the token issued before it still verifies.
    argon.verify_token(&token.access_token).await.unwrap();
    argon.authenticate("owner@hash.io", PASSWORD).await.unwrap();
    assert_eq!(
        stored_hash(&t, "owner@hash.io").await,
        upgraded,
        "current: kept"
    );
    assert_eq!(
        stored_hash(&t, "owner@other.io").await,
        other,
        "another admin's hash"
    );
    // New hashes are argon2id: a tenant created, a password changed.
    argon
        .create_tenant("New Co", "owner@new.io", PASSWORD)
        .await
        .unwrap();
    assert!(stored_hash(&t, "owner@new.io")
        .await
        .starts_with("$argon2id$"));
    let claims = login(&argon, "owner@other.io").await;
    let changed = "a-changed-password-99";
    argon
        .update_tenant(&claims, TenantUpdate::new().admin_password(changed))
        .await
        .unwrap();
    assert!(stored_hash(&t, "owner@other.io")
        .await
        .starts_with("$argon2id$"));
    // Back to bcrypt: the argon2id hash verifies and is replaced by a bcrypt one.
    let back = manager(&t, PasswordHashing::Bcrypt).await;
    back.authenticate("owner@hash.io", PASSWORD).await.unwrap();
    assert!(stored_hash(&t, "owner@hash.io")
        .await
        .starts_with("$2b$04$"));
    back.authenticate("owner@other.io", changed).await.unwrap();
    // From the environment, and refused when unknown.
    let e = tenantry::Config::from_lookup(|k| match k {
        "JWT_SECRET" => Some("a-secret-of-at-least-16".into()),
        "PASSWORD_HASH" => Some("md5".into()),
        _ => None,
    })
    .unwrap_err();
    assert!(e.to_string().contains("PASSWORD_HASH"), "{e}");
}
