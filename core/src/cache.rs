//! The hot path's cache: tenant records (by id, and by name key for the visible ones) and
//! admins' token versions, read through on first use, bounded (`cache_capacity` entries;
//! 0 turns it off), and kept coherent across processes by a change stream on the master
//! database's `organizations` and `admin_users`.
//!
//! What it promises: an answer from the cache is never older than the last change the
//! stream delivered, and the stream is known to be live. A watcher task reads the stream
//! with short awaits; every answer it gets (events or none) stamps the cache as heard. When
//! the stream has not answered for [`STALE_AFTER`] (a dead connection, a stalled server),
//! lookups go to the database and fill nothing; when the stream fails, or answers again
//! after such a gap (whatever the driver resumed), the cache is dropped first. So a
//! revocation in another process is refused here as soon as its event arrives, and at the
//! latest [`STALE_AFTER`] after the stream stopped delivering.
//!
//! Fills race with invalidations: a lookup that missed reads the database, then inserts
//! only if no event or drop happened since it started (one generation counter, changed
//! under the write lock), so an answer read before a change never lands after it. A change
//! is visible in the database before its event arrives, so a record may be filled under its
//! new name while its old name is still held: a name answers only for a record that holds
//! it, and a record replaced under another name takes its old name's key with it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use mongodb::bson::{oid::ObjectId, Bson, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType};

use crate::error::Result;
use crate::store::{AdminDoc, OrgDoc, Store, ADMIN_USERS, ORGANIZATIONS};

/// How long the stream may stay silent before the cache stops answering.
pub const STALE_AFTER: Duration = Duration::from_millis(750);
/// How long one read of the stream waits for events (well under [`STALE_AFTER`]).
const AWAIT: Duration = Duration::from_millis(150);
/// The wait before opening the stream again after it failed.
const RETRY: Duration = Duration::from_millis(250);

/// What the cache knows of an admin: enough to check a token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdminVersion {
    pub organization_id: ObjectId,
    pub token_version: i64,
    pub role: crate::members::Role,
}

impl From<&AdminDoc> for AdminVersion {
    fn from(a: &AdminDoc) -> Self {
        AdminVersion {
            organization_id: a.organization_id,
            token_version: a.token_version,
            role: crate::members::role_of(a),
        }
    }
}

/// Counters of the cache, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups answered from memory.
    pub hits: u64,
    /// Lookups that read the database and filled the cache.
    pub misses: u64,
    /// Lookups that read the database because the stream was not live (or the cache is off).
    pub bypassed: u64,
    /// Change events applied.
    pub events: u64,
    /// Times the cache was dropped whole (stream opened, failed, or back after a gap).
    pub drops: u64,
    /// Entries held now (tenant records and admins).
    pub entries: u64,
    /// Whether the stream is live now: lookups may be answered from memory.
    pub live: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Org(ObjectId),
    Admin(ObjectId),
}

#[derive(Default)]
struct Entries {
    /// Changed by every event and every drop: a fill that started under another
    /// generation is discarded.
    generation: u64,
    orgs: HashMap<ObjectId, Arc<OrgDoc>>,
    /// Name key -> the visible tenant holding it (always also in `orgs`).
    keys: HashMap<String, ObjectId>,
    admins: HashMap<ObjectId, AdminVersion>,
    /// Insertion order, for eviction (may name entries already gone).
    order: VecDeque<Slot>,
}

impl Entries {
    fn len(&self) -> usize {
        self.orgs.len() + self.admins.len()
    }

    fn forget_org(&mut self, id: ObjectId) {
        if let Some(org) = self.orgs.remove(&id) {
            if let Some(key) = &org.name_key {
                if self.keys.get(key) == Some(&id) {
                    self.keys.remove(key);
                }
            }
        }
    }

    /// Hold `org` under its id. A record it replaces may have been filled under another
    /// name (a newer one can be read before the stream delivers the rename): that name's
    /// key is forgotten with it, so no key ever leads to a record under another name.
    fn put_org(&mut self, id: ObjectId, org: Arc<OrgDoc>) {
        if let Some(old) = self.orgs.insert(id, Arc::clone(&org)) {
            if let Some(key) = old
                .name_key
                .as_ref()
                .filter(|k| org.name_key.as_ref() != Some(k))
            {
                if self.keys.get(key) == Some(&id) {
                    self.keys.remove(key);
                }
            }
        }
    }

    /// The visible record that holds `key` now, as far as the cache knows.
    fn org_by_key(&self, key: &str) -> Option<&Arc<OrgDoc>> {
        let org = self.orgs.get(self.keys.get(key)?)?;
        (org.is_visible() && org.name_key.as_deref() == Some(key)).then_some(org)
    }

    fn drop_all(&mut self) {
        self.generation += 1;
        self.orgs.clear();
        self.keys.clear();
        self.admins.clear();
        self.order.clear();
    }

    fn evict_to(&mut self, capacity: usize) {
        while self.len() > capacity {
            match self.order.pop_front() {
                Some(Slot::Org(id)) => self.forget_org(id),
                Some(Slot::Admin(id)) => {
                    self.admins.remove(&id);
                }
                None => break,
            }
        }
        // Slots of entries invalidated meanwhile pile up; start the order afresh when they
        // outnumber the entries.
        if self.order.len() > 2 * capacity.max(1024) {
            let mut order = VecDeque::with_capacity(self.len());
            order.extend(self.orgs.keys().map(|id| Slot::Org(*id)));
            order.extend(self.admins.keys().map(|id| Slot::Admin(*id)));
            self.order = order;
        }
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    bypassed: AtomicU64,
    events: AtomicU64,
    drops: AtomicU64,
}

struct Shared {
    entries: RwLock<Entries>,
    capacity: usize,
    /// When the stream last answered, in milliseconds since `epoch` (0: not live).
    heard: AtomicU64,
    epoch: Instant,
    counters: Counters,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        // At least 1: 0 means "not live".
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    fn live(&self) -> bool {
        let heard = self.heard.load(Ordering::Acquire);
        heard != 0 && self.now_ms().saturating_sub(heard) <= STALE_AFTER.as_millis() as u64
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn drop_all(&self) {
        self.write().drop_all();
        self.counters.drops.fetch_add(1, Ordering::Relaxed);
    }

    /// The stream is gone (failed, or the manager closed): not live, nothing held.
    fn lose_stream(&self) {
        self.heard.store(0, Ordering::Release);
        self.drop_all();
    }

    /// The stream answered: stamp it, dropping everything first if it had gone silent.
    fn heard_now(&self) {
        let now = self.now_ms();
        let before = self.heard.load(Ordering::Acquire);
        if before == 0 || now.saturating_sub(before) > STALE_AFTER.as_millis() as u64 {
            self.drop_all();
        }
        self.heard.store(now, Ordering::Release);
    }

    fn apply(&self, event: &ChangeStreamEvent<Document>) {
        self.counters.events.fetch_add(1, Ordering::Relaxed);
        let id = match event.document_key.as_ref().and_then(|k| k.get("_id")) {
            Some(Bson::ObjectId(id)) => Some(*id),
            _ => None,
        };
        let coll = event.ns.as_ref().and_then(|ns| ns.coll.as_deref());
        let document = matches!(
            event.operation_type,
            OperationType::Insert
                | OperationType::Update
                | OperationType::Replace
                | OperationType::Delete
        );
        self.invalidate(match (document, coll, id) {
            (true, Some(ORGANIZATIONS), Some(id)) => Change::Org(id),
            (true, Some(ADMIN_USERS), Some(id)) => Change::Admin(id),
            // A drop, a rename, an invalidation, an id that is no ObjectId, a kind this
            // version does not know: forget everything.
            _ => Change::All,
        });
    }

    fn invalidate(&self, change: Change) {
        let mut entries = self.write();
        entries.generation += 1;
        match change {
            Change::Org(id) => entries.forget_org(id),
            Change::Admin(id) => {
                entries.admins.remove(&id);
            }
            Change::All => {
                entries.drop_all();
                self.counters.drops.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// What a change event makes the cache forget.
#[derive(Debug, Clone, Copy)]
enum Change {
    Org(ObjectId),
    Admin(ObjectId),
    All,
}

/// The cache of one manager. Dropping it stops its watcher.
pub(crate) struct Cache {
    shared: Arc<Shared>,
    watcher: Option<tokio::task::AbortHandle>,
}

impl Drop for Cache {
    fn drop(&mut self) {
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
    }
}

impl Cache {
    /// A cache of at most `capacity` entries watching `store`'s master database (none, and
    /// every lookup from the database, for 0).
    pub(crate) fn start(store: &Store, capacity: usize) -> Cache {
        let shared = Arc::new(Shared {
            entries: RwLock::new(Entries::default()),
            capacity,
            heard: AtomicU64::new(0),
            epoch: Instant::now(),
            counters: Counters::default(),
        });
        let watcher = (capacity > 0).then(|| {
            let (shared, store) = (Arc::clone(&shared), store.clone());
            tokio::spawn(watch(shared, store)).abort_handle()
        });
        Cache { shared, watcher }
    }

    /// Stop watching (the manager closes): every later lookup reads the database.
    pub(crate) fn stop(&self) {
        if let Some(watcher) = &self.watcher {
            watcher.abort();
        }
        self.shared.lose_stream();
    }

    /// Forget everything: this process changed the master collections itself, and its
    /// next reads must see it whether or not the stream has delivered it yet.
    pub(crate) fn forget_all(&self) {
        if self.watcher.is_some() {
            self.shared.drop_all();
        }
    }

    /// The generation a fill must still find, or `None` when the cache may not be used.
    fn begin(&self) -> Option<u64> {
        if self.watcher.is_none() || !self.shared.live() {
            self.shared
                .counters
                .bypassed
                .fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(self.shared.read().generation)
    }

    fn hit(&self) {
        self.shared.counters.hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Insert under the write lock, if nothing changed since `generation` was read.
    fn fill(&self, generation: u64, insert: impl FnOnce(&mut Entries) -> Slot) {
        let mut entries = self.shared.write();
        if entries.generation != generation || !self.shared.live() {
            return;
        }
        let slot = insert(&mut entries);
        entries.order.push_back(slot);
        entries.evict_to(self.shared.capacity);
        self.shared.counters.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// A tenant record by id.
    pub(crate) async fn org(&self, store: &Store, id: ObjectId) -> Result<Option<OrgDoc>> {
        let Some(generation) = self.begin() else {
            return store.org(id).await;
        };
        if let Some(org) = self.shared.read().orgs.get(&id) {
            self.hit();
            return Ok(Some(OrgDoc::clone(org)));
        }
        let found = store.org(id).await?;
        if let Some(org) = &found {
            let org = Arc::new(org.clone());
            self.fill(generation, |e| {
                e.put_org(id, org);
                Slot::Org(id)
            });
        }
        Ok(found)
    }

    /// The visible tenant record holding a name key.
    pub(crate) async fn visible_org_by_key(
        &self,
        store: &Store,
        key: &str,
    ) -> Result<Option<OrgDoc>> {
        let Some(generation) = self.begin() else {
            return store.visible_org_by_key(key).await;
        };
        {
            if let Some(org) = self.shared.read().org_by_key(key) {
                self.hit();
                return Ok(Some(OrgDoc::clone(org)));
            }
        }
        let found = store.visible_org_by_key(key).await?;
        if let Some(org) = &found {
            let (id, org) = (org.id, Arc::new(org.clone()));
            let key = key.to_owned();
            self.fill(generation, |e| {
                e.put_org(id, org);
                e.keys.insert(key, id);
                Slot::Org(id)
            });
        }
        Ok(found)
    }

    /// What an admin's tokens must carry to be valid.
    pub(crate) async fn admin_version(
        &self,
        store: &Store,
        id: ObjectId,
    ) -> Result<Option<AdminVersion>> {
        let Some(generation) = self.begin() else {
            return Ok(store.admin(id).await?.as_ref().map(AdminVersion::from));
        };
        if let Some(admin) = self.shared.read().admins.get(&id) {
            self.hit();
            return Ok(Some(*admin));
        }
        let found = store.admin(id).await?.as_ref().map(AdminVersion::from);
        if let Some(admin) = found {
            self.fill(generation, |e| {
                e.admins.insert(id, admin);
                Slot::Admin(id)
            });
        }
        Ok(found)
    }

    /// The counters.
    pub(crate) fn stats(&self) -> CacheStats {
        let c = &self.shared.counters;
        CacheStats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            bypassed: c.bypassed.load(Ordering::Relaxed),
            events: c.events.load(Ordering::Relaxed),
            drops: c.drops.load(Ordering::Relaxed),
            entries: self.shared.read().len() as u64,
            live: self.watcher.is_some() && self.shared.live(),
        }
    }
}

/// The watcher: open the stream, apply its events, stamp every answer; on any failure drop
/// everything, wait a little and open it again. Runs until its cache is dropped.
async fn watch(shared: Arc<Shared>, store: Store) {
    loop {
        match store.watch_master(AWAIT).await {
            Ok(mut stream) => {
                shared.heard_now();
                loop {
                    match stream.next_if_any().await {
                        Ok(Some(event)) => {
                            shared.apply(&event);
                            shared.heard_now();
                        }
                        Ok(None) if stream.is_alive() => shared.heard_now(),
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "cache: the change stream failed; reading the database until it is back");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cache: cannot open the change stream; reading the database");
            }
        }
        shared.lose_stream();
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live_cache(capacity: usize) -> Cache {
        let shared = Arc::new(Shared {
            entries: RwLock::new(Entries::default()),
            capacity,
            heard: AtomicU64::new(0),
            // Started a while ago, so that "long ago" is a time after the start.
            epoch: Instant::now()
                .checked_sub(Duration::from_secs(5))
                .unwrap_or_else(Instant::now),
            counters: Counters::default(),
        });
        shared.heard_now();
        Cache {
            shared,
            watcher: None,
        }
    }

    fn admin(version: i64) -> AdminVersion {
        AdminVersion {
            organization_id: ObjectId::new(),
            token_version: version,
            role: crate::members::Role::Owner,
        }
    }

    #[test]
    fn a_fill_that_raced_a_change_is_discarded() {
        let cache = live_cache(10);
        let id = ObjectId::new();
        // Read before the change, filled after it: the old value must not land.
        let generation = cache.shared.read().generation;
        cache.shared.invalidate(Change::Admin(id));
        cache.fill(generation, |e| {
            e.admins.insert(id, admin(0));
            Slot::Admin(id)
        });
        assert!(cache.shared.read().admins.is_empty());
        // An unrelated change counts too (one generation for all): discarded as well.
        let generation = cache.shared.read().generation;
        cache.shared.invalidate(Change::Org(ObjectId::new()));
        cache.fill(generation, |e| {
            e.admins.insert(id, admin(0));
            Slot::Admin(id)
        });
        assert!(cache.shared.read().admins.is_empty());
        // Nothing in between: kept.
        let generation = cache.shared.read().generation;
        cache.fill(generation, |e| {
            e.admins.insert(id, admin(1));
            Slot::Admin(id)
        });
        assert_eq!(cache.shared.read().admins[&id].token_version, 1);
    }

    fn org(id: ObjectId, name: &str) -> Arc<OrgDoc> {
        let now = chrono::Utc::now();
        Arc::new(OrgDoc {
            id,
            organization_name: name.to_owned(),
            collection_name: format!("org_{name}"),
            admin_email: "a@x.io".to_owned(),
            admin_id: ObjectId::new(),
            created_at: now,
            updated_at: now,
            name_key: Some(name.to_owned()),
            state: Default::default(),
            layout: Default::default(),
            naming: Default::default(),
            database: None,
            cluster: None,
            op: None,
            deleted_at: None,
            purge_after: None,
            importing: None,
            suspended_at: None,
            suspended_reason: None,
        })
    }

    /// A rename is visible in the database before its event arrives: a reader can fill the
    /// new name while the old name's key is still held. After the event, and a refill by id,
    /// the old name must not lead to the renamed record.
    #[test]
    fn a_name_read_before_its_rename_event_never_answers_for_the_new_record() {
        let cache = live_cache(10);
        let id = ObjectId::new();
        let fill_by_key = |name: &str| {
            let generation = cache.shared.read().generation;
            let record = org(id, name);
            cache.fill(generation, |e| {
                e.put_org(id, record);
                e.keys.insert(name.to_owned(), id);
                Slot::Org(id)
            });
        };
        fill_by_key("a");
        // Renamed to "b" in the database; a reader fills "b" before the event.
        fill_by_key("b");
        assert!(cache.shared.read().org_by_key("a").is_none());
        cache.shared.invalidate(Change::Org(id));
        let generation = cache.shared.read().generation;
        let record = org(id, "b");
        cache.fill(generation, |e| {
            e.put_org(id, record);
            Slot::Org(id)
        });
        let entries = cache.shared.read();
        assert!(entries.org_by_key("a").is_none());
        assert!(
            !entries.keys.contains_key("a"),
            "no key is left to the renamed record"
        );
    }

    #[test]
    fn a_silent_stream_is_not_live_and_a_gap_drops_everything() {
        let cache = live_cache(10);
        let id = ObjectId::new();
        let generation = cache.shared.read().generation;
        cache.fill(generation, |e| {
            e.admins.insert(id, admin(0));
            Slot::Admin(id)
        });
        assert!(cache.shared.live());
        // Heard long ago: not live, and the next answer drops what was held.
        let long_ago = cache
            .shared
            .now_ms()
            .saturating_sub(STALE_AFTER.as_millis() as u64 + 10);
        cache.shared.heard.store(long_ago.max(1), Ordering::Release);
        if long_ago > 0 {
            assert!(!cache.shared.live());
        }
        cache.shared.heard.store(0, Ordering::Release);
        assert!(!cache.shared.live());
        cache.shared.heard_now();
        assert!(cache.shared.live());
        assert!(cache.shared.read().admins.is_empty());
    }

    #[test]
    fn entries_are_bounded_oldest_first() {
        let cache = live_cache(3);
        let ids: Vec<ObjectId> = (0..5).map(|_| ObjectId::new()).collect();
        for id in &ids {
            let generation = cache.shared.read().generation;
            cache.fill(generation, |e| {
                e.admins.insert(*id, admin(0));
                Slot::Admin(*id)
            });
        }
        let entries = cache.shared.read();
        assert_eq!(entries.len(), 3);
        assert!(ids[2..].iter().all(|id| entries.admins.contains_key(id)));
    }
}
