//! What the commands print: text for people, or one JSON document (`--json`) for scripts,
//! and the exit status of each error code.

use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use tenantry::{
    ArchiveManifest, AuditPage, AuditVerification, Error, MoveProgress, RecoveryReport, Tenant,
    TenantPage,
};

/// The exit status of a failure with error `code`: 10 plus its place in
/// [`Error::CODES`] (`TENANT_NOT_FOUND` 10, `TENANT_ALREADY_EXISTS` 11, `INVALID_INPUT` 12,
/// ...), 1 for a code this version does not know. Usage errors exit with 2 (clap's).
pub fn exit_status(code: &str) -> u8 {
    Error::CODES
        .iter()
        .position(|c| *c == code)
        .and_then(|i| u8::try_from(10 + i).ok())
        .unwrap_or(1)
}

/// Where a command's results go.
pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Out { json }
    }

    /// Print `err` on stderr; its exit status.
    pub fn fail(&self, err: &Error) -> ExitCode {
        if self.json {
            let body =
                json!({ "code": err.code(), "message": err.to_string(), "field": err.field() });
            eprintln!("{body}");
        } else {
            eprintln!("error: {}: {err}", err.code());
        }
        ExitCode::from(exit_status(err.code()))
    }

    pub fn tenant(&self, t: &Tenant) {
        if self.json {
            println!("{}", tenantry::http::tenant_body(t));
            return;
        }
        let body = tenantry::http::tenant_body(t);
        for key in [
            "organization_name",
            "organization_id",
            "state",
            "admin_email",
            "layout",
            "cluster",
            "database",
            "collection_name",
            "created_at",
            "updated_at",
            "deleted_at",
            "purge_after",
        ] {
            if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
                println!("{key:<18} {}", text(value));
            }
        }
    }

    pub fn page(&self, page: &TenantPage) {
        if self.json {
            println!("{}", tenantry::http::page_body(page));
            return;
        }
        for t in &page.tenants {
            println!(
                "{:<32} {:<8} {:<10} {:<8} {}",
                t.name,
                t.state.as_str(),
                t.layout.as_str(),
                t.cluster,
                t.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
        if let Some(next) = &page.next {
            println!("(more: --after {next})");
        }
    }

    pub fn count(&self, n: u64) {
        if self.json {
            println!("{}", json!({ "count": n }));
        } else {
            println!("{n}");
        }
    }

    pub fn purged(&self, n: usize) {
        if self.json {
            println!("{}", json!({ "purged": n }));
        } else {
            println!("purged {n} tenant(s)");
        }
    }

    pub fn message(&self, message: &str) {
        if self.json {
            println!("{}", json!({ "message": message }));
        } else {
            println!("{message}");
        }
    }

    pub fn report(&self, r: &RecoveryReport) {
        let body = serde_json::to_value(r).unwrap_or(Value::Null);
        if self.json {
            println!("{body}");
            return;
        }
        if let Value::Object(fields) = body {
            for (key, value) in fields {
                println!("{key:<20} {}", text(&value));
            }
        }
    }

    pub fn manifest(&self, manifest: &ArchiveManifest) {
        let collections: serde_json::Map<String, Value> = manifest
            .collections
            .iter()
            .map(|(name, (count, sha))| (name.clone(), json!({ "count": count, "sha256": sha })))
            .collect();
        let body = json!({ "collections": collections, "audit_entries": manifest.audit_entries });
        if self.json {
            println!("{body}");
            return;
        }
        for (name, (count, sha)) in &manifest.collections {
            println!("{name:<20} {count:>10} documents  sha256 {sha}");
        }
        println!("{:<20} {:>10} entries", "audit", manifest.audit_entries);
    }

    pub fn audit(&self, page: &AuditPage) {
        if self.json {
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
                        "detail": serde_json::to_value(&e.detail).unwrap_or(Value::Null),
                        "hash": e.hash,
                    })
                })
                .collect();
            println!("{}", json!({ "entries": entries, "next": page.next }));
            return;
        }
        for e in &page.entries {
            println!(
                "{:>6}  {}  {:<16} {:<20} {}",
                e.seq,
                e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                e.op,
                e.outcome,
                e.actor
            );
        }
        if let Some(next) = page.next {
            println!("(more: --after {next})");
        }
    }

    pub fn migrate_report(&self, r: &tenantry::MigrateReport, dry_run: bool) {
        if self.json {
            // The servers' report body (`POST /admin/migrate`), and whether it was a dry run.
            let mut body = tenantry::http::migrate_report_body(r);
            if let Some(fields) = body.as_object_mut() {
                fields.insert("dry_run".into(), dry_run.into());
            }
            println!("{body}");
            return;
        }
        let verb = if dry_run { "would apply" } else { "applied" };
        println!(
            "{} tenants: {verb} {} migrations; {} up to date, {} not started, {} failed",
            r.tenants,
            r.applied,
            r.up_to_date,
            r.not_started,
            r.failed.len()
        );
        for f in &r.failed {
            println!(
                "  {} ({}): {}: {}: {}",
                f.name,
                f.tenant_id.to_hex(),
                f.migration,
                f.code,
                f.message
            );
        }
    }

    pub fn verification(&self, v: &AuditVerification) {
        let broken = v
            .broken
            .as_ref()
            .map(|(seq, why)| json!({ "seq": seq, "reason": why }));
        if self.json {
            println!(
                "{}",
                json!({ "entries": v.entries, "intact": v.is_intact(), "broken": broken })
            );
            return;
        }
        match &v.broken {
            None => println!("intact: {} entries", v.entries),
            Some((seq, why)) => {
                println!("BROKEN at entry {seq}: {why} ({} entries read)", v.entries)
            }
        }
    }

    /// A progress bar on stderr when it is a terminal and the output is text; none
    /// otherwise (scripts and `--json` see only the result).
    pub fn progress_bar(&self) -> Option<ProgressBar> {
        let target = ProgressDrawTarget::stderr();
        if self.json || target.is_hidden() {
            return None;
        }
        let style = ProgressStyle::with_template(
            "{msg:9} [{bar:40}] {pos}/{len} docs, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(0), target).with_style(style);
        bar.enable_steady_tick(crate::TICK);
        Some(bar)
    }
}

/// Draw a move's progress report.
pub fn show_progress(bar: &ProgressBar, p: &MoveProgress) {
    bar.set_length(p.total.max(p.copied));
    bar.set_position(p.copied);
    bar.set_message(p.phase);
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
