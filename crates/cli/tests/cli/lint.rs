//! `hookpit lint`: offline validation and rendering lints.

use insta::assert_snapshot;

use crate::helpers::run_in;

fn lint(body: &str, extra: &[&str]) -> crate::helpers::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("message.json"), body).expect("write message");
    let mut args = vec!["lint", "message.json"];
    args.extend_from_slice(extra);
    run_in(dir.path(), &args, "")
}

const COLOURED: &str = r#"{"msgtype":"markdown","markdown":{"content":"<font color=\"red\">down</font> <@zhangsan>"}}"#;

#[test]
fn a_valid_message_with_display_problems_passes_with_warnings() {
    assert_snapshot!(lint(COLOURED, &[]).snapshot(), @r#"
    exit: 0
    --- stdout
    message.json: valid markdown message
    warning[unsupported_colour]: <font color="red">: WeCom has only info (green), comment (grey) and warning (orange-red); the text is shown uncoloured
    --- stderr
    "#);
}

#[test]
fn deny_warnings_turns_warnings_into_exit_1() {
    let output = lint(COLOURED, &["--deny-warnings"]);
    assert_eq!(output.code, 1);
    assert_eq!(
        output.stderr,
        "error: message.json: 1 warning (--deny-warnings)\n"
    );
}

#[test]
fn an_invalid_message_exits_2_with_wecom_errcode() {
    let body = format!(
        r#"{{"msgtype":"text","text":{{"content":"{}"}}}}"#,
        "字".repeat(2000)
    );
    assert_snapshot!(lint(&body, &[]).snapshot(), @r"
    exit: 2
    --- stdout
    message.json: invalid: errcode 40058 text.content exceed max length 5120. invalid Request Parameter
    --- stderr
    error: message.json: WeCom would refuse this message with errcode 40058
    hint: a field is too long or malformed (the errmsg names it): text ≤ 5120 bytes, markdown ≤ 4096 bytes of UTF-8. Long text or markdown can go out as several messages with --split
    ");
}

#[test]
fn json_output_is_one_object_on_stdout() {
    let output = lint(
        r#"{"msgtype":"text","text":{"content":"hi"},"mentioned_list":["lisi"]}"#,
        &["--json"],
    );
    assert_eq!(output.code, 0);
    serde_json::from_str::<serde_json::Value>(&output.stdout).expect("one JSON object");
    assert_snapshot!(output.stdout, @r#"{"valid":true,"msgtype":"text","errcode":0,"errmsg":"ok","warnings":[{"code":"mention_list_ignored","message":"top-level mentioned_list: WeCom ignores it and mentions nobody (it belongs inside the text object of a text message)"}]}"#);
}
