//! The core's export and import (`TenantManager::export_tenant_with_progress`,
//! `import_tenant_with_progress`) to and from a file or `bytes`, and the Python class of
//! [`tenantry::ArchiveManifest`].
//!
//! An export to a file is written beside it first (`<path>.<pid>-<n>.partial`), synced,
//! then renamed over `path`: `path` ends up holding a whole archive or is left as it was,
//! whatever stops the export (an error, a cancelled future, a crash). A file that cannot
//! be opened, synced or renamed raises the `OSError` of its errno (`FileNotFoundError`,
//! `PermissionError`, ...) naming the path, when the future is awaited, as `open()`
//! would; what the core refuses (a damaged archive, a taken name) raises its own error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use pyo3::IntoPyObjectExt;
use tenantry::{ArchiveManifest, ImportOptions, TenantManager};
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};

use crate::moves::Reporter;
use crate::types::{quoted, PyTenant};

/// The buffer of a file's reads and writes: records are small, the file's syscalls few.
const BUFFER: usize = 256 * 1024;

/// What an archive holds: per logical collection its count of documents and their SHA-256,
/// and its count of audit entries.
#[pyclass(frozen, eq, module = "tenantry._native", name = "ArchiveManifest")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyArchiveManifest(pub(crate) ArchiveManifest);

#[pymethods]
impl PyArchiveManifest {
    /// `{collection: (documents, sha256 hex)}`, by name.
    #[getter]
    fn collections<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, (count, sha)) in &self.0.collections {
            d.set_item(name, (count, sha))?;
        }
        Ok(d)
    }
    #[getter]
    fn audit_entries(&self) -> u64 {
        self.0.audit_entries
    }
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("collections", self.collections(py)?)?;
        d.set_item("audit_entries", self.audit_entries())?;
        Ok(d)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let collections: PyResult<Vec<String>> = self
            .0
            .collections
            .iter()
            .map(|(name, (count, _))| Ok(format!("{}: {count}", quoted(py, name)?)))
            .collect();
        Ok(format!(
            "ArchiveManifest(collections={{{}}}, audit_entries={})",
            collections?.join(", "),
            self.0.audit_entries
        ))
    }
}

/// An archive in memory, given to Python as `bytes`.
pub(crate) struct ArchiveBytes(Vec<u8>);

impl<'py> IntoPyObject<'py> for ArchiveBytes {
    type Target = PyBytes;
    type Output = Bound<'py, PyBytes>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.0))
    }
}

/// A file that could not be opened, written or renamed, and the path the caller gave.
pub(crate) struct FileError {
    error: std::io::Error,
    path: PathBuf,
}

impl FileError {
    /// `OSError(errno, strerror, path)`, which Python turns into the subclass of the errno
    /// (`FileNotFoundError`...); an error without an errno as pyo3 maps its kind.
    fn into_py_err(self, py: Python<'_>) -> PyErr {
        let Some(errno) = self.error.raw_os_error() else {
            return PyErr::from(self.error);
        };
        let strerror = py
            .import("os")
            .and_then(|os| os.call_method1("strerror", (errno,)))
            .and_then(|s| s.extract::<String>())
            .unwrap_or_else(|_| self.error.to_string());
        PyOSError::new_err((errno, strerror, self.path.into_os_string()))
    }
}

/// The result of an operation on a file: its value, or the file's error, raised as an
/// `OSError` when the result is converted for Python.
pub(crate) enum OnFile<T> {
    Done(T),
    Failed(FileError),
}

impl<T> OnFile<T> {
    fn failed(error: std::io::Error, path: &Path) -> Self {
        OnFile::Failed(FileError {
            error,
            path: path.to_owned(),
        })
    }
}

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for OnFile<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            OnFile::Done(value) => value.into_bound_py_any(py),
            OnFile::Failed(failure) => Err(failure.into_py_err(py)),
        }
    }
}

/// The file an export writes before it is renamed over its path, removed when dropped
/// unless [`kept`](Self::kept): nothing of an export that stops is left behind.
struct Partial {
    path: Option<PathBuf>,
}

impl Partial {
    /// `<path>.<pid>-<n>.partial`: beside `path`, and unique within this process.
    fn beside(path: &Path) -> PathBuf {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{}-{n}.partial", std::process::id()));
        PathBuf::from(name)
    }

    fn kept(mut self) {
        self.path = None;
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Best effort: a partial file that cannot be removed is only clutter.
            std::fs::remove_file(path).ok();
        }
    }
}

/// Export the tenant named `name` to the file `path` (see the module docs).
pub(crate) async fn export_to_file(
    manager: TenantManager,
    name: String,
    path: PathBuf,
    report: Reporter,
) -> tenantry::Result<OnFile<PyArchiveManifest>> {
    let partial_path = Partial::beside(&path);
    let opened = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial_path)
        .await;
    let file = match opened {
        Ok(file) => file,
        Err(error) => return Ok(OnFile::failed(error, &path)),
    };
    let partial = Partial {
        path: Some(partial_path.clone()),
    };
    let mut out = BufWriter::with_capacity(BUFFER, file);
    let manifest = manager
        .export_tenant_with_progress(&name, &mut out, report)
        .await?;
    let stored = async {
        out.flush().await?;
        let file = out.into_inner();
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&partial_path, &path).await
    };
    match stored.await {
        Ok(()) => {
            partial.kept();
            Ok(OnFile::Done(PyArchiveManifest(manifest)))
        }
        Err(error) => Ok(OnFile::failed(error, &path)),
    }
}

/// Export the tenant named `name` into memory.
pub(crate) async fn export_to_bytes(
    manager: TenantManager,
    name: String,
    report: Reporter,
) -> tenantry::Result<ArchiveBytes> {
    let mut out = Vec::new();
    manager
        .export_tenant_with_progress(&name, &mut out, report)
        .await?;
    Ok(ArchiveBytes(out))
}

/// Import the archive in the file `path`. Options the core could not parse fail the
/// import before the file is opened.
pub(crate) async fn import_from_file(
    manager: TenantManager,
    path: PathBuf,
    options: tenantry::Result<ImportOptions>,
    report: Reporter,
) -> tenantry::Result<OnFile<(PyTenant, PyArchiveManifest)>> {
    let options = options?;
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(error) => return Ok(OnFile::failed(error, &path)),
    };
    let mut input = BufReader::with_capacity(BUFFER, file);
    let (tenant, manifest) = manager
        .import_tenant_with_progress(&mut input, options, report)
        .await?;
    Ok(OnFile::Done((
        PyTenant(tenant),
        PyArchiveManifest(manifest),
    )))
}

/// Import the archive `data`.
pub(crate) async fn import_from_bytes(
    manager: TenantManager,
    data: Vec<u8>,
    options: tenantry::Result<ImportOptions>,
    report: Reporter,
) -> tenantry::Result<(PyTenant, PyArchiveManifest)> {
    let (tenant, manifest) = manager
        .import_tenant_with_progress(&mut data.as_slice(), options?, report)
        .await?;
    Ok((PyTenant(tenant), PyArchiveManifest(manifest)))
}
