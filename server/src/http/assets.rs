//! Static assets: the hosted card frame, the embed script and the wasm package.
//!
//! HTML gets a strict Content-Security-Policy whose `frame-ancestors` lists the registered shop
//! origins (or `--frame-ancestors`), so only those pages can embed the card frame. Files under
//! `/embed/` may be loaded by any origin (CORS `*`), because shops load the embed script with an
//! SRI hash and `crossorigin`.
//!
//! Where `scripts/build-browser` wrote a `.br` or `.gz` file beside an asset, a browser that
//! accepts that encoding gets the compressed file, about a third of the bytes.

use std::convert::Infallible;
use std::path::Path;

use axum::extract::{Request, State};
use axum::handler::HandlerWithoutStateExt as _;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{Layer as _, Service};
use tower_http::services::ServeDir;

use super::AppState;
use super::problem::{Problem, ProblemKind};

/// CSP for HTML pages, before `frame-ancestors`: only same-origin scripts (plus WebAssembly
/// compilation), styles, connections and images; no inline script or style.
const HTML_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

async fn not_found() -> Problem {
    Problem::new(ProblemKind::NotFound)
}

/// Builds the service that serves `dir`, with the headers described in the module docs.
pub fn service(
    dir: &Path,
    state: AppState,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send>
+ Clone
+ Send
+ Sync
+ 'static {
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .not_found_service(not_found.into_service());
    axum::middleware::from_fn_with_state(state, add_headers).layer(files)
}

/// Builds the `frame-ancestors` source list: the configured list, else the enabled shops' origins.
async fn frame_ancestors(state: &AppState) -> String {
    let origins = match &state.config.frame_ancestors {
        Some(list) => list.clone(),
        None => match state.store.enabled_shop_origins().await {
            Ok(origins) => origins,
            Err(error) => {
                tracing::error!(%error, "reading shop origins for frame-ancestors failed");
                Vec::new()
            }
        },
    };
    if origins.is_empty() {
        String::from("'none'")
    } else {
        origins.join(" ")
    }
}

async fn add_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_embed = request.uri().path().starts_with("/embed/");
    let mut response = next.run(request).await;

    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let csp = format!(
            "{HTML_CSP}; frame-ancestors {}",
            frame_ancestors(&state).await
        );
        if let Ok(value) = HeaderValue::from_str(&csp) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }

    let headers = response.headers_mut();
    if is_embed {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
    // Revalidate every time (Last-Modified is sent): a changed embed script must not be mixed
    // with an old SRI hash or an old wasm package.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // The body depends on Accept-Encoding wherever a compressed copy exists.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}
