//! The database dies under running operations (SIGKILL) and comes back: calls fail fast
//! while it is down, the same manager works again once it is back (no restart of the
//! application), and after `recover()` every tenant is active or absent, never stuck.
//!
//! This test starts and kills its own `secantusd-rs` (it needs the binary on `PATH`, as
//! `make test` installs it). The test server loses the last ~0.2 s of acknowledged writes
//! on SIGKILL whatever the write concern (on MongoDB the configured majority, journaled
//! write concern decides), so only the order of the lifecycle's writes is under test here:
//! any prefix of them must recover.

mod common;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{Config, TenantManager, TenantUpdate};

struct Server {
    dir: std::path::PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Server {
    fn start(dir: std::path::PathBuf, port: u16) -> Self {
        let mut server = Server {
            dir,
            port,
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let child = Command::new("secantusd-rs")
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(&self.dir)
            .args(["--log-file-max", "16MB", "--cache-size", "256M", "--log-level", "WARNING"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("this test starts its own secantusd-rs, which must be on PATH (make test installs it)");
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "secantusd-rs did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        }
    }

    fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_survive_the_database_dying_under_them() {
    let dir = std::env::temp_dir().join(format!("tenantry-restart-{}", std::process::id()));
    let mut server = Server::start(dir, free_port());
    let timeout = Duration::from_secs(2);
    let config = Config::builder(server.uri(), SECRET)
        .master_db("restart")
        .bcrypt_cost(4)
        .database_timeout(timeout)
        .operation_lease_for_tests(Duration::from_millis(800))
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    let names: Vec<String> = (0..4).map(|i| format!("Tenant {i}")).collect();
    for (i, name) in names.iter().enumerate() {
        m.create_tenant(name, &format!("t{i}@r.io"), PASSWORD)
            .await
            .unwrap();
    }
    let mut seed = 7u64;
    let mut rounds_with_errors = 0;
    for round in 0..6u64 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        // Let what came before become durable on the test server.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let op = {
            let m = m.clone();
            let which = (seed >> 33) % 4;
            let name = names[(round % 4) as usize].clone();
            tokio::spawn(async move { one_operation(&m, which, &name, round).await })
        };
        tokio::time::sleep(Duration::from_millis((seed >> 40) % 25)).await;
        server.kill();
        // While the database is down, calls fail fast with DATABASE, once the cache has
        // stopped answering (its change stream went silent with the server).
        tokio::time::sleep(tenantry::STALE_AFTER + Duration::from_millis(50)).await;
        let started = Instant::now();
        let err = m.get_tenant("Tenant 0").await.unwrap_err();
        assert_eq!(err.code(), "DATABASE", "round {round}: {err}");
        assert!(
            started.elapsed() < timeout + Duration::from_secs(2),
            "round {round}: {:?}",
            started.elapsed()
        );
        let outcome = op.await.unwrap();
        if let Err(e) = &outcome {
            assert!(
                matches!(
                    e.code(),
                    "DATABASE" | "CONFLICT" | "TENANT_NOT_FOUND" | "TENANT_ALREADY_EXISTS"
                ),
                "round {round}: {e}"
            );
            rounds_with_errors += 1;
        }
        server.spawn();
        // The same manager answers again once the database is back.
        let started = Instant::now();
        while m.ping().await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "round {round}: no answer after the restart"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Once the abandoned operation's lease has run out, it is finished or undone.
        tokio::time::sleep(Duration::from_millis(900)).await;
        let report = m.recover().await.unwrap();
        assert!(report.failed.is_empty(), "round {round}: {report:?}");
        let db = m.client().database("restart");
        let stuck: Vec<Document> = collect(
            db.collection::<Document>("organizations")
                .find(doc! { "$or": [{ "state": { "$ne": "active" } }, { "op": { "$exists": true } }] })
                .await
                .unwrap(),
        )
        .await;
        assert!(
            stuck.is_empty(),
            "round {round}: tenants left mid-operation: {stuck:?}"
        );
        // Every tenant is whole: it has its collection, and its admin logs in.
        for org in
            collect::<Document>(db.collection("organizations").find(doc! {}).await.unwrap()).await
        {
            let name = org.get_str("organization_name").unwrap();
            let tenant = m
                .get_tenant(name)
                .await
                .unwrap_or_else(|e| panic!("round {round}: {name}: {e}"));
            let collections = db.list_collection_names().await.unwrap();
            assert!(
                collections.contains(&tenant.collection_name),
                "round {round}: {name} without its collection"
            );
            let email = org.get_str("admin_email").unwrap();
            let logged = m.authenticate(email, PASSWORD).await.is_ok()
                || m.authenticate(email, "changed-password").await.is_ok();
            assert!(logged, "round {round}: {name}'s admin cannot log in");
        }
    }
    println!("database killed under 6 operations ({rounds_with_errors} of them failed with it): every tenant active or absent after recovery");
}

/// One lifecycle operation on `name` (which may be gone by now: then it is created).
async fn one_operation(
    m: &TenantManager,
    which: u64,
    name: &str,
    round: u64,
) -> tenantry::Result<()> {
    let tenant = match m.get_tenant(name).await {
        Ok(t) => t,
        Err(e) if e.code() == "TENANT_NOT_FOUND" => {
            return m
                .create_tenant(name, &format!("again{round}@r.io"), PASSWORD)
                .await
                .map(|_| ());
        }
        Err(e) => return Err(e),
    };
    let password = if m.authenticate(&tenant.admin_email, PASSWORD).await.is_ok() {
        PASSWORD
    } else {
        "changed-password"
    };
    let token = m.authenticate(&tenant.admin_email, password).await?;
    let claims = m.verify_token(&token.access_token).await?;
    match which {
        0 => m
            .rename_tenant(&claims, &format!("{name} r{round}"))
            .await
            .map(|_| ())
            .and(Ok(())),
        1 => m.delete_tenant(&claims).await,
        2 => m
            .update_tenant(
                &claims,
                TenantUpdate::new().admin_password("changed-password"),
            )
            .await
            .map(|_| ()),
        _ => m
            .create_tenant(
                &format!("New {round}"),
                &format!("new{round}@r.io"),
                PASSWORD,
            )
            .await
            .map(|_| ()),
    }
}
