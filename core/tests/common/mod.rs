//! Shared set-up for the integration tests: a real MongoDB-wire server is required.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tenantry::mongodb::bson::{doc, Document};
use tenantry::mongodb::{Client, Collection, Database};
use tenantry::{Claims, Config, ConfigBuilder, TenantManager};

pub const SECRET: &str = "integration-test-secret-0123456789";
pub const PASSWORD: &str = "securepassword123";

/// The server under test. There is no fallback: without one the tests fail, loudly.
pub fn mongo_uri() -> String {
    std::env::var("MONGODB_URI")
        .or_else(|_| std::env::var("MONGO_URI"))
        .expect(
            "MONGODB_URI (or MONGO_URI) must point at a MongoDB-wire server; \
             `make test` starts one",
        )
}

/// The `n`th server (2 or 3), a cluster of the multi-cluster tests: `MONGODB_URI_<n>`.
/// There is no fallback: `make test` starts them.
pub fn cluster_uri(n: u8) -> String {
    std::env::var(format!("MONGODB_URI_{n}")).unwrap_or_else(|_| {
        panic!("MONGODB_URI_{n} must point at a second MongoDB-wire server; `make test` starts one")
    })
}

/// Drops a test's databases on the other clusters when the test ends.
pub struct ClusterCleanup {
    pub databases: Vec<String>,
}

impl Drop for ClusterCleanup {
    fn drop(&mut self) {
        let dbs = std::mem::take(&mut self.databases);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                for n in [2, 3] {
                    let Ok(uri) = std::env::var(format!("MONGODB_URI_{n}")) else {
                        continue;
                    };
                    let Ok(client) = Client::with_uri_str(uri).await else {
                        continue;
                    };
                    for db in &dbs {
                        let _ = tokio::time::timeout(
                            Duration::from_secs(10),
                            client.database(db).drop(),
                        )
                        .await;
                    }
                }
            });
        })
        .join();
    }
}

/// A database of its own for each test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub client: Client,
}

impl TestDb {
    pub async fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "tenantry_t{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono_suffix()
        );
        let client = Client::with_uri_str(mongo_uri()).await.expect("client");
        client
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .await
            .unwrap_or_else(|e| panic!("MongoDB server at {} does not answer: {e}", mongo_uri()));
        TestDb { name, client }
    }

    /// The suites' configuration: bcrypt at cost 4, and the hot path's cache off. These
    /// suites check the database against what they expect right after another manager (a
    /// second process) changed it; with the cache, a second manager sees a change when its
    /// event arrives, within the bound that `cache.rs` measures and asserts. The cache is
    /// on in `cache.rs` ([`TestDb::cached_config`]) and in the HTTP and binding suites
    /// (the default settings).
    pub fn config(&self) -> ConfigBuilder {
        self.cached_config().cache_capacity(0)
    }

    /// [`TestDb::config`] with the default cache.
    pub fn cached_config(&self) -> ConfigBuilder {
        Config::builder_with_client(self.client.clone(), SECRET)
            .master_db(&self.name)
            .bcrypt_cost(4)
    }

    pub async fn manager(&self) -> TenantManager {
        TenantManager::connect(self.config().build().unwrap())
            .await
            .expect("connect")
    }

    /// A second manager with its own client, as a second process would have.
    pub async fn second_manager(&self) -> TenantManager {
        TenantManager::connect(self.second_config().cache_capacity(0).build().unwrap())
            .await
            .expect("connect")
    }

    /// A manager with the default cache, on this test's client.
    pub async fn cached_manager(&self) -> TenantManager {
        TenantManager::connect(self.cached_config().build().unwrap())
            .await
            .expect("connect")
    }

    /// A second manager with the default cache and its own client.
    pub async fn second_cached_manager(&self) -> TenantManager {
        TenantManager::connect(self.second_config().build().unwrap())
            .await
            .expect("connect")
    }

    fn second_config(&self) -> ConfigBuilder {
        Config::builder(mongo_uri(), SECRET)
            .master_db(&self.name)
            .bcrypt_cost(4)
    }

    pub fn db(&self) -> Database {
        self.client.database(&self.name)
    }

    pub fn raw(&self, name: &str) -> Collection<Document> {
        self.db().collection(name)
    }

    pub async fn count(&self, collection: &str) -> u64 {
        self.raw(collection).count_documents(doc! {}).await.unwrap()
    }

    /// Every document of a collection, in `_id` order.
    pub async fn documents(&self, collection: &str) -> Vec<Document> {
        let cursor = self
            .raw(collection)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap();
        collect(cursor).await
    }

    /// Every `org_*` collection in the database, sorted.
    pub async fn tenant_collections(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .db()
            .list_collection_names()
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.starts_with("org_"))
            .collect();
        names.sort();
        names
    }

    /// Registered tombstones (the old names of renamed tenants).
    pub async fn tombstones(&self) -> Vec<String> {
        let mut names: Vec<String> =
            collect(self.raw("tenant_tombstones").find(doc! {}).await.unwrap())
                .await
                .into_iter()
                .map(|t: Document| t.get_str("_id").unwrap().to_owned())
                .collect();
        names.sort();
        names
    }

    /// `org_*` collections that are not tombstones, sorted.
    pub async fn live_collections(&self) -> Vec<String> {
        let tombstones = self.tombstones().await;
        self.tenant_collections()
            .await
            .into_iter()
            .filter(|c| !tombstones.contains(c))
            .collect()
    }

    /// The storage invariants: every record settled (active, or softly deleted) with
    /// exactly its collection, every collection claimed, every admin with its tenant.
    pub async fn assert_consistent(&self) {
        self.assert_consistent_beside(&[]).await
    }

    /// [`assert_consistent`](Self::assert_consistent) in a database that also holds the
    /// `foreign` collections, which no tenant owns.
    pub async fn assert_consistent_beside(&self, foreign: &[String]) {
        let orgs: Vec<Document> =
            collect(self.raw("organizations").find(doc! {}).await.unwrap()).await;
        let mut claimed: Vec<String> = Vec::new();
        for org in &orgs {
            assert!(
                ["active", "deleted"].contains(&org.get_str("state").unwrap()),
                "record not settled: {org}"
            );
            assert!(org.get("op").is_none(), "journal entry left: {org}");
            let collection = org.get_str("collection_name").unwrap().to_owned();
            match layout_of(org) {
                // On another cluster: that cluster's tests check its collections.
                _ if org.get_str("cluster").is_ok() => {}
                "collection" if database_of(org, &self.name) == self.name => {
                    claimed.push(collection)
                }
                _ => {
                    // Its collection stands in its own (or the tenants') database.
                    let db = self.client.database(database_of(org, &self.name));
                    let names = db.list_collection_names().await.unwrap();
                    assert!(
                        names.contains(&collection),
                        "{collection} missing for {org}"
                    );
                }
            }
        }
        // Every other `org_*` collection is a registered, empty tombstone left by a rename.
        let tombstones = self.tombstones().await;
        for name in &tombstones {
            assert_eq!(self.count(name).await, 0, "tombstone {name} holds data");
        }
        let live: Vec<String> = self
            .tenant_collections()
            .await
            .into_iter()
            .filter(|c| !tombstones.contains(c) || claimed.contains(c))
            .filter(|c| !foreign.contains(c))
            .collect();
        claimed.sort();
        assert_eq!(live, claimed, "collections vs records");
        let admins: Vec<Document> =
            collect(self.raw("admin_users").find(doc! {}).await.unwrap()).await;
        for admin in &admins {
            let org_id = admin.get_object_id("organization_id").unwrap();
            let org = orgs
                .iter()
                .find(|o| o.get_object_id("_id").unwrap() == org_id)
                .unwrap_or_else(|| panic!("admin without tenant: {admin}"));
            assert_eq!(
                admin.get_str("organization_name").unwrap(),
                org.get_str("organization_name").unwrap()
            );
        }
        // One first admin per tenant; the members who joined later hold no email key.
        let (joined, admins): (Vec<Document>, Vec<Document>) = admins
            .into_iter()
            .partition(|a| a.get_str("member_email_key").is_ok());
        assert_eq!(admins.len(), orgs.len(), "one first admin per tenant");
        for member in &joined {
            assert!(
                member.get("email_key").is_none(),
                "a member with an email key: {member}"
            );
        }
        // Every name, collection and email is held, by its owner, in `tenant_keys`.
        let keys: Vec<Document> =
            collect(self.raw("tenant_keys").find(doc! {}).await.unwrap()).await;
        let held = |id: String, owner| {
            keys.iter().any(|k| {
                k.get_str("_id") == Ok(id.as_str()) && k.get_object_id("owner") == Ok(owner)
            })
        };
        for org in &orgs {
            let id = org.get_object_id("_id").unwrap();
            let name = format!("name:{}", org.get_str("name_key").unwrap());
            assert!(held(name.clone(), id), "{name} not held by its tenant");
            if layout_of(org) == "collection" && org.get_str("naming").unwrap_or("slug") == "slug" {
                let coll = format!("collection:{}", org.get_str("collection_name").unwrap());
                assert!(held(coll.clone(), id), "{coll} not held by its tenant");
            }
        }
        for admin in &admins {
            let email = format!("email:{}", admin.get_str("email_key").unwrap());
            assert!(
                held(email.clone(), admin.get_object_id("_id").unwrap()),
                "{email} not held"
            );
        }
    }

    /// [`assert_consistent`](Self::assert_consistent), and no key is left that nobody
    /// refers to (what `recover()` guarantees).
    pub async fn assert_no_garbage_keys(&self) {
        self.assert_no_garbage_keys_beside(&[]).await
    }

    /// [`assert_no_garbage_keys`](Self::assert_no_garbage_keys) beside `foreign` collections.
    pub async fn assert_no_garbage_keys_beside(&self, foreign: &[String]) {
        self.assert_consistent_beside(foreign).await;
        let collection_layout = doc! {
            "layout": { "$in": [null, "collection"] },
            "naming": { "$in": [null, "slug"] },
        };
        let expected = self.count("organizations").await
            + self
                .raw("organizations")
                .count_documents(collection_layout)
                .await
                .unwrap()
            + self
                .raw("admin_users")
                .count_documents(doc! { "member_email_key": { "$exists": false } })
                .await
                .unwrap();
        assert_eq!(
            self.count("tenant_keys").await,
            expected,
            "garbage keys left"
        );
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop the database from a thread and client of its own: Drop cannot await, and
        // the test's runtime (which drives the test's client) is blocked meanwhile.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let drop = async {
                    let client = Client::with_uri_str(mongo_uri()).await?;
                    // The databases of its tenants in the `database` layout, and its tenants'
                    // database, go with it.
                    let orgs = client
                        .database(&name)
                        .collection::<Document>("organizations");
                    let mut others = vec![format!("{name}_data")];
                    let mut cursor = orgs.find(doc! { "database": { "$ne": &name } }).await?;
                    while cursor.advance().await? {
                        if let Ok(db) = cursor.deserialize_current()?.get_str("database") {
                            others.push(db.to_owned());
                        }
                    }
                    for db in others {
                        client.database(&db).drop().await?;
                    }
                    client.database(&name).drop().await
                };
                let _ = tokio::time::timeout(Duration::from_secs(10), drop).await;
            });
        })
        .join();
    }
}

/// A record's layout (`collection` for records without one).
pub fn layout_of(org: &Document) -> &str {
    org.get_str("layout").unwrap_or("collection")
}

/// A record's database (`master` for records without one).
pub fn database_of<'a>(org: &'a Document, master: &'a str) -> &'a str {
    org.get_str("database").unwrap_or(master)
}

fn chrono_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_007
}

pub async fn collect<T>(mut cursor: tenantry::mongodb::Cursor<T>) -> Vec<T>
where
    T: serde::de::DeserializeOwned + Send + Sync + Unpin,
{
    use futures_util::TryStreamExt;
    let mut out = Vec::new();
    while let Some(item) = cursor.try_next().await.unwrap() {
        out.push(item);
    }
    out
}

/// Create a tenant and log its admin in.
pub async fn tenant_with_login(m: &TenantManager, name: &str, email: &str) -> Claims {
    m.create_tenant(name, email, PASSWORD)
        .await
        .expect("create");
    login(m, email).await
}

/// Log the admin of `email` in (the test password) and verify the token.
pub async fn login(m: &TenantManager, email: &str) -> Claims {
    let token = m.authenticate(email, PASSWORD).await.expect("login");
    m.verify_token(&token.access_token).await.expect("verify")
}

/// Every document of a scope's logical collection, read through the scope, in the order
/// of their `_id`s as text.
pub async fn scope_documents(scope: &tenantry::TenantScope, logical: &str) -> Vec<Document> {
    use futures_util::TryStreamExt;
    let c = scope.collection::<Document>(logical).unwrap();
    let mut docs: Vec<Document> = c
        .find(doc! {}, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    docs.sort_by_key(|d| format!("{}", d.get("_id").unwrap()));
    docs
}

/// Data that is not the subject of a test: other tenants with documents, and collections
/// no tenant owns (one of them named like a tenant's). After any operation, crash or
/// recovery on the subject, all of it must read exactly as before.
pub struct Bystanders {
    /// Every collection of bystander data with its documents, as written.
    pub snapshot: Vec<(String, Vec<Document>)>,
    /// Documents of bystander tenants in shared collections: (collection, tenant, documents).
    pub stamped: Vec<(
        String,
        tenantry::mongodb::bson::oid::ObjectId,
        Vec<Document>,
    )>,
}

impl Bystanders {
    /// Two tenants with data and three foreign collections, in `t`'s database.
    pub async fn seed(t: &TestDb, m: &TenantManager) -> Self {
        let mut snapshot = Vec::new();
        for (i, name) in ["Bystander One", "Bystander Two"].iter().enumerate() {
            let tenant = m
                .create_tenant(name, &format!("bystander{i}@by.io"), PASSWORD)
                .await
                .unwrap();
            snapshot.push((tenant.collection_name, Vec::new()));
        }
        for foreign in ["org_not_a_tenant", "app_settings", "audit_trail"] {
            snapshot.push((foreign.to_owned(), Vec::new()));
        }
        for (i, (coll, docs)) in snapshot.iter_mut().enumerate() {
            *docs = (0..40)
                .map(
                    |n| doc! { "_id": n as i64, "owner": coll.as_str(), "n": (i * 100 + n) as i64 },
                )
                .collect();
            t.raw(coll).insert_many(docs.iter()).await.unwrap();
        }
        Bystanders {
            snapshot,
            stamped: Vec::new(),
        }
    }

    /// Add a foreign collection holding `docs` to the snapshot (and the database).
    pub async fn add_foreign(&mut self, t: &TestDb, name: &str, docs: Vec<Document>) {
        t.raw(name).insert_many(docs.iter()).await.unwrap();
        self.snapshot.push((name.to_owned(), docs));
    }

    /// Every bystander document is there, unchanged, and nothing else is.
    pub async fn assert_untouched(&self, t: &TestDb, context: &str) {
        for (coll, docs) in &self.snapshot {
            assert_eq!(
                &t.documents(coll).await,
                docs,
                "{context}: data not owned by the subject changed in {coll}"
            );
        }
        for (coll, tenant, docs) in &self.stamped {
            let theirs: Vec<Document> = t
                .documents(coll)
                .await
                .into_iter()
                .filter(|d| d.get_object_id("_tenant") == Ok(*tenant))
                .collect();
            assert_eq!(
                &theirs, docs,
                "{context}: a bystander's documents changed in {coll}"
            );
        }
    }

    /// Collections a tenant-collection check should ignore.
    pub fn foreign_names(&self) -> Vec<String> {
        self.snapshot
            .iter()
            .filter(|(c, _)| !c.starts_with("org_bystander"))
            .map(|(c, _)| c.clone())
            .collect()
    }
}

/// Fast-forward every lease in `t`'s database: operations in flight become abandoned, as
/// if their owners had stopped renewing long ago.
pub async fn expire_leases(t: &TestDb) {
    t.raw("organizations")
        .update_many(
            doc! { "op": { "$exists": true } },
            doc! { "$set": { "op.renewed_at": tenantry::mongodb::bson::DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
}
