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

#[test]
fn the_documents_placeholder_media_ids_are_valid_but_warned_about() {
    let file = r#"{"msgtype":"file","file":{"media_id":"3a8asd892asd8asd"}}"#;
    assert_snapshot!(lint(file, &[]).snapshot(), @r#"
    exit: 0
    --- stdout
    message.json: valid file message
    warning[placeholder_media_id]: file.media_id: "3a8asd892asd8asd" is a placeholder of WeCom's official document; Hookpit's demo workspace answers it, real WeCom will not: use the media_id of an upload (hookpit upload)
    --- stderr
    "#);
    let cover = r#"{"msgtype":"miniprogram","miniprogram":{"title":"小程序测试消息","pic_media_id":"MEDIA_ID","appid":"wx8bd80126147dfAAA","page":"/path/index.html"}}"#;
    assert_snapshot!(lint(cover, &["--json"]).stdout, @r#"{"valid":true,"msgtype":"miniprogram","errcode":0,"errmsg":"ok","warnings":[{"code":"placeholder_media_id","message":"miniprogram.pic_media_id: \"MEDIA_ID\" is a placeholder of WeCom's official document; Hookpit's demo workspace answers it, real WeCom will not: use the media_id of an image upload (hookpit upload --type image)"}]}"#);
}

#[test]
fn visible_to_user_and_post_id_that_the_chatid_makes_ineffective_are_warned_about() {
    let body = r#"{"chatid":"wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw|zhangsan","visible_to_user":"zhangsan|lisi","post_id":"bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx","msgtype":"text","text":{"content":"广州今日天气：29度"}}"#;
    assert_snapshot!(lint(body, &["--deny-warnings"]).snapshot(), @r#"
    exit: 1
    --- stdout
    message.json: valid text message
    warning[visible_to_ignored]: visible_to_user: WeCom applies it only when chatid names exactly one group (or blackboard, for text and markdown), and chatid names 2 targets: everyone in the chats sees the message
    warning[post_id_ignored]: post_id: WeCom applies it only when chatid is exactly one blackboard, and chatid names 2 targets: the message is not a reply to post "bpkSFfCgAAWeiHNo2p6lJbG3_F2xxxxx"
    --- stderr
    error: message.json: 2 warnings (--deny-warnings)
    "#);
    let one_chat = r#"{"chatid":"wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw","visible_to_user":"zhangsan","msgtype":"text","text":{"content":"x"}}"#;
    assert_eq!(lint(one_chat, &["--deny-warnings"]).code, 0);
}
