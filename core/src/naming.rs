//! Tenant names, their normalized keys and collection names, admin emails: pure functions.
//!
//! Two names denote the same tenant when their *keys* are equal. The key is the name under
//! Unicode compatibility normalization and full case folding, with every run of characters
//! that are not letters or digits collapsed to one `_`: "Acme Corp", "acme-corp" and
//! "ＡＣＭＥ  corp!" all have the key `acme_corp`. Uniqueness is enforced on the key by the
//! server (one key document per key, under the `_id` unique index), so such names can
//! never share a collection.
//!
//! The collection of a tenant is `org_<slug>`. An ASCII key is its own slug (the seed's
//! naming: "Acme Corp" -> `org_acme_corp`). A key with other characters gets a slug made of
//! its ASCII letters and digits, a `-` (which no ASCII key contains) and 64 bits of the
//! SHA-256 of the key: valid, distinct and stable.

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Prefix of every tenant collection.
pub const COLLECTION_PREFIX: &str = "org_";
/// MongoDB's limit on `database.collection`, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 255;
/// Longest accepted organization name, in bytes of UTF-8.
pub const MAX_NAME_BYTES: usize = 200;
/// Longest accepted email address (RFC 5321 path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Longest accepted password, in bytes; longer input is refused rather than truncated.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// How many ASCII characters of a non-ASCII key are kept, for readability, in its slug.
const READABLE_PART: usize = 40;

/// A validated organization name with its uniqueness key and collection name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName {
    display: String,
    key: String,
    collection: String,
}

impl TenantName {
    /// Validate `raw` as the name of a tenant stored in database `db`.
    ///
    /// Fails with [`Error::InvalidInput`] (field `name`) for an empty name, a
    /// name with `\0`, `$` or control characters, a name starting with `system.`, one with
    /// no letter or digit, or one too long for MongoDB's 255-byte namespace.
    pub fn parse(raw: &str, db: &str) -> Result<Self> {
        const FIELD: &str = "name";
        let display = raw.trim();
        if display.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        if display.len() > MAX_NAME_BYTES {
            return Err(Error::invalid(
                FIELD,
                format_args!("must be at most {MAX_NAME_BYTES} bytes"),
            ));
        }
        if display.contains('\0') || display.contains('$') {
            return Err(Error::invalid(FIELD, "must not contain '$' or NUL"));
        }
        if display.chars().any(char::is_control) {
            return Err(Error::invalid(FIELD, "must not contain control characters"));
        }
        if display.to_lowercase().starts_with("system.") {
            return Err(Error::invalid(FIELD, "must not start with 'system.'"));
        }
        let key = name_key(display);
        if key.is_empty() {
            return Err(Error::invalid(
                FIELD,
                "must contain at least one letter or digit",
            ));
        }
        let collection = format!("{COLLECTION_PREFIX}{}", slug(&key));
        if db.len() + 1 + collection.len() > MAX_NAMESPACE_BYTES {
            return Err(Error::invalid(
                FIELD,
                format_args!(
                    "too long: collection '{collection}' would exceed MongoDB's \
                     {MAX_NAMESPACE_BYTES}-byte namespace limit"
                ),
            ));
        }
        Ok(TenantName {
            display: display.to_owned(),
            key,
            collection,
        })
    }

    /// The name as the user gave it, without surrounding white space.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The normalized key on which uniqueness is decided.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The tenant's collection name, `org_<slug>`.
    pub fn collection(&self) -> &str {
        &self.collection
    }
}

/// The uniqueness key of a name: NFKC, full case folding, non-alphanumeric runs -> `_`.
pub fn name_key(name: &str) -> String {
    let folded: String = caseless::default_case_fold_str(&name.nfkc().collect::<String>())
        .nfkc()
        .collect();
    let mut key = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !key.is_empty() {
            key.push('_');
        }
        key.push_str(word);
    }
    key
}

/// The collection slug of a key (see the module docs).
fn slug(key: &str) -> String {
    if key.is_ascii() {
        return key.to_owned();
    }
    let mut readable = String::new();
    for c in key.nfkd().filter(char::is_ascii) {
        if readable.len() == READABLE_PART {
            break;
        }
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c == '_' && (readable.is_empty() || readable.ends_with('_')) {
            continue;
        }
        readable.push(c);
    }
    let readable = readable.trim_end_matches('_');
    let digest = Sha256::digest(key.as_bytes());
    let tag = hex::encode(&digest[..8]);
    if readable.is_empty() {
        format!("u-{tag}")
    } else {
        format!("{readable}-{tag}")
    }
}

/// A validated admin email and its case-insensitive key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    key: String,
}

impl Email {
    /// Validate an email address (field `email`).
    pub fn parse(raw: &str) -> Result<Self> {
        const FIELD: &str = "email";
        let display = raw.trim();
        if display.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        if display.len() > MAX_EMAIL_BYTES {
            return Err(Error::invalid(
                FIELD,
                format_args!("must be at most {MAX_EMAIL_BYTES} bytes"),
            ));
        }
        if display.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(
                FIELD,
                "must not contain white space or control characters",
            ));
        }
        let Some((local, domain)) = display.split_once('@') else {
            return Err(Error::invalid(FIELD, "value is not a valid email address"));
        };
        if !valid_local_part(local) || !valid_domain(domain) {
            return Err(Error::invalid(FIELD, "value is not a valid email address"));
        }
        Ok(Email {
            display: display.to_owned(),
            key: display.to_lowercase(),
        })
    }

    /// The address as given, trimmed.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The lower-cased address on which uniqueness is decided.
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// RFC 5322 `dot-atom` (unquoted) local part, with RFC 6531's non-ASCII letters and
/// digits: atoms of `atext` joined by single dots, at most 64 bytes.
fn valid_local_part(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";
    let atext = |c: char| {
        c.is_ascii_alphanumeric() || SPECIALS.contains(c) || (!c.is_ascii() && c.is_alphanumeric())
    };
    !local.is_empty()
        && local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// A host name of at least two labels: letters, digits (non-ASCII ones too: an IDN in
/// Unicode form) and inner hyphens, 1 to 63 bytes each, and a top-level label that is not
/// all digits.
fn valid_domain(domain: &str) -> bool {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c == '-' || c.is_alphanumeric())
    };
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| label_ok(l))
        && !labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
}

/// Validate a new password: at least `min_chars` characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes, no NUL.
pub fn validate_password(password: &str, min_chars: usize) -> Result<()> {
    const FIELD: &str = "password";
    if password.chars().count() < min_chars {
        return Err(Error::invalid(
            FIELD,
            format_args!("must be at least {min_chars} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(
            FIELD,
            format_args!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    if password.contains('\0') {
        return Err(Error::invalid(FIELD, "must not contain NUL"));
    }
    Ok(())
}

/// Validate a MongoDB database name (for the master database).
pub fn validate_database_name(db: &str) -> Result<()> {
    if db.is_empty() || db.len() >= 64 {
        return Err(Error::Config("master_db: must be 1 to 63 bytes".into()));
    }
    if db
        .chars()
        .any(|c| matches!(c, '/' | '\\' | '.' | ' ' | '"' | '$' | '\0'))
    {
        return Err(Error::Config(
            "master_db: must not contain any of / \\ . space \" $ NUL".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<TenantName> {
        TenantName::parse(raw, "master_db")
    }

    #[test]
    fn seed_names_keep_their_collection() {
        assert_eq!(parse("Acme Corp").unwrap().collection(), "org_acme_corp");
        assert_eq!(parse("Test Inc").unwrap().collection(), "org_test_inc");
    }

    #[test]
    fn spelling_variants_share_a_key() {
        let a = parse("Acme Corp").unwrap();
        for v in [
            "acme-corp",
            "ACME  corp!",
            " acme_corp ",
            "ＡＣＭＥ Corp",
            "Acme.Corp",
        ] {
            let b = parse(v).unwrap();
            assert_eq!(a.key(), b.key(), "{v}");
            assert_eq!(a.collection(), b.collection(), "{v}");
        }
    }

    #[test]
    fn case_folding_is_full() {
        assert_eq!(name_key("STRASSE"), name_key("Straße"));
        assert_eq!(name_key("ΣΊΣΥΦΟΣ"), name_key("σίσυφος"));
    }

    #[test]
    fn non_latin_names_get_distinct_valid_collections() {
        let names = [
            "東京",
            "大阪",
            "Москва",
            "Café Zürich",
            "Cafe Zurich",
            "مرحبا",
        ];
        let parsed: Vec<_> = names.iter().map(|n| parse(n).unwrap()).collect();
        for (i, a) in parsed.iter().enumerate() {
            assert!(a.collection().is_ascii(), "{}", a.collection());
            assert!(a.collection().starts_with("org_"));
            for b in &parsed[i + 1..] {
                assert_ne!(a.collection(), b.collection());
            }
        }
        assert!(parsed[3].collection().starts_with("org_cafe_zurich-"));
        assert_eq!(parsed[4].collection(), "org_cafe_zurich");
    }

    #[test]
    fn invalid_names_are_rejected() {
        for bad in [
            "",
            "   ",
            "a\0b",
            "pay$",
            "system.users",
            "SYSTEM.x",
            "---",
            "a\nb",
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT", "{bad:?}");
            assert_eq!(err.field(), Some("name"));
        }
        assert!(parse(&"a".repeat(MAX_NAME_BYTES + 1)).is_err());
        // Fits the name limit but not the namespace limit of a long database name.
        let long_db = "d".repeat(63);
        assert!(TenantName::parse(&"a".repeat(195), &long_db).is_err());
        assert!(TenantName::parse(&"a".repeat(180), &long_db).is_ok());
    }

    #[test]
    fn emails() {
        let e = Email::parse(" Admin@Acme.COM ").unwrap();
        assert_eq!(e.display(), "Admin@Acme.COM");
        assert_eq!(e.key(), "admin@acme.com");
        for bad in [
            "",
            "no-at",
            "@acme.com",
            "a@",
            "a@b",
            "a b@c.d",
            "a@.com",
            "a@b..c",
            "two@@example.com",
            "a@b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a(b)@example.com",
            "a,b@example.com",
            "\"quoted\"@example.com",
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "a@example.123",
            "a@[127.0.0.1]",
            "a@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "first.last+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "user_name-1@xn--bcher-kva.example",
            "josé@例え.jp",
            "x@a.io",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
    }
}
