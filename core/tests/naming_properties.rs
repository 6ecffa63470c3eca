//! Hostile input for name normalization and collection naming: never a panic, always a
//! valid namespace or a typed error, one collection per key, and stable across versions.

use proptest::prelude::*;
use tenantry::{name_key, TenantName, MAX_NAMESPACE_BYTES};

const DB: &str = "master_db";

/// What MongoDB accepts as a collection name in `DB`.
fn valid_collection(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('$')
        && !name.contains('\0')
        && !name.starts_with("system.")
        && DB.len() + 1 + name.len() <= MAX_NAMESPACE_BYTES
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn any_string_gives_a_valid_collection_or_a_typed_error(raw in any::<String>()) {
        match TenantName::parse(&raw, DB) {
            Ok(name) => {
                prop_assert!(valid_collection(name.collection()), "{:?}", name.collection());
                prop_assert!(name.collection().is_ascii());
                prop_assert_eq!(name.key(), name_key(&raw));
                // Parsing is idempotent on the display form.
                let again = TenantName::parse(name.display(), DB).unwrap();
                prop_assert_eq!(again.collection(), name.collection());
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "INVALID_INPUT");
                prop_assert_eq!(e.field(), Some("name"));
            }
        }
    }

    #[test]
    fn same_key_same_collection_different_key_different_collection(
        a in "[\\PC]{1,24}", b in "[\\PC]{1,24}"
    ) {
        if let (Ok(x), Ok(y)) = (TenantName::parse(&a, DB), TenantName::parse(&b, DB)) {
            prop_assert_eq!(x.key() == y.key(), x.collection() == y.collection(), "{:?} vs {:?}", x, y);
        }
    }

    #[test]
    fn spelling_noise_does_not_change_the_key(words in prop::collection::vec("[a-zA-Z0-9]{1,8}", 1..5)) {
        let plain = words.join(" ");
        let noisy = format!("  {}!! ", words.iter().map(|w| w.to_uppercase()).collect::<Vec<_>>().join(" -_- "));
        prop_assert_eq!(name_key(&plain), name_key(&noisy));
    }
}

/// Golden cases: collection names are part of the storage format; changing one would
/// orphan existing tenants' data, so any change here is a breaking change.
#[test]
fn golden_collection_names() {
    let cases = [
        ("Acme Corp", "acme_corp", "org_acme_corp"),
        ("Test Inc", "test_inc", "org_test_inc"),
        ("acme-corp", "acme_corp", "org_acme_corp"),
        ("ＡＣＭＥ Corp", "acme_corp", "org_acme_corp"),
        ("Straße GmbH", "strasse_gmbh", "org_strasse_gmbh"),
        (
            "Café Zürich",
            "café_zürich",
            "org_cafe_zurich-49508bb91250d12b",
        ),
        ("東京", "東京", "org_u-130016b2599bf7e5"),
        ("Москва", "москва", "org_u-4ed0608556890f1d"),
    ];
    for (raw, key, collection) in cases {
        let name = TenantName::parse(raw, DB).unwrap();
        assert_eq!((name.key(), name.collection()), (key, collection), "{raw}");
    }
}
