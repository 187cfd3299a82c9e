//! The AMR-NB duration parser (`upload/amr.rs`) through `validate_upload(Voice, …)`: any bytes
//! after the `#!AMR\n` magic are a duration or an errcode, and validating the size and head
//! answers as validating the whole upload.
#![no_main]

use hookpit_protocol::upload::{AMR_MAGIC, validate_upload};
use hookpit_protocol::{MediaKind, validate_upload_parts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|frames: &[u8]| {
    let mut voice = AMR_MAGIC.to_vec();
    voice.extend_from_slice(frames);
    let whole = validate_upload(MediaKind::Voice, &voice);
    // A voice's head is all of it (`head_bytes_needed` is `None`).
    assert_eq!(
        validate_upload_parts(MediaKind::Voice, voice.len(), &voice),
        whole
    );
    if let Ok(upload) = whole {
        let duration = upload
            .voice_duration
            .expect("an accepted voice has a duration");
        // Each frame is at least its one-byte header and lasts 20 ms.
        assert!(duration.as_millis() <= 20 * frames.len() as u128);
        assert!(upload.voice_seconds() <= Some(60));
    }
});
