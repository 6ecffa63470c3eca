//! The `tenantry` command line end to end, against the test server: each command's text
//! and `--json` output, exit statuses by error code, the password never taken from an
//! argument, and the progress bar of a move drawn in a terminal (a pseudo-terminal made by
//! `script`) and absent from piped or JSON output.

use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{Config, TenantManager, DEFAULT_COLLECTION};

const SECRET: &str = "cli-suite-secret-0123456789abcdef";
const PASSWORD: &str = "cli-password-123";

fn mongo_uri() -> String {
    std::env::var("MONGODB_URI")
        .or_else(|_| std::env::var("MONGO_URI"))
        .expect("MONGODB_URI must point at a MongoDB-wire server; `make test` starts one")
}

/// A database of its own for each test.
fn database() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "tenantry_cli_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

struct Cli {
    db: String,
}

impl Cli {
    fn new() -> Self {
        Cli { db: database() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tenantry"));
        c.args(args)
            .env("MONGO_URI", mongo_uri())
            .env("MASTER_DB", &self.db)
            .env("JWT_SECRET", SECRET)
            .env("BCRYPT_COST", "4")
            .env("DELETED_RETENTION_SECONDS", "3600")
            .env_remove("TENANTRY_ADMIN_PASSWORD")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Run, expecting success; stdout as JSON.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)))
    }

    fn create(&self, name: &str, email: &str, extra: &[&str]) -> Output {
        let mut args = vec!["--json", "create", name, "--email", email];
        args.extend(extra);
        self.command(&args)
            .env("TENANTRY_ADMIN_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    }

    async fn manager(&self) -> TenantManager {
        let config = Config::builder(mongo_uri(), SECRET)
            .master_db(&self.db)
            .bcrypt_cost(4)
            .deleted_retention(Duration::from_secs(3600))
            .cache_capacity(0)
            .build()
            .unwrap();
        TenantManager::connect(config).await.unwrap()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let db = self.db.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                if let Ok(client) = tenantry::mongodb::Client::with_uri_str(mongo_uri()).await {
                    // The databases of its tenants in the `database` layout go with it.
                    let orgs = client.database(&db).collection::<Document>("organizations");
                    if let Ok(cursor) = orgs.find(doc! {}).await {
                        use futures_util::TryStreamExt;
                        let records: Vec<Document> = cursor.try_collect().await.unwrap_or_default();
                        for org in records {
                            if let Ok(id) = org.get_object_id("_id") {
                                let _ = client
                                    .database(&format!("tenant_{}", id.to_hex()))
                                    .drop()
                                    .await;
                            }
                        }
                    }
                    let _ = client.database(&db).drop().await;
                }
            });
        })
        .join();
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("exited")
}

#[tokio::test]
async fn every_command_prints_text_or_json_and_fails_with_its_code() {
    let cli = Cli::new();
    // Create: the password from the environment, never from an argument.
    let out = cli.create("Cli Co", "admin@cli.io", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["organization_name"], "Cli Co");
    assert_eq!(
        (created["state"].as_str(), created["layout"].as_str()),
        (Some("active"), Some("collection"))
    );
    // Or from stdin, one line.
    let mut child = cli
        .command(&[
            "--json",
            "create",
            "Piped Co",
            "--email",
            "piped@cli.io",
            "--layout",
            "shared",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let m = cli.manager().await;
    m.authenticate("piped@cli.io", PASSWORD)
        .await
        .expect("the piped password");
    // No password at all: typed, and nothing written.
    let out = cli.run(&["create", "Nopass Co", "--email", "nopass@cli.io"]);
    assert_eq!(status(&out), 12, "INVALID_INPUT: {}", text(&out.stderr));
    assert!(text(&out.stderr).starts_with("error: INVALID_INPUT:"));
    assert!(m.get_tenant("Nopass Co").await.is_err());
    // Taken: TENANT_ALREADY_EXISTS, in JSON on stderr.
    let out = cli.create("CLI CO", "other@cli.io", &[]);
    assert_eq!(status(&out), 11);
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(
        (err["code"].as_str(), err["field"].as_str()),
        (Some("TENANT_ALREADY_EXISTS"), Some("name"))
    );
    // Show, as text and JSON.
    let out = cli.run(&["show", "cli co"]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("organization_name  Cli Co"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(cli.json(&["--json", "show", "Cli Co"]), created);
    let out = cli.run(&["show", "Nobody"]);
    assert_eq!(status(&out), 10, "TENANT_NOT_FOUND");
    // List, a page at a time or all of them, and count.
    for i in 0..3 {
        assert!(cli
            .create(&format!("Many {i}"), &format!("many{i}@cli.io"), &[])
            .status
            .success());
    }
    let page = cli.json(&["--json", "list", "--prefix", "many", "--limit", "2"]);
    assert_eq!(page["tenants"].as_array().unwrap().len(), 2);
    let next = page["next"].as_str().unwrap();
    let rest = cli.json(&[
        "--json", "list", "--prefix", "many", "--limit", "2", "--after", next,
    ]);
    assert_eq!(rest["tenants"][0]["organization_name"], "Many 2");
    assert!(rest["next"].is_null());
    let out = cli.run(&["--json", "list", "--limit", "1", "--all"]);
    let pages: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pages.len(), 5, "one JSON document per page");
    let out = cli.run(&["list", "--prefix", "many"]);
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[0].starts_with("Many 0") && lines[0].contains("active"));
    assert_eq!(
        cli.json(&["--json", "count", "--layout", "shared"])["count"],
        1
    );
    assert_eq!(cli.json(&["--json", "count"])["count"], 5);
    // Bad filters: clap refuses them (usage, 2); a bad page size is the core's INVALID_INPUT.
    assert_eq!(status(&cli.run(&["list", "--state", "gone"])), 2);
    assert_eq!(
        status(&cli.run(&["list", "--created-after", "yesterday"])),
        2
    );
    assert_eq!(status(&cli.run(&["list", "--limit", "0"])), 12);
    assert_eq!(status(&cli.run(&["list", "--after", "nope"])), 12);
    // Restore and purge a softly deleted tenant.
    let token = m.authenticate("admin@cli.io", PASSWORD).await.unwrap();
    let claims = m.verify_token(&token.access_token).await.unwrap();
    let data = m
        .admin_scope("Cli Co")
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    data.insert_many(&[doc! { "_id": 1 }, doc! { "_id": 2 }])
        .await
        .unwrap();
    m.delete_tenant(&claims).await.unwrap();
    assert_eq!(status(&cli.run(&["show", "Cli Co"])), 10);
    let deleted = cli.json(&["--json", "list", "--state", "deleted"]);
    assert_eq!(deleted["tenants"][0]["organization_name"], "Cli Co");
    let restored = cli.json(&["--json", "restore", "Cli Co"]);
    assert_eq!(restored["state"], "active");
    let again = cli.manager().await;
    let claims = again
        .verify_token(
            &again
                .authenticate("admin@cli.io", PASSWORD)
                .await
                .unwrap()
                .access_token,
        )
        .await
        .unwrap();
    again.delete_tenant(&claims).await.unwrap();
    let out = cli.run(&["purge", "Cli Co"]);
    assert_eq!(status(&out), 12, "a purge needs --yes");
    assert_eq!(
        cli.json(&["--json", "count", "--state", "deleted"])["count"],
        1
    );
    let purged = cli.json(&["--json", "purge", "Cli Co", "--yes"]);
    assert_eq!(purged["message"], "purged 'Cli Co'");
    assert_eq!(status(&cli.run(&["restore", "Cli Co"])), 10);
    assert_eq!(cli.json(&["--json", "purge-expired"])["purged"], 0);
    // Recover prints its report.
    let report = cli.json(&["--json", "recover"]);
    assert_eq!(report["completed"], 0);
    assert!(report["failed"].as_array().unwrap().is_empty());
    // No configuration: CONFIG, with its own status.
    let out = cli
        .command(&["count"])
        .env_remove("JWT_SECRET")
        .output()
        .unwrap();
    assert_eq!(status(&out), 18, "CONFIG: {}", text(&out.stderr));
}

#[tokio::test]
async fn a_move_draws_its_progress_in_a_terminal_and_only_there() {
    let cli = Cli::new();
    assert!(cli.create("Mover Co", "mover@cli.io", &[]).status.success());
    let m = cli.manager().await;
    let data = m
        .admin_scope("Mover Co")
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    let docs: Vec<Document> = (0..3000)
        .map(|i| doc! { "_id": i, "pad": "x".repeat(100) })
        .collect();
    data.insert_many(&docs).await.unwrap();
    // Piped: the result only.
    let moved = cli.json(&["--json", "move", "Mover Co", "--layout", "shared"]);
    assert_eq!(moved["layout"], "shared");
    // In a terminal (a pseudo-terminal made by `script`): the bar, then the result.
    let mut line = vec![env!("CARGO_BIN_EXE_tenantry").to_owned()];
    line.extend(["move", "Mover Co", "--layout", "database"].map(str::to_owned));
    let quoted: Vec<String> = line.iter().map(|a| format!("'{a}'")).collect();
    let out = Command::new("script")
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env("MONGO_URI", mongo_uri())
        .env("MASTER_DB", &cli.db)
        .env("JWT_SECRET", SECRET)
        .env("BCRYPT_COST", "4")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("`script` (util-linux) runs the command in a pseudo-terminal");
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("3000/3000 docs"),
        "the bar's last state: {shown:?}"
    );
    assert!(shown.contains("layout             database"), "{shown:?}");
    let where_now = m.get_tenant("Mover Co").await.unwrap();
    assert_eq!(where_now.layout, tenantry::Layout::Database);
    let scope = m.admin_scope("Mover Co").await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    assert_eq!(c.count_documents(doc! {}).await.unwrap(), 3000);
    // The tenant's own database goes with the test's.
    let _ = m.client().database(&where_now.database).drop().await;
}

#[tokio::test]
async fn export_import_and_the_audit_log_from_the_command_line() {
    let cli = Cli::new();
    assert!(cli
        .create("Archived Co", "arch@cli.io", &[])
        .status
        .success());
    let m = cli.manager().await;
    let data = m
        .admin_scope("Archived Co")
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    let docs: Vec<Document> = (0..1500)
        .map(|i| doc! { "_id": i, "v": format!("v{i}") })
        .collect();
    data.insert_many(&docs).await.unwrap();
    let dir = std::env::temp_dir().join(format!("tenantry-cli-{}", cli.db));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("archived.bson");
    let file = file.to_str().unwrap();
    let manifest = cli.json(&["--json", "export", "Archived Co", "--out", file]);
    assert_eq!(manifest["collections"]["data"]["count"], 1500);
    let imported = cli.json(&[
        "--json",
        "import",
        file,
        "--name",
        "Archived Copy",
        "--email",
        "copy@cli.io",
    ]);
    assert_eq!(imported["organization_name"], "Archived Copy");
    let scope = m.admin_scope("Archived Copy").await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    assert_eq!(c.count_documents(doc! {}).await.unwrap(), 1500);
    // A second import under the same name is refused with its code; nothing changes.
    let out = cli.run(&[
        "import",
        file,
        "--name",
        "Archived Copy",
        "--email",
        "third@cli.io",
    ]);
    assert_eq!(status(&out), 11, "{}", text(&out.stderr));
    // A damaged file: INVALID_INPUT, and nothing left under the name.
    let damaged = dir.join("damaged.bson");
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    let out = cli.run(&[
        "import",
        damaged.to_str().unwrap(),
        "--name",
        "Damaged Co",
        "--email",
        "d@cli.io",
    ]);
    assert_eq!(status(&out), 12, "{}", text(&out.stderr));
    assert_eq!(
        cli.json(&["--json", "count", "--prefix", "damaged"])["count"],
        0
    );
    // The audit log: listed, verified, and a tampered entry makes verify fail.
    let log = cli.json(&["--json", "audit", "list", "Archived Copy"]);
    assert_eq!(log["entries"][0]["op"], "import");
    let original = m.get_tenant("Archived Co").await.unwrap();
    let verified = cli.json(&["--json", "audit", "verify", &original.id.to_hex()]);
    assert_eq!(verified["intact"], true);
    m.client()
        .database(&cli.db)
        .collection::<Document>("tenant_audit")
        .update_one(
            doc! { "tenant": original.id, "seq": 1_i64 },
            doc! { "$set": { "actor": "someone else" } },
        )
        .await
        .unwrap();
    let out = cli.run(&["audit", "verify", "Archived Co"]);
    assert_eq!(status(&out), 1);
    assert!(
        text(&out.stdout).starts_with("BROKEN at entry 1"),
        "{}",
        text(&out.stdout)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn migrate_applies_a_schema_file_once_and_reports_failures() {
    let cli = Cli::new();
    for i in 0..6 {
        let layout = ["collection", "database", "shared"][i % 3];
        let out = cli.create(
            &format!("Mig {i}"),
            &format!("mig{i}@cli.io"),
            &["--layout", layout],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let m = cli.manager().await;
    for i in 0..6 {
        let c = m
            .admin_scope(&format!("Mig {i}"))
            .await
            .unwrap()
            .collection::<Document>(DEFAULT_COLLECTION)
            .unwrap();
        c.insert_one(&doc! { "_id": format!("m{i}"), "mail": format!("x{i}@x.io") })
            .await
            .unwrap();
    }
    let dir = std::env::temp_dir().join(format!("tenantry-cli-{}", cli.db));
    std::fs::create_dir_all(&dir).unwrap();
    let schema = dir.join("schema.json");
    std::fs::write(
        &schema,
        r#"{ "migrations": [
             { "id": "001", "rename_field": { "collection": "data", "from": "mail", "to": "email" } },
             { "id": "002", "set_default": { "collection": "data", "field": "plan", "value": "free" } } ] }"#,
    )
    .unwrap();
    let schema = schema.to_str().unwrap();
    let dry = cli.json(&["--json", "migrate", "--schema", schema, "--dry-run"]);
    assert_eq!(
        (dry["tenants"].as_u64(), dry["applied"].as_u64()),
        (Some(6), Some(12))
    );
    let done = cli.json(&[
        "--json",
        "migrate",
        "--schema",
        schema,
        "--parallelism",
        "3",
    ]);
    assert_eq!(
        (
            done["applied"].as_u64(),
            done["failed"].as_array().map(Vec::len)
        ),
        (Some(12), Some(0))
    );
    let again = cli.json(&["--json", "migrate", "--schema", schema]);
    assert_eq!(
        (again["applied"].as_u64(), again["up_to_date"].as_u64()),
        (Some(0), Some(6))
    );
    let c = m
        .admin_scope("Mig 2")
        .await
        .unwrap()
        .collection::<Document>(DEFAULT_COLLECTION)
        .unwrap();
    let d = c.find_one(doc! { "_id": "m2" }).await.unwrap().unwrap();
    assert_eq!(
        (d.get_str("email"), d.get_str("plan")),
        (Ok("x2@x.io"), Ok("free"))
    );
    // The same id with another content: every tenant fails, the status says so.
    std::fs::write(
        dir.join("changed.json"),
        r#"{ "migrations": [ { "id": "001", "rename_field": { "collection": "data", "from": "mail", "to": "e_mail" } } ] }"#,
    )
    .unwrap();
    let out = cli.run(&[
        "migrate",
        "--schema",
        dir.join("changed.json").to_str().unwrap(),
    ]);
    assert_eq!(status(&out), 1, "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("6 failed"),
        "{}",
        text(&out.stdout)
    );
    // A schema that does not read: INVALID_INPUT.
    std::fs::write(dir.join("bad.json"), "{ not json").unwrap();
    assert_eq!(
        status(&cli.run(&[
            "migrate",
            "--schema",
            dir.join("bad.json").to_str().unwrap()
        ])),
        12
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
