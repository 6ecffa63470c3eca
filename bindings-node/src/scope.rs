//! Where a tenant's collection is ([`Location`]) and, in the `shared` layout, what confines
//! every operation on it to the tenant ([`Confinement`]): the core's `scope` module, for the
//! application's own `mongodb` driver.
//!
//! `Confinement` only converts: its arguments and results are BSON documents (the
//! `mongodb` package's `BSON.serialize` / `BSON.deserialize`), a pipeline wrapped as
//! `{ p: [...] }` and an update as `{ u: ... }`; the rewriting and the refusals are the
//! core's. The package's `confined.js` (`ConfinedCollection`) calls it around each driver
//! method.

use napi::bindgen_prelude::{Buffer, Either, Null, Uint8Array};
use napi::Env;
use napi_derive::napi;
use tenantry::mongodb::bson::{Bson, Document};
use tenantry::mongodb::options::UpdateModifications;

use crate::error::to_js_error;

/// Where one of a tenant's logical collections is: on the application's own `mongodb`
/// client, `client.db(database).collection(collection)`.
#[napi(object, object_from_js = false)]
pub struct Location {
    /// The cluster (`home` unless the tenant was placed on another): the client must be
    /// connected to it.
    pub cluster: String,
    /// The database.
    pub database: String,
    /// The physical collection (shared with other tenants in the `shared` layout).
    pub collection: String,
    /// In the `shared` layout, what every operation on the collection must go through;
    /// `null` in the others.
    #[napi(ts_type = "Confinement | null")]
    pub confinement: Either<Confinement, Null>,
}

impl From<tenantry::Location> for Location {
    fn from(l: tenantry::Location) -> Self {
        Location {
            cluster: l.cluster,
            database: l.database,
            collection: l.collection,
            confinement: match l.confinement {
                Some(inner) => Either::A(Confinement { inner }),
                None => Either::B(Null),
            },
        }
    }
}

/// What confines operations on a shared collection to one tenant (`ConfinedCollection`
/// calls it): each method takes and returns a BSON document (`BSON.serialize` of the
/// `mongodb` package; a pipeline wrapped as `{ p: [...] }`, an update as `{ u: ... }`) and
/// throws `INVALID_INPUT` for what it refuses. Obtained from a `Location` only.
#[napi]
pub struct Confinement {
    inner: tenantry::Confinement,
}

#[napi]
impl Confinement {
    /// The tenant's id (24 hex digits).
    #[napi(getter)]
    pub fn tenant_id(&self) -> String {
        self.inner.tenant().to_hex()
    }

    /// A query filter matching the tenant's documents only.
    #[napi]
    pub fn filter(&self, env: &Env, filter: Uint8Array) -> napi::Result<Buffer> {
        convert(env, || Ok(self.inner.filter(parse(&filter, "filter")?)))
    }

    /// A document to insert, or a replacement, stamped with the tenant.
    #[napi]
    pub fn document(&self, env: &Env, document: Uint8Array) -> napi::Result<Buffer> {
        convert(env, || self.inner.document(parse(&document, "document")?))
    }

    /// An update, `{ u: operators }` or `{ u: [stages] }`, that cannot touch the stamp.
    #[napi]
    pub fn update(&self, env: &Env, update: Uint8Array) -> napi::Result<Buffer> {
        convert(env, || {
            let update = match wrapped(&update, "u", "update")? {
                Bson::Document(ops) => UpdateModifications::Document(ops),
                Bson::Array(stages) => UpdateModifications::Pipeline(stages_of(stages, "update")?),
                _ => {
                    return Err(invalid(
                        "update",
                        "must be an update document or a pipeline",
                    ))
                }
            };
            let value = match self.inner.update(update)? {
                UpdateModifications::Document(ops) => Bson::Document(ops),
                UpdateModifications::Pipeline(stages) => stages_value(stages),
                _ => {
                    return Err(invalid(
                        "update",
                        "must be an update document or a pipeline",
                    ))
                }
            };
            Ok(wrap("u", value))
        })
    }

    /// An aggregation pipeline, `{ p: [stages] }`, over the tenant's documents only.
    #[napi]
    pub fn pipeline(&self, env: &Env, pipeline: Uint8Array) -> napi::Result<Buffer> {
        convert(env, || {
            let stages = pipeline_of(&pipeline, "pipeline")?;
            Ok(wrap("p", stages_value(self.inner.pipeline(stages)?)))
        })
    }

    /// A find's projection (or none) that leaves the stamp out of the results.
    #[napi]
    pub fn projection(&self, env: &Env, projection: Option<Uint8Array>) -> napi::Result<Buffer> {
        convert(env, || {
            let projection = match projection {
                Some(bytes) => Some(parse(&bytes, "projection")?),
                None => None,
            };
            Ok(self.inner.projection(projection))
        })
    }

    /// A change stream pipeline, `{ p: [stages] }`, delivering the tenant's events only.
    #[napi]
    pub fn change_stream(&self, env: &Env, pipeline: Uint8Array) -> napi::Result<Buffer> {
        convert(env, || {
            let stages = pipeline_of(&pipeline, "pipeline")?;
            Ok(wrap("p", stages_value(self.inner.change_stream(stages)?)))
        })
    }

    /// Index keys led by the stamp, so that every index (a unique one included) is per
    /// tenant.
    #[napi]
    pub fn index_keys(&self, env: &Env, keys: Uint8Array) -> napi::Result<Buffer> {
        convert(env, || self.inner.index_keys(parse(&keys, "keys")?))
    }
}

/// The result of a core call as BSON bytes, or its error as a JS error.
fn convert(env: &Env, run: impl FnOnce() -> tenantry::Result<Document>) -> napi::Result<Buffer> {
    let mut bytes = Vec::new();
    run()
        .and_then(|doc| {
            doc.to_writer(&mut bytes)
                .map_err(|e| tenantry::Error::Internal(format!("cannot encode BSON: {e}")))
        })
        .map(|()| Buffer::from(bytes))
        .map_err(|err| to_js_error(env, err))
}

fn invalid(field: &'static str, message: &str) -> tenantry::Error {
    tenantry::Error::InvalidInput {
        field,
        message: message.into(),
    }
}

fn parse(bytes: &[u8], field: &'static str) -> tenantry::Result<Document> {
    Document::from_reader(bytes).map_err(|_| invalid(field, "is not a BSON document"))
}

/// The value of the one-key document `{ key: value }`.
fn wrapped(bytes: &[u8], key: &str, field: &'static str) -> tenantry::Result<Bson> {
    let mut doc = parse(bytes, field)?;
    match (doc.remove(key), doc.is_empty()) {
        (Some(value), true) => Ok(value),
        _ => Err(invalid(field, "must arrive wrapped in a one-key document")),
    }
}

fn wrap(key: &str, value: Bson) -> Document {
    let mut doc = Document::new();
    doc.insert(key, value);
    doc
}

fn pipeline_of(bytes: &[u8], field: &'static str) -> tenantry::Result<Vec<Document>> {
    match wrapped(bytes, "p", field)? {
        Bson::Array(stages) => stages_of(stages, field),
        _ => Err(invalid(field, "must be an array of stages")),
    }
}

fn stages_of(stages: Vec<Bson>, field: &'static str) -> tenantry::Result<Vec<Document>> {
    stages
        .into_iter()
        .map(|stage| match stage {
            Bson::Document(stage) => Ok(stage),
            _ => Err(invalid(field, "a stage must be a document")),
        })
        .collect()
}

fn stages_value(stages: Vec<Document>) -> Bson {
    Bson::Array(stages.into_iter().map(Bson::Document).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenantry::mongodb::bson::doc;

    fn bytes(doc: Document) -> Vec<u8> {
        let mut out = Vec::new();
        doc.to_writer(&mut out).unwrap();
        out
    }

    #[test]
    fn arrays_and_updates_cross_in_one_key_documents() {
        let update = wrapped(&bytes(doc! { "u": { "$set": { "a": 1 } } }), "u", "update");
        assert_eq!(update.unwrap(), Bson::Document(doc! { "$set": { "a": 1 } }));
        for bad in [doc! { "u": 1, "x": 2 }, doc! { "v": 1 }, doc! {}] {
            let err = wrapped(&bytes(bad.clone()), "u", "update").unwrap_err();
            assert_eq!(
                (err.code(), err.field()),
                ("INVALID_INPUT", Some("update")),
                "{bad}"
            );
        }
        let stages = pipeline_of(&bytes(doc! { "p": [{ "$match": {} }] }), "pipeline");
        assert_eq!(stages.unwrap(), vec![doc! { "$match": {} }]);
        assert!(pipeline_of(&bytes(doc! { "p": [1] }), "pipeline").is_err());
        assert!(pipeline_of(&bytes(doc! { "p": { "$match": {} } }), "pipeline").is_err());
        assert_eq!(
            parse(b"not bson", "filter").unwrap_err().field(),
            Some("filter")
        );
    }
}
