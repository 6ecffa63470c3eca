//! Cancellation safety: once started, a lifecycle operation runs to its end or to a clean
//! undo whether or not its caller still waits. Creates, renames and deletes are dropped by
//! their callers at random points (a timed-out request, a cancelled task); the operations
//! finish on their own, and the invariants hold, with no `recover()` at all.

mod common;
use std::time::Duration;

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::TenantManager;

/// Whether no operation is in flight and no key is garbage.
async fn quiet(t: &TestDb) -> bool {
    let busy = t
        .raw("organizations")
        .count_documents(doc! { "op": { "$exists": true } })
        .await
        .unwrap();
    let keys = t.count("tenant_keys").await;
    let expected = 2 * t.count("organizations").await + t.count("admin_users").await;
    busy == 0 && keys == expected
}

/// Wait until the background operations are done: quiet, and still quiet a moment later
/// (an operation given up on before its claim is not visible yet), or fail.
async fn settled(t: &TestDb) {
    for _ in 0..250 {
        if quiet(t).await {
            tokio::time::sleep(Duration::from_millis(150)).await;
            if quiet(t).await {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("operations still in flight after 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_whose_callers_give_up_still_complete() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let bystanders = Bystanders::seed(&t, &m).await;
    let data: Vec<Document> = (0..30).map(|i| doc! { "_id": i }).collect();
    let mut rng = 17u64;
    let mut abandoned = 0;
    m.create_tenant("Patient", "p@c.io", PASSWORD)
        .await
        .unwrap();
    t.raw("org_patient").insert_many(data.iter()).await.unwrap();
    for round in 0..30 {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
        let give_up_after = Duration::from_micros((rng >> 33) % 8000);
        let token = m.authenticate("p@c.io", PASSWORD).await.unwrap();
        let claims = m.verify_token(&token.access_token).await.unwrap();
        let next = format!("Patient {round}");
        let m2: TenantManager = m.clone();
        let op = async move {
            match round % 3 {
                0 | 1 => m2.rename_tenant(&claims, &next).await.map(|_| ()),
                _ => {
                    m2.delete_tenant(&claims).await?;
                    m2.create_tenant(&next, "p@c.io", PASSWORD)
                        .await
                        .map(|_| ())
                }
            }
        };
        if tokio::time::timeout(give_up_after, op).await.is_err() {
            abandoned += 1;
        }
        settled(&t).await;
        t.assert_no_garbage_keys_beside(&bystanders.foreign_names())
            .await;
        bystanders
            .assert_untouched(&t, &format!("round {round}"))
            .await;
        // The tenant exists under exactly one name, with its data if it was renamed.
        let current = format!("Patient {round}");
        let tenant = match m.get_tenant(&current).await {
            Ok(t) => t,
            Err(_) => {
                // A delete whose create never started: create it again for the next round.
                let previous = if round == 0 {
                    "Patient".to_owned()
                } else {
                    format!("Patient {}", round - 1)
                };
                match m.get_tenant(&previous).await {
                    Ok(t) => {
                        assert_eq!(t.admin_email, "p@c.io");
                        continue;
                    }
                    Err(_) => m.create_tenant(&current, "p@c.io", PASSWORD).await.unwrap(),
                }
            }
        };
        let docs = t.documents(&tenant.collection_name).await;
        assert!(
            docs == data || docs.is_empty(),
            "round {round}: data neither kept nor deleted whole"
        );
    }
    println!("cancellation: 30 operations, {abandoned} abandoned by their callers, all completed on their own");
    assert!(abandoned > 5, "{abandoned}");
}
