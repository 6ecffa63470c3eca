//! `migrate`: `migrate` over `--tenants` tenants (the `collection` layout, two documents
//! each), against a loop of bare driver calls doing the same work: for each tenant, in
//! order, the same index and the same three updates on its collection, `--parallelism`
//! tenants at a time. Each run declares fresh fields, so that every run does the same work;
//! the bare loop reads the tenants' collections from their records first, as a tool
//! without a ledger would.

use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};
use tenantry::mongodb::bson::{doc, Bson, Document};
use tenantry::mongodb::IndexModel;
use tenantry::{MigrateOptions, Migration, MigrationStep, Schema};

use crate::args::Args;
use crate::db::{manager, scale_email, seed_bulk};
use crate::http::PASSWORD;
use crate::stats::median;
use crate::Res;

/// The run's migrations: an index, a default, a rename, an update, on fields of run `r`.
fn migrations(r: usize) -> Vec<Migration> {
    let (a, b, c) = (format!("a{r}"), format!("b{r}"), format!("c{r}"));
    vec![
        Migration::new(
            format!("{r}-index"),
            MigrationStep::CreateIndex {
                collection: "data".into(),
                index: Box::new(IndexModel::builder().keys(doc! { &b: 1 }).build()),
            },
        ),
        Migration::new(
            format!("{r}-default"),
            MigrationStep::SetDefault {
                collection: "data".into(),
                field: a.clone(),
                value: Bson::Int32(1),
            },
        ),
        Migration::new(
            format!("{r}-rename"),
            MigrationStep::RenameField {
                collection: "data".into(),
                from: a.clone(),
                to: b.clone(),
            },
        ),
        Migration::new(
            format!("{r}-update"),
            MigrationStep::Update {
                collection: "data".into(),
                filter: doc! { &b: 1, &c: { "$exists": false } },
                update: doc! { "$set": { &c: true } }.into(),
            },
        ),
    ]
}

/// The same work as [`migrations`], straight through the driver on one collection.
async fn bare(c: &tenantry::mongodb::Collection<Document>, r: usize) -> Res<()> {
    let (a, b, cc) = (format!("a{r}"), format!("b{r}"), format!("c{r}"));
    c.create_index(IndexModel::builder().keys(doc! { &b: 1 }).build())
        .await?;
    c.update_many(
        doc! { &a: { "$exists": false } },
        doc! { "$set": { &a: 1 } },
    )
    .await?;
    c.update_many(
        doc! { &a: { "$exists": true }, &b: { "$exists": false } },
        doc! { "$rename": { &a: &b } },
    )
    .await?;
    c.update_many(
        doc! { &b: 1, &cc: { "$exists": false } },
        doc! { "$set": { &cc: true } },
    )
    .await?;
    Ok(())
}

pub async fn migrate(args: &Args) -> Res<Value> {
    let m = manager(args, 4).await?;
    let tenants: usize = args.get("tenants", 10_000)?;
    let parallelism: usize = args.get("parallelism", 8)?;
    let runs: usize = args.get("runs", 3)?;
    let by_core: usize = args.get("by-core", 200)?.min(tenants);
    let names: Vec<String> = (0..tenants).map(|i| format!("Migrate {i:06}")).collect();
    let t0 = Instant::now();
    stream::iter(names[..by_core].iter().enumerate())
        .map(|(i, name)| {
            let m = m.clone();
            async move { m.create_tenant(name, &scale_email(i), PASSWORD).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    seed_bulk(&m, &names[0], &names[by_core..], by_core, 16).await?;
    let master = m.client().database(&m.config().master_db);
    let orgs = master.collection::<Document>("organizations");
    // Two documents in each tenant's collection.
    let collections: Vec<String> = orgs
        .find(doc! {})
        .await?
        .map_ok(|o| o.get_str("collection_name").unwrap_or_default().to_owned())
        .try_collect()
        .await?;
    if collections.len() != tenants {
        return Err(format!("{} tenants, not {tenants}", collections.len()).into());
    }
    stream::iter(collections.iter())
        .map(|name| {
            let c = master.collection::<Document>(name);
            async move { c.insert_many([doc! { "n": 1 }, doc! { "n": 2 }]).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    let fill_s = t0.elapsed().as_secs_f64();
    let mut schema = Schema::new();
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..runs {
        // The bare loop on fields of run 2r, the core on those of 2r + 1.
        let t = Instant::now();
        let listed: Vec<String> = orgs
            .find(doc! { "state": "active" })
            .projection(doc! { "collection_name": 1 })
            .await?
            .map_ok(|o| o.get_str("collection_name").unwrap_or_default().to_owned())
            .try_collect()
            .await?;
        let master = Arc::new(master.clone());
        stream::iter(listed)
            .map(|name| {
                let c = master.collection::<Document>(&name);
                async move { bare(&c, 2 * r).await }
            })
            .buffer_unordered(parallelism)
            .try_collect::<Vec<_>>()
            .await?;
        let bare_s = t.elapsed().as_secs_f64();
        for mig in migrations(2 * r + 1) {
            schema = schema.migration(mig);
        }
        m.set_schema(schema.clone())?;
        let t = Instant::now();
        let report = m
            .migrate(MigrateOptions::new().parallelism(parallelism))
            .await?;
        let core_s = t.elapsed().as_secs_f64();
        if !report.failed.is_empty() || report.applied != 4 * tenants as u64 {
            return Err(format!("the migration did not apply everything: {report:?}").into());
        }
        // Both did their work: every document has both runs' fields.
        for field in [format!("c{}", 2 * r), format!("c{}", 2 * r + 1)] {
            let sample = master.collection::<Document>(&collections[tenants / 2]);
            if sample.count_documents(doc! { &field: true }).await? != 2 {
                return Err(format!("{field} is missing").into());
            }
        }
        theirs.push(tenants as f64 / bare_s);
        ours.push(tenants as f64 / core_s);
        ratios.push(bare_s / core_s);
    }
    let (core_rate, bare_rate) = (median(&ours), median(&theirs));
    Ok(json!({
        "tenants": tenants,
        "migrations_per_run": 4,
        "parallelism": parallelism,
        "runs": runs,
        "fill_seconds": fill_s,
        "core_tenants_per_second": core_rate,
        "bare_tenants_per_second": bare_rate,
        "ratio": core_rate / bare_rate,
        "pair_ratios": ratios,
    }))
}
