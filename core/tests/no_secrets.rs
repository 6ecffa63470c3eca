//! No secret, hash or token in any `Debug`, log line or error: every credential kind is
//! made, used, misused and revoked under a subscriber that records every log line at
//! TRACE level; then every value printed and every line logged is searched for each
//! secret (passwords, the JWT, signing and operator secrets, tokens and their signatures,
//! refresh and API-key secrets) and each stored hash (password hashes, refresh and API-key
//! digests, sealed signing keys).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tenantry::{JwtAlgorithm, NewApiKey, TenantManager, TenantUpdate};

const SEAL: &str = "no-secrets-seal-0123456789abcdef-0123456789";
const OPERATOR: &str = "no-secrets-operator-token-0123456789";
const NEW_PASSWORD: &str = "another-password-4567";

#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_hash_or_token_is_printed_or_logged() {
    let lines = Lines::default();
    let writer = lines.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    )
    .unwrap();

    let t = TestDb::new().await;
    let config = t
        .config()
        .jwt_algorithm(JwtAlgorithm::EdDSA)
        .signing_key_secret(SEAL)
        .signing_key_lead(Duration::from_secs(1))
        .operator_token(OPERATOR)
        .build()
        .unwrap();
    let mut shown: Vec<String> = vec![format!("{config:?}"), format!("{:?}", config.settings())];
    let m = TenantManager::connect(config).await.unwrap();
    shown.push(format!("{m:?}"));
    let mut secrets: Vec<String> = vec![
        PASSWORD.into(),
        NEW_PASSWORD.into(),
        SECRET.into(),
        SEAL.into(),
        OPERATOR.into(),
    ];
    let show_err = |shown: &mut Vec<String>, e: tenantry::Error| {
        shown.push(format!("{e:?}"));
        shown.push(e.to_string());
    };

    let tenant = m
        .create_tenant("Quiet Co", "owner@quiet.io", PASSWORD)
        .await
        .unwrap();
    shown.push(format!("{tenant:?}"));
    let token = m.authenticate("owner@quiet.io", PASSWORD).await.unwrap();
    shown.push(format!("{token:?}"));
    secrets.push(token.access_token.clone());
    secrets.push(token.access_token.rsplit('.').next().unwrap().to_owned());
    let claims = m.verify_token(&token.access_token).await.unwrap();
    shown.push(format!("{claims:?}"));

    // Misuses: wrong passwords, a tampered token, garbage.
    for wrong in ["wrong-password-000", &format!("{PASSWORD}x")] {
        show_err(
            &mut shown,
            m.authenticate("owner@quiet.io", wrong).await.unwrap_err(),
        );
    }
    let tampered = format!("{}x", token.access_token);
    show_err(&mut shown, m.verify_token(&tampered).await.unwrap_err());

    // Sessions: a refresh, then the reuse that ends the session.
    let session = m
        .login_session("owner@quiet.io", PASSWORD, Some("10.1.2.3"))
        .await
        .unwrap();
    shown.push(format!("{session:?}"));
    secrets.push(session.refresh_token.split_once('.').unwrap().1.to_owned());
    secrets.push(session.access.access_token.clone());
    let next = m.refresh_session(&session.refresh_token).await.unwrap();
    secrets.push(next.refresh_token.split_once('.').unwrap().1.to_owned());
    show_err(
        &mut shown,
        m.refresh_session(&session.refresh_token).await.unwrap_err(),
    );
    shown.push(format!("{:?}", m.sessions(&claims).await.unwrap()));

    // API keys: made, used, forged, revoked.
    let key = m
        .create_api_key(&claims, NewApiKey::new("ci", ["deploy"]))
        .await
        .unwrap();
    shown.push(format!("{key:?}"));
    secrets.push(key.key.rsplit_once('_').unwrap().1.to_owned());
    let key_claims = m.verify_api_key(&key.key).await.unwrap();
    shown.push(format!("{key_claims:?}"));
    let forged = format!("{}_{}", key.info.prefix, "f".repeat(64));
    show_err(&mut shown, m.verify_api_key(&forged).await.unwrap_err());
    show_err(
        &mut shown,
        m.rename_tenant(&key_claims, "Taken").await.unwrap_err(),
    );
    shown.push(format!("{:?}", m.api_keys(&claims).await.unwrap()));
    m.revoke_api_key(&claims, key.info.id).await.unwrap();
    show_err(&mut shown, m.verify_api_key(&key.key).await.unwrap_err());

    // Signing keys: rotated on demand; the timeline and the JWKS shown.
    shown.push(format!("{:?}", m.rotate_signing_key().await.unwrap()));
    shown.push(format!("{:?}", m.signing_keys().await.unwrap()));
    shown.push(m.jwks().await.unwrap().to_string());

    // A password change, the operator's check with a wrong token, a bad update.
    let update = TenantUpdate::new().admin_password(NEW_PASSWORD);
    shown.push(format!("{update:?}"));
    m.update_tenant(&claims, update).await.unwrap();
    show_err(
        &mut shown,
        m.check_operator("not-the-operator").unwrap_err(),
    );
    show_err(
        &mut shown,
        m.update_tenant(&claims, TenantUpdate::new().admin_password("short"))
            .await
            .unwrap_err(),
    );
    show_err(
        &mut shown,
        m.verify_token(&token.access_token).await.unwrap_err(),
    );

    // What is stored: hashes, digests, sealed keys.
    let mut hashes: Vec<String> = Vec::new();
    for admin in t.documents("admin_users").await {
        hashes.push(admin.get_str("hashed_password").unwrap().to_owned());
    }
    for entry in t.documents("tenant_sessions").await {
        hashes.push(entry.get_str("hash").unwrap().to_owned());
    }
    for entry in t.documents("tenant_api_keys").await {
        hashes.push(entry.get_str("hash").unwrap().to_owned());
    }
    for entry in t.documents("signing_keys").await {
        let sealed = entry.get("sealed").expect("a sealed private key");
        hashes.push(match sealed {
            tenantry::mongodb::bson::Bson::String(s) => s.clone(),
            tenantry::mongodb::bson::Bson::Binary(b) => hex::encode(&b.bytes),
            other => other.to_string(),
        });
    }
    assert!(hashes.len() >= 6, "{} stored secrets found", hashes.len());

    drop(m);
    let logged = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    assert!(
        !logged.is_empty(),
        "the subscriber records the library's lines"
    );
    for (what, value) in secrets
        .iter()
        .map(|s| ("a secret", s))
        .chain(hashes.iter().map(|h| ("a stored hash", h)))
    {
        assert!(value.len() >= 8, "{what} too short to search for");
        assert!(!logged.contains(value.as_str()), "{what} logged: {value}");
        for s in &shown {
            assert!(!s.contains(value.as_str()), "{what} printed in {s}");
        }
    }
}
