//! The HTTP bodies of callbacks and passive replies (`CallbackEnvelope::parse`,
//! `ReplyEnvelope::parse`, both formats) on any body: they never panic, what they read is written
//! back by `to_body` to a body that reads the same, and the ciphertext they carry goes through
//! `CallbackCrypto::decrypt_message` (the spec's test-vector keys) without panicking.
#![no_main]

use hookpit_protocol::callback::{
    CallbackCrypto, CallbackEnvelope, CallbackFormat, CallbackQuery, ReplyEnvelope,
};
use libfuzzer_sys::fuzz_target;

/// The Token and EncodingAESKey of the spec's test vector (§8.4).
const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

fuzz_target!(|body: &[u8]| {
    let crypto = CallbackCrypto::new(TOKEN, KEY).expect("the test vector's key");
    let _ = CallbackFormat::detect(body);
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        if let Ok(envelope) = CallbackEnvelope::parse(format, body) {
            let written = envelope.to_body(format);
            let read = CallbackEnvelope::parse(format, written.as_bytes()).ok();
            assert_eq!(read.as_ref(), Some(&envelope), "{format}: {written}");
            let _ = crypto.decrypt(&envelope.encrypt);
        }
        if let Ok(reply) = ReplyEnvelope::parse(format, body) {
            let written = reply.to_body(format);
            let read = ReplyEnvelope::parse(format, written.as_bytes()).ok();
            assert_eq!(read.as_ref(), Some(&reply), "{format}: {written}");
            let _ = crypto.decrypt_message(
                &reply.msg_signature,
                &reply.timestamp,
                &reply.nonce,
                &reply.encrypt,
            );
        }
    }
    // The same bytes as a query string (URL verification) and as a bare ciphertext (`echostr`).
    let text = String::from_utf8_lossy(body);
    if let Ok(query) = CallbackQuery::parse(&text) {
        let _ = CallbackQuery::parse(&query.to_query_string());
    }
    let _ = crypto.decrypt(&text);
});
