//! The core's [`tenantry::Confinement`] and [`tenantry::Location`] as Python classes.
//!
//! `Confinement` only converts: it takes BSON bytes (`bson.encode(...)`), hands the
//! document to the core, and gives back BSON bytes (for `bson.decode(...)`). Arrays and
//! updates travel wrapped in a one-key document (`{"p": [...]}`, `{"u": ...}`), as BSON has
//! no top-level array. Every rule is the core's; a refusal arrives as the binding's
//! `InvalidInput`. `tenantry._confined.ConfinedCollection` wraps an application's driver
//! collection with it.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;
use tenantry::mongodb::bson::{Bson, Document};
use tenantry::mongodb::options::UpdateModifications;
use tenantry::{Error, Location};

use crate::error::to_py_err;
use crate::types::quoted;

/// Key of the pipeline in a wrapped pipeline (`{"p": [...]}`).
const PIPELINE: &str = "p";
/// Key of the update in a wrapped update (`{"u": {...}}` or `{"u": [...]}`).
const UPDATE: &str = "u";

/// The core's input error about `field`.
fn invalid(field: &'static str, message: impl std::fmt::Display) -> Error {
    Error::InvalidInput {
        field,
        message: message.to_string(),
    }
}

/// A document from BSON bytes; `field` names the argument in the error.
fn read(bytes: &[u8], field: &'static str) -> tenantry::Result<Document> {
    Document::from_reader(bytes).map_err(|e| invalid(field, format_args!("is not BSON: {e}")))
}

fn write<'py>(py: Python<'py>, doc: &Document) -> PyResult<Bound<'py, PyBytes>> {
    let mut bytes = Vec::new();
    doc.to_writer(&mut bytes)
        .map_err(|e| to_py_err(py, invalid("document", format_args!("{e}"))))?;
    Ok(PyBytes::new(py, &bytes))
}

/// The stages of a wrapped pipeline.
fn stages(bytes: &[u8]) -> tenantry::Result<Vec<Document>> {
    let mut wrapped = read(bytes, "pipeline")?;
    let Some(Bson::Array(stages)) = wrapped.remove(PIPELINE) else {
        return Err(invalid("pipeline", "must be a list of stages"));
    };
    stages.into_iter().map(|s| stage(s, "pipeline")).collect()
}

fn stage(stage: Bson, field: &'static str) -> tenantry::Result<Document> {
    match stage {
        Bson::Document(stage) => Ok(stage),
        _ => Err(invalid(field, "a stage must be a document")),
    }
}

fn wrap(key: &str, value: impl Into<Bson>) -> Document {
    let mut wrapped = Document::new();
    wrapped.insert(key, value);
    wrapped
}

/// What confines operations on a shared collection to one tenant (the `shared` layout):
/// filters, documents, updates, pipelines, projections and index keys go through it on
/// their way to the driver. BSON bytes in, BSON bytes out.
#[pyclass(frozen, module = "tenantry._native", name = "Confinement")]
pub(crate) struct PyConfinement(pub(crate) tenantry::Confinement);

impl PyConfinement {
    fn run<'py>(
        py: Python<'py>,
        confined: tenantry::Result<Document>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let confined = confined.map_err(|e| to_py_err(py, e))?;
        write(py, &confined)
    }
}

#[pymethods]
impl PyConfinement {
    /// The tenant's id (24 hex digits).
    #[getter]
    fn tenant_id(&self) -> String {
        self.0.tenant().to_hex()
    }

    /// A filter matching the tenant's documents only.
    fn filter<'py>(&self, py: Python<'py>, filter: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        Self::run(py, read(filter, "filter").map(|f| self.0.filter(f)))
    }

    /// A document to insert, or a replacement, stamped with the tenant.
    fn document<'py>(&self, py: Python<'py>, document: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        Self::run(
            py,
            read(document, "document").and_then(|d| self.0.document(d)),
        )
    }

    /// A wrapped update (`{"u": operators}` or `{"u": [stages]}`), confined.
    fn update<'py>(&self, py: Python<'py>, update: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let confined = read(update, "update").and_then(|mut wrapped| {
            let update = match wrapped.remove(UPDATE) {
                Some(Bson::Document(ops)) => UpdateModifications::Document(ops),
                Some(Bson::Array(stages)) => UpdateModifications::Pipeline(
                    stages
                        .into_iter()
                        .map(|s| stage(s, "update"))
                        .collect::<tenantry::Result<_>>()?,
                ),
                _ => return Err(invalid("update", "must be a document or a pipeline")),
            };
            Ok(match self.0.update(update)? {
                UpdateModifications::Pipeline(stages) => wrap(UPDATE, stages),
                UpdateModifications::Document(ops) => wrap(UPDATE, ops),
                _ => return Err(invalid("update", "must be a document or a pipeline")),
            })
        });
        Self::run(py, confined)
    }

    /// A wrapped aggregation pipeline (`{"p": [stages]}`), confined.
    fn pipeline<'py>(&self, py: Python<'py>, pipeline: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let confined = stages(pipeline).and_then(|s| self.0.pipeline(s));
        Self::run(py, confined.map(|s| wrap(PIPELINE, s)))
    }

    /// A find's projection (or None) that leaves the stamp out of the results.
    #[pyo3(signature = (projection = None))]
    fn projection<'py>(
        &self,
        py: Python<'py>,
        projection: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let projection = projection.map(|p| read(p, "projection")).transpose();
        Self::run(py, projection.map(|p| self.0.projection(p)))
    }

    /// A wrapped change stream pipeline (`{"p": [stages]}`), confined.
    fn change_stream<'py>(
        &self,
        py: Python<'py>,
        pipeline: &[u8],
    ) -> PyResult<Bound<'py, PyBytes>> {
        let confined = stages(pipeline).and_then(|s| self.0.change_stream(s));
        Self::run(py, confined.map(|s| wrap(PIPELINE, s)))
    }

    /// Index keys, led by the stamp.
    fn index_keys<'py>(&self, py: Python<'py>, keys: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        Self::run(py, read(keys, "keys").and_then(|k| self.0.index_keys(k)))
    }

    fn __repr__(&self) -> String {
        format!("Confinement(tenant_id='{}')", self.tenant_id())
    }
}

/// Where one of a tenant's logical collections is: the cluster, the database, the
/// physical collection, and in the `shared` layout the confinement every operation must
/// go through.
#[pyclass(frozen, module = "tenantry._native", name = "Location")]
pub(crate) struct PyLocation(pub(crate) Location);

#[pymethods]
impl PyLocation {
    /// The cluster (`"home"` unless the tenant was placed on another): the client must be
    /// connected to it.
    #[getter]
    fn cluster(&self) -> &str {
        &self.0.cluster
    }
    #[getter]
    fn database(&self) -> &str {
        &self.0.database
    }
    #[getter]
    fn collection(&self) -> &str {
        &self.0.collection
    }
    /// `database.collection`.
    #[getter]
    fn namespace(&self) -> String {
        format!("{}.{}", self.0.database, self.0.collection)
    }
    #[getter]
    fn confinement(&self) -> Option<PyConfinement> {
        self.0.confinement.map(PyConfinement)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let confined = if self.0.confinement.is_some() {
            "True"
        } else {
            "False"
        };
        Ok(format!(
            "Location(cluster={}, database={}, collection={}, confined={confined})",
            quoted(py, &self.0.cluster)?,
            quoted(py, &self.0.database)?,
            quoted(py, &self.0.collection)?,
        ))
    }
}

/// The collection a location names on the application's driver `client`:
/// `client[database][collection]`, wrapped in a `tenantry.ConfinedCollection` in the
/// `shared` layout.
pub(crate) fn collection_on<'py>(
    client: &Bound<'py, PyAny>,
    location: &Location,
) -> PyResult<Bound<'py, PyAny>> {
    static CONFINED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let py = client.py();
    let collection = client
        .get_item(&location.database)?
        .get_item(&location.collection)?;
    match location.confinement {
        None => Ok(collection),
        Some(confinement) => {
            let class = CONFINED.get_or_try_init(py, || {
                let module = py.import("tenantry._confined")?;
                Ok::<_, PyErr>(module.getattr("ConfinedCollection")?.unbind())
            })?;
            class
                .bind(py)
                .call1((collection, PyConfinement(confinement)))
        }
    }
}

/// A location and the client to open it on: what an awaited `admin_collection` gives,
/// converted into the collection once the GIL is held.
pub(crate) struct Opened {
    pub(crate) client: Py<PyAny>,
    pub(crate) location: Location,
}

impl<'py> IntoPyObject<'py> for Opened {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        collection_on(self.client.bind(py), &self.location)
    }
}
