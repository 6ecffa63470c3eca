//! Invariant 1: two tenants never share a collection; uniqueness is decided on the
//! normalized key by unique indexes; invalid names are refused before any write.

mod common;
use common::*;
use tenantry::mongodb::bson::doc;

#[tokio::test]
async fn spelling_variants_are_one_tenant() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let acme = m
        .create_tenant("Acme Corp", "a@acme.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(acme.collection_name, "org_acme_corp");
    for (i, variant) in ["acme-corp", "ACME  CORP", "ＡＣＭＥ Corp", " acme_corp! "]
        .iter()
        .enumerate()
    {
        let err = m
            .create_tenant(variant, &format!("v{i}@acme.com"), PASSWORD)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "TENANT_ALREADY_EXISTS", "{variant}");
        assert_eq!(err.field(), Some("name"));
        assert_eq!(m.get_tenant(variant).await.unwrap().id, acme.id);
    }
    assert_eq!(t.tenant_collections().await, vec!["org_acme_corp"]);
    assert_eq!(t.count("organizations").await, 1);
    assert_eq!(t.count("admin_users").await, 1);
}

/// A create in flight is invisible to every lookup (its record is `creating`), yet its name
/// and email are already taken: uniqueness rests on the key documents the server keeps
/// unique, not on looking for an existing tenant first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uniqueness_holds_before_any_lookup_can_see_the_tenant() {
    use tenantry::failpoints::{Action, Failpoints, Gate};
    let t = TestDb::new().await;
    let fp = Failpoints::new();
    let slow = tenantry::TenantManager::connect(t.config().failpoints(fp.clone()).build().unwrap())
        .await
        .unwrap();
    let m = t.manager().await;
    let gate = Gate::new();
    fp.arm("create.collection", Action::Pause(gate.clone()));
    let first = tokio::spawn(async move {
        slow.create_tenant("Acme Corp", "a@acme.com", PASSWORD)
            .await
    });
    gate.reached().await;
    assert!(m.get_tenant("Acme Corp").await.is_err(), "not visible yet");
    let same_name = m
        .create_tenant("ACME corp", "other@acme.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (same_name.code(), same_name.field()),
        ("TENANT_ALREADY_EXISTS", Some("name"))
    );
    let same_email = m
        .create_tenant("Globex", "A@ACME.com", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        (same_email.code(), same_email.field()),
        ("TENANT_ALREADY_EXISTS", Some("email"))
    );
    gate.release();
    first.await.unwrap().unwrap();
    assert_eq!(t.count("organizations").await, 1);
    t.assert_no_garbage_keys().await;
}

#[tokio::test]
async fn non_latin_names_get_distinct_valid_collections() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = [
        "東京",
        "大阪",
        "Москва",
        "Café Zürich",
        "Cafe Zurich",
        "مرحبا",
        "Ωmega",
    ];
    let mut collections = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let tenant = m
            .create_tenant(name, &format!("admin{i}@x.io"), PASSWORD)
            .await
            .unwrap();
        assert!(
            tenant.collection_name.is_ascii(),
            "{}",
            tenant.collection_name
        );
        assert_eq!(m.get_tenant(name).await.unwrap().id, tenant.id);
        // The collection is real and usable.
        t.raw(&tenant.collection_name)
            .insert_one(doc! { "ok": 1 })
            .await
            .unwrap();
        collections.push(tenant.collection_name);
    }
    collections.sort();
    collections.dedup();
    assert_eq!(collections.len(), names.len());
    assert_eq!(t.tenant_collections().await, collections);
    // Case variants of non-Latin names are the same tenant.
    let err = m
        .create_tenant("москва", "dup@x.io", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
}

#[tokio::test]
async fn invalid_names_are_refused_before_any_write() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let long = "n".repeat(250);
    for bad in [
        "",
        "  ",
        "nul\0byte",
        "cash$",
        "$where",
        "system.profile",
        "?!",
        &long,
        "tab\tname",
    ] {
        let err = m.create_tenant(bad, "a@b.io", PASSWORD).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT", "{bad:?}");
        assert_eq!(err.field(), Some("name"), "{bad:?}");
        assert_eq!(m.get_tenant(bad).await.unwrap_err().code(), "INVALID_INPUT");
    }
    assert_eq!(t.count("organizations").await, 0);
    assert_eq!(t.count("admin_users").await, 0);
    assert!(t.tenant_collections().await.is_empty());
}

#[tokio::test]
async fn namespace_limit_depends_on_the_database_name() {
    let t = TestDb::new().await;
    // The longest database name MongoDB allows, so the namespace limit bites first.
    let db = format!("{}{}", t.name, "x".repeat(63 - t.name.len()));
    let m = tenantry::TenantManager::connect(t.config().master_db(&db).build().unwrap())
        .await
        .unwrap();
    let longest_ok = "a".repeat(tenantry::MAX_NAMESPACE_BYTES - db.len() - 1 - "org_".len());
    let tenant = m
        .create_tenant(&longest_ok, "a@b.io", PASSWORD)
        .await
        .unwrap();
    assert_eq!(tenant.namespace().len(), tenantry::MAX_NAMESPACE_BYTES);
    let too_long = format!("{longest_ok}b");
    let err = m
        .create_tenant(&too_long, "b@b.io", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(err.to_string().contains("namespace"), "{err}");
    t.client.database(&db).drop().await.unwrap();
}
