//! The HTTP transport, and the only module that imports axum and tower: routing, authentication of
//! requests, conversion between wire types and the app, limits, tracing, metrics and the API docs.
//!
//! Invariants: every failure leaves as an [`error::ErrorBody`] with a stable code (JSON rejections,
//! unknown routes, wrong methods, timeouts, panics and the requests hyper refuses itself included); a
//! request span carries the request id (the client's `x-request-id` when sane, else a new one, echoed in
//! the response), the matched route, status, latency and the caller's role kind, never the token.

pub mod conn;
pub mod console;
pub mod docs;
pub mod dto;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod imports;
pub mod metrics;
pub mod responses;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::timeout::TimeoutLayer;
use tower::timeout::error::Elapsed;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use tracing::{Span, field, info, info_span};

use crate::app::App;
use crate::error_code::ErrorCode;
use error::ApiError;
use metrics::Metrics;

/// Limits of the HTTP server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Largest accepted request body.
    pub body_limit: usize,
    /// A request still running after this is answered 408 `request_timeout`.
    pub request_timeout: Duration,
    /// Requests handled at once; more wait for a slot (within the timeout).
    pub concurrency_limit: usize,
    /// A connection that has not sent a whole request line and headers this long after it opened, or
    /// after its previous response (an idle kept-alive connection), is closed.
    pub header_read_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Largest request line and headers together (at least 8 KiB); more is answered 431
    /// `headers_too_large`. A URI over 65,534 bytes is 414 `uri_too_long` whatever this is.
    pub max_head_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            concurrency_limit: 512,
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            max_head_bytes: 128 * 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub app: App,
    pub metrics: Arc<Metrics>,
    pub docs: docs::Docs,
}

/// All routes with their middleware.
pub fn router(app: App, config: &HttpConfig) -> Router {
    let state = AppState {
        app,
        metrics: Arc::new(Metrics::default()),
        docs: docs::Docs::build(),
    };
    use handlers as h;
    let routes = Router::new()
        .route("/healthz", get(h::healthz))
        .route("/readyz", get(h::readyz))
        .route("/metrics", get(h::metrics))
        .route("/openapi.json", get(h::openapi_json))
        .route("/docs", get(h::docs))
        .route("/v1/me", get(h::me))
        .route("/v1/tracks", get(h::tracks))
        .route("/v1/zones", get(h::zones))
        .route("/v1/zones/{id}", get(h::zone))
        .route("/v1/zones/{id}/candidates", get(h::zone_candidates))
        .route("/v1/universities", get(h::universities))
        .route("/v1/universities/{id}", get(h::university))
        .route("/v1/universities/{id}/demands", get(h::university_demands))
        .route(
            "/v1/universities/{id}/conversions",
            get(h::university_conversions),
        )
        .route(
            "/v1/zones/{id}/transferable-patents",
            get(h::zone_transferable_patents),
        )
        .route("/v1/teams", axum::routing::post(h::create_team))
        .route(
            "/v1/teams/{id}",
            get(h::team).put(h::update_team).delete(h::delete_team),
        )
        .route("/v1/teams/{id}/demands", get(h::team_demands))
        .route("/v1/demands", axum::routing::post(h::create_demand))
        .route(
            "/v1/demands/{id}",
            get(h::demand)
                .put(h::update_demand)
                .delete(h::delete_demand),
        )
        .route("/v1/demands/{id}/teams", get(h::demand_teams))
        .route("/v1/search", get(h::search))
        .route("/v1/pairings", get(h::pairings))
        .route("/v1/pairings/{id}", get(h::pairing))
        .route("/v1/pairings/{id}/reviews", axum::routing::post(h::review))
        .route("/v1/pairings/{id}/history", get(h::history))
        .route(
            "/v1/pairings/{id}/comments",
            get(h::comments).post(h::comment),
        )
        .route(
            "/v1/pairings/{id}/outcomes",
            get(h::pairing_outcomes).post(h::record_outcome),
        )
        .route("/v1/outcomes", get(h::outcomes))
        .route("/v1/outcomes/export", get(h::outcome_report))
        .route("/v1/outcomes/{id}", get(h::outcome))
        .route(
            "/v1/outcomes/{id}/verify",
            axum::routing::post(h::verify_outcome),
        )
        .route("/v1/proposals", get(h::proposals).post(h::create_proposal))
        .route("/v1/proposals/preview", get(h::proposal_preview))
        .route("/v1/proposals/{job_id}", get(h::proposal))
        .route(
            "/v1/proposals/{job_id}/revise",
            axum::routing::post(h::revise_proposal),
        )
        .route("/v1/proposals/{job_id}/export", get(h::export_proposal))
        .route("/v1/dashboard", get(h::dashboard))
        .route("/v1/imports/{kind}", axum::routing::post(imports::import))
        .route("/v1/imports/{kind}/template", get(imports::import_template))
        .merge(console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);

    // At `concurrency_limit` requests in progress, one more is answered 503 at once (with Retry-After)
    // rather than queued without bound.
    let limits = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|err: tower::BoxError| async move {
            if err.is::<Elapsed>() {
                ApiError::new(ErrorCode::RequestTimeout, "the request took too long")
                    .into_response()
            } else {
                let busy =
                    ApiError::new(ErrorCode::Overloaded, "the server is busy; retry shortly");
                ([(RETRY_AFTER, "1")], busy).into_response()
            }
        }))
        .layer(TimeoutLayer::new(config.request_timeout))
        .layer(LoadShedLayer::new())
        .layer(GlobalConcurrencyLimitLayer::new(config.concurrency_limit));

    routes
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(limits)
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::internal(ErrorCode::Panic, "a handler panicked").into_response()
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let route = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", |p| p.as_str());
                    let request_id = req
                        .headers()
                        .get(X_REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    info_span!(
                        "request",
                        request_id = %request_id,
                        method = %req.method(),
                        route,
                        status = field::Empty,
                        latency_ms = field::Empty,
                        role = field::Empty,
                    )
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, span: &Span| {
                    span.record("status", res.status().as_u16());
                    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
                    info!("response");
                })
                .on_failure(()),
        )
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// The request id header, echoed on every response.
const X_REQUEST_ID: &str = "x-request-id";

/// Whether a client's request id is kept: 1–64 visible ASCII characters.
fn sane_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Keeps the client's `x-request-id` when it is sane, else gives the request a new one (32 hex digits),
/// so that the request span and the response carry it.
async fn request_id(mut req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(X_REQUEST_ID)
        .filter(|v| v.to_str().is_ok_and(sane_request_id))
        .cloned();
    let id = given.unwrap_or_else(|| {
        let hex = format!("{:032x}", rand::random::<u128>());
        HeaderValue::from_str(&hex).unwrap_or(HeaderValue::from_static("unknown"))
    });
    req.headers_mut().insert(X_REQUEST_ID, id.clone());
    let mut res = next.run(req).await;
    res.headers_mut().insert(X_REQUEST_ID, id);
    res
}

async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let _in_flight = state.metrics.start();
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let res = next.run(req).await;
    state
        .metrics
        .observe(&method, &route, res.status().as_u16(), start.elapsed());
    res
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

/// Serves `app` on an already bound listener until `shutdown` completes, then finishes the requests
/// in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app, &config);
    conn::serve(listener, router, &config, shutdown).await
}
