//! The `shared` layout's confinement, as a property: random operations (reads, writes,
//! aggregations, index creation; hostile ones among them) through two tenants' scopes on the
//! same shared collections never read a document of the other tenant, never change or
//! remove one, and never leave a document without its tenant's stamp.

mod common;
use std::collections::BTreeMap;

use common::*;
use futures_util::TryStreamExt;
use proptest::prelude::*;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use tenantry::mongodb::options::UpdateModifications;
use tenantry::mongodb::IndexModel;
use tenantry::{Layout, ScopedCollection, TenantOptions, TenantScope};

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
    c: &ScopedCollection<Document>,
    kind: u8,
    variant: u8,
    k: i64,
    other: ObjectId,
    known: &[Bson],
) -> Vec<Bson> {
    let mut read = Vec::new();
    let f = filter(variant, k, other, known);
    match kind % 11 {
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
        ops in prop::collection::vec((0u8..2, 0u8..2, 0u8..11, 0u8..16, 0i64..6), 1..14)
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
                let read = apply(&c, kind, variant, k, other, &known).await;
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
