//! Soft delete, restore and purge, and listing tenants: a deleted tenant disappears from
//! every call but listing, restore and purge, keeps its data, admins and name for the
//! retention, comes back whole, and a purge (explicit, or by `recover()` after the
//! retention) removes it and only it, in every layout; restore and purge racing end in one
//! of the two, never half. Listing pages through every tenant exactly once whatever is
//! created meanwhile, and its filters hold.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{
    Cluster, Layout, TenantManager, TenantOptions, TenantQuery, TenantState, DEFAULT_COLLECTION,
};

const HOUR: Duration = Duration::from_secs(3600);

async fn manager(t: &TestDb, retention: Duration) -> TenantManager {
    let config = t
        .config()
        .deleted_retention(retention)
        .cluster(Cluster::new("two", cluster_uri(2)))
        .build()
        .unwrap();
    TenantManager::connect(config).await.unwrap()
}

/// `n` documents of the tenant named `name` (`_id`s of its own: tenants share collections).
fn rows(name: &str, n: i64) -> Vec<Document> {
    (0..n)
        .map(|i| doc! { "_id": format!("{name}-{i}"), "v": i })
        .collect()
}

/// A tenant of `layout` named `name` with 30 documents; its claims and its documents.
async fn tenant(
    m: &TenantManager,
    name: &str,
    email: &str,
    layout: Layout,
) -> (tenantry::Claims, Vec<Document>) {
    let options = TenantOptions::new().layout(layout);
    m.create_tenant_with(name, email, PASSWORD, options)
        .await
        .unwrap();
    let scope = m.admin_scope(name).await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    c.insert_many(&rows(name, 30)).await.unwrap();
    let claims = login(m, email).await;
    let docs = scope_documents(&scope, DEFAULT_COLLECTION).await;
    (claims, docs)
}

#[tokio::test]
async fn a_deleted_tenant_is_hidden_kept_whole_and_restored_in_every_layout() {
    let t = TestDb::new().await;
    let m = manager(&t, HOUR).await;
    let by = Bystanders::seed(&t, &m).await;
    // A neighbour in the shared collection, whose documents must never move.
    let (_, neighbour) = tenant(&m, "Neighbour", "n@n.io", Layout::Shared).await;
    for (i, layout) in Layout::ALL.into_iter().enumerate() {
        let (name, email) = (format!("Soft {i}"), format!("soft{i}@s.io"));
        let (claims, docs) = tenant(&m, &name, &email, layout).await;
        let token = m.authenticate(&email, PASSWORD).await.unwrap().access_token;
        m.delete_tenant(&claims).await.unwrap();
        // Hidden from every call.
        fn code<T>(r: Result<T, tenantry::Error>) -> Option<&'static str> {
            r.err().map(|e| e.code())
        }
        assert_eq!(code(m.get_tenant(&name).await), Some("TENANT_NOT_FOUND"));
        assert!(m.authenticate(&email, PASSWORD).await.is_err());
        assert_eq!(code(m.verify_token(&token).await), Some("UNAUTHORIZED"));
        assert!(m.admin_scope(&name).await.is_err());
        assert!(m.scope(&claims).await.is_err());
        // Its name and email stay taken.
        let again = m.create_tenant(&name, "other@o.io", PASSWORD).await;
        assert_eq!(code(again), Some("TENANT_ALREADY_EXISTS"));
        let again = m.create_tenant("Other Name", &email, PASSWORD).await;
        assert_eq!(code(again), Some("TENANT_ALREADY_EXISTS"));
        // Listed as deleted, with its retention.
        let deleted = m
            .list_tenants(&TenantQuery::new().state(TenantState::Deleted))
            .await
            .unwrap()
            .tenants;
        let listed = deleted.iter().find(|d| d.name == name).expect("listed");
        assert_eq!(listed.layout, layout);
        let (at, until) = (listed.deleted_at.unwrap(), listed.purge_after.unwrap());
        assert!(until - at >= chrono::Duration::minutes(59), "{listed:?}");
        // A second delete through the old claims is refused.
        assert!(m.delete_tenant(&claims).await.is_err());
        // Back, whole: the same data, login, and the token issued before.
        let back = m.restore_tenant(&name).await.unwrap();
        assert_eq!((back.state, back.deleted_at), (TenantState::Active, None));
        let scope = m.admin_scope(&name).await.unwrap();
        assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, docs);
        m.authenticate(&email, PASSWORD).await.unwrap();
        m.verify_token(&token).await.unwrap();
        assert_eq!(
            code(m.restore_tenant(&name).await),
            Some("TENANT_NOT_FOUND")
        );
    }
    let scope = m.admin_scope("Neighbour").await.unwrap();
    assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, neighbour);
    by.assert_untouched(&t, "after soft deletes and restores")
        .await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn a_purge_removes_the_deleted_tenant_and_only_it() {
    let t = TestDb::new().await;
    let m = manager(&t, HOUR).await;
    let by = Bystanders::seed(&t, &m).await;
    let (_, neighbour) = tenant(&m, "Neighbour", "n@n.io", Layout::Shared).await;
    for (i, layout) in Layout::ALL.into_iter().enumerate() {
        let (name, email) = (format!("Purged {i}"), format!("purged{i}@p.io"));
        let (claims, _) = tenant(&m, &name, &email, layout).await;
        let tenant = m.get_tenant(&name).await.unwrap();
        // Not deleted: nothing to purge.
        let refused = m.purge_tenant(&name).await.unwrap_err();
        assert_eq!(refused.code(), "TENANT_NOT_FOUND");
        m.delete_tenant(&claims).await.unwrap();
        m.purge_tenant(&name).await.unwrap();
        assert_eq!(
            m.restore_tenant(&name).await.unwrap_err().code(),
            "TENANT_NOT_FOUND"
        );
        let listed = m.list_tenants(&TenantQuery::new()).await.unwrap();
        assert!(listed.tenants.iter().all(|l| l.id != tenant.id));
        // Its data is gone: its collection, its database, its stamped documents.
        match layout {
            Layout::Collection => assert_eq!(t.count(&tenant.collection_name).await, 0),
            Layout::Database => {
                let left = t.client.list_database_names().await.unwrap();
                assert!(!left.contains(&tenant.database), "{left:?}");
            }
            _ => {
                let stamped = t
                    .raw(&tenant.collection_name)
                    .count_documents(doc! { tenantry::TENANT_FIELD: tenant.id })
                    .await
                    .unwrap();
                assert_eq!(stamped, 0);
            }
        }
        // Its name and email are free again.
        m.create_tenant(&name, &email, PASSWORD).await.unwrap();
    }
    let scope = m.admin_scope("Neighbour").await.unwrap();
    assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, neighbour);
    by.assert_untouched(&t, "after purges").await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn past_the_retention_restore_is_refused_and_recover_purges() {
    let t = TestDb::new().await;
    let m = manager(&t, Duration::from_millis(300)).await;
    let by = Bystanders::seed(&t, &m).await;
    let (claims, _) = tenant(&m, "Expiring", "e@e.io", Layout::Collection).await;
    let (kept, kept_docs) = tenant(&m, "Kept", "k@k.io", Layout::Collection).await;
    m.delete_tenant(&claims).await.unwrap();
    // Within the retention, recover leaves it alone.
    let report = m.recover().await.unwrap();
    assert_eq!(report.purged, 0, "{report:?}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let late = m.restore_tenant("Expiring").await.unwrap_err();
    assert_eq!(late.code(), "INVALID_INPUT", "{late}");
    // A tenant deleted with a longer retention (another process's configuration) waits.
    let patient = manager(&t, HOUR).await;
    patient.delete_tenant(&kept).await.unwrap();
    let report = m.recover().await.unwrap();
    assert_eq!(report.purged, 1, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(t.count("org_expiring").await, 0);
    let restored = patient.restore_tenant("Kept").await.unwrap();
    let scope = m.admin_scope(&restored.name).await.unwrap();
    assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, kept_docs);
    by.assert_untouched(&t, "after the retention").await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restore_and_purge_racing_end_in_one_of_them_never_half() {
    let t = TestDb::new().await;
    let (a, b) = (manager(&t, HOUR).await, manager(&t, HOUR).await);
    let by = Bystanders::seed(&t, &a).await;
    let mut outcomes = BTreeSet::new();
    for round in 0..8 {
        let (name, email) = (format!("Raced {round}"), format!("raced{round}@r.io"));
        let (claims, docs) = tenant(&a, &name, &email, Layout::Collection).await;
        a.delete_tenant(&claims).await.unwrap();
        let (restored, purged) = tokio::join!(a.restore_tenant(&name), b.purge_tenant(&name));
        match (restored, purged) {
            (Ok(_), Err(_)) => {
                let scope = a.admin_scope(&name).await.unwrap();
                assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, docs);
                a.authenticate(&email, PASSWORD).await.unwrap();
                outcomes.insert("restored");
            }
            (Err(_), Ok(())) => {
                assert!(a.get_tenant(&name).await.is_err());
                assert_eq!(t.count(&format!("org_raced_{round}")).await, 0);
                outcomes.insert("purged");
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
    println!("restore against purge: {outcomes:?}");
    by.assert_untouched(&t, "after the races").await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn listing_pages_through_every_tenant_once_and_filters_hold() {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    let m = manager(&t, HOUR).await;
    let by = Bystanders::seed(&t, &m).await;
    let mut made = Vec::new();
    for i in 0..11 {
        let layout = Layout::ALL[i % 3];
        let options = match i {
            9 | 10 => TenantOptions::new().layout(Layout::Shared).cluster("two"),
            _ => TenantOptions::new().layout(layout),
        };
        let name = if i % 2 == 0 {
            format!("Alpha {i}")
        } else {
            format!("Beta {i}")
        };
        let tenant = m
            .create_tenant_with(&name, &format!("l{i}@l.io"), PASSWORD, options)
            .await
            .unwrap();
        made.push(tenant);
        // Creation times a millisecond apart at least, for the range filter.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let (start, middle) = (made[0].created_at, made[5].created_at);
    let deleted = login(&m, "l3@l.io").await;
    m.delete_tenant(&deleted).await.unwrap();
    // Paging 3 at a time while tenants are created: every tenant that existed throughout
    // comes once, in creation order.
    let mut seen = Vec::new();
    let mut query = TenantQuery::new().limit(3);
    let mut pages = 0;
    loop {
        let page = m.list_tenants(&query).await.unwrap();
        assert!(page.tenants.len() <= 3);
        seen.extend(page.tenants.iter().map(|t| t.id));
        m.create_tenant(
            &format!("Late {pages}"),
            &format!("late{pages}@l.io"),
            PASSWORD,
        )
        .await
        .unwrap();
        pages += 1;
        match page.next {
            Some(next) => query = query.after(next),
            None => break,
        }
    }
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a tenant came twice");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "creation order");
    for tenant in &made {
        assert!(seen.contains(&tenant.id), "{} missed", tenant.name);
    }
    // Filters, and counts that agree with them.
    let count = |q: TenantQuery| {
        let m = &m;
        async move {
            let n = m.count_tenants(&q).await.unwrap();
            let listed = m.list_tenants(&q.clone().limit(1000)).await.unwrap();
            assert_eq!(n, listed.tenants.len() as u64, "{q:?}");
            assert!(listed.next.is_none());
            listed.tenants
        }
    };
    let deleted = count(TenantQuery::new().state(TenantState::Deleted)).await;
    assert_eq!(
        deleted.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["Beta 3"]
    );
    let shared_two = count(TenantQuery::new().layout(Layout::Shared).cluster("two")).await;
    assert_eq!(shared_two.len(), 2);
    let home = count(TenantQuery::new().cluster(tenantry::HOME_CLUSTER)).await;
    assert!(home.iter().all(|t| t.cluster == tenantry::HOME_CLUSTER));
    assert_eq!(
        home.len() as u64,
        m.count_tenants(&TenantQuery::new()).await.unwrap() - 2
    );
    let collection = count(TenantQuery::new().layout(Layout::Collection)).await;
    assert!(collection.iter().all(|t| t.layout == Layout::Collection));
    let alpha = count(TenantQuery::new().name_prefix("ALPHA")).await;
    assert_eq!(alpha.len(), 6);
    assert!(alpha.iter().all(|t| t.name.starts_with("Alpha")));
    let active_beta = count(
        TenantQuery::new()
            .name_prefix("beta")
            .state(TenantState::Active),
    )
    .await;
    assert_eq!(active_beta.len(), 4);
    let early = count(
        TenantQuery::new()
            .created_after(start)
            .created_before(middle),
    )
    .await;
    assert_eq!(
        early.iter().map(|t| t.id).collect::<Vec<_>>(),
        made[..5].iter().map(|t| t.id).collect::<Vec<_>>()
    );
    // Bad queries are typed errors.
    for (q, field) in [
        (TenantQuery::new().limit(0), "limit"),
        (TenantQuery::new().after("nope"), "after"),
        (TenantQuery::new().name_prefix(" - "), "name_prefix"),
    ] {
        let e = m.list_tenants(&q).await.unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT", "{field}: {e}");
        assert!(e.to_string().contains(field), "{field}: {e}");
    }
    by.assert_untouched(&t, "after listing").await;
}
