//! An image request's raw body, stored without its picture.
//!
//! An image request is ~137 KB of base64 for a 100 KB picture. The picture is stored once, as
//! bytes, in `images`; keeping the base64 in `requests.raw_body` too doubled the write (and the
//! checkpoint's copy). So the base64 text is cut out of the stored body, `images.base64_at`
//! records where it was, and `GET /api/v1/messages/{id}` splices it back, byte for byte.
//!
//! This is only done when re-encoding gives back exactly the sent text: standard alphabet,
//! padded, no whitespace, and written in the JSON without escapes. Anything else (wrapped
//! lines, no padding, `\/`) is rare and is stored whole, as before.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `body` without the base64 text of its picture, and the offset it was cut at; `None` when the
/// text could not be restored byte for byte from `picture`.
pub(super) fn strip(body: &[u8], base64_text: &str, picture: &[u8]) -> Option<(Vec<u8>, usize)> {
    let text = base64_text.as_bytes();
    if text.is_empty() || !is_canonical(text, picture.len()) {
        return None;
    }
    let at = find_string_value(body, text)?;
    let mut stripped = Vec::with_capacity(body.len() - text.len());
    stripped.extend_from_slice(&body[..at]);
    stripped.extend_from_slice(&body[at + text.len()..]);
    Some((stripped, at))
}

/// The body as sent: `stored` with the base64 of `picture` put back at `at`. An offset that does
/// not fit (a damaged row) gives the stored body unchanged.
pub(super) fn rebuild(stored: &[u8], at: usize, picture: &[u8]) -> Vec<u8> {
    if at > stored.len() {
        return stored.to_vec();
    }
    let text = STANDARD.encode(picture);
    let mut body = Vec::with_capacity(stored.len() + text.len());
    body.extend_from_slice(&stored[..at]);
    body.extend_from_slice(text.as_bytes());
    body.extend_from_slice(&stored[at..]);
    body
}

/// Whether `text`, which decoded to `decoded_len` bytes, is exactly `STANDARD.encode` of them.
///
/// The decoder accepted it (the alphabet is standard and it rejects non-zero trailing bits),
/// so padded length with no whitespace leaves one possible spelling: the canonical one.
fn is_canonical(text: &[u8], decoded_len: usize) -> bool {
    text.len() == decoded_len.div_ceil(3) * 4 && !text.iter().any(u8::is_ascii_whitespace)
}

/// The offset of `text` as a whole JSON string value in `body` (between two quotes).
fn find_string_value(body: &[u8], text: &[u8]) -> Option<usize> {
    body.iter().enumerate().find_map(|(quote, &byte)| {
        let start = quote + 1;
        let end = start + text.len();
        (byte == b'"' && body.get(start..end) == Some(text) && body.get(end) == Some(&b'"'))
            .then_some(start)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(text: &str) -> Vec<u8> {
        format!(r#"{{"msgtype":"image","image":{{"base64":"{text}","md5":"x"}}}}"#).into_bytes()
    }

    #[test]
    fn a_canonical_picture_is_cut_out_and_put_back_byte_for_byte() {
        for len in [1usize, 2, 3, 4, 100, 1000] {
            let picture: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i * 7 % 251).unwrap())
                .collect();
            let text = STANDARD.encode(&picture);
            let body = body_of(&text);
            let (stored, at) = strip(&body, &text, &picture).expect("canonical");
            assert_eq!(stored.len(), body.len() - text.len());
            assert_eq!(rebuild(&stored, at, &picture), body);
        }
    }

    #[test]
    fn wrapped_or_unpadded_base64_is_kept_whole() {
        let picture = [1u8, 2, 3, 4];
        let padded = STANDARD.encode(picture);
        let unpadded = padded.trim_end_matches('=');
        assert!(strip(&body_of(unpadded), unpadded, &picture).is_none());
        let wrapped = format!("{}\\n{}", &padded[..4], &padded[4..]);
        assert!(
            strip(
                &body_of(&wrapped),
                &format!("{}\n{}", &padded[..4], &padded[4..]),
                &picture
            )
            .is_none()
        );
    }

    #[test]
    fn escaped_base64_in_the_json_is_kept_whole() {
        let picture = [0xffu8, 0xff, 0xff];
        let text = STANDARD.encode(picture);
        assert_eq!(text, "////");
        let body = body_of(r"\/\/\/\/");
        assert!(strip(&body, &text, &picture).is_none());
    }

    #[test]
    fn a_damaged_offset_gives_the_stored_body() {
        assert_eq!(rebuild(b"abc", 10, b"x"), b"abc");
    }
}
