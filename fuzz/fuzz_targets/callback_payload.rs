//! The decrypted payloads: `Callback::parse` and `parse_passive_reply`, both formats, on any
//! plaintext. They never panic; a callback they read is written back (`to_plaintext`) to one
//! that reads the same, and a passive reply they accept, written back as a `PassiveReply`, is
//! accepted as the same send.
#![no_main]

use hookpit_protocol::callback::{Callback, CallbackFormat, PassiveReply, parse_passive_reply};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|plaintext: &[u8]| {
    for format in [CallbackFormat::Xml, CallbackFormat::Json] {
        if let Ok(callback) = Callback::parse(format, plaintext) {
            let written = callback.to_plaintext(format);
            let read = Callback::parse(format, written.as_bytes()).ok();
            assert_eq!(read.as_ref(), Some(&callback), "{format}: {written}");
        }
        if let Ok(Some(send)) = parse_passive_reply(format, plaintext) {
            let reply = PassiveReply::try_from(send.request.clone())
                .expect("an accepted passive reply is text or markdown");
            let written = reply.to_plaintext(format);
            let read = parse_passive_reply(format, written.as_bytes());
            let read = read.ok().flatten().map(|send| send.request);
            assert_eq!(read.as_ref(), Some(&send.request), "{format}: {written}");
        }
    }
});
