//! The web inbox: `crates/server/ui/*` embedded in the binary and served with an ETag, plus the
//! security headers every response of the API and the UI carries.
//!
//! The files are served at `/` and under `/assets/` (the paths `index.html` uses); the two
//! stylesheets also at `/app.css` and `/render.css`, the icon at `/favicon.svg` and, as SVG, at
//! `/favicon.ico` (where browsers look without a `<link rel="icon">`). There is no `/app.js`: the entry module
//! imports `./js/*.js`, which only resolve under `/assets/`. `Cache-Control: no-cache` makes browsers revalidate
//! with the ETag: the paths carry no version, so a stale UI must never outlive an upgrade.

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;

/// The policy of every page and API response: no inline script or style, no plugins, no
/// framing. Images may come from the web (news cards, markdown_v2 images, card images) but
/// only over http(s); the renderer never emits `data:` or `javascript:` URLs.
///
/// `img-src` must keep `http: https:`: a picture on another host is loaded when the reader asks
/// for it (a click on its placeholder, or the inbox's setting). The policy cannot be what keeps
/// such pictures from loading by themselves, since it cannot change without a reload; that is
/// the renderer's job (no `src` on a remote picture, only `data-remote-src`) and the inbox's
/// scrub (no `src` of another origin), see `ui/js/remote-images.js`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' http: https:; media-src 'self'; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The policy of downloads (uploaded files, pictures): nothing in them may run, even if a
/// browser were talked into rendering one.
pub const DOWNLOAD_POLICY: &str = "default-src 'none'; img-src 'self'; sandbox";

/// One embedded file.
struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: LazyLock<HeaderValue>,
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {
        Asset {
            body: include_str!($path),
            content_type: $content_type,
            etag: LazyLock::new(|| etag_of(include_str!($path))),
        }
    };
}

static INDEX: Asset = asset!("../../ui/index.html", "text/html; charset=utf-8");
static APP_JS: Asset = asset!("../../ui/app.js", "text/javascript; charset=utf-8");
static APP_CSS: Asset = asset!("../../ui/app.css", "text/css; charset=utf-8");
static RENDER_CSS: Asset = asset!("../../ui/render.css", "text/css; charset=utf-8");
static FAVICON: Asset = asset!("../../ui/favicon.svg", "image/svg+xml");

// The ES modules `app.js` imports (relative paths, so served under `/assets/js/`).
macro_rules! module {
    ($path:literal) => {
        asset!($path, "text/javascript; charset=utf-8")
    };
}
static JS_API: Asset = module!("../../ui/js/api.js");
static JS_BLACKBOARD: Asset = module!("../../ui/js/blackboard.js");
static JS_BOTS: Asset = module!("../../ui/js/bots.js");
static JS_CALLBACK_SETTINGS: Asset = module!("../../ui/js/callback-settings.js");
static JS_CALLBACKS: Asset = module!("../../ui/js/callbacks.js");
static JS_CHAT_HEAD: Asset = module!("../../ui/js/chat-head.js");
static JS_CHAT_LIST: Asset = module!("../../ui/js/chat-list.js");
static JS_CHAT: Asset = module!("../../ui/js/chat.js");
static JS_CLIPBOARD: Asset = module!("../../ui/js/clipboard.js");
static JS_COMPOSER: Asset = module!("../../ui/js/composer.js");
static JS_CONTROLS: Asset = module!("../../ui/js/controls.js");
static JS_CURL: Asset = module!("../../ui/js/curl.js");
static JS_DETAIL: Asset = module!("../../ui/js/detail.js");
static JS_DOM: Asset = module!("../../ui/js/dom.js");
static JS_FAULTS: Asset = module!("../../ui/js/faults.js");
static JS_LIVE: Asset = module!("../../ui/js/live.js");
// Not a module: the classic worker script that holds the event stream (`new Worker(...)`).
static JS_LIVE_WORKER: Asset = module!("../../ui/js/live-worker.js");
static JS_MENTION: Asset = module!("../../ui/js/mention.js");
static JS_MESSAGE_ROW: Asset = module!("../../ui/js/message-row.js");
static JS_PRETTY: Asset = module!("../../ui/js/pretty.js");
static JS_REJECTIONS: Asset = module!("../../ui/js/rejections.js");
static JS_RELAY: Asset = module!("../../ui/js/relay.js");
static JS_RELAY_QUEUES: Asset = module!("../../ui/js/relay-queues.js");
static JS_RELAY_SETTINGS: Asset = module!("../../ui/js/relay-settings.js");
static JS_REMOTE_IMAGES: Asset = module!("../../ui/js/remote-images.js");
static JS_ROUTER: Asset = module!("../../ui/js/router.js");
static JS_SAFE_HTML: Asset = module!("../../ui/js/safe-html.js");
static JS_STATE: Asset = module!("../../ui/js/state.js");
static JS_TIME: Asset = module!("../../ui/js/time.js");
static JS_TIMELINE: Asset = module!("../../ui/js/timeline.js");
static JS_VIEW_AS: Asset = module!("../../ui/js/view-as.js");

/// A strong ETag: FNV-1a of the content. Not cryptographic: it only tells versions apart.
fn etag_of(body: &str) -> HeaderValue {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in body.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    HeaderValue::from_str(&format!("\"{hash:016x}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Every path of the inbox's files, and what it serves: the one list both the router and the
/// admin guard ([`is_public_asset`]) read.
static PATHS: [(&str, &Asset); 40] = [
    ("/", &INDEX),
    ("/index.html", &INDEX),
    ("/assets/app.js", &APP_JS),
    ("/assets/app.css", &APP_CSS),
    ("/app.css", &APP_CSS),
    ("/assets/render.css", &RENDER_CSS),
    ("/render.css", &RENDER_CSS),
    ("/favicon.svg", &FAVICON),
    ("/favicon.ico", &FAVICON),
    ("/assets/js/api.js", &JS_API),
    ("/assets/js/blackboard.js", &JS_BLACKBOARD),
    ("/assets/js/bots.js", &JS_BOTS),
    ("/assets/js/callback-settings.js", &JS_CALLBACK_SETTINGS),
    ("/assets/js/callbacks.js", &JS_CALLBACKS),
    ("/assets/js/chat-head.js", &JS_CHAT_HEAD),
    ("/assets/js/chat-list.js", &JS_CHAT_LIST),
    ("/assets/js/chat.js", &JS_CHAT),
    ("/assets/js/clipboard.js", &JS_CLIPBOARD),
    ("/assets/js/composer.js", &JS_COMPOSER),
    ("/assets/js/controls.js", &JS_CONTROLS),
    ("/assets/js/curl.js", &JS_CURL),
    ("/assets/js/detail.js", &JS_DETAIL),
    ("/assets/js/dom.js", &JS_DOM),
    ("/assets/js/faults.js", &JS_FAULTS),
    ("/assets/js/live.js", &JS_LIVE),
    ("/assets/js/live-worker.js", &JS_LIVE_WORKER),
    ("/assets/js/mention.js", &JS_MENTION),
    ("/assets/js/message-row.js", &JS_MESSAGE_ROW),
    ("/assets/js/pretty.js", &JS_PRETTY),
    ("/assets/js/rejections.js", &JS_REJECTIONS),
    ("/assets/js/relay.js", &JS_RELAY),
    ("/assets/js/relay-queues.js", &JS_RELAY_QUEUES),
    ("/assets/js/relay-settings.js", &JS_RELAY_SETTINGS),
    ("/assets/js/remote-images.js", &JS_REMOTE_IMAGES),
    ("/assets/js/router.js", &JS_ROUTER),
    ("/assets/js/safe-html.js", &JS_SAFE_HTML),
    ("/assets/js/state.js", &JS_STATE),
    ("/assets/js/time.js", &JS_TIME),
    ("/assets/js/timeline.js", &JS_TIMELINE),
    ("/assets/js/view-as.js", &JS_VIEW_AS),
];

/// The routes of the inbox's files.
pub fn router() -> Router<AppState> {
    PATHS.iter().fold(Router::new(), |router, &(path, asset)| {
        router.route(
            path,
            get(move |headers: HeaderMap| async move { serve(asset, &headers) }),
        )
    })
}

/// Whether `path` is one of the static UI files (served without the admin token: they hold no
/// data; the UI asks for the token before it calls the API).
pub fn is_public_asset(path: &str) -> bool {
    PATHS.iter().any(|(known, _)| *known == path)
}

fn serve(asset: &Asset, request_headers: &HeaderMap) -> Response {
    let etag = (*asset.etag).clone();
    let matches = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|list| {
            list.split(',')
                .any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == etag)
        });
    let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::ETAG, etag),
            cache,
        ],
        asset.body,
    )
        .into_response()
}

/// The headers added to every API and UI response that does not set its own.
pub fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_by_content_and_are_quoted() {
        let a = etag_of("a");
        assert_ne!(a, etag_of("b"));
        assert!(a.to_str().unwrap().starts_with('"'));
    }

    #[test]
    fn a_matching_if_none_match_answers_304() {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, (*APP_JS.etag).clone());
        assert_eq!(serve(&APP_JS, &headers).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve(&APP_JS, &HeaderMap::new()).status(), StatusCode::OK);
    }

    #[test]
    fn every_module_a_served_script_imports_is_served_too() {
        let scripts = PATHS.iter().filter(|(path, asset)| {
            path.starts_with("/assets/") && asset.content_type.starts_with("text/javascript")
        });
        for (path, asset) in scripts {
            let dir = &path[..=path.rfind('/').unwrap()];
            let imports = asset.body.split(" from '").skip(1);
            for specifier in imports.filter_map(|rest| rest.split('\'').next()) {
                let target = format!("{dir}{}", specifier.trim_start_matches("./"));
                assert!(is_public_asset(&target), "{path} imports {specifier}");
            }
        }
    }

    #[test]
    fn the_policy_forbids_inline_script() {
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self';"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    }
}
