//! The bodies around a ciphertext, the format of a callback URL, and the query parameters.

use hookpit_protocol::callback::{
    CallbackEnvelope, CallbackFormat, CallbackQuery, EnvelopeError, ReplyEnvelope,
};

#[test]
fn the_callback_url_picks_the_format_and_defaults_to_xml() {
    for (url, format) in [
        ("https://bot.example/cb", CallbackFormat::Xml),
        (
            "https://bot.example/cb?robot_callback_format=json",
            CallbackFormat::Json,
        ),
        (
            "https://bot.example/cb?a=1&robot_callback_format=json#x",
            CallbackFormat::Json,
        ),
        (
            "https://bot.example/cb?robot_callback_format=xml",
            CallbackFormat::Xml,
        ),
        (
            "https://bot.example/cb?robot_callback_format=JSON",
            CallbackFormat::Xml,
        ),
        (
            "https://bot.example/cb?xrobot_callback_format=json",
            CallbackFormat::Xml,
        ),
        (
            "https://bot.example/cb#robot_callback_format=json",
            CallbackFormat::Xml,
        ),
    ] {
        assert_eq!(CallbackFormat::from_url(url), format, "{url}");
    }
}

#[test]
fn a_body_shows_its_format_by_its_first_character() {
    assert_eq!(
        CallbackFormat::detect(b" \n<xml/>"),
        Some(CallbackFormat::Xml)
    );
    assert_eq!(
        CallbackFormat::detect(b"\xef\xbb\xbf{}"),
        Some(CallbackFormat::Json)
    );
    assert_eq!(CallbackFormat::detect(b""), None);
    assert_eq!(CallbackFormat::detect(b"encrypt"), None);
}

#[test]
fn callback_envelopes_are_written_as_the_document_shows() {
    let envelope = CallbackEnvelope {
        encrypt: "msg_encrypt".to_owned(),
    };
    assert_eq!(
        envelope.to_body(CallbackFormat::Xml),
        "<xml><Encrypt><![CDATA[msg_encrypt]]></Encrypt></xml>"
    );
    assert_eq!(
        envelope.to_body(CallbackFormat::Json),
        r#"{"encrypt":"msg_encrypt"}"#
    );
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        let body = envelope.to_body(format);
        assert_eq!(
            CallbackEnvelope::parse(format, body.as_bytes()).unwrap(),
            envelope
        );
    }
}

#[test]
fn callback_envelopes_are_read_with_other_elements_and_whitespace() {
    let xml = b"<xml>\n  <ToUserName><![CDATA[x]]></ToUserName>\n  <Encrypt>\n    abc+/=\n  </Encrypt>\n</xml>";
    let envelope = CallbackEnvelope::parse(CallbackFormat::Xml, xml).unwrap();
    assert_eq!(envelope.encrypt, "abc+/=");
    let json = br#" {"agentid": 1, "encrypt": "abc"} "#;
    assert_eq!(
        CallbackEnvelope::parse(CallbackFormat::Json, json)
            .unwrap()
            .encrypt,
        "abc"
    );
}

#[test]
fn a_callback_envelope_without_ciphertext_names_the_missing_field() {
    let error = CallbackEnvelope::parse(CallbackFormat::Xml, b"<xml><Encrypt/></xml>").unwrap_err();
    assert_eq!(error.to_string(), "the envelope has no Encrypt");
    assert_eq!(error.code(), -40002);
    let error = CallbackEnvelope::parse(CallbackFormat::Json, b"{}").unwrap_err();
    assert_eq!(error.to_string(), "the envelope has no encrypt");
    let error = CallbackEnvelope::parse(CallbackFormat::Json, b"<xml/>").unwrap_err();
    assert!(matches!(error, EnvelopeError::NotJson(_)), "{error:?}");
    let error = CallbackEnvelope::parse(CallbackFormat::Xml, b"<xml><Encrypt>x</xml>").unwrap_err();
    assert!(matches!(error, EnvelopeError::NotXml(_)), "{error:?}");
}

fn reply() -> ReplyEnvelope {
    ReplyEnvelope {
        encrypt: "msg_encrypt".to_owned(),
        msg_signature: "msg_signature".to_owned(),
        timestamp: "111111111".to_owned(),
        nonce: "nonce".to_owned(),
    }
}

#[test]
fn reply_envelopes_are_written_as_the_document_shows() {
    assert_eq!(
        reply().to_body(CallbackFormat::Xml),
        "<xml><Encrypt><![CDATA[msg_encrypt]]></Encrypt><MsgSignature><![CDATA[msg_signature]]>\
         </MsgSignature><TimeStamp>111111111</TimeStamp><Nonce><![CDATA[nonce]]></Nonce></xml>"
    );
    assert_eq!(
        reply().to_body(CallbackFormat::Json),
        r#"{"encrypt":"msg_encrypt","msgsignature":"msg_signature","timestamp":111111111,"nonce":"nonce"}"#
    );
}

#[test]
fn a_timestamp_that_is_not_a_plain_number_is_written_as_a_string() {
    let envelope = ReplyEnvelope {
        timestamp: "0111".to_owned(),
        ..reply()
    };
    let json = envelope.to_body(CallbackFormat::Json);
    assert!(json.contains(r#""timestamp":"0111""#), "{json}");
    assert_eq!(
        ReplyEnvelope::parse(CallbackFormat::Json, json.as_bytes()).unwrap(),
        envelope
    );
}

#[test]
fn reply_envelopes_are_read_in_any_order_with_or_without_cdata() {
    let xml = "<xml>\n <Nonce>nonce</Nonce>\n <TimeStamp><![CDATA[111111111]]></TimeStamp>\n \
               <MsgSignature> msg_signature </MsgSignature><Encrypt><![CDATA[msg_encrypt]]></Encrypt></xml>";
    assert_eq!(
        ReplyEnvelope::parse(CallbackFormat::Xml, xml.as_bytes()).unwrap(),
        reply()
    );
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        let body = reply().to_body(format);
        assert_eq!(
            ReplyEnvelope::parse(format, body.as_bytes()).unwrap(),
            reply()
        );
    }
}

#[test]
fn a_json_timestamp_may_be_a_string_as_the_sample_library_sends_it() {
    let json = br#"{"nonce":"nonce","timestamp":"111111111","msgsignature":"msg_signature","encrypt":"msg_encrypt"}"#;
    assert_eq!(
        ReplyEnvelope::parse(CallbackFormat::Json, json).unwrap(),
        reply()
    );
}

#[test]
fn a_reply_envelope_missing_a_field_names_it() {
    let json = br#"{"encrypt":"e","msgsignature":"s","nonce":"n"}"#;
    let error = ReplyEnvelope::parse(CallbackFormat::Json, json).unwrap_err();
    assert_eq!(error.to_string(), "the envelope has no timestamp");
    let xml = b"<xml><Encrypt>e</Encrypt><TimeStamp>1</TimeStamp><Nonce>n</Nonce></xml>";
    let error = ReplyEnvelope::parse(CallbackFormat::Xml, xml).unwrap_err();
    assert_eq!(error.to_string(), "the envelope has no MsgSignature");
    let json = br#"{"encrypt":"e","msgsignature":"s","nonce":"n","timestamp":1.5}"#;
    assert!(ReplyEnvelope::parse(CallbackFormat::Json, json).is_err());
}

#[test]
fn a_verification_query_from_a_url_decodes_its_echostr() {
    let query = CallbackQuery::parse(
        "msg_signature=ASDF&timestamp=13500001234&nonce=123412323&echostr=ab%2Bc%2F%3D",
    )
    .unwrap();
    assert_eq!(query.echostr.as_deref(), Some("ab+c/="));
    assert_eq!(query.timestamp, "13500001234");
}
