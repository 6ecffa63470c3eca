//! Invariant 9: every write acknowledged through a handle or a collection name the library
//! gave out survives renames. Writers keep inserting while the tenant is renamed 20 times
//! by another manager: through the library's handle (which follows the tenant), and with a
//! plain driver collection taken by name, as a Python or Node application does with its own
//! driver (re-resolved only when a write is refused). Every acknowledged insert ends in the
//! tenant's final collection, and no collection is left that no tenant owns.

mod common;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use tenantry::mongodb::bson::{doc, Bson, Document};
use tenantry::{Claims, TenantManager};

/// Renames per run: 20, or `TENANTRY_RENAMES` (`make soak` runs more).
fn renames() -> usize {
    std::env::var("TENANTRY_RENAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// Inserts through the library's handle until told to stop; the acknowledged ids.
async fn handle_writer(
    m: TenantManager,
    claims: Claims,
    stop: Arc<AtomicBool>,
) -> (Vec<Bson>, usize) {
    let handle = m.tenant_collection::<Document>(&claims).await.unwrap();
    let (mut acked, mut refused) = (Vec::new(), 0);
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let id = Bson::String(format!("handle-{i}"));
        match handle.insert_one(&doc! { "_id": id.clone() }).await {
            Ok(_) => acked.push(id),
            Err(e) => {
                // Refused while a rename waited too long: retryable, never lost.
                assert_eq!(e.code(), "DATABASE", "{e}");
                refused += 1;
            }
        }
        i += 1;
    }
    (acked, refused)
}

/// Inserts through a driver collection taken by name, re-resolved from the library only
/// when the server refuses a write (the tombstone's error 121), as an application with its
/// own driver would.
async fn name_writer(
    m: TenantManager,
    t_name: String,
    claims: Claims,
    stop: Arc<AtomicBool>,
) -> (Vec<Bson>, usize) {
    let client = tenantry::mongodb::Client::with_uri_str(mongo_uri())
        .await
        .unwrap();
    let db = client.database(&t_name);
    let mut name = m
        .tenant_collection::<Document>(&claims)
        .await
        .unwrap()
        .name();
    let (mut acked, mut refused) = (Vec::new(), 0);
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let id = Bson::String(format!("name-{i}"));
        match db
            .collection::<Document>(&name)
            .insert_one(doc! { "_id": id.clone() })
            .await
        {
            Ok(_) => {
                acked.push(id);
                i += 1;
            }
            Err(e) => {
                assert!(
                    e.to_string().contains("121") || e.to_string().contains("validation"),
                    "{e}"
                );
                refused += 1;
                name = m
                    .tenant_collection::<Document>(&claims)
                    .await
                    .unwrap()
                    .name();
            }
        }
    }
    (acked, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_during_renames_all_land_in_the_final_collection() {
    let t = TestDb::new().await;
    let (m, renamer) = (t.manager().await, t.second_manager().await);
    let bystanders = Bystanders::seed(&t, &m).await;
    let claims = tenant_with_login(&m, "Writer 0", "writer@w.io").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writers = [
        tokio::spawn(handle_writer(m.clone(), claims.clone(), stop.clone())),
        tokio::spawn(name_writer(
            m.clone(),
            t.name.clone(),
            claims.clone(),
            stop.clone(),
        )),
    ];
    let mut current = "Writer 0".to_owned();
    let renames = renames();
    for round in 1..=renames {
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        let next = format!("Writer {round}");
        renamer.rename_tenant(&claims, &next).await.unwrap();
        current = next;
    }
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    stop.store(true, Ordering::Relaxed);
    // Writes the test server let into a tombstone as it was put in place (if any) are moved
    // by recovery; the figure says how many needed it.
    let report = m.recover().await.unwrap();
    println!(
        "recovery moved {} documents out of tombstones",
        report.moved_documents
    );
    let final_collection = m.get_tenant(&current).await.unwrap().collection_name;
    let stored: Vec<Bson> = t
        .documents(&final_collection)
        .await
        .into_iter()
        .map(|d| d.get("_id").unwrap().clone())
        .collect();
    let mut total = 0;
    for (writer, task) in ["handle", "name"].into_iter().zip(writers) {
        let (acked, refused) = task.await.unwrap();
        let lost: Vec<&Bson> = acked.iter().filter(|id| !stored.contains(id)).collect();
        assert!(
            lost.is_empty(),
            "{writer}: {} acknowledged inserts lost: {lost:?}",
            lost.len()
        );
        println!(
            "{writer} writer: {} inserts acknowledged over {renames} renames, {refused} refused and retried, 0 lost",
            acked.len()
        );
        assert!(!acked.is_empty());
        total += acked.len();
    }
    assert_eq!(stored.len(), total, "documents nobody acknowledged");
    // No collection nobody owns: the old names are tombstones, empty.
    assert_eq!(
        report.orphan_collections,
        vec!["org_not_a_tenant"],
        "{report:?}"
    );
    assert_eq!(t.tombstones().await.len(), renames);
    bystanders.assert_untouched(&t, "writers").await;
    t.assert_no_garbage_keys_beside(&bystanders.foreign_names())
        .await;
}
