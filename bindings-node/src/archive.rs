//! The core's export and import (`TenantManager::export_tenant_with_progress`,
//! `import_tenant_with_progress`): what an archive holds ([`ArchiveManifest`]), how one is
//! imported ([`ImportOptions`]), how it is going ([`ArchiveProgress`], handed to a JS
//! callback as a move's reports are), and the files an archive is written to and read from.
//!
//! An export to a file is written beside it under a temporary name and renamed over it only
//! once the archive is whole: a failed export leaves no file, and never a truncated one in
//! place of an earlier archive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use napi::bindgen_prelude::{Either, Null};
use napi_derive::napi;
use tokio::fs::File;
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};

use crate::moves::{Listener, ProgressCallback};
use crate::types::{given, Nullable, Tenant};

/// One logical collection of an archive.
#[napi(object)]
pub struct ArchivedCollection {
    /// Its documents.
    pub count: f64,
    /// The SHA-256 (hex) of its documents' bytes, in `_id` order.
    pub sha256: String,
}

/// What an archive holds: per logical collection its count and checksum, and its count of
/// audit entries (the archive's last record; an import checks the data against it).
#[napi(object)]
pub struct ArchiveManifest {
    /// Per logical collection (`data`, and any other the tenant has).
    pub collections: BTreeMap<String, ArchivedCollection>,
    /// The audit entries the archive carries.
    pub audit_entries: f64,
}

impl From<tenantry::ArchiveManifest> for ArchiveManifest {
    fn from(m: tenantry::ArchiveManifest) -> Self {
        ArchiveManifest {
            collections: m
                .collections
                .into_iter()
                .map(|(name, (count, sha256))| {
                    let count = count as f64;
                    (name, ArchivedCollection { count, sha256 })
                })
                .collect(),
            audit_entries: m.audit_entries as f64,
        }
    }
}

/// How `importTenant` imports an archive; a field left out (or `null`) keeps the archive's.
/// The core parses and checks every value.
#[napi(object)]
pub struct ImportOptions {
    /// The name to import under.
    #[napi(ts_type = "string | null")]
    pub name: Option<Nullable<String>>,
    /// The admin's email (needed to import a copy beside the original, whose admin holds the
    /// archive's).
    #[napi(ts_type = "string | null")]
    pub admin_email: Option<Nullable<String>>,
    /// The imported tenant's layout.
    #[napi(ts_type = "'collection' | 'database' | 'shared' | null")]
    pub layout: Option<Nullable<String>>,
    /// The cluster to place it on, by name (the placement policy's choice otherwise).
    #[napi(ts_type = "string | null")]
    pub cluster: Option<Nullable<String>>,
}

impl TryFrom<ImportOptions> for tenantry::ImportOptions {
    type Error = tenantry::Error;

    fn try_from(o: ImportOptions) -> tenantry::Result<Self> {
        let mut options = tenantry::ImportOptions::new();
        if let Some(name) = given(o.name) {
            options = options.name(name);
        }
        if let Some(email) = given(o.admin_email) {
            options = options.admin_email(email);
        }
        if let Some(layout) = given(o.layout) {
            options = options.layout(layout.parse()?);
        }
        if let Some(cluster) = given(o.cluster) {
            options = options.cluster(cluster);
        }
        Ok(options)
    }
}

impl From<tenantry::ImportOptions> for ImportOptions {
    fn from(o: tenantry::ImportOptions) -> Self {
        ImportOptions {
            name: o.name.map(Either::A),
            admin_email: o.admin_email.map(Either::A),
            layout: o.layout.map(|l| Either::A(l.as_str().to_owned())),
            cluster: o.cluster.map(Either::A),
        }
    }
}

/// What `importTenant` made: the tenant, and the manifest its data was checked against.
#[napi(object)]
pub struct ImportedTenant {
    /// The imported tenant, active.
    pub tenant: Tenant,
    /// The archive's manifest.
    pub manifest: ArchiveManifest,
}

impl From<(tenantry::Tenant, tenantry::ArchiveManifest)> for ImportedTenant {
    fn from((tenant, manifest): (tenantry::Tenant, tenantry::ArchiveManifest)) -> Self {
        ImportedTenant {
            tenant: tenant.into(),
            manifest: manifest.into(),
        }
    }
}

/// How an export or import is going, as its progress callback hears it.
#[napi(object)]
pub struct ArchiveProgress {
    /// `export` (as the export starts, then every thousand documents), `import` (every
    /// thousand documents), `verify` (the archive read, the stored data being checked
    /// against its manifest) or `done` (the last report, repeating the last counts).
    #[napi(ts_type = "'export' | 'import' | 'verify' | 'done'")]
    pub phase: String,
    /// Documents written (export) or read (import) so far.
    pub copied: f64,
    /// Documents to write (export: as counted, or estimated from the collection's own
    /// count, when it started, and raised to `copied` when there were more); on import,
    /// `copied` (an archive does not say its size before its end).
    pub total: f64,
    /// Documents per second since the start.
    pub rate: f64,
    /// Seconds left at that rate, or `null` while there is no rate to go by.
    #[napi(ts_type = "number | null")]
    pub eta: Either<f64, Null>,
}

impl From<&tenantry::MoveProgress> for ArchiveProgress {
    fn from(p: &tenantry::MoveProgress) -> Self {
        ArchiveProgress {
            phase: p.phase.to_owned(),
            copied: p.copied as f64,
            total: p.total as f64,
            rate: p.rate,
            eta: p
                .eta
                .map_or(Either::B(Null), |d| Either::A(d.as_secs_f64())),
        }
    }
}

/// A JavaScript callback of an export's or import's progress.
pub type ArchiveProgressCallback = ProgressCallback<ArchiveProgress>;

/// An export's or import's reports, handed to its callback when it has one.
pub(crate) struct Reports(Option<Listener<ArchiveProgress>>);

impl Reports {
    pub(crate) fn new(callback: Option<ArchiveProgressCallback>) -> Self {
        Reports(callback.map(Listener::new))
    }

    /// Queue one report for the JS thread; never waits.
    pub(crate) fn report(&self, progress: &tenantry::MoveProgress) {
        if let Some(listener) = &self.0 {
            listener.report(progress);
        }
    }

    /// Resolves once the callback has returned from every report queued so far.
    pub(crate) async fn delivered(&self) {
        if let Some(listener) = &self.0 {
            listener.delivered().await;
        }
    }
}

fn unusable(path: &Path, what: &str, err: std::io::Error) -> tenantry::Error {
    tenantry::Error::InvalidInput {
        field: "path",
        message: format!("{}: cannot be {what}: {err}", path.display()),
    }
}

/// An archive being written to a file: to a temporary file beside it until it is whole.
pub(crate) struct ArchiveFile {
    path: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
}

impl ArchiveFile {
    /// Start the archive that will be `path`.
    pub(crate) async fn create(path: &str) -> tenantry::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = PathBuf::from(path);
        let Some(name) = path.file_name() else {
            return Err(tenantry::Error::InvalidInput {
                field: "path",
                message: format!("{}: must name a file", path.display()),
            });
        };
        let partial = path.with_file_name(format!(
            ".{}.{}-{}.partial",
            name.to_string_lossy(),
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::create(&partial)
            .await
            .map_err(|e| unusable(&path, "written", e))?;
        Ok(ArchiveFile {
            path,
            partial,
            out: BufWriter::new(file),
        })
    }

    /// Where the archive is written meanwhile.
    pub(crate) fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.out
    }

    /// After the export: on success the archive, flushed to disk, takes its place at the
    /// path; on failure the partial file is removed. The export's result either way (or the
    /// failure to put the archive in place).
    pub(crate) async fn finish<T>(mut self, exported: tenantry::Result<T>) -> tenantry::Result<T> {
        let placed = match exported {
            Ok(value) => self.place().await.map(|()| value),
            Err(e) => Err(e),
        };
        if placed.is_err() {
            // Nothing else to do if it cannot be removed: it is only ever a partial file.
            tokio::fs::remove_file(&self.partial).await.ok();
        }
        placed
    }

    async fn place(&mut self) -> tenantry::Result<()> {
        let path = self.path.clone();
        let written = |e| unusable(&path, "written", e);
        self.out.flush().await.map_err(written)?;
        self.out.get_ref().sync_all().await.map_err(written)?;
        tokio::fs::rename(&self.partial, &self.path)
            .await
            .map_err(written)
    }
}

/// The archive at `path`, to read.
pub(crate) async fn open(path: &str) -> tenantry::Result<BufReader<File>> {
    let file = File::open(path)
        .await
        .map_err(|e| unusable(Path::new(path), "read", e))?;
    Ok(BufReader::with_capacity(256 * 1024, file))
}
