//! Decrypted payloads: the document's examples read verbatim, every body round-trips through
//! both formats, and one serialization of each format is pinned byte for byte.

use hookpit_protocol::callback::{
    AttachmentAction, Callback, CallbackBody, CallbackFormat, ChatType, EventType, MixedItem,
    PayloadError, Sender,
};

pub(crate) const TEXT_XML: &str = r#"<xml>
  <WebhookUrl><![CDATA[http://in.qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WEBHOOK]]></WebhookUrl>
  <MsgId>abcdabcdabcd</MsgId>
  <ChatId><![CDATA[wrkSFfCgAALFgnrSsWU38puiv4yvExuw]]></ChatId>
  <PostId><![CDATA[bpkSFfCgAAWeiHos2p6lJbG3_F2xxxxx]]></PostId>
  <ChatType>single</ChatType>
  <From>
    <UserId>zhangsan</UserId>
    <Name><![CDATA[张三]]></Name>
    <Alias><![CDATA[jackzhang]]></Alias>
  </From>
  <GetChatInfoUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=CODE]]></GetChatInfoUrl>
  <MsgType>text</MsgType>
  <Text><Content><![CDATA[@RobotA hello robot]]></Content></Text>
</xml>"#;

pub(crate) const TEXT_JSON: &str = r#"{"webhook_url":"http://in.qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WEBHOOK",
 "msgid":"CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=","chatid":"CHATID","postid":"POSTID","chattype":"group",
 "from":{"userid":"zhangsan","name":"张三","alias":"jackzhang"},
 "get_chat_info_url":"http://in.qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=CODE",
 "msgtype":"text","text":{"content":"@RobotA hello robot"}}"#;

pub(crate) const EVENT_XML: &str = r#"<xml>
  <WebhookUrl><![CDATA[https://qyapi.weixin.qq.com/xxxxxxx]]></WebhookUrl>
  <ChatId><![CDATA[wrkSFfCgAALFgnrSsWU38puiv4yvExuw]]></ChatId>
  <ChatType>single</ChatType>
  <GetChatInfoUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=…]]></GetChatInfoUrl>
  <From><UserId>zhangsan</UserId><Name><![CDATA[张三]]></Name><Alias><![CDATA[jackzhang]]></Alias></From>
  <MsgType>event</MsgType>
  <Event><EventType><![CDATA[add_to_chat]]></EventType></Event>
  <MsgId>abcdabcdabcd</MsgId>
</xml>"#;

pub(crate) const EVENT_JSON: &str = r#"{"webhook_url":"http://in.qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WEBHOOK","msgid":"hX7-qR-YSuKTmrMFYeLQVwAA",
 "chatid":"CHATID","chattype":"single","from":{"userid":"zhangsan","name":"张三","alias":"brandongbu"},
 "get_chat_info_url":"http://in.qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=…",
 "msgtype":"event","event":{"event_type":"enter_chat"}}"#;

pub(crate) const ATTACHMENT_XML: &str = r#"<xml>
  <WebhookUrl><![CDATA[http://in.qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WEBHOOK]]></WebhookUrl>
  <MsgId><![CDATA[0GLL5fDZQF-1ygUp_4ECfAAA]]></MsgId>
  <ChatId><![CDATA[CHATID]]></ChatId>
  <PostId><![CDATA[POSTID]]></PostId>
  <ChatType>group</ChatType>
  <From><UserId><![CDATA[zhangsan]]></UserId><Name><![CDATA[张三]]></Name><Alias><![CDATA[zhangsan]]></Alias></From>
  <GetChatInfoUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=CODE]]></GetChatInfoUrl>
  <MsgType><![CDATA[attachment]]></MsgType>
  <Attachment>
    <CallbackId><![CDATA[btn_for_show_more]]></CallbackId>
    <Actions>
      <Name><![CDATA[btn_more]]></Name>
      <Value><![CDATA[btn_more]]></Value>
      <Type><![CDATA[button]]></Type>
    </Actions>
  </Attachment>
</xml>"#;

pub(crate) const ATTACHMENT_JSON: &str = r#"{"webhook_url":"…","msgid":"0GLL5fDZQF-1ygUp_4ECfAAA","chatid":"CHATID","postid":"POSTID","chattype":"group",
 "from":{"userid":"zhangsan","name":"张三","alias":"zhangsan"},"get_chat_info_url":"…",
 "msgtype":"attachment",
 "attachment":{"callbackid":"btn_for_show_more","actions":[{"name":"btn_more","value":"btn_more","type":"button"}]}}"#;

/// The document shows only the body of a mixed message; the common fields are the text example's.
pub(crate) const MIXED_XML_BODY: &str = r#"<MsgType><![CDATA[mixed]]></MsgType>
<MixedMessage>
  <MsgItem><MsgType><![CDATA[text]]></MsgType><Text><Content><![CDATA[@机器人 这是今日的测试情况]]></Content></Text></MsgItem>
  <MsgItem><MsgType><![CDATA[image]]></MsgType><Image><ImageUrl><![CDATA[http://p.qpic.cn/pic_wework/…/0]]></ImageUrl></Image></MsgItem>
</MixedMessage>"#;

pub(crate) const MIXED_JSON_BODY: &str = r#""msgtype":"mixed","mixed_message":{"msg_item":[{"msg_type":"text","text":{"content":"…"}},{"msg_type":"image","image":{"image_url":"…"}}]}"#;

fn sender(alias: &str) -> Sender {
    Sender {
        userid: "zhangsan".to_owned(),
        name: "张三".to_owned(),
        alias: alias.to_owned(),
    }
}

#[test]
fn the_documents_xml_text_example_reads_field_for_field() {
    let callback = Callback::parse(CallbackFormat::Xml, TEXT_XML.as_bytes()).unwrap();
    assert_eq!(
        callback,
        Callback {
            webhook_url: "http://in.qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WEBHOOK"
                .to_owned(),
            msgid: "abcdabcdabcd".to_owned(),
            chatid: "wrkSFfCgAALFgnrSsWU38puiv4yvExuw".to_owned(),
            post_id: Some("bpkSFfCgAAWeiHos2p6lJbG3_F2xxxxx".to_owned()),
            chat_type: ChatType::Single,
            from: sender("jackzhang"),
            get_chat_info_url:
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=CODE".to_owned(),
            app_version: None,
            body: CallbackBody::Text {
                content: "@RobotA hello robot".to_owned()
            },
        }
    );
}

#[test]
fn the_official_leading_space_before_cdata_is_trimmed() {
    let spaced = TEXT_XML.replace("<WebhookUrl><![CDATA[", "<WebhookUrl> <![CDATA[");
    let callback = Callback::parse_xml(spaced.as_bytes()).unwrap();
    assert!(
        callback.webhook_url.starts_with("http://"),
        "{:?}",
        callback.webhook_url
    );
}

#[test]
fn the_documents_json_text_example_reads_field_for_field() {
    let callback = Callback::parse(CallbackFormat::Json, TEXT_JSON.as_bytes()).unwrap();
    assert_eq!(callback.msgid, "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=");
    assert_eq!(callback.post_id.as_deref(), Some("POSTID"));
    assert_eq!(callback.chat_type, ChatType::Group);
    assert_eq!(callback.from, sender("jackzhang"));
    assert_eq!(
        callback.body,
        CallbackBody::Text {
            content: "@RobotA hello robot".to_owned()
        }
    );
}

#[test]
fn the_documents_event_examples_read_in_their_own_element_order() {
    let xml = Callback::parse_xml(EVENT_XML.as_bytes()).unwrap();
    assert_eq!(xml.msgid, "abcdabcdabcd");
    assert_eq!(xml.post_id, None);
    assert_eq!(
        xml.body,
        CallbackBody::Event {
            event_type: EventType::AddToChat
        }
    );
    let json = Callback::parse_json(EVENT_JSON.as_bytes()).unwrap();
    assert_eq!(json.from.alias, "brandongbu");
    assert_eq!(
        json.body,
        CallbackBody::Event {
            event_type: EventType::EnterChat
        }
    );
}

#[test]
fn the_documents_attachment_examples_read_the_clicked_button() {
    let expected = CallbackBody::Attachment {
        callback_id: "btn_for_show_more".to_owned(),
        actions: vec![AttachmentAction {
            name: "btn_more".to_owned(),
            value: "btn_more".to_owned(),
            kind: "button".to_owned(),
        }],
    };
    let xml = Callback::parse_xml(ATTACHMENT_XML.as_bytes()).unwrap();
    assert_eq!(xml.body, expected);
    let json = Callback::parse_json(ATTACHMENT_JSON.as_bytes()).unwrap();
    assert_eq!(json.body, expected);
    assert_eq!(json.webhook_url, "…");
}

#[test]
fn the_documents_mixed_examples_read_every_item() {
    let head = TEXT_XML.split("<MsgType>").next().unwrap();
    let xml = format!("{head}{MIXED_XML_BODY}</xml>");
    let callback = Callback::parse_xml(xml.as_bytes()).unwrap();
    assert_eq!(
        callback.body,
        CallbackBody::Mixed {
            items: vec![
                MixedItem::Text {
                    content: "@机器人 这是今日的测试情况".to_owned()
                },
                MixedItem::Image {
                    image_url: "http://p.qpic.cn/pic_wework/…/0".to_owned()
                },
            ]
        }
    );
    let json = format!(r#"{{"chattype":"single",{MIXED_JSON_BODY}}}"#);
    let callback = Callback::parse_json(json.as_bytes()).unwrap();
    let CallbackBody::Mixed { items } = callback.body else {
        panic!("not mixed: {callback:?}");
    };
    assert_eq!(items.len(), 2);
}

#[test]
fn numeric_character_references_and_plain_text_values_decode() {
    let xml = TEXT_XML.replace(
        "<Content><![CDATA[@RobotA hello robot]]></Content>",
        "<Content>\n  &#20320;&#x597D; &amp; &lt;b&gt;\n</Content>",
    );
    let callback = Callback::parse_xml(xml.as_bytes()).unwrap();
    assert_eq!(
        callback.body,
        CallbackBody::Text {
            content: "你好 & <b>".to_owned()
        }
    );
}

fn common(body: CallbackBody) -> Callback {
    Callback {
        webhook_url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K&x=<1>".to_owned(),
        msgid: "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=".to_owned(),
        chatid: "wrkSFfCgAALFgnrSsWU38puiv4yvExuw".to_owned(),
        post_id: None,
        chat_type: ChatType::Group,
        from: sender("jackzhang"),
        get_chat_info_url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=C"
            .to_owned(),
        app_version: None,
        body,
    }
}

fn every_body() -> Vec<Callback> {
    let bodies = vec![
        CallbackBody::Text {
            content: "@RobotA hello ]]> \"quoted\" <b>&amp;</b>".to_owned(),
        },
        CallbackBody::Text {
            content: String::new(),
        },
        CallbackBody::Image {
            image_url: "https://wework.qpic.cn/wwpic/1/0".to_owned(),
        },
        CallbackBody::Mixed {
            items: vec![
                MixedItem::Text {
                    content: "@机器人 今日".to_owned(),
                },
                MixedItem::Image {
                    image_url: "http://p.qpic.cn/pic_wework/1/0".to_owned(),
                },
            ],
        },
        CallbackBody::Mixed { items: Vec::new() },
        CallbackBody::Attachment {
            callback_id: "btn_for_show_more".to_owned(),
            actions: vec![AttachmentAction {
                name: "btn_more".to_owned(),
                value: "v".to_owned(),
                kind: "button".to_owned(),
            }],
        },
    ];
    let mut callbacks: Vec<Callback> = bodies.into_iter().map(common).collect();
    for event_type in EventType::ALL {
        callbacks.push(common(CallbackBody::Event { event_type }));
    }
    for chat_type in ChatType::ALL {
        let mut callback = common(CallbackBody::Text {
            content: "x".to_owned(),
        });
        callback.chat_type = chat_type;
        callback.post_id = Some("bpkPOST".to_owned());
        callback.app_version = Some("4.1.30".to_owned());
        callbacks.push(callback);
    }
    callbacks
}

#[test]
fn every_body_round_trips_through_xml_and_json() {
    for callback in every_body() {
        for format in [CallbackFormat::Xml, CallbackFormat::Json] {
            let plaintext = callback.to_plaintext(format);
            let parsed = Callback::parse(format, plaintext.as_bytes());
            assert_eq!(
                parsed.ok().as_ref(),
                Some(&callback),
                "{format}: {plaintext}"
            );
        }
    }
}

#[test]
fn the_xml_serialization_has_every_common_field_in_cdata() {
    let mut callback = common(CallbackBody::Text {
        content: "@RobotA hello".to_owned(),
    });
    callback.post_id = Some("POSTID".to_owned());
    assert_eq!(
        callback.to_xml(),
        "<xml><WebhookUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K&x=<1>]]></WebhookUrl>\
         <MsgId><![CDATA[CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=]]></MsgId>\
         <ChatId><![CDATA[wrkSFfCgAALFgnrSsWU38puiv4yvExuw]]></ChatId>\
         <PostId><![CDATA[POSTID]]></PostId><ChatType><![CDATA[group]]></ChatType>\
         <From><UserId><![CDATA[zhangsan]]></UserId><Name><![CDATA[张三]]></Name><Alias><![CDATA[jackzhang]]></Alias></From>\
         <GetChatInfoUrl><![CDATA[https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=C]]></GetChatInfoUrl>\
         <MsgType><![CDATA[text]]></MsgType><Text><Content><![CDATA[@RobotA hello]]></Content></Text></xml>"
    );
}

#[test]
fn the_json_serialization_follows_the_documents_key_order() {
    let mut callback = common(CallbackBody::Attachment {
        callback_id: "cb".to_owned(),
        actions: vec![AttachmentAction {
            name: "n".to_owned(),
            value: "v".to_owned(),
            kind: "button".to_owned(),
        }],
    });
    callback.app_version = Some("4.1".to_owned());
    assert_eq!(
        callback.to_json(),
        r#"{"webhook_url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K&x=<1>","msgid":"CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=","chatid":"wrkSFfCgAALFgnrSsWU38puiv4yvExuw","chattype":"group","from":{"userid":"zhangsan","name":"张三","alias":"jackzhang"},"get_chat_info_url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=C","app_version":"4.1","msgtype":"attachment","attachment":{"callbackid":"cb","actions":[{"name":"n","value":"v","type":"button"}]}}"#
    );
}

#[test]
fn an_empty_common_field_is_still_written() {
    let mut callback = common(CallbackBody::Event {
        event_type: EventType::EnterChat,
    });
    callback.msgid = String::new();
    assert!(callback.to_xml().contains("<MsgId><![CDATA[]]></MsgId>"));
    assert!(callback.to_json().contains(r#""msgid":"""#));
}

#[test]
fn unknown_types_and_missing_shape_fields_are_named() {
    let command = TEXT_XML.replace("<MsgType>text</MsgType>", "<MsgType>command</MsgType>");
    let error = Callback::parse_xml(command.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"the callback's MsgType "command" is not one this crate knows"#
    );
    let no_chat_type = TEXT_JSON.replace(r#""chattype":"group","#, "");
    let error = Callback::parse_json(no_chat_type.as_bytes()).unwrap_err();
    assert!(
        matches!(error, PayloadError::Missing("chattype")),
        "{error:?}"
    );
    let bad_event = EVENT_JSON.replace("enter_chat", "leave");
    let error = Callback::parse_json(bad_event.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"the callback's event.event_type "leave" is not one this crate knows"#
    );
    let error = Callback::parse_json(TEXT_XML.as_bytes()).unwrap_err();
    assert!(matches!(error, PayloadError::NotJson(_)));
    let error =
        Callback::parse_xml(b"<xml><ChatType>group</ChatType><MsgType>text</MsgType>").unwrap_err();
    assert!(matches!(error, PayloadError::NotXml(_)));
}

#[test]
fn null_json_members_read_as_absent() {
    let json = TEXT_JSON.replace(r#""postid":"POSTID""#, r#""postid":null,"msgid":null"#);
    let json = json.replace(r#""msgid":"CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=","#, "");
    let callback = Callback::parse_json(json.as_bytes()).unwrap();
    assert_eq!((callback.post_id, callback.msgid.as_str()), (None, ""));
}
