//! Passive replies: the document's four examples, the spellings XML allows, the one rule that
//! differs from `send` (`replace_text` optional), and what is refused.

use hookpit_protocol::callback::{
    CallbackFormat, PassiveError, PassiveMessage, PassiveReply, ReplyEnvelope, parse_passive_reply,
};
use hookpit_protocol::message::{Action, Attachment, Markdown, Message, Text};
use hookpit_protocol::{SendRequest, ValidSend};

use crate::crypto::{NONCE, RANDOM16, TIMESTAMP, crypto};

pub(crate) const TEXT_XML: &str = r#"<xml>
  <MsgType>text</MsgType>
  <VisibleToUser>zhangsan|lisi</VisibleToUser>
  <Text>
    <Content><![CDATA[hello\nI'm RobotA\n]]></Content>
    <MentionedList><Item><![CDATA[zhangsan]]></Item><Item><![CDATA[@all]]></Item></MentionedList>
    <MentionedMobileList><Item><![CDATA[@all]]></Item><Item><![CDATA[1380000000]]></Item></MentionedMobileList>
  </Text>
</xml>"#;

pub(crate) const TEXT_JSON: &str = r#"{"visible_to_user":"zhangsan|lisi","msgtype":"text","text":{"content":"hello\nI'm RobotA\n","mentioned_list":["zhangsan","@all"],"mentioned_mobile_list":["@all","13800001111"]}}"#;

pub(crate) const MARKDOWN_XML: &str = r#"<xml>
  <MsgType>markdown</MsgType>
  <VisibleToUser>zhangsan</VisibleToUser>
  <Markdown>
    <Content><![CDATA[实时新增用户反馈<font color="warning">132例</font>]]></Content>
    <Attachment>
      <CallbackId><![CDATA[btn_for_show_more]]></CallbackId>
      <Actions>
        <Name><![CDATA[btn_more]]></Name><Value><![CDATA[btn_more]]></Value><Text><![CDATA[查看更多]]></Text>
        <Type>button</Type><BorderColor>2EAB49</BorderColor><TextColor>2EAB49</TextColor>
        <ReplaceText><![CDATA[select the button_more.]]></ReplaceText>
      </Actions>
    </Attachment>
  </Markdown>
</xml>"#;

pub(crate) const MARKDOWN_JSON: &str = r#"{"msgtype":"markdown","markdown":{"content":"…","attachments":[{"callback_id":"btn_for_show_more","actions":[{"border_color":"2EAB49","name":"btn_more","replace_text":"select the button_more.","text":"查看更多","text_color":"2EAB49","type":"button","value":"btn_more"}]}]}}"#;

fn accepted(format: CallbackFormat, plaintext: &str) -> ValidSend {
    match parse_passive_reply(format, plaintext.as_bytes()) {
        Ok(Some(send)) => send,
        other => panic!("{other:?} for {plaintext}"),
    }
}

fn text(content: &str, mentions: &[&str], mobiles: &[&str]) -> Message {
    let list = |items: &[&str]| Some(items.iter().map(|s| (*s).to_owned()).collect());
    Message::from(Text {
        content: content.to_owned(),
        mentioned_list: list(mentions),
        mentioned_mobile_list: list(mobiles),
    })
}

fn button(replace_text: &str) -> Action {
    Action {
        name: "btn_more".to_owned(),
        text: "查看更多".to_owned(),
        kind: "button".to_owned(),
        value: "btn_more".to_owned(),
        replace_text: replace_text.to_owned(),
        border_color: Some("2EAB49".to_owned()),
        text_color: Some("2EAB49".to_owned()),
    }
}

fn markdown(content: &str, actions: Vec<Action>) -> Message {
    Message::from(Markdown {
        content: content.to_owned(),
        at_short_name: None,
        attachments: Some(vec![Attachment {
            callback_id: "btn_for_show_more".to_owned(),
            actions,
        }]),
    })
}

#[test]
fn the_documents_xml_text_reply_becomes_a_text_send() {
    let send = accepted(CallbackFormat::Xml, TEXT_XML);
    assert_eq!(
        send.request.visible_to_user.as_deref(),
        Some("zhangsan|lisi")
    );
    assert_eq!(send.visible_to, ["zhangsan", "lisi"]);
    // The document's `\n` is two characters inside CDATA, kept as written.
    assert_eq!(
        send.request.message,
        text(
            r"hello\nI'm RobotA\n",
            &["zhangsan", "@all"],
            &["@all", "1380000000"]
        )
    );
}

#[test]
fn the_documents_json_text_reply_becomes_a_text_send() {
    let send = accepted(CallbackFormat::Json, TEXT_JSON);
    assert_eq!(
        send.request.message,
        text(
            "hello\nI'm RobotA\n",
            &["zhangsan", "@all"],
            &["@all", "13800001111"]
        )
    );
}

#[test]
fn the_documents_xml_markdown_reply_keeps_its_attachment() {
    let send = accepted(CallbackFormat::Xml, MARKDOWN_XML);
    assert_eq!(send.request.visible_to_user.as_deref(), Some("zhangsan"));
    assert_eq!(
        send.request.message,
        markdown(
            r#"实时新增用户反馈<font color="warning">132例</font>"#,
            vec![button("select the button_more.")]
        )
    );
}

#[test]
fn the_documents_json_markdown_reply_keeps_its_attachment() {
    let send = accepted(CallbackFormat::Json, MARKDOWN_JSON);
    assert_eq!(
        send.request.message,
        markdown("…", vec![button("select the button_more.")])
    );
}

#[test]
fn xml_values_read_the_same_with_cdata_without_it_and_as_references() {
    for content in [
        "<Content><![CDATA[你好 <b>]]></Content>",
        "<Content>你好 &lt;b&gt;</Content>",
        "<Content>&#20320;&#22909; &lt;b></Content>",
        "<Content>\n   <![CDATA[你好 <b>]]>\n  </Content>",
    ] {
        let xml = format!("<xml><MsgType>text</MsgType><Text>{content}</Text></xml>");
        let send = accepted(CallbackFormat::Xml, &xml);
        let Message::Text { text } = send.request.message else {
            panic!("not text");
        };
        assert_eq!(text.content, "你好 <b>", "{content}");
    }
}

#[test]
fn a_markdown_reply_without_replace_text_is_accepted_unlike_a_send() {
    let xml = MARKDOWN_XML.replace(
        "<ReplaceText><![CDATA[select the button_more.]]></ReplaceText>",
        "",
    );
    let send = accepted(CallbackFormat::Xml, &xml);
    let Message::Markdown { markdown } = &send.request.message else {
        panic!("not markdown");
    };
    assert_eq!(
        markdown.attachments.as_ref().unwrap()[0].actions[0].replace_text,
        ""
    );
    let json = MARKDOWN_JSON.replace(r#""replace_text":"select the button_more.","#, "");
    accepted(CallbackFormat::Json, &json);
    // The send API itself still requires it.
    let error = hookpit_protocol::parse_send(json.as_bytes()).unwrap_err();
    assert_eq!(error.code(), 40058);
}

#[test]
fn several_actions_and_attachments_are_kept_in_order() {
    let action = |name: &str| {
        format!(
            "<Actions><Name>{name}</Name><Value>v</Value><Text>t</Text><Type>button</Type></Actions>"
        )
    };
    let xml = format!(
        "<xml><MsgType>markdown</MsgType><Markdown><Content>c</Content>\
         <Attachment><CallbackId>one</CallbackId>{}{}</Attachment>\
         <Attachment><CallbackId>two</CallbackId>{}</Attachment></Markdown></xml>",
        action("a"),
        action("b"),
        action("c")
    );
    let send = accepted(CallbackFormat::Xml, &xml);
    let Message::Markdown { markdown } = send.request.message else {
        panic!("not markdown");
    };
    let attachments = markdown.attachments.unwrap();
    let names: Vec<Vec<&str>> = attachments
        .iter()
        .map(|a| {
            a.actions
                .iter()
                .map(|action| action.name.as_str())
                .collect()
        })
        .collect();
    assert_eq!(names, [vec!["a", "b"], vec!["c"]]);
    assert_eq!(attachments[1].callback_id, "two");
}

#[test]
fn an_empty_plaintext_or_an_empty_text_is_no_reply() {
    for (format, plaintext) in [
        (CallbackFormat::Xml, ""),
        (CallbackFormat::Json, " \n"),
        (
            CallbackFormat::Xml,
            "<xml><MsgType>text</MsgType><Text><Content></Content></Text></xml>",
        ),
        (CallbackFormat::Xml, "<xml><MsgType>text</MsgType></xml>"),
        (
            CallbackFormat::Json,
            r#"{"msgtype":"text","text":{"content":""}}"#,
        ),
        (CallbackFormat::Json, r#"{"msgtype":"text"}"#),
    ] {
        let reply = parse_passive_reply(format, plaintext.as_bytes());
        assert!(matches!(reply, Ok(None)), "{reply:?} for {plaintext:?}");
    }
}

#[test]
fn an_image_reply_is_refused_naming_its_type() {
    let json = r#"{"msgtype":"image","image":{"base64":"x","md5":"y"}}"#;
    let error = parse_passive_reply(CallbackFormat::Json, json.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"passive replies are text or markdown only, not "image""#
    );
    let xml = "<xml><MsgType>image</MsgType><Image><Base64>x</Base64></Image></xml>";
    let error = parse_passive_reply(CallbackFormat::Xml, xml.as_bytes()).unwrap_err();
    assert!(
        matches!(error, PassiveError::UnsupportedMsgType(ref t) if t == "image"),
        "{error:?}"
    );
}

#[test]
fn malformed_or_untyped_replies_are_refused() {
    for (format, plaintext) in [
        (
            CallbackFormat::Xml,
            "<xml><MsgType>text</MsgType><Text><Content>x</Text></xml>",
        ),
        (CallbackFormat::Xml, "<xml><MsgType>text</MsgType>"),
        (CallbackFormat::Xml, TEXT_JSON),
        (CallbackFormat::Json, TEXT_XML),
        (CallbackFormat::Json, "[]"),
    ] {
        let error = parse_passive_reply(format, plaintext.as_bytes()).unwrap_err();
        assert!(
            matches!(error, PassiveError::NotXml(_) | PassiveError::NotJson(_)),
            "{error:?} for {plaintext}"
        );
    }
    let error = parse_passive_reply(CallbackFormat::Xml, b"<xml><Text/></xml>").unwrap_err();
    assert!(matches!(error, PassiveError::MissingMsgType));
}

#[test]
fn a_reply_breaking_a_send_rule_gets_the_send_answer() {
    let long = "a".repeat(5121);
    let json = format!(r#"{{"msgtype":"text","text":{{"content":"{long}"}}}}"#);
    let error = parse_passive_reply(CallbackFormat::Json, json.as_bytes()).unwrap_err();
    let PassiveError::Invalid(code) = error else {
        panic!("{error:?}");
    };
    assert_eq!(code.code(), 40058);
    let xml = "<xml><MsgType>markdown</MsgType><Markdown><Content></Content></Markdown></xml>";
    let error = parse_passive_reply(CallbackFormat::Xml, xml.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the passive reply breaks a send rule: errcode 44004 empty content"
    );
}

#[test]
fn a_json_reply_naming_a_chatid_or_post_id_still_goes_to_the_callbacks_chat() {
    // Found by the callback_payload fuzz target: a callback's own JSON is a valid text reply,
    // and its `chatid` was kept, so the reply named a chat of its own (a `post_id` too).
    let ids = vec!["wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw"; 101].join("|");
    let reply = format!(
        r#"{{"chatid":"{ids}","post_id":"POSTID","msgtype":"text","text":{{"content":"hi"}}}}"#
    );
    let send = accepted(CallbackFormat::Json, &reply);
    let plain = accepted(
        CallbackFormat::Json,
        r#"{"msgtype":"text","text":{"content":"hi"}}"#,
    );
    assert_eq!(send, plain);
    assert_eq!(send.request.chatid, None);
    assert_eq!(send.request.post_id, None);
}

fn replies() -> Vec<PassiveReply> {
    let mut with_visibility = PassiveReply::from(Text {
        content: "hello ]]> <b>".to_owned(),
        mentioned_list: Some(vec!["zhangsan".to_owned(), "@all".to_owned()]),
        mentioned_mobile_list: Some(vec!["13800001111".to_owned()]),
    });
    with_visibility.visible_to_user = Some("zhangsan|lisi".to_owned());
    let Message::Markdown { markdown } = markdown("**x**", vec![button(""), button("done")]) else {
        unreachable!()
    };
    vec![
        with_visibility,
        PassiveReply::from(Text {
            content: "plain".to_owned(),
            ..Text::default()
        }),
        PassiveReply::from(markdown),
    ]
}

#[test]
fn replies_written_in_either_format_parse_back_to_the_same_send() {
    for reply in replies() {
        for format in [CallbackFormat::Xml, CallbackFormat::Json] {
            let plaintext = reply.to_plaintext(format);
            let send = accepted(format, &plaintext);
            assert_eq!(
                send.request,
                reply.to_send_request(),
                "{format}: {plaintext}"
            );
        }
    }
}

#[test]
fn an_empty_replace_text_is_left_out_of_both_formats() {
    let reply = &replies()[2];
    let json = reply.to_json();
    assert_eq!(json.matches("replace_text").count(), 1, "{json}");
    assert_eq!(reply.to_xml().matches("<ReplaceText>").count(), 1);
}

#[test]
fn the_text_reply_is_written_as_the_documents_xml() {
    let reply = &replies()[0];
    assert_eq!(
        reply.to_xml(),
        "<xml><MsgType><![CDATA[text]]></MsgType><VisibleToUser><![CDATA[zhangsan|lisi]]></VisibleToUser>\
         <Text><Content><![CDATA[hello ]]]]><![CDATA[> <b>]]></Content>\
         <MentionedList><Item><![CDATA[zhangsan]]></Item><Item><![CDATA[@all]]></Item></MentionedList>\
         <MentionedMobileList><Item><![CDATA[13800001111]]></Item></MentionedMobileList></Text></xml>"
    );
    assert!(matches!(reply.message, PassiveMessage::Text(_)));
}

#[test]
fn an_encrypted_json_reply_with_a_string_timestamp_reads_end_to_end() {
    let crypto = crypto();
    let plaintext = TEXT_JSON.as_bytes();
    let encrypt = crypto.encrypt(plaintext, RANDOM16).unwrap();
    let signature = crypto.signature(TIMESTAMP, NONCE, &encrypt);
    // Tencent's JSON sample library writes the timestamp as a string.
    let body = format!(
        r#"{{"encrypt":"{encrypt}","msgsignature":"{signature}","timestamp":"{TIMESTAMP}","nonce":"{NONCE}"}}"#
    );
    let envelope = ReplyEnvelope::parse(CallbackFormat::Json, body.as_bytes()).unwrap();
    let decrypted = crypto
        .decrypt_message(
            &envelope.msg_signature,
            &envelope.timestamp,
            &envelope.nonce,
            &envelope.encrypt,
        )
        .unwrap();
    let send = parse_passive_reply(CallbackFormat::Json, &decrypted)
        .unwrap()
        .unwrap();
    assert_eq!(
        send.request,
        SendRequest {
            visible_to_user: Some("zhangsan|lisi".to_owned()),
            ..SendRequest::new(text(
                "hello\nI'm RobotA\n",
                &["zhangsan", "@all"],
                &["@all", "13800001111"]
            ))
        }
    );
}
