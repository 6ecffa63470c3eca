//! The master database: every collection the library keeps there, its indexes, and every
//! filter and update document written against it. Code outside this module asks the store;
//! it does not build queries of its own.
//!
//! - `records.rs`: tenant records, admin users, the journal of operations in flight;
//! - `keys.rs`: the key documents that make names, collections and emails unique;
//! - `catalog.rs`: the tenants' collections (create, rename, drop, tombstones, strays);
//! - `attempts.rs`: failed-login counters.

mod attempts;
mod catalog;
mod keys;
mod moves;
mod records;

use mongodb::bson::{doc, Document};
use mongodb::change_stream::{event::ChangeStreamEvent, ChangeStream};
use mongodb::options::{CollectionOptions, IndexOptions, WriteConcern};
use mongodb::{Client, Collection, Database, IndexModel};

pub(crate) use attempts::Reservation;
pub(crate) use catalog::{is_validation_failure, Renamed, TombstoneDoc};
pub(crate) use keys::{Key, KeyDoc, Kind};
pub(crate) use moves::portable;
pub(crate) use records::{
    bson_time, now, AdminChange, AdminDoc, DeleteDetail, Detail, Fence, Journal, MoveDetail,
    OrgDoc, Place, RenameTarget, State, UpdateDetail,
};

use crate::error::Result;

/// Collection of tenant records.
pub(crate) const ORGANIZATIONS: &str = "organizations";
/// Collection of admin users.
pub(crate) const ADMIN_USERS: &str = "admin_users";
/// Collection of key documents.
pub(crate) const TENANT_KEYS: &str = "tenant_keys";
/// Collection of registered tombstones.
pub(crate) const TENANT_TOMBSTONES: &str = "tenant_tombstones";
/// Collection of stray documents that could not be merged (their `_id` was taken).
pub(crate) const TENANT_CONFLICTS: &str = "tenant_conflicts";
/// Collection of the fences of tenants in shared collections (see `moves.rs`).
pub(crate) const TENANT_FENCES: &str = "tenant_fences";
/// Collection of failed-login counters, expired by a TTL index.
pub(crate) const LOGIN_ATTEMPTS: &str = "login_attempts";

/// Handles on the master database's collections, all writing with the configured write
/// concern.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    pub client: Client,
    pub db: Database,
    pub orgs: Collection<OrgDoc>,
    pub admins: Collection<AdminDoc>,
    pub keys: Collection<KeyDoc>,
    pub tombstones: Collection<TombstoneDoc>,
    pub conflicts: Collection<Document>,
    pub attempts: Collection<Document>,
    pub fences: Collection<Document>,
    /// Applied to every write and catalog command; `None` leaves the server's default.
    pub write_concern: Option<WriteConcern>,
    /// The cluster of `client` and `db` (the catalog's collections are always the home
    /// cluster's).
    pub cluster: String,
}

/// A lookup index on `keys`, named `name`.
pub(crate) fn index(keys: Document, name: &str) -> IndexModel {
    let options = IndexOptions::builder().name(name.to_owned()).build();
    IndexModel::builder().keys(keys).options(options).build()
}

impl Store {
    pub(crate) fn new(client: Client, db: &str, write_concern: Option<WriteConcern>) -> Self {
        let db = client.database(db);
        let options = CollectionOptions::builder()
            .write_concern(write_concern.clone())
            .build();
        Store {
            orgs: db.collection_with_options(ORGANIZATIONS, options.clone()),
            admins: db.collection_with_options(ADMIN_USERS, options.clone()),
            keys: db.collection_with_options(TENANT_KEYS, options.clone()),
            tombstones: db.collection_with_options(TENANT_TOMBSTONES, options.clone()),
            conflicts: db.collection_with_options(TENANT_CONFLICTS, options.clone()),
            fences: db.collection_with_options(TENANT_FENCES, options.clone()),
            attempts: db.collection_with_options(LOGIN_ATTEMPTS, options),
            client,
            db,
            write_concern,
            cluster: crate::placement::HOME_CLUSTER.to_owned(),
        }
    }

    /// A collection of the catalog, written with the store's write concern.
    pub(crate) fn catalog<T: Send + Sync>(&self, name: &str) -> Collection<T> {
        self.db.collection_with_options(
            name,
            mongodb::options::CollectionOptions::builder()
                .write_concern(self.write_concern.clone())
                .build(),
        )
    }

    /// The same store with `database` as the database of tenants' data: the collection
    /// commands of `catalog.rs` run there; the library's own collections stay the
    /// catalog's.
    pub(crate) fn on(&self, database: &str) -> Store {
        if self.db.name() == database {
            return self.clone();
        }
        Store {
            db: self.client.database(database),
            ..self.clone()
        }
    }

    /// [`on`](Self::on) a database of the cluster `cluster`, reached by `client`.
    pub(crate) fn on_cluster(&self, cluster: &str, client: &Client, database: &str) -> Store {
        Store {
            db: client.database(database),
            client: client.clone(),
            cluster: cluster.to_owned(),
            ..self.clone()
        }
    }

    /// Create the lookup indexes (idempotent). Uniqueness is in the key documents.
    pub(crate) async fn ensure_indexes(&self) -> Result<()> {
        self.orgs
            .create_indexes([
                index(doc! { "name_key": 1 }, "name_key"),
                index(doc! { "state": 1 }, "state"),
                index(doc! { "admin_id": 1 }, "admin_id"),
                index(doc! { "cluster": 1 }, "cluster"),
                // Listing pages, in creation order.
                index(doc! { "created_at": 1, "_id": 1 }, "created_at"),
            ])
            .await?;
        self.admins
            .create_indexes([
                index(doc! { "email_key": 1 }, "email_key"),
                index(doc! { "organization_id": 1 }, "organization_id"),
                // Logins of joined members (`members.rs`).
                index(doc! { "member_email_key": 1 }, "member_email_key"),
            ])
            .await?;
        self.keys
            .create_index(index(doc! { "owner": 1 }, "owner"))
            .await?;
        self.ensure_attempt_indexes().await?;
        Ok(())
    }

    /// Ping the server (readiness).
    pub(crate) async fn ping(&self) -> Result<()> {
        self.client
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .await?;
        Ok(())
    }

    /// The changes to the tenant records and admins (and whatever would make a cache of them
    /// wrong: a drop, a rename onto them, the database dropped), each read of the stream
    /// waiting at most `max_await` for events.
    pub(crate) async fn watch_master(
        &self,
        max_await: std::time::Duration,
    ) -> Result<ChangeStream<ChangeStreamEvent<Document>>> {
        let watched = vec![ORGANIZATIONS, ADMIN_USERS];
        let filter = doc! { "$match": { "$or": [
            { "ns.coll": { "$in": watched.clone() } },
            { "to.coll": { "$in": watched } },
            { "operationType": { "$in": ["dropDatabase", "invalidate"] } },
        ] } };
        Ok(self
            .db
            .watch()
            .pipeline([filter])
            .max_await_time(max_await)
            .await?)
    }

    /// The server's clock: leases are judged on it, never on the caller's.
    pub(crate) async fn server_time(&self) -> Result<chrono::DateTime<chrono::Utc>> {
        let hello = self
            .client
            .database("admin")
            .run_command(doc! { "hello": 1 })
            .await?;
        match hello.get_datetime("localTime") {
            Ok(t) => Ok(t.to_chrono()),
            Err(_) => Err(crate::Error::internal("the server reports no localTime")),
        }
    }
}
