//! Any bytes as an organization name: a valid namespace or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    match tenantry::TenantName::parse(&raw, "master_db") {
        Ok(name) => {
            let c = name.collection();
            assert!(c.starts_with("org_") && c.is_ascii());
            assert!(!c.contains('$') && !c.contains('\0'));
            assert!("master_db".len() + 1 + c.len() <= tenantry::MAX_NAMESPACE_BYTES);
            assert_eq!(name.key(), tenantry::name_key(&raw));
        }
        Err(e) => assert_eq!(e.code(), "INVALID_INPUT"),
    }
});
