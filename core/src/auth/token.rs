//! Access tokens: JWTs carrying the admin's and the tenant's stable ids and a token version.
//!
//! The ids survive a rename or an email change; the version is bumped by a password
//! change, so older tokens stop verifying. The algorithm is pinned by config and `exp` is
//! required.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use std::sync::Arc;

use jsonwebtoken::{DecodingKey, Header, Validation};
use mongodb::bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use crate::auth::signing::{Keys, Ring, Signer, SigningKeyInfo};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::members::{Action, Role};
use crate::placement::Layout;
use crate::store::{OrgDoc, Store};

/// What a verified token says: who the admin is and which tenant they administer.
///
/// Only the library makes claims (from a token whose signature it checked), and nobody
/// changes them: the fields are private, read through methods, so application code cannot
/// build claims for another tenant or alter a verified one.
///
/// ```compile_fail
/// # fn f(claims: tenantry::Claims) {
/// let mut claims = claims;
/// claims.tenant_id = tenantry::mongodb::bson::oid::ObjectId::new(); // private field
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Claims {
    admin_id: ObjectId,
    tenant_id: ObjectId,
    tenant_name: String,
    token_version: i64,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// The tenant's collection when the claims were verified (none after a decode).
    #[serde(rename = "collection_name")]
    collection: Option<String>,
    /// The database of the tenant's data when the claims were verified.
    database: Option<String>,
    /// The tenant's layout when the claims were verified.
    layout: Option<Layout>,
    /// The cluster of the tenant's data when the claims were verified.
    cluster: Option<String>,
    /// The API key these claims come from (none for an admin's token).
    #[serde(rename = "api_key_id")]
    api_key: Option<ObjectId>,
    /// The API key's scopes (none for an admin's token, which may do all its admin may).
    scopes: Option<Vec<String>>,
    /// The member's role when the claims were verified (none after a decode, and for an
    /// API key).
    role: Option<Role>,
    /// The session the token was issued for (none for `authenticate`'s tokens).
    #[serde(skip)]
    session: Option<ObjectId>,
}

impl Claims {
    /// The admin user's id (stable across email changes).
    pub fn admin_id(&self) -> ObjectId {
        self.admin_id
    }

    /// The tenant's id (stable across renames).
    pub fn tenant_id(&self) -> ObjectId {
        self.tenant_id
    }

    /// The tenant's name: as issued by [`decode_token`](crate::TenantManager::decode_token),
    /// the current one after [`verify_token`](crate::TenantManager::verify_token).
    pub fn tenant_name(&self) -> &str {
        &self.tenant_name
    }

    /// The admin's token version when the token was issued.
    pub fn token_version(&self) -> i64 {
        self.token_version
    }

    /// When the token was issued.
    pub fn issued_at(&self) -> DateTime<Utc> {
        self.issued_at
    }

    /// When the token expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The tenant's collection when [`verify_token`](crate::TenantManager::verify_token)
    /// checked the claims (`None` for claims from
    /// [`decode_token`](crate::TenantManager::decode_token)). A rename after that leaves a
    /// tombstone at this name: writes there are refused, never lost.
    pub fn collection_name(&self) -> Option<&str> {
        self.collection.as_deref()
    }

    /// The database of the tenant's data when
    /// [`verify_token`](crate::TenantManager::verify_token) checked the claims (`None` for
    /// claims from [`decode_token`](crate::TenantManager::decode_token)).
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The tenant's layout when [`verify_token`](crate::TenantManager::verify_token)
    /// checked the claims (`None` for claims from
    /// [`decode_token`](crate::TenantManager::decode_token)).
    pub fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// The cluster of the tenant's data when
    /// [`verify_token`](crate::TenantManager::verify_token) checked the claims (`None` for
    /// claims from [`decode_token`](crate::TenantManager::decode_token)).
    pub fn cluster(&self) -> Option<&str> {
        self.cluster.as_deref()
    }

    /// The API key these claims were verified from
    /// ([`verify_api_key`](crate::TenantManager::verify_api_key)); `None` for a token.
    pub fn api_key_id(&self) -> Option<ObjectId> {
        self.api_key
    }

    /// The scopes of the API key these claims come from; `None` for an admin's token.
    pub fn scopes(&self) -> Option<&[String]> {
        self.scopes.as_deref()
    }

    /// Whether the claims allow `scope`: an API key's when it was created with it, an
    /// admin's token always (it may do all its admin may).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| s == scope))
    }

    /// The role of the token's member when
    /// [`verify_token`](crate::TenantManager::verify_token) checked the claims (as fresh as
    /// the revocation check); `None` for claims from
    /// [`decode_token`](crate::TenantManager::decode_token) and for an API key's.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Whether the claims' member may do `action` (an API key's claims never manage).
    pub fn may(&self, action: Action) -> bool {
        match (self.api_key, self.role) {
            (Some(_), _) => action == Action::UseData,
            (None, Some(role)) => role.may(action),
            (None, None) => false,
        }
    }

    /// The session this token was issued for ([`login_session`] or [`refresh_session`]);
    /// `None` for [`authenticate`]'s tokens and for an API key's claims.
    ///
    /// [`login_session`]: crate::TenantManager::login_session
    /// [`refresh_session`]: crate::TenantManager::refresh_session
    /// [`authenticate`]: crate::TenantManager::authenticate
    pub fn session_id(&self) -> Option<ObjectId> {
        self.session
    }

    /// The same claims with the member's current role.
    pub(crate) fn with_role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// Claims of an API key of `tenant`, made by `admin`.
    pub(crate) fn of_api_key(
        key: ObjectId,
        admin: ObjectId,
        tenant: ObjectId,
        scopes: Vec<String>,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Claims {
            admin_id: admin,
            tenant_id: tenant,
            tenant_name: String::new(),
            token_version: 0,
            issued_at,
            expires_at,
            collection: None,
            database: None,
            layout: None,
            cluster: None,
            api_key: Some(key),
            scopes: Some(scopes),
            role: None,
            session: None,
        }
    }

    /// The field names, in order (for bindings to check their mirrors against).
    pub fn field_names() -> Vec<String> {
        let sample = Claims {
            admin_id: ObjectId::new(),
            tenant_id: ObjectId::new(),
            tenant_name: String::new(),
            token_version: 0,
            issued_at: Utc::now(),
            expires_at: Utc::now(),
            collection: None,
            database: None,
            layout: None,
            cluster: None,
            api_key: None,
            scopes: None,
            role: None,
            session: None,
        };
        crate::tenant::field_names(&sample)
    }

    /// The same claims, verified: the tenant's current name and where its data is.
    pub(crate) fn with_tenant(mut self, org: &OrgDoc, master_db: &str) -> Self {
        self.tenant_name = org.organization_name.clone();
        self.collection = Some(org.data_collection().to_owned());
        self.database = Some(org.database(master_db).to_owned());
        self.layout = Some(org.layout);
        self.cluster = Some(org.cluster().to_owned());
        self
    }
}

/// A freshly issued access token and the ids it carries.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessToken {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `"bearer"`.
    pub token_type: String,
    /// The admin user's id.
    pub admin_id: ObjectId,
    /// The tenant's id.
    pub tenant_id: ObjectId,
    /// The tenant's current name.
    pub tenant_name: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

impl AccessToken {
    /// The field names, in order (for bindings to check their mirrors against).
    pub fn field_names() -> Vec<String> {
        let sample = AccessToken {
            access_token: String::new(),
            token_type: String::new(),
            admin_id: ObjectId::new(),
            tenant_id: ObjectId::new(),
            tenant_name: String::new(),
            expires_at: Utc::now(),
        };
        crate::tenant::field_names(&sample)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"***")
            .field("admin_id", &self.admin_id)
            .field("tenant_id", &self.tenant_id)
            .field("tenant_name", &self.tenant_name)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct WireClaims {
    sub: String,
    org: String,
    org_name: String,
    ver: i64,
    iat: i64,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    /// Not before: never set here, checked when a token carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    /// The session a session's access token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

/// How long a token lives, and the session it belongs to.
struct Lifetime {
    ttl: chrono::Duration,
    session: Option<ObjectId>,
}

/// Signs and checks tokens with the configured, pinned algorithm.
pub(crate) struct TokenCodec {
    algorithm: jsonwebtoken::Algorithm,
    keys: Keys,
    validation: Validation,
    expiry: chrono::Duration,
    leeway: i64,
    issuer: Option<String>,
    audience: Option<String>,
}

impl TokenCodec {
    pub(crate) fn new(config: &Config) -> Result<Self> {
        let algorithm = config.jwt_algorithm.to_jsonwebtoken();
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.required_spec_claims = HashSet::from(["exp", "sub", "iat"].map(String::from));
        validation.validate_exp = true;
        validation.leeway = config.jwt_leeway.as_secs();
        // Configured issuer and audience are required, not only checked when present.
        match &config.jwt_issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                validation.required_spec_claims.insert("iss".into());
            }
            None => validation.iss = None,
        }
        match &config.jwt_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                validation.required_spec_claims.insert("aud".into());
            }
            None => validation.validate_aud = false,
        }
        let expiry = chrono::Duration::from_std(config.jwt_expiry)
            .map_err(|_| Error::Config("jwt_expire_minutes: is too large".into()))?;
        Ok(TokenCodec {
            algorithm,
            keys: Keys::new(config)?,
            validation,
            expiry,
            leeway: config.jwt_leeway.as_secs() as i64,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        })
    }

    pub(crate) async fn issue(
        &self,
        store: &Store,
        admin_id: ObjectId,
        tenant_id: ObjectId,
        tenant_name: &str,
        token_version: i64,
    ) -> Result<AccessToken> {
        let lifetime = Lifetime {
            ttl: self.expiry,
            session: None,
        };
        self.issue_until(
            store,
            admin_id,
            tenant_id,
            tenant_name,
            token_version,
            lifetime,
        )
        .await
    }

    /// [`issue`](Self::issue), for session `session`, expiring after `ttl` (a session's
    /// short access token).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn issue_for(
        &self,
        store: &Store,
        admin_id: ObjectId,
        tenant_id: ObjectId,
        tenant_name: &str,
        token_version: i64,
        ttl: std::time::Duration,
        session: ObjectId,
    ) -> Result<AccessToken> {
        let ttl = chrono::Duration::from_std(ttl)
            .map_err(|_| Error::Config("session_access_ttl: is too long".into()))?;
        let lifetime = Lifetime {
            ttl,
            session: Some(session),
        };
        self.issue_until(
            store,
            admin_id,
            tenant_id,
            tenant_name,
            token_version,
            lifetime,
        )
        .await
    }

    /// The key that signs now.
    async fn signer(&self, store: &Store) -> Result<Arc<Signer>> {
        match &self.keys {
            Keys::Secret(signer, _) => Ok(Arc::clone(signer)),
            Keys::Ring(ring) => ring.signer(store).await,
        }
    }

    async fn issue_until(
        &self,
        store: &Store,
        admin_id: ObjectId,
        tenant_id: ObjectId,
        tenant_name: &str,
        token_version: i64,
        lifetime: Lifetime,
    ) -> Result<AccessToken> {
        let signer = self.signer(store).await?;
        self.sign(
            &signer,
            admin_id,
            tenant_id,
            tenant_name,
            token_version,
            lifetime,
        )
    }

    fn sign(
        &self,
        signer: &Signer,
        admin_id: ObjectId,
        tenant_id: ObjectId,
        tenant_name: &str,
        token_version: i64,
        lifetime: Lifetime,
    ) -> Result<AccessToken> {
        let Lifetime { ttl, session } = lifetime;
        // Whole seconds, as JWTs carry them, so the returned expiry equals the claim.
        let now = Utc::now();
        let iat = now.timestamp();
        let exp = (now + ttl).timestamp();
        let wire = WireClaims {
            sub: admin_id.to_hex(),
            org: tenant_id.to_hex(),
            org_name: tenant_name.to_owned(),
            ver: token_version,
            iat,
            exp,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            nbf: None,
            sid: session.map(|s| s.to_hex()),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = Some(signer.kid.clone());
        let access_token = jsonwebtoken::encode(&header, &wire, &signer.key)
            .map_err(|e| Error::internal(format_args!("token signing failed: {e}")))?;
        Ok(AccessToken {
            access_token,
            token_type: "bearer".to_owned(),
            admin_id,
            tenant_id,
            tenant_name: tenant_name.to_owned(),
            expires_at: seconds(exp)?,
        })
    }

    /// Check signature, algorithm, `exp`, `iat` and `nbf` not in the future beyond the
    /// leeway (and `iss`/`aud` when configured). A token with whitespace around it is
    /// malformed: what was signed is what must be sent. No database.
    ///
    /// The key is the one the token's `kid` names, as this process knows the keys now (an
    /// HMAC token without a `kid` is one issued before tokens carried it).
    pub(crate) fn decode(&self, token: &str) -> Result<Claims> {
        let kid = Self::kid(token)?;
        let key = match &self.keys {
            Keys::Secret(signer, key) => match kid {
                None => key.clone(),
                Some(kid) if kid == signer.kid => key.clone(),
                Some(_) => return Err(unknown_key()),
            },
            Keys::Ring(ring) => ring
                .verifier(&kid.ok_or_else(unknown_key)?)
                .ok_or_else(unknown_key)?,
        };
        self.decode_with(token, &key)
    }

    /// [`decode`](Self::decode), reading the keys again when this process's view of them is
    /// stale or does not know the token's (a key made by another process).
    pub(crate) async fn decode_fresh(&self, store: &Store, token: &str) -> Result<Claims> {
        let Keys::Ring(ring) = &self.keys else {
            return self.decode(token);
        };
        let kid = Self::kid(token)?.ok_or_else(unknown_key)?;
        let key = ring
            .verifier_fresh(store, &kid)
            .await?
            .ok_or_else(unknown_key)?;
        self.decode_with(token, &key)
    }

    /// The published keys: a JWKS document (RFC 7517), empty with an HMAC algorithm.
    pub(crate) async fn jwks(&self, store: &Store) -> Result<serde_json::Value> {
        match &self.keys {
            Keys::Secret(..) => Ok(serde_json::json!({ "keys": [] })),
            Keys::Ring(ring) => ring.jwks(store).await,
        }
    }

    /// The timeline of signing keys, read now; `INVALID_INPUT` with an HMAC algorithm.
    pub(crate) async fn signing_keys(&self, store: &Store) -> Result<Vec<SigningKeyInfo>> {
        self.ring()?.list(store).await
    }

    /// Rotate the signing keys now; `INVALID_INPUT` with an HMAC algorithm.
    pub(crate) async fn rotate(&self, store: &Store) -> Result<SigningKeyInfo> {
        self.ring()?.rotate(store).await
    }

    fn ring(&self) -> Result<&Ring> {
        match &self.keys {
            Keys::Ring(ring) => Ok(ring),
            Keys::Secret(..) => Err(Error::invalid(
                "jwt_algorithm",
                "signing keys rotate only with an asymmetric jwt_algorithm (EdDSA); an HMAC secret is rotated by configuration",
            )),
        }
    }

    /// The token's `kid`, after refusing whitespace around it.
    fn kid(token: &str) -> Result<Option<String>> {
        if token.is_empty() || token.trim() != token {
            return Err(Error::unauthorized("token is malformed"));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Error::unauthorized("token is malformed"))?;
        Ok(header.kid)
    }

    fn decode_with(&self, token: &str, key: &DecodingKey) -> Result<Claims> {
        let data =
            jsonwebtoken::decode::<WireClaims>(token, key, &self.validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let reason = match e.kind() {
                    ErrorKind::ExpiredSignature => "token has expired",
                    ErrorKind::InvalidAlgorithm => "token algorithm is not allowed",
                    ErrorKind::InvalidSignature => "token signature is invalid",
                    ErrorKind::InvalidIssuer => "token issuer is not accepted",
                    ErrorKind::InvalidAudience => "token audience is not accepted",
                    ErrorKind::MissingRequiredClaim(_) => "token lacks a required claim",
                    _ => "token is malformed",
                };
                Error::unauthorized(reason)
            })?;
        let wire = data.claims;
        let latest = Utc::now().timestamp() + self.leeway;
        if wire.iat > latest {
            return Err(Error::unauthorized("token was issued in the future"));
        }
        if wire.nbf.is_some_and(|nbf| nbf > latest) {
            return Err(Error::unauthorized("token is not valid yet"));
        }
        let id = |hex: &str| {
            ObjectId::parse_str(hex).map_err(|_| Error::unauthorized("token is malformed"))
        };
        Ok(Claims {
            admin_id: id(&wire.sub)?,
            tenant_id: id(&wire.org)?,
            tenant_name: wire.org_name,
            token_version: wire.ver,
            issued_at: seconds(wire.iat)?,
            expires_at: seconds(wire.exp)?,
            collection: None,
            database: None,
            layout: None,
            cluster: None,
            api_key: None,
            scopes: None,
            role: None,
            session: wire.sid.as_deref().map(id).transpose()?,
        })
    }
}

fn unknown_key() -> Error {
    Error::unauthorized("token signing key is not known")
}

fn seconds(ts: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_opt(ts, 0)
        .single()
        .ok_or_else(|| Error::unauthorized("token timestamp is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    impl TokenCodec {
        /// Issue with the HMAC secret, without a database.
        fn issue_now(&self, a: ObjectId, o: ObjectId, name: &str, v: i64) -> Result<AccessToken> {
            let Keys::Secret(signer, _) = &self.keys else {
                panic!("an HMAC codec")
            };
            let lifetime = Lifetime {
                ttl: self.expiry,
                session: None,
            };
            self.sign(signer, a, o, name, v, lifetime)
        }
    }

    fn codec(secret: &str) -> TokenCodec {
        let config = Config::builder("mongodb://localhost", secret)
            .build()
            .unwrap();
        TokenCodec::new(&config).unwrap()
    }

    #[test]
    fn round_trip() {
        let c = codec("0123456789abcdef-0123");
        let (a, o) = (ObjectId::new(), ObjectId::new());
        let t = c.issue_now(a, o, "Acme", 3).unwrap();
        let claims = c.decode(&t.access_token).unwrap();
        assert_eq!((claims.admin_id, claims.tenant_id), (a, o));
        assert_eq!(claims.token_version, 3);
        assert_eq!(claims.expires_at, t.expires_at);
        assert!(!format!("{t:?}").contains(&t.access_token));
    }

    #[test]
    fn other_keys_and_algorithms_are_refused() {
        let c = codec("0123456789abcdef-0123");
        let t = c
            .issue_now(ObjectId::new(), ObjectId::new(), "Acme", 0)
            .unwrap();
        let other = codec("another-secret-of-length");
        assert_eq!(
            other.decode(&t.access_token).unwrap_err().code(),
            "UNAUTHORIZED"
        );

        let config = Config::builder("mongodb://localhost", "0123456789abcdef-0123")
            .jwt_algorithm(crate::JwtAlgorithm::HS512)
            .build()
            .unwrap();
        let hs512 = TokenCodec::new(&config).unwrap();
        assert!(
            hs512.decode(&t.access_token).is_err(),
            "HS256 token under HS512 pin"
        );

        // alg "none": header {"alg":"none","typ":"JWT"}, no signature.
        let payload = t.access_token.split('.').nth(1).unwrap();
        let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(c.decode(&none).is_err());
        for junk in ["", "a.b.c", "not a token", &"x".repeat(10_000)] {
            assert_eq!(c.decode(junk).unwrap_err().code(), "UNAUTHORIZED");
        }
    }

    #[test]
    fn expired_tokens_are_refused() {
        let config = Config::builder("mongodb://localhost", "0123456789abcdef-0123")
            .jwt_leeway(Duration::ZERO)
            .build()
            .unwrap();
        let mut c = TokenCodec::new(&config).unwrap();
        c.expiry = chrono::Duration::seconds(-10);
        let t = c
            .issue_now(ObjectId::new(), ObjectId::new(), "Acme", 0)
            .unwrap();
        let err = c.decode(&t.access_token).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }

    #[test]
    fn future_iat_or_nbf_beyond_the_leeway_and_whitespace_are_refused() {
        let config = Config::builder("mongodb://localhost", "0123456789abcdef-0123")
            .jwt_leeway(Duration::from_secs(30))
            .build()
            .unwrap();
        let c = TokenCodec::new(&config).unwrap();
        let sign = |iat: i64, nbf: Option<i64>| {
            let wire = WireClaims {
                sub: ObjectId::new().to_hex(),
                org: ObjectId::new().to_hex(),
                org_name: "Acme".into(),
                ver: 0,
                iat,
                exp: Utc::now().timestamp() + 3600,
                iss: None,
                aud: None,
                nbf,
                sid: None,
            };
            let Keys::Secret(signer, _) = &c.keys else {
                panic!("an HMAC codec")
            };
            let mut header = Header::new(c.algorithm);
            header.kid = Some(signer.kid.clone());
            jsonwebtoken::encode(&header, &wire, &signer.key).unwrap()
        };
        let now = Utc::now().timestamp();
        // Within the leeway: accepted.
        assert!(c.decode(&sign(now + 20, None)).is_ok());
        assert!(c.decode(&sign(now, Some(now + 20))).is_ok());
        assert!(c.decode(&sign(now, Some(now - 60))).is_ok());
        // Beyond it: refused.
        let e = c.decode(&sign(now + 120, None)).unwrap_err();
        assert!(e.to_string().contains("future"), "{e}");
        let e = c.decode(&sign(now, Some(now + 120))).unwrap_err();
        assert!(e.to_string().contains("not valid yet"), "{e}");
        // Whitespace around a valid token.
        let good = c
            .issue_now(ObjectId::new(), ObjectId::new(), "Acme", 0)
            .unwrap()
            .access_token;
        assert!(c.decode(&good).is_ok());
        for wrapped in [
            format!(" {good}"),
            format!("{good}\n"),
            format!("\t{good} "),
        ] {
            assert_eq!(
                c.decode(&wrapped).unwrap_err().code(),
                "UNAUTHORIZED",
                "{wrapped:?}"
            );
        }
    }
}
