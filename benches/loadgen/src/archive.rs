//! `export`: a tenant written to an archive through `export_tenant`, against a bare scan of
//! the same documents on the same server (one cursor in `_id` order, the documents' bytes
//! written to the same kind of sink in 256 KiB writes): what an export minimally must do.

use std::time::Instant;

use futures_util::TryStreamExt;
use serde_json::{json, Value};
use tenantry::mongodb::bson::{self, doc, Document, RawDocumentBuf};
use tenantry::{Layout, TenantOptions};
use tokio::io::AsyncWriteExt;

use crate::args::Args;
use crate::db::{filler, manager};
use crate::http::PASSWORD;
use crate::stats::median;
use crate::Res;

/// For each of `--sizes`, a tenant in the `collection` layout filled with that many
/// documents of `--doc-bytes` bytes, exported `--runs` times to a sink (`tokio::io::sink`),
/// each export beside a bare scan; documents per second of both, medians, and their ratio.
pub async fn export(args: &Args) -> Res<Value> {
    let m = manager(args, 4).await?;
    let sizes: Vec<usize> = args.list("sizes", "10000,100000")?;
    let doc_bytes: usize = args.get("doc-bytes", 200)?;
    let runs: usize = args.get("runs", 3)?;
    let mut out = Vec::new();
    for &n in &sizes {
        let name = format!("Export {n}");
        let options = TenantOptions::new().layout(Layout::Collection);
        m.create_tenant_with(
            &name,
            &format!("export{n}@bench.example"),
            PASSWORD,
            options,
        )
        .await?;
        let tenant = m.get_tenant(&name).await?;
        let data = m.admin_scope(&name).await?.collection::<Document>("data")?;
        for batch in (0..n).collect::<Vec<_>>().chunks(5000) {
            let docs: Vec<Document> = batch.iter().map(|&i| filler(i as i64, doc_bytes)).collect();
            data.insert_many(&docs).await?;
        }
        let source = m
            .client()
            .database(&tenant.database)
            .collection::<RawDocumentBuf>(&tenant.collection_name);
        let (mut exports, mut scans, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut archive_bytes = 0;
        for _ in 0..runs {
            // The bare scan: one cursor in `_id` order, every document's bytes to a sink.
            let t0 = Instant::now();
            let mut sink = tokio::io::sink();
            let mut cursor = source
                .find(doc! {})
                .sort(doc! { "_id": 1 })
                .batch_size(1000)
                .await?;
            let mut scanned = 0usize;
            while let Some(d) = cursor.try_next().await? {
                sink.write_all(d.as_bytes()).await?;
                scanned += 1;
            }
            let scan_s = t0.elapsed().as_secs_f64();
            if scanned != n {
                return Err(format!("the scan read {scanned} documents, not {n}").into());
            }
            let t0 = Instant::now();
            let mut counted = Counted::default();
            let manifest = m.export_tenant(&name, &mut counted).await?;
            let export_s = t0.elapsed().as_secs_f64();
            archive_bytes = counted.bytes;
            let exported = manifest.collections.get("data").map(|c| c.0).unwrap_or(0);
            if exported != n as u64 {
                return Err(format!("the export wrote {exported} documents, not {n}").into());
            }
            exports.push(n as f64 / export_s);
            scans.push(n as f64 / scan_s);
            ratios.push(scan_s / export_s);
        }
        let (export_rate, scan_rate) = (median(&exports), median(&scans));
        out.push(json!({
            "documents": n,
            "doc_bson_bytes": bson::to_vec(&filler(0, doc_bytes))?.len(),
            "archive_bytes": archive_bytes,
            "export_docs_per_second": export_rate,
            "scan_docs_per_second": scan_rate,
            "ratio": export_rate / scan_rate,
            "pair_ratios": ratios,
        }));
    }
    Ok(json!({ "runs": runs, "sizes": out }))
}

/// A sink that counts what it is given.
#[derive(Default)]
struct Counted {
    bytes: u64,
}

impl tokio::io::AsyncWrite for Counted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.bytes += buf.len() as u64;
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
