//! `parse_send` on any body: it answers with a `ValidSend` or an errcode, never panics, and what
//! it accepts is a fixed point (the accepted request, serialized and sent again, is accepted as
//! the same request).
#![no_main]

use hookpit_protocol::parse_send;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let Ok(valid) = parse_send(body) else {
        return;
    };
    let again = serde_json::to_vec(&valid.request).expect("an accepted request serializes");
    match parse_send(&again) {
        Ok(revalidated) => assert_eq!(
            revalidated.request,
            valid.request,
            "the accepted request changed when sent again: {}",
            String::from_utf8_lossy(&again)
        ),
        Err(error) => panic!(
            "the accepted request is refused when sent again with {}: {}",
            error.code(),
            String::from_utf8_lossy(&again)
        ),
    }
});
