//! The keys that sign access tokens, each named by the `kid` its tokens carry.
//!
//! With an HMAC algorithm (the original contract) there is one key, the configured secret;
//! its `kid` is a digest of it, and tokens without a `kid` (issued before there was one)
//! still verify. Nothing is published: a secret is not shared.
//!
//! With `EdDSA` the keys live in the catalog's `signing_keys` collection, shared by every
//! process: each an Ed25519 key pair whose private half is sealed (ChaCha20-Poly1305, with
//! a key derived from [`Config::signing_key_secret`] and the `kid` as associated data).
//! Keys form a timeline ordered by `activates_at`:
//! - a new key is published ([`Ring::jwks`]) when it is made, and signs only from its
//!   `activates_at`, [`Config::signing_key_lead`] later, so that every process and every
//!   JWKS reader knows it before the first token it signs arrives;
//! - a key signs until the next one activates, and verifies until the longest-lived token
//!   it may have signed has expired (the next activation plus the longest token lifetime
//!   and the leeway): the overlap. Then it is unpublished, refused and removed.
//!
//! Rotation is one insert (crash-safe: a key is whole or absent). A scheduled rotation
//! (every [`Config::signing_key_rotation`]) is made by whichever process notices it is
//! due; a unique `slot` (the key it succeeds) keeps two processes from both making one.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey};
use mongodb::bson::{self, doc, spec::BinarySubtype, Binary, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{duplicate_key, Error, Result};
use crate::store::Store;

/// The catalog's collection of signing keys.
pub(crate) const SIGNING_KEYS: &str = "signing_keys";

/// How long a process trusts its view of the key timeline at most (half the lead when
/// that is shorter); it also re-reads when a key activates or expires, and when a token
/// names a key it does not know.
const REFRESH: Duration = Duration::from_secs(30);
/// The least time between two re-reads caused by unknown `kid`s (a flood of forged
/// tokens costs one read a second, not one per token).
const UNKNOWN_KID_RELOAD: Duration = Duration::from_secs(1);

/// A signing key as an operator sees it: never its private half.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningKeyInfo {
    /// The `kid` its tokens carry.
    pub kid: String,
    /// Its algorithm (`EdDSA`).
    pub algorithm: String,
    /// When it was made (and published).
    pub created_at: DateTime<Utc>,
    /// When it starts signing.
    pub activates_at: DateTime<Utc>,
    /// When it stops signing (the next key's activation), if a next key exists.
    pub retires_at: Option<DateTime<Utc>>,
    /// When tokens it signed stop verifying and it is unpublished, if a next key exists.
    pub verifies_until: Option<DateTime<Utc>>,
}

/// A key that signs now.
pub(crate) struct Signer {
    pub(crate) kid: String,
    pub(crate) key: EncodingKey,
}

/// A key that verifies, and until when.
struct Verifier {
    key: DecodingKey,
    until: Option<DateTime<Utc>>,
}

/// What a process knows of the timeline.
struct Loaded {
    at: Instant,
    /// The key that signs, sealed; opened at its first use (a process that only verifies
    /// never opens it).
    signer: Option<Stored>,
    opened: std::sync::OnceLock<Arc<Signer>>,
    verifiers: HashMap<String, Arc<Verifier>>,
    jwks: serde_json::Value,
    keys: Vec<SigningKeyInfo>,
    /// When this view goes stale on its own (a key activates or expires).
    stale_at: Option<DateTime<Utc>>,
}

/// The keys of a deployment: one secret, or the shared timeline.
pub(crate) enum Keys {
    Secret(Arc<Signer>, DecodingKey),
    Ring(Box<Ring>),
}

impl Keys {
    pub(crate) fn new(config: &Config) -> Result<Keys> {
        if !config.jwt_algorithm.is_asymmetric() {
            let secret = config.jwt_secret.expose().as_bytes();
            let mut digest = Sha256::new();
            digest.update(b"tenantry kid\0");
            digest.update(secret);
            let kid = format!("hs-{}", &hex::encode(digest.finalize())[..16]);
            let signer = Signer {
                kid,
                key: EncodingKey::from_secret(secret),
            };
            return Ok(Keys::Secret(
                Arc::new(signer),
                DecodingKey::from_secret(secret),
            ));
        }
        let secret = config
            .signing_key_secret
            .as_ref()
            .ok_or_else(|| Error::Config("signing_key_secret: is required".into()))?;
        let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"tenantry signing keys v1");
        let prk = salt.extract(secret.expose().as_bytes());
        let okm = prk
            .expand(&[b"private key seal"], &CHACHA20_POLY1305)
            .map_err(|_| Error::internal("key derivation failed"))?;
        let longest = config.jwt_expiry.max(config.session_access_ttl) + config.jwt_leeway;
        Ok(Keys::Ring(Box::new(Ring {
            seal: LessSafeKey::new(UnboundKey::from(okm)),
            lead: config.signing_key_lead,
            rotation: config.signing_key_rotation,
            overlap: chrono::Duration::from_std(longest)
                .map_err(|_| Error::Config("jwt_expire_minutes: is too large".into()))?,
            loaded: RwLock::new(None),
            reload: tokio::sync::Mutex::new(None),
        })))
    }
}

/// The shared timeline of `EdDSA` keys, as this process last read it.
pub(crate) struct Ring {
    seal: LessSafeKey,
    lead: Duration,
    rotation: Duration,
    overlap: chrono::Duration,
    loaded: RwLock<Option<Arc<Loaded>>>,
    /// Held while re-reading; the last re-read forced by an unknown `kid`.
    reload: tokio::sync::Mutex<Option<Instant>>,
}

fn keys(store: &Store) -> mongodb::Collection<Document> {
    store.catalog(SIGNING_KEYS)
}

pub(crate) async fn ensure_indexes(store: &Store) -> Result<()> {
    let slot = IndexModel::builder()
        .keys(doc! { "slot": 1 })
        .options(
            IndexOptions::builder()
                .name("slot_unique".to_owned())
                .unique(true)
                .partial_filter_expression(doc! { "slot": { "$exists": true } })
                .build(),
        )
        .build();
    keys(store).create_index(slot).await?;
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::internal("the system random source failed"))?;
    Ok(bytes)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn binary(bytes: Vec<u8>) -> Binary {
    Binary {
        subtype: BinarySubtype::Generic,
        bytes,
    }
}

/// One stored key, read.
#[derive(Clone)]
struct Stored {
    kid: String,
    public: Vec<u8>,
    sealed: Vec<u8>,
    created_at: DateTime<Utc>,
    activates_at: DateTime<Utc>,
}

impl Stored {
    fn read(d: &Document) -> Result<Stored> {
        let bad = |what: &str| Error::internal(format_args!("signing key: bad {what}"));
        let bytes = |field: &str| -> Result<Vec<u8>> {
            Ok(d.get_binary_generic(field).map_err(|_| bad(field))?.clone())
        };
        Ok(Stored {
            kid: d.get_str("_id").map_err(|_| bad("_id"))?.to_owned(),
            public: bytes("public")?,
            sealed: bytes("sealed")?,
            created_at: d
                .get_datetime("created_at")
                .map_err(|_| bad("created_at"))?
                .to_chrono(),
            activates_at: d
                .get_datetime("activates_at")
                .map_err(|_| bad("activates_at"))?
                .to_chrono(),
        })
    }
}

impl Ring {
    fn current(&self) -> Option<Arc<Loaded>> {
        self.loaded
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A view is re-read after half the lead at most, so every process knows a new key
    /// before it signs.
    fn is_fresh(&self, loaded: &Loaded) -> bool {
        loaded.at.elapsed() < REFRESH.min(self.lead / 2)
            && loaded.stale_at.is_none_or(|t| Utc::now() < t)
    }

    /// The key that signs now, re-reading the timeline when this view is stale.
    pub(crate) async fn signer(&self, store: &Store) -> Result<Arc<Signer>> {
        let loaded = self.fresh(store).await?;
        if let Some(open) = loaded.opened.get() {
            return Ok(Arc::clone(open));
        }
        let sealed = loaded
            .signer
            .as_ref()
            .ok_or_else(|| Error::internal("no signing key is active"))?;
        let open = Arc::new(self.unseal(sealed)?);
        Ok(Arc::clone(loaded.opened.get_or_init(|| open)))
    }

    /// The key named `kid`, from this view (no database): `None` when unknown or expired.
    pub(crate) fn verifier(&self, kid: &str) -> Option<DecodingKey> {
        let loaded = self.current()?;
        let v = loaded.verifiers.get(kid)?;
        match v.until {
            Some(until) if Utc::now() >= until => None,
            _ => Some(v.key.clone()),
        }
    }

    /// The key named `kid`, re-reading the timeline when this view is stale or does not
    /// know it (at most once a second for unknown names).
    pub(crate) async fn verifier_fresh(
        &self,
        store: &Store,
        kid: &str,
    ) -> Result<Option<DecodingKey>> {
        self.fresh(store).await?;
        if let Some(key) = self.verifier(kid) {
            return Ok(Some(key));
        }
        {
            let mut last = self.reload.lock().await;
            if last.is_some_and(|t| t.elapsed() < UNKNOWN_KID_RELOAD) {
                return Ok(None);
            }
            *last = Some(Instant::now());
            self.load(store).await?;
        }
        Ok(self.verifier(kid))
    }

    /// The published keys (JWKS), re-reading the timeline when this view is stale.
    pub(crate) async fn jwks(&self, store: &Store) -> Result<serde_json::Value> {
        Ok(self.fresh(store).await?.jwks.clone())
    }

    /// The timeline, read now.
    pub(crate) async fn list(&self, store: &Store) -> Result<Vec<SigningKeyInfo>> {
        let _guard = self.reload.lock().await;
        Ok(self.load(store).await?.keys.clone())
    }

    async fn fresh(&self, store: &Store) -> Result<Arc<Loaded>> {
        if let Some(loaded) = self.current().filter(|l| self.is_fresh(l)) {
            return Ok(loaded);
        }
        let _guard = self.reload.lock().await;
        if let Some(loaded) = self.current().filter(|l| self.is_fresh(l)) {
            return Ok(loaded);
        }
        self.load(store).await
    }

    /// Make a key that signs from `activates_at`, published from now.
    async fn make(
        &self,
        store: &Store,
        activates_at: DateTime<Utc>,
        slot: Option<String>,
    ) -> Result<bool> {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| Error::internal("key generation failed"))?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| Error::internal("key generation failed"))?;
        let kid = b64(&random::<12>()?);
        let nonce = random::<NONCE_LEN>()?;
        let mut sealed = pkcs8.as_ref().to_vec();
        self.seal
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| Error::internal("sealing the key failed"))?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        let mut entry = doc! {
            "_id": &kid,
            "alg": "EdDSA",
            "public": binary(pair.public_key().as_ref().to_vec()),
            "sealed": binary(stored),
            "created_at": bson::DateTime::from_chrono(Utc::now()),
            "activates_at": bson::DateTime::from_chrono(activates_at),
        };
        if let Some(slot) = slot {
            entry.insert("slot", slot);
        }
        match keys(store).insert_one(entry).await {
            Ok(_) => Ok(true),
            // Another process made this period's key first.
            Err(e) if duplicate_key(&e).is_some() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Rotate now: a new key, published at once, that signs after the lead.
    pub(crate) async fn rotate(&self, store: &Store) -> Result<SigningKeyInfo> {
        let at = Utc::now() + chrono::Duration::from_std(self.lead).unwrap_or_default();
        let _guard = self.reload.lock().await;
        self.make(store, at, None).await?;
        let loaded = self.load(store).await?;
        loaded
            .keys
            .iter()
            .rev()
            .find(|k| k.activates_at == truncate(at))
            .cloned()
            .ok_or_else(|| Error::internal("the new signing key was not read back"))
    }

    /// Read the timeline (making the first key, or the period's, when due), drop what
    /// expired, and open the key that signs. Called with `reload` held.
    async fn load(&self, store: &Store) -> Result<Arc<Loaded>> {
        let mut made = false;
        loop {
            let mut stored = Vec::new();
            let mut cursor = keys(store).find(doc! {}).await?;
            while cursor.advance().await? {
                let entry = cursor.deserialize_current()?;
                stored.push(Stored::read(&entry)?);
            }
            stored.sort_by(|a, b| (a.activates_at, &a.kid).cmp(&(b.activates_at, &b.kid)));
            let now = Utc::now();
            let active = stored.iter().rposition(|k| k.activates_at <= now);
            let newest = stored.last();
            let due = !self.rotation.is_zero()
                && newest.is_some_and(|k| {
                    now - k.created_at
                        >= chrono::Duration::from_std(self.rotation)
                            .unwrap_or(chrono::Duration::MAX)
                });
            if !made && (active.is_none() || due) {
                // The first key signs at once (nobody holds tokens to verify); a scheduled
                // one after the lead.
                let at = match active {
                    None => now,
                    Some(_) => now + chrono::Duration::from_std(self.lead).unwrap_or_default(),
                };
                // One first key, and one successor per key, however many processes race.
                let slot = match (active, newest) {
                    (Some(_), Some(k)) => format!("after-{}", k.kid),
                    _ => "first".to_owned(),
                };
                self.make(store, at, Some(slot)).await?;
                made = true;
                continue;
            }
            return self.open(store, stored, now).await;
        }
    }

    async fn open(
        &self,
        store: &Store,
        stored: Vec<Stored>,
        now: DateTime<Utc>,
    ) -> Result<Arc<Loaded>> {
        let mut infos = Vec::new();
        let mut expired = Vec::new();
        for (i, k) in stored.iter().enumerate() {
            let retires_at = stored.get(i + 1).map(|n| n.activates_at);
            let until = retires_at.map(|r| r + self.overlap);
            if until.is_some_and(|u| u <= now) {
                expired.push(k.kid.clone());
                continue;
            }
            infos.push(SigningKeyInfo {
                kid: k.kid.clone(),
                algorithm: "EdDSA".to_owned(),
                created_at: k.created_at,
                activates_at: k.activates_at,
                retires_at,
                verifies_until: until,
            });
        }
        if !expired.is_empty() {
            keys(store)
                .delete_many(doc! { "_id": { "$in": &expired } })
                .await?;
        }
        let live: Vec<&Stored> = stored
            .iter()
            .filter(|k| !expired.contains(&k.kid))
            .collect();
        let signer = live
            .iter()
            .rev()
            .find(|k| k.activates_at <= now)
            .map(|k| Stored::clone(k));
        let mut verifiers = HashMap::new();
        let mut published = Vec::new();
        for (k, info) in live.iter().zip(&infos) {
            let x = b64(&k.public);
            let key = DecodingKey::from_ed_components(&x).map_err(|_| {
                Error::internal(format_args!("signing key {}: bad public key", k.kid))
            })?;
            verifiers.insert(
                k.kid.clone(),
                Arc::new(Verifier {
                    key,
                    until: info.verifies_until,
                }),
            );
            published.push(serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": x,
                "kid": k.kid,
                "alg": "EdDSA",
                "use": "sig",
            }));
        }
        let stale_at = infos
            .iter()
            .flat_map(|i| [Some(i.activates_at).filter(|a| *a > now), i.verifies_until])
            .flatten()
            .min();
        let loaded = Arc::new(Loaded {
            at: Instant::now(),
            signer,
            opened: std::sync::OnceLock::new(),
            verifiers,
            jwks: serde_json::json!({ "keys": published }),
            keys: infos,
            stale_at,
        });
        *self.loaded.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&loaded));
        Ok(loaded)
    }

    fn unseal(&self, k: &Stored) -> Result<Signer> {
        let refused = || {
            Error::Config(format!(
                "signing_key_secret: does not open signing key '{}' (every process needs the same secret)",
                k.kid
            ))
        };
        if k.sealed.len() < NONCE_LEN {
            return Err(refused());
        }
        let (nonce, sealed) = k.sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| refused())?;
        let mut buffer = sealed.to_vec();
        let pkcs8 = self
            .seal
            .open_in_place(nonce, Aad::from(k.kid.as_bytes()), &mut buffer)
            .map_err(|_| refused())?;
        // The stored public half must be the private half's, or tokens would not verify.
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| refused())?;
        if pair.public_key().as_ref() != k.public.as_slice() {
            return Err(refused());
        }
        Ok(Signer {
            kid: k.kid.clone(),
            key: EncodingKey::from_ed_der(pkcs8),
        })
    }
}

/// A time as MongoDB keeps it (milliseconds).
fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    bson::DateTime::from_chrono(t).to_chrono()
}
