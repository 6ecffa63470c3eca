//! Any string as a bearer token: claims or `UNAUTHORIZED`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static tenantry::Config {
    static CONFIG: OnceLock<tenantry::Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        tenantry::Config::builder("mongodb://localhost", "fuzzing-secret-0123456789")
            .build()
            .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    if let Err(e) = tenantry::fuzzing::decode_token(config(), &token) {
        assert_eq!(e.code(), "UNAUTHORIZED");
    }
});
