//! `hookpit readyz` against a running Hookpit: the exit code a container's health check reads.

use insta::assert_snapshot;

use crate::helpers::TestServer;

#[tokio::test]
async fn readyz_exits_0_when_the_server_answers_200() {
    let hookpit = TestServer::start().await;
    let base = hookpit.server.base_url().to_owned();
    let output = hookpit.run(&["readyz", "--url", &base], "").await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 0
    --- stdout
    ready: [BASE]/readyz
    --- stderr
    ");
}

#[tokio::test]
async fn readyz_asks_the_address_serve_would_listen_on_from_the_same_environment() {
    let hookpit = TestServer::start().await;
    let addr = hookpit
        .server
        .base_url()
        .trim_start_matches("http://")
        .to_owned();
    // A container sets HOOKPIT_LISTEN for `serve`; the health check reads the same variable,
    // and an address of every interface is asked on loopback.
    let port = addr.rsplit(':').next().expect("a port").to_owned();
    let output = hookpit
        .run_env(
            &["readyz"],
            "",
            &[("HOOKPIT_LISTEN", &format!("0.0.0.0:{port}"))],
        )
        .await;
    assert_eq!(output.code, 0, "{}", output.snapshot());
    assert_eq!(output.stdout, "ready: [BASE]/readyz\n");
}

#[tokio::test]
async fn readyz_of_a_server_with_an_admin_token_needs_the_token() {
    let hookpit = TestServer::with(|config| config.admin_token = Some("s3cret".to_owned())).await;
    let base = hookpit.server.base_url().to_owned();
    let without = hookpit.run(&["readyz", "--url", &base], "").await;
    assert_snapshot!(without.snapshot(), @r#"
    exit: 1
    --- stdout
    --- stderr
    error: not ready: [BASE]/readyz answered 401 Unauthorized: {"code":"unauthorized","message":"this server requires the admin token: send Authorization: Bearer TOKEN"}
    hint: the server has an admin token: pass --admin-token (or HOOKPIT_ADMIN_TOKEN, --admin-token-file), or ask its --metrics-listen address, which needs none
    "#);
    let with = hookpit
        .run_env(
            &["readyz", "--url", &format!("{base}/readyz")],
            "",
            &[("HOOKPIT_ADMIN_TOKEN", "s3cret")],
        )
        .await;
    assert_eq!(with.code, 0, "{}", with.snapshot());
}

#[tokio::test]
async fn readyz_of_a_server_whose_redis_is_unreachable_exits_0_and_says_degraded() {
    // Nothing listens on port 1: the server starts anyway and accepts sends per instance.
    let hookpit =
        TestServer::with(|config| config.redis = Some("redis://127.0.0.1:1".to_owned())).await;
    let base = hookpit.server.base_url().to_owned();
    let output = hookpit.run(&["readyz", "--url", &base], "").await;
    assert_snapshot!(output.snapshot(), @r"
    exit: 0
    --- stdout
    ready, degraded (Redis unavailable, rate limits and fault rules are per instance): [BASE]/readyz
    --- stderr
    ");
}
