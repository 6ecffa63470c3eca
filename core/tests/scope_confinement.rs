//! The `shared` layout's confinement, as a property: random operations (reads, writes,
//! bulk writes, aggregations, index creation; hostile ones among them) through two tenants'
//! scopes on the same shared collections never read a document of the other tenant, never
//! change or remove one, and never leave a document without its tenant's stamp. Then bulk
//! writes in detail: every kind of write confined, a refused write refusing the whole bulk
//! before anything is written, the same results in the `collection` layout, MongoDB's
//! `ordered`, and a tenant renamed under a scope's feet.

mod common;
use std::collections::BTreeMap;

use common::*;
use futures_util::TryStreamExt;
use proptest::prelude::*;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use tenantry::mongodb::options::UpdateModifications;
use tenantry::mongodb::IndexModel;
use tenantry::{
    Layout, ScopedBulkResult, ScopedCollection, ScopedWrite, TenantOptions, TenantScope,
};

struct World {
    t: TestDb,
    scopes: [TenantScope; 2],
    ids: [ObjectId; 2],
}

async fn world() -> World {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let mut scopes = Vec::new();
    for who in ["a", "b"] {
        let email = format!("{who}@shared.io");
        m.create_tenant_with(
            &format!("Tenant {who}"),
            &email,
            PASSWORD,
            TenantOptions::new().layout(Layout::Shared),
        )
        .await
        .unwrap();
        let token = m.authenticate(&email, PASSWORD).await.unwrap();
        let claims = m.verify_token(&token.access_token).await.unwrap();
        scopes.push(m.scope(&claims).await.unwrap());
    }
    let scopes: [TenantScope; 2] = scopes.try_into().unwrap();
    let ids = [scopes[0].tenant_id(), scopes[1].tenant_id()];
    World { t, scopes, ids }
}

const LOGICAL: [&str; 2] = ["data", "notes"];

/// Every document of the shared collections, by (collection, `_id`).
async fn raw_state(t: &TestDb) -> BTreeMap<(String, String), Document> {
    let mut state = BTreeMap::new();
    for logical in LOGICAL {
        let physical = format!("shared_{logical}");
        for d in t.documents(&physical).await {
            state.insert((physical.clone(), format!("{}", d.get("_id").unwrap())), d);
        }
    }
    state
}

fn stamp(d: &Document) -> Option<ObjectId> {
    d.get_object_id("_tenant").ok()
}

/// A filter from a small grammar that includes attempts to reach the other tenant.
fn filter(variant: u8, k: i64, other: ObjectId, known: &[Bson]) -> Document {
    match variant % 8 {
        0 => doc! {},
        1 => doc! { "n": { "$gte": k } },
        2 => doc! { "_tenant": other },
        3 => doc! { "$or": [{ "_tenant": other }, { "n": k }] },
        4 => match known.get(k as usize % known.len().max(1)) {
            Some(id) => doc! { "_id": id.clone() },
            None => doc! { "n": k },
        },
        5 => doc! { "$expr": { "$eq": ["$_tenant", other] } },
        6 => doc! { "_tenant": { "$exists": true } },
        _ => doc! { "$nor": [{ "_tenant": { "$exists": true } }] },
    }
}

fn update(variant: u8, k: i64, other: ObjectId) -> UpdateModifications {
    match variant % 8 {
        0 => doc! { "$set": { "tag": k } }.into(),
        1 => doc! { "$inc": { "n": 1 } }.into(),
        2 => doc! { "$set": { "_tenant": other } }.into(),
        3 => doc! { "$unset": { "_tenant": "" } }.into(),
        4 => doc! { "$rename": { "n": "_tenant" } }.into(),
        5 => vec![doc! { "$set": { "_tenant": other, "piped": k } }].into(),
        6 => vec![doc! { "$replaceWith": { "only": k } }].into(),
        _ => doc! { "$setOnInsert": { "_tenant": other } }.into(),
    }
}

fn pipeline(variant: u8, k: i64, other: ObjectId) -> Vec<Document> {
    match variant % 7 {
        0 => vec![
            doc! { "$match": { "n": { "$gte": k } } },
            doc! { "$sort": { "n": 1 } },
        ],
        1 => vec![doc! { "$match": { "_tenant": other } }],
        2 => vec![doc! { "$lookup": { "from": "shared_data", "pipeline": [], "as": "all" } }],
        3 => vec![doc! { "$unionWith": "shared_notes" }],
        4 => vec![doc! { "$facet": { "x": [{ "$unionWith": "shared_data" }] } }],
        5 => vec![doc! { "$project": { "n": 1, "_tenant": 1 } }],
        _ => vec![doc! { "$out": "stolen" }],
    }
}

/// One operation through `scope`; the `_id`s of the documents it read.
async fn apply(
    t: &TestDb,
    c: &ScopedCollection<Document>,
    kind: u8,
    variant: u8,
    k: i64,
    other: ObjectId,
    known: &[Bson],
) -> Vec<Bson> {
    let mut read = Vec::new();
    let f = filter(variant, k, other, known);
    match kind % 12 {
        0 => {
            let mut docs: Vec<Document> = (0..(k % 3 + 1))
                .map(|i| doc! { "_id": ObjectId::new(), "n": k + i })
                .collect();
            if variant.is_multiple_of(4) {
                docs[0].insert("_tenant", other); // a forged stamp: refused, nothing written
                assert!(c.insert_many(&docs).await.is_err());
            } else {
                c.insert_many(&docs).await.unwrap();
            }
        }
        1 => {
            let docs: Vec<Document> = c.find(f, None).await.unwrap().try_collect().await.unwrap();
            read.extend(docs.iter().filter_map(|d| d.get("_id").cloned()));
        }
        2 => {
            if let Some(d) = c.find_one(f).await.unwrap() {
                read.extend(d.get("_id").cloned());
            }
        }
        3 => {
            let _ = c.count_documents(f).await.unwrap();
        }
        4 => {
            let values = c.distinct("_tenant", f).await.unwrap();
            assert!(
                values.iter().all(|v| v.as_object_id() != Some(other)),
                "{values:?}"
            );
        }
        5 => {
            let _ = c
                .update_one(f, update(variant / 2 + k as u8, k, other))
                .await;
        }
        6 => {
            let _ = c
                .update_many(f, update(variant / 2 + k as u8, k, other))
                .await;
        }
        7 => {
            let _ = c
                .upsert_one(doc! { "n": 1000 + k }, update(variant / 2, k, other))
                .await;
        }
        8 => {
            let mut replacement = doc! { "replaced": k };
            if variant.is_multiple_of(3) {
                replacement.insert("_tenant", other);
            }
            let _ = c.replace_one(f, &replacement).await;
        }
        9 => {
            if variant.is_multiple_of(2) {
                let _ = c.delete_one(f).await.unwrap();
            } else {
                let _ = c.delete_many(f).await.unwrap();
            }
        }
        11 => {
            // A bulk of every kind of write from the same grammars, hostile ones among them;
            // `before` is what a refused bulk must leave exactly as it was.
            let mut insert = doc! { "_id": ObjectId::new(), "n": k };
            if variant.is_multiple_of(5) {
                insert.insert("_tenant", other);
            }
            let mut replacement = doc! { "replaced": k };
            if variant.is_multiple_of(7) {
                replacement.insert("_tenant", other);
            }
            let (v, u) = (variant.wrapping_add(k as u8), variant / 2 + k as u8);
            let mut writes = vec![
                ScopedWrite::InsertOne(insert),
                ScopedWrite::UpdateMany {
                    filter: f,
                    update: update(u, k, other),
                    upsert: false,
                },
                ScopedWrite::DeleteOne {
                    filter: filter(v.wrapping_add(3), k, other, known),
                },
                ScopedWrite::UpdateOne {
                    filter: doc! { "n": 2000 + k },
                    update: update(u.wrapping_add(1), k, other),
                    upsert: true,
                },
                ScopedWrite::ReplaceOne {
                    filter: filter(v.wrapping_add(1), k, other, known),
                    replacement,
                    upsert: variant.is_multiple_of(3),
                },
                ScopedWrite::DeleteMany {
                    filter: filter(v.wrapping_add(5), k, other, known),
                },
            ];
            let len = writes.len();
            writes.rotate_left(variant as usize % len);
            writes.truncate(1 + (k as usize + variant as usize) % len);
            let before = raw_state(t).await;
            match c.bulk_write(writes, variant % 4 < 2).await {
                Ok(_) => {}
                Err(e) if e.code() == "INVALID_INPUT" => {
                    assert_eq!(raw_state(t).await, before, "a refused bulk wrote: {e}");
                }
                // A write the server refused (an upsert whose filter names the stamp twice).
                Err(e) => assert_eq!(e.code(), "DATABASE", "{e}"),
            }
        }
        _ => match c.aggregate(pipeline(variant, k, other)).await {
            Ok(stream) => {
                let docs: Vec<Document> = stream.try_collect().await.unwrap();
                read.extend(docs.iter().filter_map(|d| d.get("_id").cloned()));
            }
            Err(e) => assert_eq!(e.code(), "INVALID_INPUT"),
        },
    }
    read
}

fn check(
    before: &BTreeMap<(String, String), Document>,
    after: &BTreeMap<(String, String), Document>,
    me: ObjectId,
    physical: &str,
    read: &[Bson],
) {
    for ((coll, id), d) in before {
        if stamp(d) != Some(me) {
            assert_eq!(
                after.get(&(coll.clone(), id.clone())),
                Some(d),
                "another tenant's document changed"
            );
        }
    }
    for (key, d) in after {
        let s = stamp(d).unwrap_or_else(|| panic!("unstamped document {d}"));
        if !before.contains_key(key) {
            assert_eq!(s, me, "a document was written for another tenant: {d}");
        }
    }
    for id in read {
        let key = (physical.to_owned(), format!("{id}"));
        let d = after.get(&key).or_else(|| before.get(&key));
        if let Some(d) = d {
            assert_eq!(stamp(d), Some(me), "read another tenant's document {d}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn no_operation_through_one_scope_reaches_the_other(
        ops in prop::collection::vec((0u8..2, 0u8..2, 0u8..12, 0u8..16, 0i64..6), 1..14)
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let w = world().await;
            // Each tenant starts with documents in both collections, some with equal fields.
            for (i, scope) in w.scopes.iter().enumerate() {
                for logical in LOGICAL {
                    let c = scope.collection::<Document>(logical).unwrap();
                    let docs: Vec<Document> = (0..4).map(|n| doc! { "n": n, "owner": i as i64 }).collect();
                    c.insert_many(&docs).await.unwrap();
                }
            }
            for (who, logical, kind, variant, k) in ops {
                let (me, other) = (w.ids[who as usize], w.ids[1 - who as usize]);
                let logical = LOGICAL[logical as usize];
                let c = w.scopes[who as usize].collection::<Document>(logical).unwrap();
                let before = raw_state(&w.t).await;
                let known: Vec<Bson> = before.values().filter_map(|d| d.get("_id").cloned()).collect();
                let read = apply(&w.t, &c, kind, variant, k, other, &known).await;
                let after = raw_state(&w.t).await;
                check(&before, &after, me, &format!("shared_{logical}"), &read);
            }
        });
    }
}

#[tokio::test]
async fn unique_indexes_are_unique_per_tenant() {
    let w = world().await;
    let [a, b] = &w.scopes;
    let (ca, cb) = (
        a.collection::<Document>("users").unwrap(),
        b.collection::<Document>("users").unwrap(),
    );
    let unique = tenantry::mongodb::options::IndexOptions::builder()
        .unique(true)
        .build();
    let index = IndexModel::builder()
        .keys(doc! { "email": 1 })
        .options(unique)
        .build();
    ca.create_index(index.clone()).await.unwrap();
    cb.create_index(index).await.unwrap();
    // The same email in two tenants: both stored; twice in one tenant: refused.
    ca.insert_one(&doc! { "email": "x@y.io" }).await.unwrap();
    cb.insert_one(&doc! { "email": "x@y.io" }).await.unwrap();
    let err = ca
        .insert_one(&doc! { "email": "x@y.io" })
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert_eq!(ca.count_documents(doc! {}).await.unwrap(), 1);
    let keys: Vec<Document> =
        w.t.raw("shared_users")
            .list_indexes()
            .await
            .unwrap()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.keys)
            .collect();
    assert!(
        keys.contains(&doc! { "_tenant": 1, "email": 1 }),
        "{keys:?}"
    );
    assert!(
        !keys.contains(&doc! { "email": 1 }),
        "no index across tenants: {keys:?}"
    );
}

#[tokio::test]
async fn change_streams_deliver_only_the_tenants_events() {
    let w = world().await;
    let [a, b] = &w.scopes;
    let (ca, cb) = (
        a.collection::<Document>("data").unwrap(),
        b.collection::<Document>("data").unwrap(),
    );
    let mut stream = ca.watch(vec![]).await.unwrap();
    cb.insert_one(&doc! { "secret": "b" }).await.unwrap();
    cb.update_many(doc! {}, doc! { "$set": { "seen": true } })
        .await
        .unwrap();
    ca.insert_one(&doc! { "mine": "a" }).await.unwrap();
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), stream.try_next())
        .await
        .expect("an event")
        .unwrap()
        .unwrap();
    let full = event.full_document.expect("full document");
    assert_eq!(
        full.get_str("mine").unwrap(),
        "a",
        "the first event is a's own: {full}"
    );
    assert_eq!(stamp(&full), Some(w.ids[0]));
}

/// Seed documents of a tenant: `n` 0 to 3.
async fn seed(c: &ScopedCollection<Document>, owner: &str) {
    let docs: Vec<Document> = (0..4).map(|n| doc! { "n": n, "owner": owner }).collect();
    c.insert_many(&docs).await.unwrap();
}

/// A bulk with every kind of write, none of them hostile, over [`seed`]'s documents.
fn every_kind() -> Vec<ScopedWrite> {
    vec![
        ScopedWrite::InsertOne(doc! { "n": 10 }),
        ScopedWrite::InsertOne(doc! { "n": 11 }),
        ScopedWrite::UpdateMany {
            filter: doc! { "n": { "$lt": 2 } },
            update: doc! { "$set": { "low": true } }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateOne {
            filter: doc! { "n": 50 },
            update: doc! { "$set": { "upserted": true } }.into(),
            upsert: true,
        },
        ScopedWrite::UpdateOne {
            filter: doc! { "n": 2 },
            update: vec![doc! { "$set": { "piped": true } }].into(),
            upsert: false,
        },
        ScopedWrite::ReplaceOne {
            filter: doc! { "n": 3 },
            replacement: doc! { "n": 3, "replaced": true },
            upsert: false,
        },
        ScopedWrite::ReplaceOne {
            filter: doc! { "n": 60 },
            replacement: doc! { "n": 60, "replaced": true },
            upsert: true,
        },
        ScopedWrite::DeleteOne {
            filter: doc! { "n": 10 },
        },
        ScopedWrite::InsertOne(doc! { "n": 12 }),
        ScopedWrite::DeleteMany {
            filter: doc! { "n": { "$gte": 11, "$lt": 12 } },
        },
    ]
}

/// What [`every_kind`] gives (on [`seed`]'s documents).
fn check_every_kind(r: &ScopedBulkResult) {
    assert_eq!(r.inserted_count, 3, "{r:?}");
    let mut inserted: Vec<usize> = r.inserted_ids.keys().copied().collect();
    inserted.sort();
    assert_eq!(inserted, [0, 1, 8], "{r:?}");
    assert_eq!((r.matched_count, r.modified_count), (4, 4), "{r:?}");
    assert_eq!(r.upserted_count, 2, "{r:?}");
    let mut upserted: Vec<usize> = r.upserted_ids.keys().copied().collect();
    upserted.sort();
    assert_eq!(upserted, [3, 6], "{r:?}");
    assert_eq!(r.deleted_count, 2, "{r:?}");
}

/// Documents read through a scope, without their `_id`s, by `n`.
async fn contents(scope: &TenantScope) -> Vec<Document> {
    let mut docs: Vec<Document> = scope_documents(scope, "data")
        .await
        .into_iter()
        .map(|mut d| {
            d.remove("_id");
            d
        })
        .collect();
    docs.sort_by_key(|d| d.get("n").and_then(Bson::as_i32));
    docs
}

fn expected_contents() -> Vec<Document> {
    vec![
        doc! { "n": 0, "owner": "a", "low": true },
        doc! { "n": 1, "owner": "a", "low": true },
        doc! { "n": 2, "owner": "a", "piped": true },
        doc! { "n": 3, "replaced": true },
        doc! { "n": 12 },
        doc! { "n": 50, "upserted": true },
        doc! { "n": 60, "replaced": true },
    ]
}

/// A bulk future can be awaited on any thread.
#[allow(dead_code)]
fn bulk_write_is_send(c: &ScopedCollection<Document>) {
    fn send<F: Send>(_: F) {}
    send(c.bulk_write(every_kind(), true));
}

#[tokio::test]
async fn a_bulk_of_every_kind_is_confined_to_its_tenant() {
    let w = world().await;
    let [a, b] = &w.scopes;
    let [me, other] = w.ids;
    let (ca, cb) = (
        a.collection::<Document>("data").unwrap(),
        b.collection::<Document>("data").unwrap(),
    );
    seed(&ca, "a").await;
    seed(&cb, "b").await;
    let foreign: Vec<Document> = (0..5).map(|n| doc! { "_id": n, "n": n }).collect();
    w.t.raw("foreign").insert_many(&foreign).await.unwrap();
    let theirs = |docs: Vec<Document>| -> Vec<Document> {
        docs.into_iter()
            .filter(|d| stamp(d) == Some(other))
            .collect()
    };
    let b_before = theirs(w.t.documents("shared_data").await);
    assert_eq!(b_before.len(), 4);

    // Every kind of write, each followed by one aimed at b's documents: filters naming
    // b's stamp, `$or`, `$nor` and `$expr` around it, an update pipeline setting it, and an
    // insert carrying a's own stamp.
    let hostile = vec![
        ScopedWrite::UpdateOne {
            filter: doc! { "_tenant": other },
            update: doc! { "$set": { "hacked": true } }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateMany {
            filter: doc! { "$or": [{ "_tenant": other }, { "n": 1 }] },
            update: doc! { "$set": { "low": true } }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateOne {
            filter: doc! { "n": 2 },
            update: vec![doc! { "$set": { "_tenant": other } }].into(),
            upsert: false,
        },
        ScopedWrite::DeleteMany {
            filter: doc! { "$nor": [{ "_tenant": me }] },
        },
        ScopedWrite::DeleteOne {
            filter: doc! { "$expr": { "$eq": ["$_tenant", other] } },
        },
        ScopedWrite::ReplaceOne {
            filter: doc! { "_tenant": other, "n": 0 },
            replacement: doc! { "stolen": true },
            upsert: false,
        },
        ScopedWrite::UpdateMany {
            filter: doc! { "$nor": [{ "_tenant": me }] },
            update: doc! { "$set": { "pwned": true } }.into(),
            upsert: false,
        },
        ScopedWrite::InsertOne(doc! { "n": 14, "_tenant": me }),
    ];
    let mut writes = Vec::new();
    let mut hostile = hostile.into_iter();
    for write in every_kind() {
        writes.push(write);
        writes.extend(hostile.next());
    }
    let r = ca.bulk_write(writes, true).await.unwrap();
    // Of the hostile writes, only the `$or` one (a's n 1) and the pipeline (a's n 2, left
    // a's: unchanged) matched.
    assert_eq!(r.inserted_count, 4, "{r:?}");
    assert_eq!((r.matched_count, r.modified_count), (6, 4), "{r:?}");
    assert_eq!(r.upserted_count, 2, "{r:?}");
    assert_eq!(r.deleted_count, 2, "{r:?}");

    // b's documents and the foreign collection are byte-identical.
    let after = w.t.documents("shared_data").await;
    assert_eq!(theirs(after.clone()), b_before);
    assert_eq!(w.t.documents("foreign").await, foreign);
    // Every other document is a's, stamped: the seven of `every_kind` and n 14.
    let mine: Vec<&Document> = after.iter().filter(|d| stamp(d) == Some(me)).collect();
    assert_eq!(
        mine.len() + b_before.len(),
        after.len(),
        "unstamped: {after:?}"
    );
    let mut expected = expected_contents();
    expected.push(doc! { "n": 14 });
    expected.sort_by_key(|d| d.get("n").and_then(Bson::as_i32));
    assert_eq!(contents(a).await, expected);
    // The ids returned are those stored.
    for (i, id) in &r.inserted_ids {
        let stored = after.iter().find(|d| d.get("_id") == Some(id));
        // The inserts of n 10 and n 11 (writes 0 and 2) are deleted later in the bulk.
        assert_eq!(stored.is_some(), ![0, 2].contains(i), "insert {i}: {id}");
    }
    for id in r.upserted_ids.values() {
        let stored = after.iter().find(|d| d.get("_id") == Some(id)).unwrap();
        assert_eq!(stamp(stored), Some(me), "{stored}");
    }
}

#[tokio::test]
async fn one_refused_write_refuses_the_bulk_before_anything_is_written() {
    let w = world().await;
    let [a, b] = &w.scopes;
    let other = w.ids[1];
    let (ca, cb) = (
        a.collection::<Document>("data").unwrap(),
        b.collection::<Document>("data").unwrap(),
    );
    seed(&ca, "a").await;
    seed(&cb, "b").await;
    let refused = [
        ScopedWrite::UpdateOne {
            filter: doc! {},
            update: doc! { "$set": { "_tenant": other } }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateMany {
            filter: doc! {},
            update: doc! { "$unset": { "_tenant": "" } }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateMany {
            filter: doc! {},
            update: doc! { "$rename": { "n": "_tenant" } }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateOne {
            filter: doc! { "n": 99 },
            update: doc! { "$setOnInsert": { "_tenant": other } }.into(),
            upsert: true,
        },
        ScopedWrite::UpdateOne {
            filter: doc! {},
            update: vec![doc! { "$lookup": { "from": "shared_data", "as": "x" } }].into(),
            upsert: false,
        },
        ScopedWrite::UpdateOne {
            filter: doc! {},
            update: doc! { "n": 1 }.into(),
            upsert: false,
        },
        ScopedWrite::InsertOne(doc! { "n": 5, "_tenant": other }),
        ScopedWrite::InsertOne(doc! { "n": 5, "_tenant": "a" }),
        ScopedWrite::ReplaceOne {
            filter: doc! { "n": 0 },
            replacement: doc! { "n": 0, "_tenant": other },
            upsert: false,
        },
        ScopedWrite::ReplaceOne {
            filter: doc! { "n": 0 },
            replacement: doc! { "$set": { "x": 1 } },
            upsert: false,
        },
    ];
    let before = w.t.documents("shared_data").await;
    for write in refused {
        for ordered in [true, false] {
            // Writes the server would apply, before and after the refused one.
            let mut writes = every_kind();
            writes.insert(4, write.clone());
            let err = ca.bulk_write(writes, ordered).await.unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT", "{write:?}: {err}");
            assert!(err.reason().contains("write 4 "), "{err}");
            assert_eq!(
                w.t.documents("shared_data").await,
                before,
                "{write:?} refused, something written"
            );
        }
    }
    let empty = ca.bulk_write(Vec::new(), true).await.unwrap_err();
    assert_eq!(empty.code(), "INVALID_INPUT");
}

#[tokio::test]
async fn a_bulk_gives_the_same_results_in_the_collection_layout() {
    let w = world().await;
    let m = w.t.manager().await;
    let claims = tenant_with_login(&m, "Own Collection", "own@coll.io").await;
    let own = m.scope(&claims).await.unwrap();
    assert_eq!(own.layout(), Layout::Collection);
    for scope in [&own, &w.scopes[0]] {
        let c = scope.collection::<Document>("data").unwrap();
        seed(&c, "a").await;
        for ordered in [true, false] {
            if !ordered {
                // Again from the seed: delete everything, seed again.
                c.delete_many(doc! {}).await.unwrap();
                seed(&c, "a").await;
            }
            let r = c.bulk_write(every_kind(), ordered).await.unwrap();
            check_every_kind(&r);
            assert_eq!(contents(scope).await, expected_contents(), "{ordered}");
        }
    }
    let stored = w.t.documents("org_own_collection").await;
    assert_eq!(stored.len(), 7);
    assert!(stored.iter().all(|d| d.get("_tenant").is_none()));
    // Without a confinement, what the driver's single writes refuse is still refused
    // before anything is sent: the server would take an update document without
    // operators for a replacement, and a replacement with operators for an update.
    let c = own.collection::<Document>("data").unwrap();
    for write in [
        ScopedWrite::UpdateOne {
            filter: doc! { "n": 0 },
            update: doc! { "n": 1 }.into(),
            upsert: false,
        },
        ScopedWrite::UpdateMany {
            filter: doc! {},
            update: doc! {}.into(),
            upsert: false,
        },
        ScopedWrite::ReplaceOne {
            filter: doc! { "n": 0 },
            replacement: doc! { "$set": { "n": 1 } },
            upsert: false,
        },
    ] {
        let mut writes = every_kind();
        writes.push(write.clone());
        let err = c.bulk_write(writes, false).await.unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT", "{write:?}: {err}");
        assert_eq!(
            w.t.documents("org_own_collection").await,
            stored,
            "{write:?}"
        );
    }
}

#[tokio::test]
async fn ordered_stops_at_the_first_refused_write_and_unordered_does_not() {
    let w = world().await;
    let c = w.scopes[0].collection::<Document>("data").unwrap();
    let taken = ObjectId::new();
    c.insert_one(&doc! { "_id": taken, "n": 0 }).await.unwrap();
    let writes = || {
        vec![
            ScopedWrite::InsertOne(doc! { "_id": taken, "n": 2 }),
            ScopedWrite::InsertOne(doc! { "n": 1 }),
            ScopedWrite::UpdateMany {
                filter: doc! {},
                update: doc! { "$inc": { "seen": 1 } }.into(),
                upsert: false,
            },
        ]
    };
    for (ordered, count, seen) in [(true, 1, 0), (false, 2, 2)] {
        let err = c.bulk_write(writes(), ordered).await.unwrap_err();
        assert_eq!(err.code(), "DATABASE", "{err}");
        let source = std::error::Error::source(&err)
            .and_then(|s| s.downcast_ref::<tenantry::mongodb::error::Error>())
            .expect("the driver's error");
        let tenantry::mongodb::error::ErrorKind::BulkWrite(bulk) = source.kind.as_ref() else {
            panic!("{source:?}");
        };
        let failed: Vec<usize> = bulk.write_errors.keys().copied().collect();
        assert_eq!(failed, [0], "{ordered}");
        assert_eq!(bulk.write_errors[&0].code, 11000);
        assert_eq!(
            c.count_documents(doc! {}).await.unwrap(),
            count,
            "{ordered}"
        );
        let updated = c.count_documents(doc! { "seen": 1 }).await.unwrap();
        assert_eq!(updated, seen, "{ordered}");
        c.delete_many(doc! { "_id": { "$ne": taken } })
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_bulk_through_a_scope_opened_before_a_rename_lands_in_the_new_collection() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let claims = tenant_with_login(&m, "Before", "b@rename.io").await;
    let scope = m.scope(&claims).await.unwrap();
    let c = scope.collection::<Document>("data").unwrap();
    seed(&c, "x").await;
    m.rename_tenant(&claims, "After").await.unwrap();
    assert_eq!(t.tombstones().await, ["org_before"]);

    // Updates and deletes only: the tombstone holds nothing to match, so nothing refuses
    // them there; the scope looks again and sends them to the new collection.
    let r = c
        .bulk_write(
            vec![
                ScopedWrite::UpdateMany {
                    filter: doc! {},
                    update: doc! { "$set": { "after": true } }.into(),
                    upsert: false,
                },
                ScopedWrite::DeleteOne {
                    filter: doc! { "n": 0 },
                },
            ],
            true,
        )
        .await
        .unwrap();
    assert_eq!((r.matched_count, r.deleted_count), (4, 1), "{r:?}");
    let stored = t.documents("org_after").await;
    assert_eq!(stored.len(), 3);
    assert!(stored.iter().all(|d| d.get_bool("after") == Ok(true)));

    // A second rename under a second stale handle: its insert is refused by the tombstone
    // and sent again to the new collection, once, with what follows it.
    let c = scope.collection::<Document>("data").unwrap();
    let claims = login(&m, "b@rename.io").await;
    m.rename_tenant(&claims, "Later").await.unwrap();
    let r = c
        .bulk_write(
            vec![
                ScopedWrite::InsertOne(doc! { "n": 7 }),
                ScopedWrite::InsertOne(doc! { "n": 8 }),
                ScopedWrite::UpdateMany {
                    filter: doc! {},
                    update: doc! { "$inc": { "n": 100 } }.into(),
                    upsert: false,
                },
            ],
            false,
        )
        .await
        .unwrap();
    assert_eq!((r.inserted_count, r.matched_count), (2, 5), "{r:?}");
    for tombstone in ["org_before", "org_after"] {
        assert_eq!(t.count(tombstone).await, 0, "{tombstone}");
    }
    let mut n: Vec<i32> = t
        .documents("org_later")
        .await
        .iter()
        .map(|d| d.get_i32("n").unwrap())
        .collect();
    n.sort();
    assert_eq!(n, [101, 102, 103, 107, 108]);
    t.assert_consistent().await;
}
