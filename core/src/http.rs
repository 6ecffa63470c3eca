//! How errors become HTTP responses under the organization-management contract: one
//! table (`http-errors.json`, in this crate), read here, and used by every server of the
//! contract (the Rust example directly, the FastAPI and Express glue through the bindings).
//!
//! The table maps each error code (and the few request errors a server finds itself:
//! `NOT_AUTHENTICATED`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE`) to a status,
//! a `detail`, and the headers the contract asks for; input names are the contract's
//! (`organization_name` for the library's `name`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mongodb::bson::{self, Bson};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::Error;

/// The table, as shipped.
pub const ERROR_TABLE: &str = include_str!("../http-errors.json");

#[derive(Deserialize)]
struct Table {
    fields: BTreeMap<String, String>,
    errors: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
struct Entry {
    status: u16,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    detail_by_field: BTreeMap<String, String>,
    #[serde(default)]
    with_field: bool,
    #[serde(default)]
    validation: Option<String>,
    #[serde(default)]
    challenge: bool,
    #[serde(default)]
    retry_after: bool,
    /// The code the body shows, when it is not the entry's own.
    #[serde(default)]
    code: Option<String>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(ERROR_TABLE).expect("http-errors.json is valid"))
}

/// An HTTP response: status, headers, JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers beside `content-type: application/json`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
}

/// The contract's name of a library input (`name` is `organization_name`).
pub fn contract_field(field: &str) -> &str {
    table().fields.get(field).map_or(field, String::as_str)
}

/// The response of an error.
pub fn error_response(err: &Error) -> Response {
    let retry = err.retry_after().map(|d| d.as_secs());
    response(err.code(), err.field(), Some(&err.reason()), retry).unwrap_or_else(|| {
        response("INTERNAL", None, None, None).expect("INTERNAL is in the table")
    })
}

/// The response of an error given by its parts (a binding's exception, a server's own
/// request error), or `None` for a kind the table does not know. `reason` is the message
/// of a validation error.
pub fn response(
    kind: &str,
    field: Option<&str>,
    reason: Option<&str>,
    retry_after_secs: Option<u64>,
) -> Option<Response> {
    let entry = table().errors.get(kind)?;
    let code = entry.code.as_deref().unwrap_or(kind);
    let body = match &entry.validation {
        Some(kind) => validation_body(
            contract_field(field.unwrap_or("body")),
            reason.unwrap_or("is invalid"),
            kind,
        ),
        None => {
            let detail = field
                .and_then(|f| entry.detail_by_field.get(f))
                .or(entry.detail.as_ref())
                .cloned()
                .or_else(|| reason.map(str::to_owned))
                .unwrap_or_default();
            let mut body = json!({ "detail": detail, "code": code });
            if let (true, Some(f)) = (entry.with_field, field) {
                body["field"] = contract_field(f).into();
            }
            body
        }
    };
    let mut headers = Vec::new();
    if entry.challenge {
        headers.push(("www-authenticate".to_owned(), "Bearer".to_owned()));
    }
    if let (true, Some(secs)) = (entry.retry_after, retry_after_secs) {
        headers.push(("retry-after".to_owned(), secs.to_string()));
    }
    Some(Response {
        status: entry.status,
        headers,
        body,
    })
}

/// The response to a request that does not match its schema (a missing field, a wrong
/// type, malformed JSON), from its problems as (field, message, kind) with `kind` one of
/// `missing`, `type_error`, `json_invalid` or `value_error`; the first one leads. Fields
/// are shown as given: the request's names (a [`Problem`]'s), not the library's (an
/// error's field is turned into the contract's name by [`error_response`] and
/// [`response`]), so that a request field called `name` (an API key's) stays `name`.
pub fn validation_response(problems: &[(&str, &str, &str)]) -> Response {
    let errors: Vec<Value> = problems
        .iter()
        .map(|(field, message, kind)| json!({ "field": field, "message": message, "type": kind }))
        .collect();
    let (field, message, _) = problems
        .first()
        .copied()
        .unwrap_or(("body", "is invalid", ""));
    Response {
        status: 400,
        headers: Vec::new(),
        body: json!({
            "detail": "Validation error",
            "code": "INVALID_INPUT",
            "message": format!("{field}: {message}"),
            "errors": errors,
        }),
    }
}

fn validation_body(field: &str, message: &str, kind: &str) -> Value {
    validation_response(&[(field, message, kind)]).body
}

/// The 405 response, with `Allow` listing `allowed` in one order on every server (`HEAD`
/// added where `GET` is allowed).
pub fn method_not_allowed(allowed: &[&str]) -> Response {
    const ORDER: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let upper: Vec<String> = allowed.iter().map(|m| m.to_ascii_uppercase()).collect();
    let has = |m: &str| upper.iter().any(|u| u == m) || (m == "HEAD" && has_get(&upper));
    let mut methods: Vec<&str> = ORDER.iter().copied().filter(|m| has(m)).collect();
    methods.extend(
        upper
            .iter()
            .map(String::as_str)
            .filter(|m| !ORDER.contains(m)),
    );
    let mut r = response("METHOD_NOT_ALLOWED", None, None, None).expect("in the table");
    r.headers.push(("allow".to_owned(), methods.join(", ")));
    r
}

fn has_get(methods: &[String]) -> bool {
    methods.iter().any(|m| m == "GET")
}

/// One way a request does not match its schema: the field (or `body`), what is wrong, and
/// its kind (`missing`, `type_error`, `json_invalid`, `value_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Problem {
    /// The field, as the request names it, or `body`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// `missing`, `type_error`, `json_invalid` or `value_error`.
    pub kind: &'static str,
}

impl Problem {
    /// A problem of `field`.
    pub fn new(field: &str, message: impl Into<String>, kind: &'static str) -> Self {
        Problem {
            field: field.to_owned(),
            message: message.into(),
            kind,
        }
    }
}

/// A JSON body checked against a schema of string fields, `(name, optional)` in order: the
/// object, or every problem, one per field in schema order (a missing required field, a
/// value that is not a string, `null` only where optional). A body that is not JSON (or not
/// UTF-8, or nested too deeply) is one `json_invalid` problem, one that is not an object
/// one `type_error`; unknown fields are ignored. Every server reads bodies through this,
/// so they refuse the same requests alike.
pub fn json_object(
    body: &[u8],
    fields: &[(&str, bool)],
) -> Result<serde_json::Map<String, Value>, Vec<Problem>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        let message = "EOF while parsing a value";
        return Err(vec![Problem::new("body", message, "json_invalid")]);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        let message = e.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(&*message, |at| &message[..at]);
        vec![Problem::new("body", message, "json_invalid")]
    })?;
    let Value::Object(object) = value else {
        let message = format!("invalid type: {}, expected an object", describe(&value));
        return Err(vec![Problem::new("body", message, "type_error")]);
    };
    let problems: Vec<Problem> = fields
        .iter()
        .filter_map(|&(name, optional)| match object.get(name) {
            None if optional => None,
            None => Some(Problem::new(name, "field required", "missing")),
            Some(Value::String(_)) => None,
            Some(Value::Null) if optional => None,
            Some(other) => {
                let message = format!("invalid type: {}, expected a string", describe(other));
                Some(Problem::new(name, message, "type_error"))
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(object)
    } else {
        Err(problems)
    }
}

/// A JSON value in the words of serde's type errors.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    }
}

/// The query parameter `name` of a query string (`a=1&b=2`, without `?`), required and
/// given exactly once: otherwise a `missing` or `value_error` problem.
pub fn query_param(query: &str, name: &str) -> Result<String, Problem> {
    let mut given = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned());
    match (given.next(), given.next()) {
        (Some(value), None) => Ok(value),
        (None, _) => Err(Problem::new(name, "field required", "missing")),
        (Some(_), Some(_)) => Err(Problem::new(name, "must be given once", "value_error")),
    }
}

/// Read the parameters `names` of a query string in order: each given once goes to
/// `apply(name, value)`; one given twice, refused by `apply` (with its message) or, among
/// `required`, missing, is a problem. Every problem, in `names` order.
fn read_params(
    query: &str,
    names: &[&str],
    required: &[&str],
    mut apply: impl FnMut(&str, String) -> Result<(), String>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for &name in names {
        match query_param(query, name) {
            Ok(value) => {
                if let Err(message) = apply(name, value) {
                    problems.push(Problem::new(name, message, "value_error"));
                }
            }
            Err(p) if p.kind == "missing" && !required.contains(&name) => {}
            Err(p) => problems.push(p),
        }
    }
    problems
}

/// `value` when there is no problem, the problems otherwise.
fn checked<T>(value: T, problems: Vec<Problem>) -> Result<T, Vec<Problem>> {
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(problems)
    }
}

/// The parameters of `GET /admin/tenants` and `GET /admin/tenants/count`, each optional
/// and given at most once.
pub const TENANT_QUERY_PARAMS: [&str; 8] = [
    "state",
    "layout",
    "cluster",
    "name_prefix",
    "created_after",
    "created_before",
    "limit",
    "after",
];

/// The listing query of a query string (`state=deleted&limit=50`, without `?`): every
/// problem, one per parameter in [`TENANT_QUERY_PARAMS`] order (given twice, or a value
/// that does not parse: a state, a layout, an RFC 3339 time, a whole number). Other
/// parameters are ignored; what the query itself checks (page size, cursor) is checked
/// when it runs.
pub fn tenant_query(query: &str) -> Result<crate::TenantQuery, Vec<Problem>> {
    let mut q = crate::TenantQuery::new();
    let problems = read_params(query, &TENANT_QUERY_PARAMS, &[], |name, value| {
        match name {
            "state" => q.state = Some(value.parse().map_err(|e: Error| e.reason())?),
            "layout" => q.layout = Some(value.parse().map_err(|e: Error| e.reason())?),
            "cluster" => q.cluster = Some(value),
            "name_prefix" => q.name_prefix = Some(value),
            "created_after" => q.created_after = Some(rfc3339(&value)?),
            "created_before" => q.created_before = Some(rfc3339(&value)?),
            "limit" => q.limit = Some(whole(&value)?),
            _ => q.after = Some(value),
        }
        Ok(())
    });
    checked(q, problems)
}

/// A tenant as the operator endpoints show it (`GET /admin/tenants`, `POST
/// /admin/restore`): times in RFC 3339, UTC, to the millisecond.
pub fn tenant_body(t: &crate::Tenant) -> Value {
    let time =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    json!({
        "organization_id": t.id.to_hex(),
        "organization_name": t.name,
        "admin_email": t.admin_email,
        "collection_name": t.collection_name,
        "database": t.database,
        "layout": t.layout.as_str(),
        "cluster": t.cluster,
        "state": t.state.as_str(),
        "created_at": time(&t.created_at),
        "updated_at": time(&t.updated_at),
        "deleted_at": t.deleted_at.as_ref().map(time),
        "purge_after": t.purge_after.as_ref().map(time),
        "suspended_at": t.suspended_at.as_ref().map(time),
        "suspended_reason": t.suspended_reason,
    })
}

/// A page of tenants as `GET /admin/tenants` answers it: `{"tenants": [...], "next": ...}`.
pub fn page_body(page: &crate::TenantPage) -> Value {
    json!({
        "tenants": page.tenants.iter().map(tenant_body).collect::<Vec<_>>(),
        "next": page.next,
    })
}

/// The parameters of `GET /admin/audit` (`organization_id` required, the others
/// optional, each at most once).
pub const AUDIT_QUERY_PARAMS: [&str; 6] =
    ["organization_id", "op", "since", "until", "limit", "after"];

fn rfc3339(v: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(v.trim())
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| "must be an RFC 3339 time, such as 2026-01-31T12:00:00Z".to_owned())
}

fn whole<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim()
        .parse()
        .map_err(|_| "must be a whole number".to_owned())
}

fn object_id(v: &str) -> Result<bson::oid::ObjectId, String> {
    bson::oid::ObjectId::parse_str(v.trim())
        .map_err(|_| "must be an organization id (24 hexadecimal digits)".to_owned())
}

/// The organization id of `GET /admin/audit/verify` (and of the audit query).
pub fn audit_tenant(query: &str) -> Result<bson::oid::ObjectId, Vec<Problem>> {
    let value = query_param(query, "organization_id").map_err(|p| vec![p])?;
    object_id(&value).map_err(|m| vec![Problem::new("organization_id", m, "value_error")])
}

/// The tenant and the query of `GET /admin/audit`: every problem, one per parameter in
/// [`AUDIT_QUERY_PARAMS`] order.
pub fn audit_query(query: &str) -> Result<(bson::oid::ObjectId, crate::AuditQuery), Vec<Problem>> {
    let mut q = crate::AuditQuery::new();
    let mut tenant = None;
    let problems = read_params(
        query,
        &AUDIT_QUERY_PARAMS,
        &["organization_id"],
        |name, value| {
            match name {
                "organization_id" => tenant = Some(object_id(&value)?),
                "op" => q.op = Some(value),
                "since" => q.since = Some(rfc3339(&value)?),
                "until" => q.until = Some(rfc3339(&value)?),
                "limit" => q.limit = Some(whole(&value)?),
                _ => q.after = Some(whole(&value)?),
            }
            Ok(())
        },
    );
    match tenant {
        Some(tenant) => checked((tenant, q), problems),
        None => Err(problems),
    }
}

/// A page of audit entries as `GET /admin/audit` answers it.
pub fn audit_page_body(page: &crate::AuditPage) -> Value {
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "actor": e.actor,
                "op": e.op,
                "outcome": e.outcome,
                "detail": Bson::Document(e.detail.clone()).into_relaxed_extjson(),
                "prev": e.prev,
                "hash": e.hash,
            })
        })
        .collect();
    json!({ "entries": entries, "next": page.next })
}

/// What `GET /admin/audit/verify` answers.
pub fn verification_body(v: &crate::AuditVerification) -> Value {
    let broken = v
        .broken
        .as_ref()
        .map(|(seq, reason)| json!({ "seq": seq, "reason": reason }));
    json!({ "entries": v.entries, "intact": v.is_intact(), "broken": broken })
}

/// The parameters of `POST /admin/import` (each optional, at most once): the name and
/// admin email to import under, the layout and cluster.
pub const IMPORT_PARAMS: [&str; 4] = ["organization_name", "email", "layout", "cluster"];

/// The options of `POST /admin/import`, from its query string.
pub fn import_options(query: &str) -> Result<crate::ImportOptions, Vec<Problem>> {
    let mut o = crate::ImportOptions::new();
    let problems = read_params(query, &IMPORT_PARAMS, &[], |name, value| {
        match name {
            "organization_name" => o.name = Some(value),
            "email" => o.admin_email = Some(value),
            "layout" => o.layout = Some(value.parse().map_err(|e: Error| e.reason())?),
            _ => o.cluster = Some(value),
        }
        Ok(())
    });
    checked(o, problems)
}

/// The parameters of `POST /admin/migrate` (each optional, at most once): `dry_run` and
/// `stop_on_failure` (`true` or `false`), `parallelism` (a whole number).
pub const MIGRATE_PARAMS: [&str; 3] = ["dry_run", "parallelism", "stop_on_failure"];

/// The options of `POST /admin/migrate`, from its query string: every problem, one per
/// parameter in [`MIGRATE_PARAMS`] order. The range of `parallelism` is checked when the
/// run starts (`INVALID_INPUT`).
pub fn migrate_options(query: &str) -> Result<crate::MigrateOptions, Vec<Problem>> {
    let mut o = crate::MigrateOptions::new();
    let problems = read_params(query, &MIGRATE_PARAMS, &[], |name, value| {
        let flag = || match value.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("must be true or false".to_owned()),
        };
        match name {
            "dry_run" => o.dry_run = flag()?,
            "stop_on_failure" => o.stop_on_failure = flag()?,
            _ => o.parallelism = Some(whole(&value)?),
        }
        Ok(())
    });
    checked(o, problems)
}

/// The body of a migration report: counts, and each failed tenant with its migration and
/// error.
pub fn migrate_report_body(r: &crate::MigrateReport) -> Value {
    let failed: Vec<Value> = r
        .failed
        .iter()
        .map(|f| {
            json!({
                "organization_id": f.tenant_id.to_hex(),
                "organization_name": f.name,
                "migration": f.migration,
                "code": f.code,
                "message": f.message,
            })
        })
        .collect();
    json!({
        "tenants": r.tenants,
        "applied": r.applied,
        "up_to_date": r.up_to_date,
        "not_started": r.not_started,
        "failed": failed,
    })
}

fn millis(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A session's tokens as `POST /auth/login` and `POST /auth/refresh` answer them: the
/// access token's fields as `POST /admin/login` gives them, `expires_in` (seconds), and the
/// refresh token with its session's id and absolute end.
pub fn session_body(s: &crate::Session) -> Value {
    let expires_in = (s.access.expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    json!({
        "access_token": s.access.access_token,
        "token_type": s.access.token_type,
        "expires_in": expires_in,
        "refresh_token": s.refresh_token,
        "session_id": s.session_id.to_hex(),
        "session_expires_at": millis(&s.expires_at),
        "admin_id": s.access.admin_id.to_hex(),
        "organization_id": s.access.tenant_id.to_hex(),
        "organization_name": s.access.tenant_name,
    })
}

/// `GET /auth/sessions`: `{"sessions": [...]}`, newest first.
pub fn sessions_body(sessions: &[crate::SessionInfo]) -> Value {
    let one = |s: &crate::SessionInfo| {
        json!({
            "session_id": s.id.to_hex(),
            "created_at": millis(&s.created_at),
            "refreshed_at": millis(&s.refreshed_at),
            "expires_at": millis(&s.expires_at),
            "client": s.client,
        })
    };
    json!({ "sessions": sessions.iter().map(one).collect::<Vec<_>>() })
}

/// A session id given as text (`POST /auth/logout`'s `session_id`): a `VALIDATION` error
/// on `session_id` when it is not one.
pub fn session_id(value: &str) -> crate::Result<bson::oid::ObjectId> {
    bson::oid::ObjectId::parse_str(value)
        .map_err(|_| Error::invalid("session_id", "is not a session id"))
}

/// One signing key of `GET /admin/keys` and `POST /admin/keys/rotate`; times in RFC 3339
/// with milliseconds, as the sessions have them; `retires_at` and `verifies_until` are `null` until a next key exists.
pub fn signing_key_body(k: &crate::SigningKeyInfo) -> Value {
    json!({
        "kid": k.kid,
        "alg": k.algorithm,
        "created_at": millis(&k.created_at),
        "activates_at": millis(&k.activates_at),
        "retires_at": k.retires_at.as_ref().map(millis),
        "verifies_until": k.verifies_until.as_ref().map(millis),
    })
}

/// `GET /admin/keys`: `{"keys": [...]}`, oldest first.
pub fn signing_keys_body(keys: &[crate::SigningKeyInfo]) -> Value {
    json!({ "keys": keys.iter().map(signing_key_body).collect::<Vec<_>>() })
}

/// `POST /admin/api-keys`'s body: `name` (string), `scopes` (array of strings) and an
/// optional `expires_at` (RFC 3339), or every problem with it, as [`json_object`] reports
/// them. What the core then refuses (an empty name, a bad scope, a past expiry) is its
/// `INVALID_INPUT`, on `name` (the library's `api_key_name`), `scopes` or `expires_at`.
pub fn new_api_key(body: &[u8]) -> Result<crate::NewApiKey, Vec<Problem>> {
    let object = json_object(body, &[("name", false), ("expires_at", true)]);
    let (object, mut problems) = match object {
        Ok(object) => (object, Vec::new()),
        Err(problems) if problems.iter().any(|p| p.field == "body") => return Err(problems),
        Err(problems) => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => (object, problems),
            _ => return Err(problems),
        },
    };
    let scopes = match object.get("scopes") {
        None => {
            problems.push(Problem::new("scopes", "field required", "missing"));
            Vec::new()
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            let message = format!(
                "invalid type: {}, expected a sequence of strings",
                describe(other)
            );
            problems.push(Problem::new("scopes", message, "type_error"));
            Vec::new()
        }
    };
    let expires_at = expires_at(&object, &mut problems);
    // Problems sorted as the fields are declared: name, scopes, expires_at.
    let rank = |p: &Problem| {
        ["name", "scopes", "expires_at"]
            .iter()
            .position(|f| *f == p.field)
    };
    problems.sort_by_key(rank);
    if !problems.is_empty() {
        return Err(problems);
    }
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key = crate::NewApiKey::new(name, scopes);
    Ok(match expires_at {
        Some(at) => key.expires_at(at),
        None => key,
    })
}

/// A body's optional `expires_at` (RFC 3339), or a `value_error` problem.
fn expires_at(
    object: &serde_json::Map<String, Value>,
    problems: &mut Vec<Problem>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let at = object.get("expires_at").and_then(Value::as_str)?;
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(at) => Some(at.with_timezone(&chrono::Utc)),
        Err(_) => {
            let message = "is not an RFC 3339 date-time";
            problems.push(Problem::new("expires_at", message, "value_error"));
            None
        }
    }
}

/// One API key as `GET /admin/api-keys` lists it (never its secret).
pub fn api_key_body(k: &crate::ApiKeyInfo) -> Value {
    json!({
        "id": k.id.to_hex(),
        "prefix": k.prefix,
        "name": k.name,
        "scopes": k.scopes,
        "created_by": k.created_by.to_hex(),
        "created_at": millis(&k.created_at),
        "expires_at": k.expires_at.as_ref().map(millis),
        "last_used_at": k.last_used_at.as_ref().map(millis),
    })
}

/// `POST /admin/api-keys`'s answer: the key, this once, beside what will be listed of it.
pub fn created_api_key_body(k: &crate::ApiKey) -> Value {
    let mut body = api_key_body(&k.info);
    body["key"] = Value::String(k.key.clone());
    body
}

/// `GET /admin/api-keys`: `{"api_keys": [...]}`, oldest first.
pub fn api_keys_body(keys: &[crate::ApiKeyInfo]) -> Value {
    json!({ "api_keys": keys.iter().map(api_key_body).collect::<Vec<_>>() })
}

/// An API key id given in a path (`DELETE /admin/api-keys/{key_id}`): `INVALID_INPUT` on
/// `key_id` when it is not one.
pub fn api_key_id(value: &str) -> crate::Result<bson::oid::ObjectId> {
    bson::oid::ObjectId::parse_str(value).map_err(|_| Error::invalid("key_id", "is not a key id"))
}

/// `GET /auth/whoami`: who a credential (token or API key) speaks for.
pub fn claims_body(c: &crate::Claims) -> Value {
    json!({
        "admin_id": c.admin_id().to_hex(),
        "organization_id": c.tenant_id().to_hex(),
        "organization_name": c.tenant_name(),
        "api_key_id": c.api_key_id().map(|id| id.to_hex()),
        "scopes": c.scopes(),
        "role": c.role().map(crate::Role::as_str),
        "expires_at": millis(&c.expires_at()),
    })
}

/// One member as `GET /admin/members` lists it.
pub fn member_body(m: &crate::Member) -> Value {
    json!({
        "id": m.id.to_hex(),
        "email": m.email,
        "role": m.role.as_str(),
        "first_admin": m.first_admin,
        "created_at": millis(&m.created_at),
    })
}

/// `GET /admin/members`: `{"members": [...]}`, the first admin first.
pub fn members_body(members: &[crate::Member]) -> Value {
    json!({ "members": members.iter().map(member_body).collect::<Vec<_>>() })
}

/// A role given as text: `INVALID_INPUT` on `role` when it is not one.
fn role_problem(object: &serde_json::Map<String, Value>) -> Result<crate::Role, Problem> {
    let role = object
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or_default();
    role.parse::<crate::Role>()
        .map_err(|_| Problem::new("role", "must be owner, admin or member", "value_error"))
}

/// `PATCH /admin/members/{member_id}`'s body: `{"role": "owner" | "admin" | "member"}`.
pub fn member_role(body: &[u8]) -> Result<crate::Role, Vec<Problem>> {
    let object = json_object(body, &[("role", false)])?;
    role_problem(&object).map_err(|p| vec![p])
}

/// `POST /admin/invitations`'s body: `email`, `role` and an optional `expires_at` (RFC
/// 3339), or every problem with them. The email is checked by the core (`INVALID_INPUT`
/// on `email`).
pub fn new_invitation(body: &[u8]) -> Result<crate::NewInvitation, Vec<Problem>> {
    let object = json_object(
        body,
        &[("email", false), ("role", false), ("expires_at", true)],
    )?;
    let mut problems = Vec::new();
    let role = role_problem(&object).map_err(|p| problems.push(p)).ok();
    let expires_at = expires_at(&object, &mut problems);
    let (Some(role), true) = (role, problems.is_empty()) else {
        return Err(problems);
    };
    let email = object
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let invitation = crate::NewInvitation::new(email, role);
    Ok(match expires_at {
        Some(at) => invitation.expires_at(at),
        None => invitation,
    })
}

/// One pending invitation as `GET /admin/invitations` lists it (never its token).
pub fn invitation_body(i: &crate::InvitationInfo) -> Value {
    json!({
        "id": i.id.to_hex(),
        "prefix": i.prefix,
        "email": i.email,
        "role": i.role.as_str(),
        "invited_by": i.invited_by.to_hex(),
        "created_at": millis(&i.created_at),
        "expires_at": millis(&i.expires_at),
    })
}

/// `POST /admin/invitations`'s answer: the token, this once, beside what will be listed.
pub fn created_invitation_body(i: &crate::Invitation) -> Value {
    let mut body = invitation_body(&i.info);
    body["token"] = Value::String(i.token.clone());
    body
}

/// `GET /admin/invitations`: `{"invitations": [...]}`, oldest first.
pub fn invitations_body(invitations: &[crate::InvitationInfo]) -> Value {
    json!({ "invitations": invitations.iter().map(invitation_body).collect::<Vec<_>>() })
}

/// `POST /auth/accept-invitation`'s body: `token` and `password`.
pub fn accepted_invitation(body: &[u8]) -> Result<(String, String), Vec<Problem>> {
    let object = json_object(body, &[("token", false), ("password", false)])?;
    let text = |f: &str| {
        object
            .get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok((text("token"), text("password")))
}

/// A member id given in a path (`/admin/members/{member_id}`): `INVALID_INPUT` on
/// `member_id` when it is not one.
pub fn member_id(value: &str) -> crate::Result<bson::oid::ObjectId> {
    bson::oid::ObjectId::parse_str(value)
        .map_err(|_| Error::invalid("member_id", "is not a member id"))
}

/// An invitation id given in a path (`DELETE /admin/invitations/{invitation_id}`):
/// `INVALID_INPUT` on `invitation_id` when it is not one.
pub fn invitation_id(value: &str) -> crate::Result<bson::oid::ObjectId> {
    bson::oid::ObjectId::parse_str(value)
        .map_err(|_| Error::invalid("invitation_id", "is not an invitation id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_and_import_queries_parse_or_say_what_is_wrong() {
        let id = bson::oid::ObjectId::new();
        let (tenant, q) =
            audit_query(&format!("organization_id={id}&op=login&limit=3&after=7")).unwrap();
        assert_eq!(
            (tenant, q.op.as_deref(), q.limit, q.after),
            (id, Some("login"), Some(3), Some(7))
        );
        let problems = audit_query("limit=x&since=then").unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["organization_id", "since", "limit"]);
        assert_eq!(
            audit_tenant("organization_id=xyz").unwrap_err()[0].field,
            "organization_id"
        );
        let o = migrate_options("dry_run=true&parallelism=8").unwrap();
        assert_eq!(
            (o.dry_run, o.parallelism, o.stop_on_failure),
            (true, Some(8), false)
        );
        let problems = migrate_options("stop_on_failure=yes&parallelism=-1&dry_run=1").unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["dry_run", "parallelism", "stop_on_failure"]);
        let o = import_options("organization_name=Copy&layout=shared").unwrap();
        assert_eq!(
            (o.name.as_deref(), o.layout),
            (Some("Copy"), Some(crate::Layout::Shared))
        );
        assert_eq!(
            import_options("layout=flat").unwrap_err()[0].field,
            "layout"
        );
    }

    #[test]
    fn listing_queries_parse_each_parameter_or_say_what_is_wrong() {
        let q = tenant_query(
            "state=deleted&layout=shared&cluster=two&name_prefix=Ac%20me&limit=5&after=abc\
             &created_after=2026-01-01T00:00:00Z&created_before=2026-02-01T00:00:00%2B01:00&x=1",
        )
        .unwrap();
        assert_eq!(q.state, Some(crate::TenantState::Deleted));
        assert_eq!(q.layout, Some(crate::Layout::Shared));
        assert_eq!(q.cluster.as_deref(), Some("two"));
        assert_eq!(q.name_prefix.as_deref(), Some("Ac me"));
        assert_eq!((q.limit, q.after.as_deref()), (Some(5), Some("abc")));
        assert_eq!(
            q.created_before.unwrap().to_rfc3339(),
            "2026-01-31T23:00:00+00:00"
        );
        assert_eq!(tenant_query("").unwrap(), crate::TenantQuery::new());
        let problems =
            tenant_query("limit=x&state=gone&state=active&created_after=yesterday&layout=flat")
                .unwrap_err();
        let fields: Vec<_> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.kind))
            .collect();
        assert_eq!(
            fields,
            [
                ("state", "value_error"),
                ("layout", "value_error"),
                ("created_after", "value_error"),
                ("limit", "value_error")
            ]
        );
    }

    #[test]
    fn every_error_code_has_an_entry() {
        for code in Error::CODES {
            let sample = Error::sample(code).unwrap();
            let r = error_response(&sample);
            assert!(table().errors.contains_key(*code), "{code}");
            assert_eq!(r.body["code"], *code, "{code}");
        }
    }

    #[test]
    fn bodies_are_checked_field_by_field_in_schema_order() {
        let fields = [("a", false), ("b", false), ("c", true)];
        let kinds = |body: &str| match json_object(body.as_bytes(), &fields) {
            Ok(_) => vec![],
            Err(problems) => problems
                .into_iter()
                .map(|p| (p.field, p.kind))
                .collect::<Vec<_>>(),
        };
        assert!(kinds(r#"{"a": "x", "b": "y", "z": 1}"#).is_empty());
        assert!(kinds(r#"{"a": "x", "b": "y", "c": null}"#).is_empty());
        assert_eq!(
            kinds(r#"{"b": 1, "c": 2}"#),
            [
                ("a".into(), "missing"),
                ("b".into(), "type_error"),
                ("c".into(), "type_error")
            ]
        );
        assert_eq!(
            kinds(r#"{"a": null, "b": "y"}"#),
            [("a".into(), "type_error")]
        );
        for bad in ["", "  ", "{", "nul", "{} x"] {
            assert_eq!(kinds(bad), [("body".into(), "json_invalid")], "{bad:?}");
        }
        let not_utf8 = json_object(b"{\"a\": \"\xff\"}", &fields).unwrap_err();
        assert_eq!(not_utf8[0].kind, "json_invalid");
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(kinds(&deep), [("body".into(), "json_invalid")]);
        for not_object in ["[]", "1", "null", "\"s\""] {
            assert_eq!(kinds(not_object), [("body".into(), "type_error")]);
        }
    }

    #[test]
    fn query_params_are_required_once() {
        assert_eq!(query_param("a=1&b=x%20y", "b").unwrap(), "x y");
        assert_eq!(query_param("a=1", "b").unwrap_err().kind, "missing");
        assert_eq!(query_param("b=1&b=1", "b").unwrap_err().kind, "value_error");
        assert_eq!(query_param("b[$ne]=1", "b").unwrap_err().kind, "missing");
        assert_eq!(query_param("b=", "b").unwrap(), "");
    }

    #[test]
    fn allow_lists_methods_in_one_order() {
        let allow = |m: &[&str]| method_not_allowed(m).headers[0].1.clone();
        assert_eq!(allow(&["head", "GET"]), "GET, HEAD");
        assert_eq!(allow(&["GET"]), "GET, HEAD");
        assert_eq!(allow(&["DELETE", "POST"]), "POST, DELETE");
        assert_eq!(method_not_allowed(&["PUT"]).status, 405);
    }

    #[test]
    fn the_contracts_shapes() {
        let r = error_response(&Error::invalid("name", "must not be empty"));
        assert_eq!(r.status, 400);
        assert_eq!(r.body["errors"][0]["field"], "organization_name");
        assert_eq!(r.body["message"], "organization_name: must not be empty");
        let r = error_response(&Error::name_taken("new_name"));
        assert_eq!(
            (r.status, r.body["field"].as_str()),
            (400, Some("new_organization_name"))
        );
        assert_eq!(r.body["detail"], "Organization name already taken");
        let r = error_response(&Error::TooManyAttempts {
            retry_after_secs: 7,
        });
        assert_eq!(r.headers, vec![("retry-after".to_owned(), "7".to_owned())]);
        let r = response("NOT_AUTHENTICATED", None, None, None).unwrap();
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (401, Some("UNAUTHORIZED"))
        );
        assert_eq!(r.headers[0].0, "www-authenticate");
        assert!(response("NO_SUCH_KIND", None, None, None).is_none());
    }

    #[test]
    fn api_key_bodies_are_read_with_every_problem() {
        let ok = new_api_key(br#"{"name":"ci","scopes":["a","b"],"expires_at":null}"#).unwrap();
        assert_eq!(ok, crate::NewApiKey::new("ci", ["a", "b"]));
        let at =
            new_api_key(br#"{"name":"ci","scopes":["a"],"expires_at":"2999-01-01T00:00:00Z"}"#);
        assert!(at.is_ok());
        let fields = |body: &[u8]| -> Vec<(String, &'static str)> {
            new_api_key(body)
                .unwrap_err()
                .into_iter()
                .map(|p| (p.field, p.kind))
                .collect()
        };
        let pair = |f: &str, k: &'static str| (f.to_owned(), k);
        assert_eq!(
            fields(b"{}"),
            [pair("name", "missing"), pair("scopes", "missing")]
        );
        assert_eq!(
            fields(br#"{"name":1,"scopes":"a","expires_at":"soon"}"#),
            [
                pair("name", "type_error"),
                pair("scopes", "type_error"),
                pair("expires_at", "value_error")
            ]
        );
        assert_eq!(
            fields(br#"{"name":"x","scopes":[1]}"#),
            [pair("scopes", "type_error")]
        );
        assert_eq!(fields(b"[]"), [pair("body", "type_error")]);
        assert_eq!(fields(b"{"), [pair("body", "json_invalid")]);
    }

    #[test]
    fn an_api_keys_name_is_name_and_a_tenants_is_organization_name() {
        // A body's problems keep the request's names.
        let r = validation_response(&[("name", "field required", "missing")]);
        assert_eq!(r.body["errors"][0]["field"], "name");
        assert_eq!(r.body["message"], "name: field required");
        // The library's fields get the contract's names, once.
        let key = error_response(&Error::invalid("api_key_name", "must be 1 to 100"));
        assert_eq!(key.body["errors"][0]["field"], "name");
        assert_eq!(key.body["message"], "name: must be 1 to 100");
        let tenant = error_response(&Error::invalid("name", "must not be empty"));
        assert_eq!(tenant.body["errors"][0]["field"], "organization_name");
        let renamed = error_response(&Error::invalid("new_name", "must not be empty"));
        assert_eq!(renamed.body["errors"][0]["field"], "new_organization_name");
    }
}
