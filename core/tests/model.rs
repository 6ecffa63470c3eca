//! A randomized model test of the lifecycle: seeded random sequences of create, rename,
//! email change, password change, delete and data writes, from three managers, with
//! operations halted at random failpoints (as if their process had died) and `recover()`
//! calls, checked after every step against a model of what must be there.
//!
//! `TENANTRY_MODEL_SEQUENCES` (default 200), `TENANTRY_MODEL_STEPS` (default 12) and
//! `TENANTRY_MODEL_SEED` (default 1) set the run; a failure prints the seed of its
//! sequence, which replays it alone with `TENANTRY_MODEL_SEQUENCES=1`.

mod common;
use std::time::Duration;

use common::*;
use tenantry::failpoints::{self, Action, Failpoints};
use tenantry::mongodb::bson::{doc, oid::ObjectId, Document};
use tenantry::{Claims, TenantManager, TenantUpdate};

const NAMES: [&str; 5] = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"];
/// The name whose collection holds data no tenant owns: never a tenant's.
const SQUATTED: &str = "Umbrella";
const EMAILS: [&str; 5] = ["a@m.io", "b@m.io", "c@m.io", "d@m.io", "e@m.io"];
const PASSWORDS: [&str; 2] = ["first-password", "second-password"];

/// SplitMix64: small, seedable, good enough to pick operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Clone, Debug)]
struct Tenant {
    id: ObjectId,
    name: &'static str,
    email: &'static str,
    password: &'static str,
    docs: Vec<Document>,
}

#[derive(Default, Debug)]
struct Model {
    tenants: Vec<Tenant>,
    next_doc: i64,
    /// The id of the tenant the last create made.
    created: Option<ObjectId>,
}

impl Model {
    fn name_taken(&self, name: &str, except: Option<ObjectId>) -> bool {
        self.tenants
            .iter()
            .any(|t| Some(t.id) != except && t.name.eq_ignore_ascii_case(name))
    }

    fn email_taken(&self, email: &str, except: Option<ObjectId>) -> bool {
        self.tenants
            .iter()
            .any(|t| Some(t.id) != except && t.email == email)
    }
}

#[derive(Debug, Clone, Copy)]
enum Op {
    Create(&'static str, &'static str),
    Rename(usize, &'static str),
    Email(usize, &'static str),
    Password(usize),
    Delete(usize),
    Write(usize, usize),
    Recover,
}

impl Op {
    fn kind(self) -> Option<&'static str> {
        match self {
            Op::Create(..) => Some("create"),
            Op::Rename(..) | Op::Email(..) | Op::Password(..) => Some("update"),
            Op::Delete(..) => Some("delete"),
            _ => None,
        }
    }
}

fn pick(rng: &mut Rng, model: &Model) -> Op {
    let n = model.tenants.len();
    match rng.below(if n == 0 { 1 } else { 8 }) {
        0 | 1 => Op::Create(
            NAMES[rng.below(NAMES.len())],
            EMAILS[rng.below(EMAILS.len())],
        ),
        2 => Op::Rename(rng.below(n), NAMES[rng.below(NAMES.len())]),
        3 => Op::Email(rng.below(n), EMAILS[rng.below(EMAILS.len())]),
        4 => Op::Password(rng.below(n)),
        5 => Op::Delete(rng.below(n)),
        6 => Op::Write(rng.below(n), 1 + rng.below(5)),
        _ => Op::Recover,
    }
}

struct Run {
    t: TestDb,
    managers: Vec<(TenantManager, std::sync::Arc<Failpoints>)>,
    bystanders: Bystanders,
    model: Model,
}

async fn login(m: &TenantManager, tenant: &Tenant) -> Claims {
    let token = m
        .authenticate(tenant.email, tenant.password)
        .await
        .unwrap_or_else(|e| panic!("{} cannot log in: {e}", tenant.name));
    m.verify_token(&token.access_token).await.unwrap()
}

impl Run {
    async fn new() -> Self {
        let t = TestDb::new().await;
        let mut managers = Vec::new();
        for _ in 0..3 {
            let fp = Failpoints::new();
            let config = t
                .config()
                .login_throttle(None)
                .operation_lease_for_tests(Duration::from_secs(2))
                .failpoints(fp.clone())
                .build()
                .unwrap();
            managers.push((TenantManager::connect(config).await.unwrap(), fp));
        }
        let mut bystanders = Bystanders::seed(&t, &managers[0].0).await;
        let squatter: Vec<Document> = (0..10)
            .map(|i| doc! { "_id": i, "squatter": true })
            .collect();
        bystanders.add_foreign(&t, "org_umbrella", squatter).await;
        Run {
            t,
            managers,
            bystanders,
            model: Model::default(),
        }
    }

    /// Do `op` on manager `mi`, with `failpoint` armed to halt it; `true` if it halted.
    async fn apply(&mut self, op: Op, mi: usize, failpoint: Option<&str>) -> bool {
        let (m, fp) = self.managers[mi].clone();
        if let Some(name) = failpoint {
            fp.arm(name, Action::Halt);
        }
        let model = &self.model;
        let next_doc = model.next_doc;
        let result: tenantry::Result<()> = match op {
            Op::Create(name, email) => m
                .create_tenant(name, email, PASSWORDS[0])
                .await
                .map(|t| self.model.created = Some(t.id)),
            Op::Rename(i, new) => {
                let t = &model.tenants[i];
                m.rename_tenant(&login(&m, t).await, new).await.map(|_| ())
            }
            Op::Email(i, email) => {
                let t = &model.tenants[i];
                let update = TenantUpdate::new().admin_email(email);
                m.update_tenant(&login(&m, t).await, update)
                    .await
                    .map(|_| ())
            }
            Op::Password(i) => {
                let t = &model.tenants[i];
                let update = TenantUpdate::new().admin_password(other_password(t.password));
                m.update_tenant(&login(&m, t).await, update)
                    .await
                    .map(|_| ())
            }
            Op::Delete(i) => {
                let t = &model.tenants[i];
                m.delete_tenant(&login(&m, t).await).await
            }
            Op::Write(i, count) => {
                let t = &model.tenants[i];
                let handle = m
                    .tenant_collection::<Document>(&login(&m, t).await)
                    .await
                    .unwrap();
                let docs: Vec<Document> = (0..count as i64)
                    .map(|k| doc! { "_id": next_doc + k, "by": t.name })
                    .collect();
                handle.insert_many(&docs).await.map(|_| ())
            }
            Op::Recover => {
                let report = m.recover().await.unwrap();
                assert!(report.failed.is_empty(), "{report:?}");
                Ok(())
            }
        };
        fp.clear();
        let halted = matches!(&result, Err(e) if e.to_string().contains("halted at failpoint"));
        if halted {
            return true;
        }
        self.expect(op, result);
        false
    }

    /// A completed operation's outcome against the model; the model follows.
    fn expect(&mut self, op: Op, result: tenantry::Result<()>) {
        let model = &mut self.model;
        let refused =
            |r: &tenantry::Result<()>| matches!(r, Err(e) if e.code() == "TENANT_ALREADY_EXISTS");
        match op {
            Op::Create(name, email) => {
                if name == SQUATTED
                    || model.name_taken(name, None)
                    || model.email_taken(email, None)
                {
                    assert!(refused(&result), "create {name}/{email}: {result:?}");
                } else {
                    result.unwrap_or_else(|e| panic!("create {name}/{email}: {e}"));
                    model.tenants.push(Tenant {
                        id: model.created.take().expect("the created tenant"),
                        name,
                        email,
                        password: PASSWORDS[0],
                        docs: Vec::new(),
                    });
                }
            }
            Op::Rename(i, new) => {
                let id = model.tenants[i].id;
                if new == SQUATTED || model.name_taken(new, Some(id)) {
                    assert!(refused(&result), "rename to {new}: {result:?}");
                } else {
                    result.unwrap_or_else(|e| panic!("rename to {new}: {e}"));
                    model.tenants[i].name = new;
                }
            }
            Op::Email(i, email) => {
                let id = model.tenants[i].id;
                if model.email_taken(email, Some(id)) {
                    assert!(refused(&result), "email {email}: {result:?}");
                } else {
                    result.unwrap_or_else(|e| panic!("email {email}: {e}"));
                    model.tenants[i].email = email;
                }
            }
            Op::Password(i) => {
                result.unwrap();
                let t = &mut model.tenants[i];
                t.password = other_password(t.password);
            }
            Op::Delete(i) => {
                result.unwrap();
                model.tenants.remove(i);
            }
            Op::Write(i, count) => {
                result.unwrap();
                let start = model.next_doc;
                let name = model.tenants[i].name;
                model.tenants[i]
                    .docs
                    .extend((0..count as i64).map(|k| doc! { "_id": start + k, "by": name }));
                model.next_doc += count as i64;
            }
            Op::Recover => result.unwrap(),
        }
    }

    /// A halted operation was recovered: it happened entirely or not at all. Which one,
    /// the database says; the model follows, and the check that comes next holds it to it.
    async fn settle(&mut self, op: Op) {
        let m = &self.managers[0].0;
        let model = &mut self.model;
        match op {
            Op::Create(name, email) => {
                if let Ok(tenant) = m.get_tenant(name).await {
                    if !model.name_taken(name, None) {
                        assert_eq!(tenant.admin_email, email);
                        model.tenants.push(Tenant {
                            id: tenant.id,
                            name,
                            email,
                            password: PASSWORDS[0],
                            docs: Vec::new(),
                        });
                    }
                }
            }
            Op::Rename(i, new) => {
                if let Ok(tenant) = m.get_tenant(new).await {
                    if tenant.id == model.tenants[i].id {
                        model.tenants[i].name = new;
                    }
                }
            }
            Op::Email(i, email) => {
                if m.get_tenant(model.tenants[i].name)
                    .await
                    .unwrap()
                    .admin_email
                    == email
                {
                    model.tenants[i].email = email;
                }
            }
            Op::Password(i) => {
                let t = &mut model.tenants[i];
                let changed = other_password(t.password);
                if m.authenticate(t.email, changed).await.is_ok() {
                    t.password = changed;
                }
            }
            Op::Delete(i) => {
                if m.get_tenant(model.tenants[i].name).await.is_err() {
                    model.tenants.remove(i);
                }
            }
            Op::Write(..) | Op::Recover => unreachable!("never halted"),
        }
    }

    /// The database against the model, and the invariants.
    async fn check(&self, ctx: &str) {
        let m = &self.managers[1].0;
        self.bystanders.assert_untouched(&self.t, ctx).await;
        self.t
            .assert_no_garbage_keys_beside(&self.bystanders.foreign_names())
            .await;
        assert_eq!(
            self.t.count("organizations").await as usize,
            2 + self.model.tenants.len(),
            "{ctx}: tenants"
        );
        for tenant in &self.model.tenants {
            let found = m
                .get_tenant(tenant.name)
                .await
                .unwrap_or_else(|e| panic!("{ctx}: {} missing: {e}", tenant.name));
            assert_eq!(
                found.id, tenant.id,
                "{ctx}: {} is another tenant",
                tenant.name
            );
            assert_eq!(found.admin_email, tenant.email, "{ctx}");
            assert_eq!(
                self.t.documents(&found.collection_name).await,
                tenant.docs,
                "{ctx}: data of {}",
                tenant.name
            );
            m.authenticate(tenant.email, tenant.password)
                .await
                .unwrap_or_else(|e| panic!("{ctx}: {} cannot log in: {e}", tenant.name));
        }
    }
}

fn other_password(p: &str) -> &'static str {
    if p == PASSWORDS[0] {
        PASSWORDS[1]
    } else {
        PASSWORDS[0]
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn sequence(seed: u64, steps: u64) -> (usize, usize) {
    let mut rng = Rng(seed);
    let mut run = Run::new().await;
    let all = failpoints::all();
    let (mut halts, mut ops) = (0, 0);
    for step in 0..steps {
        let op = pick(&mut rng, &run.model);
        let mi = rng.below(3);
        let failpoint = match op.kind() {
            Some(kind) if rng.chance(30) => {
                let candidates: Vec<&String> = all.iter().filter(|f| f.starts_with(kind)).collect();
                Some(candidates[rng.below(candidates.len())].clone())
            }
            _ => None,
        };
        let ctx =
            format!("seed {seed}, step {step}: {op:?} on manager {mi}, failpoint {failpoint:?}");
        ops += 1;
        if run.apply(op, mi, failpoint.as_deref()).await {
            halts += 1;
            // Its process is gone: once its lease has run out, another one recovers it.
            expire_leases(&run.t).await;
            let recoverer = &run.managers[(mi + 1 + rng.below(2)) % 3].0;
            let report = recoverer.recover().await.unwrap();
            assert!(report.failed.is_empty(), "{ctx}: {report:?}");
            run.settle(op).await;
        }
        run.check(&ctx).await;
    }
    (ops, halts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sequences_keep_every_invariant() {
    let sequences = env("TENANTRY_MODEL_SEQUENCES", 200);
    let steps = env("TENANTRY_MODEL_STEPS", 12);
    let first = env("TENANTRY_MODEL_SEED", 1);
    let started = std::time::Instant::now();
    // Sequences are independent (a database each): a few at a time keep the server busy.
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    let tasks: Vec<_> = (first..first + sequences)
        .map(|seed| {
            let limit = limit.clone();
            tokio::spawn(async move {
                let _slot = limit.acquire().await.unwrap();
                sequence(seed, steps).await
            })
        })
        .collect();
    let (mut ops, mut halts) = (0, 0);
    for task in tasks {
        let (o, h) = task.await.unwrap();
        ops += o;
        halts += h;
    }
    println!(
        "model: {sequences} sequences x {steps} steps (seeds {first}..{}), {ops} operations, {halts} halted and recovered, 0 violations, {:?}",
        first + sequences,
        started.elapsed()
    );
}
