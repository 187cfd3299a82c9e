//! Every numeric limit of the push API, each citing the rule it comes from.
//!
//! Byte limits count UTF-8 bytes of the decoded JSON string (a Chinese character is 3 bytes), as
//! WeCom does (spec §7). "MB" in the official document is read as MiB (`[U]`, see
//! [`crate::uncertain`]).

use std::time::Duration;

// [U] WeCom's "M" read as MiB: the generous reading never refuses a file WeCom takes.
const MIB: usize = 1024 * 1024;

/// WeCom: `text.content` > 5120 bytes ⇒ 40058 (spec §2.2, two captures).
pub const TEXT_CONTENT_MAX_BYTES: usize = 5120;
/// WeCom: text content "最长不超过2048个字节"; longer text is accepted but displayed truncated
/// (spec §2.2).
pub const TEXT_DISPLAY_MAX_BYTES: usize = 2048;
/// WeCom: `markdown.content` ≤ 4096 bytes (spec §2.3).
pub const MARKDOWN_CONTENT_MAX_BYTES: usize = 4096;
/// WeCom: `markdown_v2.content` ≤ 4096 bytes (spec §2.4).
pub const MARKDOWN_V2_CONTENT_MAX_BYTES: usize = 4096;

/// WeCom: "一个attachment中最多支持20个action" (spec §2.3).
pub const ATTACHMENT_ACTIONS_MAX: usize = 20;
/// WeCom: `actions[].name` ≤ 64 bytes (spec §2.3).
pub const ACTION_NAME_MAX_BYTES: usize = 64;
/// WeCom: `actions[].text` ≤ 128 bytes (spec §2.3).
pub const ACTION_TEXT_MAX_BYTES: usize = 128;
/// WeCom: `actions[].value` ≤ 128 bytes (spec §2.3).
pub const ACTION_VALUE_MAX_BYTES: usize = 128;
/// WeCom: `actions[].replace_text` ≤ 128 bytes (spec §2.3).
pub const ACTION_REPLACE_TEXT_MAX_BYTES: usize = 128;

/// WeCom: the picture of an `image` message is at most 2 MB before base64 (spec §2.5).
pub const IMAGE_MAX_BYTES: usize = 2 * MIB;

/// WeCom: a news message has 1 to 8 articles (spec §2.6).
pub const NEWS_ARTICLES_MIN: usize = 1;
/// WeCom: a news message has 1 to 8 articles (spec §2.6).
pub const NEWS_ARTICLES_MAX: usize = 8;
/// WeCom: news `title` ≤ 128 bytes, longer is silently truncated (spec §2.6).
pub const NEWS_TITLE_MAX_BYTES: usize = 128;
/// WeCom: news `description` ≤ 512 bytes, longer is silently truncated (spec §2.6).
pub const NEWS_DESCRIPTION_MAX_BYTES: usize = 512;

/// WeCom: `miniprogram.title` ≤ 64 bytes (spec §2.8).
pub const MINIPROGRAM_TITLE_MAX_BYTES: usize = 64;

/// WeCom: template card `horizontal_content_list` ≤ 6 items (spec §3.1, 42035).
pub const CARD_HORIZONTAL_CONTENT_MAX: usize = 6;
/// WeCom: template card `jump_list` ≤ 3 items (spec §3.1, 42042).
pub const CARD_JUMP_LIST_MAX: usize = 3;
/// WeCom: template card `vertical_content_list` ≤ 4 items (spec §3.3, 42036).
pub const CARD_VERTICAL_CONTENT_MAX: usize = 4;
/// WeCom: `card_image.aspect_ratio` lower bound, inclusive (spec §3.3).
pub const CARD_ASPECT_RATIO_MIN: f64 = 1.3;
/// WeCom: `card_image.aspect_ratio` upper bound, inclusive to accept the official example
/// (spec §3.4).
pub const CARD_ASPECT_RATIO_MAX: f64 = 2.25;
/// WeCom: `card_image.aspect_ratio` when absent (spec §3.3).
pub const CARD_ASPECT_RATIO_DEFAULT: f64 = 1.3;

/// WeCom: `chatid` takes at most 100 ids joined by `|` (spec §2.1).
pub const CHATID_MAX_IDS: usize = 100;

/// WeCom: every upload must be larger than 5 bytes ("大于5个字节", spec §4.2).
pub const UPLOAD_MUST_EXCEED_BYTES: usize = 5;
/// WeCom: `type=file` uploads ≤ 20 MB (spec §4.2).
pub const UPLOAD_FILE_MAX_BYTES: usize = 20 * MIB;
/// WeCom: `type=voice` uploads ≤ 2 MB (spec §4.2).
pub const UPLOAD_VOICE_MAX_BYTES: usize = 2 * MIB;
/// WeCom (internal doc): `type=image` uploads ≤ 10 MB (spec §4.2).
pub const UPLOAD_IMAGE_MAX_BYTES: usize = 10 * MIB;
/// WeCom (internal doc): `type=video` uploads ≤ 10 MB (spec §4.2).
pub const UPLOAD_VIDEO_MAX_BYTES: usize = 10 * MIB;
/// WeCom: a voice plays for at most 60 s (spec §4.2).
pub const VOICE_MAX_DURATION: Duration = Duration::from_secs(60);
/// AMR-NB (RFC 4867 §5): every speech frame covers 20 ms.
pub const AMR_FRAME_DURATION: Duration = Duration::from_millis(20);

/// WeCom: a `media_id` is valid for 3 days (spec §4.3).
pub const MEDIA_TTL: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// WeCom: every rate limit below counts messages per minute (spec §5).
pub const RATE_WINDOW: Duration = Duration::from_secs(60);
/// WeCom (internal doc, S1): ≤ 100 messages/minute per bot to one group or blackboard (spec §5).
pub const RATE_PER_CHAT_PER_MINUTE: usize = 100;
/// WeCom (public doc): ≤ 20 messages/minute per bot (spec §5, the "public" profile).
pub const RATE_PUBLIC_PER_MINUTE: usize = 20;
/// WeCom (S1): ≤ 100 broadcast (`@all…`) messages/minute per bot (spec §5).
pub const RATE_BROADCAST_PER_MINUTE: usize = 100;
/// WeCom (S1): ≤ 100 single-chat messages/minute per bot to one user (spec §5).
pub const RATE_PER_USER_PER_MINUTE: usize = 100;
/// WeCom (S1): ≤ 10 000 send calls/minute per bot overall (spec §5).
pub const RATE_PER_BOT_PER_MINUTE: usize = 10_000;
/// WeCom (S1): after a user-triggered single-chat callback the bot may send 3 proactive
/// single-chat messages (spec §2.1, §5).
pub const SINGLE_CHAT_PROACTIVE_QUOTA: usize = 3;
