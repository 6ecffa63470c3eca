//! Micro-benchmarks of the core (`cargo bench -p tenantry --bench core`; `make bench`
//! runs them pinned to one core). Token verification without the revocation check
//! (`decode_token`), with it from the cache (`verify_token`) and from the database
//! (`verify_token_uncached`, the cache off), and name normalization.
//!
//! `verify_token` reads the database: it runs when `MONGODB_URI` (or `MONGO_URI`) names a
//! MongoDB-wire server and is skipped, with a note, otherwise. Sample counts and times are
//! kept small so that the whole `make bench` stays within its budget; pass criterion's own
//! options after `--` for longer runs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use tenantry::{Config, TenantManager};

const PASSWORD: &str = "bench-password-123";

fn config(uri: &str, db: &str, cache_capacity: usize) -> Config {
    Config::builder(uri, "criterion-bench-secret-0123456789")
        .master_db(db)
        .bcrypt_cost(4)
        .login_throttle(None)
        .cache_capacity(cache_capacity)
        .build()
        .expect("valid configuration")
}

fn tokens(c: &mut Criterion) {
    let uri = std::env::var("MONGODB_URI")
        .or_else(|_| std::env::var("MONGO_URI"))
        .ok();
    // Two workers: the cache's watcher runs beside the measured loop, as in a server.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(uri) = uri else {
        eprintln!("MONGODB_URI is not set: skipping the token benchmarks (they need a server)");
        return;
    };
    let db = format!("bench_criterion_{}", std::process::id());
    let (manager, uncached, token) = rt.block_on(async {
        let m = TenantManager::connect(config(&uri, &db, 100_000))
            .await
            .expect("connect");
        let uncached = TenantManager::connect(config(&uri, &db, 0))
            .await
            .expect("connect");
        m.create_tenant("Criterion Org", "criterion@bench.example", PASSWORD)
            .await
            .expect("create");
        let t = m
            .authenticate("criterion@bench.example", PASSWORD)
            .await
            .expect("login");
        // The cache answers once its change stream is live.
        while !m.cache_stats().live {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (m, uncached, t.access_token)
    });

    let mut group = c.benchmark_group("token");
    group.bench_function("decode_token", |b| {
        b.iter(|| manager.decode_token(black_box(&token)).expect("valid"))
    });
    group.bench_function("verify_token", |b| {
        b.to_async(&rt).iter(|| async {
            manager
                .verify_token(black_box(&token))
                .await
                .expect("valid")
        })
    });
    group.bench_function("verify_token_uncached", |b| {
        b.to_async(&rt).iter(|| async {
            uncached
                .verify_token(black_box(&token))
                .await
                .expect("valid")
        })
    });
    group.finish();
    let stats = manager.cache_stats();
    eprintln!("cache of the verify_token run: {stats:?}");

    rt.block_on(async {
        let _ = manager.client().database(&db).drop().await;
    });
}

fn naming(c: &mut Criterion) {
    let mut group = c.benchmark_group("naming");
    group.bench_function("name_key_ascii", |b| {
        b.iter(|| tenantry::name_key(black_box("Acme Corp International")))
    });
    group.bench_function("name_key_unicode", |b| {
        b.iter(|| tenantry::name_key(black_box("ＡＣＭＥ Café Zürich 東京")))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = tokens, naming
}
criterion_main!(benches);
