//! The routes of the contract, each a thin call into the core, and the OpenAPI document.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tenantry::{MoveTarget, Tenant, TenantManager, TenantOptions, TenantUpdate};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::ApiError;
use crate::extract::{
    AuditParams, AuditTenant, Bearer, ClientAddress, ImportParams, JsonBody, MigrateParams,
    OrgNameParam, RawBody, Schema, TenantQueryParams,
};

/// `POST /org/create` body.
#[derive(Deserialize, ToSchema)]
pub struct CreateOrg {
    #[schema(example = "Acme Corp")]
    organization_name: String,
    #[schema(example = "admin@acme.com")]
    email: String,
    #[schema(example = "securepassword123")]
    password: String,
    /// Extension: the tenant's layout, `collection` (the default), `database` or `shared`.
    #[serde(default)]
    #[schema(example = "shared")]
    layout: Option<String>,
    /// Extension: the cluster to place the tenant on (one of the configured `CLUSTERS`).
    #[serde(default)]
    cluster: Option<String>,
}

impl Schema for CreateOrg {
    const FIELDS: &'static [(&'static str, bool)] = &[
        ("organization_name", false),
        ("email", false),
        ("password", false),
        ("layout", true),
        ("cluster", true),
    ];
}

/// `POST /admin/move` body (an operator call).
#[derive(Deserialize, ToSchema)]
pub struct MoveOrg {
    #[schema(example = "Acme Corp")]
    organization_name: String,
    /// The layout to move to: `collection`, `database` or `shared`.
    #[serde(default)]
    #[schema(example = "database")]
    layout: Option<String>,
    /// The cluster to move to.
    #[serde(default)]
    cluster: Option<String>,
}

impl Schema for MoveOrg {
    const FIELDS: &'static [(&'static str, bool)] = &[
        ("organization_name", false),
        ("layout", true),
        ("cluster", true),
    ];
}

/// `POST /admin/restore` and `POST /admin/purge` body (operator calls).
#[derive(Deserialize, ToSchema)]
pub struct OrgName {
    #[schema(example = "Acme Corp")]
    organization_name: String,
}

impl Schema for OrgName {
    const FIELDS: &'static [(&'static str, bool)] = &[("organization_name", false)];
}

/// `POST /admin/suspend` body (an operator call).
#[derive(Deserialize, ToSchema)]
pub struct SuspendOrg {
    #[schema(example = "Acme Corp")]
    organization_name: String,
    /// Why (one line, at most 500 characters), kept on the record and in the audit log.
    #[schema(example = "unpaid invoice")]
    reason: Option<String>,
}

impl Schema for SuspendOrg {
    const FIELDS: &'static [(&'static str, bool)] =
        &[("organization_name", false), ("reason", true)];
}

/// An organization as the operator endpoints list it (`tenantry::http::tenant_body`).
#[derive(Serialize, ToSchema)]
pub struct ListedOrg {
    organization_id: String,
    organization_name: String,
    admin_email: String,
    collection_name: String,
    database: String,
    #[schema(example = "collection")]
    layout: String,
    #[schema(example = "home")]
    cluster: String,
    /// `active` or `deleted` (softly: restorable until `purge_after`).
    #[schema(example = "active")]
    state: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    purge_after: Option<DateTime<Utc>>,
    /// Set while the organization is suspended (`POST /admin/suspend`).
    suspended_at: Option<DateTime<Utc>>,
    suspended_reason: Option<String>,
}

/// `GET /admin/tenants` answer: one page, in creation order.
#[derive(Serialize, ToSchema)]
pub struct OrgPage {
    tenants: Vec<ListedOrg>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<String>,
}

/// `GET /admin/tenants/count` answer.
#[derive(Serialize, ToSchema)]
pub struct OrgCount {
    count: u64,
}

/// Where an organization's data is (the operator calls' answer).
#[derive(Serialize, ToSchema)]
pub struct Placement {
    organization_name: String,
    collection_name: String,
    database: String,
    #[schema(example = "database")]
    layout: String,
    #[schema(example = "home")]
    cluster: String,
}

impl From<Tenant> for Placement {
    fn from(t: Tenant) -> Self {
        Placement {
            organization_name: t.name,
            collection_name: t.collection_name,
            database: t.database,
            layout: t.layout.as_str().to_owned(),
            cluster: t.cluster,
        }
    }
}

/// `POST /admin/login` and `POST /auth/login` body.
#[derive(Deserialize, ToSchema)]
pub struct Login {
    #[schema(example = "admin@acme.com")]
    email: String,
    #[schema(example = "securepassword123")]
    password: String,
    /// Extension: the organization to log into, for an email that is a member of several
    /// (without it, the one the password opens; 400 `INVALID_INPUT` on `organization_name`
    /// when it opens several).
    #[serde(default)]
    #[schema(example = "Acme Corp")]
    organization_name: Option<String>,
}

impl Schema for Login {
    const FIELDS: &'static [(&'static str, bool)] = &[
        ("email", false),
        ("password", false),
        ("organization_name", true),
    ];
}

/// `PUT /org/update` body.
#[derive(Deserialize, ToSchema)]
pub struct UpdateOrg {
    #[schema(example = "Acme Corp")]
    organization_name: String,
    #[schema(example = "newadmin@acme.com")]
    email: String,
    #[schema(example = "newpassword123")]
    password: String,
    #[serde(default)]
    #[schema(example = "Updated Corp Name")]
    new_organization_name: Option<String>,
}

impl Schema for UpdateOrg {
    const FIELDS: &'static [(&'static str, bool)] = &[
        ("organization_name", false),
        ("email", false),
        ("password", false),
        ("new_organization_name", true),
    ];
}

/// An organization as the contract shows it.
#[derive(Serialize, ToSchema)]
pub struct Org {
    organization_name: String,
    collection_name: String,
    admin_email: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Tenant> for Org {
    fn from(t: Tenant) -> Self {
        Org {
            organization_name: t.name,
            collection_name: t.collection_name,
            admin_email: t.admin_email,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// `POST /admin/login` answer.
#[derive(Serialize, ToSchema)]
pub struct LoginOut {
    access_token: String,
    #[schema(example = "bearer")]
    token_type: String,
    admin_id: String,
    organization_id: String,
    organization_name: String,
}

/// A plain message.
#[derive(Serialize, ToSchema)]
pub struct Message {
    message: &'static str,
}

/// Health: `healthy` when the database answers.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "healthy")]
    status: &'static str,
}

/// Every error: `detail` for people, `code` (stable) for programs.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    detail: String,
    code: String,
}

#[utoipa::path(post, path = "/org/create", tag = "organizations", request_body = CreateOrg,
    responses((status = 201, body = Org), (status = 400, description = "duplicate or invalid", body = ErrorBody)))]
async fn create_org(
    State(m): State<TenantManager>,
    JsonBody(body): JsonBody<CreateOrg>,
) -> Result<(StatusCode, Json<Org>), ApiError> {
    let mut options = TenantOptions::new();
    options.layout = body.layout.as_deref().map(str::parse).transpose()?;
    options.cluster = body.cluster;
    let tenant = m
        .create_tenant_with(
            &body.organization_name,
            &body.email,
            &body.password,
            options,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(tenant.into())))
}

#[utoipa::path(post, path = "/admin/move", tag = "operators", request_body = MoveOrg, security(("bearer" = [])),
    description = "Move an organization's data to another layout and/or cluster, online. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.",
    responses((status = 200, body = Placement), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn move_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<MoveOrg>,
) -> Result<Json<Placement>, ApiError> {
    m.check_operator(&token)?;
    let mut target = MoveTarget::new();
    target.layout = body.layout.as_deref().map(str::parse).transpose()?;
    target.cluster = body.cluster;
    Ok(Json(
        m.move_tenant(&body.organization_name, target).await?.into(),
    ))
}

#[utoipa::path(get, path = "/admin/tenants", tag = "operators", security(("bearer" = [])),
    params(
        ("state" = Option<String>, Query, description = "`active` or `deleted`"),
        ("layout" = Option<String>, Query, description = "`collection`, `database` or `shared`"),
        ("cluster" = Option<String>, Query, description = "a configured cluster's name"),
        ("name_prefix" = Option<String>, Query, description = "names starting with this (case and spacing folded)"),
        ("created_after" = Option<String>, Query, description = "RFC 3339: created at or after"),
        ("created_before" = Option<String>, Query, description = "RFC 3339: created before"),
        ("limit" = Option<u32>, Query, description = "organizations per page, 1 to 1000 (100)"),
        ("after" = Option<String>, Query, description = "the `next` of the page before"),
    ),
    description = "List organizations, active and softly deleted, a page at a time in creation order. Authorized by the operator token (`OPERATOR_TOKEN`); off without one.",
    responses((status = 200, body = OrgPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn list_orgs(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    TenantQueryParams(query): TenantQueryParams,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let page = m.list_tenants(&query).await?;
    Ok(Json(tenantry::http::page_body(&page)))
}

#[utoipa::path(get, path = "/admin/tenants/count", tag = "operators", security(("bearer" = [])),
    params(
        ("state" = Option<String>, Query, description = "`active` or `deleted`"),
        ("layout" = Option<String>, Query, description = "`collection`, `database` or `shared`"),
        ("cluster" = Option<String>, Query, description = "a configured cluster's name"),
        ("name_prefix" = Option<String>, Query, description = "names starting with this"),
        ("created_after" = Option<String>, Query, description = "RFC 3339: created at or after"),
        ("created_before" = Option<String>, Query, description = "RFC 3339: created before"),
    ),
    description = "Count the organizations matching the listing filters. Authorized by the operator token.",
    responses((status = 200, body = OrgCount), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn count_orgs(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    TenantQueryParams(query): TenantQueryParams,
) -> Result<Json<OrgCount>, ApiError> {
    m.check_operator(&token)?;
    Ok(Json(OrgCount {
        count: m.count_tenants(&query).await?,
    }))
}

#[utoipa::path(post, path = "/admin/restore", tag = "operators", request_body = OrgName, security(("bearer" = [])),
    description = "Bring back a softly deleted organization within its retention (`DELETED_RETENTION_SECONDS`). Authorized by the operator token.",
    responses((status = 200, body = ListedOrg), (status = 400, description = "retention passed, or a bad body", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, description = "operator calls are off", body = ErrorBody),
              (status = 404, description = "no deleted organization has the name", body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restore_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<OrgName>,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let tenant = m.restore_tenant(&body.organization_name).await?;
    Ok(Json(tenantry::http::tenant_body(&tenant)))
}

#[utoipa::path(post, path = "/admin/suspend", tag = "operators", request_body = SuspendOrg, security(("bearer" = [])),
    description = "Suspend an organization: its admins' logins, earlier tokens and token-authorized calls are refused with 403 `TENANT_SUSPENDED` until it is resumed; its data is untouched. Authorized by the operator token.",
    responses((status = 200, body = ListedOrg), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn suspend_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<SuspendOrg>,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let tenant = m
        .suspend_tenant(&body.organization_name, body.reason.as_deref())
        .await?;
    Ok(Json(tenantry::http::tenant_body(&tenant)))
}

#[utoipa::path(post, path = "/admin/resume", tag = "operators", request_body = OrgName, security(("bearer" = [])),
    description = "Resume a suspended organization: its credentials are accepted again. Authorized by the operator token.",
    responses((status = 200, body = ListedOrg), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn resume_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<OrgName>,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let tenant = m.resume_tenant(&body.organization_name).await?;
    Ok(Json(tenantry::http::tenant_body(&tenant)))
}

#[utoipa::path(post, path = "/admin/purge", tag = "operators", request_body = OrgName, security(("bearer" = [])),
    description = "Remove a softly deleted organization now: its data, admins and record. Authorized by the operator token.",
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody),
              (status = 404, description = "no deleted organization has the name", body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn purge_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<OrgName>,
) -> Result<Json<Message>, ApiError> {
    m.check_operator(&token)?;
    m.purge_tenant(&body.organization_name).await?;
    Ok(Json(Message {
        message: "Organization purged successfully",
    }))
}

/// The largest archive `POST /admin/import` takes (larger ones: the command line).
pub const IMPORT_LIMIT: usize = 16 * 1024 * 1024;

/// `GET /admin/audit` answer: entries in order, hash-chained.
#[derive(Serialize, ToSchema)]
pub struct AuditPageBody {
    entries: Vec<AuditEntryBody>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<i64>,
}

/// One audit entry (`tenantry::http::audit_page_body`).
#[derive(Serialize, ToSchema)]
pub struct AuditEntryBody {
    seq: i64,
    at: DateTime<Utc>,
    #[schema(example = "operator")]
    actor: String,
    #[schema(example = "rename")]
    op: String,
    #[schema(example = "ok")]
    outcome: String,
    detail: serde_json::Value,
    prev: String,
    hash: String,
}

/// `GET /admin/audit/verify` answer.
#[derive(Serialize, ToSchema)]
pub struct VerificationBody {
    entries: u64,
    intact: bool,
    /// Where the chain breaks, and how; `null` when whole.
    broken: Option<serde_json::Value>,
}

#[utoipa::path(get, path = "/admin/audit", tag = "operators", security(("bearer" = [])),
    params(
        ("organization_id" = String, Query, description = "the organization's id (a purged one's log stays)"),
        ("op" = Option<String>, Query, description = "only entries of this operation"),
        ("since" = Option<String>, Query, description = "RFC 3339: at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339: before"),
        ("limit" = Option<u32>, Query, description = "entries per page, 1 to 1000 (100)"),
        ("after" = Option<i64>, Query, description = "the `next` of the page before"),
    ),
    description = "An organization's audit log, in order. Authorized by the operator token.",
    responses((status = 200, body = AuditPageBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn audit_log(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    AuditParams(tenant, query): AuditParams,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let page = m.audit_log(tenant, &query).await?;
    Ok(Json(tenantry::http::audit_page_body(&page)))
}

#[utoipa::path(get, path = "/admin/audit/verify", tag = "operators", security(("bearer" = [])),
    params(("organization_id" = String, Query, description = "the organization's id")),
    description = "Check an organization's audit hash chain. Authorized by the operator token.",
    responses((status = 200, body = VerificationBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn audit_verify(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    AuditTenant(tenant): AuditTenant,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let verified = m.verify_audit(tenant).await?;
    Ok(Json(tenantry::http::verification_body(&verified)))
}

#[utoipa::path(get, path = "/admin/export", tag = "operators", security(("bearer" = [])),
    params(("organization_name" = String, Query, description = "the organization's name")),
    description = "An organization as one archive (a stream of BSON records ending with a manifest of counts and checksums), streamed. Authorized by the operator token.",
    responses((status = 200, description = "the archive", content_type = "application/octet-stream"),
              (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn export_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    OrgNameParam(name): OrgNameParam,
) -> Result<axum::response::Response, ApiError> {
    m.check_operator(&token)?;
    // Found first, so a missing organization is a 404, not an empty archive.
    m.get_tenant(&name).await?;
    let (mut writer, reader) = tokio::io::duplex(64 * 1024);
    tokio::spawn(async move {
        if let Err(e) = m.export_tenant(&name, &mut writer).await {
            // The archive ends early: its missing manifest tells the reader.
            tracing::warn!(error = %e, "an export stopped");
        }
    });
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(reader));
    Ok(axum::response::Response::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/octet-stream")
        .body(body)
        .map_err(|e| tenantry::Error::Internal(e.to_string()))?)
}

#[utoipa::path(post, path = "/admin/import", tag = "operators", security(("bearer" = [])),
    params(
        ("organization_name" = Option<String>, Query, description = "import under this name (the archive's otherwise)"),
        ("email" = Option<String>, Query, description = "the admin's email (the archive's otherwise)"),
        ("layout" = Option<String>, Query, description = "`collection`, `database` or `shared` (the archive's otherwise)"),
        ("cluster" = Option<String>, Query, description = "a configured cluster"),
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "an archive of `GET /admin/export`"),
    description = "Import an organization from an archive; it stays hidden until its data matches the archive's manifest, and a failure leaves nothing behind. Authorized by the operator token.",
    responses((status = 201, body = ListedOrg), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "operator calls are off", body = ErrorBody),
              (status = 413, description = "the archive is larger than the server takes (use the CLI)", body = ErrorBody)))]
async fn import_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    ImportParams(options): ImportParams,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    m.check_operator(&token)?;
    let (tenant, _) = m.import_tenant(&mut body.as_ref(), options).await?;
    Ok((
        StatusCode::CREATED,
        Json(tenantry::http::tenant_body(&tenant)),
    ))
}

/// A failed organization of a migration run.
#[derive(Serialize, ToSchema)]
pub struct MigrationFailure {
    organization_id: String,
    organization_name: String,
    /// The migration that failed.
    migration: String,
    /// The error's code.
    code: String,
    message: String,
}

/// What a migration run did (`tenantry::http::migrate_report_body`).
#[derive(Serialize, ToSchema)]
pub struct MigrateReport {
    /// Organizations looked at.
    tenants: u64,
    /// Migrations applied (in a dry run: that would be), over every organization.
    applied: u64,
    /// Organizations that had nothing to apply.
    up_to_date: u64,
    /// Organizations not started (after a failure, with `stop_on_failure`).
    not_started: u64,
    failed: Vec<MigrationFailure>,
}

#[utoipa::path(post, path = "/admin/migrate", tag = "operators", security(("bearer" = [])),
    params(
        ("dry_run" = Option<bool>, Query, description = "say what would run, write nothing"),
        ("parallelism" = Option<u32>, Query, description = "organizations migrated at once (1 to 256; 4)"),
        ("stop_on_failure" = Option<bool>, Query, description = "start no organization after a failure"),
    ),
    description = "Apply the migrations of the declared schema (`TENANT_SCHEMA_FILE`) that each active organization lacks, with a ledger per organization: resumable, a failure isolated to its organization. Authorized by the operator token.",
    responses((status = 200, body = MigrateReport), (status = 400, description = "no schema is declared, or a bad parameter", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn migrate(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    MigrateParams(options): MigrateParams,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let report = m.migrate(options).await?;
    Ok(Json(tenantry::http::migrate_report_body(&report)))
}

#[utoipa::path(get, path = "/org/get", tag = "organizations",
    params(("organization_name" = String, Query, description = "the organization's name")),
    responses((status = 200, body = Org), (status = 404, body = ErrorBody)))]
async fn get_org(
    State(m): State<TenantManager>,
    OrgNameParam(name): OrgNameParam,
) -> Result<Json<Org>, ApiError> {
    Ok(Json(m.get_tenant(&name).await?.into()))
}

#[utoipa::path(post, path = "/admin/login", tag = "auth", request_body = Login,
    description = "Log in. `organization_name` (an extension, optional) names the organization to log into, for an email that is a member of several; without it the answers are the original contract's, but an email whose password opens several organizations gets 400 `INVALID_INPUT` on `organization_name`.",
    responses((status = 200, body = LoginOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn login(
    State(m): State<TenantManager>,
    // Failures are counted per (email, client): X-Forwarded-For only from trusted proxies.
    ClientAddress(client): ClientAddress,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<LoginOut>, ApiError> {
    let token = match body.organization_name.as_deref() {
        Some(tenant) => {
            m.authenticate_in(tenant, &body.email, &body.password, Some(&client))
                .await?
        }
        None => {
            m.authenticate_from(&body.email, &body.password, Some(&client))
                .await?
        }
    };
    Ok(Json(LoginOut {
        access_token: token.access_token,
        token_type: token.token_type,
        admin_id: token.admin_id.to_hex(),
        organization_id: token.tenant_id.to_hex(),
        organization_name: token.tenant_name,
    }))
}

/// `POST /auth/refresh` body.
#[derive(Deserialize, ToSchema)]
pub struct Refresh {
    /// The refresh token of the last answer of `POST /auth/login` or `POST /auth/refresh`.
    refresh_token: String,
}

impl Schema for Refresh {
    const FIELDS: &'static [(&'static str, bool)] = &[("refresh_token", false)];
}

/// `POST /auth/logout` body.
#[derive(Deserialize, ToSchema)]
pub struct Logout {
    /// A `session_id` of `GET /auth/sessions` (or of a login's answer).
    #[schema(example = "6650f1c2a4b5c6d7e8f90123")]
    session_id: String,
}

impl Schema for Logout {
    const FIELDS: &'static [(&'static str, bool)] = &[("session_id", false)];
}

/// `POST /auth/login` and `POST /auth/refresh` answer (`tenantry::http::session_body`).
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    /// A short access token, for `Authorization: Bearer`.
    access_token: String,
    #[schema(example = "bearer")]
    token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    expires_in: i64,
    /// Renews the access token at `POST /auth/refresh`; works once.
    refresh_token: String,
    session_id: String,
    /// When the session ends, whatever its refreshes.
    session_expires_at: DateTime<Utc>,
    admin_id: String,
    organization_id: String,
    organization_name: String,
}

/// One open session (`tenantry::http::sessions_body`).
#[derive(Serialize, ToSchema)]
pub struct SessionItem {
    session_id: String,
    /// When its login was.
    created_at: DateTime<Utc>,
    /// When it was last refreshed (its login's time if never).
    refreshed_at: DateTime<Utc>,
    /// When it ends, whatever its refreshes.
    expires_at: DateTime<Utc>,
    /// The client address of its login.
    client: Option<String>,
}

/// `GET /auth/sessions` answer: the admin's open sessions, newest first.
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    sessions: Vec<SessionItem>,
}

/// `POST /auth/logout` answer: whether an open session of the admin had the id.
#[derive(Serialize, ToSchema)]
pub struct Ended {
    ended: bool,
}

/// `POST /auth/logout-all` answer: how many sessions were open.
#[derive(Serialize, ToSchema)]
pub struct EndedCount {
    ended: u64,
}

#[utoipa::path(post, path = "/auth/login", tag = "sessions", request_body = Login,
    description = "Log in (as `POST /admin/login`: throttled per email and client; `organization_name` names the organization for an email that is a member of several) and open a session: a short access token and a refresh token that renews it.",
    responses((status = 200, body = SessionOut), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "the organization is suspended", body = ErrorBody),
              (status = 429, description = "too many failed logins (`Retry-After`)", body = ErrorBody)))]
async fn session_login(
    State(m): State<TenantManager>,
    ClientAddress(client): ClientAddress,
    JsonBody(body): JsonBody<Login>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = match body.organization_name.as_deref() {
        Some(tenant) => {
            m.login_session_in(tenant, &body.email, &body.password, Some(&client))
                .await?
        }
        None => {
            m.login_session(&body.email, &body.password, Some(&client))
                .await?
        }
    };
    Ok(Json(tenantry::http::session_body(&session)))
}

#[utoipa::path(post, path = "/auth/refresh", tag = "sessions", request_body = Refresh,
    description = "Renew a session: a new access token and refresh token; the one presented is used up. Presenting a used one ends its whole session.",
    responses((status = 200, body = SessionOut), (status = 400, body = ErrorBody),
              (status = 401, description = "a used, unknown, expired or ended refresh token", body = ErrorBody),
              (status = 403, description = "the organization is suspended", body = ErrorBody)))]
async fn session_refresh(
    State(m): State<TenantManager>,
    JsonBody(body): JsonBody<Refresh>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let session = m.refresh_session(&body.refresh_token).await?;
    Ok(Json(tenantry::http::session_body(&session)))
}

#[utoipa::path(get, path = "/auth/sessions", tag = "sessions", security(("bearer" = [])),
    description = "The open sessions of the token's admin, newest first.",
    responses((status = 200, body = SessionList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_sessions(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    let claims = m.verify_token(&token).await?;
    let sessions = m.sessions(&claims).await?;
    Ok(Json(tenantry::http::sessions_body(&sessions)))
}

#[utoipa::path(post, path = "/auth/logout", tag = "sessions", request_body = Logout, security(("bearer" = [])),
    description = "End one session of the token's admin: its refresh token stops working (access tokens already issued expire on their own).",
    responses((status = 200, body = Ended), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn logout(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<Logout>,
) -> Result<Json<Ended>, ApiError> {
    let claims = m.verify_token(&token).await?;
    let session = tenantry::http::session_id(&body.session_id)?;
    Ok(Json(Ended {
        ended: m.end_session(&claims, session).await?,
    }))
}

#[utoipa::path(post, path = "/auth/logout-all", tag = "sessions", security(("bearer" = [])),
    description = "Log out everywhere: end every session of the token's admin and revoke every access token it holds, this one included.",
    responses((status = 200, body = EndedCount), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn logout_all(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<EndedCount>, ApiError> {
    let claims = m.verify_token(&token).await?;
    Ok(Json(EndedCount {
        ended: m.end_all_sessions(&claims).await?,
    }))
}

/// One published key of `GET /.well-known/jwks.json` (RFC 7517, an Ed25519 public key).
#[derive(Serialize, ToSchema)]
pub struct Jwk {
    #[schema(example = "OKP")]
    kty: String,
    #[schema(example = "Ed25519")]
    crv: String,
    /// The public key, base64url.
    x: String,
    /// The `kid` of the tokens it verifies.
    kid: String,
    #[schema(example = "EdDSA")]
    alg: String,
    #[serde(rename = "use")]
    #[schema(example = "sig")]
    use_: String,
}

/// `GET /.well-known/jwks.json` answer: empty with an HMAC algorithm.
#[derive(Serialize, ToSchema)]
pub struct Jwks {
    keys: Vec<Jwk>,
}

/// A signing key as an operator sees it (`tenantry::http::signing_key_body`).
#[derive(Serialize, ToSchema)]
pub struct SigningKey {
    kid: String,
    #[schema(example = "EdDSA")]
    alg: String,
    /// When it was made and published.
    created_at: DateTime<Utc>,
    /// When it starts signing.
    activates_at: DateTime<Utc>,
    /// When it stops signing (the next key's activation); `null` while it is the newest.
    retires_at: Option<DateTime<Utc>>,
    /// When its tokens stop verifying and it is unpublished; `null` while it is the newest.
    verifies_until: Option<DateTime<Utc>>,
}

/// `GET /admin/keys` answer: the timeline, oldest first.
#[derive(Serialize, ToSchema)]
pub struct SigningKeyList {
    keys: Vec<SigningKey>,
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "keys",
    description = "The keys that verify access tokens, a JWKS document (RFC 7517): with `JWT_ALGO=EdDSA` every key that signs, will sign, or still verifies tokens it signed; `{\"keys\": []}` with an HMAC algorithm. No authorization; `Cache-Control: public, max-age=60`.",
    responses((status = 200, body = Jwks, headers(("Cache-Control" = String, description = "public, max-age=60"))),
              (status = 503, description = "the database cannot be reached", body = ErrorBody)))]
async fn jwks(
    State(m): State<TenantManager>,
) -> Result<([(HeaderName, &'static str); 1], Json<serde_json::Value>), ApiError> {
    let document = m.jwks().await?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=60")],
        Json(document),
    ))
}

#[utoipa::path(get, path = "/admin/keys", tag = "keys", security(("bearer" = [])),
    description = "The signing keys' timeline (`JWT_ALGO=EdDSA`), oldest first: when each activates, retires and stops verifying. Authorized by the operator token.",
    responses((status = 200, body = SigningKeyList), (status = 400, description = "an HMAC algorithm: no keys to list", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn signing_keys(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let keys = m.signing_keys().await?;
    Ok(Json(tenantry::http::signing_keys_body(&keys)))
}

#[utoipa::path(post, path = "/admin/keys/rotate", tag = "keys", security(("bearer" = [])),
    description = "Rotate the signing keys now (`JWT_ALGO=EdDSA`; no body): the new key is published at once and signs from `SIGNING_KEY_LEAD_SECONDS` later; the key it replaces verifies its tokens until they have all expired. Authorized by the operator token.",
    responses((status = 200, body = SigningKey), (status = 400, description = "an HMAC algorithm: no keys to rotate", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, description = "operator calls are off", body = ErrorBody)))]
async fn rotate_signing_key(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    m.check_operator(&token)?;
    let key = m.rotate_signing_key().await?;
    Ok(Json(tenantry::http::signing_key_body(&key)))
}

/// `POST /admin/api-keys` body. Documentation only: the body is read by the core
/// (`tenantry::http::new_api_key`), as every server reads it.
#[derive(ToSchema)]
#[allow(dead_code)] // the OpenAPI document's only
pub struct NewApiKey {
    /// For people: 1 to 100 characters.
    #[schema(example = "ci deploys")]
    name: String,
    /// 1 to 32 scopes, each 1 to 64 of `A-Z a-z 0-9 : . _ -`; what they allow is the
    /// application's.
    #[schema(example = json!(["orders:read", "orders:write"]))]
    scopes: Vec<String>,
    /// When the key stops verifying (RFC 3339, in the future); never when left out or null.
    #[schema(example = "2030-01-01T00:00:00Z")]
    expires_at: Option<DateTime<Utc>>,
}

/// A tenant's API key as listed (`tenantry::http::api_key_body`): never its secret.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyEntry {
    /// The key's id, for `DELETE /admin/api-keys/{key_id}`.
    id: String,
    /// `tnk_<id>`: how the key begins, naming it without revealing it.
    prefix: String,
    name: String,
    /// Sorted, without repeats.
    scopes: Vec<String>,
    /// The id of the admin who made it.
    created_by: String,
    created_at: DateTime<Utc>,
    /// When it stops verifying; `null` if never.
    expires_at: Option<DateTime<Utc>>,
    /// When it was last used, to the minute; `null` if never.
    last_used_at: Option<DateTime<Utc>>,
}

/// `POST /admin/api-keys` answer (`tenantry::http::created_api_key_body`): the key as it
/// will be listed, and the key itself, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key, `tnk_<id>_<secret>`, for `Authorization: Bearer <key>`: only its digest is
    /// stored, it cannot be shown again.
    key: String,
    id: String,
    prefix: String,
    name: String,
    scopes: Vec<String>,
    created_by: String,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
}

/// `GET /admin/api-keys` answer: the organization's keys that are not revoked (expired ones
/// included), oldest first (`tenantry::http::api_keys_body`).
#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    api_keys: Vec<ApiKeyEntry>,
}

/// `DELETE /admin/api-keys/{key_id}` answer: whether it was a live key of the organization.
#[derive(Serialize, ToSchema)]
pub struct Revoked {
    revoked: bool,
}

/// `GET /auth/whoami` answer (`tenantry::http::claims_body`): who a credential speaks for.
#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    /// The admin (for an API key: the admin who made it).
    admin_id: String,
    organization_id: String,
    organization_name: String,
    /// The API key's id; `null` for an access token.
    api_key_id: Option<String>,
    /// The API key's scopes; `null` for an access token (which may do all its admin may).
    scopes: Option<Vec<String>>,
    /// The member's role in the organization (`owner`, `admin` or `member`); `null` for an
    /// API key.
    #[schema(example = "owner")]
    role: Option<String>,
    /// When the credential expires (far in the future for an API key that never does).
    expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/admin/api-keys", tag = "api-keys", request_body = NewApiKey, security(("bearer" = [])),
    description = "Make an API key for the token's organization, for machine clients: the key (`tnk_...`, for `Authorization: Bearer`) is in this answer only; its digest is stored. An admin's token only: an API key cannot make keys (403 `FORBIDDEN`). 400 for a bad body, name, scope or expiry; 409 when the organization holds 100 live keys.",
    responses((status = 201, body = CreatedApiKey), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "an API key, or the organization is suspended", body = ErrorBody),
              (status = 409, description = "the organization holds the most keys it may", body = ErrorBody)))]
async fn create_api_key(
    State(m): State<TenantManager>,
    // In this order: the header's presence, the body, then the credential itself.
    Bearer(token): Bearer,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let new = tenantry::http::new_api_key(&body).map_err(ApiError::Schema)?;
    let claims = m.verify_credential(&token).await?;
    let key = m.create_api_key(&claims, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(tenantry::http::created_api_key_body(&key)),
    ))
}

#[utoipa::path(get, path = "/admin/api-keys", tag = "api-keys", security(("bearer" = [])),
    description = "The organization's API keys that are not revoked (expired ones included), oldest first, without their secrets. An admin's token only (403 `FORBIDDEN` for an API key).",
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody),
              (status = 403, description = "an API key, or the organization is suspended", body = ErrorBody)))]
async fn list_api_keys(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    let keys = m.api_keys(&claims).await?;
    Ok(Json(tenantry::http::api_keys_body(&keys)))
}

#[utoipa::path(delete, path = "/admin/api-keys/{key_id}", tag = "api-keys", security(("bearer" = [])),
    params(("key_id" = String, Path, description = "the key's `id` (24 hexadecimal digits)")),
    description = "Revoke one of the organization's API keys: it stops verifying at once. `revoked` is false when it is no live key of the organization (another organization's key is left alone). 400 `INVALID_INPUT` on `key_id` for an id that is not one. An admin's token only (403 `FORBIDDEN` for an API key).",
    responses((status = 200, body = Revoked), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "an API key, or the organization is suspended", body = ErrorBody)))]
async fn revoke_api_key(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    key_id: Result<Path<String>, PathRejection>,
) -> Result<Json<Revoked>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    // A path segment that does not even decode is no key id either.
    let key_id = key_id.map(|Path(id)| id).unwrap_or_default();
    let key_id = tenantry::http::api_key_id(&key_id)?;
    Ok(Json(Revoked {
        revoked: m.revoke_api_key(&claims, key_id).await?,
    }))
}

#[utoipa::path(get, path = "/auth/whoami", tag = "api-keys", security(("bearer" = [])),
    description = "Who a bearer credential, an access token or an API key, speaks for: its admin and organization, and for an API key its id and scopes. 401 for a bad, revoked or expired one; 403 `TENANT_SUSPENDED` while the organization is suspended.",
    responses((status = 200, body = WhoAmI), (status = 401, body = ErrorBody),
              (status = 403, description = "the organization is suspended", body = ErrorBody)))]
async fn whoami(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    Ok(Json(tenantry::http::claims_body(&claims)))
}

/// A member of the organization (`tenantry::http::member_body`).
#[derive(Serialize, ToSchema)]
pub struct Member {
    /// Its id: the `admin_id` of its tokens, for `/admin/members/{member_id}`.
    id: String,
    email: String,
    /// `owner`, `admin` or `member`.
    #[schema(example = "admin")]
    role: String,
    /// Whether it is the organization's first admin (the one of `POST /org/create`): it
    /// cannot be removed, only demoted.
    first_admin: bool,
    /// When it joined.
    created_at: DateTime<Utc>,
}

/// `GET /admin/members` answer: the first admin first, then the others as they joined.
#[derive(Serialize, ToSchema)]
pub struct MemberList {
    members: Vec<Member>,
}

/// `PATCH /admin/members/{member_id}` body. Documentation only: the body is read by the
/// core (`tenantry::http::member_role`).
#[derive(ToSchema)]
#[allow(dead_code)] // the OpenAPI document's only
pub struct MemberRole {
    /// `owner`, `admin` or `member`.
    #[schema(example = "admin")]
    role: String,
}

/// `DELETE /admin/members/{member_id}` answer: whether the organization had the member.
#[derive(Serialize, ToSchema)]
pub struct Removed {
    removed: bool,
}

/// `POST /admin/invitations` body. Documentation only: the body is read by the core
/// (`tenantry::http::new_invitation`).
#[derive(ToSchema)]
#[allow(dead_code)] // the OpenAPI document's only
pub struct NewInvitation {
    /// The email invited (not a member of the organization yet).
    #[schema(example = "colleague@acme.com")]
    email: String,
    /// The role the member will have: `owner` (an owner's token only), `admin` or `member`.
    #[schema(example = "member")]
    role: String,
    /// When the invitation stops working (RFC 3339, in the future, at most 30 days away);
    /// 7 days from now when left out or null.
    #[schema(example = "2030-01-01T00:00:00Z")]
    expires_at: Option<DateTime<Utc>>,
}

/// A pending invitation as listed (`tenantry::http::invitation_body`): never its token.
#[derive(Serialize, ToSchema)]
pub struct InvitationEntry {
    /// Its id, for `DELETE /admin/invitations/{invitation_id}`.
    id: String,
    /// `tni_<id>`: how its token begins.
    prefix: String,
    email: String,
    /// The role the member will have.
    #[schema(example = "member")]
    role: String,
    /// The id of the member who invited.
    invited_by: String,
    created_at: DateTime<Utc>,
    /// When it stops working.
    expires_at: DateTime<Utc>,
}

/// `POST /admin/invitations` answer (`tenantry::http::created_invitation_body`): the
/// invitation as it will be listed, and its token, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedInvitation {
    /// `tni_<id>_<secret>`, for the invitee's `POST /auth/accept-invitation`: only its
    /// digest is stored, it cannot be shown again. Works once.
    token: String,
    id: String,
    prefix: String,
    email: String,
    #[schema(example = "member")]
    role: String,
    invited_by: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// `GET /admin/invitations` answer: the pending invitations (neither accepted, revoked nor
/// expired), oldest first (`tenantry::http::invitations_body`).
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    invitations: Vec<InvitationEntry>,
}

/// `POST /auth/accept-invitation` body. Documentation only: the body is read by the core
/// (`tenantry::http::accepted_invitation`).
#[derive(ToSchema)]
#[allow(dead_code)] // the OpenAPI document's only
pub struct AcceptInvitation {
    /// The invitation's token (`tni_<id>_<secret>`).
    token: String,
    /// The new member's password.
    #[schema(example = "securepassword123")]
    password: String,
}

/// A path id that does not even decode is no id either: an empty one, refused by the core.
fn path_segment(segment: Result<Path<String>, PathRejection>) -> String {
    segment.map(|Path(id)| id).unwrap_or_default()
}

#[utoipa::path(get, path = "/admin/members", tag = "members", security(("bearer" = [])),
    description = "The organization's members: its first admin first, then the others as they joined. Any member's token (403 `FORBIDDEN` for an API key).",
    responses((status = 200, body = MemberList), (status = 401, body = ErrorBody),
              (status = 403, description = "an API key, or the organization is suspended", body = ErrorBody)))]
async fn list_members(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    let members = m.members(&claims).await?;
    Ok(Json(tenantry::http::members_body(&members)))
}

#[utoipa::path(patch, path = "/admin/members/{member_id}", tag = "members", request_body = MemberRole, security(("bearer" = [])),
    params(("member_id" = String, Path, description = "the member's `id` (24 hexadecimal digits)")),
    description = "Change a member's role. An owner's or admin's token; only an owner makes an owner or changes an owner's role (403 `FORBIDDEN`). 409 `LAST_OWNER` when it would leave the organization without an owner (of two owners demoting each other at once, one is refused). 404 when the organization has no such member; 400 `INVALID_INPUT` on `member_id` for an id that is not one, or for a bad body.",
    responses((status = 200, body = Member), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "a role that may not, an API key, or the organization is suspended", body = ErrorBody),
              (status = 404, description = "no such member", body = ErrorBody),
              (status = 409, description = "the last owner", body = ErrorBody)))]
async fn set_member_role(
    State(m): State<TenantManager>,
    // In this order: the header's presence, the body, the credential, the id.
    Bearer(token): Bearer,
    member_id: Result<Path<String>, PathRejection>,
    RawBody(body): RawBody,
) -> Result<Json<serde_json::Value>, ApiError> {
    let role = tenantry::http::member_role(&body).map_err(ApiError::Schema)?;
    let claims = m.verify_credential(&token).await?;
    let member_id = tenantry::http::member_id(&path_segment(member_id))?;
    match m.set_member_role(&claims, member_id, role).await? {
        Some(member) => Ok(Json(tenantry::http::member_body(&member))),
        None => Err(ApiError::Http("NOT_FOUND")),
    }
}

#[utoipa::path(delete, path = "/admin/members/{member_id}", tag = "members", security(("bearer" = [])),
    params(("member_id" = String, Path, description = "the member's `id` (24 hexadecimal digits)")),
    description = "Remove a member: its sessions end and its tokens stop verifying. `removed` is false when the organization has no such member. An owner's or admin's token; only an owner removes an owner, and the first admin cannot be removed, only demoted (403 `FORBIDDEN`); 409 `LAST_OWNER` for the last owner. 400 `INVALID_INPUT` on `member_id` for an id that is not one.",
    responses((status = 200, body = Removed), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "a role that may not, the first admin, an API key, or the organization is suspended", body = ErrorBody),
              (status = 409, description = "the last owner", body = ErrorBody)))]
async fn remove_member(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    member_id: Result<Path<String>, PathRejection>,
) -> Result<Json<Removed>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    let member_id = tenantry::http::member_id(&path_segment(member_id))?;
    Ok(Json(Removed {
        removed: m.remove_member(&claims, member_id).await?,
    }))
}

#[utoipa::path(post, path = "/admin/invitations", tag = "members", request_body = NewInvitation, security(("bearer" = [])),
    description = "Invite an email into the organization with a role: the token (`tni_...`, for `POST /auth/accept-invitation`) is in this answer only; its digest is stored. An owner's or admin's token; only an owner invites an owner (403 `FORBIDDEN`). 400 for a bad body, email or expiry, and `TENANT_ALREADY_EXISTS` on `email` for a member's email; 409 when the organization holds 100 pending invitations.",
    responses((status = 201, body = CreatedInvitation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "a role that may not, an API key, or the organization is suspended", body = ErrorBody),
              (status = 409, description = "the organization holds the most pending invitations it may", body = ErrorBody)))]
async fn invite_member(
    State(m): State<TenantManager>,
    // In this order: the header's presence, the body, then the credential itself.
    Bearer(token): Bearer,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let new = tenantry::http::new_invitation(&body).map_err(ApiError::Schema)?;
    let claims = m.verify_credential(&token).await?;
    let invitation = m.invite_member(&claims, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(tenantry::http::created_invitation_body(&invitation)),
    ))
}

#[utoipa::path(get, path = "/admin/invitations", tag = "members", security(("bearer" = [])),
    description = "The organization's pending invitations (neither accepted, revoked nor expired), oldest first, without their tokens. An owner's or admin's token (403 `FORBIDDEN` otherwise).",
    responses((status = 200, body = InvitationList), (status = 401, body = ErrorBody),
              (status = 403, description = "a role that may not, an API key, or the organization is suspended", body = ErrorBody)))]
async fn list_invitations(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
) -> Result<Json<serde_json::Value>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    let invitations = m.invitations(&claims).await?;
    Ok(Json(tenantry::http::invitations_body(&invitations)))
}

#[utoipa::path(delete, path = "/admin/invitations/{invitation_id}", tag = "members", security(("bearer" = [])),
    params(("invitation_id" = String, Path, description = "the invitation's `id` (24 hexadecimal digits)")),
    description = "Revoke a pending invitation: its token stops working at once. `revoked` is false when the organization has no pending invitation by this id. An owner's or admin's token (403 `FORBIDDEN` otherwise); 400 `INVALID_INPUT` on `invitation_id` for an id that is not one.",
    responses((status = 200, body = Revoked), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, description = "a role that may not, an API key, or the organization is suspended", body = ErrorBody)))]
async fn revoke_invitation(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    invitation_id: Result<Path<String>, PathRejection>,
) -> Result<Json<Revoked>, ApiError> {
    let claims = m.verify_credential(&token).await?;
    let invitation_id = tenantry::http::invitation_id(&path_segment(invitation_id))?;
    Ok(Json(Revoked {
        revoked: m.revoke_invitation(&claims, invitation_id).await?,
    }))
}

#[utoipa::path(post, path = "/auth/accept-invitation", tag = "members", request_body = AcceptInvitation,
    description = "Accept an invitation (no authorization: the invitee has no account yet): its email joins the organization with its role and this password, and logs in like any member (`organization_name` names the organization for an email that is a member of several). 401 `UNAUTHORIZED` for an unknown, used, expired or revoked token (of two racing accepts, exactly one joins); 400 `INVALID_INPUT` on `password` for a weak one.",
    responses((status = 201, body = Member), (status = 400, body = ErrorBody),
              (status = 401, description = "a bad, used, expired or revoked invitation", body = ErrorBody),
              (status = 403, description = "the organization is suspended", body = ErrorBody)))]
async fn accept_invitation(
    State(m): State<TenantManager>,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let (token, password) = tenantry::http::accepted_invitation(&body).map_err(ApiError::Schema)?;
    let member = m.accept_invitation(&token, &password).await?;
    Ok((
        StatusCode::CREATED,
        Json(tenantry::http::member_body(&member)),
    ))
}

#[utoipa::path(put, path = "/org/update", tag = "organizations", request_body = UpdateOrg, security(("bearer" = [])),
    responses((status = 200, body = Org), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    JsonBody(body): JsonBody<UpdateOrg>,
) -> Result<Json<Org>, ApiError> {
    let claims = m.verify_token(&token).await?;
    m.check_tenant_name(&claims, &body.organization_name)?;
    let mut update = TenantUpdate::new()
        .admin_email(body.email)
        .admin_password(body.password);
    update.new_name = body.new_organization_name;
    Ok(Json(m.update_tenant(&claims, update).await?.into()))
}

#[utoipa::path(delete, path = "/org/delete", tag = "organizations", security(("bearer" = [])),
    params(("organization_name" = String, Query, description = "the organization's name")),
    responses((status = 200, body = Message), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn delete_org(
    State(m): State<TenantManager>,
    Bearer(token): Bearer,
    OrgNameParam(name): OrgNameParam,
) -> Result<Json<Message>, ApiError> {
    let claims = m.verify_token(&token).await?;
    m.check_tenant_name(&claims, &name)?;
    m.delete_tenant(&claims).await?;
    Ok(Json(Message {
        message: "Organization deleted successfully",
    }))
}

#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, description = "the database cannot be reached", body = ErrorBody)))]
async fn health(State(m): State<TenantManager>) -> Result<Json<Health>, ApiError> {
    m.ping().await?;
    Ok(Json(Health { status: "healthy" }))
}

async fn not_found() -> ApiError {
    ApiError::Http("NOT_FOUND")
}

/// 405 with the methods each path takes, as the other servers answer it.
pub fn allowed(
    methods: &'static [&'static str],
) -> impl Fn() -> std::future::Ready<ApiError> + Clone {
    move || std::future::ready(ApiError::MethodNotAllowed(methods))
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Organization Management Service", description = "Multi-tenant organization management on tenantry."),
    paths(create_org, get_org, login, update_org, delete_org, health, move_org, list_orgs, count_orgs, restore_org, purge_org, audit_log, audit_verify, export_org, import_org, migrate, suspend_org, resume_org, session_login, session_refresh, list_sessions, logout, logout_all, jwks, signing_keys, rotate_signing_key, create_api_key, list_api_keys, revoke_api_key, whoami, list_members, set_member_role, remove_member, invite_member, list_invitations, revoke_invitation, accept_invitation),
    components(schemas(CreateOrg, Login, UpdateOrg, Org, LoginOut, Message, Health, ErrorBody, MoveOrg, Placement, OrgName, ListedOrg, OrgPage, OrgCount, AuditPageBody, AuditEntryBody, VerificationBody, MigrateReport, MigrationFailure, SuspendOrg, Refresh, Logout, SessionOut, SessionItem, SessionList, Ended, EndedCount, Jwk, Jwks, SigningKey, SigningKeyList, NewApiKey, ApiKeyEntry, CreatedApiKey, ApiKeyList, Revoked, WhoAmI, Member, MemberList, MemberRole, Removed, NewInvitation, InvitationEntry, CreatedInvitation, InvitationList, AcceptInvitation)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

/// The whole application.
pub fn router(manager: TenantManager) -> Router {
    Router::new()
        .route("/org/create", post(create_org).fallback(allowed(&["POST"])))
        .route("/org/get", get(get_org).fallback(allowed(&["GET"])))
        .route("/admin/login", post(login).fallback(allowed(&["POST"])))
        .route("/org/update", put(update_org).fallback(allowed(&["PUT"])))
        .route(
            "/org/delete",
            delete(delete_org).fallback(allowed(&["DELETE"])),
        )
        .route("/health", get(health).fallback(allowed(&["GET"])))
        .route("/admin/move", post(move_org).fallback(allowed(&["POST"])))
        .route("/admin/tenants", get(list_orgs).fallback(allowed(&["GET"])))
        .route(
            "/admin/tenants/count",
            get(count_orgs).fallback(allowed(&["GET"])),
        )
        .route(
            "/admin/restore",
            post(restore_org).fallback(allowed(&["POST"])),
        )
        .route("/admin/purge", post(purge_org).fallback(allowed(&["POST"])))
        .route("/admin/migrate", post(migrate).fallback(allowed(&["POST"])))
        .route(
            "/admin/suspend",
            post(suspend_org).fallback(allowed(&["POST"])),
        )
        .route(
            "/admin/resume",
            post(resume_org).fallback(allowed(&["POST"])),
        )
        .route(
            "/auth/login",
            post(session_login).fallback(allowed(&["POST"])),
        )
        .route(
            "/auth/refresh",
            post(session_refresh).fallback(allowed(&["POST"])),
        )
        .route(
            "/auth/sessions",
            get(list_sessions).fallback(allowed(&["GET"])),
        )
        .route("/auth/logout", post(logout).fallback(allowed(&["POST"])))
        .route(
            "/auth/logout-all",
            post(logout_all).fallback(allowed(&["POST"])),
        )
        .route(
            "/.well-known/jwks.json",
            get(jwks).fallback(allowed(&["GET"])),
        )
        .route("/admin/keys", get(signing_keys).fallback(allowed(&["GET"])))
        .route(
            "/admin/keys/rotate",
            post(rotate_signing_key).fallback(allowed(&["POST"])),
        )
        .route(
            "/admin/api-keys",
            get(list_api_keys)
                .post(create_api_key)
                .fallback(allowed(&["GET", "POST"])),
        )
        .route(
            "/admin/api-keys/{key_id}",
            delete(revoke_api_key).fallback(allowed(&["DELETE"])),
        )
        .route("/auth/whoami", get(whoami).fallback(allowed(&["GET"])))
        .route(
            "/admin/members",
            get(list_members).fallback(allowed(&["GET"])),
        )
        .route(
            "/admin/members/{member_id}",
            patch(set_member_role)
                .delete(remove_member)
                .fallback(allowed(&["PATCH", "DELETE"])),
        )
        .route(
            "/admin/invitations",
            get(list_invitations)
                .post(invite_member)
                .fallback(allowed(&["GET", "POST"])),
        )
        .route(
            "/admin/invitations/{invitation_id}",
            delete(revoke_invitation).fallback(allowed(&["DELETE"])),
        )
        .route(
            "/auth/accept-invitation",
            post(accept_invitation).fallback(allowed(&["POST"])),
        )
        .route("/admin/audit", get(audit_log).fallback(allowed(&["GET"])))
        .route(
            "/admin/audit/verify",
            get(audit_verify).fallback(allowed(&["GET"])),
        )
        .route("/admin/export", get(export_org).fallback(allowed(&["GET"])))
        .route(
            "/admin/import",
            post(import_org)
                .layer(axum::extract::DefaultBodyLimit::max(IMPORT_LIMIT))
                .fallback(allowed(&["POST"])),
        )
        .route(
            "/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }).fallback(allowed(&["GET"])),
        )
        .merge(crate::docs::router())
        .fallback(not_found)
        .with_state(manager)
}
