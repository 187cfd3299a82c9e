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

#[test]
fn the_serve_help_lists_every_flag_with_its_variable_and_default() {
    assert_snapshot!(run(&["serve", "--help"]).snapshot());
}

#[test]
fn the_miniprogram_help_says_where_the_cover_comes_from() {
    assert_snapshot!(run(&["send", "miniprogram", "--help"]).snapshot());
}

#[test]
fn the_readyz_help_says_which_address_it_asks_and_the_exit_codes() {
    assert_snapshot!(run(&["readyz", "--help"]).snapshot());
}

#[test]
fn the_completions_and_man_help_show_where_the_files_go() {
    let completions = run(&["completions", "--help"]);
    let man = run(&["man", "--help"]);
    assert_snapshot!(format!("{}\n{}", completions.snapshot(), man.snapshot()));
}

#[test]
fn version_names_the_version_and_the_git_commit() {
    let output = run(&["--version"]);
    assert_eq!((output.code, output.stderr.as_str()), (0, ""));
    let expected_start = format!("hookpit {} (", env!("CARGO_PKG_VERSION"));
    let commit = output
        .stdout
        .strip_prefix(&expected_start)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{:?}", output.stdout));
    // The commit checked out (the build re-runs build.rs when HEAD moves), or `unknown`
    // outside git.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    assert_eq!(commit, head.as_deref().unwrap_or("unknown"));
}

#[test]
fn bash_completions_are_a_script_bash_can_parse_that_knows_the_commands() {
    let output = run(&["completions", "bash"]);
    assert_eq!((output.code, output.stderr.as_str()), (0, ""));
    assert!(
        output.stdout.starts_with("_hookpit() {"),
        "{}",
        output.stdout
    );
    for word in ["readyz", "miniprogram", "--log-format", "--upload-types"] {
        assert!(output.stdout.contains(word), "no {word}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("hookpit.bash");
    std::fs::write(&script, &output.stdout).expect("write the script");
    let parsed = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash runs");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let output = run(&["completions", shell]);
        assert!(
            output.code == 0 && output.stdout.contains("readyz"),
            "{shell}"
        );
    }
}

#[test]
fn the_man_page_is_roff_with_every_command_and_each_command_has_its_own() {
    let output = run(&["man"]);
    assert_eq!((output.code, output.stderr.as_str()), (0, ""));
    let header = format!(".TH hookpit 1  \"hookpit {} (", env!("CARGO_PKG_VERSION"));
    assert!(output.stdout.contains(&header), "{}", output.stdout);
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS"] {
        assert!(output.stdout.contains(section), "no {section}");
    }
    for page in [
        "hookpit\\-serve(1)",
        "hookpit\\-readyz(1)",
        "hookpit\\-man(1)",
    ] {
        assert!(output.stdout.contains(page), "no {page}");
    }
    let serve = run(&["man", "serve"]);
    assert_eq!(serve.code, 0, "{}", serve.stderr);
    assert!(
        serve.stdout.contains(".TH hookpit-serve 1"),
        "{}",
        serve.stdout
    );
    // The environment variables are on the page, as in --help.
    assert!(
        serve.stdout.contains("HOOKPIT_LOG_FORMAT"),
        "{}",
        serve.stdout
    );
}

#[test]
fn the_man_page_of_an_unknown_command_is_a_usage_error_that_lists_the_commands() {
    assert_snapshot!(run(&["man", "sned"]).snapshot(), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: hookpit has no command "sned"
    hint: the commands are serve, send, upload, lint, wait, messages, clear, ca, migrate, readyz, completions, man
    "#);
}

#[test]
fn readyz_with_nothing_listening_exits_1_and_says_what_to_check() {
    let port = free_port();
    let output = run(&["readyz", "--url", &format!("http://127.0.0.1:{port}")]);
    let stderr = output.stderr.replace(&port.to_string(), "[PORT]");
    assert_eq!((output.code, output.stdout.as_str()), (1, ""));
    assert_snapshot!(stderr, @r"
    error: not ready: http://127.0.0.1:[PORT]/readyz: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)
    hint: is `hookpit serve` running, on this address? Without --url the address is HOOKPIT_METRICS_LISTEN, HOOKPIT_LISTEN or 127.0.0.1:8765
    ");
}

#[test]
fn readyz_refuses_a_url_that_is_not_http() {
    assert_snapshot!(run(&["readyz", "--url", "127.0.0.1:8765"]).snapshot(), @r#"
    exit: 2
    --- stdout
    --- stderr
    error: --url "127.0.0.1:8765" is not an http(s) URL
    hint: --url takes the server's base URL, e.g. http://127.0.0.1:8765
    "#);
}

#[test]
fn migrate_brings_a_new_data_directory_up_to_date_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    for _ in 0..2 {
        let output = run_in(dir.path(), &["migrate", "--data", "data"], "");
        assert_eq!(
            (output.code, output.stdout.as_str()),
            (0, "up to date: data/hookpit.db\n"),
            "{}",
            output.snapshot()
        );
    }
    assert!(dir.path().join("data/hookpit.db").is_file());
}

#[test]
fn migrate_of_an_unreachable_database_exits_1_without_showing_its_password() {
    let port = free_port();
    let url = format!("postgres://hookpit:s3cret@127.0.0.1:{port}/hookpit");
    let output = run(&["migrate", "--database", &url]);
    let stderr = output.stderr.replace(&port.to_string(), "[PORT]");
    assert_eq!((output.code, output.stdout.as_str()), (1, ""));
    assert_snapshot!(stderr, @"error: cannot migrate postgres://hookpit:***@127.0.0.1:[PORT]/hookpit: database error: error connecting to server: Connection refused (os error 111)");
}
