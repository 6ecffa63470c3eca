//! Database faults and what errors show: calls fail fast with a clear `DATABASE` error
//! when the server cannot be reached, and no error carries the driver's topology dump,
//! a collection name or data that is not the caller's.

mod common;
use std::time::{Duration, Instant};

use common::*;
use tenantry::{Config, TenantManager};

#[tokio::test]
async fn an_unreachable_server_fails_fast_with_a_clear_error() {
    // Nothing listens on port 9 (discard) here.
    let config = Config::builder("mongodb://127.0.0.1:9/?directConnection=true", SECRET)
        .database_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = TenantManager::connect(config).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code(), "DATABASE", "{err}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let shown = err.to_string();
    for leak in [
        "127.0.0.1",
        "Topology",
        "topology",
        "9/",
        "directConnection",
    ] {
        assert!(!shown.contains(leak), "{shown:?} shows {leak}");
    }
    assert!(shown.contains("could be reached"), "{shown}");
    // The driver's error stays available to logs, as the source.
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn the_default_database_timeout_is_a_few_seconds() {
    let config = Config::builder("mongodb://localhost", SECRET)
        .build()
        .unwrap();
    assert_eq!(config.database_timeout, Duration::from_secs(5));
    assert_eq!(config.durability, tenantry::Durability::Majority);
    let err = Config::builder("mongodb://localhost", SECRET)
        .operation_lease(Duration::from_secs(1))
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "CONFIG");
    let err = Config::builder("mongodb://localhost", SECRET)
        .operation_lease(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(err.code(), "CONFIG");
}

#[tokio::test]
async fn refusals_name_no_collection_and_show_no_foreign_data() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    t.raw("org_secret_project")
        .insert_one(tenantry::mongodb::bson::doc! { "payload": "classified-value" })
        .await
        .unwrap();
    let err = m
        .create_tenant("Secret Project", "s@s.io", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    let claims = tenant_with_login(&m, "Other", "o@s.io").await;
    let renamed = m
        .rename_tenant(&claims, "Secret Project")
        .await
        .unwrap_err();
    for e in [err, renamed] {
        let shown = format!("{e} {e:?}");
        for leak in ["org_secret_project", "classified-value", "master", &t.name] {
            assert!(!shown.contains(leak), "{shown} shows {leak}");
        }
    }
}
