//! Export and import: a tenant round-trips exactly (same `_id`s, BSON types, documents,
//! indexes and validation options) in every layout, under a new name on the same
//! deployment or under its own on another; a damaged, truncated or cut-off archive, or a
//! taken name, leaves nothing behind; the audit log travels with the archive; bystanders
//! and foreign data are never touched.

mod common;

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use common::*;
use tenantry::mongodb::bson::{doc, oid::ObjectId, Binary, Bson, DateTime, Decimal128, Document};
use tenantry::mongodb::options::IndexOptions;
use tenantry::mongodb::IndexModel;
use tenantry::{
    Config, ImportOptions, Layout, TenantManager, TenantOptions, TenantQuery, DEFAULT_COLLECTION,
};
use tokio::io::{AsyncRead, ReadBuf};

/// Documents of every BSON type an application stores, with `_id`s of several types.
fn varied(tag: &str) -> Vec<Document> {
    (0..120)
        .map(|i| {
            let id = match i % 3 {
                0 => Bson::Int64(i),
                1 => Bson::String(format!("{tag}-{i}")),
                _ => Bson::ObjectId(ObjectId::new()),
            };
            doc! {
                "_id": id,
                "i32": i as i32,
                "f": i as f64 / 7.0,
                "dec": Decimal128::from_bytes([i as u8; 16]),
                "when": DateTime::from_millis(1_700_000_000_000 + i),
                "bin": Binary { subtype: tenantry::mongodb::bson::spec::BinarySubtype::Generic, bytes: vec![i as u8; 5] },
                "nested": { "a": [1, "two", { "three": 3 }, null], "t": true },
                "email": format!("user{i}@{tag}.io"),
            }
        })
        .collect()
}

async fn index_keys(m: &TenantManager, name: &str, logical: &str) -> Vec<(Document, bool)> {
    let scope = m.admin_scope(name).await.unwrap();
    let location = scope.locate(logical).unwrap();
    let client = m.client();
    let c = client
        .database(&location.database)
        .collection::<Document>(&location.collection);
    let mut keys: Vec<(Document, bool)> = collect(c.list_indexes().await.unwrap())
        .await
        .into_iter()
        .filter(|i| i.keys != doc! { "_id": 1 })
        .map(|i| {
            let mut k = i.keys.clone();
            k.remove(tenantry::TENANT_FIELD);
            (k, i.options.and_then(|o| o.unique).unwrap_or(false))
        })
        .filter(|(k, _)| !k.is_empty())
        .collect();
    keys.sort_by_key(|(k, _)| format!("{k:?}"));
    keys
}

/// A tenant of `layout` with varied documents and two indexes (one unique) in `data`, and
/// in the `database` layout a second collection.
async fn seeded(
    m: &TenantManager,
    name: &str,
    email: &str,
    layout: Layout,
) -> Vec<(String, Vec<Document>)> {
    let options = TenantOptions::new().layout(layout);
    m.create_tenant_with(name, email, PASSWORD, options)
        .await
        .unwrap();
    let scope = m.admin_scope(name).await.unwrap();
    let mut logicals = vec![DEFAULT_COLLECTION.to_owned()];
    if layout == Layout::Database {
        logicals.push("events".to_owned());
    }
    let mut all = Vec::new();
    for logical in logicals {
        let c = scope.collection::<Document>(&logical).unwrap();
        let unique = IndexOptions::builder().unique(true).build();
        c.create_index(
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(unique)
                .build(),
        )
        .await
        .unwrap();
        c.create_index(
            IndexModel::builder()
                .keys(doc! { "when": -1, "i32": 1 })
                .build(),
        )
        .await
        .unwrap();
        let docs = varied(&format!("{name}-{logical}"));
        c.insert_many(&docs).await.unwrap();
        all.push((logical.clone(), scope_documents(&scope, &logical).await));
    }
    all
}

async fn exported(m: &TenantManager, name: &str) -> (Vec<u8>, tenantry::ArchiveManifest) {
    let mut out = Vec::new();
    let manifest = m.export_tenant(name, &mut out).await.unwrap();
    (out, manifest)
}

#[tokio::test]
async fn every_layout_round_trips_exactly_beside_its_original() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let by = Bystanders::seed(&t, &m).await;
    for (i, layout) in Layout::ALL.into_iter().enumerate() {
        let (name, copy) = (format!("Original {i}"), format!("Copy {i}"));
        let data = seeded(&m, &name, &format!("o{i}@arc.io"), layout).await;
        let (archive, manifest) = exported(&m, &name).await;
        assert_eq!(manifest.collections.len(), data.len());
        let mut options = ImportOptions::new()
            .name(&copy)
            .admin_email(format!("c{i}@arc.io"));
        if layout == Layout::Shared {
            // Beside its original in one shared collection, the same `_id`s cannot be: the
            // import is refused, and leaves nothing; in a layout of its own it goes through.
            let refused = m
                .import_tenant(&mut archive.as_slice(), options.clone())
                .await
                .unwrap_err();
            assert_eq!(refused.code(), "INVALID_INPUT", "{refused}");
            let listed = m
                .list_tenants(&TenantQuery::new().name_prefix(&copy))
                .await
                .unwrap();
            assert!(listed.tenants.is_empty(), "{listed:?}");
            options = options.layout(Layout::Collection);
        }
        let mut progress = Vec::new();
        let (tenant, imported) = {
            let seen = std::sync::Mutex::new(&mut progress);
            m.import_tenant_with_progress(&mut archive.as_slice(), options, |p| {
                seen.lock().unwrap().push(p.phase)
            })
            .await
            .unwrap()
        };
        assert_eq!(imported, manifest);
        if layout != Layout::Shared {
            assert_eq!(tenant.layout, layout);
        }
        assert_eq!(progress.last(), Some(&"done"));
        assert!(progress.contains(&"verify"));
        let scope = m.admin_scope(&copy).await.unwrap();
        for (logical, docs) in &data {
            assert_eq!(
                &scope_documents(&scope, logical).await,
                docs,
                "{layout:?} {logical}"
            );
            assert_eq!(
                index_keys(&m, &copy, logical).await,
                index_keys(&m, &name, logical).await,
                "{layout:?} {logical}"
            );
        }
        // The copy's admin logs in with the original's password; the original is intact.
        login(&m, &format!("c{i}@arc.io")).await;
        let original = m.admin_scope(&name).await.unwrap();
        assert_eq!(
            scope_documents(&original, DEFAULT_COLLECTION).await,
            data[0].1
        );
    }
    by.assert_untouched(&t, "after the round trips").await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn a_tenant_moves_to_another_deployment_with_its_audit_log() {
    let t = TestDb::new().await;
    let _cleanup = ClusterCleanup {
        databases: vec![t.name.clone()],
    };
    let m = t.manager().await;
    let data = seeded(&m, "Traveller", "t@arc.io", Layout::Shared).await;
    let id = m.get_tenant("Traveller").await.unwrap().id;
    login(&m, "t@arc.io").await;
    let (archive, manifest) = exported(&m, "Traveller").await;
    assert_eq!(manifest.audit_entries, 2, "create and login");
    // Another deployment: the second server, a database of its own.
    let elsewhere = Config::builder(cluster_uri(2), SECRET)
        .master_db(&t.name)
        .bcrypt_cost(4)
        .cache_capacity(0)
        .build()
        .unwrap();
    let there = TenantManager::connect(elsewhere).await.unwrap();
    let (tenant, _) = there
        .import_tenant(&mut archive.as_slice(), ImportOptions::new())
        .await
        .unwrap();
    assert_eq!(
        (tenant.name.as_str(), tenant.layout),
        ("Traveller", Layout::Shared)
    );
    let scope = there.admin_scope("Traveller").await.unwrap();
    assert_eq!(scope_documents(&scope, DEFAULT_COLLECTION).await, data[0].1);
    login(&there, "t@arc.io").await;
    // The original log, whole, under the original id; the new tenant's begins with the import.
    let kept = there.verify_audit(id).await.unwrap();
    assert!(kept.is_intact() && kept.entries == 2, "{kept:?}");
    let log = there
        .audit_log(tenant.id, &tenantry::AuditQuery::new())
        .await
        .unwrap();
    let ops: Vec<&str> = log.entries.iter().map(|e| e.op.as_str()).collect();
    assert_eq!(ops, ["import", "login"]);
}

/// A reader that fails after `left` bytes, as a connection cut mid-upload.
struct CutOff<'a> {
    data: &'a [u8],
    left: usize,
}

impl AsyncRead for CutOff<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.left == 0 {
            return Poll::Ready(Err(std::io::Error::other("connection reset")));
        }
        let n = self.left.min(buf.remaining()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        buf.put_slice(head);
        self.data = rest;
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_damaged_cut_off_or_refused_import_leaves_nothing() {
    let t = TestDb::new().await;
    let config = t
        .config()
        .deleted_retention(Duration::from_secs(3600))
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let by = Bystanders::seed(&t, &m).await;
    seeded(&m, "Source", "s@arc.io", Layout::Collection).await;
    let (archive, _) = exported(&m, "Source").await;
    let nothing_left = |name: &'static str| {
        let m = &m;
        async move {
            assert!(m.get_tenant(name).await.is_err(), "{name} visible");
            let listed = m
                .list_tenants(&TenantQuery::new().name_prefix(name))
                .await
                .unwrap();
            assert!(listed.tenants.is_empty(), "{name} left: {listed:?}");
        }
    };
    let import = |bytes: Vec<u8>, name: &'static str| {
        let m = &m;
        async move {
            let options = ImportOptions::new()
                .name(name)
                .admin_email(format!("{}@x.io", name.to_lowercase().replace(' ', "")));
            m.import_tenant(&mut bytes.as_slice(), options).await
        }
    };
    // A byte changed inside a document: the manifest does not match.
    let mut flipped = archive.clone();
    let at = archive.windows(6).position(|w| w == b"user50").unwrap();
    flipped[at] = b'U';
    let e = import(flipped, "Flipped").await.unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT", "{e}");
    nothing_left("Flipped").await;
    // A byte changed in the header (the admin's email), or in an audit entry: every
    // record is in the manifest's checksum, and entries must match their hashes.
    for needle in [&b"s@arc.io"[..], &b"anonymous"[..]] {
        let mut flipped = archive.clone();
        let at = archive
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        flipped[at + 1] ^= 0x01;
        let e = import(flipped, "Flipped").await.unwrap_err();
        assert_eq!(e.code(), "INVALID_INPUT", "{e}");
        nothing_left("Flipped").await;
    }
    let source = m.get_tenant("Source").await.unwrap().id;
    let entries_of_source = || async {
        t.raw("tenant_audit")
            .count_documents(doc! { "tenant": source })
            .await
            .unwrap()
    };
    let kept = entries_of_source().await;
    // Cut short.
    let e = import(archive[..archive.len() - 40].to_vec(), "Truncated")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT", "{e}");
    nothing_left("Truncated").await;
    // Not an archive at all.
    let e = import(b"hello, this is not bson".to_vec(), "Garbage")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT", "{e}");
    nothing_left("Garbage").await;
    // The connection drops halfway.
    let mut cut = CutOff {
        data: &archive,
        left: archive.len() / 2,
    };
    let options = ImportOptions::new()
        .name("Dropped")
        .admin_email("dropped@x.io");
    let e = m.import_tenant(&mut cut, options).await.unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT", "{e}");
    nothing_left("Dropped").await;
    // Under a taken name, or with a taken email: refused, nothing written.
    let e = m
        .import_tenant(&mut archive.as_slice(), ImportOptions::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), "TENANT_ALREADY_EXISTS");
    // No audit entry of a refused archive was kept (the source's log is as it was).
    assert_eq!(entries_of_source().await, kept);
    // Every name and email an import tried is free again.
    for (name, email) in [("Flipped", "flipped@x.io"), ("Dropped", "dropped@x.io")] {
        m.create_tenant(name, email, PASSWORD).await.unwrap();
    }
    by.assert_untouched(&t, "after the failed imports").await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

/// A reader that aborts the process after `left` bytes: a crash in the middle of a load.
struct DiesAfter<'a> {
    data: &'a [u8],
    left: usize,
}

impl AsyncRead for DiesAfter<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.left == 0 {
            std::process::abort();
        }
        let n = self.left.min(buf.remaining()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        buf.put_slice(head);
        self.data = rest;
        self.left -= n;
        Poll::Ready(Ok(()))
    }
}

/// The child process of the crash test: imports the archive at `ARCHIVE_FILE` into
/// `ARCHIVE_DB` and dies halfway.
#[tokio::test]
#[ignore = "run by the crash test in a child process"]
async fn import_child() {
    let db = std::env::var("ARCHIVE_DB").expect("run by the crash test only");
    let archive = std::fs::read(std::env::var("ARCHIVE_FILE").unwrap()).unwrap();
    let config = Config::builder(mongo_uri(), SECRET)
        .master_db(&db)
        .bcrypt_cost(4)
        .cache_capacity(0)
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let mut dying = DiesAfter {
        data: &archive,
        left: archive.len() * 2 / 3,
    };
    let options = ImportOptions::new()
        .name("Crashed")
        .admin_email("crashed@x.io");
    let _ = m.import_tenant(&mut dying, options).await;
    unreachable!("the reader aborts the process first");
}

#[tokio::test]
async fn an_import_whose_process_dies_stays_hidden_and_is_purged_by_recover() {
    use std::os::unix::process::ExitStatusExt;
    let t = TestDb::new().await;
    let m = t.manager().await;
    let by = Bystanders::seed(&t, &m).await;
    seeded(&m, "Big Source", "big@arc.io", Layout::Collection).await;
    let scope = m.admin_scope("Big Source").await.unwrap();
    let c = scope.collection::<Document>("data").unwrap();
    let more: Vec<Document> = (0..5000)
        .map(|i| doc! { "_id": format!("more-{i}"), "email": format!("more{i}@big.io") })
        .collect();
    c.insert_many(&more).await.unwrap();
    let (archive, _) = exported(&m, "Big Source").await;
    let file = std::env::temp_dir().join(format!("{}.archive", t.name));
    std::fs::write(&file, &archive).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "import_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ARCHIVE_DB", &t.name)
        .env("ARCHIVE_FILE", &file)
        .env("MONGODB_URI", mongo_uri())
        .output()
        .unwrap();
    std::fs::remove_file(&file).unwrap();
    assert_eq!(
        out.status.signal(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Hidden, never restorable, its name held.
    assert!(m.get_tenant("Crashed").await.is_err());
    let e = m.restore_tenant("Crashed").await.unwrap_err();
    assert_eq!(e.code(), "INVALID_INPUT", "{e}");
    assert_eq!(
        m.create_tenant("Crashed", "other@x.io", PASSWORD)
            .await
            .unwrap_err()
            .code(),
        "TENANT_ALREADY_EXISTS"
    );
    // Within its lease, recover leaves it; past it, recover purges it.
    let report = m.recover().await.unwrap();
    assert_eq!(report.purged, 0, "{report:?}");
    t.raw("organizations")
        .update_one(
            doc! { "organization_name": "Crashed" },
            doc! { "$set": { "purge_after": DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
    let report = m.recover().await.unwrap();
    assert_eq!(report.purged, 1, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    let listed = m
        .list_tenants(&TenantQuery::new().name_prefix("Crashed"))
        .await
        .unwrap();
    assert!(listed.tenants.is_empty());
    // Everything it held is free: the import goes through now.
    let options = ImportOptions::new()
        .name("Crashed")
        .admin_email("crashed@x.io");
    m.import_tenant(&mut archive.as_slice(), options)
        .await
        .unwrap();
    by.assert_untouched(&t, "after the crashed import").await;
    t.assert_no_garbage_keys_beside(&by.foreign_names()).await;
}

#[tokio::test]
async fn two_exports_of_an_unchanged_tenant_are_the_same_bytes() {
    let t = TestDb::new().await;
    let m = t.manager().await;
    seeded(&m, "Twice", "twice@arc.io", Layout::Collection).await;
    let (first, a) = exported(&m, "Twice").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (second, b) = exported(&m, "Twice").await;
    assert_eq!(a, b);
    assert!(first == second, "the archives differ");
}
