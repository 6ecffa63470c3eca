//! The docs page at `/docs` (Swagger UI over `/openapi.json`), served from the assets the
//! `utoipa-swagger-ui` crate embeds: no CDN. The page is at `/docs` itself, as on the
//! FastAPI and Express servers (no redirect to `/docs/`), so it names its assets by
//! absolute paths.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa_swagger_ui::Config;

use crate::routes::allowed;

/// The page, shared with the Express server.
const PAGE: &str = include_str!("../../swagger-ui.html");

/// `/docs` and its assets.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Arc::new(Config::from("/openapi.json"));
    Router::new()
        .route(
            "/docs",
            get(|| async { Html(PAGE) }).fallback(allowed(&["GET"])),
        )
        .route(
            "/docs/{*asset}",
            get(move |Path(asset): Path<String>| {
                let config = config.clone();
                async move { asset_response(&asset, config) }
            }),
        )
}

fn asset_response(asset: &str, config: Arc<Config<'static>>) -> Response {
    match utoipa_swagger_ui::serve(asset, config) {
        Ok(Some(file)) if !asset.is_empty() => (
            [(header::CONTENT_TYPE, file.content_type)],
            file.bytes.into_owned(),
        )
            .into_response(),
        Ok(_) => crate::error::ApiError::Http("NOT_FOUND").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "docs asset {asset}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
