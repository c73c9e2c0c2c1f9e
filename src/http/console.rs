//! The web console: the zh-CN single-page app under `web/`, compiled into the binary and served at `/`
//! (the page) and `/assets/{path}` (ES modules, styles, icon). Nothing is read from disk at run time and
//! the page loads nothing from outside the server: the Content-Security-Policy allows only this origin.
//!
//! Asset names carry no content hash, so every response is `Cache-Control: no-cache` with a strong ETag:
//! browsers keep their copy and revalidate it with a cheap 304 after an upgrade.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

/// One embedded file of `web/`.
struct Asset {
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
            content_type: $content_type,
        }
    };
}

/// Every file of `web/` (a unit test checks that none is missing).
static ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("style.css", CSS),
    asset!("favicon.svg", SVG),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("errors.js", JS),
    asset!("ui.js", JS),
    asset!("refs.js", JS),
    asset!("explain.js", JS),
    asset!("bundle.js", JS),
    asset!("views/signin.js", JS),
    asset!("views/forms.js", JS),
    asset!("views/shared.js", JS),
    asset!("views/zone.js", JS),
    asset!("views/university.js", JS),
    asset!("views/search.js", JS),
    asset!("views/dashboard.js", JS),
    asset!("views/proposals.js", JS),
    asset!("views/review.js", JS),
    asset!("views/heatmap.js", JS),
    asset!("views/imports.js", JS),
    asset!("views/pages.js", JS),
    asset!("views/outcomes.js", JS),
    asset!("views/conversions.js", JS),
];

/// Strong ETags, one per asset, computed once.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let tag = format!("\"{}\"", hex::encode(&digest[..12]));
            HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
        })
        .collect()
});

/// Only this origin: no CDN, no external font, no inline script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Routes of the console, to be merged into the service's router (state-agnostic).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.path == path) else {
        return not_found();
    };
    let asset = &ASSETS[index];
    let etag = &ETAGS[index];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == "*" || tag.trim() == etag.to_str().unwrap_or_default())
        });
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if asset.content_type == HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        );
    }
    (StatusCode::OK, headers, asset.body).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"not_found","message":"no such console asset"}"#,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::path::{Path as FsPath, PathBuf};

    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    fn web_files(dir: &FsPath, base: &FsPath, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("web/ is readable") {
            let path: PathBuf = entry.expect("directory entry").path();
            if path.is_dir() {
                web_files(&path, base, out);
            } else {
                let rel = path.strip_prefix(base).expect("under web/");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    async fn fetch(uri: &str, if_none_match: Option<&str>) -> Response {
        let mut request = Request::builder().uri(uri);
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        router::<()>()
            .oneshot(request.body(Body::empty()).expect("request"))
            .await
            .expect("infallible")
    }

    #[test]
    fn every_file_of_web_is_embedded_and_nothing_else() {
        let base = FsPath::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut on_disk = Vec::new();
        web_files(&base, &base, &mut on_disk);
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn pages_reference_no_external_resource() {
        for asset in ASSETS {
            let text = std::str::from_utf8(asset.body).expect("utf-8 asset");
            for needle in ["http://", "https://", "//cdn", "@import url("] {
                let allowed = needle == "http://" && text.contains("http://www.w3.org/2000/svg");
                assert!(
                    allowed || !text.contains(needle),
                    "{} mentions {needle}",
                    asset.path
                );
            }
        }
    }

    #[tokio::test]
    async fn index_is_html_with_a_same_origin_policy() {
        let response = fetch("/", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], HTML);
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert!(
            headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'")
        );
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(text.contains("<html lang=\"zh-CN\">"));
        assert!(text.contains("/assets/app.js"));
    }

    #[tokio::test]
    async fn assets_have_their_content_types() {
        for (uri, content_type) in [
            ("/assets/app.js", JS),
            ("/assets/views/review.js", JS),
            ("/assets/style.css", CSS),
            ("/assets/favicon.svg", SVG),
        ] {
            let response = fetch(uri, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                content_type,
                "{uri}"
            );
            assert_eq!(
                response.headers()[header::X_CONTENT_TYPE_OPTIONS],
                "nosniff"
            );
        }
    }

    #[tokio::test]
    async fn a_matching_etag_gets_304_without_body() {
        let first = fetch("/assets/app.js", None).await;
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = fetch("/assets/app.js", Some(&etag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let body = to_bytes(again.into_body(), usize::MAX).await.unwrap();
        assert!(body.is_empty());
        let stale = fetch("/assets/app.js", Some("\"other\"")).await;
        assert_eq!(stale.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn unknown_and_traversing_paths_are_404() {
        for uri in [
            "/assets/nope.js",
            "/assets/../Cargo.toml",
            "/assets/%2e%2e/Cargo.toml",
            "/assets/views",
        ] {
            let response = fetch(uri, None).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
        }
    }
}
