//! `tenantry-loadgen`: the load generator and the database-level benchmarks behind
//! `make bench` (`scripts/bench.sh` drives it through `benches/run.py`).
//!
//! Every subcommand takes `--key value` options and prints one JSON object on stdout:
//!
//! | subcommand | what it measures |
//! |---|---|
//! | `bcrypt`   | one bcrypt hash and one verification at `--cost` (median of `--n`) |
//! | `seed`     | creates `--orgs` tenants over HTTP (`POST /org/create`) for the runs below |
//! | `get`      | `GET /org/get` requests/s and latency at `--conc` connections |
//! | `login`    | `POST /admin/login` logins/s at `--conc` connections, one admin each |
//! | `storm`    | `GET /org/get` probe latency at rest, then during a login storm |
//! | `raw-find` | the `find_one` behind `get_tenant`, straight through the driver |
//! | `rename`   | `rename_tenant` of tenants holding `--sizes` documents (`--naming`) |
//! | `scale`    | `get_tenant` / `create_tenant` latency with `--levels` tenants (`--layout`) |
//! | `move`     | `move_tenant` between layouts, against a bare copy of the documents |
//! | `export`   | `export_tenant` against a bare scan of the same documents |
//! | `migrate`  | `migrate` over `--tenants` tenants against a loop of bare driver calls |
//! | `cache-memory` | RSS growth of the hot path's cache with `--tenants` tenants read (`--capacity`) |

mod archive;
mod args;
mod db;
mod http;
mod migrate;
mod moves;
mod stats;

use std::process::ExitCode;

use args::Args;

/// Errors end the run with a message; nothing here is recoverable.
pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const USAGE: &str =
    "usage: tenantry-loadgen <bcrypt|seed|get|login|storm|raw-find|rename|scale|move|export|migrate|cache-memory> [--key value]...";

fn main() -> ExitCode {
    let mut argv = std::env::args().skip(1);
    let Some(command) = argv.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let outcome = Args::parse(argv).and_then(|args| run(&command, &args));
    match outcome {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tenantry-loadgen {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: &str, args: &Args) -> Res<serde_json::Value> {
    if command == "bcrypt" {
        return db::bcrypt_timing(args);
    }
    // As many worker threads as the cores this process may use (`taskset` narrows them).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            "seed" => http::seed(args).await,
            "get" => http::get_load(args).await,
            "login" => http::login_load(args).await,
            "storm" => http::storm(args).await,
            "raw-find" => db::raw_find(args).await,
            "rename" => db::rename(args).await,
            "scale" => db::scale(args).await,
            "move" => moves::move_tenant(args).await,
            "export" => archive::export(args).await,
            "migrate" => migrate::migrate(args).await,
            "cache-memory" => db::cache_memory(args).await,
            other => Err(format!("unknown subcommand '{other}'; {USAGE}").into()),
        }
    })
}
