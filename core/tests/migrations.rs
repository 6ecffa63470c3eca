//! Per-tenant schema migrations: every kind applied to a thousand tenants of every layout
//! with bounded parallelism, recorded in the ledger and never applied again; a run killed
//! halfway is resumed by the next without applying anything twice; one tenant's failure is
//! isolated (or stops the rest when asked); a migration changed after it was applied is an
//! error; a dry run writes nothing; a new tenant is born with the schema; foreign data and
//! other tenants' documents in shared collections are never touched.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use futures_util::stream::{self, StreamExt};
use tenantry::mongodb::bson::{doc, Bson, Document};
use tenantry::mongodb::options::IndexOptions;
use tenantry::mongodb::IndexModel;
use tenantry::{
    Config, Layout, MigrateOptions, Migration, MigrationStep, Schema, TenantManager, TenantOptions,
    DEFAULT_COLLECTION,
};

fn unique_email() -> IndexModel {
    let options = IndexOptions::builder()
        .unique(true)
        .name("email".to_owned())
        .build();
    IndexModel::builder()
        .keys(doc! { "email": 1 })
        .options(options)
        .build()
}

/// Increment the tenant's `runs` counter (a document of its `data`): a function that is not
/// idempotent, to see how often it ran.
fn counting(version: &str) -> MigrationStep {
    MigrationStep::Function {
        version: version.to_owned(),
        run: Arc::new(|scope| {
            Box::pin(async move {
                let c = scope.collection::<Document>(DEFAULT_COLLECTION)?;
                let id = format!("runs-{}", scope.tenant_id());
                c.upsert_one(doc! { "_id": id }, doc! { "$inc": { "n": 1 } })
                    .await?;
                Ok(())
            })
        }),
    }
}

/// The schema of these tests: an index, a rename, a default, an update, a counting function.
fn schema() -> Schema {
    Schema::new()
        .index(DEFAULT_COLLECTION, unique_email())
        .migration(Migration::new(
            "001-email-index",
            MigrationStep::CreateIndex {
                collection: DEFAULT_COLLECTION.into(),
                index: Box::new(unique_email()),
            },
        ))
        .migration(Migration::new(
            "002-rename-mail",
            MigrationStep::RenameField {
                collection: DEFAULT_COLLECTION.into(),
                from: "mail".into(),
                to: "email".into(),
            },
        ))
        .migration(Migration::new(
            "003-default-plan",
            MigrationStep::SetDefault {
                collection: DEFAULT_COLLECTION.into(),
                field: "plan".into(),
                value: Bson::String("free".into()),
            },
        ))
        .migration(Migration::new(
            "004-normalize-status",
            MigrationStep::Update {
                collection: DEFAULT_COLLECTION.into(),
                filter: doc! { "status": "ACTIVE" },
                update: doc! { "$set": { "status": "active" } }.into(),
            },
        ))
        .migration(Migration::new("005-count", counting("v1")))
}

/// `n` tenants (layouts in turn) with two documents of the old shape each, created 16 at a
/// time; their names.
async fn tenants(m: &TenantManager, n: usize) -> Vec<String> {
    let names: Vec<String> = (0..n).map(|i| format!("Mig {i:04}")).collect();
    stream::iter(names.iter().enumerate())
        .for_each_concurrent(16, |(i, name)| async move {
            let options = TenantOptions::new().layout(Layout::ALL[i % 3]);
            m.create_tenant_with(name, &format!("mig{i}@m.io"), PASSWORD, options)
                .await
                .unwrap();
            let c = m.admin_scope(name).await.unwrap().collection::<Document>(DEFAULT_COLLECTION).unwrap();
            c.insert_many(&[
                doc! { "_id": format!("{name}-a"), "mail": format!("a{i}@x.io"), "status": "ACTIVE" },
                doc! { "_id": format!("{name}-b"), "email": format!("b{i}@x.io"), "plan": "pro" },
            ])
            .await
            .unwrap();
        })
        .await;
    names
}

async fn runs(m: &TenantManager, name: &str) -> i32 {
    let scope = m.admin_scope(name).await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    c.find_one(doc! { "_id": format!("runs-{}", scope.tenant_id()) })
        .await
        .unwrap()
        .map_or(0, |d| d.get_i32("n").unwrap_or(0))
}

async fn migrated(m: &TenantManager, name: &str) {
    let scope = m.admin_scope(name).await.unwrap();
    let docs = scope_documents(&scope, DEFAULT_COLLECTION).await;
    let a = docs
        .iter()
        .find(|d| d.get_str("_id").unwrap().ends_with("-a"))
        .unwrap();
    assert!(
        a.get("mail").is_none() && a.get_str("email").is_ok(),
        "{name}: {a}"
    );
    assert_eq!(
        (a.get_str("plan"), a.get_str("status")),
        (Ok("free"), Ok("active")),
        "{name}"
    );
    let b = docs
        .iter()
        .find(|d| d.get_str("_id").unwrap().ends_with("-b"))
        .unwrap();
    assert_eq!(
        b.get_str("plan"),
        Ok("pro"),
        "{name}: a default never overwrites"
    );
    assert_eq!(runs(m, name).await, 1, "{name}: the function ran once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_tenants_are_migrated_once_each_in_every_layout() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let by = Bystanders::seed(&t, &m).await;
    let names = tenants(&m, 1000).await;
    m.set_schema(schema()).unwrap();
    // A dry run says what would run, and writes nothing.
    let dry = m.migrate(MigrateOptions::new().dry_run()).await.unwrap();
    assert_eq!((dry.tenants, dry.applied), (1002, 5 * 1002), "{dry:?}");
    assert_eq!(t.count("tenant_migrations").await, 0);
    assert_eq!(runs(&m, &names[0]).await, 0);
    let reports = Arc::new(AtomicUsize::new(0));
    let heard = Arc::clone(&reports);
    let started = Instant::now();
    let report = m
        .migrate(MigrateOptions::new().parallelism(8).progress(move |_, _| {
            heard.fetch_add(1, Ordering::Relaxed);
        }))
        .await
        .unwrap();
    let took = started.elapsed();
    println!("1,002 tenants migrated (5 migrations each, 8 at a time) in {took:?}");
    // The two bystanders hold documents without an email: the unique index cannot be
    // built on their data. They fail, alone, at the first migration; their data stays.
    let failed: Vec<(&str, &str)> = report
        .failed
        .iter()
        .map(|f| (f.name.as_str(), f.migration.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("Bystander One", "001-email-index"),
            ("Bystander Two", "001-email-index")
        ],
        "{report:?}"
    );
    assert_eq!((report.tenants, report.applied), (1002, 5 * 1000));
    assert_eq!(reports.load(Ordering::Relaxed), 1002);
    for name in names.iter().step_by(97) {
        migrated(&m, name).await;
    }
    // The ledger says so, and a second run applies nothing.
    assert_eq!(t.count("tenant_migrations").await, 5 * 1000);
    let again = m
        .migrate(MigrateOptions::new().parallelism(8))
        .await
        .unwrap();
    assert_eq!((again.applied, again.up_to_date), (0, 1000), "{again:?}");
    assert_eq!(again.failed.len(), 2, "the bystanders again, and only them");
    assert_eq!(runs(&m, &names[3]).await, 1);
    // The unique index was made compound with the stamp in shared collections: two shared
    // tenants may hold the same email, one tenant may not hold it twice.
    let shared = m
        .admin_scope(&names[2])
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    let also = m
        .admin_scope(&names[5])
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    shared
        .insert_one(&doc! { "email": "same@x.io" })
        .await
        .unwrap();
    also.insert_one(&doc! { "email": "same@x.io" })
        .await
        .unwrap();
    assert!(shared
        .insert_one(&doc! { "email": "same@x.io" })
        .await
        .is_err());
    // A tenant created now is born with the schema: its index, every migration recorded.
    m.create_tenant("Born Later", "born@m.io", PASSWORD)
        .await
        .unwrap();
    let born = m
        .admin_scope("Born Later")
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    born.insert_one(&doc! { "email": "x@x.io" }).await.unwrap();
    assert!(
        born.insert_one(&doc! { "email": "x@x.io" }).await.is_err(),
        "the schema's index"
    );
    let after = m.migrate(MigrateOptions::new()).await.unwrap();
    assert_eq!(after.applied, 0, "{after:?}");
    assert_eq!(
        runs(&m, "Born Later").await,
        0,
        "nothing ran on a tenant born migrated"
    );
    by.assert_untouched(&t, "after the migrations").await;
}

/// The child of the crash test: migrates `MIGRATE_DB` and dies when the counting function
/// reaches its 40th tenant (before it writes).
#[tokio::test]
#[ignore = "run by the crash test in a child process"]
async fn migrate_child() {
    let db = std::env::var("MIGRATE_DB").expect("run by the crash test only");
    let config = Config::builder(mongo_uri(), SECRET)
        .master_db(&db)
        .bcrypt_cost(4)
        .cache_capacity(0)
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let dying = MigrationStep::Function {
        version: "v1".to_owned(),
        run: Arc::new(move |scope| {
            let calls = Arc::clone(&calls);
            Box::pin(async move {
                if calls.fetch_add(1, Ordering::SeqCst) == 39 {
                    std::process::abort();
                }
                let c = scope.collection::<Document>(DEFAULT_COLLECTION)?;
                let id = format!("runs-{}", scope.tenant_id());
                c.upsert_one(doc! { "_id": id }, doc! { "$inc": { "n": 1 } })
                    .await?;
                Ok(())
            })
        }),
    };
    let mut schema = schema();
    schema.migrations[4] = Migration::new("005-count", dying);
    m.set_schema(schema).unwrap();
    let _ = m.migrate(MigrateOptions::new().parallelism(1)).await;
    unreachable!("the function aborts the process first");
}

#[tokio::test]
async fn a_run_killed_halfway_is_resumed_without_applying_anything_twice() {
    use std::os::unix::process::ExitStatusExt;
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = tenants(&m, 100).await;
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "migrate_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MIGRATE_DB", &t.name)
        .env("MONGODB_URI", mongo_uri())
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ledger = t.raw("tenant_migrations");
    let applied = ledger
        .count_documents(doc! { "state": "applied" })
        .await
        .unwrap();
    assert!(applied > 0 && applied < 5 * 100, "{applied}");
    // The dead run's claim holds until its lease runs out: then the next run takes it over.
    ledger
        .update_many(
            doc! { "state": "running" },
            doc! { "$set": { "lease_until": tenantry::mongodb::bson::DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
    m.set_schema(schema()).unwrap();
    let report = m
        .migrate(MigrateOptions::new().parallelism(4))
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.applied + applied, 5 * 100, "{report:?}");
    for name in &names {
        migrated(&m, name).await;
    }
}

#[tokio::test]
async fn a_failing_tenant_is_isolated_or_stops_the_rest_when_asked() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = tenants(&m, 30).await;
    let failing = |poisoned: String| MigrationStep::Function {
        version: "v1".to_owned(),
        run: Arc::new(move |scope| {
            let poisoned = poisoned.clone();
            Box::pin(async move {
                if scope
                    .collection_name(DEFAULT_COLLECTION)?
                    .contains(&poisoned)
                {
                    return Err(tenantry::Error::Internal(
                        "this tenant cannot be migrated".into(),
                    ));
                }
                Ok(())
            })
        }),
    };
    let poisoned = m.get_tenant(&names[0]).await.unwrap();
    let mark = poisoned.collection_name.clone();
    let with = |step: MigrationStep| schema().migration(Migration::new("006-maybe", step));
    // The poisoned tenant is in the `collection` layout: its own collection names it.
    m.set_schema(with(failing(mark.clone()))).unwrap();
    let report = m
        .migrate(MigrateOptions::new().parallelism(4))
        .await
        .unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let failure = &report.failed[0];
    assert_eq!(
        (
            failure.name.as_str(),
            failure.migration.as_str(),
            failure.code.as_str()
        ),
        (names[0].as_str(), "006-maybe", "INTERNAL")
    );
    assert_eq!(report.applied, 6 * 30 - 1);
    // Stopping the rest: a fresh database, the first tenant poisoned, one at a time.
    let t2 = TestDb::new().await;
    let m2 = t2.manager().await;
    let names2 = tenants(&m2, 10).await;
    let first = m2.get_tenant(&names2[0]).await.unwrap().collection_name;
    m2.set_schema(with(failing(first))).unwrap();
    let stopped = m2
        .migrate(MigrateOptions::new().parallelism(1).stop_on_failure())
        .await
        .unwrap();
    assert_eq!(
        (stopped.failed.len(), stopped.not_started),
        (1, 9),
        "{stopped:?}"
    );
}

#[tokio::test]
async fn a_panicking_function_fails_its_tenant_only() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = tenants(&m, 6).await;
    // The poisoned tenant is in the `collection` layout: its own collection names it.
    let poisoned = m.get_tenant(&names[0]).await.unwrap().collection_name;
    // One panics while it builds its future, another inside it.
    let panicking = move |late: bool| {
        let poisoned = poisoned.clone();
        let run: tenantry::MigrationFn = Arc::new(move |scope| {
            let hit = scope
                .collection_name(DEFAULT_COLLECTION)
                .is_ok_and(|c| c.contains(&poisoned));
            if hit && !late {
                panic!("a bug in the application's migration");
            }
            Box::pin(async move {
                if hit {
                    panic!("a bug in the application's migration, later");
                }
                Ok(())
            })
        });
        run
    };
    for late in [false, true] {
        let step = MigrationStep::Function {
            version: "v1".to_owned(),
            run: panicking(late),
        };
        let id = if late { "007-late" } else { "007-early" };
        m.set_schema(schema().migration(Migration::new(id, step)))
            .unwrap();
        let report = m
            .migrate(MigrateOptions::new().parallelism(2))
            .await
            .unwrap();
        let failed: Vec<_> = report
            .failed
            .iter()
            .map(|f| (f.name.as_str(), f.migration.as_str(), f.code.as_str()))
            .collect();
        assert_eq!(failed, [(names[0].as_str(), id, "INTERNAL")], "{report:?}");
    }
    for (i, name) in names.iter().enumerate() {
        if i != 0 {
            migrated(&m, name).await;
        }
    }
}

#[tokio::test]
async fn a_dead_runs_claim_is_taken_over_by_a_changed_migration_and_a_live_one_is_busy() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = tenants(&m, 3).await;
    m.set_schema(schema()).unwrap();
    m.migrate(MigrateOptions::new()).await.unwrap();
    let ledger = t.raw("tenant_migrations");
    let id_of = |i: usize| {
        let m = &m;
        let name = names[i].clone();
        async move {
            let tenant = m.get_tenant(&name).await.unwrap().id;
            format!("{}/005-count", tenant.to_hex())
        }
    };
    // Tenant 0: a run of another version of 005 died holding it (its lease ran out).
    // Tenant 1: a run of another version of 005 holds it now.
    let (dead, live) = (id_of(0).await, id_of(1).await);
    let far = tenantry::mongodb::bson::DateTime::from_millis(i64::MAX / 4);
    for (id, until) in [
        (&dead, tenantry::mongodb::bson::DateTime::from_millis(0)),
        (&live, far),
    ] {
        let running = doc! { "$set": {
            "state": "running", "checksum": "another version", "lease_until": until,
            "owner": tenantry::mongodb::bson::oid::ObjectId::new(),
        } };
        ledger
            .update_one(doc! { "_id": id }, running)
            .await
            .unwrap();
    }
    let report = m.migrate(MigrateOptions::new()).await.unwrap();
    let failed: Vec<_> = report
        .failed
        .iter()
        .map(|f| (f.name.as_str(), f.migration.as_str(), f.code.as_str()))
        .collect();
    assert_eq!(
        failed,
        [(names[1].as_str(), "005-count", "CONFLICT")],
        "{report:?}"
    );
    assert!(
        report.failed[0].message.contains("in progress"),
        "busy, not changed: {report:?}"
    );
    assert_eq!(
        report.applied, 1,
        "the dead run's claim, run again: {report:?}"
    );
    let taken = ledger
        .find_one(doc! { "_id": &dead })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.get_str("state"), Ok("applied"));
    assert_ne!(taken.get_str("checksum"), Ok("another version"));
    assert_eq!(runs(&m, &names[0]).await, 2);
}

#[tokio::test]
async fn a_migration_changed_after_it_was_applied_is_an_error() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    tenants(&m, 3).await;
    m.set_schema(schema()).unwrap();
    m.migrate(MigrateOptions::new()).await.unwrap();
    let mut changed = schema();
    changed.migrations[2] = Migration::new(
        "003-default-plan",
        MigrationStep::SetDefault {
            collection: DEFAULT_COLLECTION.into(),
            field: "plan".into(),
            value: Bson::String("trial".into()),
        },
    );
    m.set_schema(changed).unwrap();
    for options in [MigrateOptions::new().dry_run(), MigrateOptions::new()] {
        let report = m.migrate(options).await.unwrap();
        assert_eq!(report.failed.len(), 3, "{report:?}");
        assert!(report
            .failed
            .iter()
            .all(|f| f.code == "CONFLICT" && f.migration == "003-default-plan"));
    }
    // A repeated or empty id, and migrating with no schema, are typed errors.
    let twice = schema().migration(Migration::new("001-email-index", counting("v2")));
    assert_eq!(m.set_schema(twice).unwrap_err().code(), "INVALID_INPUT");
    let fresh = t.second_manager().await;
    assert_eq!(
        fresh
            .migrate(MigrateOptions::new())
            .await
            .unwrap_err()
            .code(),
        "INVALID_INPUT"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn two_runs_at_once_apply_each_migration_once() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = tenants(&m, 300).await;
    let other = t.second_manager().await;
    m.set_schema(schema()).unwrap();
    other.set_schema(schema()).unwrap();
    let (a, b) = tokio::join!(
        m.migrate(MigrateOptions::new().parallelism(8)),
        other.migrate(MigrateOptions::new().parallelism(8))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // Between them, every migration of every tenant once; what one run found held by the
    // other is reported busy, nothing else fails.
    assert_eq!(a.applied + b.applied, 5 * 300, "{a:?} {b:?}");
    for f in a.failed.iter().chain(&b.failed) {
        assert_eq!(f.code, "CONFLICT", "{f:?}");
    }
    for name in names.iter().step_by(7) {
        assert_eq!(
            runs(&m, name).await,
            1,
            "{name}: the counting function ran once"
        );
        migrated(&m, name).await;
    }
    assert_eq!(t.count("tenant_migrations").await, 5 * 300);
    let again = m.migrate(MigrateOptions::new()).await.unwrap();
    assert_eq!((again.applied, again.up_to_date), (0, 300), "{again:?}");
}

#[tokio::test]
async fn a_ledger_of_the_first_format_is_read_and_rewritten() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let names = tenants(&m, 4).await;
    m.set_schema(schema()).unwrap();
    m.migrate(MigrateOptions::new()).await.unwrap();
    // The first format: `_id: { t, m }`, no `t` or `m` field of its own.
    let ledger = t.raw("tenant_migrations");
    let entries: Vec<Document> =
        futures_util::TryStreamExt::try_collect(ledger.find(doc! {}).await.unwrap())
            .await
            .unwrap();
    ledger.delete_many(doc! {}).await.unwrap();
    let old: Vec<Document> = entries
        .iter()
        .map(|e| {
            let mut o = e.clone();
            let (tenant, migration) = (
                e.get_object_id("t").unwrap(),
                e.get_str("m").unwrap().to_owned(),
            );
            o.remove("t");
            o.remove("m");
            o.insert("_id", doc! { "t": tenant, "m": migration });
            o
        })
        .collect();
    ledger.insert_many(&old).await.unwrap();
    // A tenant deleted while its entries are of the first format: they go with it.
    m.admin_delete_tenant(&names[3]).await.unwrap();
    let names = &names[..3];
    assert_eq!(ledger.count_documents(doc! {}).await.unwrap(), 5 * 3);
    // A dry run reads it as applied and writes nothing.
    let dry = m.migrate(MigrateOptions::new().dry_run()).await.unwrap();
    assert_eq!((dry.applied, dry.up_to_date), (0, 3), "{dry:?}");
    assert_eq!(
        ledger
            .count_documents(doc! { "t": { "$exists": true } })
            .await
            .unwrap(),
        0
    );
    // A run rewrites it and applies nothing again.
    let run = m.migrate(MigrateOptions::new()).await.unwrap();
    assert_eq!((run.applied, run.up_to_date), (0, 3), "{run:?}");
    assert_eq!(
        ledger
            .count_documents(doc! { "_id.t": { "$exists": true } })
            .await
            .unwrap(),
        0
    );
    assert_eq!(ledger.count_documents(doc! {}).await.unwrap(), 5 * 3);
    for name in names {
        assert_eq!(runs(&m, name).await, 1);
    }
    // A deleted tenant's entries go with it.
    m.admin_delete_tenant(&names[0]).await.unwrap();
    assert_eq!(ledger.count_documents(doc! {}).await.unwrap(), 5 * 2);
}

#[tokio::test]
async fn a_schema_file_is_the_servers_schema_and_functions_are_bound_by_id() {
    let t = TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("schema-{}", t.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("schema.json");
    std::fs::write(
        &file,
        r#"{ "migrations": [ { "id": "001", "set_default": { "collection": "data", "field": "plan", "value": "free" } } ] }"#,
    )
    .unwrap();
    let config = t
        .config()
        .schema_file(file.to_str().unwrap())
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(config.schema.as_ref().map(|s| s.migrations.len()), Some(1));
    assert_eq!(config.settings().schema_file.as_deref(), file.to_str());
    // Tenants made before the schema was declared.
    tenants(&t.manager().await, 2).await;
    let m = TenantManager::connect(config).await.unwrap();
    let report = m.migrate(MigrateOptions::new()).await.unwrap();
    assert_eq!(
        report.applied, 2,
        "the file's schema, with no set_schema: {report:?}"
    );
    // Read from the environment's name, and refused when it does not read.
    std::fs::write(&file, r#"{ "migrations": [ { "id": "001" } ] }"#).unwrap();
    let e = Config::from_lookup(|k| match k {
        "JWT_SECRET" => Some("a-secret-of-at-least-16".into()),
        "TENANT_SCHEMA_FILE" => Some(file.to_str().unwrap().into()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(e.code(), "CONFIG");
    assert!(e.to_string().contains("TENANT_SCHEMA_FILE"), "{e}");
    let missing = Config::from_lookup(|k| match k {
        "JWT_SECRET" => Some("a-secret-of-at-least-16".into()),
        "TENANT_SCHEMA_FILE" => Some("/nowhere/schema.json".into()),
        _ => None,
    });
    assert_eq!(missing.unwrap_err().code(), "CONFIG");
    std::fs::remove_dir_all(&dir).unwrap();
    // A function is bound by its migration's id; one declared and not given, or given and
    // not declared, is refused.
    let declared = doc! { "migrations": [ { "id": "006", "function": { "version": "1" } } ] };
    let noop: tenantry::MigrationFn = Arc::new(|_| Box::pin(async { Ok(()) }));
    let bound =
        Schema::from_document(&declared, [("006".to_owned(), noop.clone())].into()).unwrap();
    assert!(matches!(
        bound.migrations[0].step,
        MigrationStep::Function { .. }
    ));
    let e = Schema::from_document(&declared, Default::default()).unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT");
    let e = Schema::from_document(&doc! {}, [("007".to_owned(), noop)].into()).unwrap_err();
    assert!(e.to_string().contains("007"), "{e}");
}
