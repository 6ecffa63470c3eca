//! Export and import: a tenant as one archive, a stream of BSON documents, each with its
//! `kind`:
//!
//! 1. `header`: the format and version, the tenant's record (id, name, layout, naming,
//!    times) and its admins (email, password hash: an archive is as sensitive as the
//!    database). Nothing in an archive depends on when it was made: two exports of an
//!    unchanged tenant are the same bytes, with the same manifest;
//! 2. per logical collection, `collection` (its name, validation options and indexes),
//!    then one `doc` per document (`c`: the collection, `d`: the document as the tenant
//!    sees it, without the stamp of the `shared` layout), in `_id` order;
//! 3. `audit`: the tenant's audit entries (`e`), in order;
//! 4. `manifest`, last: per collection the count and the SHA-256 of its documents' bytes
//!    in order, and the count of audit entries.
//!
//! An import reads the archive once, as a stream. The tenant is created (journaled, as any
//! create) hidden: `deleted` and marked as importing, so no call sees it, no restore can
//! reveal it, and `recover()` purges it if the import stops renewing its lease (two minutes
//! after its last batch: a process that died). Its documents and
//! indexes are written; the archive is checked against its manifest as it is read, then
//! the tenant's data is read back and checked against the manifest again; only then is the
//! tenant revealed. Any failure purges what the import made. Audit entries are kept under
//! the archive's tenant id (where they are not already): a chain is bound to its tenant,
//! and the new tenant's log begins with an `import` entry naming it.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, Bson, Document, RawDocument, RawDocumentBuf};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::audit::{self, AuditEntry, AuditQuery};
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::lifecycle::{create, relocate};
use crate::placement::{self, Layout, TENANT_FIELD};
use crate::store::{portable, OrgDoc};
use crate::tenant::{MoveProgress, Tenant, TenantOptions};

/// The format an archive names in its header.
pub const ARCHIVE_FORMAT: &str = "tenantry-archive";
/// The version of the format this library writes and reads.
pub const ARCHIVE_VERSION: i32 = 1;
/// The largest record an archive may hold: a 16 MiB document and its wrapping.
const MAX_RECORD: usize = 16 * 1024 * 1024 + 64 * 1024;
/// Documents written per batch on import, and between progress reports.
const BATCH: usize = 1000;

/// What an archive holds: per logical collection its count and checksum, and its count of
/// audit entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveManifest {
    /// Per logical collection: documents, and the SHA-256 (hex) of their bytes in order.
    pub collections: BTreeMap<String, (u64, String)>,
    /// Audit entries.
    pub audit_entries: u64,
    /// Every record before the manifest (header, collections, documents, audit entries):
    /// their count and the SHA-256 of their bytes in order, so that no byte of an archive
    /// goes unchecked.
    records: (u64, String),
}

impl ArchiveManifest {
    fn to_document(&self) -> Document {
        let mut collections = Document::new();
        for (name, (count, sha)) in &self.collections {
            let count = i64::try_from(*count).unwrap_or(i64::MAX);
            collections.insert(name, doc! { "count": count, "sha256": sha });
        }
        let audit = i64::try_from(self.audit_entries).unwrap_or(i64::MAX);
        let records = doc! {
            "count": i64::try_from(self.records.0).unwrap_or(i64::MAX),
            "sha256": &self.records.1,
        };
        doc! { "kind": "manifest", "collections": collections, "audit": audit, "records": records }
    }

    fn from_document(d: &Document) -> Result<Self> {
        let bad = || corrupt("its manifest is not readable");
        let mut collections = BTreeMap::new();
        for (name, entry) in d.get_document("collections").map_err(|_| bad())? {
            let entry = entry.as_document().ok_or_else(bad)?;
            let count = entry.get_i64("count").map_err(|_| bad())?;
            let sha = entry.get_str("sha256").map_err(|_| bad())?;
            collections.insert(
                name.clone(),
                (u64::try_from(count).map_err(|_| bad())?, sha.to_owned()),
            );
        }
        let audit = d.get_i64("audit").map_err(|_| bad())?;
        let records = d.get_document("records").map_err(|_| bad())?;
        let count = records.get_i64("count").map_err(|_| bad())?;
        let sha = records.get_str("sha256").map_err(|_| bad())?;
        Ok(ArchiveManifest {
            collections,
            audit_entries: u64::try_from(audit).map_err(|_| bad())?,
            records: (u64::try_from(count).map_err(|_| bad())?, sha.to_owned()),
        })
    }
}

/// How an archive is imported; unset fields keep the archive's.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ImportOptions {
    /// The name to import under (the archive's when unset).
    pub name: Option<String>,
    /// The admin's email (the archive's when unset; needed to import a copy beside the
    /// original, whose admin holds that email).
    pub admin_email: Option<String>,
    /// The layout of the imported tenant (the archive's when unset).
    pub layout: Option<Layout>,
    /// The cluster to place it on (the placement policy's choice when unset).
    pub cluster: Option<String>,
}

impl ImportOptions {
    /// The archive's name, email and layout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Import under `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With `email` as the admin's.
    pub fn admin_email(mut self, email: impl Into<String>) -> Self {
        self.admin_email = Some(email.into());
        self
    }

    /// In `layout`.
    pub fn layout(mut self, layout: Layout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// On `cluster`.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }
}

/// A progress callback (phases `export`, `import`, `verify`, `done`).
pub(crate) type Progress<'a> = Option<&'a (dyn Fn(&MoveProgress) + Send + Sync)>;

fn report(
    progress: Progress<'_>,
    phase: &'static str,
    done: u64,
    total: u64,
    started: std::time::Instant,
) {
    if let Some(progress) = progress {
        let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-3);
        let eta = (rate > 0.0 && total >= done)
            .then(|| std::time::Duration::from_secs_f64((total - done) as f64 / rate));
        progress(&MoveProgress {
            phase,
            copied: done,
            total,
            rate,
            eta,
        });
    }
}

fn corrupt(why: &str) -> Error {
    Error::invalid(
        "archive",
        format_args!("is not a tenantry archive, or is damaged: {why}"),
    )
}

/// A running checksum of one collection's documents.
#[derive(Default)]
struct Tally {
    count: u64,
    sha: Sha256,
}

impl Tally {
    fn add(&mut self, doc: &RawDocument) {
        self.add_bytes(doc.as_bytes());
    }

    fn add_bytes(&mut self, bytes: &[u8]) {
        self.count += 1;
        self.sha.update(bytes);
    }

    fn finish(self) -> (u64, String) {
        (self.count, hex::encode(self.sha.finalize()))
    }
}

async fn write_record<W: AsyncWrite + Unpin>(out: &mut W, record: &RawDocument) -> Result<()> {
    write_bytes(out, record.as_bytes()).await
}

async fn write_bytes<W: AsyncWrite + Unpin>(out: &mut W, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes)
        .await
        .map_err(|e| Error::invalid("archive", format_args!("cannot be written: {e}")))
}

/// Bytes of `doc` records gathered before a write.
const WRITE_BUFFER: usize = 256 * 1024;

/// The bytes of a `doc` record of `logical` before its document: `kind` and `c`, then the
/// type and name of `d` (the record's length goes in front of them).
fn doc_record_prefix(logical: &str) -> Vec<u8> {
    let mut prefix = Vec::new();
    let string = |out: &mut Vec<u8>, key: &str, value: &str| {
        out.push(0x02);
        out.extend_from_slice(key.as_bytes());
        out.push(0);
        out.extend_from_slice(&((value.len() + 1) as i32).to_le_bytes());
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    };
    string(&mut prefix, "kind", "doc");
    string(&mut prefix, "c", logical);
    prefix.extend_from_slice(&[0x03, b'd', 0]);
    prefix
}

/// Append the `doc` record of `doc` to `buffer`: `{ kind: "doc", c: <logical>, d: <doc> }`,
/// written byte by byte as BSON, without copying the document into a record first.
fn push_doc_record(buffer: &mut Vec<u8>, prefix: &[u8], doc: &RawDocument) -> Result<()> {
    let len = 4 + prefix.len() + doc.as_bytes().len() + 1;
    let len =
        i32::try_from(len).map_err(|_| Error::internal("a document too large for a record"))?;
    buffer.extend_from_slice(&len.to_le_bytes());
    buffer.extend_from_slice(prefix);
    buffer.extend_from_slice(doc.as_bytes());
    buffer.push(0);
    Ok(())
}

fn raw(d: &Document) -> Result<RawDocumentBuf> {
    RawDocumentBuf::from_document(d).map_err(Error::internal)
}

/// The tenant's documents in the logical collection `logical`, as it sees them, in `_id`
/// order.
async fn documents(
    cx: &Cx,
    org: &OrgDoc,
    logical: &str,
) -> Result<mongodb::Cursor<RawDocumentBuf>> {
    let data = cx.data(org)?;
    let physical = placement::physical_collection(
        org.layout,
        org.database(&cx.config.master_db),
        &org.collection_name,
        logical,
    )?;
    let filter = match org.layout {
        Layout::Shared => doc! { TENANT_FIELD: org.id },
        _ => doc! {},
    };
    Ok(data
        .db
        .collection::<RawDocumentBuf>(&physical)
        .find(filter)
        .sort(doc! { "_id": 1 })
        .batch_size(BATCH as u32)
        .await?)
}

/// A document as the tenant sees it (the shared layout's stamp removed).
fn unstamped(org: &OrgDoc, d: RawDocumentBuf) -> Result<RawDocumentBuf> {
    match org.layout {
        Layout::Shared => relocate::without_stamp(&d),
        _ => Ok(d),
    }
}

/// Write the visible tenant `org` as an archive to `out`.
pub(crate) async fn export<W: AsyncWrite + Unpin + Send>(
    cx: &Cx,
    org: &OrgDoc,
    out: &mut W,
    progress: Progress<'_>,
) -> Result<ArchiveManifest> {
    let started = std::time::Instant::now();
    // The first admin is `admins`' one entry; the members who joined later follow in
    // `members`, with their roles.
    let (mut admins, mut members) = (Vec::new(), Vec::new());
    for a in cx.store.admins_of(org.id).await? {
        let mut entry = doc! {
            "email": a.email,
            "hashed_password": a.hashed_password,
            "created_at": bson::DateTime::from_chrono(a.created_at),
        };
        if let Some(role) = a.role {
            entry.insert("role", role.as_str());
        }
        match a.id == org.admin_id {
            true => admins.push(Bson::Document(entry)),
            false => members.push(Bson::Document(entry)),
        }
    }
    let header = doc! {
        "kind": "header",
        "format": ARCHIVE_FORMAT,
        "version": ARCHIVE_VERSION,
        "tenant": {
            "id": org.id,
            "name": &org.organization_name,
            "layout": org.layout.as_str(),
            "naming": org.naming.as_str(),
            "created_at": bson::DateTime::from_chrono(org.created_at),
        },
        "admins": admins,
        "members": members,
    };
    let mut records = Tally::default();
    let header = raw(&header)?;
    records.add(&header);
    write_record(out, &header).await?;
    let (logicals, options) = relocate::logical_collections(cx, org).await?;
    let data = cx.data(org)?;
    let mut total = 0;
    for logical in &logicals {
        let physical = placement::physical_collection(
            org.layout,
            org.database(&cx.config.master_db),
            &org.collection_name,
            logical,
        )?;
        // For the progress reports only: the collection's own count where it is the
        // tenant's alone (no scan), the tenant's documents in a shared one.
        total += match org.layout {
            Layout::Shared => data.count(&physical, doc! { TENANT_FIELD: org.id }).await?,
            _ => {
                data.db
                    .collection::<Document>(&physical)
                    .estimated_document_count()
                    .await?
            }
        };
    }
    let mut manifest = ArchiveManifest::default();
    let mut done = 0;
    report(progress, "export", done, total, started);
    for logical in &logicals {
        let physical = placement::physical_collection(
            org.layout,
            org.database(&cx.config.master_db),
            &org.collection_name,
            logical,
        )?;
        let mut indexes = Vec::new();
        for index in data.indexes(&physical).await? {
            let mut index = portable(index);
            if org.layout == Layout::Shared {
                index.keys.remove(TENANT_FIELD);
                if index.keys.is_empty() {
                    continue; // The stamp's own index.
                }
            }
            indexes.push(Bson::Document(
                bson::to_document(&index).map_err(Error::internal)?,
            ));
        }
        let header = doc! {
            "kind": "collection",
            "name": logical,
            "options": options.get_document(logical).cloned().unwrap_or_default(),
            "indexes": indexes,
        };
        let header = raw(&header)?;
        records.add(&header);
        write_record(out, &header).await?;
        let mut tally = Tally::default();
        let mut cursor = documents(cx, org, logical).await?;
        let prefix = doc_record_prefix(logical);
        let mut buffer = Vec::with_capacity(WRITE_BUFFER + MAX_RECORD.min(1 << 20));
        while let Some(d) = cursor.try_next().await? {
            let d = unstamped(org, d)?;
            tally.add(&d);
            let start = buffer.len();
            push_doc_record(&mut buffer, &prefix, &d)?;
            records.add_bytes(&buffer[start..]);
            if buffer.len() >= WRITE_BUFFER {
                write_bytes(out, &buffer).await?;
                buffer.clear();
            }
            done += 1;
            if done % BATCH as u64 == 0 {
                report(progress, "export", done, total.max(done), started);
            }
        }
        write_bytes(out, &buffer).await?;
        manifest.collections.insert(logical.clone(), tally.finish());
    }
    let mut after = None;
    loop {
        let mut query = AuditQuery::new().limit(1000);
        query.after = after;
        let page = audit::list(&cx.store, org.id, &query).await?;
        for entry in &page.entries {
            let e = bson::to_document(entry).map_err(Error::internal)?;
            let record = raw(&doc! { "kind": "audit", "e": e })?;
            records.add(&record);
            write_record(out, &record).await?;
            manifest.audit_entries += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    manifest.records = records.finish();
    write_record(out, &raw(&manifest.to_document())?).await?;
    out.flush()
        .await
        .map_err(|e| Error::invalid("archive", format_args!("cannot be written: {e}")))?;
    report(progress, "done", done, total.max(done), started);
    Ok(manifest)
}

/// The next record of an archive, `None` at its end.
async fn read_record<R: AsyncRead + Unpin>(input: &mut R) -> Result<Option<RawDocumentBuf>> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = input
            .read(&mut len[got..])
            .await
            .map_err(|e| Error::invalid("archive", format_args!("cannot be read: {e}")))?;
        if n == 0 {
            return match got {
                0 => Ok(None),
                _ => Err(corrupt("it ends inside a record")),
            };
        }
        got += n;
    }
    let size = i32::from_le_bytes(len);
    let size = usize::try_from(size).map_err(|_| corrupt("a record of negative size"))?;
    if !(5..=MAX_RECORD).contains(&size) {
        return Err(corrupt("a record of impossible size"));
    }
    let mut bytes = vec![0u8; size];
    bytes[..4].copy_from_slice(&len);
    input
        .read_exact(&mut bytes[4..])
        .await
        .map_err(|_| corrupt("it ends inside a record"))?;
    let record = RawDocumentBuf::from_bytes(bytes).map_err(|_| corrupt("a record is not BSON"))?;
    // Every element, at every depth, must read: a damaged record is refused here, never
    // sent to the server.
    if !well_formed(&record, 0) {
        return Err(corrupt("a record is not BSON"));
    }
    Ok(Some(record))
}

/// Whether every element of `doc`, nested ones included, reads as BSON.
fn well_formed(doc: &RawDocument, depth: usize) -> bool {
    depth <= 200
        && doc
            .iter()
            .all(|element| element.is_ok_and(|(_, value)| value_well_formed(value, depth)))
}

fn value_well_formed(value: mongodb::bson::RawBsonRef<'_>, depth: usize) -> bool {
    use mongodb::bson::RawBsonRef;
    match value {
        RawBsonRef::Document(d) => well_formed(d, depth + 1),
        RawBsonRef::Array(a) => {
            RawDocument::from_bytes(a.as_bytes()).is_ok_and(|d| well_formed(d, depth + 1))
        }
        RawBsonRef::JavaScriptCodeWithScope(c) => well_formed(c.scope, depth + 1),
        _ => true,
    }
}

fn kind(record: &RawDocument) -> Result<&str> {
    record
        .get_str("kind")
        .map_err(|_| corrupt("a record without its kind"))
}

/// The archive's header, checked.
struct Header {
    tenant: Document,
    admins: Vec<Document>,
    /// Members who joined after the first admin (absent in older archives).
    members: Vec<Document>,
}

fn header(record: &RawDocument) -> Result<Header> {
    let d = Document::try_from(record).map_err(|_| corrupt("its header is not readable"))?;
    if d.get_str("kind") != Ok("header") || d.get_str("format") != Ok(ARCHIVE_FORMAT) {
        return Err(corrupt("it does not begin with a tenantry header"));
    }
    if d.get_i32("version") != Ok(ARCHIVE_VERSION) {
        return Err(Error::invalid(
            "archive",
            format_args!("is of a version this library does not read (it reads {ARCHIVE_VERSION})"),
        ));
    }
    let tenant = d
        .get_document("tenant")
        .map_err(|_| corrupt("its header names no tenant"))?
        .clone();
    let admins: Vec<Document> = d
        .get_array("admins")
        .map_err(|_| corrupt("its header has no admins"))?
        .iter()
        .filter_map(|a| a.as_document().cloned())
        .collect();
    if admins.is_empty() {
        return Err(corrupt("its header has no admins"));
    }
    let members: Vec<Document> = d
        .get_array("members")
        .map(|m| m.iter().filter_map(|a| a.as_document().cloned()).collect())
        .unwrap_or_default();
    Ok(Header {
        tenant,
        admins,
        members,
    })
}

/// Import an archive from `input`: the imported tenant and the archive's manifest.
pub(crate) async fn import<R: AsyncRead + Unpin + Send>(
    cx: &Cx,
    input: &mut R,
    options: ImportOptions,
    progress: Progress<'_>,
) -> Result<(Tenant, ArchiveManifest)> {
    let started = std::time::Instant::now();
    let first = read_record(input)
        .await?
        .ok_or_else(|| corrupt("it is empty"))?;
    let head = header(&first)?;
    let mut records = Tally::default();
    records.add(&first);
    let archived_name = head
        .tenant
        .get_str("name")
        .map_err(|_| corrupt("no tenant name"))?;
    let archived_id = head
        .tenant
        .get_object_id("id")
        .map_err(|_| corrupt("no tenant id"))?;
    let admin = &head.admins[0];
    let email = match &options.admin_email {
        Some(e) => e.clone(),
        None => admin
            .get_str("email")
            .map_err(|_| corrupt("an admin without an email"))?
            .to_owned(),
    };
    let hashed = admin
        .get_str("hashed_password")
        .map_err(|_| corrupt("an admin without a password hash"))?;
    if !hashed.starts_with('$') || hashed.len() < 20 {
        return Err(corrupt("an admin's password hash is not one"));
    }
    let layout = match options.layout {
        Some(l) => l,
        None => head
            .tenant
            .get_str("layout")
            .map_err(|_| corrupt("no layout"))?
            .parse()?,
    };
    let mut create_options = TenantOptions::new().layout(layout);
    create_options.cluster = options.cluster.clone();
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| archived_name.to_owned());
    let since = bson::DateTime::now();
    let created =
        create::create_hashed(cx, &name, &email, hashed, create_options, Some(since)).await?;
    let org = cx.store.org(created.id).await?.ok_or_else(Error::revoked)?;
    cx.failpoints.crash_point("import.created");
    let loaded = match join_members(cx, &org, &head.members).await {
        Ok(()) => {
            load(
                cx,
                &org,
                since,
                archived_id,
                records,
                input,
                progress,
                started,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match loaded {
        Ok(manifest) => {
            cx.failpoints.crash_point("import.loaded");
            if !cx.store.finish_import(org.id, since).await? {
                return Err(Error::busy());
            }
            cx.failpoints.crash_point("import.revealed");
            let detail = doc! { "from": archived_id, "name": archived_name };
            audit::record(&cx.store, org.id, "operator", "import", "ok", detail).await;
            let org = cx.store.org(org.id).await?.ok_or_else(Error::revoked)?;
            Ok((Tenant::from_doc(org, &cx.config.master_db), manifest))
        }
        Err(e) => {
            // Nothing of a failed import stays: the hidden tenant is purged.
            if let Err(purge) = crate::lifecycle::delete::purge_org_of(cx, org.id).await {
                tracing::warn!(tenant = %org.id, error = %purge, "a failed import could not be purged; recover() will");
            }
            Err(e)
        }
    }
}

/// The archive's members join the imported tenant (hidden until its data is in), with
/// their roles and password hashes.
async fn join_members(cx: &Cx, org: &OrgDoc, members: &[Document]) -> Result<()> {
    let now = crate::store::now();
    for m in members {
        let email = m
            .get_str("email")
            .map_err(|_| corrupt("a member without an email"))?;
        let email = crate::naming::Email::parse(email)
            .map_err(|_| corrupt("a member's email is not one"))?;
        let hashed = m
            .get_str("hashed_password")
            .map_err(|_| corrupt("a member without a password hash"))?;
        if !hashed.starts_with('$') || hashed.len() < 20 {
            return Err(corrupt("a member's password hash is not one"));
        }
        let role = match m.get_str("role") {
            Ok(r) => r
                .parse()
                .map_err(|_| corrupt("a member's role is not one"))?,
            Err(_) => crate::members::Role::Member,
        };
        let admin = crate::store::AdminDoc {
            id: crate::members::member_id(org.id, email.key()),
            email: email.display().to_owned(),
            email_key: None,
            member_email_key: Some(email.key().to_owned()),
            role: Some(role),
            hashed_password: hashed.to_owned(),
            organization_name: org.organization_name.clone(),
            organization_id: org.id,
            token_version: now.timestamp_millis(),
            last_op: None,
            created_at: m.get_datetime("created_at").map_or(now, |d| d.to_chrono()),
        };
        crate::members::join(&cx.store, &admin)
            .await
            .map_err(|e| match e {
                Error::AlreadyExists { .. } => corrupt("a member is listed twice"),
                e => e,
            })?;
    }
    Ok(())
}

/// A write of the archive's documents or indexes: one the server refuses for what it
/// holds (an `_id` it does not take, an index it cannot build) is the archive's fault.
fn refused_by_server(e: Error) -> Error {
    use mongodb::error::{ErrorKind, WriteFailure};
    let Error::Database(driver) = &e else {
        return e;
    };
    let refused = match driver.kind.as_ref() {
        ErrorKind::InsertMany(m) => m.write_errors.as_ref().is_some_and(|w| !w.is_empty()),
        ErrorKind::Write(WriteFailure::WriteError(_)) => true,
        ErrorKind::Command(_) => true,
        _ => false,
    };
    if refused {
        Error::invalid("archive", "holds a document or an index the server refuses")
    } else {
        e
    }
}

/// Push back the purge of the hidden tenant: this import is alive. `CONFLICT` if it was
/// purged meanwhile (by a recovery that took it for abandoned).
async fn alive(cx: &Cx, org: &OrgDoc, since: bson::DateTime) -> Result<()> {
    let until = bson::DateTime::from_millis(
        bson::DateTime::now().timestamp_millis() + create::IMPORT_LEASE_MS,
    );
    if cx.store.renew_import(org.id, since, until).await? {
        Ok(())
    } else {
        Err(Error::Conflict {
            message: "the import was taken for abandoned and purged; import again".into(),
        })
    }
}

/// Write the archive's collections, documents and audit entries into the hidden tenant
/// `org`, check them against the manifest as read and as stored.
#[allow(clippy::too_many_arguments)]
async fn load<R: AsyncRead + Unpin + Send>(
    cx: &Cx,
    org: &OrgDoc,
    since: bson::DateTime,
    archived_id: bson::oid::ObjectId,
    mut records: Tally,
    input: &mut R,
    progress: Progress<'_>,
    started: std::time::Instant,
) -> Result<ArchiveManifest> {
    let data = cx.data(org)?;
    let stamp = (org.layout == Layout::Shared).then_some(org.id);
    let mut read: BTreeMap<String, Tally> = BTreeMap::new();
    let mut current: Option<(String, String)> = None; // (logical, physical)
    let mut batch: Vec<RawDocumentBuf> = Vec::with_capacity(BATCH);
    let mut entries: Vec<AuditEntry> = Vec::new();
    let mut done = 0u64;
    let manifest = loop {
        let Some(record) = read_record(input).await? else {
            return Err(corrupt("it ends before its manifest"));
        };
        let k = kind(&record)?.to_owned();
        if k != "manifest" {
            records.add(&record);
        }
        if k != "doc" && !batch.is_empty() {
            let (_, physical) = current
                .as_ref()
                .ok_or_else(|| corrupt("a document outside a collection"))?;
            data.put_documents(physical, &batch, stamp)
                .await
                .map_err(refused_by_server)?;
            batch.clear();
        }
        match k.as_str() {
            "collection" => {
                let d = record
                    .to_document()
                    .map_err(|_| corrupt("a collection is not readable"))?;
                let logical = d
                    .get_str("name")
                    .map_err(|_| corrupt("a collection without a name"))?
                    .to_owned();
                if read.contains_key(&logical) {
                    return Err(corrupt("a collection twice"));
                }
                if org.layout == Layout::Collection
                    && logical != crate::placement::DEFAULT_COLLECTION
                {
                    return Err(Error::invalid(
                        "layout",
                        "the collection layout holds one collection per tenant, and the archive has several",
                    ));
                }
                let physical = placement::physical_collection(
                    org.layout,
                    org.database(&cx.config.master_db),
                    &org.collection_name,
                    &logical,
                )?;
                match org.layout {
                    Layout::Shared => {
                        if !data.ensure_shared(&physical).await? {
                            return Err(Error::storage_taken("name"));
                        }
                    }
                    _ => {
                        data.create_plain(&physical).await?;
                        if let Ok(options) = d.get_document("options") {
                            if !options.is_empty() {
                                data.set_options(&physical, options).await?;
                            }
                        }
                    }
                }
                for index in d
                    .get_array("indexes")
                    .map(|a| a.to_vec())
                    .unwrap_or_default()
                {
                    let index = index
                        .as_document()
                        .ok_or_else(|| corrupt("an index is not readable"))?;
                    let mut index: mongodb::IndexModel = bson::from_document(index.clone())
                        .map_err(|_| corrupt("an index is not readable"))?;
                    if org.layout == Layout::Shared {
                        let keys = std::mem::take(&mut index.keys);
                        index.keys = crate::scope::Confinement::new(org.id).index_keys(keys)?;
                    }
                    data.ensure_index(&physical, index)
                        .await
                        .map_err(refused_by_server)?;
                }
                read.insert(logical.clone(), Tally::default());
                current = Some((logical, physical));
            }
            "doc" => {
                let (logical, _) = current
                    .as_ref()
                    .ok_or_else(|| corrupt("a document outside a collection"))?;
                if record.get_str("c").ok() != Some(logical.as_str()) {
                    return Err(corrupt("a document of another collection"));
                }
                let d = record
                    .get_document("d")
                    .map_err(|_| corrupt("a document record without its document"))?
                    .to_raw_document_buf();
                if stamp.is_some() && d.get(TENANT_FIELD).ok().flatten().is_some() {
                    return Err(Error::invalid(
                        "archive",
                        format_args!("a document has a field named '{TENANT_FIELD}', which the shared layout keeps for its stamp"),
                    ));
                }
                read.get_mut(logical)
                    .ok_or_else(|| corrupt("a document outside a collection"))?
                    .add(&d);
                let mut d = d;
                if let Some(tenant) = stamp {
                    d.append(TENANT_FIELD, tenant);
                }
                batch.push(d);
                done += 1;
                if batch.len() == BATCH {
                    let (_, physical) = current
                        .as_ref()
                        .ok_or_else(|| corrupt("a document outside a collection"))?;
                    data.put_documents(physical, &batch, stamp)
                        .await
                        .map_err(refused_by_server)?;
                    batch.clear();
                    alive(cx, org, since).await?;
                    report(progress, "import", done, done, started);
                }
            }
            "audit" => {
                let e = record
                    .get_document("e")
                    .map_err(|_| corrupt("an audit record without its entry"))?;
                let e =
                    Document::try_from(e).map_err(|_| corrupt("an audit entry is not readable"))?;
                let entry: AuditEntry = bson::from_document(e)
                    .map_err(|_| corrupt("an audit entry is not readable"))?;
                // An entry of this tenant's chain, whole; kept once the archive checks out.
                if entry.tenant != archived_id || !entry.is_sealed()? {
                    return Err(corrupt("an audit entry does not match its hash"));
                }
                entries.push(entry);
            }
            "manifest" => {
                let d = record
                    .to_document()
                    .map_err(|_| corrupt("its manifest is not readable"))?;
                break ArchiveManifest::from_document(&d)?;
            }
            _ => return Err(corrupt("a record of an unknown kind")),
        }
    };
    // The archive as read is the archive as written.
    let audit_entries = entries.len() as u64;
    let as_read = ArchiveManifest {
        collections: read.into_iter().map(|(k, t)| (k, t.finish())).collect(),
        audit_entries,
        records: records.finish(),
    };
    if as_read != manifest {
        return Err(corrupt("its content does not match its manifest"));
    }
    for entry in &entries {
        audit::keep(&cx.store, entry).await?;
    }
    // And the tenant now holds it.
    report(progress, "verify", done, done, started);
    let mut stored = ArchiveManifest {
        audit_entries,
        records: manifest.records.clone(),
        ..Default::default()
    };
    for logical in manifest.collections.keys() {
        let mut tally = Tally::default();
        let mut cursor = documents(cx, org, logical).await?;
        while let Some(d) = cursor.try_next().await? {
            tally.add(&unstamped(org, d)?);
        }
        stored.collections.insert(logical.clone(), tally.finish());
    }
    if stored != manifest {
        return Err(Error::Conflict {
            message: "the imported data does not match the archive; the import was undone".into(),
        });
    }
    report(progress, "done", done, done, started);
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_record_written_by_hand_is_the_record_bson_would_make() {
        let d = raw(&doc! { "_id": 1, "a": [1, { "b": "é" }] }).unwrap();
        let mut built = RawDocumentBuf::new();
        built.append("kind", "doc");
        built.append("c", "events");
        built.append("d", d.clone());
        let mut by_hand = Vec::new();
        push_doc_record(&mut by_hand, &doc_record_prefix("events"), &d).unwrap();
        assert_eq!(by_hand, built.as_bytes());
        assert!(well_formed(RawDocument::from_bytes(&by_hand).unwrap(), 0));
    }

    #[test]
    fn a_record_damaged_at_any_depth_is_not_well_formed() {
        let d = raw(&doc! { "a": { "b": [1, { "c": 2 }] } }).unwrap();
        let mut bytes = d.as_bytes().to_vec();
        // The type tag of the innermost element: an unknown tag.
        let at = bytes.windows(2).rposition(|w| w == b"c\0").unwrap() - 1;
        bytes[at] = 0xEF;
        assert!(!well_formed(RawDocument::from_bytes(&bytes).unwrap(), 0));
    }
}
