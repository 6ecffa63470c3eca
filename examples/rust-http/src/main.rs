//! A minimal HTTP server of the original organization-management contract on tenantry.
//!
//! Configured by the original's environment (`MONGO_URI`, `MASTER_DB`, `JWT_SECRET`,
//! `JWT_ALGO`, `JWT_EXPIRE_MINUTES`) plus `BCRYPT_COST`, `TRUSTED_PROXIES` and the rest of
//! the core's variables, `HOST` and `PORT`; `LOG_FORMAT=json` for JSON logs. Runs
//! `recover()` once at start.

mod connection;
mod docs;
mod error;
mod extract;
mod routes;

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::extract::DefaultBodyLimit;
use tenantry::{Config, TenantManager};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Largest accepted request body.
const BODY_LIMIT: usize = 64 * 1024;

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".into());
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p
            .parse()
            .map_err(|_| format!("PORT must be a port number, not '{p}'"))?,
        Err(_) => 8000,
    };
    let addr: SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| format!("bad HOST/PORT: {e}"))?;
    let manager = TenantManager::connect(config)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    // Operations a previous process left half done are finished or undone before serving.
    match manager.recover().await {
        Ok(report) => {
            for failure in &report.failed {
                tracing::error!(
                    tenant = failure.name,
                    code = failure.code,
                    "{}",
                    failure.message
                );
            }
            tracing::info!(
                completed = report.completed,
                rolled_back = report.rolled_back,
                failed = report.failed.len(),
                orphan_collections = report.orphan_collections.len(),
                "recovered"
            );
        }
        Err(e) => tracing::error!(error = %e, "recovery failed; serving anyway"),
    }
    let app = routes::router(manager)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(connection::close_if_body_unread))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!(%addr, "listening; docs at http://{addr}/docs");
    // Handlers see the peer address (the login throttle counts failures per client).
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
