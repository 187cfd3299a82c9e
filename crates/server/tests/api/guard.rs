//! Who may use the API and the inbox, and the headers that protect the inbox.

use hookpit_server::store::DEMO_GROUP;

use crate::admin::get;
use crate::support::{TestServer, text};

const TOKEN: &str = "s3cret-token";

async fn with_token() -> TestServer {
    TestServer::start_with(|config| config.admin_token = Some(TOKEN.to_owned())).await
}

#[tokio::test]
async fn with_a_token_every_api_call_needs_it() {
    let server = with_token().await;
    let bare = get(&server, "/users").await;
    assert_eq!(bare.status, 401);
    assert_eq!(bare.code(), "unauthorized");
    assert!(bare.header("www-authenticate").starts_with("Bearer"));
    assert_eq!(bare.header("x-content-type-options"), "nosniff");

    let wrong = server
        .http
        .get(server.url("/api/v1/users"))
        .bearer_auth("s3cret-tokem")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);

    let right = server
        .http
        .get(server.url("/api/v1/users"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
    // The cookie lets <img>, downloads and EventSource through afterwards; it holds an HMAC
    // of the token, never the token itself.
    let cookie = right.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("hookpit_session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(!cookie.contains(TOKEN), "{cookie}");
}

/// The session cookie a header-authenticated call hands out (`name=value`).
async fn session_cookie(server: &TestServer) -> String {
    let response = server
        .http
        .get(server.url("/api/v1/users"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_query_token_or_the_cookie_opens_reads_but_never_writes() {
    let server = with_token().await;
    let read = server
        .http
        .get(server.url(&format!("/api/v1/chats?access_token={TOKEN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    let session = session_cookie(&server).await;
    let by_cookie = server
        .http
        .get(server.url("/api/v1/chats"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status().as_u16(), 200);
    // The raw token is not a session.
    let raw = server
        .http
        .get(server.url("/api/v1/chats"))
        .header("cookie", format!("hookpit_session={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 401);
    let write = server
        .http
        .delete(server.url(&format!("/api/v1/messages?access_token={TOKEN}")))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(write.status().as_u16(), 401);
}

#[tokio::test]
async fn with_a_token_the_webhook_and_the_static_inbox_stay_open() {
    let server = with_token().await;
    assert_eq!(
        server.send(&text(Some(DEMO_GROUP), "hi")).await.errcode(),
        0
    );
    for path in [
        "/",
        "/index.html",
        "/assets/app.js",
        "/assets/app.css",
        "/assets/render.css",
        "/assets/js/api.js",
        "/app.css",
        "/render.css",
    ] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    // The entry module only works where its relative imports resolve, so it has no root alias:
    // `/app.js` is not a public file, and the guard asks for the token like on any other path.
    let response = server.http.get(server.url("/app.js")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn behind_a_proxy_a_forged_loopback_hop_does_not_open_the_api() {
    // nginx appends the address it saw, so everything left of the last hop is the client's.
    let server = TestServer::start_with(|config| config.trust_proxy = true).await;
    for forwarded in [
        "127.0.0.1, 203.0.113.9",
        "garbage, 203.0.113.9",
        "garbage",
        "127.0.0.1, garbage",
        "::1, 203.0.113.9",
    ] {
        let response = server
            .http
            .get(server.url("/api/v1/users"))
            .header("x-forwarded-for", forwarded)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            403,
            "X-Forwarded-For: {forwarded}"
        );
    }
    // The proxy's own local hop is a local caller.
    let local = server
        .http
        .get(server.url("/api/v1/users"))
        .header("x-forwarded-for", "203.0.113.9, 127.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(local.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_chain_of_trusted_hops_takes_the_address_its_first_proxy_appended() {
    let server = TestServer::start_with(|config| {
        config.trust_proxy = true;
        config.trusted_hops = 2;
    })
    .await;
    let forged = server
        .http
        .get(server.url("/api/v1/users"))
        .header("x-forwarded-for", "127.0.0.1, 203.0.113.9, 127.0.0.1")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    server.stop().await;
}

#[tokio::test]
async fn without_a_token_only_loopback_callers_get_in() {
    // Behind a trusted proxy the caller is the X-Forwarded-For hop the proxy appended.
    let server = TestServer::start_with(|config| config.trust_proxy = true).await;
    let remote = server
        .http
        .get(server.url("/api/v1/users"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(remote.status().as_u16(), 403);
    let inbox = server
        .http
        .get(server.url("/"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status().as_u16(), 403);
    assert_eq!(get(&server, "/users").await.status, 200);
}

#[tokio::test]
async fn a_foreign_host_name_is_refused_against_dns_rebinding() {
    let server = TestServer::start().await;
    let rebound = server
        .http
        .get(server.url("/api/v1/users"))
        .header("host", "attacker.example:8765")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 403);
    let local = server
        .http
        .get(server.url("/api/v1/users"))
        .header("host", "localhost:8765")
        .send()
        .await
        .unwrap();
    assert_eq!(local.status().as_u16(), 200);
}

#[tokio::test]
async fn the_inbox_is_served_with_a_strict_content_security_policy() {
    let server = TestServer::start().await;
    let response = server.http.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("object-src 'none'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let page = response.text().await.unwrap();
    assert!(page.contains("/assets/app.js"));
    // No inline script: every <script> has a src.
    assert!(!page.contains("<script>"));

    let api = get(&server, "/users").await;
    assert!(
        api.header("content-security-policy")
            .contains("default-src 'self'")
    );
}

#[tokio::test]
async fn static_files_revalidate_with_their_etag() {
    let server = TestServer::start().await;
    let first = server
        .http
        .get(server.url("/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].clone();
    let again = server
        .http
        .get(server.url("/assets/app.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
}

#[tokio::test]
async fn with_a_token_readyz_and_metrics_need_it_and_livez_stays_open() {
    let server = with_token().await;
    for path in ["/readyz", "/metrics"] {
        let bare = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(bare.status().as_u16(), 401, "{path}");
        let right = server
            .http
            .get(server.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(right.status().as_u16(), 200, "{path}");
    }
    let live = server.http.get(server.url("/livez")).send().await.unwrap();
    assert_eq!(live.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test]
async fn metrics_listen_serves_probes_without_the_token() {
    let server = TestServer::start_with(|config| {
        config.admin_token = Some(TOKEN.to_owned());
        config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await;
    let addr = server.server.metrics_addr().expect("bound");
    for path in ["/livez", "/readyz", "/metrics"] {
        let response = server
            .http
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    // Only those: the API is not on the metrics address.
    let api = server
        .http
        .get(format!("http://{addr}/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 404);
    assert!(
        server
            .server
            .banner()
            .contains(&format!("metrics: http://{addr}/metrics"))
    );
    server.stop().await;
}
