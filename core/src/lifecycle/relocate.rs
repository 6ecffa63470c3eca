//! Move: a tenant's data to another layout and/or cluster, online. Claim the record (with
//! the source and target places, the tenant's logical collections and their options) ->
//! `target` (the target collections made, marked as this operation's, with the source's
//! indexes; in a shared target, the library's shared collections) -> `copy` (a change
//! stream on the source opened first, then every document copied in batches, then the
//! stream's changes applied) -> `fence` (the source refuses writes: a tombstone's validator,
//! or the tenant fenced in its shared collections) -> `verify` (the stream drained, every
//! document compared and mended, counts and a content checksum of both sides equal) ->
//! `switch` (the record points at the target: the commit point) -> `source` (a fence the
//! tenant had in a shared target from an earlier move is lifted only now; the source
//! emptied; its fences stay, so a stale handle's write is refused, never lost) -> `release`.
//!
//! Documents are copied and compared as raw BSON: the digest of a document is taken over
//! its bytes, the stamp of a shared collection left out, so nothing is decoded on the way.
//!
//! Before the commit point every step is undone after a crash or a refusal: the source
//! gets its options back, the target collections this operation made are dropped (proven
//! by their marker), the documents it stamped into a shared target are removed. Writes
//! through a scope during the fence are refused (error 121) and retried by the scope's
//! collection once the record points at the target, within the database timeout.

use std::sync::Arc;
use std::time::Instant;

use futures_util::TryStreamExt;
use mongodb::bson::{self, doc, Bson, Document, RawDocument, RawDocumentBuf};
use mongodb::change_stream::{event::ChangeStreamEvent, ChangeStream};
use mongodb::options::FullDocumentType;
use sha2::{Digest, Sha256};

use super::keys::give_back_if_unused;
use super::{execute, new_journal, started, Fail, Operation, Run, StepResult};
use crate::context::Cx;
use crate::error::{Error, Result};
use crate::placement::{self, Layout, Naming, DEFAULT_COLLECTION, TENANT_FIELD};
use crate::scope::Confinement;
use crate::store::{portable, Detail, Key, Kind, MoveDetail, OrgDoc, Place, State, Store};
use crate::tenant::{MoveProgress, MoveTarget, Tenant};

/// Documents copied per batch.
const BATCH: i64 = 1000;

/// A callback that hears how a move is going.
pub(crate) type Progress = Arc<dyn Fn(&MoveProgress) + Send + Sync>;

/// A move, as journaled in its record.
pub(crate) struct Move {
    org: OrgDoc,
    detail: MoveDetail,
    progress: Option<Progress>,
    started: Instant,
    /// The change stream on the source, from the start of the copy (in this process only:
    /// a move resumed elsewhere mends what it missed in `verify`).
    stream: tokio::sync::Mutex<Option<ChangeStream<ChangeStreamEvent<Document>>>>,
    /// The last (copied, total) reported, which the `done` report repeats.
    last: std::sync::Mutex<(u64, u64)>,
}

/// Content digests of documents, by `_id` (see [`digest`]).
type Digests = std::collections::HashMap<Vec<u8>, u64>;

impl Move {
    pub(crate) fn from_record(
        org: &OrgDoc,
        detail: &MoveDetail,
        progress: Option<Progress>,
    ) -> Self {
        Move {
            org: org.clone(),
            detail: detail.clone(),
            progress,
            started: Instant::now(),
            stream: tokio::sync::Mutex::new(None),
            last: std::sync::Mutex::new((0, 0)),
        }
    }

    fn store(cx: &Cx, place: &Place) -> Result<Store> {
        Ok(cx.store.on_cluster(
            &place.cluster,
            cx.client_of(&place.cluster)?,
            &place.database,
        ))
    }

    /// The validation options the source collection of `logical` had.
    fn options_of(&self, logical: &str) -> Document {
        let options = self.detail.options.get_document(logical);
        options.cloned().unwrap_or_default()
    }

    /// The stores of the source and the target.
    fn stores(&self, cx: &Cx) -> Result<(Store, Store)> {
        Ok((
            Self::store(cx, &self.detail.source)?,
            Self::store(cx, &self.detail.target)?,
        ))
    }

    fn physical(place: &Place, logical: &str) -> Result<String> {
        placement::physical_collection(place.layout, &place.database, &place.collection, logical)
    }

    /// The source's and target's physical names of each logical collection.
    fn pairs(&self) -> Result<Vec<(String, String, String)>> {
        self.detail
            .collections
            .iter()
            .map(|l| {
                Ok((
                    l.clone(),
                    Self::physical(&self.detail.source, l)?,
                    Self::physical(&self.detail.target, l)?,
                ))
            })
            .collect()
    }

    /// The tenant's documents in a collection of `place`.
    fn filter(&self, place: &Place) -> Document {
        match place.layout {
            Layout::Shared => doc! { TENANT_FIELD: self.org.id },
            _ => doc! {},
        }
    }

    /// A source document as the target holds it: without the source's stamp, with the
    /// target's. A document of a collection or database that has a field of the stamp's
    /// name cannot go to a shared target (it would be overwritten): the move is refused.
    fn to_target(&self, doc: RawDocumentBuf) -> std::result::Result<RawDocumentBuf, Fail> {
        let mut doc = if self.detail.source.layout == Layout::Shared {
            without_stamp(&doc)?
        } else {
            doc
        };
        if self.detail.target.layout == Layout::Shared {
            if doc.get(TENANT_FIELD).map_err(Error::internal)?.is_some() {
                return Err(Fail::Refused(Error::invalid(
                    "target",
                    format_args!(
                        "a document has a field named '{TENANT_FIELD}', which the shared \
                         layout keeps for its tenant stamp"
                    ),
                )));
            }
            doc.append(TENANT_FIELD, self.org.id);
        }
        Ok(doc)
    }

    /// A source document read again (by the catch-up or the verification) written to the
    /// target as it holds it.
    async fn put_again(&self, dst: &Store, t: &str, doc: &Document) -> StepResult {
        let raw = self.to_target(RawDocumentBuf::from_document(doc).map_err(Error::internal)?)?;
        let doc = raw.to_document().map_err(Error::internal)?;
        dst.put_document(t, &doc, self.stamp())
            .await
            .map_err(refusal)?;
        Ok(())
    }

    /// The stamp of the tenant's documents in the target (a shared one only).
    fn stamp(&self) -> Option<bson::oid::ObjectId> {
        (self.detail.target.layout == Layout::Shared).then_some(self.org.id)
    }

    /// The filter of one document of the tenant in a collection of `place`.
    fn one(&self, place: &Place, id: &Bson) -> Document {
        let mut filter = doc! { "_id": id.clone() };
        filter.extend(self.filter(place));
        filter
    }

    fn report(&self, phase: &'static str, copied: u64, total: u64) {
        let (copied, total) = {
            let mut last = self
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if phase != "done" {
                *last = (copied, total);
            }
            *last
        };
        if let Some(progress) = &self.progress {
            let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
            let rate = copied as f64 / elapsed;
            let eta = (rate > 0.0 && total >= copied)
                .then(|| std::time::Duration::from_secs_f64((total - copied) as f64 / rate));
            progress(&MoveProgress {
                phase,
                copied,
                total,
                rate,
                eta,
            });
        }
    }

    async fn make_target(&self, run: &Run<'_>) -> StepResult {
        let (src, dst) = self.stores(run.cx)?;
        for (_, s, t) in self.pairs()? {
            run.guard().await?;
            let ours = match self.detail.target.layout {
                Layout::Shared => dst.ensure_shared(&t).await?,
                // A tombstone the tenant left there in an earlier move gives way.
                _ => {
                    dst.create_marked(&t, run.fence.op).await?
                        || (dst.remove_tombstone(&t).await?
                            && dst.create_marked(&t, run.fence.op).await?)
                }
            };
            if !ours {
                return Err(Fail::Refused(Error::storage_taken("target")));
            }
            for index in src.indexes(&s).await? {
                let mut index = portable(index);
                if self.detail.source.layout == Layout::Shared {
                    index.keys.remove(TENANT_FIELD);
                    if index.keys.is_empty() {
                        continue; // The stamp's own index.
                    }
                }
                if self.detail.target.layout == Layout::Shared {
                    let keys = std::mem::take(&mut index.keys);
                    index.keys = Confinement::new(self.org.id)
                        .index_keys(keys)
                        .map_err(Fail::Refused)?;
                }
                if let Err(e) = dst.ensure_index(&t, index).await {
                    return Err(match e {
                        Error::Database(_) => Fail::Refused(Error::invalid(
                            "target",
                            "an index of the tenant's collections cannot be made in the target",
                        )),
                        other => Fail::Stop(other),
                    });
                }
            }
        }
        Ok(())
    }

    async fn copy(&self, run: &Run<'_>) -> StepResult {
        let (src, dst) = self.stores(run.cx)?;
        let pairs = self.pairs()?;
        // The stream first: every change after it opened is in it.
        let sources: Vec<&str> = pairs.iter().map(|(_, s, _)| s.as_str()).collect();
        let mut matched = doc! { "ns.coll": { "$in": sources } };
        if self.detail.source.layout == Layout::Shared {
            matched = doc! { "$and": [matched, { "$or": [
                { "operationType": "delete" },
                { format!("fullDocument.{TENANT_FIELD}"): self.org.id },
            ] }] };
        }
        let stream = src
            .db
            .watch()
            .pipeline([doc! { "$match": matched }])
            .full_document(FullDocumentType::UpdateLookup)
            // Catching up asks for what is there, and must not wait for more.
            .max_await_time(std::time::Duration::from_millis(10))
            .await?;
        *self.stream.lock().await = Some(stream);
        let mut total = 0;
        for (_, s, _) in &pairs {
            total += src.count(s, self.filter(&self.detail.source)).await?;
        }
        let mut copied = 0;
        self.report("copy", copied, total);
        for (_, s, t) in &pairs {
            // One cursor per collection: a crash makes the copy start again, idempotently.
            let mut cursor = src
                .db
                .collection::<RawDocumentBuf>(s)
                .find(self.filter(&self.detail.source))
                .batch_size(BATCH as u32)
                .await?;
            let mut batch = Vec::with_capacity(BATCH as usize);
            loop {
                let next = cursor.try_next().await?;
                let end = next.is_none();
                if let Some(doc) = next {
                    batch.push(self.to_target(doc)?);
                }
                if batch.len() < BATCH as usize && !end {
                    continue;
                }
                run.guard().await?;
                dst.put_documents(t, &batch, self.stamp())
                    .await
                    .map_err(refusal)?;
                copied += batch.len() as u64;
                batch.clear();
                self.report("copy", copied, total.max(copied));
                if end {
                    break;
                }
            }
        }
        self.catch_up(run).await?;
        self.report("catch-up", copied, total.max(copied));
        Ok(())
    }

    /// Apply the changes the stream holds: each changed document is read again from the
    /// source and written to (or removed from) the target.
    async fn catch_up(&self, run: &Run<'_>) -> StepResult {
        let mut stream = self.stream.lock().await;
        let Some(stream) = stream.as_mut() else {
            return Ok(());
        };
        let (src, dst) = self.stores(run.cx)?;
        let pairs = self.pairs()?;
        while let Some(event) = stream.next_if_any().await? {
            let (Some(ns), Some(key)) = (&event.ns, &event.document_key) else {
                continue;
            };
            let (Some(coll), Some(id)) = (&ns.coll, key.get("_id")) else {
                continue;
            };
            let Some((_, s, t)) = pairs.iter().find(|(_, s, _)| s == coll) else {
                continue;
            };
            run.guard().await?;
            let found = src
                .batch_after(s, &self.one(&self.detail.source, id), None, 1)
                .await?;
            match found.into_iter().next() {
                Some(doc) => self.put_again(&dst, t, &doc).await?,
                None => self.remove_from_target(&dst, t, id).await?,
            }
        }
        Ok(())
    }

    async fn fence(&self, run: &Run<'_>, on: bool) -> StepResult {
        let src = Self::store(run.cx, &self.detail.source)?;
        for (logical, s, _) in self.pairs()? {
            run.guard().await?;
            match (self.detail.source.layout, on) {
                (Layout::Shared, _) => {
                    src.set_shared_fence(&self.detail.source.cluster, &s, self.org.id, on)
                        .await?
                }
                (_, true) => {
                    if !src.ensure_tombstone(&s).await? {
                        src.make_tombstone(&s).await?;
                    }
                }
                (_, false) => src.set_options(&s, &self.options_of(&logical)).await?,
            }
        }
        Ok(())
    }

    /// Check the target against the source (fenced: nothing changes there any more): every
    /// document of each side compared by content digest, both sides read at once; what
    /// differs (writes the stream did not bring yet, a copy made again after a crash)
    /// mended and compared again; the counts equal.
    async fn verify(&self, run: &Run<'_>) -> StepResult {
        self.catch_up(run).await?;
        let (src, dst) = self.stores(run.cx)?;
        let (from, to) = (&self.detail.source, &self.detail.target);
        for (logical, s, t) in self.pairs()? {
            run.guard().await?;
            let (source, target) =
                tokio::try_join!(self.digests(&src, &s, from), self.digests(&dst, &t, to))?;
            let (wrong, mended) = self.mend(&src, &dst, &s, &t, &source, &target).await?;
            // Every document of the target was read: its count is known unless mended.
            let copied = match mended {
                true => dst.count(&t, self.filter(to)).await?,
                false => target.len() as u64,
            };
            if wrong > 0 || copied != source.len() as u64 {
                return Err(Fail::Refused(Error::Conflict {
                    message: format!(
                        "the copy of '{logical}' did not verify ({copied} documents against \
                         {}, {wrong} differing); the move was undone",
                        source.len()
                    ),
                }));
            }
        }
        Ok(())
    }

    /// Make the target `t` hold what the source `s` holds, given the digests of both: each
    /// document that differs is written again from the source, each the source lacks is
    /// removed, and each so mended is read back. How many still differ, and whether any
    /// was mended.
    async fn mend(
        &self,
        src: &Store,
        dst: &Store,
        s: &str,
        t: &str,
        source: &Digests,
        target: &Digests,
    ) -> Result<(usize, bool), Fail> {
        let (from, to) = (&self.detail.source, &self.detail.target);
        let mut mended = Vec::new();
        for (key, hash) in source {
            if target.get(key) != Some(hash) {
                let id = id_of(key)?;
                let found = src.batch_after(s, &self.one(from, &id), None, 1).await?;
                if let Some(doc) = found.into_iter().next() {
                    self.put_again(dst, t, &doc).await?;
                }
                mended.push((id, Some(*hash)));
            }
        }
        for key in target.keys().filter(|k| !source.contains_key(*k)) {
            let id = id_of(key)?;
            self.remove_from_target(dst, t, &id).await?;
            mended.push((id, None));
        }
        let mut wrong = 0usize;
        for (id, hash) in &mended {
            let now = dst.batch_after(t, &self.one(to, id), None, 1).await?;
            let got = match now.first() {
                Some(doc) => {
                    let raw = RawDocumentBuf::from_document(doc).map_err(Error::internal)?;
                    Some(digest(&raw, to.layout == Layout::Shared)?.1)
                }
                None => None,
            };
            wrong += usize::from(got != *hash);
        }
        Ok((wrong, !mended.is_empty()))
    }

    /// Remove the tenant's document `id` from the target `t`.
    async fn remove_from_target(&self, dst: &Store, t: &str, id: &Bson) -> StepResult {
        dst.delete_document(t, self.one(&self.detail.target, id))
            .await?;
        Ok(())
    }

    /// The content digest of every document of the tenant in `name` of `place`, by `_id`,
    /// without the stamp of a shared collection (so a source's and its copy's are equal).
    async fn digests(&self, store: &Store, name: &str, place: &Place) -> Result<Digests> {
        let mut digests = Digests::new();
        let mut cursor = store
            .db
            .collection::<RawDocumentBuf>(name)
            .find(self.filter(place))
            .batch_size(BATCH as u32)
            .await?;
        let stamped = place.layout == Layout::Shared;
        while let Some(doc) = cursor.try_next().await? {
            let (id, hash) = digest(&doc, stamped)?;
            digests.insert(id, hash);
        }
        Ok(digests)
    }

    async fn switch(&self, run: &Run<'_>) -> StepResult {
        let dst = Self::store(run.cx, &self.detail.target)?;
        if self.detail.target.layout != Layout::Shared {
            // The copies lose their marker and get the source's validation options.
            for (logical, _, t) in self.pairs()? {
                dst.set_options(&t, &self.options_of(&logical)).await?;
            }
        }
        run.fenced(
            run.store()
                .switch_place(&run.fence, &self.detail.target)
                .await?,
        )
    }

    /// Lift the tenant's fence in a shared target, then empty the source. The source's
    /// fences stay: a write through a handle opened before the move is refused there,
    /// never lost.
    async fn empty_source(&self, run: &Run<'_>) -> StepResult {
        let (src, dst) = self.stores(run.cx)?;
        for (_, s, t) in self.pairs()? {
            run.guard().await?;
            if self.detail.target.layout == Layout::Shared {
                // Back in a shared collection it left before: its fence there goes only
                // now, once the record points there. Until then a handle left from that
                // time is refused, as the copy (which bypasses validation) is not.
                dst.set_shared_fence(&self.detail.target.cluster, &t, self.org.id, false)
                    .await?;
            }
            match self.detail.source.layout {
                Layout::Shared => {
                    src.delete_stamped(&s, self.org.id).await?;
                }
                _ => {
                    src.empty(&s).await?;
                    src.register_tombstone(&s, self.org.id).await?;
                }
            }
        }
        Ok(())
    }
}

impl Operation for Move {
    const KIND: &'static str = "move";
    const STEPS: &'static [&'static str] = &[
        "target", "copy", "fence", "verify", "switch", "source", "release",
    ];
    const COMMIT: u32 = 4;

    async fn step(&self, run: &Run<'_>, i: u32) -> StepResult {
        run.guard().await?;
        match i {
            0 => self.make_target(run).await,
            1 => self.copy(run).await,
            2 => self.fence(run, true).await,
            3 => self.verify(run).await,
            4 => self.switch(run).await,
            5 => self.empty_source(run).await,
            _ => {
                let released = run.store().release_unchanged(&run.fence).await?;
                self.report("done", 0, 0);
                run.fenced(released)
            }
        }
    }

    async fn undo(&self, run: &Run<'_>, i: u32) -> StepResult {
        run.guard().await?;
        match i {
            2 => self.fence(run, false).await,
            0 => {
                let dst = Self::store(run.cx, &self.detail.target)?;
                for (_, _, t) in self.pairs()? {
                    match self.detail.target.layout {
                        Layout::Shared => {
                            dst.delete_stamped(&t, self.org.id).await?;
                        }
                        _ => {
                            dst.drop_marked(&t, run.fence.op).await?;
                        }
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn abandon(&self, run: &Run<'_>) -> StepResult {
        run.fenced(run.store().release_unchanged(&run.fence).await?)
    }

    async fn after(&self, cx: &Cx) -> Result<()> {
        // A slug collection name the tenant left is free again.
        if self.detail.source.layout == Layout::Collection {
            let old = Key::new(Kind::Collection, &self.detail.source.collection);
            give_back_if_unused(cx, &[old], self.org.id).await?;
        }
        Ok(())
    }
}

/// A write refused for the caller's reasons (an `_id` taken in a shared target) undoes the
/// move; anything else stops it for recovery.
fn refusal(e: Error) -> Fail {
    match e {
        Error::InvalidInput { .. } => Fail::Refused(e),
        other => Fail::Stop(other),
    }
}

/// The `_id` of a key made by [`digest`].
fn id_of(key: &[u8]) -> Result<Bson> {
    let doc = bson::from_slice::<Document>(key).map_err(Error::internal)?;
    Ok(doc.get("_id").cloned().unwrap_or(Bson::Null))
}

/// The elements of a document, each with its bytes (type, name and value), in order.
pub(crate) fn elements(doc: &RawDocument) -> impl Iterator<Item = Result<(&str, &[u8])>> {
    let bytes = doc.as_bytes();
    let mut at = 4;
    doc.iter_elements().map(move |element| {
        let element = element.map_err(Error::internal)?;
        let end = at + 1 + element.key().len() + 1 + element.len();
        let range = bytes
            .get(at..end)
            .ok_or_else(|| Error::internal("a document's element runs past its end"))?;
        at = end;
        Ok((element.key(), range))
    })
}

/// A document of the elements of `doc` but the tenant stamp.
pub(crate) fn without_stamp(doc: &RawDocument) -> Result<RawDocumentBuf> {
    let mut bytes = vec![0; 4];
    for element in elements(doc) {
        let (key, element) = element?;
        if key != TENANT_FIELD {
            bytes.extend_from_slice(element);
        }
    }
    bytes.push(0);
    let len = i32::try_from(bytes.len()).map_err(Error::internal)?;
    bytes[..4].copy_from_slice(&len.to_le_bytes());
    RawDocumentBuf::from_bytes(bytes).map_err(Error::internal)
}

/// A document's `_id` (as the bytes of `{ _id: <id> }`) and the first 64 bits of the
/// SHA-256 of its elements in order, the tenant stamp left out when `stamped` (a shared
/// collection's). Read from the document's bytes: nothing is decoded.
fn digest(doc: &RawDocument, stamped: bool) -> Result<(Vec<u8>, u64)> {
    let mut hash = Sha256::new();
    let mut id: &[u8] = b"\x0a_id\x00"; // a null `_id` if it has none
    for element in elements(doc) {
        let (key, element) = element?;
        if stamped && key == TENANT_FIELD {
            continue;
        }
        if key == "_id" {
            id = element;
        }
        hash.update(element);
    }
    let mut key = Vec::with_capacity(id.len() + 5);
    let len = i32::try_from(id.len() + 5).map_err(Error::internal)?;
    key.extend_from_slice(&len.to_le_bytes());
    key.extend_from_slice(id);
    key.push(0);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash.finalize()[..8]);
    Ok((key, u64::from_le_bytes(first)))
}

/// The place a tenant moves to.
fn target_place(cx: &Cx, org: &OrgDoc, target: &MoveTarget) -> Result<Place> {
    let cluster = target
        .cluster
        .clone()
        .unwrap_or_else(|| org.cluster().to_owned());
    cx.client_of(&cluster)
        .map_err(|_| Error::invalid("cluster", format_args!("no cluster is named '{cluster}'")))?;
    let layout = target.layout.unwrap_or(org.layout);
    let (database, collection) = match layout {
        Layout::Collection => (
            cx.config.tenants_db().to_owned(),
            format!("{}{}", crate::naming::COLLECTION_PREFIX, org.id.to_hex()),
        ),
        Layout::Database => (
            placement::tenant_database(org.id),
            DEFAULT_COLLECTION.to_owned(),
        ),
        Layout::Shared => (
            cx.config.tenants_db().to_owned(),
            placement::shared_collection(DEFAULT_COLLECTION),
        ),
    };
    Ok(Place {
        cluster,
        database,
        layout,
        naming: Naming::Stable,
        collection,
    })
}

/// The tenant's logical collections now, each with its validation options.
pub(crate) async fn logical_collections(cx: &Cx, org: &OrgDoc) -> Result<(Vec<String>, Document)> {
    let src = cx.data(org)?;
    let mut names = match org.layout {
        Layout::Collection => vec![DEFAULT_COLLECTION.to_owned()],
        Layout::Database => src
            .collection_names()
            .await?
            .into_iter()
            .filter(|n| !n.starts_with("system."))
            .collect(),
        Layout::Shared => src
            .shared_collections()
            .await?
            .into_iter()
            .filter_map(|n| n.strip_prefix(placement::SHARED_PREFIX).map(str::to_owned))
            .collect(),
    };
    if !names.iter().any(|n| n == DEFAULT_COLLECTION) {
        names.push(DEFAULT_COLLECTION.to_owned());
    }
    names.sort();
    let mut options = Document::new();
    if org.layout != Layout::Shared {
        for logical in &names {
            let physical = placement::physical_collection(
                org.layout,
                org.database(&cx.config.master_db),
                &org.collection_name,
                logical,
            )?;
            if let Some(o) = src.collection_options(&physical).await? {
                options.insert(logical.clone(), o);
            }
        }
    }
    Ok((names, options))
}

/// Move the tenant named `name` to `target`, online.
pub(crate) async fn relocate(
    cx: &Cx,
    name: &str,
    target: MoveTarget,
    progress: Option<Progress>,
) -> Result<Tenant> {
    let key = crate::naming::TenantName::parse(name, cx.config.tenants_db())?;
    let org = cx
        .store
        .visible_org_by_key(key.key())
        .await?
        .ok_or_else(|| Error::not_found(key.display()))?;
    if org.state != State::Active {
        if !super::recover::recover_if_stale(cx, &org).await? {
            return Err(Error::busy());
        }
        return Box::pin(relocate(cx, name, target, progress)).await;
    }
    let source = org.place(&cx.config.master_db);
    let destination = target_place(cx, &org, &target)?;
    if destination.cluster == source.cluster && destination.layout == source.layout {
        return Err(Error::invalid(
            "target",
            "the tenant's data is there already (name another layout or cluster)",
        ));
    }
    let (collections, options) = logical_collections(cx, &org).await?;
    if destination.layout == Layout::Collection && collections.len() > 1 {
        return Err(Error::invalid(
            "layout",
            "the collection layout holds one collection per tenant, and this tenant has several",
        ));
    }
    let detail = MoveDetail {
        source,
        target: destination,
        collections,
        options,
    };
    let journal = new_journal(cx, Detail::Move(detail.clone()));
    let sent = Instant::now();
    if !cx.store.claim(&org, State::Updating, &journal).await? {
        return Err(Error::busy());
    }
    let run = started(cx, org.id, &journal, journal.owner, sent, "move.claimed").await?;
    execute(&Move::from_record(&org, &detail, progress), &run).await?;
    let moved = cx.store.org(org.id).await?.ok_or_else(Error::revoked)?;
    Ok(Tenant::from_doc(moved, &cx.config.master_db))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::oid::ObjectId;

    /// The key of an `_id` in [`Digests`]: the bytes of `{ _id: <id> }`.
    fn key_of(id: &Bson) -> Vec<u8> {
        bson::to_vec(&doc! { "_id": id.clone() }).unwrap()
    }

    fn raw(doc: Document) -> RawDocumentBuf {
        RawDocumentBuf::from_document(&doc).unwrap()
    }

    #[test]
    fn a_document_and_its_stamped_copy_have_one_digest_and_one_key() {
        let tenant = ObjectId::new();
        let plain = doc! { "_id": 7_i64, "a": { "b": [1, "x", null] }, "c": 2.5 };
        let mut stamped = plain.clone();
        stamped.insert(TENANT_FIELD, tenant);
        let (key, hash) = digest(&raw(plain.clone()), false).unwrap();
        assert_eq!(
            digest(&raw(stamped.clone()), true).unwrap(),
            (key.clone(), hash)
        );
        assert_eq!(key, key_of(&Bson::Int64(7)));
        assert_eq!(id_of(&key).unwrap(), Bson::Int64(7));
        // The stamp left out where it stands, in order: the rest is the same document.
        let mut first = doc! { TENANT_FIELD: tenant };
        first.extend(plain.clone());
        assert_eq!(without_stamp(&raw(first)).unwrap(), raw(plain.clone()));
        // Any other difference shows: a value, an order of fields, a stamp not left out.
        let changed = doc! { "_id": 7_i64, "a": { "b": [1, "x", null] }, "c": 2.6 };
        assert_ne!(digest(&raw(changed), false).unwrap().1, hash);
        let reordered = doc! { "_id": 7_i64, "c": 2.5, "a": { "b": [1, "x", null] } };
        assert_ne!(digest(&raw(reordered), false).unwrap().1, hash);
        assert_ne!(digest(&raw(stamped), false).unwrap().1, hash);
        // A document without an `_id` has the key of a null one.
        let (key, _) = digest(&raw(doc! { "a": 1 }), false).unwrap();
        assert_eq!(id_of(&key).unwrap(), Bson::Null);
    }
}
