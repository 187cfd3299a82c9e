//! The callback handler against the protocol crate playing WeCom: callbacks built as WeCom
//! builds them (serialize, encrypt, sign, wrap) are verified and read, and replies built by the
//! handler decrypt and parse back with the protocol's own reply parser. One test runs the handler
//! behind axum, as `examples/echo_bot.rs` does, and talks to it over HTTP.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::get;
use hookpit_client::callback::{
    Callback, CallbackBody, CallbackError, CallbackFormat, CallbackHandler, CallbackQuery,
    ChatType, EventType, Sender, strip_leading_mention,
};
use hookpit_client::message;
use hookpit_protocol::callback::{
    CallbackCrypto, CallbackEnvelope, ReplyEnvelope, parse_passive_reply,
};
use hookpit_protocol::message::{Message, Text};

// The spec's test vector (§8.4).
const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const TIMESTAMP: &str = "1409659813";
const NONCE: &str = "1372623149";
const ENCRYPT: &str = "ZA4HuQypHxnRrA+A6SOHGGFytM9j6cN3h8MI0S0gobnK2A5BTE1Xvx3CbxVmNDYZpld1a9TJmtnZCaCks9eb8JPtdrrpnRw0zf4CMAjUtxn5g88OZQIISqpfzhKsiiRzZlGIMAbe0FndMfIwYBTl25u6qoR4akvQrUyl4pkJczOMvnKHR1Nx/4Kdi1q4tBrrKNcLuMH5MYW/s8WwTDk826+kx/gN8UXsxleCtcVewGN1pQ9w6aXEj818XLqIgV+lFSI8XpYKTppeUfcHR/CCveyz8kJkyzxzN87fmWYM05jCR7pNp6+EEqlsQUT4r+J0WsGXjvyy1+apd7UzVQWVw1SHJEn93QWXdgPkDt91guwBPf5Ir8mPvW/dxD8uxcE8";
const SIGNATURE: &str = "39301d8d60dbee16fb1cb8bbddfede4c9f54478c";

/// WeCom's side of the callback: the same secrets.
fn wecom() -> CallbackCrypto {
    CallbackCrypto::new(TOKEN, KEY).unwrap()
}

fn handler(format: CallbackFormat) -> CallbackHandler {
    CallbackHandler::new(TOKEN, KEY).unwrap().format(format)
}

fn text_callback(content: &str) -> Callback {
    Callback {
        webhook_url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY".to_owned(),
        msgid: "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI=".to_owned(),
        chatid: "wrkSFfCgAALFgnrSsWU38puiv4yvExuw".to_owned(),
        post_id: None,
        chat_type: ChatType::Group,
        from: Sender {
            userid: "zhangsan".to_owned(),
            name: "张三".to_owned(),
            alias: "jackzhang".to_owned(),
        },
        get_chat_info_url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/get_chat_info?code=C"
            .to_owned(),
        app_version: None,
        body: CallbackBody::Text {
            content: content.to_owned(),
        },
    }
}

/// What WeCom posts: the query string (as it arrives, percent-encoded) and the body.
fn post(
    callback: &Callback,
    format: CallbackFormat,
    timestamp: &str,
    nonce: &str,
) -> (String, String) {
    let plaintext = callback.to_plaintext(format);
    let encrypt = wecom()
        .encrypt(plaintext.as_bytes(), *b"0123456789abcdef")
        .unwrap();
    let query = CallbackQuery {
        msg_signature: wecom().signature(timestamp, nonce, &encrypt),
        timestamp: timestamp.to_owned(),
        nonce: nonce.to_owned(),
        echostr: None,
    };
    (
        query.to_query_string(),
        CallbackEnvelope { encrypt }.to_body(format),
    )
}

/// Reads a reply body as WeCom (or a Hookpit) does: envelope, signature, decryption, rules.
fn read_reply(format: CallbackFormat, body: &str) -> Message {
    let envelope = ReplyEnvelope::parse(format, body.as_bytes()).unwrap();
    let plaintext = wecom()
        .decrypt_message(
            &envelope.msg_signature,
            &envelope.timestamp,
            &envelope.nonce,
            &envelope.encrypt,
        )
        .unwrap();
    parse_passive_reply(format, &plaintext)
        .unwrap()
        .unwrap()
        .request
        .message
}

#[test]
fn the_url_verification_answers_the_decrypted_echostr() {
    let echostr = wecom()
        .encrypt(b"1616140317555161061", *b"aaaabbbbccccdddd")
        .unwrap();
    let query = CallbackQuery {
        msg_signature: wecom().signature(TIMESTAMP, NONCE, &echostr),
        timestamp: TIMESTAMP.to_owned(),
        nonce: NONCE.to_owned(),
        echostr: Some(echostr),
    };
    // Through the wire form: `+`, `/` and `=` of the Base64 are percent-encoded and decoded.
    let query = CallbackQuery::parse(&query.to_query_string()).unwrap();
    let answer = handler(CallbackFormat::Xml).verify_url(&query).unwrap();
    assert_eq!(answer, "1616140317555161061");
}

#[test]
fn a_verification_without_echostr_or_with_a_wrong_signature_is_refused() {
    let query = CallbackQuery {
        msg_signature: SIGNATURE.to_owned(),
        timestamp: TIMESTAMP.to_owned(),
        nonce: NONCE.to_owned(),
        echostr: None,
    };
    let handler = handler(CallbackFormat::Xml);
    assert!(matches!(
        handler.verify_url(&query),
        Err(CallbackError::MissingEchostr)
    ));
    let wrong = CallbackQuery {
        nonce: "other".to_owned(),
        echostr: Some(ENCRYPT.to_owned()),
        ..query
    };
    let error = handler.verify_url(&wrong).unwrap_err();
    assert_eq!(error.code(), Some(-40001));
}

#[test]
fn the_spec_test_vector_parses_as_a_json_callback() {
    let query = CallbackQuery {
        msg_signature: SIGNATURE.to_owned(),
        timestamp: TIMESTAMP.to_owned(),
        nonce: NONCE.to_owned(),
        echostr: None,
    };
    let body = format!(r#"{{"encrypt":"{ENCRYPT}"}}"#);
    let callback = handler(CallbackFormat::Json)
        .parse(&query, body.as_bytes())
        .unwrap();
    assert_eq!(callback.msgid, "MSGID");
    assert_eq!(callback.from.name, "张三");
    assert_eq!(
        callback.body,
        CallbackBody::Text {
            content: "@RobotA hello".to_owned()
        }
    );
}

#[test]
fn callbacks_built_as_wecom_builds_them_read_back_in_both_formats() {
    let mut event = text_callback("");
    event.body = CallbackBody::Event {
        event_type: EventType::EnterChat,
    };
    event.chat_type = ChatType::Single;
    for callback in [text_callback("@RobotA 你好 <b>]]>"), event] {
        for format in [CallbackFormat::Xml, CallbackFormat::Json] {
            let (query, body) = post(&callback, format, TIMESTAMP, NONCE);
            let query = CallbackQuery::parse(&query).unwrap();
            let parsed = handler(format).parse(&query, body.as_bytes()).unwrap();
            assert_eq!(parsed, callback, "{format}");
        }
    }
}

#[test]
fn a_callback_with_a_tampered_body_or_signature_is_refused() {
    let (query, body) = post(&text_callback("hi"), CallbackFormat::Xml, TIMESTAMP, NONCE);
    let mut query = CallbackQuery::parse(&query).unwrap();
    let handler = handler(CallbackFormat::Xml);
    let tampered = body.replacen("<![CDATA[", "<![CDATA[A", 1);
    assert_eq!(
        handler
            .parse(&query, tampered.as_bytes())
            .unwrap_err()
            .code(),
        Some(-40001)
    );
    query.timestamp = "1409659814".to_owned();
    assert!(matches!(
        handler.parse(&query, body.as_bytes()),
        Err(CallbackError::Crypto(_))
    ));
}

#[test]
fn a_json_callback_to_an_xml_handler_says_how_to_fix_it() {
    let (query, body) = post(&text_callback("hi"), CallbackFormat::Json, TIMESTAMP, NONCE);
    let query = CallbackQuery::parse(&query).unwrap();
    let error = handler(CallbackFormat::Xml)
        .parse(&query, body.as_bytes())
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the callback is json but the handler is set up for xml: the callback URL decides \
         (robot_callback_format=json means JSON), so call .format(CallbackFormat::Json)"
    );
}

#[test]
fn a_text_reply_decrypts_and_parses_as_the_same_text_in_both_formats() {
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        let reply = message::text("hello\nI'm RobotA")
            .mention("zhangsan")
            .visible_to("lisi");
        let body = handler(format)
            .reply(reply, 1_409_659_813, NONCE, [9; 16])
            .unwrap();
        let envelope = ReplyEnvelope::parse(format, body.as_bytes()).unwrap();
        assert_eq!(
            (envelope.timestamp.as_str(), envelope.nonce.as_str()),
            (TIMESTAMP, NONCE)
        );
        assert_eq!(
            read_reply(format, &body),
            Message::from(Text {
                content: "hello\nI'm RobotA".to_owned(),
                mentioned_list: Some(vec!["zhangsan".to_owned()]),
                mentioned_mobile_list: None,
            }),
            "{format}"
        );
    }
}

#[test]
fn a_markdown_reply_may_leave_replace_text_out() {
    let reply = message::markdown("**pick**").button("cb", "yes", "Yes", "y", "");
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        let body = handler(format)
            .reply(reply.clone(), TIMESTAMP, NONCE, [1; 16])
            .unwrap();
        let Message::Markdown { markdown } = read_reply(format, &body) else {
            panic!("not markdown");
        };
        let action = &markdown.attachments.unwrap()[0].actions[0];
        assert_eq!(
            (action.name.as_str(), action.replace_text.as_str()),
            ("yes", "")
        );
    }
}

#[test]
fn an_empty_text_reply_is_an_empty_body_and_a_broken_one_fails_locally() {
    let handler = handler(CallbackFormat::Xml);
    assert_eq!(
        handler
            .reply(message::text(""), TIMESTAMP, NONCE, [0; 16])
            .unwrap(),
        ""
    );
    let broken = message::markdown("x").button("cb", "", "Yes", "y", "");
    let error = handler
        .reply(broken, TIMESTAMP, NONCE, [0; 16])
        .unwrap_err();
    assert!(matches!(error, CallbackError::InvalidReply(_)), "{error:?}");
}

#[test]
fn reply_to_signs_with_the_callbacks_timestamp_and_nonce() {
    let query = CallbackQuery::parse("msg_signature=x&timestamp=1700000000&nonce=abc").unwrap();
    let body = handler(CallbackFormat::Json)
        .reply_to(&query, message::text("ok"))
        .unwrap();
    let envelope = ReplyEnvelope::parse(CallbackFormat::Json, body.as_bytes()).unwrap();
    assert_eq!(
        (envelope.timestamp.as_str(), envelope.nonce.as_str()),
        ("1700000000", "abc")
    );
    assert!(body.contains(r#""timestamp":1700000000"#), "{body}");
}

/// The echo bot of `examples/echo_bot.rs`, trimmed to its two handlers.
fn echo_bot(handler: CallbackHandler) -> Router {
    async fn verify(
        State(handler): State<Arc<CallbackHandler>>,
        Query(query): Query<CallbackQuery>,
    ) -> String {
        handler.verify_url(&query).unwrap_or_default()
    }
    async fn receive(
        State(handler): State<Arc<CallbackHandler>>,
        Query(query): Query<CallbackQuery>,
        body: Bytes,
    ) -> String {
        let Ok(callback) = handler.parse(&query, &body) else {
            return String::new();
        };
        let CallbackBody::Text { content } = &callback.body else {
            return String::new();
        };
        let echo = message::text(strip_leading_mention(content));
        handler.reply_to(&query, echo).unwrap_or_default()
    }
    Router::new()
        .route("/callback", get(verify).post(receive))
        .with_state(Arc::new(handler))
}

#[tokio::test]
async fn an_echo_bot_behind_axum_verifies_its_url_and_echoes_a_text_over_http() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/callback?robot_callback_format=json",
        listener.local_addr().unwrap()
    );
    let format = CallbackFormat::from_url(&url);
    tokio::spawn(axum::serve(listener, echo_bot(handler(format))).into_future());
    let http = reqwest::Client::new();

    let echostr = wecom().encrypt(b"8842", [3; 16]).unwrap();
    let verification = CallbackQuery {
        msg_signature: wecom().signature(TIMESTAMP, NONCE, &echostr),
        timestamp: TIMESTAMP.to_owned(),
        nonce: NONCE.to_owned(),
        echostr: Some(echostr),
    };
    let answer = http.get(verification.append_to(&url)).send().await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "8842");

    let (query, body) = post(
        &text_callback("@RobotA  echo me"),
        format,
        "1700000000",
        "n1",
    );
    let reply = http
        .post(format!("{url}&{query}"))
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        read_reply(format, &reply),
        Message::from(Text {
            content: "echo me".to_owned(),
            ..Text::default()
        })
    );
}

/// End to end against a running Hookpit: the SDK's handler behind axum is the bot's callback
/// URL; Hookpit verifies it, a person @-mentions the bot in the inbox's API, Hookpit delivers
/// the encrypted callback, and the passive reply the SDK builds lands in the group as the bot.
async fn hookpit_delivers_to_an_sdk_bot_and_posts_its_reply(format: CallbackFormat) {
    let server = crate::helpers::TestServer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = match format {
        CallbackFormat::Json => format!("http://{addr}/callback?robot_callback_format=json"),
        CallbackFormat::Xml => format!("http://{addr}/callback"),
    };
    tokio::spawn(axum::serve(listener, echo_bot(handler(format))).into_future());
    let http = reqwest::Client::new();
    let base = server.server.base_url().to_owned();

    let saved = http
        .put(format!("{base}/api/v1/bots/demo/callback"))
        .json(&serde_json::json!({"url": url, "token": TOKEN, "encoding_aes_key": KEY}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        saved.status().as_u16(),
        200,
        "{}",
        saved.text().await.unwrap()
    );

    let written = http
        .post(format!(
            "{base}/api/v1/chats/{}/messages",
            crate::helpers::GROUP
        ))
        .json(&serde_json::json!({"from": "zhangsan", "msgtype": "text",
                                  "text": {"content": "@演示机器人 ping from the inbox"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status().as_u16(), 201);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let messages = server.messages(crate::helpers::GROUP).await;
        if messages
            .iter()
            .any(|m| m["from"]["kind"] == "bot" && m["content"]["content"] == "ping from the inbox")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reply: {messages:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    server.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn hookpit_delivers_to_an_sdk_bot_and_posts_its_reply_in_xml() {
    hookpit_delivers_to_an_sdk_bot_and_posts_its_reply(CallbackFormat::Xml).await;
}

#[tokio::test]
async fn hookpit_delivers_to_an_sdk_bot_and_posts_its_reply_in_json() {
    hookpit_delivers_to_an_sdk_bot_and_posts_its_reply(CallbackFormat::Json).await;
}
