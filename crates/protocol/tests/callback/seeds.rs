//! The document's callback examples written out as the seeds of the callback fuzz targets.

use hookpit_protocol::callback::{CallbackEnvelope, CallbackFormat, CallbackQuery, ReplyEnvelope};

use crate::crypto::{ENCRYPT, MSG, NONCE, RANDOM16, SIGNATURE, TIMESTAMP};
use crate::{event, passive};

/// A plaintext as WXBizMsgCrypt lays it out before AES: random, length, message, PKCS#7 to 32.
fn laid_out(message: &[u8]) -> Vec<u8> {
    let mut plaintext = RANDOM16.to_vec();
    plaintext.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    plaintext.extend_from_slice(message);
    let pad = 32 - plaintext.len() % 32;
    plaintext.resize(plaintext.len() + pad, u8::try_from(pad).unwrap());
    plaintext
}

/// The seeds of `callback_envelope`, `callback_payload` and `callback_crypto`: written under
/// `$HOOKPIT_FUZZ_SEEDS/<target>/` by `fuzz/seeds.sh`, else checked against `fuzz/seeds/`.
#[test]
fn the_fuzz_seeds_are_the_document_examples() {
    let write = |target: &str, name: &str, bytes: &[u8]| seed(target, name, bytes);

    let callback = CallbackEnvelope {
        encrypt: ENCRYPT.to_owned(),
    };
    let reply = ReplyEnvelope {
        encrypt: ENCRYPT.to_owned(),
        msg_signature: SIGNATURE.to_owned(),
        timestamp: TIMESTAMP.to_owned(),
        nonce: NONCE.to_owned(),
    };
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        let callback_body = callback.to_body(format);
        let reply_body = reply.to_body(format);
        write(
            "callback_envelope",
            &format!("callback_{format}"),
            callback_body.as_bytes(),
        );
        write(
            "callback_envelope",
            &format!("reply_{format}"),
            reply_body.as_bytes(),
        );
    }
    let string_timestamp = format!(
        r#"{{"nonce":"{NONCE}","timestamp":"{TIMESTAMP}","msgsignature":"{SIGNATURE}","encrypt":"{ENCRYPT}"}}"#
    );
    write(
        "callback_envelope",
        "reply_json_string_timestamp",
        string_timestamp.as_bytes(),
    );
    let query = CallbackQuery {
        msg_signature: SIGNATURE.to_owned(),
        timestamp: TIMESTAMP.to_owned(),
        nonce: NONCE.to_owned(),
        echostr: Some(ENCRYPT.to_owned()),
    };
    write(
        "callback_envelope",
        "verify_url_query",
        query.to_query_string().as_bytes(),
    );

    let mixed_xml = format!(
        "<xml><ChatType>group</ChatType><ChatId>CHATID</ChatId>{}</xml>",
        event::MIXED_XML_BODY
    );
    let mixed_json = format!(
        r#"{{"chattype":"group","chatid":"CHATID",{}}}"#,
        event::MIXED_JSON_BODY
    );
    for (name, plaintext) in [
        ("text_xml", event::TEXT_XML),
        ("text_json", event::TEXT_JSON),
        ("event_xml", event::EVENT_XML),
        ("event_json", event::EVENT_JSON),
        ("attachment_xml", event::ATTACHMENT_XML),
        ("attachment_json", event::ATTACHMENT_JSON),
        ("mixed_xml", &mixed_xml),
        ("mixed_json", &mixed_json),
        ("passive_text_xml", passive::TEXT_XML),
        ("passive_text_json", passive::TEXT_JSON),
        ("passive_markdown_xml", passive::MARKDOWN_XML),
        ("passive_markdown_json", passive::MARKDOWN_JSON),
    ] {
        write("callback_payload", name, plaintext.as_bytes());
    }

    write("callback_crypto", "test_vector", &laid_out(MSG.as_bytes()));
    write("callback_crypto", "empty_message", &laid_out(b""));
}

/// Writes one fuzz seed under `$HOOKPIT_FUZZ_SEEDS`, or checks that the committed one in
/// `fuzz/seeds/` has exactly these bytes.
fn seed(target: &str, name: &str, bytes: &[u8]) {
    if let Some(root) = std::env::var_os("HOOKPIT_FUZZ_SEEDS") {
        let folder = std::path::Path::new(&root).join(target);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(name), bytes).unwrap();
        return;
    }
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
        .join(name);
    let found = std::fs::read(&committed).unwrap_or_default();
    assert!(
        found == bytes,
        "{} is missing or out of date: run fuzz/seeds.sh and commit fuzz/seeds",
        committed.display()
    );
}
