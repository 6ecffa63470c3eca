//! `tenantry`: the operator's command line over the same core as the servers, configured by
//! the same environment (`MONGO_URI`, `MASTER_DB`, `JWT_SECRET`, ... see the README).
//!
//! Every command prints for people by default and one JSON document with `--json`; a
//! failure prints `error: <CODE>: <message>` (or `{"code", "message", "field"}` with
//! `--json`) on stderr and exits with the code's status (see [`exit_status`]): scripts can
//! tell a missing tenant from a busy one without parsing text.

mod output;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use tenantry::{
    Config, Error, Layout, MoveTarget, TenantManager, TenantOptions, TenantQuery, TenantState,
};

use output::Out;

/// Administer the tenants of a tenantry deployment.
#[derive(Parser)]
#[command(name = "tenantry", version, about)]
struct Cli {
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List tenants, a page at a time in creation order (`--all` for every page).
    List {
        #[command(flatten)]
        filters: Filters,
        /// Tenants per page (1 to 1000).
        #[arg(long)]
        limit: Option<usize>,
        /// The page after this cursor (the `next` a page printed).
        #[arg(long)]
        after: Option<String>,
        /// Every page, one after another.
        #[arg(long)]
        all: bool,
    },
    /// Count the tenants matching the filters.
    Count {
        #[command(flatten)]
        filters: Filters,
    },
    /// Show one tenant.
    Show {
        /// The tenant's name (any spelling with the same normalized key).
        name: String,
    },
    /// Create a tenant with its admin; the password is read from stdin (one line) or from
    /// TENANTRY_ADMIN_PASSWORD.
    Create {
        name: String,
        /// The admin's email.
        #[arg(long)]
        email: String,
        /// `collection`, `database` or `shared` (the configured default when absent).
        #[arg(long)]
        layout: Option<Layout>,
        /// The cluster to place it on.
        #[arg(long)]
        cluster: Option<String>,
    },
    /// Rename a tenant (its data follows, as with its admin's rename).
    Rename { name: String, new_name: String },
    /// Delete a tenant: softly when a deleted retention is configured, for good otherwise.
    Delete {
        name: String,
        /// Confirm: nothing is deleted without it.
        #[arg(long)]
        yes: bool,
    },
    /// Bring back a softly deleted tenant, within its retention.
    Restore { name: String },
    /// Remove a softly deleted tenant now: its data, admins and record.
    Purge {
        name: String,
        /// Confirm: nothing is purged without it.
        #[arg(long)]
        yes: bool,
    },
    /// Purge every softly deleted tenant whose retention has passed.
    PurgeExpired,
    /// Move a tenant's data to another layout and/or cluster, online, with a progress bar.
    Move {
        name: String,
        #[arg(long)]
        layout: Option<Layout>,
        #[arg(long)]
        cluster: Option<String>,
    },
    /// Finish or undo interrupted operations, sweep what is left over, purge expired
    /// deletes; print the report.
    Recover,
    /// Write a tenant to one archive file (`-`: stdout), with a progress bar.
    Export {
        name: String,
        /// The archive to write.
        #[arg(long, short)]
        out: String,
    },
    /// Import a tenant from an archive file (`-`: stdin), with a progress bar.
    Import {
        /// The archive to read.
        file: String,
        /// Import under this name (the archive's otherwise).
        #[arg(long)]
        name: Option<String>,
        /// The admin's email (the archive's otherwise).
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        layout: Option<Layout>,
        #[arg(long)]
        cluster: Option<String>,
    },
    /// A tenant's audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Apply the migrations of a schema file (declarative kinds, JSON) that each tenant
    /// lacks, with a progress bar; exit status 1 when a tenant failed.
    Migrate {
        /// The schema (see `Schema::from_json`).
        #[arg(long)]
        schema: String,
        /// Tenants migrated at once.
        #[arg(long, default_value_t = 4)]
        parallelism: usize,
        /// Say what would run; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Start no tenant after a failure.
        #[arg(long)]
        stop_on_failure: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// List a tenant's audit entries, in order.
    List {
        /// The tenant: its name, or its id (a purged tenant's log stays, by id).
        tenant: String,
        /// Only entries of this operation.
        #[arg(long)]
        op: Option<String>,
        /// Entries per page (1 to 1000).
        #[arg(long)]
        limit: Option<usize>,
        /// Entries after this sequence number.
        #[arg(long)]
        after: Option<i64>,
    },
    /// Check a tenant's hash chain: exit status 0 when whole, 1 when broken.
    Verify {
        /// The tenant: its name, or its id.
        tenant: String,
    },
}

/// The filters of `list` and `count`.
#[derive(Args)]
struct Filters {
    /// `active` or `deleted`.
    #[arg(long)]
    state: Option<TenantState>,
    /// `collection`, `database` or `shared`.
    #[arg(long)]
    layout: Option<Layout>,
    /// A configured cluster's name.
    #[arg(long)]
    cluster: Option<String>,
    /// Names starting with this (case and spacing folded).
    #[arg(long)]
    prefix: Option<String>,
    /// Created at or after this RFC 3339 time.
    #[arg(long)]
    created_after: Option<DateTime<Utc>>,
    /// Created before this RFC 3339 time.
    #[arg(long)]
    created_before: Option<DateTime<Utc>>,
}

impl Filters {
    fn query(&self) -> TenantQuery {
        let mut q = TenantQuery::new();
        q.state = self.state;
        q.layout = self.layout;
        q.cluster.clone_from(&self.cluster);
        q.name_prefix.clone_from(&self.prefix);
        q.created_after = self.created_after;
        q.created_before = self.created_before;
        q
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out::new(cli.json);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return out.fail(&Error::Internal(e.to_string())),
    };
    match runtime.block_on(run(cli.command, &out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Internal(m)) if m == BROKEN || m == FAILED_TENANTS => ExitCode::from(1),
        Err(e) => out.fail(&e),
    }
}

async fn run(command: Command, out: &Out) -> Result<(), Error> {
    let manager = TenantManager::connect(Config::from_env()?).await?;
    let result = dispatch(command, &manager, out).await;
    manager.close().await;
    result
}

async fn dispatch(command: Command, m: &TenantManager, out: &Out) -> Result<(), Error> {
    match command {
        Command::List {
            filters,
            limit,
            after,
            all,
        } => {
            let mut query = filters.query();
            query.limit = limit;
            query.after = after;
            loop {
                let page = m.list_tenants(&query).await?;
                out.page(&page);
                match (&page.next, all) {
                    (Some(next), true) => query.after = Some(next.clone()),
                    _ => return Ok(()),
                }
            }
        }
        Command::Count { filters } => {
            out.count(m.count_tenants(&filters.query()).await?);
            Ok(())
        }
        Command::Show { name } => {
            out.tenant(&m.get_tenant(&name).await?);
            Ok(())
        }
        Command::Create {
            name,
            email,
            layout,
            cluster,
        } => {
            let password = password()?;
            let mut options = TenantOptions::new();
            options.layout = layout;
            options.cluster = cluster;
            out.tenant(
                &m.create_tenant_with(&name, &email, &password, options)
                    .await?,
            );
            Ok(())
        }
        Command::Rename { name, new_name } => {
            out.tenant(&m.admin_rename_tenant(&name, &new_name).await?);
            Ok(())
        }
        Command::Delete { name, yes } => {
            if !yes {
                return Err(Error::InvalidInput {
                    field: "yes",
                    message: "confirm the delete with --yes".into(),
                });
            }
            m.admin_delete_tenant(&name).await?;
            out.message(&format!("deleted '{name}'"));
            Ok(())
        }
        Command::Restore { name } => {
            out.tenant(&m.restore_tenant(&name).await?);
            Ok(())
        }
        Command::Purge { name, yes } => {
            if !yes {
                return Err(Error::InvalidInput {
                    field: "yes",
                    message: "a purge removes the tenant's data for good: confirm with --yes"
                        .into(),
                });
            }
            m.purge_tenant(&name).await?;
            out.message(&format!("purged '{name}'"));
            Ok(())
        }
        Command::PurgeExpired => {
            let n = m.purge_expired().await?;
            out.purged(n);
            Ok(())
        }
        Command::Move {
            name,
            layout,
            cluster,
        } => {
            let mut target = MoveTarget::new();
            target.layout = layout;
            target.cluster = cluster;
            let bar = out.progress_bar();
            let shown = bar.clone();
            let moved = m
                .move_tenant_with_progress(&name, target, move |p| {
                    if let Some(bar) = &shown {
                        output::show_progress(bar, p);
                    }
                })
                .await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            out.tenant(&moved?);
            Ok(())
        }
        Command::Recover => {
            out.report(&m.recover().await?);
            Ok(())
        }
        Command::Export { name, out: path } => {
            let bar = out.progress_bar();
            let shown = bar.clone();
            let show = move |p: &tenantry::MoveProgress| {
                if let Some(bar) = &shown {
                    output::show_progress(bar, p);
                }
            };
            let manifest = if path == "-" {
                let mut stdout = tokio::io::stdout();
                m.export_tenant_with_progress(&name, &mut stdout, show)
                    .await
            } else {
                let mut file =
                    tokio::fs::File::create(&path)
                        .await
                        .map_err(|e| Error::InvalidInput {
                            field: "out",
                            message: format!("cannot be created: {e}"),
                        })?;
                let written = m.export_tenant_with_progress(&name, &mut file, show).await;
                if written.is_err() {
                    let _ = tokio::fs::remove_file(&path).await;
                }
                written
            };
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let manifest = manifest?;
            if path != "-" {
                out.manifest(&manifest);
            }
            Ok(())
        }
        Command::Import {
            file,
            name,
            email,
            layout,
            cluster,
        } => {
            let mut options = tenantry::ImportOptions::new();
            options.name = name;
            options.admin_email = email;
            options.layout = layout;
            options.cluster = cluster;
            let bar = out.progress_bar();
            let shown = bar.clone();
            let show = move |p: &tenantry::MoveProgress| {
                if let Some(bar) = &shown {
                    output::show_progress(bar, p);
                }
            };
            let imported = if file == "-" {
                let mut stdin = tokio::io::stdin();
                m.import_tenant_with_progress(&mut stdin, options, show)
                    .await
            } else {
                let mut input =
                    tokio::fs::File::open(&file)
                        .await
                        .map_err(|e| Error::InvalidInput {
                            field: "file",
                            message: format!("cannot be opened: {e}"),
                        })?;
                m.import_tenant_with_progress(&mut input, options, show)
                    .await
            };
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            out.tenant(&imported?.0);
            Ok(())
        }
        Command::Migrate {
            schema,
            parallelism,
            dry_run,
            stop_on_failure,
        } => {
            let text = std::fs::read_to_string(&schema).map_err(|e| Error::InvalidInput {
                field: "schema",
                message: format!("cannot be read: {e}"),
            })?;
            m.set_schema(tenantry::Schema::from_json(&text)?)?;
            let mut options = tenantry::MigrateOptions::new().parallelism(parallelism);
            options.dry_run = dry_run;
            options.stop_on_failure = stop_on_failure;
            let bar = out.progress_bar();
            if let Some(bar) = bar.clone() {
                bar.set_message("migrate");
                options = options.progress(move |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                });
            }
            let report = m.migrate(options).await;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let report = report?;
            out.migrate_report(&report, dry_run);
            if report.failed.is_empty() {
                Ok(())
            } else {
                Err(Error::Internal(FAILED_TENANTS.into()))
            }
        }
        Command::Audit(AuditCommand::List {
            tenant,
            op,
            limit,
            after,
        }) => {
            let id = tenant_id(m, &tenant).await?;
            let mut query = tenantry::AuditQuery::new();
            query.op = op;
            query.limit = limit;
            query.after = after;
            out.audit(&m.audit_log(id, &query).await?);
            Ok(())
        }
        Command::Audit(AuditCommand::Verify { tenant }) => {
            let id = tenant_id(m, &tenant).await?;
            let verified = m.verify_audit(id).await?;
            out.verification(&verified);
            if verified.is_intact() {
                Ok(())
            } else {
                Err(Error::Internal(BROKEN.into()))
            }
        }
    }
}

/// What `audit verify` fails with when the chain is broken (its own exit status, 1).
const BROKEN: &str = "the audit chain is broken";
/// What `migrate` fails with when a tenant failed (exit status 1, the report printed).
const FAILED_TENANTS: &str = "some tenants failed to migrate";

/// A tenant given by name, or by id (a purged tenant's log is reached by its id).
async fn tenant_id(
    m: &TenantManager,
    tenant: &str,
) -> Result<tenantry::mongodb::bson::oid::ObjectId, Error> {
    if let Ok(id) = tenantry::mongodb::bson::oid::ObjectId::parse_str(tenant.trim()) {
        return Ok(id);
    }
    Ok(m.get_tenant(tenant).await?.id)
}

/// The admin's password: `TENANTRY_ADMIN_PASSWORD`, or one line of stdin (never an
/// argument, which other users of the machine could read).
fn password() -> Result<String, Error> {
    if let Ok(p) = std::env::var("TENANTRY_ADMIN_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("admin password: ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .take(4096)
        .read_to_string(&mut line)
        .map_err(|e| Error::InvalidInput {
            field: "password",
            message: format!("cannot be read from stdin: {e}"),
        })?;
    let line = line.lines().next().unwrap_or("").to_owned();
    if line.is_empty() {
        return Err(Error::InvalidInput {
            field: "password",
            message: "give it on stdin or in TENANTRY_ADMIN_PASSWORD".into(),
        });
    }
    Ok(line)
}

/// How long a progress bar waits between redraws at most.
pub(crate) const TICK: Duration = Duration::from_millis(120);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::exit_status;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_error_code_has_its_own_exit_status() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Error::CODES {
            let status = exit_status(code);
            assert!(status >= 10, "{code}");
            assert!(seen.insert(status), "{code} shares {status}");
        }
    }
}
