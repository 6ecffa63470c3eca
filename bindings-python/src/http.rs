//! The core's HTTP helpers ([`tenantry::http`]), for the FastAPI glue: the error table,
//! the queries of the operator endpoints (the listing, the audit log, the import, the
//! migration run) and the bodies they answer with, the bodies of the sessions endpoints
//! (`POST /auth/login`, `/auth/refresh`, `GET /auth/sessions`), of the signing keys'
//! (`GET /admin/keys`, `POST /admin/keys/rotate`), of the API keys' (`POST
//! /admin/api-keys`, read here too, `GET /admin/api-keys`, `GET /auth/whoami`), and of the
//! members' and invitations' (`GET /admin/members`, `PATCH /admin/members/{member_id}` and
//! `POST /admin/invitations`, read here too, `GET /admin/invitations`, `POST
//! /auth/accept-invitation`, read here too).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tenantry::http::{AUDIT_QUERY_PARAMS, IMPORT_PARAMS, MIGRATE_PARAMS, TENANT_QUERY_PARAMS};

use crate::audit::{PyAuditPage, PyAuditVerification};
use crate::config::to_python;
use crate::error::to_py_err;
use crate::schema::PyMigrateReport;
use crate::types::{
    PyApiKey, PyApiKeyInfo, PyClaims, PyInvitation, PyInvitationInfo, PyMember, PySession,
    PySessionInfo, PySigningKeyInfo, PyTenant, PyTenantPage,
};

/// A response: status, headers and the JSON body (as text).
type Response = (u16, Vec<(String, String)>, String);

fn convert(r: tenantry::http::Response) -> Response {
    (r.status, r.headers, r.body.to_string())
}

/// The response of an error given by its parts (an exception's `code`, `field`, `reason`,
/// `retry_after`, or a server's own request error such as `NOT_AUTHENTICATED`).
#[pyfunction]
#[pyo3(name = "_http_response", signature = (kind, field = None, reason = None, retry_after = None))]
pub(crate) fn response(
    kind: &str,
    field: Option<&str>,
    reason: Option<&str>,
    retry_after: Option<u64>,
) -> Option<Response> {
    tenantry::http::response(kind, field, reason, retry_after).map(convert)
}

/// The response to a request that does not match its schema, from its problems as
/// (field, message, kind).
#[pyfunction]
#[pyo3(name = "_http_validation_response")]
pub(crate) fn validation_response(problems: Vec<(String, String, String)>) -> Response {
    let problems: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|(f, m, k)| (f.as_str(), m.as_str(), k.as_str()))
        .collect();
    convert(tenantry::http::validation_response(&problems))
}

/// The 405 response, `Allow` listing `allowed` in the order every server uses.
#[pyfunction]
#[pyo3(name = "_http_method_not_allowed")]
pub(crate) fn method_not_allowed(allowed: Vec<String>) -> Response {
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    convert(tenantry::http::method_not_allowed(&allowed))
}

/// The keyword arguments of `list_tenants` that a query string gives (`state=deleted&limit=50`,
/// without `?`), parsed by the core: only the parameters given, states and layouts by name,
/// times as aware UTC `datetime`s. A query that does not parse raises `InvalidInput` about
/// its first problem, with every problem as (field, message, kind) in `problems`.
#[pyfunction]
#[pyo3(name = "_http_tenant_query")]
pub(crate) fn tenant_query<'py>(py: Python<'py>, raw_query: &str) -> PyResult<Bound<'py, PyDict>> {
    let query = match tenantry::http::tenant_query(raw_query) {
        Ok(query) => query,
        Err(problems) => return Err(refused(py, &problems, &TENANT_QUERY_PARAMS)),
    };
    let kwargs = PyDict::new(py);
    if let Some(state) = query.state {
        kwargs.set_item("state", state.as_str())?;
    }
    if let Some(layout) = query.layout {
        kwargs.set_item("layout", layout.as_str())?;
    }
    if let Some(cluster) = &query.cluster {
        kwargs.set_item("cluster", cluster)?;
    }
    if let Some(prefix) = &query.name_prefix {
        kwargs.set_item("name_prefix", prefix)?;
    }
    if let Some(time) = query.created_after {
        kwargs.set_item("created_after", time)?;
    }
    if let Some(time) = query.created_before {
        kwargs.set_item("created_before", time)?;
    }
    if let Some(limit) = query.limit {
        kwargs.set_item("limit", limit)?;
    }
    if let Some(cursor) = &query.after {
        kwargs.set_item("after", cursor)?;
    }
    Ok(kwargs)
}

/// The `InvalidInput` of a query's problems: the first one's field and message, and all of
/// them in `problems`. `params` are the query's parameters, one of which each problem names.
fn refused(py: Python<'_>, problems: &[tenantry::http::Problem], params: &[&'static str]) -> PyErr {
    let first = problems.first();
    // The core names a parameter of its list; the error's field is a `&'static str`.
    let field = first
        .and_then(|p| params.iter().find(|name| **name == p.field))
        .copied()
        .unwrap_or("query");
    let message = first.map_or_else(|| "is invalid".to_owned(), |p| p.message.clone());
    let err = to_py_err(py, tenantry::Error::InvalidInput { field, message });
    let listed: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|p| (p.field.as_str(), p.message.as_str(), p.kind))
        .collect();
    let attached = PyList::new(py, listed).and_then(|list| err.value(py).setattr("problems", list));
    match attached {
        Ok(()) => err,
        Err(failed) => failed,
    }
}

/// A tenant as the operator endpoints show it: the core's JSON (times in RFC 3339, UTC, to
/// the millisecond; `None` for a time not set) as a dict.
#[pyfunction]
#[pyo3(name = "_http_tenant_body")]
pub(crate) fn tenant_body<'py>(
    py: Python<'py>,
    tenant: &Bound<'py, PyTenant>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::tenant_body(&tenant.get().0))
}

/// A page of tenants as `GET /admin/tenants` answers it: `{"tenants": [...], "next": ...}`.
#[pyfunction]
#[pyo3(name = "_http_page_body")]
pub(crate) fn page_body<'py>(
    py: Python<'py>,
    page: &Bound<'py, PyTenantPage>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::page_body(&page.get().0))
}

/// The tenant's id and the keyword arguments of `audit_log` that a query string gives
/// (`organization_id=...&op=login&limit=50`), parsed by the core: only the parameters
/// given, times as aware UTC `datetime`s. A query that does not parse raises
/// `InvalidInput` as [`tenant_query`] does.
#[pyfunction]
#[pyo3(name = "_http_audit_query")]
pub(crate) fn audit_query<'py>(
    py: Python<'py>,
    raw_query: &str,
) -> PyResult<(String, Bound<'py, PyDict>)> {
    let (tenant, query) = match tenantry::http::audit_query(raw_query) {
        Ok(parsed) => parsed,
        Err(problems) => return Err(refused(py, &problems, &AUDIT_QUERY_PARAMS)),
    };
    let kwargs = PyDict::new(py);
    if let Some(op) = &query.op {
        kwargs.set_item("op", op)?;
    }
    if let Some(time) = query.since {
        kwargs.set_item("since", time)?;
    }
    if let Some(time) = query.until {
        kwargs.set_item("until", time)?;
    }
    if let Some(limit) = query.limit {
        kwargs.set_item("limit", limit)?;
    }
    if let Some(after) = query.after {
        kwargs.set_item("after", after)?;
    }
    Ok((tenant.to_hex(), kwargs))
}

/// The tenant's id of `GET /admin/audit/verify` (its `organization_id`), parsed by the
/// core; raises `InvalidInput` as [`tenant_query`] does.
#[pyfunction]
#[pyo3(name = "_http_audit_tenant")]
pub(crate) fn audit_tenant(py: Python<'_>, raw_query: &str) -> PyResult<String> {
    tenantry::http::audit_tenant(raw_query)
        .map(|tenant| tenant.to_hex())
        .map_err(|problems| refused(py, &problems, &AUDIT_QUERY_PARAMS))
}

/// A page of audit entries as `GET /admin/audit` answers it: `{"entries": [...], "next":
/// ...}`, times in RFC 3339, `detail` in relaxed Extended JSON.
#[pyfunction]
#[pyo3(name = "_http_audit_page_body")]
pub(crate) fn audit_page_body<'py>(
    py: Python<'py>,
    page: &Bound<'py, PyAuditPage>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::audit_page_body(&page.get().0))
}

/// What `GET /admin/audit/verify` answers: `{"entries": n, "intact": bool, "broken":
/// {"seq": n, "reason": "..."} or None}`.
#[pyfunction]
#[pyo3(name = "_http_verification_body")]
pub(crate) fn verification_body<'py>(
    py: Python<'py>,
    verification: &Bound<'py, PyAuditVerification>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(
        py,
        &tenantry::http::verification_body(&verification.get().0),
    )
}

/// The keyword arguments of `import_tenant` that the query string of `POST /admin/import`
/// gives (`organization_name`, `email`, `layout`, `cluster`, each optional), parsed by the
/// core: `name`, `admin_email`, `layout`, `cluster`, only those given. Raises
/// `InvalidInput` as [`tenant_query`] does.
#[pyfunction]
#[pyo3(name = "_http_import_options")]
pub(crate) fn import_options<'py>(
    py: Python<'py>,
    raw_query: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let options = match tenantry::http::import_options(raw_query) {
        Ok(options) => options,
        Err(problems) => return Err(refused(py, &problems, &IMPORT_PARAMS)),
    };
    let kwargs = PyDict::new(py);
    if let Some(name) = &options.name {
        kwargs.set_item("name", name)?;
    }
    if let Some(email) = &options.admin_email {
        kwargs.set_item("admin_email", email)?;
    }
    if let Some(layout) = options.layout {
        kwargs.set_item("layout", layout.as_str())?;
    }
    if let Some(cluster) = &options.cluster {
        kwargs.set_item("cluster", cluster)?;
    }
    Ok(kwargs)
}

/// The keyword arguments of `migrate` that the query string of `POST /admin/migrate` gives
/// (`dry_run` and `stop_on_failure`, `true` or `false`; `parallelism`, a whole number;
/// each optional), parsed by the core: `dry_run` and `stop_on_failure` always,
/// `parallelism` when given (its range is checked when the run starts). Raises
/// `InvalidInput` as [`tenant_query`] does.
#[pyfunction]
#[pyo3(name = "_http_migrate_options")]
pub(crate) fn migrate_options<'py>(
    py: Python<'py>,
    raw_query: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let options = match tenantry::http::migrate_options(raw_query) {
        Ok(options) => options,
        Err(problems) => return Err(refused(py, &problems, &MIGRATE_PARAMS)),
    };
    let kwargs = PyDict::new(py);
    if let Some(parallelism) = options.parallelism {
        kwargs.set_item("parallelism", parallelism)?;
    }
    kwargs.set_item("dry_run", options.dry_run)?;
    kwargs.set_item("stop_on_failure", options.stop_on_failure)?;
    Ok(kwargs)
}

/// What `POST /admin/migrate` answers: `{"tenants", "applied", "up_to_date",
/// "not_started", "failed": [{"organization_id", "organization_name", "migration",
/// "code", "message"}]}`.
#[pyfunction]
#[pyo3(name = "_http_migrate_report_body")]
pub(crate) fn migrate_report_body<'py>(
    py: Python<'py>,
    report: &Bound<'py, PyMigrateReport>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::migrate_report_body(&report.get().0))
}

/// What `POST /auth/login` and `POST /auth/refresh` answer: `{"access_token",
/// "token_type", "expires_in", "refresh_token", "session_id", "session_expires_at",
/// "admin_id", "organization_id", "organization_name"}`.
#[pyfunction]
#[pyo3(name = "_http_session_body")]
pub(crate) fn session_body<'py>(
    py: Python<'py>,
    session: &Bound<'py, PySession>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::session_body(&session.get().0))
}

/// What `GET /auth/sessions` answers: `{"sessions": [{"session_id", "created_at",
/// "refreshed_at", "expires_at", "client"}]}`, in the order given (`sessions`: newest
/// first).
#[pyfunction]
#[pyo3(name = "_http_sessions_body")]
pub(crate) fn sessions_body<'py>(
    py: Python<'py>,
    sessions: Vec<Bound<'py, PySessionInfo>>,
) -> PyResult<Bound<'py, PyAny>> {
    let sessions: Vec<tenantry::SessionInfo> = sessions.iter().map(|s| s.get().0.clone()).collect();
    to_python(py, &tenantry::http::sessions_body(&sessions))
}

/// What `POST /admin/keys/rotate` answers: `{"kid", "alg", "created_at", "activates_at",
/// "retires_at", "verifies_until"}`, times in RFC 3339, UTC, to the millisecond (`None`
/// for a time not set).
#[pyfunction]
#[pyo3(name = "_http_signing_key_body")]
pub(crate) fn signing_key_body<'py>(
    py: Python<'py>,
    key: &Bound<'py, PySigningKeyInfo>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::signing_key_body(&key.get().0))
}

/// What `GET /admin/keys` answers: `{"keys": [...]}`, each as [`signing_key_body`], in the
/// order given (`signing_keys`: oldest first).
#[pyfunction]
#[pyo3(name = "_http_signing_keys_body")]
pub(crate) fn signing_keys_body<'py>(
    py: Python<'py>,
    keys: Vec<Bound<'py, PySigningKeyInfo>>,
) -> PyResult<Bound<'py, PyAny>> {
    let keys: Vec<tenantry::SigningKeyInfo> = keys.iter().map(|k| k.get().0.clone()).collect();
    to_python(py, &tenantry::http::signing_keys_body(&keys))
}

/// The fields of a `POST /admin/api-keys` body, and `body` (the body as a whole).
const NEW_API_KEY_FIELDS: [&str; 4] = ["name", "scopes", "expires_at", "body"];

/// The keyword arguments of `create_api_key` that a `POST /admin/api-keys` body gives,
/// read by the core's `http::new_api_key` (every server refuses the same bodies alike):
/// `name`, `scopes` and `expires_at` (an aware UTC `datetime`, or `None`). A body that does
/// not read raises `InvalidInput` about its first problem, with every problem as (field,
/// message, kind) in `problems`, as [`tenant_query`] does. What the core judges later (an
/// empty name, a bad scope, a past expiry) is `create_api_key`'s `InvalidInput`.
#[pyfunction]
#[pyo3(name = "_http_new_api_key")]
pub(crate) fn new_api_key<'py>(py: Python<'py>, body: &[u8]) -> PyResult<Bound<'py, PyDict>> {
    if let Err(problems) = tenantry::http::new_api_key(body) {
        return Err(refused(py, &problems, &NEW_API_KEY_FIELDS));
    }
    // The core read the body whole and found nothing wrong: a JSON object with a string
    // `name`, an array of strings `scopes`, and `expires_at` absent, null or RFC 3339 (the
    // core's `NewApiKey` keeps its fields to itself, so they are read again here, alike).
    let internal = |what: &str| {
        let err = tenantry::Error::Internal(format!("a body the core read has no {what}"));
        to_py_err(py, err)
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| internal("object"))?;
    let name = object
        .get("name")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| internal("name"))?;
    let scopes: Vec<&str> = object
        .get("scopes")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| internal("scopes"))?
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    let expires_at = match object.get("expires_at").and_then(serde_json::Value::as_str) {
        Some(at) => Some(
            chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| internal("expires_at"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("name", name)?;
    kwargs.set_item("scopes", scopes)?;
    kwargs.set_item("expires_at", expires_at)?;
    Ok(kwargs)
}

/// One API key as `GET /admin/api-keys` lists it: `{"id", "prefix", "name", "scopes",
/// "created_by", "created_at", "expires_at", "last_used_at"}`, never its secret; times in
/// RFC 3339, UTC, to the millisecond (`None` for a time not set).
#[pyfunction]
#[pyo3(name = "_http_api_key_body")]
pub(crate) fn api_key_body<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyApiKeyInfo>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::api_key_body(&key.get().0))
}

/// What `POST /admin/api-keys` answers: [`api_key_body`] of the key's info, and `"key"`,
/// the key itself, this once.
#[pyfunction]
#[pyo3(name = "_http_created_api_key_body")]
pub(crate) fn created_api_key_body<'py>(
    py: Python<'py>,
    key: &Bound<'py, PyApiKey>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::created_api_key_body(&key.get().0))
}

/// What `GET /admin/api-keys` answers: `{"api_keys": [...]}`, each as [`api_key_body`], in
/// the order given (`api_keys`: oldest first).
#[pyfunction]
#[pyo3(name = "_http_api_keys_body")]
pub(crate) fn api_keys_body<'py>(
    py: Python<'py>,
    keys: Vec<Bound<'py, PyApiKeyInfo>>,
) -> PyResult<Bound<'py, PyAny>> {
    let keys: Vec<tenantry::ApiKeyInfo> = keys.iter().map(|k| k.get().0.clone()).collect();
    to_python(py, &tenantry::http::api_keys_body(&keys))
}

/// What `GET /auth/whoami` answers: `{"admin_id", "organization_id", "organization_name",
/// "api_key_id", "scopes", "role", "expires_at"}` (`api_key_id` and `scopes` `None` for a
/// token, `role` `None` for an API key).
#[pyfunction]
#[pyo3(name = "_http_claims_body")]
pub(crate) fn claims_body<'py>(
    py: Python<'py>,
    claims: &Bound<'py, PyClaims>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::claims_body(&claims.get().0))
}

/// One member as `GET /admin/members` lists it (and `PATCH /admin/members/{member_id}`
/// and `POST /auth/accept-invitation` answer it): `{"id", "email", "role", "first_admin",
/// "created_at"}`, the time in RFC 3339, UTC, to the millisecond.
#[pyfunction]
#[pyo3(name = "_http_member_body")]
pub(crate) fn member_body<'py>(
    py: Python<'py>,
    member: &Bound<'py, PyMember>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::member_body(&member.get().0))
}

/// What `GET /admin/members` answers: `{"members": [...]}`, each as [`member_body`], in
/// the order given (`members`: the first admin first).
#[pyfunction]
#[pyo3(name = "_http_members_body")]
pub(crate) fn members_body<'py>(
    py: Python<'py>,
    members: Vec<Bound<'py, PyMember>>,
) -> PyResult<Bound<'py, PyAny>> {
    let members: Vec<tenantry::Member> = members.iter().map(|m| m.get().0.clone()).collect();
    to_python(py, &tenantry::http::members_body(&members))
}

/// The fields of a `PATCH /admin/members/{member_id}` body, and `body`.
const MEMBER_ROLE_FIELDS: [&str; 2] = ["role", "body"];

/// The role a `PATCH /admin/members/{member_id}` body gives (`{"role": ...}`), read by the
/// core's `http::member_role`: `owner`, `admin` or `member`. A body that does not read
/// raises `InvalidInput` as [`new_api_key`] does.
#[pyfunction]
#[pyo3(name = "_http_member_role")]
pub(crate) fn member_role(py: Python<'_>, body: &[u8]) -> PyResult<&'static str> {
    tenantry::http::member_role(body)
        .map(tenantry::Role::as_str)
        .map_err(|problems| refused(py, &problems, &MEMBER_ROLE_FIELDS))
}

/// The fields of a `POST /admin/invitations` body, and `body`.
const NEW_INVITATION_FIELDS: [&str; 4] = ["email", "role", "expires_at", "body"];

/// The keyword arguments of `invite_member` that a `POST /admin/invitations` body gives,
/// read by the core's `http::new_invitation`: `email`, `role` (one of the three) and
/// `expires_at` (an aware UTC `datetime`, or `None`). A body that does not read raises
/// `InvalidInput` as [`new_api_key`] does; what the core judges later (the email, an
/// expiry in the past or too far) is `invite_member`'s `InvalidInput`.
#[pyfunction]
#[pyo3(name = "_http_new_invitation")]
pub(crate) fn new_invitation<'py>(py: Python<'py>, body: &[u8]) -> PyResult<Bound<'py, PyDict>> {
    if let Err(problems) = tenantry::http::new_invitation(body) {
        return Err(refused(py, &problems, &NEW_INVITATION_FIELDS));
    }
    // The core read the body whole and found nothing wrong: a JSON object with a string
    // `email`, a role's name `role`, and `expires_at` absent, null or RFC 3339 (the core's
    // `NewInvitation` keeps its fields to itself, so they are read again here, alike).
    let internal = |what: &str| {
        let err = tenantry::Error::Internal(format!("a body the core read has no {what}"));
        to_py_err(py, err)
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|_| internal("object"))?;
    let text = |field: &str| {
        object
            .get(field)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| internal(field))
    };
    let role: tenantry::Role = text("role")?.parse().map_err(|_| internal("role"))?;
    let expires_at = match object.get("expires_at").and_then(serde_json::Value::as_str) {
        Some(at) => Some(
            chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| internal("expires_at"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let kwargs = PyDict::new(py);
    kwargs.set_item("email", text("email")?)?;
    kwargs.set_item("role", role.as_str())?;
    kwargs.set_item("expires_at", expires_at)?;
    Ok(kwargs)
}

/// One pending invitation as `GET /admin/invitations` lists it: `{"id", "prefix",
/// "email", "role", "invited_by", "created_at", "expires_at"}`, never its token; times in
/// RFC 3339, UTC, to the millisecond.
#[pyfunction]
#[pyo3(name = "_http_invitation_body")]
pub(crate) fn invitation_body<'py>(
    py: Python<'py>,
    invitation: &Bound<'py, PyInvitationInfo>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(py, &tenantry::http::invitation_body(&invitation.get().0))
}

/// What `POST /admin/invitations` answers: [`invitation_body`] of the invitation's info,
/// and `"token"`, this once.
#[pyfunction]
#[pyo3(name = "_http_created_invitation_body")]
pub(crate) fn created_invitation_body<'py>(
    py: Python<'py>,
    invitation: &Bound<'py, PyInvitation>,
) -> PyResult<Bound<'py, PyAny>> {
    to_python(
        py,
        &tenantry::http::created_invitation_body(&invitation.get().0),
    )
}

/// What `GET /admin/invitations` answers: `{"invitations": [...]}`, each as
/// [`invitation_body`], in the order given (`invitations`: oldest first).
#[pyfunction]
#[pyo3(name = "_http_invitations_body")]
pub(crate) fn invitations_body<'py>(
    py: Python<'py>,
    invitations: Vec<Bound<'py, PyInvitationInfo>>,
) -> PyResult<Bound<'py, PyAny>> {
    let invitations: Vec<tenantry::InvitationInfo> =
        invitations.iter().map(|i| i.get().0.clone()).collect();
    to_python(py, &tenantry::http::invitations_body(&invitations))
}

/// The fields of a `POST /auth/accept-invitation` body, and `body`.
const ACCEPTED_INVITATION_FIELDS: [&str; 3] = ["token", "password", "body"];

/// The token and the password a `POST /auth/accept-invitation` body gives (`{"token",
/// "password"}`), read by the core's `http::accepted_invitation`. A body that does not
/// read raises `InvalidInput` as [`new_api_key`] does.
#[pyfunction]
#[pyo3(name = "_http_accepted_invitation")]
pub(crate) fn accepted_invitation(py: Python<'_>, body: &[u8]) -> PyResult<(String, String)> {
    tenantry::http::accepted_invitation(body)
        .map_err(|problems| refused(py, &problems, &ACCEPTED_INVITATION_FIELDS))
}
