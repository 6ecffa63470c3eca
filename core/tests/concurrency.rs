//! Invariant 4: races have exactly one winner and leave consistent storage, across two
//! managers with their own connection pools (as two processes would have).

mod common;
use common::*;
use tenantry::TenantManager;

const RACERS: usize = 16;

fn pick(a: &TenantManager, b: &TenantManager, i: usize) -> TenantManager {
    if i.is_multiple_of(2) {
        a.clone()
    } else {
        b.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_name_have_one_winner() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    for round in 0..3 {
        let name = format!("Race Corp {round}");
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let m = pick(&a, &b, i);
                // Spelled differently each time: one key.
                let spelled = if i % 3 == 0 {
                    name.to_uppercase()
                } else {
                    name.replace(' ', "-")
                };
                let email = format!("racer{i}-{round}@race.io");
                tokio::spawn(async move { m.create_tenant(&spelled, &email, PASSWORD).await })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => assert_eq!(e.code(), "TENANT_ALREADY_EXISTS", "{e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
    t.assert_consistent().await;
    assert_eq!(t.count("organizations").await, 3);
}

/// Rounds of the email races: a lost race is a matter of timing, so each is run many
/// times (a checker that reads two documents could once be fooled about 1 time in 12).
const EMAIL_ROUNDS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_email_have_one_winner() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    for round in 0..EMAIL_ROUNDS {
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let m = pick(&a, &b, i);
                let email = if i.is_multiple_of(2) {
                    format!("Boss{round}@Race.io")
                } else {
                    format!("boss{round}@race.io")
                };
                tokio::spawn(async move {
                    m.create_tenant(&format!("Tenant {round} {i}"), &email, PASSWORD)
                        .await
                })
            })
            .collect();
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => wins += 1,
                Err(e) => {
                    assert_eq!(e.code(), "TENANT_ALREADY_EXISTS");
                    assert_eq!(e.field(), Some("email"));
                }
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
    t.assert_no_garbage_keys().await;
    assert_eq!(t.count("organizations").await, EMAIL_ROUNDS as u64);
    assert_eq!(t.tenant_collections().await.len(), EMAIL_ROUNDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_email_changes_to_one_email_have_one_winner() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    let mut admins = Vec::new();
    for i in 0..4 {
        admins.push(tenant_with_login(&a, &format!("Mover {i}"), &format!("mover{i}@x.io")).await);
    }
    for round in 0..EMAIL_ROUNDS / 2 {
        let target = format!("wanted{round}@x.io");
        let tasks: Vec<_> = admins
            .iter()
            .enumerate()
            .map(|(i, claims)| {
                let (m, claims) = (pick(&a, &b, i), claims.clone());
                let update = tenantry::TenantUpdate::new().admin_email(&target);
                tokio::spawn(async move { m.update_tenant(&claims, update).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => winners += 1,
                Err(e) => assert_eq!(e.code(), "TENANT_ALREADY_EXISTS", "{e}"),
            }
        }
        assert_eq!(winners, 1, "round {round}");
        t.assert_no_garbage_keys().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rename_racing_delete_ends_consistent() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    let (mut renamed, mut deleted) = (0, 0);
    for round in 0..8 {
        let name = format!("Contested {round}");
        let claims = tenant_with_login(&a, &name, &format!("c{round}@c.io")).await;
        let (ra, rb) = (a.clone(), b.clone());
        let (c1, c2) = (claims.clone(), claims.clone());
        let n1 = name.clone();
        let rename =
            tokio::spawn(async move { ra.rename_tenant(&c1, &format!("{n1} renamed")).await });
        let delete = tokio::spawn(async move { rb.delete_tenant(&c2).await });
        let (r, d) = (rename.await.unwrap(), delete.await.unwrap());
        let gone = |n: String| {
            let a = a.clone();
            async move {
                matches!(
                    a.get_tenant(&n).await,
                    Err(tenantry::Error::NotFound { .. })
                )
            }
        };
        match (&r, &d) {
            // Both act on the claims' tenant: a rename that ended before the delete began
            // is deleted with it, under its new name.
            (Ok(_), Ok(())) => {
                renamed += 1;
                deleted += 1;
                assert!(gone(name.clone()).await && gone(format!("{name} renamed")).await);
            }
            (Ok(_), Err(e)) => {
                renamed += 1;
                assert_eq!(e.code(), "CONFLICT", "{e}");
                assert!(a.get_tenant(&format!("{name} renamed")).await.is_ok());
            }
            (Err(e), Ok(())) => {
                deleted += 1;
                // In flight when the delete held the tenant, or after it: revoked claims.
                assert!(matches!(e.code(), "CONFLICT" | "UNAUTHORIZED"), "{e}");
                assert!(gone(name.clone()).await && gone(format!("{name} renamed")).await);
            }
            (Err(e1), Err(e2)) => panic!("neither succeeded: {e1} / {e2}"),
        }
        t.assert_consistent().await;
    }
    assert!(renamed + deleted >= 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_renames_to_one_new_name_have_one_winner() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    let c1 = tenant_with_login(&a, "One", "one@x.io").await;
    let c2 = tenant_with_login(&b, "Two", "two@x.io").await;
    let r1 = tokio::spawn(async move { a.rename_tenant(&c1, "Target").await });
    let r2 = tokio::spawn(async move { b.rename_tenant(&c2, "target").await });
    let results = [r1.await.unwrap(), r2.await.unwrap()];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e.code(), "TENANT_ALREADY_EXISTS");
        }
    }
    t.assert_consistent().await;
    assert_eq!(t.live_collections().await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_racing_a_rename_all_succeed_and_tokens_stay_valid() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    let claims = tenant_with_login(&a, "Moving", "mover@x.io").await;
    let logins: Vec<_> = (0..RACERS)
        .map(|i| {
            let m = pick(&a, &b, i);
            tokio::spawn(async move { m.authenticate("mover@x.io", PASSWORD).await })
        })
        .collect();
    let renamed = b.rename_tenant(&claims, "Moved").await.unwrap();
    for login in logins {
        let token = login.await.unwrap().expect("login during a rename");
        // Whatever name the token was issued under, it verifies now, with the new name.
        let verified = a.verify_token(&token.access_token).await.unwrap();
        assert_eq!(verified.tenant_id(), renamed.id);
        assert_eq!(verified.tenant_name(), "Moved");
    }
    t.assert_consistent().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_change_racing_logins_leaves_no_valid_old_token() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    let claims = tenant_with_login(&a, "Rotating", "rot@x.io").await;
    let logins: Vec<_> = (0..RACERS)
        .map(|i| {
            let m = pick(&a, &b, i);
            tokio::spawn(async move { m.authenticate("rot@x.io", PASSWORD).await })
        })
        .collect();
    let update = tenantry::TenantUpdate::new().admin_password("rotated-password");
    b.update_tenant(&claims, update).await.unwrap();
    for login in logins {
        match login.await.unwrap() {
            // A login that raced the change got a token of the old version: revoked now.
            Ok(token) => assert_eq!(
                a.verify_token(&token.access_token)
                    .await
                    .unwrap_err()
                    .code(),
                "UNAUTHORIZED"
            ),
            Err(e) => assert_eq!(e.code(), "INVALID_CREDENTIALS"),
        }
    }
    assert_eq!(
        a.authenticate("rot@x.io", PASSWORD)
            .await
            .unwrap_err()
            .code(),
        "INVALID_CREDENTIALS"
    );
    let fresh = a
        .authenticate("rot@x.io", "rotated-password")
        .await
        .unwrap();
    b.verify_token(&fresh.access_token).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_renames_of_one_tenant_have_one_winner_and_keep_the_data() {
    let t = TestDb::new().await;
    let (a, b) = (t.manager().await, t.second_manager().await);
    let claims = tenant_with_login(&a, "Hot Potato", "hot@x.io").await;
    let data = a
        .tenant_collection::<tenantry::mongodb::bson::Document>(&claims)
        .await
        .unwrap();
    let docs: Vec<_> = (0..100)
        .map(|i| tenantry::mongodb::bson::doc! { "_id": i })
        .collect();
    data.insert_many(&docs).await.unwrap();
    for round in 0..10 {
        let tasks: Vec<_> = (0..3)
            .map(|i| {
                let (m, c) = (pick(&a, &b, i), claims.clone());
                let to = format!("Potato {round}-{i}");
                tokio::spawn(async move { m.rename_tenant(&c, &to).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => winners += 1,
                // A rename finds the tenant held by another one in flight; one that starts
                // after another has finished renames it again.
                Err(e) => assert_eq!(e.code(), "CONFLICT", "{e}"),
            }
        }
        assert!(winners >= 1, "round {round}");
        let now = a
            .tenant_collection::<tenantry::mongodb::bson::Document>(&claims)
            .await
            .unwrap();
        assert_eq!(t.count(&now.name()).await, 100, "round {round}");
        t.assert_consistent().await;
    }
}
