//! Confinement of the `shared` layout: every filter, pipeline, document, update and index
//! that reaches a shared collection through a tenant's scope is rewritten, or refused, so
//! that it reads and changes that tenant's documents only.
//!
//! - Filters become `{ $and: [ { _tenant: <id> }, <filter> ] }`: whatever the filter says
//!   (`$or`, `$where`, a condition on `_tenant` itself), the conjunction holds.
//! - Documents (inserts, replacements) are stamped; a stamp naming another tenant is
//!   refused.
//! - Update operators may not name the stamp (or a path inside it); an upsert stamps the
//!   document it inserts. An update pipeline ends with a stage that sets the stamp again.
//! - Aggregation pipelines start with a `$match` on the stamp, and only stages that read
//!   the documents flowing through them are allowed (an allow-list: `$lookup`,
//!   `$unionWith`, `$graphLookup`, `$out`, `$merge` and any stage added to MongoDB later
//!   are refused), `$facet` sub-pipelines included.
//! - Index keys start with the stamp, so a unique index is unique per tenant.
//! - Change streams deliver the events whose full document is the tenant's.

use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::options::UpdateModifications;

use crate::error::{Error, Result};
use crate::placement::TENANT_FIELD;

/// Stages an aggregation through a scope may use: each works on the documents flowing
/// through it and reaches no other collection.
const PIPELINE_STAGES: &[&str] = &[
    "$match",
    "$project",
    "$addFields",
    "$set",
    "$unset",
    "$group",
    "$sort",
    "$limit",
    "$skip",
    "$count",
    "$unwind",
    "$bucket",
    "$bucketAuto",
    "$facet",
    "$replaceRoot",
    "$replaceWith",
    "$sample",
    "$sortByCount",
    "$redact",
    "$setWindowFields",
    "$densify",
    "$fill",
];

/// Stages of an update pipeline (MongoDB allows no others there).
const UPDATE_STAGES: &[&str] = &[
    "$addFields",
    "$set",
    "$project",
    "$unset",
    "$replaceRoot",
    "$replaceWith",
];

/// Stages of a change stream pipeline (MongoDB allows no others there).
const CHANGE_STREAM_STAGES: &[&str] = &[
    "$match",
    "$project",
    "$addFields",
    "$set",
    "$unset",
    "$replaceRoot",
    "$replaceWith",
    "$redact",
];

/// The confinement of one tenant in the `shared` layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confinement {
    tenant: ObjectId,
}

impl Confinement {
    /// The confinement of tenant `tenant`.
    pub fn new(tenant: ObjectId) -> Self {
        Confinement { tenant }
    }

    /// The tenant.
    pub fn tenant(&self) -> ObjectId {
        self.tenant
    }

    fn stamp(&self) -> Document {
        doc! { TENANT_FIELD: self.tenant }
    }

    /// A query filter that matches this tenant's documents only.
    pub fn filter(&self, filter: Document) -> Document {
        if filter.is_empty() {
            self.stamp()
        } else {
            doc! { "$and": [self.stamp(), filter] }
        }
    }

    /// A document to insert, or a replacement: stamped with the tenant. `INVALID_INPUT`
    /// if it carries another stamp.
    pub fn document(&self, mut doc: Document) -> Result<Document> {
        match doc.get(TENANT_FIELD) {
            None => {}
            Some(Bson::ObjectId(id)) if *id == self.tenant => {}
            Some(_) => {
                return Err(Error::invalid(
                    "document",
                    format_args!("must not set '{TENANT_FIELD}': the scope stamps it"),
                ))
            }
        }
        doc.insert(TENANT_FIELD, self.tenant);
        Ok(doc)
    }

    /// An update (operators or a pipeline) that cannot change or remove the stamp, and
    /// stamps the document an upsert inserts.
    pub fn update(&self, update: UpdateModifications) -> Result<UpdateModifications> {
        match update {
            UpdateModifications::Document(ops) => {
                Ok(UpdateModifications::Document(self.update_operators(ops)?))
            }
            UpdateModifications::Pipeline(stages) => {
                for stage in &stages {
                    allowed_stage(stage, UPDATE_STAGES, "update")?;
                }
                let mut stages = stages;
                stages.push(doc! { "$set": { TENANT_FIELD: { "$literal": self.tenant } } });
                Ok(UpdateModifications::Pipeline(stages))
            }
            _ => Err(Error::invalid(
                "update",
                "must be an update document or a pipeline",
            )),
        }
    }

    fn update_operators(&self, ops: Document) -> Result<Document> {
        if ops.is_empty() {
            return Err(Error::invalid("update", "must not be empty"));
        }
        let mut confined = Document::new();
        for (op, fields) in ops {
            if !op.starts_with('$') {
                return Err(Error::invalid(
                    "update",
                    "must use update operators ($set, ...); replace a document with replace_one",
                ));
            }
            let Bson::Document(fields) = fields else {
                return Err(Error::invalid(
                    "update",
                    format_args!("the value of '{op}' must be a document"),
                ));
            };
            for (path, value) in &fields {
                let target = (op == "$rename").then(|| value.as_str()).flatten();
                if names_stamp(path) || target.is_some_and(names_stamp) {
                    return Err(Error::invalid(
                        "update",
                        format_args!("must not change '{TENANT_FIELD}': the scope stamps it"),
                    ));
                }
            }
            confined.insert(op, fields);
        }
        match confined.get_mut("$setOnInsert") {
            Some(Bson::Document(on_insert)) => {
                on_insert.insert(TENANT_FIELD, self.tenant);
            }
            _ => {
                confined.insert("$setOnInsert", self.stamp());
            }
        }
        Ok(confined)
    }

    /// An aggregation pipeline over this tenant's documents only, its results without the
    /// stamp.
    pub fn pipeline(&self, stages: Vec<Document>) -> Result<Vec<Document>> {
        check_pipeline(&stages)?;
        let mut confined = Vec::with_capacity(stages.len() + 2);
        confined.push(doc! { "$match": self.stamp() });
        confined.extend(stages);
        confined.push(doc! { "$unset": TENANT_FIELD });
        Ok(confined)
    }

    /// A find's projection that leaves the stamp out of the results: added to an exclusion
    /// projection (or none), removed from an inclusion one.
    pub fn projection(&self, projection: Option<Document>) -> Document {
        let mut projection = projection.unwrap_or_default();
        projection.remove(TENANT_FIELD);
        let excluding = projection
            .iter()
            .filter(|(k, _)| k.as_str() != "_id")
            .all(|(_, v)| {
                matches!(v, Bson::Boolean(false))
                    || v.as_f64() == Some(0.0)
                    || matches!(v, Bson::Int32(0) | Bson::Int64(0))
            });
        if excluding {
            projection.insert(TENANT_FIELD, 0);
        }
        projection
    }

    /// A change stream pipeline delivering the events of this tenant's documents only:
    /// those whose full document is the tenant's (inserts, replacements, and updates when
    /// the stream looks the full document up; deletes carry no document, so they are not
    /// delivered).
    pub fn change_stream(&self, stages: Vec<Document>) -> Result<Vec<Document>> {
        for stage in &stages {
            allowed_stage(stage, CHANGE_STREAM_STAGES, "pipeline")?;
        }
        let mut confined = Vec::with_capacity(stages.len() + 1);
        confined.push(doc! { "$match": { format!("fullDocument.{TENANT_FIELD}"): self.tenant } });
        confined.extend(stages);
        Ok(confined)
    }

    /// Index keys led by the stamp: every index is per tenant (a unique one included).
    pub fn index_keys(&self, keys: Document) -> Result<Document> {
        if keys.is_empty() {
            return Err(Error::invalid("keys", "must name at least one field"));
        }
        if keys.keys().any(|k| names_stamp(k)) {
            return Err(Error::invalid(
                "keys",
                format_args!("must not name '{TENANT_FIELD}': every index starts with it"),
            ));
        }
        let mut confined = doc! { TENANT_FIELD: 1 };
        confined.extend(keys);
        Ok(confined)
    }

    /// A document read through the scope, without its stamp (documents look alike in
    /// every layout).
    pub fn unstamp(&self, mut doc: Document) -> Document {
        doc.remove(TENANT_FIELD);
        doc
    }
}

/// Whether an update path is the stamp or inside it.
fn names_stamp(path: &str) -> bool {
    path == TENANT_FIELD
        || path
            .strip_prefix(TENANT_FIELD)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn check_pipeline(stages: &[Document]) -> Result<()> {
    for stage in stages {
        allowed_stage(stage, PIPELINE_STAGES, "pipeline")?;
        if let Some(Bson::Document(facets)) = stage.get("$facet") {
            for (_, sub) in facets {
                let Bson::Array(sub) = sub else {
                    return Err(Error::invalid("pipeline", "a $facet must hold pipelines"));
                };
                let sub: Vec<Document> = sub
                    .iter()
                    .map(|s| match s {
                        Bson::Document(d) => Ok(d.clone()),
                        _ => Err(Error::invalid("pipeline", "a stage must be a document")),
                    })
                    .collect::<Result<_>>()?;
                check_pipeline(&sub)?;
            }
        }
    }
    Ok(())
}

fn allowed_stage(stage: &Document, allowed: &[&str], field: &'static str) -> Result<()> {
    let mut names = stage.keys();
    match (names.next(), names.next()) {
        (Some(name), None) if allowed.contains(&name.as_str()) => Ok(()),
        (Some(name), None) => Err(Error::invalid(
            field,
            format_args!(
                "stage '{name}' is not allowed through a tenant's scope (it could reach \
                 other tenants' data); allowed: {}",
                allowed.join(", ")
            ),
        )),
        _ => Err(Error::invalid(
            field,
            "each stage must have exactly one operator",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> (Confinement, ObjectId) {
        let id = ObjectId::new();
        (Confinement::new(id), id)
    }

    #[test]
    fn filters_are_conjoined_with_the_stamp() {
        let (c, id) = c();
        assert_eq!(c.filter(doc! {}), doc! { "_tenant": id });
        let other = ObjectId::new();
        assert_eq!(
            c.filter(doc! { "_tenant": other }),
            doc! { "$and": [{ "_tenant": id }, { "_tenant": other }] }
        );
    }

    #[test]
    fn documents_are_stamped_and_foreign_stamps_refused() {
        let (c, id) = c();
        assert_eq!(
            c.document(doc! { "a": 1 }).unwrap(),
            doc! { "a": 1, "_tenant": id }
        );
        assert_eq!(
            c.document(doc! { "_tenant": id }).unwrap(),
            doc! { "_tenant": id }
        );
        let err = c.document(doc! { "_tenant": ObjectId::new() }).unwrap_err();
        assert_eq!(err.code(), "INVALID_INPUT");
        assert!(c.document(doc! { "_tenant": "x" }).is_err());
    }

    #[test]
    fn updates_cannot_touch_the_stamp() {
        let (c, id) = c();
        let doc_of = |u: UpdateModifications| match u {
            UpdateModifications::Document(d) => d,
            _ => panic!("document expected"),
        };
        let ok = c.update(doc! { "$set": { "a": 1 } }.into()).unwrap();
        assert_eq!(
            doc_of(ok),
            doc! { "$set": { "a": 1 }, "$setOnInsert": { "_tenant": id } }
        );
        let merged = c
            .update(doc! { "$setOnInsert": { "b": 2 } }.into())
            .unwrap();
        assert_eq!(
            doc_of(merged),
            doc! { "$setOnInsert": { "b": 2, "_tenant": id } }
        );
        for bad in [
            doc! { "$set": { "_tenant": ObjectId::new() } },
            doc! { "$unset": { "_tenant": "" } },
            doc! { "$set": { "_tenant.x": 1 } },
            doc! { "$rename": { "_tenant": "t" } },
            doc! { "$rename": { "a": "_tenant" } },
            doc! { "$setOnInsert": { "_tenant": ObjectId::new() } },
            doc! { "$inc": { "_tenant": 1 } },
            doc! { "a": 1 },
            doc! {},
            doc! { "$set": 1 },
        ] {
            assert!(c.update(bad.clone().into()).is_err(), "{bad}");
        }
        // `_tenantx` is another field.
        assert!(c.update(doc! { "$set": { "_tenantx": 1 } }.into()).is_ok());
        let piped = c.update(vec![doc! { "$unset": "_tenant" }].into()).unwrap();
        match piped {
            UpdateModifications::Pipeline(stages) => {
                assert_eq!(
                    stages.last().unwrap(),
                    &doc! { "$set": { "_tenant": { "$literal": id } } }
                )
            }
            _ => panic!("pipeline expected"),
        }
        assert!(c.update(vec![doc! { "$lookup": {} }].into()).is_err());
    }

    #[test]
    fn pipelines_start_with_the_stamp_and_reach_no_other_collection() {
        let (c, id) = c();
        let p = c
            .pipeline(vec![doc! { "$group": { "_id": null } }])
            .unwrap();
        assert_eq!(p[0], doc! { "$match": { "_tenant": id } });
        for stage in [
            "$lookup",
            "$unionWith",
            "$graphLookup",
            "$out",
            "$merge",
            "$collStats",
            "$documents",
            "$geoNear",
            "$search",
            "$changeStream",
            "$indexStats",
            "$newStage",
        ] {
            let err = c.pipeline(vec![doc! { stage: {} }]).unwrap_err();
            assert_eq!(err.code(), "INVALID_INPUT", "{stage}");
        }
        let nested = doc! { "$facet": { "a": [{ "$match": {} }], "b": [{ "$unionWith": "x" }] } };
        assert!(c.pipeline(vec![nested]).is_err());
        let fine = doc! { "$facet": { "a": [{ "$match": {} }, { "$count": "n" }] } };
        assert!(c.pipeline(vec![fine]).is_ok());
        assert!(c
            .pipeline(vec![doc! { "$match": {}, "$limit": 1 }])
            .is_err());
    }

    #[test]
    fn projections_leave_the_stamp_out() {
        let (c, _) = c();
        assert_eq!(c.projection(None), doc! { "_tenant": 0 });
        assert_eq!(
            c.projection(Some(doc! { "a": 0 })),
            doc! { "a": 0, "_tenant": 0 }
        );
        assert_eq!(
            c.projection(Some(doc! { "_id": 1, "a": false })),
            doc! { "_id": 1, "a": false, "_tenant": 0 }
        );
        assert_eq!(
            c.projection(Some(doc! { "a": 1, "_tenant": 1 })),
            doc! { "a": 1 }
        );
        assert_eq!(
            c.projection(Some(doc! { "_id": 0, "a": true })),
            doc! { "_id": 0, "a": true }
        );
    }

    #[test]
    fn indexes_start_with_the_stamp() {
        let (c, _) = c();
        let keys = c.index_keys(doc! { "email": 1 }).unwrap();
        assert_eq!(keys, doc! { "_tenant": 1, "email": 1 });
        assert!(c.index_keys(doc! { "_tenant": 1 }).is_err());
        assert!(c.index_keys(doc! {}).is_err());
    }

    #[test]
    fn change_streams_deliver_the_tenants_documents() {
        let (c, id) = c();
        let p = c.change_stream(vec![]).unwrap();
        assert_eq!(p, vec![doc! { "$match": { "fullDocument._tenant": id } }]);
        assert!(c.change_stream(vec![doc! { "$lookup": {} }]).is_err());
    }
}
