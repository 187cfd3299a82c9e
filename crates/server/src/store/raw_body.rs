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
//!
//! The same for the content of a message whose request is its own (`deliver.rs`): the
//! `<msgtype>` object is usually in the body exactly as the stored `content` spells it, so the
//! body is stored without it ([`cut`]) and `messages.raw_content_at` says where it goes back
//! ([`splice`]). When the whole body is the usual spelling ([`usual`]), nothing of it is
//! stored: the row rebuilds it.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `body` without the base64 text of its picture, and the offset it was cut at; `None` when the
/// text could not be restored byte for byte from the picture (`canonical` false: see
/// [`ImageData::canonical`](hookpit_protocol::ImageData::canonical)) or is not in the body as
/// one JSON string.
pub(super) fn strip(body: &[u8], base64_text: &str, canonical: bool) -> Option<(Vec<u8>, usize)> {
    let text = base64_text.as_bytes();
    if text.is_empty() || !canonical {
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

/// `body` without the first occurrence of `piece`, and where it was; `None` when it has none.
pub(super) fn cut(body: &[u8], piece: &[u8]) -> Option<(Vec<u8>, usize)> {
    if piece.is_empty() || piece.len() > body.len() {
        return None;
    }
    let at = memchr::memmem::find(body, piece)?;
    let mut stripped = Vec::with_capacity(body.len() - piece.len());
    stripped.extend_from_slice(&body[..at]);
    stripped.extend_from_slice(&body[at + piece.len()..]);
    Some((stripped, at))
}

/// `stored` with `piece` put back at `at` (what [`cut`] took out); an offset that does not fit
/// (a damaged row) gives the stored body unchanged.
pub(super) fn splice(stored: &[u8], at: usize, piece: &[u8]) -> Vec<u8> {
    if at > stored.len() {
        return stored.to_vec();
    }
    let mut body = Vec::with_capacity(stored.len() + piece.len());
    body.extend_from_slice(&stored[..at]);
    body.extend_from_slice(piece);
    body.extend_from_slice(&stored[at..]);
    body
}

/// A request kept in its message's row (`messages.raw_body`, `raw_content_at`, `reply`): the
/// body without `content` when it holds it verbatim, and where it was.
pub(super) fn fold<'a>(body: &'a [u8], content: &str) -> (Cow<'a, [u8]>, Option<i64>) {
    match cut(body, content.as_bytes()) {
        Some((stripped, at)) => match i64::try_from(at) {
            Ok(at) => (Cow::Owned(stripped), Some(at)),
            Err(_) => (Cow::Borrowed(body), None),
        },
        None => (Cow::Borrowed(body), None),
    }
}

/// The body [`fold`] stored, as sent: `content` put back at `at` (`None`: stored whole).
pub(super) fn unfold(stored: Vec<u8>, at: Option<i64>, content: &str) -> Vec<u8> {
    match at {
        Some(at) => splice(
            &stored,
            usize::try_from(at).unwrap_or(usize::MAX),
            content.as_bytes(),
        ),
        None => stored,
    }
}

/// The usual spelling of a request that reached one chat, `{"chatid":C,"msgtype":T,"T":CONTENT}`
/// with `CONTENT` as the stored `content` spells it. A body spelled so is stored empty
/// (`deliver.rs`, checked byte for byte there) and rebuilt from its row ([`restore`]).
pub(super) fn usual(chatid: &str, msgtype: &str, content: &str) -> Vec<u8> {
    let quoted = |text: &str| serde_json::Value::from(text).to_string();
    let msgtype = quoted(msgtype);
    format!(
        r#"{{"chatid":{},"msgtype":{msgtype},{msgtype}:{content}}}"#,
        quoted(chatid)
    )
    .into_bytes()
}

/// Whether `body` is exactly [`usual`]`(chatid, msgtype, content)`, compared piece by piece:
/// building the spelling to compare was 5% of the writer's time.
pub(super) fn is_usual(body: &[u8], chatid: &str, msgtype: &str, content: &str) -> bool {
    // serde_json escapes only `"`, `\` and control characters; an id with one is rare.
    let plain = |text: &str| !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    if !plain(chatid) || !plain(msgtype) {
        return usual(chatid, msgtype, content) == body;
    }
    let mut rest = body;
    let mut take = |piece: &[u8]| match rest.strip_prefix(piece) {
        Some(after) => {
            rest = after;
            true
        }
        None => false,
    };
    let msgtype = msgtype.as_bytes();
    take(br#"{"chatid":""#)
        && take(chatid.as_bytes())
        && take(br#"","msgtype":""#)
        && take(msgtype)
        && take(br#"",""#)
        && take(msgtype)
        && take(br#"":"#)
        && take(content.as_bytes())
        && take(b"}")
        && rest.is_empty()
}

/// The body of a request kept in its message's row, as sent: rebuilt from the row when it was
/// stored empty (the usual spelling, [`usual`]), else [`unfold`]ed.
pub(super) fn restore(
    stored: Vec<u8>,
    at: Option<i64>,
    chatid: &str,
    msgtype: &str,
    content: &str,
) -> Vec<u8> {
    if stored.is_empty() && at.is_none() {
        usual(chatid, msgtype, content)
    } else {
        unfold(stored, at, content)
    }
}

/// The offset of `text` as a whole JSON string value in `body` (between two quotes). Run on the
/// writer thread, so it looks for the text's first bytes with memchr's vectorised search rather
/// than at every quote of the body, then compares the rest once.
fn find_string_value(body: &[u8], text: &[u8]) -> Option<usize> {
    let head = &text[..text.len().min(64)];
    memchr::memmem::find_iter(body, head).find(|&start| {
        let end = start + text.len();
        start > 0
            && body[start - 1] == b'"'
            && body.get(start..end) == Some(text)
            && body.get(end) == Some(&b'"')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_spelling_is_recognised_exactly() {
        let content = r#"{"content":"hi \"you\""}"#;
        for (chatid, msgtype) in [("g1", "text"), ("a\"b", "text"), ("g\\", "mark\ndown")] {
            let body = usual(chatid, msgtype, content);
            assert!(is_usual(&body, chatid, msgtype, content), "{chatid}");
            assert!(!is_usual(&body[..body.len() - 1], chatid, msgtype, content));
            let mut longer = body.clone();
            longer.push(b' ');
            assert!(!is_usual(&longer, chatid, msgtype, content));
            assert!(!is_usual(&body, "g2", msgtype, content));
            assert!(!is_usual(&body, chatid, "image", content));
            assert!(!is_usual(&body, chatid, msgtype, r#"{"content":"ho"}"#));
        }
        assert!(!is_usual(
            br#"{"msgtype":"text","chatid":"g1","text":{}}"#,
            "g1",
            "text",
            "{}"
        ));
    }

    #[test]
    fn a_cut_piece_splices_back_byte_for_byte() {
        let body = br#"{"chatid":"g","msgtype":"text","text":{"content":"hi"}}"#;
        let (stored, at) = cut(body, br#"{"content":"hi"}"#).unwrap();
        assert_eq!(stored, br#"{"chatid":"g","msgtype":"text","text":}"#);
        assert_eq!(splice(&stored, at, br#"{"content":"hi"}"#), body);
        assert_eq!(cut(body, b"absent"), None);
        assert_eq!(splice(b"ab", 9, b"x"), b"ab");
    }

    #[test]
    fn content_written_verbatim_is_folded_out_and_back() {
        for (body, content) in [
            (
                r#"{"chatid":"g","msgtype":"text","text":{"content":"磁盘 91%\n\"quoted\""}}"#,
                r#"{"content":"磁盘 91%\n\"quoted\""}"#,
            ),
            (
                r#"{"msgtype":"markdown","markdown":{"content":"**x**"},"chatid":"g"}"#,
                r#"{"content":"**x**"}"#,
            ),
        ] {
            let (stored, at) = fold(body.as_bytes(), content);
            assert_eq!(stored.len(), body.len() - content.len(), "{body}");
            assert!(at.is_some());
            assert_eq!(unfold(stored.into_owned(), at, content), body.as_bytes());
        }
    }

    #[test]
    fn content_spelled_otherwise_in_the_body_is_stored_whole() {
        // The stored content is serde_json's spelling; these bodies say the same otherwise.
        for (body, content) in [
            (
                r#"{"msgtype":"text","text":{"content":"\u4e2d"}}"#,
                r#"{"content":"中"}"#,
            ),
            (
                r#"{"msgtype":"text","text":{"content":"https:\/\/x"}}"#,
                r#"{"content":"https://x"}"#,
            ),
            (
                r#"{"msgtype":"text","text": { "content" : "hi" }}"#,
                r#"{"content":"hi"}"#,
            ),
            (
                r#"{"msgtype":"text","text":{"mentioned_list":["a"],"content":"hi"}}"#,
                r#"{"content":"hi","mentioned_list":["a"]}"#,
            ),
        ] {
            let (stored, at) = fold(body.as_bytes(), content);
            assert_eq!((stored.as_ref(), at), (body.as_bytes(), None), "{body}");
            assert_eq!(unfold(stored.into_owned(), at, content), body.as_bytes());
        }
    }

    #[test]
    fn a_body_spelled_the_usual_way_is_rebuilt_from_the_row() {
        let content = r#"{"content":"磁盘 91%\n\"q\"","mentioned_list":["a"]}"#;
        let body = format!(r#"{{"chatid":"wr\"k","msgtype":"text","text":{content}}}"#);
        assert_eq!(usual("wr\"k", "text", content), body.as_bytes());
        assert_eq!(
            restore(Vec::new(), None, "wr\"k", "text", content),
            body.as_bytes()
        );
        // Stored whole or folded, the stored body is what counts.
        assert_eq!(restore(b"{}".to_vec(), None, "g", "text", content), b"{}");
        assert_eq!(
            restore(b"{\"text\":}".to_vec(), Some(8), "g", "text", "1"),
            b"{\"text\":1}"
        );
    }

    #[test]
    fn a_damaged_content_offset_gives_the_stored_body() {
        assert_eq!(unfold(b"ab".to_vec(), Some(9), "x"), b"ab");
        assert_eq!(unfold(b"ab".to_vec(), Some(-1), "x"), b"ab");
    }

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
            let (stored, at) = strip(&body, &text, true).expect("canonical");
            assert_eq!(stored.len(), body.len() - text.len());
            assert_eq!(rebuild(&stored, at, &picture), body);
        }
    }

    #[test]
    fn base64_that_is_not_canonical_is_kept_whole() {
        let text = STANDARD.encode([1u8, 2, 3, 4]);
        assert!(strip(&body_of(&text), &text, false).is_none());
    }

    #[test]
    fn the_text_is_found_only_as_a_whole_string_value() {
        let text = STANDARD.encode(b"picture bytes");
        let body = format!(
            r#"{{"x":"{text}{text}","y":"{}","image":{{"base64":"{text}"}}}}"#,
            &text[..8]
        );
        let (stored, at) = strip(body.as_bytes(), &text, true).expect("found");
        assert_eq!(&body[at - 1..at], "\"");
        assert_eq!(at, body.rfind(&text).unwrap());
        assert_eq!(stored.len(), body.len() - text.len());
        assert!(strip(format!(r#"{{"x":"a{text}"}}"#).as_bytes(), &text, true).is_none());
    }

    #[test]
    fn escaped_base64_in_the_json_is_kept_whole() {
        let picture = [0xffu8, 0xff, 0xff];
        let text = STANDARD.encode(picture);
        assert_eq!(text, "////");
        let body = body_of(r"\/\/\/\/");
        assert!(strip(&body, &text, true).is_none());
    }

    #[test]
    fn a_damaged_offset_gives_the_stored_body() {
        assert_eq!(rebuild(b"abc", 10, b"x"), b"abc");
    }
}
