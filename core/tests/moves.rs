//! Online moves of a tenant between layouts and clusters: every document (same `_id`s,
//! same content) and index arrives, the source is emptied and refuses stale writes, other
//! tenants and foreign data are untouched, and a writer that keeps writing during the move
//! loses no acknowledged write.

mod common;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures_util::TryStreamExt;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use tenantry::mongodb::options::IndexOptions;
use tenantry::mongodb::{Client, IndexModel};
use tenantry::{
    Cluster, Layout, MoveProgress, MoveTarget, TenantManager, TenantOptions, DEFAULT_COLLECTION,
};

async fn manager(t: &TestDb) -> TenantManager {
    let config = t
        .config()
        .database_timeout(Duration::from_secs(60))
        .cluster(Cluster::new("two", cluster_uri(2)))
        .build()
        .unwrap();
    TenantManager::connect(config).await.unwrap()
}

fn sample(n: i64) -> Vec<Document> {
    sample_from(0, n)
}

fn sample_from(first: i64, n: i64) -> Vec<Document> {
    (first..first + n)
        .map(|i| {
            doc! {
                "_id": if i % 3 == 0 { Bson::Int64(i) } else { Bson::ObjectId(ObjectId::new()) },
                "n": i,
                "email": format!("user{i}@x.io"),
                "nested": { "a": [1, 2, { "b": i }], "when": tenantry::mongodb::bson::DateTime::from_millis(i * 1000) },
                "f": i as f64 / 3.0,
            }
        })
        .collect()
}

#[tokio::test]
async fn moves_between_every_layout_and_cluster_keep_everything() {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    let m = manager(&t).await;
    let by = Bystanders::seed(&t, &m).await;
    // A neighbour in the shared layout, on each cluster.
    let mut neighbours = Vec::new();
    for (i, cluster) in ["home", "two"].into_iter().enumerate() {
        let email = format!("n{i}@n.io");
        m.create_tenant_with(
            &format!("Neighbour {i}"),
            &email,
            PASSWORD,
            TenantOptions::new().layout(Layout::Shared).cluster(cluster),
        )
        .await
        .unwrap();
        let scope = m.admin_scope(&format!("Neighbour {i}")).await.unwrap();
        let docs = sample(30);
        scope
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap()
            .insert_many(&docs)
            .await
            .unwrap();
        neighbours.push(scope);
    }
    let before_neighbours = {
        let mut v = Vec::new();
        for s in &neighbours {
            v.push(scope_documents(s, DEFAULT_COLLECTION).await);
        }
        v
    };

    m.create_tenant("Traveller", "t@t.io", PASSWORD)
        .await
        .unwrap();
    let scope = m.admin_scope("Traveller").await.unwrap();
    let data = sample_from(1000, 400);
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    c.insert_many(&data).await.unwrap();
    let unique = IndexOptions::builder()
        .unique(true)
        .name("email_unique".to_owned())
        .build();
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "email": 1 })
            .options(unique)
            .build(),
    )
    .await
    .unwrap();
    let expected = scope_documents(&scope, DEFAULT_COLLECTION).await;
    let first_namespace = c.namespace();

    let route = [
        MoveTarget::new().layout(Layout::Shared),
        MoveTarget::new().layout(Layout::Database),
        MoveTarget::new().cluster("two"),
        MoveTarget::new().layout(Layout::Shared),
        MoveTarget::new().layout(Layout::Collection).cluster("home"),
        // Back into the shared collection it left at the start: its fence there goes.
        MoveTarget::new().layout(Layout::Shared),
        MoveTarget::new().layout(Layout::Collection),
    ];
    for target in route {
        let label = format!("{target:?}");
        let seen = Arc::new(Mutex::new(Vec::<MoveProgress>::new()));
        let log = seen.clone();
        let moved = m
            .move_tenant_with_progress("Traveller", target.clone(), move |p| {
                log.lock().unwrap().push(p.clone())
            })
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        if let Some(layout) = target.layout {
            assert_eq!(moved.layout, layout, "{label}");
        }
        if let Some(cluster) = &target.cluster {
            assert_eq!(&moved.cluster, cluster, "{label}");
        }
        let scope = m.admin_scope("Traveller").await.unwrap();
        // Writable where it is now (then that write is taken out again).
        let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
        let probe = c
            .insert_one(&doc! { "probe": true })
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        c.delete_one(doc! { "_id": probe.inserted_id })
            .await
            .unwrap();
        assert_eq!(
            scope_documents(&scope, DEFAULT_COLLECTION).await,
            expected,
            "{label}: the documents"
        );
        // The unique index came along (per tenant in the shared layout).
        let err = scope
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap()
            .insert_one(&doc! { "email": "user1001@x.io" })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT", "{label}: unique index");
        let progress = seen.lock().unwrap().clone();
        let last_copy = progress
            .iter()
            .rev()
            .find(|p| p.phase == "copy")
            .expect("copy progress");
        assert_eq!((last_copy.copied, last_copy.total), (400, 400), "{label}");
        let done = progress.last().unwrap();
        assert_eq!(
            (done.phase, done.copied, done.total),
            ("done", 400, 400),
            "{label}"
        );
        by.assert_untouched(&t, &label).await;
        for (s, before) in neighbours.iter().zip(&before_neighbours) {
            assert_eq!(
                &scope_documents(s, DEFAULT_COLLECTION).await,
                before,
                "{label}: a neighbour"
            );
        }
    }
    // A tenant whose `_id`s another tenant of the target shared collection holds cannot
    // move there: refused and undone, and the other tenant's documents stay as they were.
    m.create_tenant("Collider", "c@c.io", PASSWORD)
        .await
        .unwrap();
    let collider = m.admin_scope("Collider").await.unwrap();
    let mine = sample(5);
    collider
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap()
        .insert_many(&mine)
        .await
        .unwrap();
    let err = m
        .move_tenant("Collider", MoveTarget::new().layout(Layout::Shared))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT", "{err}");
    let collider = m.admin_scope("Collider").await.unwrap();
    assert_eq!(collider.layout(), Layout::Collection);
    assert_eq!(
        scope_documents(&collider, DEFAULT_COLLECTION).await.len(),
        5
    );
    for (s, before) in neighbours.iter().zip(&before_neighbours) {
        assert_eq!(
            &scope_documents(s, DEFAULT_COLLECTION).await,
            before,
            "after the refused move: a neighbour"
        );
    }
    // A write through the first, long stale namespace is refused, never lost.
    let stale = t
        .client
        .database(&first_namespace.db)
        .collection::<Document>(&first_namespace.coll);
    assert!(stale.insert_one(doc! { "late": true }).await.is_err());
    let report = m.recover().await.unwrap();
    assert!(
        report.failed.is_empty() && report.swept_keys == 0,
        "{report:?}"
    );
    assert_eq!(
        report.orphan_collections,
        by.foreign_names()[..1],
        "{report:?}"
    );
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
    // Nowhere to go, and nowhere that exists.
    let err = m
        .move_tenant("Traveller", MoveTarget::new())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    let err = m
        .move_tenant("Traveller", MoveTarget::new().cluster("mars"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.field()),
        ("INVALID_INPUT", Some("cluster"))
    );
    assert_eq!(
        m.move_tenant("Nobody", MoveTarget::new().layout(Layout::Shared))
            .await
            .unwrap_err()
            .code(),
        "TENANT_NOT_FOUND"
    );
}

/// Writers keep writing through a scope opened before the move, and through the
/// application's own driver at the namespace they were given; every write acknowledged to
/// either is in the tenant's data afterwards.
async fn writers_lose_nothing(docs: i64, from: Layout, to: MoveTarget) {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    let m = manager(&t).await;
    m.create_tenant_with(
        "Busy",
        "b@b.io",
        PASSWORD,
        TenantOptions::new().layout(from),
    )
    .await
    .unwrap();
    let scope = m.admin_scope("Busy").await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    let bulk: Vec<Document> = (0..docs)
        .map(|i| doc! { "_id": format!("bulk-{i}"), "n": i })
        .collect();
    for chunk in bulk.chunks(10_000) {
        c.insert_many(chunk).await.unwrap();
    }
    let done = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let scope_writer = {
        let (done, acked, c) = (
            done.clone(),
            acked.clone(),
            scope.collection::<Document>(DEFAULT_COLLECTION).unwrap(),
        );
        tokio::spawn(async move {
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                let id = format!("scope-{i}");
                if c.insert_one(&doc! { "_id": &id, "w": "scope" })
                    .await
                    .is_ok()
                {
                    acked.lock().unwrap().insert(id);
                }
                i += 1;
                // A steady writer, not a flood: the server is shared with the move.
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            i
        })
    };
    let raw_writer = (from != Layout::Shared).then(|| {
        let ns = c.namespace();
        let (done, acked) = (done.clone(), acked.clone());
        tokio::spawn(async move {
            let client = Client::with_uri_str(mongo_uri()).await.unwrap();
            let raw = client.database(&ns.db).collection::<Document>(&ns.coll);
            let (mut ok, mut refused) = (0, 0);
            let mut i = 0;
            while !done.load(Ordering::Relaxed) {
                let id = format!("raw-{i}");
                match raw.insert_one(doc! { "_id": &id, "w": "raw" }).await {
                    Ok(_) => {
                        acked.lock().unwrap().insert(id);
                        ok += 1;
                    }
                    Err(_) => refused += 1,
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (ok, refused)
        })
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    m.move_tenant("Busy", to).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    done.store(true, Ordering::Relaxed);
    let scope_writes = scope_writer.await.unwrap();
    let raw = match raw_writer {
        Some(w) => Some(w.await.unwrap()),
        None => None,
    };
    let after = m.admin_scope("Busy").await.unwrap();
    let held: BTreeSet<String> = after
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap()
        .find(doc! {}, None)
        .await
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.get_str("_id").unwrap().to_owned())
        .collect();
    let acked = acked.lock().unwrap().clone();
    let lost: Vec<&String> = acked.difference(&held).collect();
    assert!(
        lost.is_empty(),
        "acknowledged writes lost: {} (e.g. {:?})",
        lost.len(),
        lost.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        bulk.iter()
            .all(|d| held.contains(d.get_str("_id").unwrap())),
        "bulk documents lost"
    );
    println!(
        "move of {docs} documents from {from:?}: {scope_writes} scope writes, raw writes (acknowledged, refused) {raw:?}, {} acknowledged in all, 0 lost",
        acked.len()
    );
}

#[tokio::test]
async fn a_writer_loses_nothing_during_a_move_of_100000_documents() {
    writers_lose_nothing(
        100_000,
        Layout::Collection,
        MoveTarget::new().layout(Layout::Database),
    )
    .await;
}

#[tokio::test]
async fn a_writer_loses_nothing_during_a_move_out_of_shared_to_another_cluster() {
    writers_lose_nothing(
        5_000,
        Layout::Shared,
        MoveTarget::new().layout(Layout::Database).cluster("two"),
    )
    .await;
}

#[tokio::test]
async fn the_tombstones_moves_leave_are_registered_apart_and_swept() {
    let t = TestDb::new().await;
    let config = t
        .config()
        .tombstone_retention(Duration::ZERO)
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let mut databases = Vec::new();
    for i in 0..2 {
        let name = format!("Leaver {i}");
        let options = TenantOptions::new().layout(Layout::Database);
        let tenant = m
            .create_tenant_with(&name, &format!("l{i}@l.io"), PASSWORD, options)
            .await
            .unwrap();
        let scope = m.admin_scope(&name).await.unwrap();
        let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
        // `_id`s of their own: both go to one shared collection.
        c.insert_many(&sample_from(100 * i, 10)).await.unwrap();
        m.move_tenant(&name, MoveTarget::new().layout(Layout::Shared))
            .await
            .unwrap();
        databases.push(tenant.database);
    }
    // Both left a tombstone named `data`, each in its own database: two entries.
    let entries = t
        .raw("tenant_tombstones")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(entries, 2);
    let report = m.recover().await.unwrap();
    assert_eq!(report.swept_tombstones, 2, "{report:?}");
    let left = t.client.list_database_names().await.unwrap();
    for db in &databases {
        assert!(!left.contains(db), "{db} is gone with its last tombstone");
    }
    for i in 0..2 {
        let scope = m.admin_scope(&format!("Leaver {i}")).await.unwrap();
        assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await.len(), 10);
    }
}

/// A tenant that left a shared collection is fenced there; when it moves back, the fence
/// holds until the record points there again. A handle left from its first stay (the
/// application's own driver on `shared_data`) is refused all the while, so no write lands
/// where the record does not point; once the move is over, the same write goes through.
#[tokio::test]
async fn a_shared_fence_holds_until_the_tenant_is_back_in_the_record() {
    use tenantry::failpoints::{Action, Failpoints, Gate};
    let t = TestDb::new().await;
    let fp = Failpoints::new();
    let config = t
        .config()
        .database_timeout(Duration::from_secs(60))
        .failpoints(fp.clone())
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let by = Bystanders::seed(&t, &m).await;
    let shared = TenantOptions::new().layout(Layout::Shared);
    let tenant = m
        .create_tenant_with("Returns", "r@r.io", PASSWORD, shared)
        .await
        .unwrap();
    let scope = m.admin_scope("Returns").await.unwrap();
    let data = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    data.insert_many(&sample(50)).await.unwrap();
    // The application's own handle on the shared collection, kept from the first stay.
    let stale = t
        .client
        .database(&tenant.database)
        .collection::<Document>(&tenant.collection_name);
    let stamped = |n: i32| doc! { "stale": n, tenantry::TENANT_FIELD: tenant.id };
    m.move_tenant("Returns", MoveTarget::new().layout(Layout::Collection))
        .await
        .unwrap();
    assert!(
        stale.insert_one(stamped(1)).await.is_err(),
        "fenced after leaving"
    );
    // Back to shared, paused after the copy (before the fence of the source and the switch).
    let gate = Gate::new();
    fp.arm("move.copy", Action::Pause(gate.clone()));
    let moving = {
        let m = m.clone();
        tokio::spawn(async move {
            m.move_tenant("Returns", MoveTarget::new().layout(Layout::Shared))
                .await
        })
    };
    gate.reached().await;
    assert!(
        stale.insert_one(stamped(2)).await.is_err(),
        "a stale handle wrote into the shared target before the record pointed there"
    );
    gate.release();
    moving.await.unwrap().unwrap();
    let back = scope_documents(&m.admin_scope("Returns").await.unwrap(), DEFAULT_COLLECTION).await;
    assert_eq!(back.len(), 50, "the tenant's documents and nothing else");
    assert!(back.iter().all(|d| !d.contains_key("stale")));
    // Back in the record: the fence is gone.
    stale.insert_one(stamped(3)).await.unwrap();
    by.assert_untouched(&t, "after the return").await;
}

/// The validator of a shared collection: which tenants it fences (its `$nin`).
async fn fenced_in(t: &TestDb, collection: &str) -> Vec<ObjectId> {
    let specs = t
        .client
        .database(&t.name)
        .run_command(doc! { "listCollections": 1, "filter": { "name": collection } })
        .await
        .unwrap();
    let first = specs
        .get_document("cursor")
        .and_then(|c| c.get_array("firstBatch"))
        .unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    let condition = first
        .get_document("options")
        .and_then(|o| o.get_document("validator"))
        .and_then(|v| v.get_document(tenantry::TENANT_FIELD))
        .unwrap()
        .clone();
    condition
        .get_array("$nin")
        .map(|a| a.iter().filter_map(Bson::as_object_id).collect())
        .unwrap_or_default()
}

/// Fences of tenants that left a shared collection are lifted by `recover()` once older
/// than the tombstone retention, and not before; a tenant moving (between its fence and
/// its switch) keeps its fence whatever its age; the neighbours still in the collection
/// are never fenced and their documents are untouched.
#[tokio::test]
async fn fences_in_shared_collections_are_lifted_after_the_retention_only() {
    use tenantry::failpoints::{Action, Failpoints, Gate};
    let t = TestDb::new().await;
    let fp = Failpoints::new();
    let connect = |retention: Duration, fp: Option<Arc<Failpoints>>| {
        let mut config = t.config().tombstone_retention(retention);
        if let Some(fp) = fp {
            config = config.failpoints(fp);
        }
        TenantManager::connect(config.build().unwrap())
    };
    let keeps = connect(Duration::from_secs(3600), Some(fp.clone()))
        .await
        .unwrap();
    let sweeps = connect(Duration::ZERO, None).await.unwrap();
    let by = Bystanders::seed(&t, &keeps).await;
    let shared = || TenantOptions::new().layout(Layout::Shared);
    let mut ids = Vec::new();
    for (i, name) in ["Stays", "Leaves", "Moving"].into_iter().enumerate() {
        let tenant = keeps
            .create_tenant_with(name, &format!("f{i}@f.io"), PASSWORD, shared())
            .await
            .unwrap();
        let scope = keeps.admin_scope(name).await.unwrap();
        let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
        c.insert_many(&sample_from(1000 * i as i64, 20))
            .await
            .unwrap();
        ids.push(tenant.id);
    }
    let collection = "shared_data";
    let stays_before = scope_documents(
        &keeps.admin_scope("Stays").await.unwrap(),
        DEFAULT_COLLECTION,
    )
    .await;
    keeps
        .move_tenant("Leaves", MoveTarget::new().layout(Layout::Collection))
        .await
        .unwrap();
    assert_eq!(fenced_in(&t, collection).await, vec![ids[1]]);
    // Within the retention: kept.
    let report = keeps.recover().await.unwrap();
    assert_eq!(report.swept_fences, 0, "{report:?}");
    assert_eq!(fenced_in(&t, collection).await, vec![ids[1]]);
    // "Moving" is fenced and paused before its verification and switch: a sweep with no
    // retention lifts the fence of "Leaves" and keeps the one of "Moving".
    let gate = Gate::new();
    fp.arm("move.fence", Action::Pause(gate.clone()));
    let moving = {
        let keeps = keeps.clone();
        tokio::spawn(async move {
            keeps
                .move_tenant("Moving", MoveTarget::new().layout(Layout::Database))
                .await
        })
    };
    gate.reached().await;
    let mut fenced = fenced_in(&t, collection).await;
    fenced.sort();
    let mut both = vec![ids[1], ids[2]];
    both.sort();
    assert_eq!(fenced, both);
    let report = sweeps.recover().await.unwrap();
    assert_eq!(report.swept_fences, 1, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(
        fenced_in(&t, collection).await,
        vec![ids[2]],
        "the moving tenant stays fenced"
    );
    gate.release();
    moving.await.unwrap().unwrap();
    // Its move over, its fence goes at the next sweep past the retention.
    let report = sweeps.recover().await.unwrap();
    assert_eq!(report.swept_fences, 1, "{report:?}");
    assert!(fenced_in(&t, collection).await.is_empty());
    // Everyone's data is where it should be.
    assert_eq!(
        scope_documents(
            &keeps.admin_scope("Stays").await.unwrap(),
            DEFAULT_COLLECTION
        )
        .await,
        stays_before
    );
    for name in ["Leaves", "Moving"] {
        let scope = keeps.admin_scope(name).await.unwrap();
        assert_eq!(
            scope_documents(&scope, DEFAULT_COLLECTION).await.len(),
            20,
            "{name}"
        );
    }
    by.assert_untouched(&t, "after the fence sweeps").await;
}
