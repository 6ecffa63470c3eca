//! Layouts per tenant (`collection`, `database`, `shared`) and stable physical names:
//! create, rename and delete in each, beside tenants of the other layouts, other tenants
//! of the same layout and collections no tenant owns, whose data must stay untouched.

mod common;
use common::*;
use futures_util::TryStreamExt;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Binary, Document};
use tenantry::mongodb::Client;
use tenantry::{Layout, Naming, TenantManager, TenantOptions, DEFAULT_COLLECTION};

/// The UUID of a collection (its identity: unchanged by a metadata-only rename).
async fn uuid(client: &Client, db: &str, name: &str) -> Option<Binary> {
    let specs: Vec<_> = client
        .database(db)
        .list_collections()
        .filter(doc! { "name": name })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    specs.into_iter().find_map(|s| s.info.uuid)
}

async fn create_in(
    m: &TenantManager,
    name: &str,
    email: &str,
    options: TenantOptions,
) -> tenantry::Claims {
    m.create_tenant_with(name, email, PASSWORD, options)
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
    login(m, email).await
}

fn notes(n: i64, who: &str) -> Vec<Document> {
    (0..n)
        .map(|i| doc! { "_id": ObjectId::new(), "who": who, "n": i })
        .collect()
}

#[tokio::test]
async fn every_layout_lives_a_full_life_beside_the_others() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let by = Bystanders::seed(&t, &m).await;
    // A tenant of each layout that is not the subject, with data.
    let mut neighbours = Vec::new();
    for (i, layout) in Layout::ALL.into_iter().enumerate() {
        let claims = create_in(
            &m,
            &format!("Neighbour {i}"),
            &format!("n{i}@by.io"),
            TenantOptions::new().layout(layout),
        )
        .await;
        let scope = m.scope(&claims).await.unwrap();
        let docs = notes(25, &format!("neighbour-{i}"));
        scope
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap()
            .insert_many(&docs)
            .await
            .unwrap();
        neighbours.push((scope, docs));
    }

    let subjects = [
        (
            TenantOptions::new().layout(Layout::Collection),
            "collection/slug",
        ),
        (
            TenantOptions::new()
                .layout(Layout::Collection)
                .naming(Naming::Stable),
            "collection/stable",
        ),
        (TenantOptions::new().layout(Layout::Database), "database"),
        (TenantOptions::new().layout(Layout::Shared), "shared"),
    ];
    for (i, (options, label)) in subjects.into_iter().enumerate() {
        let email = format!("subject{i}@acme.io");
        let claims = create_in(&m, &format!("Subject {i}"), &email, options.clone()).await;
        let tenant = m.get_tenant(&format!("Subject {i}")).await.unwrap();
        let scope = m.scope(&claims).await.unwrap();
        assert_eq!(scope.layout(), options.layout.unwrap(), "{label}");
        let data = notes(30, label);
        scope
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap()
            .insert_many(&data)
            .await
            .unwrap();
        let extra = notes(5, label);
        if scope.layout() != Layout::Collection {
            scope
                .collection::<Document>("notes")
                .unwrap()
                .insert_many(&extra)
                .await
                .unwrap();
        } else {
            let err = scope.collection::<Document>("notes").unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT", "{label}");
        }
        let identity = uuid(&t.client, &tenant.database, &tenant.collection_name).await;
        assert!(
            identity.is_some(),
            "{label}: the tenant's collection exists"
        );

        // Rename: the data follows; without slug names nothing moves at all.
        let renamed = m
            .rename_tenant(&claims, &format!("Renamed {i}"))
            .await
            .unwrap();
        let moves = label == "collection/slug";
        assert_eq!(
            renamed.collection_name != tenant.collection_name,
            moves,
            "{label}"
        );
        assert_eq!(renamed.database, tenant.database, "{label}");
        if !moves {
            assert_eq!(
                uuid(&t.client, &tenant.database, &tenant.collection_name).await,
                identity,
                "{label}: a rename of a stable name is the record's alone"
            );
        }
        let claims = login(&m, &email).await;
        let scope = m.scope(&claims).await.unwrap();
        assert_eq!(
            scope_documents(&scope, DEFAULT_COLLECTION).await,
            data,
            "{label}: data after rename"
        );
        if scope.layout() != Layout::Collection {
            assert_eq!(scope_documents(&scope, "notes").await, extra, "{label}");
        }

        // Delete: the tenant's data goes, nobody else's.
        m.delete_tenant(&claims).await.unwrap();
        match scope.layout() {
            Layout::Database => {
                let dbs = t.client.list_database_names().await.unwrap();
                assert!(!dbs.contains(&tenant.database), "{label}: database dropped");
            }
            Layout::Shared => {
                let left = t
                    .client
                    .database(&tenant.database)
                    .collection::<Document>("shared_data")
                    .count_documents(doc! { "_tenant": tenant.id })
                    .await
                    .unwrap();
                assert_eq!(left, 0, "{label}: the tenant's documents removed");
            }
            _ => {
                let names = t.db().list_collection_names().await.unwrap();
                assert!(
                    !names.contains(&renamed.collection_name),
                    "{label}: dropped"
                );
            }
        }
        by.assert_untouched(&t, label).await;
        for (scope, docs) in &neighbours {
            assert_eq!(
                &scope_documents(scope, DEFAULT_COLLECTION).await,
                docs,
                "{label}: neighbour"
            );
        }
    }
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn a_foreign_collection_at_a_shared_name_is_never_adopted() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let mut by = Bystanders::seed(&t, &m).await;
    by.add_foreign(&t, "shared_data", notes(10, "foreign"))
        .await;
    let err = m
        .create_tenant_with(
            "Shared One",
            "s1@acme.io",
            PASSWORD,
            TenantOptions::new().layout(Layout::Shared),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    by.assert_untouched(&t, "refused shared create").await;
    assert_eq!(t.count("organizations").await, 2, "nothing half-written");
    // The foreign collection got no index of ours either.
    let indexes = t.raw("shared_data").list_index_names().await.unwrap();
    assert_eq!(indexes, vec!["_id_"]);
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn the_database_layout_gives_each_tenant_a_database_of_its_own() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = create_in(
        &m,
        "Dbco",
        "a@dbco.io",
        TenantOptions::new().layout(Layout::Database),
    )
    .await;
    let scope = m.scope(&claims).await.unwrap();
    let db = scope.database().to_owned();
    assert!(db.starts_with("tenant_"));
    assert_eq!(
        t.client
            .database(&db)
            .list_collection_names()
            .await
            .unwrap(),
        vec!["data"]
    );
}

#[tokio::test]
async fn tenants_data_lives_apart_from_the_catalog() {
    let t = TestDb::new().await;
    let data_db = format!("{}_data", t.name);
    let config = t.config().tenants_db(&data_db).build().unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    for (i, layout) in [Layout::Collection, Layout::Shared].into_iter().enumerate() {
        let claims = create_in(
            &m,
            &format!("Apart {i}"),
            &format!("a{i}@apart.io"),
            TenantOptions::new().layout(layout),
        )
        .await;
        let scope = m.scope(&claims).await.unwrap();
        assert_eq!(scope.database(), data_db);
        scope
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap()
            .insert_one(&doc! { "x": i as i64 })
            .await
            .unwrap();
    }
    let mut catalog = t.db().list_collection_names().await.unwrap();
    catalog.sort();
    assert!(
        catalog
            .iter()
            .all(|c| !c.starts_with("org_") && !c.starts_with("shared_")),
        "no tenant data in the catalog: {catalog:?}"
    );
    assert!(catalog.contains(&"admin_users".to_owned()));
    let mut data = t
        .client
        .database(&data_db)
        .list_collection_names()
        .await
        .unwrap();
    data.sort();
    assert_eq!(data, vec!["org_apart_0", "shared_data"]);
    assert!(
        !data.contains(&"admin_users".to_owned()),
        "no credentials beside the data"
    );
    // Renames and recovery work across the two databases.
    let report = m.recover().await.unwrap();
    assert!(report.orphan_collections.is_empty(), "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
}

#[tokio::test]
async fn stable_names_make_a_rename_metadata_only_whatever_the_data_size() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = create_in(
        &m,
        "Big Data",
        "big@data.io",
        TenantOptions::new().naming(Naming::Stable),
    )
    .await;
    let scope = m.scope(&claims).await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    c.insert_many(&notes(2000, "big")).await.unwrap();
    let before = t.documents(&c.namespace().coll).await;
    let name = c.namespace().coll.clone();
    assert_eq!(name, format!("org_{}", claims.tenant_id().to_hex()));
    let identity = uuid(&t.client, &t.name, &name).await;
    m.rename_tenant(&claims, "Bigger Data").await.unwrap();
    assert_eq!(uuid(&t.client, &t.name, &name).await, identity);
    assert_eq!(t.documents(&name).await, before);
    assert!(
        t.tombstones().await.is_empty(),
        "no tombstone: nothing moved"
    );
    // The old name is free again at once; the new one is taken.
    m.create_tenant("Big Data", "other@data.io", PASSWORD)
        .await
        .unwrap();
    let err = m
        .create_tenant("bigger-data", "third@data.io", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
    t.assert_no_garbage_keys().await;
}

#[tokio::test]
async fn layout_and_naming_come_from_the_configuration_by_default() {
    let t = TestDb::new().await;
    let config = t.config().layout(Layout::Shared).build().unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let tenant = m
        .create_tenant("Defaulted", "d@d.io", PASSWORD)
        .await
        .unwrap();
    assert_eq!(tenant.layout, Layout::Shared);
    assert_eq!(tenant.collection_name, "shared_data");
    assert_eq!(m.get_tenant("defaulted").await.unwrap(), tenant);
    let settings = tenantry::Settings::from_lookup(|k| match k {
        "TENANT_LAYOUT" => Some("tables".into()),
        "JWT_SECRET" => Some(SECRET.into()),
        _ => None,
    })
    .unwrap();
    let err = settings.into_config().unwrap_err();
    assert_eq!(err.code(), "CONFIG");
    assert!(err.to_string().contains("tenant_layout"), "{err}");
}
