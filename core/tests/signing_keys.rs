//! Signing keys: tokens name their key (`kid`); with `EdDSA` the keys live in MongoDB,
//! shared by every process, their private halves sealed with the configured secret; a new
//! key is published before it signs, and the key it replaces verifies its tokens through
//! the overlap and is refused after; tokens verify from the JWKS document alone; however
//! many processes start or rotate at once, one key is made.

mod common;

use std::time::Duration;

use common::*;
use futures_util::future::join_all;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{Config, JwtAlgorithm, TenantManager};

const SEAL: &str = "signing-key-seal-secret-0123456789abcdef";

fn eddsa(t: &TestDb) -> tenantry::ConfigBuilder {
    t.config()
        .jwt_algorithm(JwtAlgorithm::EdDSA)
        .signing_key_secret(SEAL)
}

async fn connect(config: Config) -> TenantManager {
    TenantManager::connect(config).await.unwrap()
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn stored_keys(t: &TestDb) -> Vec<Document> {
    collect(t.raw("signing_keys").find(doc! {}).await.unwrap()).await
}

/// Verify with nothing but the JWKS document and a JWT library.
fn verify_with_jwks(jwks: &serde_json::Value, token: &str) -> jsonwebtoken::errors::Result<()> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let kid = kid(token);
    let jwk = set
        .find(&kid)
        .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
    let key = DecodingKey::from_jwk(jwk)?;
    let mut validation = Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map(|_| ())
}

#[tokio::test]
async fn hmac_tokens_name_their_key_and_tokens_without_one_still_verify() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    m.create_tenant("Hmac Co", "owner@hmac.io", PASSWORD)
        .await
        .unwrap();
    let token = m.authenticate("owner@hmac.io", PASSWORD).await.unwrap();
    let named = kid(&token.access_token);
    assert!(
        named.starts_with("hs-") && !named.contains(SECRET),
        "{named}"
    );
    m.verify_token(&token.access_token).await.unwrap();

    // A token of the same secret without a kid (issued before tokens carried one).
    let payload: serde_json::Value = jsonwebtoken::dangerous::insecure_decode(&token.access_token)
        .unwrap()
        .claims;
    let secret = EncodingKey::from_secret(SECRET.as_bytes());
    let bare = jsonwebtoken::encode(&Header::default(), &payload, &secret).unwrap();
    m.verify_token(&bare).await.unwrap();
    // Another kid under the same secret is not ours.
    let other = Header {
        kid: Some("hs-0000000000000000".into()),
        ..Header::default()
    };
    let renamed = jsonwebtoken::encode(&other, &payload, &secret).unwrap();
    assert_eq!(
        m.verify_token(&renamed).await.unwrap_err().code(),
        "UNAUTHORIZED"
    );

    // A secret is never published, and is rotated by configuration.
    assert_eq!(m.jwks().await.unwrap(), serde_json::json!({ "keys": [] }));
    assert_eq!(
        m.rotate_signing_key().await.unwrap_err().code(),
        "INVALID_INPUT"
    );
    assert_eq!(t.count("signing_keys").await, 0);
}

#[tokio::test]
async fn eddsa_tokens_verify_from_the_jwks_alone_and_keys_are_sealed() {
    let t = TestDb::new().await;
    let m = connect(eddsa(&t).build().unwrap()).await;
    m.create_tenant("Edge Co", "owner@edge.io", PASSWORD)
        .await
        .unwrap();
    let token = m.authenticate("owner@edge.io", PASSWORD).await.unwrap();
    let header = jsonwebtoken::decode_header(&token.access_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::EdDSA);
    let claims = m.verify_token(&token.access_token).await.unwrap();
    assert_eq!(claims.tenant_name(), "Edge Co");

    let jwks = m.jwks().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], header.kid.clone().unwrap().as_str());
    assert_eq!(
        (keys[0]["kty"].as_str(), keys[0]["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    assert!(keys[0].get("d").is_none(), "no private part is published");
    verify_with_jwks(&jwks, &token.access_token).unwrap();
    // A session's short access token is signed by the same key.
    let session = m
        .login_session("owner@edge.io", PASSWORD, None)
        .await
        .unwrap();
    verify_with_jwks(&jwks, &session.access.access_token).unwrap();

    // Stored: the public half and a sealed private half, nothing else.
    let stored = stored_keys(&t).await;
    assert_eq!(stored.len(), 1);
    let mut fields: Vec<&str> = stored[0].keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "_id",
            "activates_at",
            "alg",
            "created_at",
            "public",
            "sealed",
            "slot"
        ]
    );

    // A process with another sealing secret cannot sign with the shared key: a typed
    // configuration error, not a token of a key nobody publishes.
    let wrong = connect(
        t.config()
            .jwt_algorithm(JwtAlgorithm::EdDSA)
            .signing_key_secret("another-seal-secret-0123456789abcdef")
            .build()
            .unwrap(),
    )
    .await;
    let err = wrong
        .authenticate("owner@edge.io", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "CONFIG", "{err}");
    assert!(!format!("{err:?}").contains(SEAL));
    // ... but it verifies, as a verifier needs only the public halves.
    wrong.verify_token(&token.access_token).await.unwrap();
}

#[tokio::test]
async fn forged_and_confused_tokens_are_refused() {
    let t = TestDb::new().await;
    let m = connect(eddsa(&t).build().unwrap()).await;
    m.create_tenant("Forge Co", "owner@forge.io", PASSWORD)
        .await
        .unwrap();
    let token = m.authenticate("owner@forge.io", PASSWORD).await.unwrap();
    let payload: serde_json::Value = jsonwebtoken::dangerous::insecure_decode(&token.access_token)
        .unwrap()
        .claims;
    // Signed with the JWT secret under HS256 and the real kid: algorithm confusion.
    let hs = Header {
        kid: Some(kid(&token.access_token)),
        ..Header::default()
    };
    let confused =
        jsonwebtoken::encode(&hs, &payload, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
    // Signed by a key of our own under an unknown kid, and with no kid.
    let pkcs8 = {
        let rng = ring::rand::SystemRandom::new();
        ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap()
    };
    let own = EncodingKey::from_ed_der(pkcs8.as_ref());
    let mut ed = Header::new(jsonwebtoken::Algorithm::EdDSA);
    ed.kid = Some("forged".into());
    let unknown = jsonwebtoken::encode(&ed, &payload, &own).unwrap();
    ed.kid = Some(kid(&token.access_token));
    let impostor = jsonwebtoken::encode(&ed, &payload, &own).unwrap();
    ed.kid = None;
    let nameless = jsonwebtoken::encode(&ed, &payload, &own).unwrap();
    for forged in [&confused, &unknown, &impostor, &nameless] {
        assert_eq!(
            m.verify_token(forged).await.unwrap_err().code(),
            "UNAUTHORIZED"
        );
        assert!(m.decode_token(forged).is_err());
    }
    m.verify_token(&token.access_token).await.unwrap();
}

#[tokio::test]
async fn a_rotated_key_is_published_first_and_the_old_one_verifies_through_the_overlap() {
    let t = TestDb::new().await;
    let config = || {
        eddsa(&t)
            .signing_key_lead(Duration::from_secs(4))
            .build()
            .unwrap()
    };
    let (m, other) = (connect(config()).await, connect(config()).await);
    m.create_tenant("Rotate Co", "owner@rotate.io", PASSWORD)
        .await
        .unwrap();
    let before = m.authenticate("owner@rotate.io", PASSWORD).await.unwrap();
    let old = kid(&before.access_token);
    other.verify_token(&before.access_token).await.unwrap();

    let new = m.rotate_signing_key().await.unwrap();
    assert_ne!(new.kid, old);
    let lead = new.activates_at - chrono::Utc::now();
    assert!(lead > chrono::Duration::milliseconds(3500), "{lead}");
    // Published at once by the process that made it, by the others within half the lead;
    // not signing yet.
    let kids = |jwks: serde_json::Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(kids(m.jwks().await.unwrap()).contains(&new.kid));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for p in [&m, &other] {
        let jwks = p.jwks().await.unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert!(
            kids.contains(&old.as_str()) && kids.contains(&new.kid.as_str()),
            "{kids:?}"
        );
    }
    let early = other
        .authenticate("owner@rotate.io", PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        kid(&early.access_token),
        old,
        "the new key signs only after the lead"
    );

    tokio::time::sleep(
        (new.activates_at - chrono::Utc::now())
            .to_std()
            .unwrap_or_default()
            + Duration::from_millis(200),
    )
    .await;
    for p in [&m, &other] {
        let after = p.authenticate("owner@rotate.io", PASSWORD).await.unwrap();
        assert_eq!(kid(&after.access_token), new.kid);
        m.verify_token(&after.access_token).await.unwrap();
        other.verify_token(&after.access_token).await.unwrap();
    }
    // The overlap: the old key's tokens still verify, everywhere.
    m.verify_token(&before.access_token).await.unwrap();
    other.verify_token(&before.access_token).await.unwrap();
    let keys = m.signing_keys().await.unwrap();
    let retired = keys.iter().find(|k| k.kid == old).unwrap();
    assert_eq!(retired.retires_at, Some(new.activates_at));
    let overlap = retired.verifies_until.unwrap() - new.activates_at;
    assert_eq!(
        overlap,
        chrono::Duration::hours(24) + chrono::Duration::seconds(30),
        "longest token lifetime plus leeway"
    );

    // After the overlap (the timeline moved back a day and a bit, as time passing would):
    // the old key is unpublished, removed, and its tokens refused by a process reading it.
    let shift = |d: &Document, field: &str| {
        let at = d.get_datetime(field).unwrap().to_chrono() - chrono::Duration::hours(25);
        tenantry::mongodb::bson::DateTime::from_chrono(at)
    };
    for d in stored_keys(&t).await {
        let id = d.get_str("_id").unwrap().to_owned();
        t.raw("signing_keys")
            .update_one(
                doc! { "_id": &id },
                doc! { "$set": { "created_at": shift(&d, "created_at"), "activates_at": shift(&d, "activates_at") } },
            )
            .await
            .unwrap();
    }
    let later = connect(config()).await;
    let err = later.verify_token(&before.access_token).await.unwrap_err();
    assert_eq!(err.code(), "UNAUTHORIZED");
    let jwks = later.jwks().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], new.kid.as_str());
    assert_eq!(stored_keys(&t).await.len(), 1, "the expired key is removed");
    let after = later
        .authenticate("owner@rotate.io", PASSWORD)
        .await
        .unwrap();
    later.verify_token(&after.access_token).await.unwrap();
}

#[tokio::test]
async fn racing_processes_make_one_first_key_and_one_scheduled_key() {
    let t = TestDb::new().await;
    let config = || {
        eddsa(&t)
            .signing_key_rotation(Duration::from_secs(3600))
            .build()
            .unwrap()
    };
    let managers = join_all((0..6).map(|_| connect(config()))).await;
    let jwks = join_all(managers.iter().map(|m| m.jwks())).await;
    assert_eq!(stored_keys(&t).await.len(), 1, "one first key");
    for j in &jwks {
        assert_eq!(
            j.as_ref().unwrap(),
            jwks[0].as_ref().unwrap(),
            "one view everywhere"
        );
        assert_eq!(j.as_ref().unwrap()["keys"].as_array().unwrap().len(), 1);
    }

    // Make the key two hours old: a rotation is due, and every fresh process notices.
    let first = &stored_keys(&t).await[0];
    let aged = first.get_datetime("created_at").unwrap().to_chrono() - chrono::Duration::hours(2);
    t.raw("signing_keys")
        .update_one(
            doc! { "_id": first.get_str("_id").unwrap() },
            doc! { "$set": {
                "created_at": tenantry::mongodb::bson::DateTime::from_chrono(aged),
                "activates_at": tenantry::mongodb::bson::DateTime::from_chrono(aged),
            } },
        )
        .await
        .unwrap();
    let fresh = join_all((0..6).map(|_| connect(config()))).await;
    join_all(fresh.iter().map(|m| m.jwks())).await;
    let stored = stored_keys(&t).await;
    let slots: Vec<&str> = stored
        .iter()
        .filter_map(|d| d.get_str("slot").ok())
        .collect();
    assert_eq!(stored.len(), 2, "one successor: {slots:?}");
    assert!(slots.contains(&"first"), "{slots:?}");
    let newest = stored
        .iter()
        .map(|d| d.get_datetime("activates_at").unwrap().to_chrono())
        .max()
        .unwrap();
    assert!(
        newest > chrono::Utc::now() + chrono::Duration::seconds(200),
        "a scheduled key signs after the lead"
    );
}
