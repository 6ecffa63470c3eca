//! Benchmarks that talk to the database directly: through the core (`rename`, `scale`)
//! or through the bare driver (`raw-find`), plus the bcrypt timing (`bcrypt`). The bulk
//! seeding of tenants (copies of the records the core wrote) is here too.

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tenantry::mongodb::bson::{self, doc, Document};
use tenantry::mongodb::{Client, Collection};
use tenantry::{Config, Layout, Naming, TenantManager};

use crate::args::Args;
use crate::http::PASSWORD;
use crate::stats::{median, summary};
use crate::Res;

const SECRET: &str = "tenantry-bench-secret-0123456789";

pub(crate) fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// CPU time this thread has run (`CLOCK_THREAD_CPUTIME_ID`, exact at any duration), so
/// that a timing is the work's own cost even when other processes share the core.
fn thread_cpu() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Median CPU time (and wall time) of one bcrypt hash and one verification at `--cost`
/// over `--n` samples, on this thread (pin it with `taskset` to a core the server gets).
/// The CPU time is what a login costs a core; wall time adds whatever else ran there.
pub fn bcrypt_timing(args: &Args) -> Res<Value> {
    let cost: u32 = args.get("cost", 10)?;
    let n: usize = args.get("n", 15)?;
    let timed = |f: &mut dyn FnMut() -> Res<()>| -> Res<(f64, f64)> {
        let (c0, t0) = (thread_cpu(), Instant::now());
        f()?;
        let wall = millis(t0.elapsed());
        let cpu = match (c0, thread_cpu()) {
            (Some(a), Some(b)) => millis(b.saturating_sub(a)),
            _ => wall,
        };
        Ok((cpu, wall))
    };
    let mut hashed = String::new();
    let mut hash_cpu = Vec::new();
    for _ in 0..n.min(5) {
        let (cpu, _) = timed(&mut || {
            hashed = bcrypt::non_truncating_hash(PASSWORD, cost)?;
            Ok(())
        })?;
        hash_cpu.push(cpu);
    }
    let (mut verify_cpu, mut verify_wall) = (Vec::new(), Vec::new());
    for _ in 0..n {
        // The call the core's login makes for a plain bcrypt hash.
        let (cpu, wall) = timed(
            &mut || match bcrypt::non_truncating_verify(PASSWORD, &hashed)? {
                true => Ok(()),
                false => Err("bcrypt verification failed".into()),
            },
        )?;
        verify_cpu.push(cpu);
        verify_wall.push(wall);
    }
    Ok(json!({
        "cost": cost,
        "clock": if thread_cpu().is_some() { "thread CPU time" } else { "wall time" },
        "hash_ms": median(&hash_cpu),
        "verify_ms": median(&verify_cpu),
        "verify_wall_ms": median(&verify_wall),
        "verify_samples_ms": verify_cpu,
    }))
}

/// A manager on `--uri` / `--db` whose new tenants get `--layout` (`collection`) and
/// `--naming` (`slug`), the configuration's defaults.
pub(crate) async fn manager(args: &Args, cost: u32) -> Res<TenantManager> {
    let config = Config::builder(args.req::<String>("uri")?, SECRET)
        .master_db(args.req::<String>("db")?)
        .layout(args.get("layout", Layout::Collection)?)
        .naming(args.get("naming", Naming::Slug)?)
        .bcrypt_cost(cost)
        .login_throttle(None)
        .cache_capacity(args.get("capacity", 100_000)?)
        .build()?;
    Ok(TenantManager::connect(config).await?)
}

/// The `find_one` that `get_tenant` sends (`organizations` by `name_key`), straight
/// through the driver at `--conc` concurrent requests for `--secs`.
pub async fn raw_find(args: &Args) -> Res<Value> {
    let client = Client::with_uri_str(args.req::<String>("uri")?).await?;
    let orgs: Collection<Document> = client
        .database(&args.req::<String>("db")?)
        .collection("organizations");
    let key = tenantry::name_key(&args.get("name", crate::http::org_name(0))?);
    let filter = doc! { "name_key": &key };
    if orgs.find_one(filter.clone()).await?.is_none() {
        return Err(format!("no organization with name_key '{key}'").into());
    }
    let conc: usize = args.get("conc", 32)?;
    let warmup = Duration::from_secs_f64(args.get("warmup", 1.0)?);
    let secs = Duration::from_secs_f64(args.get("secs", 5.0)?);
    let start = Instant::now();
    let (from, until) = (start + warmup, start + warmup + secs);
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (orgs, filter) = (orgs.clone(), filter.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                let found = orgs.find_one(filter.clone()).await?;
                if found.is_none() {
                    return Err("document vanished".into());
                }
                if t0 >= from {
                    latencies.push(t0.elapsed().as_micros() as u64);
                }
            }
            Res::Ok(latencies)
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(json!({
        "conc": conc,
        "seconds": secs.as_secs_f64(),
        "ok": all.len(),
        "per_second": all.len() as f64 / secs.as_secs_f64(),
        "latency": summary(all),
    }))
}

/// A document of about `bytes` bytes of BSON.
pub(crate) fn filler(i: i64, bytes: usize) -> Document {
    let make =
        |pad: usize| doc! { "_id": bson::oid::ObjectId::new(), "i": i, "payload": "x".repeat(pad) };
    let base = bson::to_vec(&make(0)).map(|v| v.len()).unwrap_or(0);
    make(bytes.saturating_sub(base))
}

/// Rename tenants holding each of `--sizes` documents of `--doc-bytes` bytes back and
/// forth `--runs` times through `rename_tenant`, with `--naming` `slug` (`org_<slug>`: the
/// collection is renamed) or `stable` (`org_<id>`: only records change). Each rename is
/// followed by a bare metadata update, an `update_one` of one document in a scratch
/// collection of the same database, for comparison; with `slug` names, the bare
/// `renameCollection` of the same collection is timed afterwards too.
pub async fn rename(args: &Args) -> Res<Value> {
    let m = manager(args, 4).await?;
    let sizes: Vec<usize> = args.list("sizes", "1000,10000,100000")?;
    let runs: usize = args.get("runs", 5)?;
    let doc_bytes: usize = args.get("doc-bytes", 200)?;
    let naming = m.config().naming;
    let db = m.client().database(&m.config().master_db);
    let scratch = db.collection::<Document>("bench_bare_update");
    let mut out = Vec::new();
    for &n in &sizes {
        let names = [format!("Rename {n} A"), format!("Rename {n} B")];
        let email = format!("rename{n}@bench.example");
        let created = m.create_tenant(&names[0], &email, PASSWORD).await?;
        let token = m.authenticate(&email, PASSWORD).await?;
        let claims = m.verify_token(&token.access_token).await?;
        let coll = m.tenant_collection::<Document>(&claims).await?;
        let t0 = Instant::now();
        let sample = filler(0, doc_bytes);
        let bson_bytes = bson::to_vec(&sample)?.len();
        for batch in (0..n).collect::<Vec<_>>().chunks(5000) {
            let docs: Vec<Document> = batch.iter().map(|&i| filler(i as i64, doc_bytes)).collect();
            coll.insert_many(&docs).await?;
        }
        let insert_s = t0.elapsed().as_secs_f64();

        // The bare update's document: a record-sized one, changed like a record is.
        let id = bson::oid::ObjectId::new();
        let record = |name: &str| {
            doc! { "organization_name": name, "updated_at": bson::DateTime::now() }
        };
        let mut first = record(&names[0]);
        first.insert("_id", id);
        scratch.insert_one(first).await?;
        let mut core_ms = Vec::new();
        let mut bare_ms = Vec::new();
        let mut current = 0;
        let mut collection = created.collection_name.clone();
        let mut moved_collection = false;
        for _ in 0..runs {
            let t0 = Instant::now();
            let tenant = m.rename_tenant(&claims, &names[1 - current]).await?;
            core_ms.push(millis(t0.elapsed()));
            moved_collection |= tenant.collection_name != collection;
            let t0 = Instant::now();
            scratch
                .update_one(
                    doc! { "_id": id },
                    doc! { "$set": record(&names[1 - current]) },
                )
                .await?;
            bare_ms.push(millis(t0.elapsed()));
            current = 1 - current;
            collection = tenant.collection_name;
        }
        scratch.delete_one(doc! { "_id": id }).await?;
        let count = db
            .collection::<Document>(&collection)
            .count_documents(doc! {})
            .await?;
        if count != n as u64 {
            return Err(
                format!("after renames '{collection}' holds {count} documents, not {n}").into(),
            );
        }

        // The server's own `renameCollection` of the same collection, for comparison (what
        // a rename with slug names costs; stable names do not rename collections).
        let mut raw_ms = Vec::new();
        if naming == Naming::Slug {
            let master = &m.config().master_db;
            let spare = format!("bench_raw_rename_{n}");
            let mut here = collection.clone();
            for _ in 0..runs {
                let there = if here == collection {
                    spare.clone()
                } else {
                    collection.clone()
                };
                let t0 = Instant::now();
                m.client()
                    .database("admin")
                    .run_command(doc! {
                        "renameCollection": format!("{master}.{here}"),
                        "to": format!("{master}.{there}"),
                    })
                    .await?;
                raw_ms.push(millis(t0.elapsed()));
                here = there;
            }
            if here != collection {
                m.client()
                    .database("admin")
                    .run_command(doc! {
                        "renameCollection": format!("{master}.{here}"),
                        "to": format!("{master}.{collection}"),
                    })
                    .await?;
            }
        }
        m.delete_tenant(&claims).await?;
        let (rename_ms, bare_update_ms) = (median(&core_ms), median(&bare_ms));
        out.push(json!({
            "documents": n,
            "doc_bson_bytes": bson_bytes,
            "insert_seconds": insert_s,
            "collection_renamed": moved_collection,
            "rename_ms": rename_ms,
            "rename_samples_ms": core_ms,
            "bare_update_ms": bare_update_ms,
            "bare_update_samples_ms": bare_ms,
            "rename_per_bare_update": rename_ms / bare_update_ms,
            "raw_rename_ms": (!raw_ms.is_empty()).then(|| median(&raw_ms)),
            "raw_rename_samples_ms": raw_ms,
        }));
    }
    scratch.drop().await?;
    Ok(json!({ "naming": naming.as_str(), "runs": runs, "sizes": out }))
}

/// xorshift64*: reproducible sampling without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

/// With each of `--levels` tenants present, all in `--layout` (`collection`, `shared` or
/// `database`), the latency of `--get-samples` sequential `get_tenant` of random tenants
/// and `--create-samples` sequential `create_tenant` (bcrypt cost `--cost`, 4 by default,
/// so that hashing is a small part), and the number of collections in the master database
/// (one per tenant in the `collection` layout, a constant in the others).
///
/// Tenants are created through `create_tenant`, `--conc` at a time, for up to
/// `--core-fill-budget` seconds per level. Should creating be so slow that the budget runs
/// out (on secantusd-rs each create cost O(collections) while the core listed collections),
/// the rest are seeded in bulk by [`seed_bulk`] so that the run stays within its time; the
/// results say how many were. Every measured call goes through the core, and the random
/// `get_tenant` calls also read seeded tenants, so a record the core could not use would
/// fail the run.
pub async fn scale(args: &Args) -> Res<Value> {
    let cost: u32 = args.get("cost", 4)?;
    let m = manager(args, cost).await?;
    let levels: Vec<usize> = args.list("levels", "100,1000,10000")?;
    let conc: usize = args.get("conc", 16)?;
    let budget = Duration::from_secs_f64(args.get("core-fill-budget", 60.0)?);
    let get_samples: usize = args.get("get-samples", 400)?;
    let create_samples: usize = args.get("create-samples", 20)?;
    let master = m.client().database(&m.config().master_db);
    let orgs = master.collection::<Document>("organizations");
    let mut names: Vec<String> = Vec::new();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    let fresh = |from: usize, n: usize| -> Vec<String> {
        (from..from + n)
            .map(|i| format!("Scale Org {i:06}"))
            .collect()
    };
    for &level in &levels {
        let t0 = Instant::now();
        let present = orgs.count_documents(doc! {}).await? as usize;
        let wanted = level.saturating_sub(present);
        let mut by_core = 0;
        // Through the core, in batches, while the budget lasts.
        while by_core < wanted && t0.elapsed() < budget {
            let batch = fresh(names.len(), (wanted - by_core).min(conc * 32));
            let first = names.len();
            stream::iter(batch.iter().enumerate())
                .map(|(k, name)| {
                    let m = m.clone();
                    let email = scale_email(first + k);
                    async move { m.create_tenant(name, &email, PASSWORD).await }
                })
                .buffer_unordered(conc)
                .try_collect::<Vec<_>>()
                .await?;
            by_core += batch.len();
            names.extend(batch);
        }
        if by_core < wanted {
            let template = names
                .first()
                .ok_or("no tenant created through the core to copy")?;
            let bulk_names = fresh(names.len(), wanted - by_core);
            seed_bulk(&m, template, &bulk_names, names.len(), conc).await?;
            names.extend(bulk_names);
        }
        let fill_s = t0.elapsed().as_secs_f64();
        let present = orgs.count_documents(doc! {}).await? as usize;
        let collections = master.list_collection_names().await?.len();

        for _ in 0..20 {
            m.get_tenant(&names[rng.below(names.len())]).await?;
        }
        let mut get_us = Vec::new();
        for _ in 0..get_samples {
            let name = &names[rng.below(names.len())];
            let t0 = Instant::now();
            m.get_tenant(name).await?;
            get_us.push(t0.elapsed().as_micros() as u64);
        }
        let mut create_us = Vec::new();
        for j in 0..create_samples {
            let name = format!("Scale Probe {level} {j}");
            let email = format!("probe{level}.{j}@bench.example");
            let t0 = Instant::now();
            m.create_tenant(&name, &email, PASSWORD).await?;
            create_us.push(t0.elapsed().as_micros() as u64);
        }
        out.push(json!({
            "tenants": present,
            "master_collections": collections,
            "created_by_core": by_core,
            "seeded_in_bulk": wanted - by_core,
            "fill_seconds": fill_s,
            "get": summary(get_us),
            "create": summary(create_us),
        }));
    }
    Ok(json!({
        "layout": m.config().layout.as_str(),
        "bcrypt_cost": cost,
        "core_fill_budget_seconds": budget.as_secs_f64(),
        "levels": out,
    }))
}

/// Resident memory of this process (VmRSS), in KiB.
fn rss_kib() -> Res<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or("no VmRSS in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("malformed VmRSS")?
        .parse()?)
}

/// The memory of the hot path's cache: `--tenants` tenants present (one created through
/// the core, the rest seeded in bulk as its copies, without their collections, which
/// `get_tenant` never reads), each read once through `get_tenant` by a manager whose cache
/// holds at most `--capacity` entries (one per tenant read); the process's RSS before and
/// after, and the entries held.
pub async fn cache_memory(args: &Args) -> Res<Value> {
    let tenants: usize = args.get("tenants", 100_000)?;
    let conc: usize = args.get("conc", 16)?;
    let m = manager(args, 4).await?;
    let names: Vec<String> = (0..tenants).map(|i| format!("Cache Org {i:06}")).collect();
    let first = names.first().ok_or("--tenants must be at least 1")?;
    m.create_tenant(first, &scale_email(0), PASSWORD).await?;
    let t0 = Instant::now();
    seed_bulk_records(&m, first, &names[1..], 1, conc, false).await?;
    let seed_s = t0.elapsed().as_secs_f64();
    // Warm everything but the cache: the driver's pool, the allocator's arenas.
    for _ in 0..200 {
        m.get_tenant(first).await?;
    }
    let before = rss_kib()?;
    let t0 = Instant::now();
    stream::iter(names.iter())
        .map(|name| {
            let m = m.clone();
            async move { m.get_tenant(name).await }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    let read_s = t0.elapsed().as_secs_f64();
    let after = rss_kib()?;
    let stats = m.cache_stats();
    Ok(json!({
        "tenants": tenants,
        "capacity": m.config().cache_capacity,
        "entries": stats.entries,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "bytes_per_entry": (after.saturating_sub(before) * 1024) as f64 / stats.entries.max(1) as f64,
        "seed_seconds": seed_s,
        "read_seconds": read_s,
        "hits": stats.hits,
        "misses": stats.misses,
        "bypassed": stats.bypassed,
    }))
}

pub(crate) fn scale_email(i: usize) -> String {
    format!("scale{i}@bench.example")
}

/// What identifies a tenant in the master database's documents.
struct Identity {
    ids: [bson::oid::ObjectId; 2],
    /// The collection when it is named after the tenant (`slug` names in the `collection`
    /// layout), the name, its key, the email, its key and the tenant id in hex (in
    /// `org_<id>` and `tenant_<id>`): longest first, so that a collection name is replaced
    /// before the name key it contains. `shared_data` is nobody's in particular.
    strings: Vec<String>,
}

impl Identity {
    fn new(
        ids: [bson::oid::ObjectId; 2],
        slug_collection: Option<&str>,
        name: &tenantry::TenantName,
        email: &tenantry::Email,
    ) -> Identity {
        let hex = ids[0].to_hex();
        let mut strings: Vec<String> = slug_collection
            .into_iter()
            .chain([
                name.display(),
                name.key(),
                email.display(),
                email.key(),
                hex.as_str(),
            ])
            .map(str::to_owned)
            .collect();
        strings.dedup();
        Identity { ids, strings }
    }

    fn of(tenant: &tenantry::Tenant, db: &str) -> Res<Identity> {
        let name = tenantry::TenantName::parse(&tenant.name, db)?;
        let email = tenantry::Email::parse(&tenant.admin_email)?;
        let slug = slug_named(tenant, &name).then_some(tenant.collection_name.as_str());
        Ok(Identity::new(
            [tenant.id, tenant.admin_id],
            slug,
            &name,
            &email,
        ))
    }

    fn mentioned_in(&self, value: &bson::Bson) -> bool {
        match value {
            bson::Bson::ObjectId(id) => self.ids.contains(id),
            bson::Bson::String(s) => self.strings.iter().any(|t| s.contains(t.as_str())),
            bson::Bson::Document(d) => d.values().any(|v| self.mentioned_in(v)),
            bson::Bson::Array(a) => a.iter().any(|v| self.mentioned_in(v)),
            _ => false,
        }
    }

    /// `s` with this identity's strings replaced by `to`'s.
    fn translate(&self, s: &str, to: &Identity) -> String {
        let mut out = s.to_owned();
        for (old, new) in self.strings.iter().zip(&to.strings) {
            out = out.replace(old.as_str(), new);
        }
        out
    }
}

/// Whether the tenant's collection is named after it (`org_<slug>`), so that a copy of it
/// gets a collection named after the copy.
fn slug_named(tenant: &tenantry::Tenant, name: &tenantry::TenantName) -> bool {
    tenant.layout == Layout::Collection && tenant.collection_name == name.collection()
}

/// `value` with the template's ids and strings replaced by the new tenant's; other
/// ObjectIds (ids of the document itself) made fresh.
fn rewrite(value: &bson::Bson, from: &Identity, to: &Identity) -> bson::Bson {
    use bson::Bson;
    match value {
        Bson::ObjectId(id) => match from.ids.iter().position(|t| t == id) {
            Some(i) => Bson::ObjectId(to.ids[i]),
            None => Bson::ObjectId(bson::oid::ObjectId::new()),
        },
        Bson::String(s) => Bson::String(from.translate(s, to)),
        Bson::Document(d) => Bson::Document(
            d.iter()
                .map(|(k, v)| (k.clone(), rewrite(v, from, to)))
                .collect(),
        ),
        Bson::Array(a) => Bson::Array(a.iter().map(|v| rewrite(v, from, to)).collect()),
        other => other.clone(),
    }
}

/// Seed tenants `first..` named `names` in bulk (see [`scale`]): each tenant's own
/// collection with `create` (`org_<slug>` or `org_<id>` in the tenants' database, `data`
/// in `tenant_<id>`; none in the `shared` layout, whose tenants live in `shared_data`),
/// then, in every collection of the master database but the tenants' data, a copy of each
/// document that mentions the template tenant (the first one the core created), with the
/// template's ids, name, name key, collection, id and email replaced by the new tenant's.
/// So the seeded state is whatever the core writes, whatever the layout: a copy keeps the
/// template's `layout`, `naming`, `database` and `collection_name` but for what names the
/// tenant.
pub(crate) async fn seed_bulk(
    m: &TenantManager,
    template: &str,
    names: &[String],
    first: usize,
    conc: usize,
) -> Res<()> {
    seed_bulk_records(m, template, names, first, conc, true).await
}

/// [`seed_bulk`], with or without the tenants' own collections.
async fn seed_bulk_records(
    m: &TenantManager,
    template: &str,
    names: &[String],
    first: usize,
    conc: usize,
    collections: bool,
) -> Res<()> {
    let master = m.config().master_db.clone();
    let tenants_db = m.config().tenants_db().to_owned();
    let db = m.client().database(&master);
    let original = m.get_tenant(template).await?;
    let from = &Identity::of(&original, &tenants_db)?;
    let slug = slug_named(
        &original,
        &tenantry::TenantName::parse(&original.name, &tenants_db)?,
    );
    let mut targets = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let tenant = tenantry::TenantName::parse(name, &tenants_db)?;
        let email = tenantry::Email::parse(&scale_email(first + k))?;
        let ids = [bson::oid::ObjectId::new(), bson::oid::ObjectId::new()];
        let to = Identity::new(ids, slug.then_some(tenant.collection()), &tenant, &email);
        if to.strings.len() != from.strings.len() {
            return Err(format!("'{name}' does not map onto the template '{template}'").into());
        }
        targets.push(to);
    }
    let own = collections && original.layout != Layout::Shared;
    let wanted = if own { targets.len() } else { 0 };
    stream::iter(targets[..wanted].iter().map(|to| {
        (
            from.translate(&original.database, to),
            from.translate(&original.collection_name, to),
        )
    }))
    .map(|(database, collection)| {
        let client = m.client().clone();
        async move {
            client
                .database(&database)
                .run_command(doc! { "create": collection })
                .await
        }
    })
    .buffer_unordered(conc)
    .try_collect::<Vec<_>>()
    .await?;
    let mut copied = 0;
    for collection in db.list_collection_names().await? {
        if collection.starts_with(tenantry::COLLECTION_PREFIX)
            || collection.starts_with(tenantry::SHARED_PREFIX)
            || collection.starts_with("system.")
        {
            continue;
        }
        let coll = db.collection::<Document>(&collection);
        let originals: Vec<Document> = coll
            .find(doc! {})
            .await?
            .try_filter(|d| {
                let hit = d.values().any(|v| from.mentioned_in(v));
                async move { hit }
            })
            .try_collect()
            .await?;
        if originals.is_empty() {
            continue;
        }
        for chunk in targets.chunks(500) {
            let copies: Vec<Document> = chunk
                .iter()
                .flat_map(|to| {
                    originals.iter().map(move |d| {
                        d.iter()
                            .map(|(k, v)| (k.clone(), rewrite(v, from, to)))
                            .collect::<Document>()
                    })
                })
                .collect();
            copied += copies.len();
            coll.insert_many(copies).await?;
        }
    }
    if copied == 0 {
        return Err("found no document of the template tenant to copy".into());
    }
    Ok(())
}
