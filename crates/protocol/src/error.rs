//! [`ErrorCode`]: one WeCom error, its number and its English text, and the exact `errmsg` wire
//! format built from them.
//!
//! Every code the webhook endpoints answer with is a constant here, so the server, the SDK and the
//! CLI agree on numbers and words. Codes whose wording WeCom never showed us are marked `[U]`
//! and listed in the crate's table of uncertain choices (see the crate docs).

use std::borrow::Cow;
use std::fmt;

/// Where the "more info" link of every error points; the code is appended.
pub const MORE_INFO_URL: &str = "https://open.work.weixin.qq.com/devtool/query?e=";

/// A WeCom error: the `errcode` number and the English text that starts its `errmsg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorCode {
    code: i64,
    text: Cow<'static, str>,
}

impl ErrorCode {
    /// Success; its errmsg is exactly `ok`, without hint or suffix.
    pub const OK: ErrorCode = ErrorCode::fixed(0, "ok");
    /// WeCom's generic failure.
    pub const SYSTEM_ERROR: ErrorCode = ErrorCode::fixed(-1, "system error");
    /// Missing, malformed or unknown key, or the bot was removed (spec §1.3).
    pub const INVALID_WEBHOOK_URL: ErrorCode = ErrorCode::fixed(93000, "invalid webhook url");
    /// Missing, unknown or wrongly cased `msgtype`, or a body that is not JSON (spec §2.1).
    pub const INVALID_MESSAGE_TYPE: ErrorCode = ErrorCode::fixed(40008, "invalid message type");
    /// text/markdown content empty or absent.
    pub const EMPTY_CONTENT: ErrorCode = ErrorCode::fixed(44004, "empty content");
    /// Rate limit exceeded (spec §5).
    pub const API_FREQ_OUT_OF_LIMIT: ErrorCode = ErrorCode::fixed(45009, "api freq out of limit");
    /// Two concurrent requests with an identical body. `[U]` code borrowed from other WeCom APIs.
    // [U] 45033 for two identical bodies in flight.
    pub const API_CONCURRENT_OUT_OF_LIMIT: ErrorCode =
        ErrorCode::fixed(45033, "api concurrent out of limit");
    /// `image.md5` differs from the md5 of the decoded bytes.
    pub const MEDIA_MD5_NOT_MATCH: ErrorCode = ErrorCode::fixed(301019, "media md5 not match");
    /// file/voice without `media_id`. `[U]` the text is captured, the code is not.
    pub const MEDIA_ID_MISSING: ErrorCode = ErrorCode::fixed(41006, "media_id missing");
    /// Unknown, expired or another bot's media id. `[U]` for the webhook.
    // [U] 40007 for an unknown, expired, other bot's or wrong-kind media id (server lookup).
    pub const INVALID_MEDIA_ID: ErrorCode = ErrorCode::fixed(40007, "invalid media_id");
    /// Upload without file bytes; also an `image` message without `base64` (`[U]`).
    pub const EMPTY_MEDIA_DATA: ErrorCode = ErrorCode::fixed(44001, "empty media data");
    /// Single chat to a user outside the subscription scope, or over its quota. `[U]` text.
    // [U] 93005's English text: the code is documented (S1 appendix), the wording never captured.
    pub const SINGLE_CHAT_NOT_ALLOWED: ErrorCode = ErrorCode::fixed(
        93005,
        "robot not allowed to send single chat message to user",
    );

    /// news with no article or more than 8. `[U]` catalogue code, WeChat-family text.
    pub const ARTICLE_SIZE_OUT_OF_LIMIT: ErrorCode =
        ErrorCode::fixed(45008, "article size out of limit");
    /// news article without title. `[U]` catalogue code, text seen on another WeCom API.
    pub const MISSING_TITLE: ErrorCode = ErrorCode::fixed(41016, "missing title");
    /// news article without url. `[U]` catalogue code 41010 (缺少url参数).
    pub const MISSING_URL: ErrorCode = ErrorCode::fixed(41010, "missing url");
    /// `image` picture over 2 MB. `[U]` catalogue code, WeChat-family text.
    pub const INVALID_IMAGE_SIZE: ErrorCode = ErrorCode::fixed(40009, "invalid image size");
    /// `image` picture that is not JPG/PNG, or an upload `type` that is unknown or disabled.
    /// `[U]` catalogue code, WeChat-family text.
    pub const INVALID_FILE_TYPE: ErrorCode = ErrorCode::fixed(40005, "invalid file type");
    /// Upload whose bytes are not of its `type` (non-AMR voice, non-MP4 video, ...). `[U]`
    pub const INVALID_MEDIA_TYPE: ErrorCode = ErrorCode::fixed(40004, "invalid media type");
    /// Upload of 5 bytes or fewer. `[U]` catalogue code, WeChat-family text.
    pub const INVALID_MEDIA_SIZE: ErrorCode = ErrorCode::fixed(40006, "invalid media size");
    /// Upload over its type's size cap. `[U]` catalogue code 45001 (多媒体文件大小超过限制).
    pub const MEDIA_SIZE_OUT_OF_LIMIT: ErrorCode =
        ErrorCode::fixed(45001, "media size out of limit");
    /// Video upload over 10 MB. `[U]` catalogue code, WeChat-family text.
    pub const INVALID_VIDEO_SIZE: ErrorCode = ErrorCode::fixed(40011, "invalid video size");
    /// Voice upload longer than 60 s. `[U]` catalogue code, WeChat-family text.
    pub const PLAYTIME_OUT_OF_LIMIT: ErrorCode = ErrorCode::fixed(45007, "playtime out of limit");
    // [U] 93004 and 93008: catalogue codes, English texts never captured.
    /// The bot was disabled by an administrator. `[U]` code from the catalogue, text invented.
    pub const ROBOT_DISABLED: ErrorCode = ErrorCode::fixed(93004, "robot is disabled");
    /// The bot is not a member of the target chat. `[U]` code from the catalogue, text invented.
    pub const ROBOT_NOT_IN_CHAT: ErrorCode = ErrorCode::fixed(93008, "robot not in chat");

    // [U] get_chat_info's codes (spec §8.8): 40029 for an unknown or expired code, 42022 for one
    // used before — WeCom's catalogue codes for invalid and used codes; texts not captured.
    /// `get_chat_info` with a code never issued or older than its 5 minutes.
    pub const INVALID_CODE: ErrorCode = ErrorCode::fixed(40029, "invalid code");
    /// `get_chat_info` with a code used before (they are single-use).
    pub const CODE_USED: ErrorCode = ErrorCode::fixed(42022, "code has been used");

    /// Every fixed code above, for lookups by number (fault injection answers "any code of the
    /// catalogue" with its exact text). 40058 is not here: its text names a field
    /// ([`ErrorCode::exceed_max_length`], [`ErrorCode::invalid_parameter`]).
    pub const CATALOGUE: &'static [ErrorCode] = &[
        ErrorCode::SYSTEM_ERROR,
        ErrorCode::INVALID_WEBHOOK_URL,
        ErrorCode::INVALID_MESSAGE_TYPE,
        ErrorCode::EMPTY_CONTENT,
        ErrorCode::API_FREQ_OUT_OF_LIMIT,
        ErrorCode::API_CONCURRENT_OUT_OF_LIMIT,
        ErrorCode::MEDIA_MD5_NOT_MATCH,
        ErrorCode::MEDIA_ID_MISSING,
        ErrorCode::INVALID_MEDIA_ID,
        ErrorCode::EMPTY_MEDIA_DATA,
        ErrorCode::SINGLE_CHAT_NOT_ALLOWED,
        ErrorCode::ARTICLE_SIZE_OUT_OF_LIMIT,
        ErrorCode::MISSING_TITLE,
        ErrorCode::MISSING_URL,
        ErrorCode::INVALID_IMAGE_SIZE,
        ErrorCode::INVALID_FILE_TYPE,
        ErrorCode::INVALID_MEDIA_TYPE,
        ErrorCode::INVALID_MEDIA_SIZE,
        ErrorCode::MEDIA_SIZE_OUT_OF_LIMIT,
        ErrorCode::INVALID_VIDEO_SIZE,
        ErrorCode::PLAYTIME_OUT_OF_LIMIT,
        ErrorCode::ROBOT_DISABLED,
        ErrorCode::ROBOT_NOT_IN_CHAT,
        ErrorCode::INVALID_CODE,
        ErrorCode::CODE_USED,
    ];

    /// The catalogue's error of this number, if it has one.
    pub fn from_code(code: i64) -> Option<ErrorCode> {
        ErrorCode::CATALOGUE
            .iter()
            .find(|error| error.code == code)
            .cloned()
    }

    /// An error with static text.
    pub const fn fixed(code: i64, text: &'static str) -> ErrorCode {
        ErrorCode {
            code,
            text: Cow::Borrowed(text),
        }
    }

    /// An error whose text is built at run time (e.g. a 40058 naming the field).
    pub fn new(code: i64, text: impl Into<Cow<'static, str>>) -> ErrorCode {
        ErrorCode {
            code,
            text: text.into(),
        }
    }

    /// `40058 <path> exceed max length <max>. invalid Request Parameter` (bytes of UTF-8).
    pub fn exceed_max_length(path: &str, max: usize) -> ErrorCode {
        ErrorCode::invalid_parameter(path, &format!("exceed max length {max}"))
    }

    /// `40058 <path> <reason>. invalid Request Parameter`, WeCom's schema-error pattern.
    pub fn invalid_parameter(path: &str, reason: &str) -> ErrorCode {
        ErrorCode::new(40058, format!("{path} {reason}. invalid Request Parameter"))
    }

    /// ``<code> missing field `<path>`. invalid Request Parameter``, the wording WeCom uses for
    /// an absent required field on its other APIs (spec §1.2).
    pub fn missing_field(code: i64, path: &str) -> ErrorCode {
        ErrorCode::new(
            code,
            format!("missing field `{path}`. invalid Request Parameter"),
        )
    }

    /// ``<code> field `<path>` expect array size in [<min>, <max>]. invalid Request Parameter``,
    /// WeCom's wording for a list of the wrong length on its other APIs (spec §1.2).
    pub fn array_size(code: i64, path: &str, min: usize, max: usize) -> ErrorCode {
        ErrorCode::new(
            code,
            format!(
                "field `{path}` expect array size in [{min}, {max}]. invalid Request Parameter"
            ),
        )
    }

    /// `<code> <path> <reason>. invalid Request Parameter`: the 40058 pattern under another code
    /// (the 42xxx template-card codes, `[U]`).
    pub fn invalid_field(code: i64, path: &str, reason: &str) -> ErrorCode {
        ErrorCode::new(code, format!("{path} {reason}. invalid Request Parameter"))
    }

    /// The number sent as `errcode`.
    pub fn code(&self) -> i64 {
        self.code
    }

    /// The English text that starts `errmsg`, before `, hint:`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this is success (errcode 0).
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }

    /// The full `errmsg` as WeCom sends it: `ok` for success, else
    /// `<text>, hint: [<hint>], from ip: <ip>, more info at <url>?e=<code>`.
    pub fn errmsg(&self, hint: Hint, from_ip: &str) -> String {
        if self.is_ok() {
            return "ok".to_owned();
        }
        format!(
            "{}, hint: [{hint}], from ip: {from_ip}, more info at {MORE_INFO_URL}{}",
            self.text, self.code
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text)
    }
}

impl std::error::Error for ErrorCode {}

/// The 25-digit request hint of an errmsg: 13 digits of Unix milliseconds, then 12 opaque digits.
///
/// The caller supplies both parts so that this crate needs no clock and no randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    unix_millis: u64,
    tail: u64,
}

impl Hint {
    /// Builds a hint; `unix_millis` is kept to 13 digits and `tail` to 12.
    pub fn new(unix_millis: u64, tail: u64) -> Hint {
        Hint {
            unix_millis: unix_millis % 10_u64.pow(13),
            tail: tail % 10_u64.pow(12),
        }
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}{:012}", self.unix_millis, self.tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errmsg_has_wecom_suffix_with_25_digit_hint() {
        let hint = Hint::new(1_704_540_159_128, 593_240_839_785);
        let errmsg =
            ErrorCode::exceed_max_length("markdown.content", 4096).errmsg(hint, "103.56.76.2");
        assert_eq!(
            errmsg,
            "markdown.content exceed max length 4096. invalid Request Parameter, hint: \
             [1704540159128593240839785], from ip: 103.56.76.2, more info at \
             https://open.work.weixin.qq.com/devtool/query?e=40058"
        );
    }

    #[test]
    fn catalogue_codes_are_found_by_number_and_unique() {
        assert_eq!(
            ErrorCode::from_code(45009),
            Some(ErrorCode::API_FREQ_OUT_OF_LIMIT)
        );
        assert_eq!(ErrorCode::from_code(12345), None);
        let mut codes: Vec<i64> = ErrorCode::CATALOGUE.iter().map(ErrorCode::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorCode::CATALOGUE.len());
    }

    #[test]
    fn small_hint_parts_are_zero_padded_to_25_digits() {
        assert_eq!(Hint::new(5, 7).to_string(), "0000000000005000000000007");
    }

    #[test]
    fn success_errmsg_is_plain_ok() {
        assert_eq!(ErrorCode::OK.errmsg(Hint::new(1, 1), "127.0.0.1"), "ok");
    }
}
