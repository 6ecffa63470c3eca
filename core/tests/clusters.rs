//! Several clusters: the catalog on the home cluster, tenants' data placed on others
//! (explicitly, by tag, or on the emptiest), each cluster's own data untouched, and a
//! cluster that is down failing only its own tenants' calls.

mod common;
use std::time::{Duration, Instant};

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::mongodb::Client;
use tenantry::{
    Cluster, Layout, PlacementPolicy, TenantManager, TenantOptions, DEFAULT_COLLECTION,
    HOME_CLUSTER,
};

async fn client(uri: &str) -> Client {
    Client::with_uri_str(uri).await.unwrap()
}

#[tokio::test]
async fn tenants_live_on_the_cluster_they_are_placed_on() {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    let (two, three) = (client(&cluster_uri(2)).await, client(&cluster_uri(3)).await);
    // Data on cluster two that no tenant owns, named like a tenant's collection.
    let foreign: Vec<Document> = (0..20)
        .map(|i| doc! { "_id": i, "owner": "someone else" })
        .collect();
    two.database(&t.name)
        .collection::<Document>("org_moved_away")
        .insert_many(&foreign)
        .await
        .unwrap();
    let config = t
        .config()
        .cluster(Cluster::new("two", cluster_uri(2)).tag("eu"))
        .cluster(Cluster::new("three", cluster_uri(3)).tag("eu").tag("us"))
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();

    // Explicitly, by tag, and by default (the home cluster).
    let a = m
        .create_tenant_with(
            "On Two",
            "a@two.io",
            PASSWORD,
            TenantOptions::new().cluster("two"),
        )
        .await
        .unwrap();
    assert_eq!(a.cluster, "two");
    let b = m
        .create_tenant_with(
            "By Tag",
            "b@us.io",
            PASSWORD,
            TenantOptions::new().tag("us"),
        )
        .await
        .unwrap();
    assert_eq!(b.cluster, "three");
    let h = m
        .create_tenant("At Home", "h@home.io", PASSWORD)
        .await
        .unwrap();
    assert_eq!(h.cluster, HOME_CLUSTER);
    // The tag `eu` goes to its emptiest cluster: two and three hold one each; ties go by name.
    let c = m
        .create_tenant_with(
            "Eu One",
            "c@eu.io",
            PASSWORD,
            TenantOptions::new().tag("eu"),
        )
        .await
        .unwrap();
    assert_eq!(c.cluster, "three");
    let d = m
        .create_tenant_with(
            "Eu Two",
            "d@eu.io",
            PASSWORD,
            TenantOptions::new().tag("eu"),
        )
        .await
        .unwrap();
    assert_eq!(d.cluster, "two");
    for (options, field) in [
        (TenantOptions::new().cluster("mars"), "cluster"),
        (TenantOptions::new().tag("mars"), "tag"),
    ] {
        let err = m
            .create_tenant_with("Nowhere", "n@n.io", PASSWORD, options)
            .await
            .unwrap_err();
        assert_eq!((err.code(), err.field()), ("INVALID_INPUT", Some(field)));
    }
    assert!(
        m.get_tenant("Nowhere").await.is_err(),
        "nothing half-written"
    );

    // Data written through a scope lands on the tenant's cluster, and only there.
    let claims = login(&m, "a@two.io").await;
    let scope = m.scope(&claims).await.unwrap();
    scope
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap()
        .insert_one(&doc! { "x": 1 })
        .await
        .unwrap();
    let on_two = two.database(&t.name).collection::<Document>("org_on_two");
    assert_eq!(on_two.count_documents(doc! {}).await.unwrap(), 1);
    assert!(!t
        .db()
        .list_collection_names()
        .await
        .unwrap()
        .contains(&"org_on_two".to_owned()));
    // The catalog stays home.
    assert!(two
        .database(&t.name)
        .list_collection_names()
        .await
        .unwrap()
        .iter()
        .all(|c| c != "organizations"));

    // A rename moves the collection on its own cluster, with a tombstone there.
    m.rename_tenant(&claims, "Moved Away Not").await.unwrap();
    let names = two.database(&t.name).list_collection_names().await.unwrap();
    assert!(
        names.contains(&"org_moved_away_not".to_owned())
            && names.contains(&"org_on_two".to_owned())
    );
    let claims = login(&m, "a@two.io").await;
    let renamed = m.scope(&claims).await.unwrap();
    assert_eq!(
        renamed
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap()
            .count_documents(doc! {})
            .await
            .unwrap(),
        1
    );
    // A rename onto a name whose collection holds foreign data on that cluster is refused.
    let err = m.rename_tenant(&claims, "Moved Away").await.unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");

    // Delete removes the tenant's data from its cluster; the foreign data stays.
    m.delete_tenant(&claims).await.unwrap();
    let names = two.database(&t.name).list_collection_names().await.unwrap();
    assert!(
        !names.contains(&"org_moved_away_not".to_owned()),
        "{names:?}"
    );
    let left: Vec<Document> = {
        use futures_util::TryStreamExt;
        two.database(&t.name)
            .collection::<Document>("org_moved_away")
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    assert_eq!(left, foreign);
    let report = m.recover().await.unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    let _ = three; // Cluster three holds b and c.
    t.assert_no_garbage_keys().await;
}

#[tokio::test]
async fn the_fewest_tenants_policy_spreads_them() {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    let config = t
        .config()
        .layout(Layout::Shared)
        .cluster(Cluster::new("two", cluster_uri(2)))
        .cluster(Cluster::new("three", cluster_uri(3)))
        .placement(PlacementPolicy::FewestTenants)
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..9 {
        let tenant = m
            .create_tenant(&format!("Spread {i}"), &format!("s{i}@s.io"), PASSWORD)
            .await
            .unwrap();
        *counts.entry(tenant.cluster).or_insert(0) += 1;
    }
    assert_eq!(
        counts.values().copied().collect::<Vec<_>>(),
        vec![3, 3, 3],
        "{counts:?}"
    );
}

#[tokio::test]
async fn a_cluster_that_is_down_fails_only_its_own_tenants() {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    // Nothing listens on port 9: the cluster is down.
    let down = "mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=400&connectTimeoutMS=400";
    let config = t
        .config()
        .cluster(Cluster::new("down", down))
        .cluster(Cluster::new("two", cluster_uri(2)))
        .operation_lease_for_tests(Duration::from_millis(800))
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let up = m
        .create_tenant_with(
            "Up",
            "up@up.io",
            PASSWORD,
            TenantOptions::new().cluster("two"),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let err = m
        .create_tenant_with(
            "Stranded",
            "s@down.io",
            PASSWORD,
            TenantOptions::new().cluster("down"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "DATABASE");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fails within its timeout"
    );
    assert_eq!(
        m.get_tenant("Stranded").await.unwrap_err().code(),
        "TENANT_NOT_FOUND"
    );
    // Everyone else carries on: home and cluster two.
    m.create_tenant("Home Sweet", "h@h.io", PASSWORD)
        .await
        .unwrap();
    let claims = login(&m, "up@up.io").await;
    let scope = m.scope(&claims).await.unwrap();
    scope
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap()
        .insert_one(&doc! { "ok": true })
        .await
        .unwrap();
    assert_eq!(m.get_tenant("Up").await.unwrap(), up);
    // Recovery reports the stranded tenant and recovers the rest.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let report = m.recover().await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].name, "Stranded");
    assert_eq!(report.failed[0].code, "DATABASE");
}
