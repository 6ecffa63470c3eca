//! Invariants 3, 7 and 10 under crashes: a process killed at any failpoint of create,
//! update/rename or delete (or of an undo, or of a recovery) leaves a state that
//! `recover()`, or the next ordinary operation, finishes or undoes, and nothing the
//! operation does not own is touched.
//!
//! Each trial runs in a database holding two bystander tenants with data and collections
//! no tenant owns (one named like a tenant's). The operation runs in a child process (this
//! test binary, running the ignored `child` test) that aborts at one failpoint, with no
//! cleanup; the child must die by SIGABRT. The parent then recovers and checks: every
//! bystander and foreign document unchanged (by `_id` and content), the subject complete
//! in its old or its new form, every record active with its collection, no garbage key.
//! A failpoint a scenario never reaches is not counted; every failpoint must be reached
//! by some scenario.

mod common;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::Duration;

use common::*;
use futures_util::TryStreamExt;
use tenantry::mongodb::bson::{doc, Document};
use tenantry::{
    failpoints, Layout, MoveTarget, TenantManager, TenantOptions, TenantUpdate, DEFAULT_COLLECTION,
};

const OLD: &str = "Crash Co";
const NEW: &str = "Crash Renamed";
const EMAIL: &str = "admin@crash.io";
const NEW_EMAIL: &str = "new-admin@crash.io";
const LOSER_EMAIL: &str = "loser@crash.io";
const NEW_PASSWORD: &str = "a-brand-new-password";
const DOCS: i32 = 300;
const NEIGHBOUR: &str = "Crash Neighbour";

/// What a child does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    Create,
    /// A second create of a name a tenant holds (it must refuse, never drop the winner's).
    CreateDuplicate,
    /// A create whose collection name holds foreign data (refused, data untouched).
    CreateOverForeign,
    /// Rename, new email and new password at once.
    Update,
    /// A rename whose target collection name holds foreign data.
    RenameOntoForeign,
    /// The update of `Update`, with writes through the old collection name right after the
    /// data moved (they create a stray there, which must be merged).
    UpdateWithStray,
    Delete,
    /// A delete that crashes, then a create of the same name inside its lease.
    DeleteRecreate,
    /// A move from the `collection` layout into the shared collection a neighbour uses.
    MoveToShared,
    /// A move out of the shared collection (beside a neighbour) to the `database` layout.
    MoveFromShared,
    /// The purge of a softly deleted tenant: it ends purged, or still deleted (never
    /// active again, never half).
    Purge,
    /// A soft delete: the tenant ends active or deleted, whole either way.
    SoftDelete,
    /// The restore of a softly deleted tenant: deleted or active, whole either way.
    Restore,
    /// An import of the subject's export beside it under a new name and email: the copy
    /// ends absent (nothing of it left) or whole; the original is untouched.
    Import,
}

const SCENARIOS: [Scenario; 14] = [
    Scenario::Purge,
    Scenario::SoftDelete,
    Scenario::Restore,
    Scenario::Import,
    Scenario::MoveToShared,
    Scenario::MoveFromShared,
    Scenario::Create,
    Scenario::CreateDuplicate,
    Scenario::CreateOverForeign,
    Scenario::Update,
    Scenario::RenameOntoForeign,
    Scenario::UpdateWithStray,
    Scenario::Delete,
    Scenario::DeleteRecreate,
];

impl Scenario {
    fn name(self) -> String {
        format!("{self:?}")
    }

    fn parse(s: &str) -> Self {
        SCENARIOS
            .into_iter()
            .find(|c| c.name() == s)
            .unwrap_or_else(|| panic!("unknown scenario {s}"))
    }

    fn is_move(self) -> bool {
        matches!(self, Scenario::MoveToShared | Scenario::MoveFromShared)
    }

    /// Where a move scenario starts, and where it goes.
    fn move_source(self) -> Layout {
        match self {
            Scenario::MoveFromShared => Layout::Shared,
            _ => Layout::Collection,
        }
    }

    fn move_target(self) -> Layout {
        match self {
            Scenario::MoveFromShared => Layout::Database,
            _ => Layout::Shared,
        }
    }

    /// How long the child's deletes keep a tenant.
    fn retention(self) -> Duration {
        match self {
            Scenario::SoftDelete | Scenario::Restore => Duration::from_secs(3600),
            _ => Duration::ZERO,
        }
    }

    /// The lease the child runs with: zero (recoverable at once) except where the test is
    /// about what happens inside it.
    fn lease(self) -> Duration {
        match self {
            Scenario::DeleteRecreate => Duration::from_secs(30),
            _ => Duration::ZERO,
        }
    }
}

/// Entry point of the child processes: runs the scenario named by the environment. Run by
/// hand, without that environment, it fails: it is not a test of its own.
#[tokio::test]
#[ignore = "run by the crash trials in a child process"]
async fn child() {
    let db = std::env::var("CRASH_DB").expect("CRASH_DB: run by the crash trials only");
    let scenario = Scenario::parse(&std::env::var("CRASH_SCENARIO").expect("CRASH_SCENARIO"));
    std::env::var("TENANTRY_FAILPOINT").expect("TENANTRY_FAILPOINT");
    let failpoints = failpoints::Failpoints::new();
    let config = tenantry::Config::builder(mongo_uri(), SECRET)
        .master_db(&db)
        .bcrypt_cost(4)
        .operation_lease_for_tests(scenario.lease())
        .deleted_retention(scenario.retention())
        .failpoints(failpoints.clone())
        .build()
        .unwrap();
    let m = TenantManager::connect(config).await.unwrap();
    if std::env::var("CRASH_RECOVER").is_ok() {
        let report = m.recover().await.unwrap();
        assert!(report.failed.is_empty(), "{report:?}");
        return;
    }
    let login = || async {
        let token = m.authenticate(EMAIL, PASSWORD).await.unwrap();
        m.verify_token(&token.access_token).await.unwrap()
    };
    match scenario {
        Scenario::Create | Scenario::CreateOverForeign => {
            let result = m.create_tenant(OLD, EMAIL, PASSWORD).await;
            if scenario == Scenario::CreateOverForeign {
                assert_eq!(result.unwrap_err().code(), "TENANT_ALREADY_EXISTS");
            } else {
                result.unwrap();
            }
        }
        Scenario::CreateDuplicate => {
            let err = m
                .create_tenant("crash-co", LOSER_EMAIL, PASSWORD)
                .await
                .unwrap_err();
            assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
        }
        Scenario::Update => {
            let update = TenantUpdate::new()
                .new_name(NEW)
                .admin_email(NEW_EMAIL)
                .admin_password(NEW_PASSWORD);
            m.update_tenant(&login().await, update).await.unwrap();
        }
        Scenario::RenameOntoForeign => {
            let err = m.rename_tenant(&login().await, NEW).await.unwrap_err();
            assert_eq!(err.code(), "TENANT_ALREADY_EXISTS");
        }
        Scenario::UpdateWithStray => {
            let gate = failpoints::Gate::new();
            failpoints.arm("update.move", failpoints::Action::Pause(gate.clone()));
            let update = TenantUpdate::new()
                .new_name(NEW)
                .admin_email(NEW_EMAIL)
                .admin_password(NEW_PASSWORD);
            let claims = login().await;
            let running = {
                let m = m.clone();
                tokio::spawn(async move { m.update_tenant(&claims, update).await })
            };
            gate.reached().await;
            // An application still writing to the name it was given: the writes create a
            // stray collection there. Each acknowledged write is logged for the parent.
            let client = tenantry::mongodb::Client::with_uri_str(mongo_uri())
                .await
                .unwrap();
            let (old, log) = (
                client.database(&db).collection::<Document>("org_crash_co"),
                client.database(&db).collection::<Document>("stray_log"),
            );
            for i in 0..5 {
                let written = doc! { "_id": 10_000 + i, "late": true };
                old.insert_one(&written).await.unwrap();
                log.insert_one(&written).await.unwrap();
            }
            gate.release();
            running.await.unwrap().unwrap();
        }
        Scenario::Delete | Scenario::DeleteRecreate => {
            m.delete_tenant(&login().await).await.unwrap();
        }
        Scenario::Purge => m.purge_tenant(OLD).await.unwrap(),
        Scenario::SoftDelete => m.delete_tenant(&login().await).await.unwrap(),
        Scenario::Restore => {
            m.restore_tenant(OLD).await.unwrap();
        }
        Scenario::Import => {
            import_copy(&m).await.unwrap();
        }
        Scenario::MoveToShared | Scenario::MoveFromShared => {
            m.move_tenant(OLD, MoveTarget::new().layout(scenario.move_target()))
                .await
                .unwrap();
        }
    }
}

/// How a child ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// Aborted at the failpoint (SIGABRT).
    Crashed,
    /// Never reached the failpoint: the scenario does not pass there.
    Finished,
}

fn run_child(t: &TestDb, scenario: Scenario, failpoint: &str, recover: bool) -> Ended {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CRASH_DB", &t.name)
        .env("CRASH_SCENARIO", scenario.name())
        .env("TENANTRY_FAILPOINT", failpoint)
        .env("MONGODB_URI", mongo_uri());
    if recover {
        command.env("CRASH_RECOVER", "1");
    }
    let out = command.output().unwrap();
    match out.status.signal() {
        // SIGABRT: `std::process::abort`, the crash the failpoint makes.
        Some(6) => Ended::Crashed,
        None if out.status.success() => Ended::Finished,
        _ => panic!(
            "child of {scenario:?} at {failpoint} neither aborted nor finished ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// A manager that takes abandoned operations over at once.
async fn recovering_manager(t: &TestDb) -> TenantManager {
    let config = t
        .config()
        .operation_lease_for_tests(Duration::from_secs(2))
        .build()
        .unwrap();
    TenantManager::connect(config).await.unwrap()
}

/// A trial's world: bystanders, and the subject's data where the scenario has a subject.
struct World {
    t: TestDb,
    bystanders: Bystanders,
    data: Vec<Document>,
}

async fn world(scenario: Scenario) -> World {
    let t = TestDb::new().await;
    let m = t.manager().await;
    let mut bystanders = Bystanders::seed(&t, &m).await;
    let data: Vec<Document> = (0..DOCS)
        .map(|i| doc! { "_id": i, "v": format!("value-{i}") })
        .collect();
    let foreign = |tag: &str| -> Vec<Document> {
        (0..25).map(|i| doc! { "_id": i, "foreign": tag }).collect()
    };
    match scenario {
        Scenario::Create => {}
        Scenario::CreateOverForeign => {
            bystanders
                .add_foreign(&t, "org_crash_co", foreign("squatter"))
                .await
        }
        _ if scenario.is_move() => {
            // The subject, and a neighbour in the shared collection, both with data.
            let neighbour = TenantOptions::new().layout(Layout::Shared);
            m.create_tenant_with(NEIGHBOUR, "neighbour@crash.io", PASSWORD, neighbour)
                .await
                .unwrap();
            let theirs: Vec<Document> = (0..25)
                .map(|i| doc! { "_id": 100_000 + i, "neighbour": true })
                .collect();
            let scope = m.admin_scope(NEIGHBOUR).await.unwrap();
            let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
            c.insert_many(&theirs).await.unwrap();
            let options = TenantOptions::new().layout(scenario.move_source());
            m.create_tenant_with(OLD, EMAIL, PASSWORD, options)
                .await
                .unwrap();
            let scope = m.admin_scope(OLD).await.unwrap();
            let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
            c.insert_many(&data).await.unwrap();
            let neighbour_id = m.get_tenant(NEIGHBOUR).await.unwrap().id;
            let raw = t.documents("shared_data").await;
            let snapshot = raw
                .into_iter()
                .filter(|d| d.get_object_id("_tenant") == Ok(neighbour_id))
                .collect();
            bystanders
                .stamped
                .push(("shared_data".to_owned(), neighbour_id, snapshot));
        }
        Scenario::Purge | Scenario::Restore => {
            let tenant = m.create_tenant(OLD, EMAIL, PASSWORD).await.unwrap();
            t.raw(&tenant.collection_name)
                .insert_many(data.iter())
                .await
                .unwrap();
            let config = t
                .config()
                .deleted_retention(Duration::from_secs(3600))
                .build()
                .unwrap();
            let soft = TenantManager::connect(config).await.unwrap();
            let token = soft.authenticate(EMAIL, PASSWORD).await.unwrap();
            let claims = soft.verify_token(&token.access_token).await.unwrap();
            soft.delete_tenant(&claims).await.unwrap();
        }
        _ => {
            let tenant = m.create_tenant(OLD, EMAIL, PASSWORD).await.unwrap();
            t.raw(&tenant.collection_name)
                .insert_many(data.iter())
                .await
                .unwrap();
            if scenario == Scenario::RenameOntoForeign {
                bystanders
                    .add_foreign(&t, "org_crash_renamed", foreign("squatter"))
                    .await;
            }
        }
    }
    World {
        t,
        bystanders,
        data,
    }
}

/// How the parent recovers.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Recover,
    NextOperation,
}

async fn login_any(m: &TenantManager) -> Option<tenantry::Claims> {
    for (email, password) in [(EMAIL, PASSWORD), (NEW_EMAIL, NEW_PASSWORD)] {
        if let Ok(token) = m.authenticate(email, password).await {
            return Some(m.verify_token(&token.access_token).await.unwrap());
        }
    }
    None
}

impl World {
    /// The subject's data: what the trial wrote, and every write the child acknowledged
    /// through the old name during the rename.
    async fn expected_data(&self) -> Vec<Document> {
        let mut expected = self.data.clone();
        expected.extend(self.t.documents("stray_log").await);
        expected
    }

    /// The subject is complete in its old form (`OLD`, `EMAIL`/`PASSWORD`, the data) or its
    /// new one (`NEW`, `NEW_EMAIL`/`NEW_PASSWORD`, the same data), or absent where the
    /// scenario allows it; whichever, nothing half.
    async fn assert_subject(&self, m: &TenantManager, scenario: Scenario, ctx: &str) {
        match scenario {
            Scenario::Purge => return self.assert_purged_or_deleted(m, ctx).await,
            Scenario::SoftDelete | Scenario::Restore => {
                return self.assert_active_or_deleted(m, ctx).await
            }
            Scenario::Import => return self.assert_copied_or_absent(m, ctx).await,
            _ => {}
        }
        let old = m.get_tenant(OLD).await.ok();
        let new = m.get_tenant(NEW).await.ok();
        match (&old, &new) {
            (Some(_), Some(_)) => panic!("{ctx}: both the old and the new name exist"),
            (Some(t), None) if scenario.is_move() => {
                assert!(m.authenticate(EMAIL, PASSWORD).await.is_ok(), "{ctx}");
                self.assert_moved_or_not(m, t, scenario, ctx).await;
            }
            (Some(t), None) => {
                let token = m.authenticate(EMAIL, PASSWORD).await;
                assert!(token.is_ok(), "{ctx}: old form, old credentials refused");
                assert_eq!(t.admin_email, EMAIL, "{ctx}");
                let expected = match scenario {
                    Scenario::Create | Scenario::DeleteRecreate => None,
                    _ => Some(self.expected_data().await),
                };
                if let Some(expected) = expected {
                    assert_eq!(
                        self.t.documents(&t.collection_name).await,
                        expected,
                        "{ctx}: data"
                    );
                }
            }
            (None, Some(t)) => {
                assert!(
                    matches!(scenario, Scenario::Update | Scenario::UpdateWithStray),
                    "{ctx}: renamed in {scenario:?}"
                );
                m.authenticate(NEW_EMAIL, NEW_PASSWORD)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: new form, new credentials refused: {e}"));
                assert_eq!(t.admin_email, NEW_EMAIL, "{ctx}");
                assert_eq!(
                    self.t.documents(&t.collection_name).await,
                    self.expected_data().await,
                    "{ctx}: data (with every acknowledged late write)"
                );
            }
            (None, None) => assert!(
                matches!(
                    scenario,
                    Scenario::Create
                        | Scenario::CreateOverForeign
                        | Scenario::Delete
                        | Scenario::DeleteRecreate
                        | Scenario::Purge
                ),
                "{ctx}: the subject vanished in {scenario:?}"
            ),
        }
        if scenario == Scenario::CreateDuplicate {
            assert!(old.is_some(), "{ctx}: the winner of the name is gone");
            assert!(
                m.authenticate(LOSER_EMAIL, PASSWORD).await.is_err(),
                "{ctx}"
            );
        }
    }

    /// A purged subject is gone entirely (record, admin, data; its name free); one still
    /// deleted is whole (listed as deleted, its data there) and hidden (no get, no login).
    async fn assert_purged_or_deleted(&self, m: &TenantManager, ctx: &str) {
        assert!(m.get_tenant(OLD).await.is_err(), "{ctx}: active again");
        assert!(
            m.authenticate(EMAIL, PASSWORD).await.is_err(),
            "{ctx}: login"
        );
        let deleted = m
            .list_tenants(&tenantry::TenantQuery::new().name_prefix(OLD))
            .await
            .unwrap()
            .tenants;
        match deleted.as_slice() {
            [] => {
                assert_eq!(self.t.count("org_crash_co").await, 0, "{ctx}: data left");
                let admins = self.t.raw("admin_users");
                let left = admins
                    .count_documents(doc! { "email": EMAIL })
                    .await
                    .unwrap();
                assert_eq!(left, 0, "{ctx}: admin left");
            }
            [t] => {
                assert_eq!(t.state, tenantry::TenantState::Deleted, "{ctx}: {t:?}");
                assert_eq!(
                    self.t.documents(&t.collection_name).await,
                    self.data,
                    "{ctx}: the deleted tenant's data"
                );
            }
            more => panic!("{ctx}: {more:?}"),
        }
    }

    /// The subject is active and whole (get, login, its data), or deleted and whole
    /// (listed as deleted, hidden, its data kept).
    async fn assert_active_or_deleted(&self, m: &TenantManager, ctx: &str) {
        match m.get_tenant(OLD).await {
            Ok(t) => {
                assert!(
                    m.authenticate(EMAIL, PASSWORD).await.is_ok(),
                    "{ctx}: login"
                );
                assert_eq!(
                    self.t.documents(&t.collection_name).await,
                    self.data,
                    "{ctx}: the active tenant's data"
                );
            }
            Err(e) => {
                assert_eq!(e.code(), "TENANT_NOT_FOUND", "{ctx}: {e}");
                assert!(
                    m.authenticate(EMAIL, PASSWORD).await.is_err(),
                    "{ctx}: login"
                );
                let listed = m
                    .list_tenants(&tenantry::TenantQuery::new().name_prefix(OLD))
                    .await
                    .unwrap()
                    .tenants;
                let [t] = listed.as_slice() else {
                    panic!("{ctx}: neither active nor deleted: {listed:?}");
                };
                assert_eq!(t.state, tenantry::TenantState::Deleted, "{ctx}: {t:?}");
                assert_eq!(
                    self.t.documents(&t.collection_name).await,
                    self.data,
                    "{ctx}: the deleted tenant's data"
                );
            }
        }
    }

    /// The original is active and whole; the copy is whole (its data, its admin's login)
    /// or absent with nothing of it left (no record, admin, or collection).
    async fn assert_copied_or_absent(&self, m: &TenantManager, ctx: &str) {
        let original = m.get_tenant(OLD).await.unwrap();
        assert_eq!(
            self.t.documents(&original.collection_name).await,
            self.data,
            "{ctx}: the original's data"
        );
        assert!(m.authenticate(EMAIL, PASSWORD).await.is_ok(), "{ctx}");
        let copies = || async {
            m.list_tenants(&tenantry::TenantQuery::new().name_prefix(NEW))
                .await
                .unwrap()
                .tenants
        };
        let mut listed = copies().await;
        if let [copy] = listed.as_slice() {
            if copy.state == tenantry::TenantState::Deleted {
                // An import cut off (its create finished by the recovery): hidden, never
                // restorable, and purged once its lease has run out.
                let e = m.restore_tenant(NEW).await.unwrap_err();
                assert_eq!(
                    e.code(),
                    "INVALID_INPUT",
                    "{ctx}: restore of a cut-off import"
                );
                assert!(m.authenticate(NEW_EMAIL, PASSWORD).await.is_err(), "{ctx}");
                expire_imports(&self.t).await;
                let report = m.recover().await.unwrap();
                assert!(report.failed.is_empty(), "{ctx}: {report:?}");
                listed = copies().await;
            }
        }
        match listed.as_slice() {
            [] => {
                assert_eq!(
                    self.t.count("org_crash_renamed").await,
                    0,
                    "{ctx}: data left"
                );
                let admins = self.t.raw("admin_users");
                let left = admins
                    .count_documents(doc! { "email": NEW_EMAIL })
                    .await
                    .unwrap();
                assert_eq!(left, 0, "{ctx}: the copy's admin left");
            }
            [copy] => {
                assert_eq!(copy.state, tenantry::TenantState::Active, "{ctx}: {copy:?}");
                assert_eq!(
                    self.t.documents(&copy.collection_name).await,
                    self.data,
                    "{ctx}: the copy's data"
                );
                assert!(
                    m.authenticate(NEW_EMAIL, PASSWORD).await.is_ok(),
                    "{ctx}: copy login"
                );
            }
            more => panic!("{ctx}: {more:?}"),
        }
    }

    /// A moved subject is whole where it is now (where it was, or where it went), and
    /// nothing of it is left in the other place.
    async fn assert_moved_or_not(
        &self,
        m: &TenantManager,
        t: &tenantry::Tenant,
        scenario: Scenario,
        ctx: &str,
    ) {
        assert!(
            t.layout == scenario.move_source() || t.layout == scenario.move_target(),
            "{ctx}: {t:?}"
        );
        assert_eq!(
            subject_data(m).await,
            self.data,
            "{ctx}: the data where it is now"
        );
        let stamped = self
            .t
            .raw("shared_data")
            .count_documents(doc! { "_tenant": t.id })
            .await
            .unwrap();
        let own_db = format!("tenant_{}", t.id.to_hex());
        let own = self
            .t
            .client
            .database(&own_db)
            .list_collection_names()
            .await
            .unwrap();
        match t.layout {
            // In the shared collection: nothing in a database of its own.
            Layout::Shared => assert!(own.is_empty(), "{ctx}: left in {own_db}: {own:?}"),
            Layout::Database => assert_eq!(stamped, 0, "{ctx}: left in shared_data"),
            _ => {
                assert_eq!(stamped, 0, "{ctx}: left in shared_data");
                assert_eq!(t.collection_name, "org_crash_co", "{ctx}");
            }
        }
        if t.layout != Layout::Collection && scenario == Scenario::MoveToShared {
            assert_eq!(
                self.t.count("org_crash_co").await,
                0,
                "{ctx}: the source emptied"
            );
        }
    }

    async fn assert_settled(&self, m: &TenantManager, scenario: Scenario, ctx: &str) {
        self.bystanders.assert_untouched(&self.t, ctx).await;
        self.t
            .assert_no_garbage_keys_beside(&self.bystanders.foreign_names())
            .await;
        self.assert_subject(m, scenario, ctx).await;
    }

    /// The ordinary operation a user would try next, which must go through.
    async fn next_operation(&self, m: &TenantManager, scenario: Scenario, ctx: &str) {
        match scenario {
            Scenario::Create | Scenario::Delete => {
                if m.get_tenant(OLD).await.is_err() {
                    // Goes through, or finds that the crashed create had committed: the
                    // create it recovered on the way holds the name now.
                    match m.create_tenant(OLD, EMAIL, PASSWORD).await {
                        Ok(_) => {}
                        Err(e) if e.code() == "TENANT_ALREADY_EXISTS" => {
                            assert!(m.get_tenant(OLD).await.is_ok(), "{ctx}: {e}");
                        }
                        Err(e) => panic!("{ctx}: create again: {e}"),
                    }
                }
            }
            Scenario::CreateDuplicate => {
                // The loser's email is free for another tenant.
                m.create_tenant("Loser Elsewhere", LOSER_EMAIL, PASSWORD)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: loser's email: {e}"));
            }
            Scenario::CreateOverForeign => {
                let err = m.create_tenant(OLD, EMAIL, PASSWORD).await.unwrap_err();
                assert_eq!(err.code(), "TENANT_ALREADY_EXISTS", "{ctx}");
                m.create_tenant("Crash Elsewhere", EMAIL, PASSWORD)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: the email is free: {e}"));
            }
            Scenario::Update | Scenario::RenameOntoForeign | Scenario::UpdateWithStray => {
                let update = || {
                    TenantUpdate::new()
                        .new_name("Crash Final")
                        .admin_email(NEW_EMAIL)
                        .admin_password(NEW_PASSWORD)
                };
                let claims = login_any(m).await.expect("an admin can log in");
                let done = match m.update_tenant(&claims, update()).await {
                    // The crashed update changed the password: recovering it on the way
                    // revoked the token taken before. Log in again, as a user would.
                    Err(e) if e.code() == "UNAUTHORIZED" => {
                        let claims = login_any(m).await.expect("an admin can log in");
                        m.update_tenant(&claims, update()).await
                    }
                    other => other,
                }
                .unwrap_or_else(|e| panic!("{ctx}: update again: {e}"));
                assert_eq!(
                    self.t.documents(&done.collection_name).await,
                    self.expected_data().await,
                    "{ctx}"
                );
                m.rename_tenant(
                    &login_any(m).await.unwrap(),
                    if scenario == Scenario::RenameOntoForeign {
                        OLD
                    } else {
                        NEW
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("{ctx}: rename back: {e}"));
                // Back to a form the checks know, with the new credentials.
                let claims = login_any(m).await.unwrap();
                let back = m.get_tenant(claims.tenant_name()).await.unwrap();
                if back.name == OLD {
                    m.update_tenant(
                        &claims,
                        TenantUpdate::new()
                            .admin_email(EMAIL)
                            .admin_password(PASSWORD),
                    )
                    .await
                    .unwrap();
                }
            }
            Scenario::DeleteRecreate => unreachable!("has its own trial"),
            Scenario::Purge => {
                // Purged by the recovery on the way, or purged now; the name is free after.
                match m.purge_tenant(OLD).await {
                    Ok(()) => {}
                    Err(e) if e.code() == "TENANT_NOT_FOUND" => {}
                    Err(e) => panic!("{ctx}: purge again: {e}"),
                }
                self.assert_purged_or_deleted(m, ctx).await;
                assert!(self.t.count("org_crash_co").await == 0, "{ctx}: purged");
                m.create_tenant(OLD, EMAIL, PASSWORD)
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: the name and email are free: {e}"));
            }
            Scenario::SoftDelete | Scenario::Restore => {
                // Restored now if it is deleted; active and whole after.
                if m.get_tenant(OLD).await.is_err() {
                    m.restore_tenant(OLD)
                        .await
                        .unwrap_or_else(|e| panic!("{ctx}: restore: {e}"));
                }
                let t = m.get_tenant(OLD).await.unwrap();
                assert_eq!(
                    self.t.documents(&t.collection_name).await,
                    self.data,
                    "{ctx}"
                );
            }
            Scenario::Import => {
                // Imported again if the copy is not there; whole after.
                if m.get_tenant(NEW).await.is_err() {
                    if let Err(e) = import_copy(m).await {
                        // The name is held by the cut-off import (its create finished by
                        // the recovery) until its lease runs out and a recovery purges it.
                        assert_eq!(e.code(), "TENANT_ALREADY_EXISTS", "{ctx}: {e}");
                        expire_imports(&self.t).await;
                        assert!(m.recover().await.unwrap().purged >= 1, "{ctx}");
                        import_copy(m)
                            .await
                            .unwrap_or_else(|e| panic!("{ctx}: import again: {e}"));
                    }
                }
                self.assert_copied_or_absent(m, ctx).await;
                assert!(m.get_tenant(NEW).await.is_ok(), "{ctx}: the copy");
            }
            Scenario::MoveToShared | Scenario::MoveFromShared => {
                let now = m.get_tenant(OLD).await.unwrap().layout;
                let next = if now == Layout::Shared {
                    Layout::Collection
                } else {
                    Layout::Shared
                };
                m.move_tenant(OLD, MoveTarget::new().layout(next))
                    .await
                    .unwrap_or_else(|e| panic!("{ctx}: move again: {e}"));
                assert_eq!(
                    subject_data(m).await,
                    self.data,
                    "{ctx}: after moving again"
                );
            }
        }
    }
}

/// Tallies of a scenario's trials.
#[derive(Default, Debug)]
struct Tally {
    trials: usize,
    reached: Vec<String>,
}

async fn trial(scenario: Scenario, failpoint: &str, mode: Mode) -> bool {
    let w = world(scenario).await;
    if run_child(&w.t, scenario, failpoint, false) == Ended::Finished {
        return false;
    }
    let ctx = format!("{scenario:?} crashed at {failpoint}, {mode:?}");
    // The dead owner stopped renewing long ago (with a lease of zero this is so already,
    // by the server's clock, which a loaded server may read a little late).
    expire_leases(&w.t).await;
    expire_imports(&w.t).await;
    let m = recovering_manager(&w.t).await;
    match mode {
        Mode::Recover => {
            let report = m.recover().await.unwrap();
            assert!(report.failed.is_empty(), "{ctx}: {report:?}");
            w.assert_settled(&m, scenario, &ctx).await;
        }
        Mode::NextOperation => {
            w.next_operation(&m, scenario, &ctx).await;
            let report = m.recover().await.unwrap();
            assert!(report.failed.is_empty(), "{ctx}: {report:?}");
            w.bystanders.assert_untouched(&w.t, &ctx).await;
            w.t.assert_no_garbage_keys_beside(&w.bystanders.foreign_names())
                .await;
        }
    }
    true
}

/// A crash of the operation at `first`, then a crash of the recovery at `second`, then a
/// recovery that finishes.
async fn recovery_trial(scenario: Scenario, first: &str, second: &str) -> bool {
    let w = world(scenario).await;
    if run_child(&w.t, scenario, first, false) == Ended::Finished {
        return false;
    }
    if run_child(&w.t, scenario, second, true) == Ended::Finished {
        return false;
    }
    let ctx = format!("{scenario:?} crashed at {first}, its recovery at {second}");
    expire_leases(&w.t).await;
    expire_imports(&w.t).await;
    let m = recovering_manager(&w.t).await;
    let report = m.recover().await.unwrap();
    assert!(report.failed.is_empty(), "{ctx}: {report:?}");
    w.assert_settled(&m, scenario, &ctx).await;
    true
}

async fn scenario_trials(scenario: Scenario) -> Tally {
    let mut tally = Tally::default();
    let all = failpoints::all();
    for failpoint in &all {
        if failpoint.starts_with("recover.") {
            continue;
        }
        // A failpoint the scenario does not pass is not tried a second time.
        if !trial(scenario, failpoint, Mode::Recover).await {
            continue;
        }
        assert!(trial(scenario, failpoint, Mode::NextOperation).await);
        tally.trials += 2;
        tally.reached.push(failpoint.clone());
    }
    // Recoveries that crash: after a crash early, midway and late in the scenario, at every
    // point the recovery passes (the same step failpoints, the undo ones, the take-over).
    let reached = tally.reached.clone();
    let mut firsts = vec![
        &reached[0],
        &reached[reached.len() / 2],
        &reached[reached.len() - 1],
    ];
    // A move crashed at `verify` is undone by its recovery through every undo step.
    let verify = "move.verify".to_owned();
    if scenario.is_move() {
        firsts.push(&verify);
    }
    firsts.dedup();
    for first in firsts {
        for second in &all {
            let kind = first.split('.').next().unwrap();
            if !(second.starts_with(kind) || second.starts_with("recover."))
                || second.ends_with(".started")
                || second.ends_with(".claimed")
            {
                continue;
            }
            if recovery_trial(scenario, first, second).await {
                tally.trials += 1;
                tally.reached.push(second.clone());
            }
        }
    }
    println!(
        "crash trials {scenario:?}: {} trials over {} failpoints, 0 violations",
        tally.trials,
        tally.reached.len()
    );
    assert!(tally.trials > 0, "{scenario:?} reached no failpoint");
    tally
}

/// A delete crashes; inside its lease a create of the name is refused (the keys are still
/// held) or, past the point the delete gave them back, goes through; once the lease has
/// run out, recovery finishes the delete without touching the new tenant's data.
async fn delete_recreate_trial(failpoint: &str) -> bool {
    let scenario = Scenario::DeleteRecreate;
    let w = world(scenario).await;
    if run_child(&w.t, scenario, failpoint, false) == Ended::Finished {
        return false;
    }
    let ctx = format!("delete crashed at {failpoint}, then a create of its name");
    let m = w.t.manager().await;
    // Keys are given back last: while the record of the delete exists, its name is held.
    let record_left = w.t.count("organizations").await > 2;
    let attempt = m.create_tenant(OLD, "second@crash.io", PASSWORD).await;
    if record_left {
        let code = attempt.as_ref().err().map(|e| e.code());
        assert_eq!(
            code,
            Some("TENANT_ALREADY_EXISTS"),
            "{ctx}: a create inside the lease of a delete that still holds the name"
        );
    }
    let mut recreated = attempt.ok();
    if recreated.is_none() {
        let report = m.recover().await.unwrap();
        assert_eq!(
            report.completed + report.rolled_back,
            0,
            "{ctx}: inside the lease: {report:?}"
        );
    }
    expire_leases(&w.t).await;
    let report = m.recover().await.unwrap();
    assert!(report.failed.is_empty(), "{ctx}: {report:?}");
    if recreated.is_none() {
        if m.get_tenant(OLD).await.is_ok() {
            // Crashed before its commit point: the delete was undone, the tenant stays.
            w.assert_settled(&m, Scenario::Delete, &ctx).await;
            return true;
        }
        recreated = Some(
            m.create_tenant(OLD, "second@crash.io", PASSWORD)
                .await
                .unwrap(),
        );
    }
    let tenant = recreated.unwrap();
    let mine: Vec<Document> = (0..7).map(|i| doc! { "_id": i, "mine": true }).collect();
    t_insert(&w.t, &tenant.collection_name, &mine).await;
    // Replays of whatever is left: none may reach the new tenant's data.
    expire_leases(&w.t).await;
    m.recover().await.unwrap();
    assert_eq!(w.t.documents(&tenant.collection_name).await, mine, "{ctx}");
    assert_eq!(m.get_tenant(OLD).await.unwrap().id, tenant.id, "{ctx}");
    w.bystanders.assert_untouched(&w.t, &ctx).await;
    w.t.assert_no_garbage_keys_beside(&w.bystanders.foreign_names())
        .await;
    true
}

/// An import whose process died stops renewing its lease: past it (now, here), a
/// recovery purges it.
async fn expire_imports(t: &TestDb) {
    t.raw("organizations")
        .update_many(
            doc! { "importing": { "$exists": true } },
            doc! { "$set": { "purge_after": tenantry::mongodb::bson::DateTime::from_millis(0) } },
        )
        .await
        .unwrap();
}

/// Export the subject and import the archive beside it as `NEW`, with `NEW_EMAIL`.
async fn import_copy(m: &TenantManager) -> tenantry::Result<tenantry::Tenant> {
    let mut archive = Vec::new();
    m.export_tenant(OLD, &mut archive).await?;
    let mut options = tenantry::ImportOptions::new();
    options.name = Some(NEW.to_owned());
    options.admin_email = Some(NEW_EMAIL.to_owned());
    Ok(m.import_tenant(&mut archive.as_slice(), options).await?.0)
}

/// The subject's data, read through its scope, in `_id` order.
async fn subject_data(m: &TenantManager) -> Vec<Document> {
    let scope = m.admin_scope(OLD).await.unwrap();
    let c = scope.collection::<Document>(DEFAULT_COLLECTION).unwrap();
    let mut docs: Vec<Document> = c
        .find(doc! {}, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    docs.sort_by_key(|d| d.get_i32("_id").unwrap());
    docs
}

async fn t_insert(t: &TestDb, coll: &str, docs: &[Document]) {
    t.raw(coll).insert_many(docs.iter()).await.unwrap();
}

/// Every scenario at every failpoint it passes, a few at a time; then every failpoint must
/// have been reached by some trial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failpoint_is_recovered() {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(3));
    let mut tasks = Vec::new();
    for scenario in SCENARIOS {
        let limit = limit.clone();
        tasks.push(tokio::spawn(async move {
            let _slot = limit.acquire().await.unwrap();
            if scenario == Scenario::DeleteRecreate {
                let mut tally = Tally::default();
                for failpoint in failpoints::all()
                    .iter()
                    .filter(|f| f.starts_with("delete."))
                {
                    if delete_recreate_trial(failpoint).await {
                        tally.trials += 1;
                        tally.reached.push(failpoint.clone());
                    }
                }
                println!(
                    "crash trials {scenario:?}: {} trials, 0 violations",
                    tally.trials
                );
                assert!(tally.trials >= 4, "{tally:?}");
                tally
            } else {
                scenario_trials(scenario).await
            }
        }));
    }
    let mut reached: BTreeMap<String, usize> = BTreeMap::new();
    let mut trials = 0;
    for task in tasks {
        let tally = task.await.unwrap();
        trials += tally.trials;
        for name in tally.reached {
            *reached.entry(name).or_default() += 1;
        }
    }
    let missing: Vec<String> = failpoints::all()
        .into_iter()
        .filter(|f| !reached.contains_key(f))
        .collect();
    assert!(
        missing.is_empty(),
        "failpoints no trial reaches: {missing:?}"
    );
    println!(
        "crash trials: {trials} over {} failpoints and {} scenarios, 0 violations",
        reached.len(),
        SCENARIOS.len()
    );
}
