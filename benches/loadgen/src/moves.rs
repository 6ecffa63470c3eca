//! `move`: a tenant's data moved online between layouts through `move_tenant`, against a
//! bare copy of the same documents on the same server (what a move minimally must do).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::TryStreamExt;
use serde_json::{json, Value};
use tenantry::mongodb::bson::{self, doc, Document, RawDocumentBuf};
use tenantry::mongodb::Collection;
use tenantry::{Layout, MoveProgress, MoveTarget, Tenant, TenantManager, TenantOptions};

use crate::args::Args;
use crate::db::{filler, manager, millis};
use crate::http::PASSWORD;
use crate::stats::median;
use crate::Res;

/// Documents per batch of the bare copy: the move's own batch.
const BATCH: i64 = 1000;

/// For each of `--sizes`, a tenant created in the `collection` layout and filled with that
/// many documents of `--doc-bytes` bytes, then moved through each of `--layouts` in turn
/// (`shared,collection,database`: every move reads the place the previous one wrote).
/// Before each move, the same documents, read from where the move will read them, are
/// copied bare: one cursor, in batches of 1,000, `insert_many` into a scratch
/// collection of the tenants' database (dropped after). Documents per second of both,
/// medians over the moves, and what the move's progress callback heard.
pub async fn move_tenant(args: &Args) -> Res<Value> {
    let m = manager(args, 4).await?;
    let sizes: Vec<usize> = args.list("sizes", "10000,100000")?;
    let doc_bytes: usize = args.get("doc-bytes", 200)?;
    let path: Vec<Layout> = args.list("layouts", "shared,collection,database")?;
    let scratch = m
        .client()
        .database(m.config().tenants_db())
        .collection::<RawDocumentBuf>("bench_bare_copy");
    let mut out = Vec::new();
    for &n in &sizes {
        let name = format!("Move {n}");
        let email = format!("move{n}@bench.example");
        let options = TenantOptions::new().layout(Layout::Collection);
        m.create_tenant_with(&name, &email, PASSWORD, options)
            .await?;
        let data = m.admin_scope(&name).await?.collection::<Document>("data")?;
        let t0 = Instant::now();
        let bson_bytes = bson::to_vec(&filler(0, doc_bytes))?.len();
        for batch in (0..n).collect::<Vec<_>>().chunks(5000) {
            let docs: Vec<Document> = batch.iter().map(|&i| filler(i as i64, doc_bytes)).collect();
            data.insert_many(&docs).await?;
        }
        let insert_s = t0.elapsed().as_secs_f64();

        let (mut moves, mut copies) = (Vec::new(), Vec::new());
        let (mut move_rates, mut copy_rates, mut pair_ratios) =
            (Vec::new(), Vec::new(), Vec::new());
        for &layout in &path {
            let source = m.get_tenant(&name).await?;
            let copy_s = bare_copy(&m, &source, &scratch, n).await?;

            let heard: Arc<Mutex<Vec<Heard>>> = Arc::default();
            let sink = Arc::clone(&heard);
            let t0 = Instant::now();
            let moved = m
                .move_tenant_with_progress(&name, MoveTarget::new().layout(layout), move |p| {
                    if let Ok(mut heard) = sink.lock() {
                        heard.push((t0.elapsed().as_secs_f64(), p.clone()));
                    }
                })
                .await?;
            let move_s = t0.elapsed().as_secs_f64();
            let held = m
                .admin_scope(&name)
                .await?
                .collection::<Document>("data")?
                .count_documents(doc! {})
                .await?;
            if held != n as u64 {
                return Err(format!(
                    "after the move to {layout} '{name}' holds {held} documents, not {n}"
                )
                .into());
            }
            let heard = heard.lock().map_err(|_| "progress lock poisoned")?.clone();
            let (move_rate, copy_rate) = (n as f64 / move_s, n as f64 / copy_s);
            move_rates.push(move_rate);
            copy_rates.push(copy_rate);
            pair_ratios.push(move_rate / copy_rate);
            copies.push(json!({
                "from": source.layout.as_str(),
                "seconds": copy_s,
                "docs_per_second": copy_rate,
            }));
            moves.push(json!({
                "from": source.layout.as_str(),
                "to": moved.layout.as_str(),
                "namespace": moved.namespace(),
                "seconds": move_s,
                "docs_per_second": move_rate,
                "progress": progress_summary(&heard, move_s),
            }));
        }
        delete(&m, &email).await?;
        let (move_rate, copy_rate) = (median(&move_rates), median(&copy_rates));
        out.push(json!({
            "documents": n,
            "doc_bson_bytes": bson_bytes,
            "insert_seconds": insert_s,
            "moves": moves,
            "bare_copies": copies,
            "move_docs_per_second": move_rate,
            "bare_docs_per_second": copy_rate,
            "ratio": move_rate / copy_rate,
            "pair_ratios": pair_ratios,
        }));
    }
    Ok(json!({
        "layouts": path.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "batch": BATCH,
        "sizes": out,
    }))
}

/// Copy the tenant's `expected` documents from where they are now into `scratch`, as a move
/// reads and writes them, and drop `scratch` again; the seconds it took (the drop aside).
async fn bare_copy(
    m: &TenantManager,
    tenant: &Tenant,
    scratch: &Collection<RawDocumentBuf>,
    expected: usize,
) -> Res<f64> {
    let source = m
        .client()
        .database(&tenant.database)
        .collection::<RawDocumentBuf>(&tenant.collection_name);
    let filter = match tenant.layout {
        Layout::Shared => doc! { tenantry::TENANT_FIELD: tenant.id },
        _ => doc! {},
    };
    scratch.drop().await?;
    let t0 = Instant::now();
    // One cursor, batches of 1,000 inserted as they come, as raw BSON (nothing decoded, as
    // the move copies): the least a copy can do.
    let mut cursor = source.find(filter).batch_size(BATCH as u32).await?;
    let (mut batch, mut copied) = (Vec::with_capacity(BATCH as usize), 0usize);
    while let Some(doc) = cursor.try_next().await? {
        batch.push(doc);
        if batch.len() == BATCH as usize {
            copied += batch.len();
            scratch.insert_many(&batch).ordered(false).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        copied += batch.len();
        scratch.insert_many(&batch).ordered(false).await?;
    }
    let seconds = t0.elapsed().as_secs_f64();
    scratch.drop().await?;
    if copied != expected {
        return Err(format!(
            "the bare copy of '{}' read {copied} documents, not {expected}",
            tenant.namespace()
        )
        .into());
    }
    Ok(seconds)
}

/// A progress report, with the seconds into the move when it came.
type Heard = (f64, MoveProgress);

/// What the progress callback heard: how many reports of each phase; the last one before
/// `done` (its rate: documents copied per second since the move started, as the callback
/// tells an operator), and when it came: the copy and its catch-up are over then, what is
/// left of `move_s` is the fence, the verification, the switch and the emptying.
fn progress_summary(heard: &[Heard], move_s: f64) -> Value {
    let count = |phase: &str| heard.iter().filter(|(_, p)| p.phase == phase).count();
    let last = heard.iter().rev().find(|(_, p)| p.phase != "done");
    let first_eta = heard
        .iter()
        .find(|(_, p)| p.phase == "copy" && p.copied > 0)
        .and_then(|(_, p)| p.eta)
        .map(|eta| millis(eta) / 1000.0);
    json!({
        "reports": heard.len(),
        "copy_reports": count("copy"),
        "catch_up_reports": count("catch-up"),
        "done_reports": count("done"),
        "last_phase": last.map(|(_, p)| p.phase),
        "last_copied": last.map(|(_, p)| p.copied),
        "last_total": last.map(|(_, p)| p.total),
        "last_rate": last.map(|(_, p)| p.rate),
        "first_eta_seconds": first_eta,
        "copied_after_seconds": last.map(|(at, _)| at),
        "rest_seconds": last.map(|(at, _)| move_s - at),
    })
}

/// Delete the tenant whose admin is `email` (its data goes with it, wherever it is).
async fn delete(m: &TenantManager, email: &str) -> Res<()> {
    let token = m.authenticate(email, PASSWORD).await?;
    let claims = m.verify_token(&token.access_token).await?;
    m.delete_tenant(&claims).await?;
    Ok(())
}
