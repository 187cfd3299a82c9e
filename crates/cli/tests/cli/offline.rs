//! What the binary says without any server: help, usage errors, missing bot, network failures.

use insta::assert_snapshot;

use crate::helpers::run_in;

fn run(args: &[&str]) -> crate::helpers::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    run_in(dir.path(), args, "")
}

#[test]
fn the_main_help_lists_commands_examples_and_exit_codes() {
    assert_snapshot!(run(&["--help"]).snapshot());
}

#[test]
fn the_send_help_teaches_by_example() {
    assert_snapshot!(run(&["send", "--help"]).snapshot());
}

#[test]
fn the_news_help_explains_how_flags_group_into_articles() {
    assert_snapshot!(run(&["send", "news", "--help"]).snapshot());
}

#[test]
fn the_wait_help_teaches_which_messages_count_by_example() {
    assert_snapshot!(run(&["wait", "--help"]).snapshot());
}

#[test]
fn the_messages_help_teaches_by_example() {
    assert_snapshot!(run(&["messages", "--help"]).snapshot());
}

#[test]
fn the_clear_help_says_what_stays() {
    assert_snapshot!(run(&["clear", "--help"]).snapshot());
}

#[test]
fn wait_without_a_server_exits_4_and_names_the_default_base() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let output = run(&["wait", "--base", &base, "--timeout", "1s"]);
    let stderr = output.stderr.replace(&base, "[BASE]");
    assert_eq!(output.code, 4);
    assert_snapshot!(stderr, @r"
    error: request to Hookpit failed: error sending request for url ([BASE]/api/v1/messages/wait): client error (Connect): tcp connect error: Connection refused (os error 111)
    hint: check --base (default http://127.0.0.1:8765, or HOOKPIT_BASE) and that `hookpit serve` is running
    ");
}

#[test]
fn an_unknown_msgtype_is_a_usage_error_that_lists_the_wire_names() {
    let output = run(&["messages", "--msgtype", "Markdown"]);
    assert_snapshot!(output.snapshot(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: invalid value 'Markdown' for '--msgtype <TYPE>'
      [possible values: text, markdown, markdown_v2, image, news, file, voice, template_card, miniprogram]

      tip: a similar value exists: 'markdown'

    For more information, try '--help'.
    ");
}

#[test]
fn sending_without_a_bot_exits_2_and_says_how_to_name_one() {
    assert_snapshot!(run(&["send", "text", "hi"]).snapshot(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: no bot to send to
    hint: pass --webhook URL (the whole webhook URL), --key KEY [--base URL], or set HOOKPIT_WEBHOOK
    ");
}

#[test]
fn a_webhook_url_without_a_key_exits_2() {
    let output = run(&[
        "send",
        "--webhook",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
        "text",
        "hi",
    ]);
    assert_snapshot!(output.snapshot(), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: invalid webhook url "https://qyapi.weixin.qq.com/cgi-bin/webhook/send": no key=... query parameter
    hint: --webhook takes the whole URL, e.g. https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
    "#);
}

#[test]
fn an_unknown_message_type_is_a_usage_error() {
    let output = run(&["send", "--key", "k", "video", "x"]);
    assert_eq!(output.code, 2);
    assert!(
        output
            .stderr
            .starts_with("error: unrecognized subcommand 'video'"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_file_that_cannot_be_read_exits_2() {
    let output = run(&["send", "--key", "k", "image", "missing.png"]);
    assert_snapshot!(output.snapshot(), @r"
    exit: 2
    --- stdout
    --- stderr
    error: cannot read missing.png: No such file or directory (os error 2)
    ");
}

/// A port nothing listens on: bound, then dropped.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn an_unreachable_server_exits_4() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let output = run(&[
        "send",
        "--key",
        "k",
        "--base",
        &base,
        "--retries",
        "0",
        "text",
        "hi",
    ]);
    let stderr = output
        .stderr
        .replace(&base, "[BASE]")
        .replace(&format!("127.0.0.1:{port}"), "[ADDR]");
    assert_eq!(output.code, 4);
    assert_snapshot!(stderr, @r"
    error: request to [BASE]/cgi-bin/webhook/send?key=k… failed: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)
    hint: nothing is listening at [ADDR]: check the base URL, and that the server is running (`hookpit serve` prints its webhook URL)
    ");
}

#[test]
fn the_ca_help_shows_the_three_lines_a_ci_job_needs() {
    assert_snapshot!(run(&["ca", "--help"]).snapshot());
}

#[test]
fn hookpit_ca_prints_the_same_certificate_every_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = run_in(dir.path(), &["ca", "--data", "data"], "");
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        first.stdout.starts_with("-----BEGIN CERTIFICATE-----\n"),
        "{}",
        first.stdout
    );
    assert!(
        first
            .stdout
            .trim_end()
            .ends_with("-----END CERTIFICATE-----")
    );
    assert!(
        first.stderr.contains("data/ca/hookpit-ca.pem"),
        "{}",
        first.stderr
    );
    let second = run_in(dir.path(), &["ca", "--data", "data"], "");
    assert_eq!(first.stdout, second.stdout);
    // The key never goes to stdout.
    assert!(!first.stdout.contains("PRIVATE KEY"));
}
