//! The core's HTTP error table and request and response bodies ([`tenantry::http`]), for
//! the Express glue. The bodies of results are the core's own, built from the core's types:
//! a result the binding returned is converted back first (a migration report's body, which
//! cannot be, comes with the report: see `schema::MigrateOutcome`; a session's, a
//! listing of sessions', a signing key's, a listing of signing keys', an API key's, a
//! listing of API keys', a member's, a listing of members', an invitation's and a listing
//! of invitations' are made from the core's own, kept beside them: see `sessions.rs`,
//! `signing.rs`, `api_keys.rs` and `members.rs`).

use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crate::api_keys::{CoreApiKey, CoreApiKeyInfo, CoreApiKeys, NewApiKey};
use crate::archive::ImportOptions;
use crate::audit::{AuditPage, AuditQuery, AuditVerification};
use crate::config::snake;
use crate::error::to_js_error;
use crate::members::{
    CoreInvitation, CoreInvitationInfo, CoreInvitations, CoreMember, CoreMembers, NewInvitation,
};
use crate::schema::MigrateOptions;
use crate::sessions::{CoreSession, CoreSessions};
use crate::signing::{CoreSigningKey, CoreSigningKeys};
use crate::types::{Claims, DateValue, Tenant, TenantPage, TenantQuery};

/// An HTTP response of the table: status, headers, JSON body.
#[napi(object)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers beside `content-type` (lower-case names).
    pub headers: std::collections::HashMap<String, String>,
    /// The JSON body.
    pub body: Value,
}

fn convert(r: tenantry::http::Response) -> HttpResponse {
    HttpResponse {
        status: r.status,
        headers: r.headers.into_iter().collect(),
        body: r.body,
    }
}

/// The table's response of an error given by its parts (an error's `code`, `field`,
/// `reason`, `retryAfter`, or a server's own: `NOT_AUTHENTICATED`, `NOT_FOUND`,
/// `METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE`); `null` for a kind the table does not know.
#[napi(js_name = "httpResponse")]
pub fn response(
    kind: String,
    field: Option<String>,
    reason: Option<String>,
    retry_after: Option<f64>,
) -> Option<HttpResponse> {
    let field = field.map(|f| snake(&f));
    let retry = retry_after.map(|s| s.max(0.0) as u64);
    tenantry::http::response(&kind, field.as_deref(), reason.as_deref(), retry).map(convert)
}

/// The table's response to a request that does not match its schema, from its problems as
/// `[field, message, kind]` (`kind`: `missing`, `type_error`, `json_invalid`, `value_error`).
#[napi(js_name = "httpValidationResponse")]
pub fn validation_response(problems: Vec<Vec<String>>) -> HttpResponse {
    let triples: Vec<(&str, &str, &str)> = problems
        .iter()
        .map(|p| {
            let at = |i: usize| p.get(i).map_or("", String::as_str);
            (at(0), at(1), at(2))
        })
        .collect();
    convert(tenantry::http::validation_response(&triples))
}

/// The 405 response, `Allow` listing `allowed` in the order every server uses.
#[napi(js_name = "httpMethodNotAllowed")]
pub fn method_not_allowed(allowed: Vec<String>) -> HttpResponse {
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    convert(tenantry::http::method_not_allowed(&allowed))
}

/// A field of a request body's schema.
#[napi(object)]
pub struct BodyField {
    /// The field's name in the request.
    pub name: String,
    /// Whether it may be left out (or `null`).
    pub optional: Option<bool>,
}

/// One way a request does not match its schema.
#[napi(object)]
pub struct HttpProblem {
    /// The field, or `body`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
    /// `missing`, `type_error`, `json_invalid` or `value_error`.
    pub kind: String,
}

impl From<tenantry::http::Problem> for HttpProblem {
    fn from(p: tenantry::http::Problem) -> Self {
        HttpProblem {
            field: p.field,
            message: p.message,
            kind: p.kind.to_owned(),
        }
    }
}

/// A request body checked against its schema: the object, or every problem.
#[napi(object)]
pub struct CheckedBody {
    /// The body, when it matches (its schema's fields are strings, or `null` if optional).
    pub value: Option<serde_json::Map<String, Value>>,
    /// Every problem, one per field in schema order, when it does not.
    pub problems: Vec<HttpProblem>,
}

/// Check a JSON body of string fields as every server of the contract does
/// ([`tenantry::http::json_object`]).
#[napi(js_name = "httpJsonObject")]
pub fn json_object(body: &[u8], fields: Vec<BodyField>) -> CheckedBody {
    let schema: Vec<(&str, bool)> = fields
        .iter()
        .map(|f| (f.name.as_str(), f.optional.unwrap_or(false)))
        .collect();
    match tenantry::http::json_object(body, &schema) {
        Ok(value) => CheckedBody {
            value: Some(value),
            problems: Vec::new(),
        },
        Err(problems) => CheckedBody {
            value: None,
            problems: problems.into_iter().map(HttpProblem::from).collect(),
        },
    }
}

/// A required query parameter given exactly once ([`tenantry::http::query_param`]): its
/// value, or the problem.
#[napi(object)]
pub struct CheckedParam {
    /// The value, when given once.
    pub value: Option<String>,
    /// The problem, otherwise.
    pub problem: Option<HttpProblem>,
}

/// Read the required query parameter `name` of a query string (without `?`).
#[napi(js_name = "httpQueryParam")]
pub fn query_param(query: String, name: String) -> CheckedParam {
    match tenantry::http::query_param(&query, &name) {
        Ok(value) => CheckedParam {
            value: Some(value),
            problem: None,
        },
        Err(problem) => CheckedParam {
            value: None,
            problem: Some(problem.into()),
        },
    }
}

/// A listing query read from a query string: the query, or every problem.
#[napi(object)]
pub struct CheckedTenantQuery {
    /// The query for `listTenants` and `countTenants`, when every parameter parses.
    pub value: Option<TenantQuery>,
    /// Every problem, one per parameter, otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the parameters of `GET /admin/tenants` (and its count) from a query string (without
/// `?`) as every server of the contract does ([`tenantry::http::tenant_query`]).
#[napi(js_name = "httpTenantQuery")]
pub fn tenant_query(query: String) -> CheckedTenantQuery {
    match tenantry::http::tenant_query(&query) {
        Ok(q) => CheckedTenantQuery {
            value: Some(q.into()),
            problems: Vec::new(),
        },
        Err(problems) => CheckedTenantQuery {
            value: None,
            problems: problems.into_iter().map(HttpProblem::from).collect(),
        },
    }
}

/// A tenant as the operator endpoints show it ([`tenantry::http::tenant_body`]); throws
/// `INVALID_INPUT` for an object that is not a tenant this library returned.
#[napi(js_name = "httpTenantBody")]
pub fn tenant_body(env: &Env, tenant: Tenant) -> napi::Result<Value> {
    let tenant = tenantry::Tenant::try_from(tenant).map_err(|err| to_js_error(env, err))?;
    Ok(tenantry::http::tenant_body(&tenant))
}

/// A page of tenants as `GET /admin/tenants` answers it: `{"tenants": [...], "next": ...}`,
/// each tenant as `httpTenantBody` shows it.
#[napi(js_name = "httpPageBody")]
pub fn page_body(env: &Env, page: TenantPage) -> napi::Result<Value> {
    let tenants = page
        .tenants
        .into_iter()
        .map(tenantry::Tenant::try_from)
        .collect::<tenantry::Result<Vec<_>>>()
        .map_err(|err| to_js_error(env, err))?;
    let page = tenantry::TenantPage::new(tenants, page.next);
    Ok(tenantry::http::page_body(&page))
}

fn problems(p: Vec<tenantry::http::Problem>) -> Vec<HttpProblem> {
    p.into_iter().map(HttpProblem::from).collect()
}

/// What `GET /admin/audit` asks: whose log, and which entries.
#[napi(object)]
pub struct AuditRequest {
    /// The tenant's id (24 hex digits), for `auditLog`.
    pub tenant_id: String,
    /// The entries to list, for `auditLog`.
    pub query: AuditQuery,
}

/// The parameters of `GET /admin/audit`: the request, or every problem.
#[napi(object)]
pub struct CheckedAuditQuery {
    /// The request, when every parameter parses.
    pub value: Option<AuditRequest>,
    /// Every problem, one per parameter, otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the parameters of `GET /admin/audit` from a query string (without `?`):
/// `organization_id` (required), `op`, `since`, `until`, `limit`, `after`, each at most once
/// ([`tenantry::http::audit_query`]).
#[napi(js_name = "httpAuditQuery")]
pub fn audit_query(query: String) -> CheckedAuditQuery {
    match tenantry::http::audit_query(&query) {
        Ok((tenant, q)) => CheckedAuditQuery {
            value: Some(AuditRequest {
                tenant_id: tenant.to_hex(),
                query: q.into(),
            }),
            problems: Vec::new(),
        },
        Err(p) => CheckedAuditQuery {
            value: None,
            problems: problems(p),
        },
    }
}

/// A tenant id read from a query string: the id, or every problem.
#[napi(object)]
pub struct CheckedTenantId {
    /// The tenant's id (24 hex digits), when given once and well formed.
    pub value: Option<String>,
    /// The problem, otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the `organization_id` of `GET /admin/audit/verify` from a query string (without
/// `?`) ([`tenantry::http::audit_tenant`]).
#[napi(js_name = "httpAuditTenant")]
pub fn audit_tenant(query: String) -> CheckedTenantId {
    match tenantry::http::audit_tenant(&query) {
        Ok(tenant) => CheckedTenantId {
            value: Some(tenant.to_hex()),
            problems: Vec::new(),
        },
        Err(p) => CheckedTenantId {
            value: None,
            problems: problems(p),
        },
    }
}

/// A page of `auditLog` as `GET /admin/audit` answers it ([`tenantry::http::audit_page_body`]);
/// throws `INVALID_INPUT` for an object that is not a page this library returned.
#[napi(js_name = "httpAuditPageBody")]
pub fn audit_page_body(env: &Env, page: AuditPage) -> napi::Result<Value> {
    let page = tenantry::AuditPage::try_from(page).map_err(|err| to_js_error(env, err))?;
    Ok(tenantry::http::audit_page_body(&page))
}

/// What `verifyAudit` found as `GET /admin/audit/verify` answers it
/// ([`tenantry::http::verification_body`]).
#[napi(js_name = "httpVerificationBody")]
pub fn verification_body(env: &Env, verification: AuditVerification) -> napi::Result<Value> {
    let v =
        tenantry::AuditVerification::try_from(verification).map_err(|err| to_js_error(env, err))?;
    Ok(tenantry::http::verification_body(&v))
}

/// The options of `POST /admin/import`: the options, or every problem.
#[napi(object)]
pub struct CheckedImportOptions {
    /// The options for `importTenant`, when every parameter parses.
    pub value: Option<ImportOptions>,
    /// Every problem, one per parameter, otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the options of `POST /admin/import` from a query string (without `?`):
/// `organization_name`, `email`, `layout`, `cluster`, each optional and at most once
/// ([`tenantry::http::import_options`]).
#[napi(js_name = "httpImportOptions")]
pub fn import_options(query: String) -> CheckedImportOptions {
    match tenantry::http::import_options(&query) {
        Ok(o) => CheckedImportOptions {
            value: Some(o.into()),
            problems: Vec::new(),
        },
        Err(p) => CheckedImportOptions {
            value: None,
            problems: problems(p),
        },
    }
}

/// The options of `POST /admin/migrate`: the options, or every problem.
#[napi(object)]
pub struct CheckedMigrateOptions {
    /// The options for `migrate`, when every parameter parses.
    pub value: Option<MigrateOptions>,
    /// Every problem, one per parameter, otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the options of `POST /admin/migrate` from a query string (without `?`):
/// `dry_run`, `parallelism`, `stop_on_failure`, each optional and at most once
/// ([`tenantry::http::migrate_options`]).
#[napi(js_name = "httpMigrateOptions")]
pub fn migrate_options(query: String) -> CheckedMigrateOptions {
    match tenantry::http::migrate_options(&query) {
        Ok(o) => CheckedMigrateOptions {
            value: Some(o.into()),
            problems: Vec::new(),
        },
        Err(p) => CheckedMigrateOptions {
            value: None,
            problems: problems(p),
        },
    }
}

/// A session as `POST /auth/login` and `POST /auth/refresh` answer it
/// ([`tenantry::http::session_body`]; `expires_in` counts from now), from the core's
/// session `index.js` kept beside the one `loginSession` or `refreshSession` returned.
#[napi(js_name = "httpSessionBody")]
pub fn session_body(session: &CoreSession) -> Value {
    tenantry::http::session_body(&session.inner)
}

/// The open sessions as `GET /auth/sessions` answers them
/// ([`tenantry::http::sessions_body`]), from the core's listing `index.js` kept beside the
/// array `sessions` returned.
#[napi(js_name = "httpSessionsBody")]
pub fn sessions_body(sessions: &CoreSessions) -> Value {
    tenantry::http::sessions_body(&sessions.inner)
}

/// A signing key as `POST /admin/keys/rotate` answers it ([`tenantry::http::signing_key_body`]),
/// from the core's key `index.js` kept beside the one `rotateSigningKey` returned.
#[napi(js_name = "httpSigningKeyBody")]
pub fn signing_key_body(key: &CoreSigningKey) -> Value {
    tenantry::http::signing_key_body(&key.inner)
}

/// The signing keys as `GET /admin/keys` answers them ([`tenantry::http::signing_keys_body`]),
/// from the core's listing `index.js` kept beside the array `signingKeys` returned.
#[napi(js_name = "httpSigningKeysBody")]
pub fn signing_keys_body(keys: &CoreSigningKeys) -> Value {
    tenantry::http::signing_keys_body(&keys.inner)
}

/// The body of `POST /admin/api-keys`: the key to make, or every problem.
#[napi(object)]
pub struct CheckedNewApiKey {
    /// The key for `createApiKey`, when the body reads (`expiresAt` `null` when not given).
    pub value: Option<NewApiKey>,
    /// Every problem (`name`, `scopes`, `expires_at`, or `body`), otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the body of `POST /admin/api-keys` as every server of the contract does
/// ([`tenantry::http::new_api_key`]): `name` (a string), `scopes` (an array of strings),
/// `expires_at` (RFC 3339, optional). What the core judges later (an empty name, a bad
/// scope, a past expiry) is `createApiKey`'s `INVALID_INPUT`.
#[napi(js_name = "httpNewApiKey")]
pub fn new_api_key(env: &Env, body: &[u8]) -> napi::Result<CheckedNewApiKey> {
    if let Err(p) = tenantry::http::new_api_key(body) {
        return Ok(CheckedNewApiKey {
            value: None,
            problems: problems(p),
        });
    }
    // The core read the body whole and found nothing wrong: a JSON object with a string
    // `name`, an array of strings `scopes`, and `expires_at` absent, null or RFC 3339. Its
    // `NewApiKey` keeps its fields to itself, so they are read again here, alike.
    let internal = |what: &str| {
        let err = tenantry::Error::Internal(format!("a body the core read has no {what}"));
        to_js_error(env, err)
    };
    let object: serde_json::Map<String, Value> =
        serde_json::from_slice(body).map_err(|_| internal("object"))?;
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| internal("name"))?;
    let scopes = object
        .get("scopes")
        .and_then(Value::as_array)
        .ok_or_else(|| internal("scopes"))?
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    let expires_at = match object.get("expires_at").and_then(Value::as_str) {
        Some(at) => napi::Either::A(DateValue::from(
            chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| internal("expires_at"))?
                .with_timezone(&chrono::Utc),
        )),
        None => napi::Either::B(napi::bindgen_prelude::Null),
    };
    Ok(CheckedNewApiKey {
        value: Some(NewApiKey {
            name: name.to_owned(),
            scopes,
            expires_at: Some(expires_at),
        }),
        problems: Vec::new(),
    })
}

/// An API key as `GET /admin/api-keys` lists it ([`tenantry::http::api_key_body`]; never its
/// secret), from the core's key `index.js` kept beside the `ApiKeyInfo` returned.
#[napi(js_name = "httpApiKeyBody")]
pub fn api_key_body(key: &CoreApiKeyInfo) -> Value {
    tenantry::http::api_key_body(&key.inner)
}

/// A key just made as `POST /admin/api-keys` answers it
/// ([`tenantry::http::created_api_key_body`]: the key, this once, beside what is listed of
/// it), from the core's key `index.js` kept beside the `ApiKey` `createApiKey` returned.
#[napi(js_name = "httpCreatedApiKeyBody")]
pub fn created_api_key_body(key: &CoreApiKey) -> Value {
    tenantry::http::created_api_key_body(&key.inner)
}

/// The API keys as `GET /admin/api-keys` answers them ([`tenantry::http::api_keys_body`]),
/// from the core's listing `index.js` kept beside the array `apiKeys` returned.
#[napi(js_name = "httpApiKeysBody")]
pub fn api_keys_body(keys: &CoreApiKeys) -> Value {
    tenantry::http::api_keys_body(&keys.inner)
}

/// Who verified claims speak for, as `GET /auth/whoami` answers it
/// ([`tenantry::http::claims_body`]: `api_key_id` and `scopes` `null` for a token).
#[napi(js_name = "httpClaimsBody")]
pub fn claims_body(claims: &Claims) -> Value {
    tenantry::http::claims_body(&claims.inner)
}

/// A member as `GET /admin/members` lists it and `PATCH /admin/members/{member_id}` and
/// `POST /auth/accept-invitation` answer it ([`tenantry::http::member_body`]), from the
/// core's member `index.js` kept beside the `Member` returned.
#[napi(js_name = "httpMemberBody")]
pub fn member_body(member: &CoreMember) -> Value {
    tenantry::http::member_body(&member.inner)
}

/// The members as `GET /admin/members` answers them ([`tenantry::http::members_body`]),
/// from the core's listing `index.js` kept beside the array `members` returned.
#[napi(js_name = "httpMembersBody")]
pub fn members_body(members: &CoreMembers) -> Value {
    tenantry::http::members_body(&members.inner)
}

/// A pending invitation as `GET /admin/invitations` lists it
/// ([`tenantry::http::invitation_body`]; never its token), from the core's invitation
/// `index.js` kept beside the `InvitationInfo` returned.
#[napi(js_name = "httpInvitationBody")]
pub fn invitation_body(invitation: &CoreInvitationInfo) -> Value {
    tenantry::http::invitation_body(&invitation.inner)
}

/// An invitation just made as `POST /admin/invitations` answers it
/// ([`tenantry::http::created_invitation_body`]: the token, this once, beside what is
/// listed of it), from the core's invitation `index.js` kept beside the `Invitation`
/// `inviteMember` returned.
#[napi(js_name = "httpCreatedInvitationBody")]
pub fn created_invitation_body(invitation: &CoreInvitation) -> Value {
    tenantry::http::created_invitation_body(&invitation.inner)
}

/// The pending invitations as `GET /admin/invitations` answers them
/// ([`tenantry::http::invitations_body`]), from the core's listing `index.js` kept beside
/// the array `invitations` returned.
#[napi(js_name = "httpInvitationsBody")]
pub fn invitations_body(invitations: &CoreInvitations) -> Value {
    tenantry::http::invitations_body(&invitations.inner)
}

/// The body of `PATCH /admin/members/{member_id}`: the role, or every problem.
#[napi(object)]
pub struct CheckedMemberRole {
    /// The role for `setMemberRole`, when the body reads.
    #[napi(ts_type = "'owner' | 'admin' | 'member'")]
    pub value: Option<String>,
    /// Every problem (`role`, or `body`), otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the body of `PATCH /admin/members/{member_id}` as every server of the contract
/// does ([`tenantry::http::member_role`]): `role`, one of `owner`, `admin`, `member`.
#[napi(js_name = "httpMemberRole")]
pub fn member_role(body: &[u8]) -> CheckedMemberRole {
    match tenantry::http::member_role(body) {
        Ok(role) => CheckedMemberRole {
            value: Some(role.as_str().to_owned()),
            problems: Vec::new(),
        },
        Err(p) => CheckedMemberRole {
            value: None,
            problems: problems(p),
        },
    }
}

/// The body of `POST /admin/invitations`: the invitation to make, or every problem.
#[napi(object)]
pub struct CheckedNewInvitation {
    /// The invitation for `inviteMember`, when the body reads (`expiresAt` `null` when
    /// not given).
    pub value: Option<NewInvitation>,
    /// Every problem (`email`, `role`, `expires_at`, or `body`), otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the body of `POST /admin/invitations` as every server of the contract does
/// ([`tenantry::http::new_invitation`]): `email` (a string), `role` (`owner`, `admin` or
/// `member`), `expires_at` (RFC 3339, optional). What the core judges later (the email, an
/// expiry in the past or too far) is `inviteMember`'s `INVALID_INPUT`.
#[napi(js_name = "httpNewInvitation")]
pub fn new_invitation(env: &Env, body: &[u8]) -> napi::Result<CheckedNewInvitation> {
    if let Err(p) = tenantry::http::new_invitation(body) {
        return Ok(CheckedNewInvitation {
            value: None,
            problems: problems(p),
        });
    }
    // The core read the body whole and found nothing wrong: a JSON object with a string
    // `email`, a role `role`, and `expires_at` absent, null or RFC 3339. Its
    // `NewInvitation` keeps its fields to itself, so they are read again here, alike.
    let internal = |what: &str| {
        let err = tenantry::Error::Internal(format!("a body the core read has no {what}"));
        to_js_error(env, err)
    };
    let object: serde_json::Map<String, Value> =
        serde_json::from_slice(body).map_err(|_| internal("object"))?;
    let text = |field: &str| {
        object
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| internal(field))
    };
    let (email, role) = (text("email")?, text("role")?);
    let expires_at = match object.get("expires_at").and_then(Value::as_str) {
        Some(at) => napi::Either::A(DateValue::from(
            chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| internal("expires_at"))?
                .with_timezone(&chrono::Utc),
        )),
        None => napi::Either::B(napi::bindgen_prelude::Null),
    };
    Ok(CheckedNewInvitation {
        value: Some(NewInvitation {
            email,
            role,
            expires_at: Some(expires_at),
        }),
        problems: Vec::new(),
    })
}

/// What `POST /auth/accept-invitation` carries: the invitation's token and the new
/// member's password.
#[napi(object)]
pub struct AcceptedInvitation {
    /// The token, `tni_<id>_<secret>`.
    pub token: String,
    /// The new member's password.
    pub password: String,
}

/// The body of `POST /auth/accept-invitation`: the token and password, or every problem.
#[napi(object)]
pub struct CheckedAcceptedInvitation {
    /// The token and password for `acceptInvitation`, when the body reads.
    pub value: Option<AcceptedInvitation>,
    /// Every problem (`token`, `password`, or `body`), otherwise.
    pub problems: Vec<HttpProblem>,
}

/// Read the body of `POST /auth/accept-invitation` as every server of the contract does
/// ([`tenantry::http::accepted_invitation`]): `token` and `password`, strings.
#[napi(js_name = "httpAcceptedInvitation")]
pub fn accepted_invitation(body: &[u8]) -> CheckedAcceptedInvitation {
    match tenantry::http::accepted_invitation(body) {
        Ok((token, password)) => CheckedAcceptedInvitation {
            value: Some(AcceptedInvitation { token, password }),
            problems: Vec::new(),
        },
        Err(p) => CheckedAcceptedInvitation {
            value: None,
            problems: problems(p),
        },
    }
}
