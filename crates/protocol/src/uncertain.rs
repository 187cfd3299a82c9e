//! Every choice made where WeCom's behaviour is not known (`[U]` in the spec), in one table.
//!
//! Each row is also marked in the code with a one-line `// [U] ...` comment. Where the spec
//! suggests a code, that code is used; English texts follow WeCom's 40058 style
//! (`<json.path> <reason>. invalid Request Parameter`, and its captured variants
//! ``missing field `<path>` `` and ``field `<path>` expect array size in [a, b]``), or the
//! WeChat-family text of the same catalogue code.
//!
//! | rule | code chosen (text before `, hint:`) | why |
//! |---|---|---|
//! | `<msgtype>` object missing or not an object | 40008 `invalid message type` | the request names a type it does not carry; same family as a missing msgtype |
//! | JSON nested deeper than 128 levels | 40008 `invalid message type` | serde_json's recursion limit refuses it as it refuses non-JSON; no stack overflow |
//! | wrong-typed field (`"content": 5`; also an array or scalar where an object belongs, `"source": []`) | 40058 ``<path> invalid type: integer `5`, expected a string. invalid Request Parameter`` (`… invalid type: array, expected an object. …`) | WeCom's schema-error pattern (spec §1.2); the "ok. Warning: wrong json format" variant was only seen on other APIs |
//! | `null` field | treated as absent | clients serialize `None` as `null`; an absent required field then gets its own code |
//! | empty `markdown_v2.content` | 44004 `empty content` | captured for text and markdown; same rule applied |
//! | image without `base64` | 44001 `empty media data` | WeCom's text for missing media bytes on upload |
//! | image `base64` that does not decode | 40058 `image.base64 is not valid base64. invalid Request Parameter` | schema error; whitespace and missing padding are tolerated first |
//! | image over 2 MB | 40009 `invalid image size` | spec §2.5 suggestion (catalogue, WeChat text) |
//! | image neither JPG nor PNG | 40005 `invalid file type` | spec §2.5 suggestion |
//! | image `md5` in uppercase / absent | accepted / 301019 `media md5 not match` | hex is case-insensitive; an absent md5 cannot match |
//! | news with 0 or more than 8 articles | 45008 `article size out of limit` | spec §2.6 suggestion |
//! | news article without title / url | 41016 `missing title` / 41010 `missing url` | spec §2.6 suggestion; 41010 is the catalogue's 缺少url参数 |
//! | file/voice without `media_id` | 41006 `media_id missing` | captured text, catalogue code (spec §2.7) |
//! | unknown, expired, other bot's or wrong-kind media id | 40007 `invalid media_id` (server, via [`crate::ValidSend::media_needs`]) | spec §2.7 |
//! | markdown attachment: missing `callback_id`/`type`/`name`/`text`/`value`/`replace_text` | 40058 ``missing field `markdown.attachments[i]…` `` | documented as required; no own code |
//! | attachment with 0 or more than 20 actions | 40058 ``field `markdown.attachments[i].actions` expect array size in [1, 20]`` | WeCom's array-size wording |
//! | action type other than `button` | 40058 `… .type expect button` | only buttons are documented |
//! | miniprogram field missing | 40058 ``missing field `miniprogram.<field>` `` | all four documented as required; no own code |
//! | template card without title (`main_title.title`, or `sub_title_text` for text_notice) | 40058 ``missing field `template_card.main_title.title` `` | no catalogue code for it |
//! | template card `card_type` missing / not text_notice or news_notice | 42031 | spec §3.5 |
//! | `card_action` missing, `type` missing or not 1/2 | 42045 | spec §3.5 |
//! | click type 1 without url / type 2 without appid | 42028 / 42030, also for `quote_area` and `image_text_area` | spec §3.5 lists card_action, jump_list, horizontal list; same rule, same code |
//! | news_notice without `card_image.url` | 42044 | webhook doc says required (spec §11.4: not "card_image or image_text_area") |
//! | `aspect_ratio` outside [1.3, 2.25] | 40058 `… expect value in [1.3, 2.25]` (refused, not clamped) | the range is a documented rule; silently clamping would hide client bugs |
//! | `image_text_area` without `image_url` | 40058 `missing field` | documented as required; no own code |
//! | list longer than 6 / 4 / 3 | 42035 / 42036 / 42042 in the array-size wording | spec §3.5 |
//! | jump or vertical row without title | 42033 | spec §3.5 |
//! | horizontal row: no keyname / type 2 no media_id / type 3 no userid | 42027 / 42029 / 42050 | spec §3.5 |
//! | a `type` or `desc_color` outside its documented values | 40058 `… expect value in [a, b]` | schema error |
//! | news_notice-only fields on text_notice and vice versa | ignored | spec §3.3 recommendation |
//! | `chatid` specials | `@all_group` reaches groups (and blackboards for text), `@all_blackboard` blackboards, `@all` both; absent or blank = `@all_group` ([`crate::target`]) | the document's wording per type; "its group" for a classic one-group bot |
//! | `post_id` / `visible_to_user` when `chatid` is not one conversation | ignored, not refused ([`crate::ValidSend::effective_post_id`]) | the document says they "take effect only when"; no error is documented |
//! | `chatid` with more than 100 ids | 40058 ``field `chatid` expect array size in [1, 100]``; counted before duplicates are removed | WeCom's array-size wording |
//! | identical body twice in flight | 45033 `api concurrent out of limit` | spec §2.10 suggestion (server) |
//! | rate-limit window | sliding 60 s ([`crate::window`]) | spec §5 allows fixed or sliding; sliding is stricter |
//! | upload `type` absent, unknown, wrong case or not enabled | 40005 `invalid file type` | spec §4.2 suggestion |
//! | upload of 5 bytes or fewer | 40006 `invalid media size` | spec §4.2 suggestion (WeChat text) |
//! | file or voice over its cap | 45001 `media size out of limit` | catalogue 多媒体文件大小超过限制 |
//! | image / video upload over 10 MB | 40009 `invalid image size` / 40011 `invalid video size` | catalogue, WeChat texts |
//! | upload bytes not AMR / JPG-PNG / MP4 | 40004 `invalid media type` | catalogue 不合法的媒体文件类型 |
//! | voice longer than 60 s | 45007 `playtime out of limit` | catalogue, WeChat text |
//! | AMR frame table, truncated last frame | FFmpeg's table; last partial frame counted | accept what players play |
//! | "2 MB", "10 MB", "20 MB" | MiB (2 097 152 bytes, ...) | the generous reading never refuses a file WeCom takes |
//! | 93005 text | `robot not allowed to send single chat message to user` | code documented (S1 appendix), English never captured |
//! | 93004 / 93008 texts | `robot is disabled` / `robot not in chat` | codes from the catalogue, English never captured |
//! | send body larger than any valid request (4 MiB) | 40058 `body exceed max length 4194304. invalid Request Parameter` (server; the rest is not read) | WeCom's length wording; bounds memory per call |
//! | a method other than POST on `send` / `upload_media` | answered as a request without a body, HTTP 200: 93000, then 40008 / 44001 (server) | WeCom's global catalogue (40058, 40063): a GET to a POST API is processed without its body |
//! | any other path under `/cgi-bin/` | HTTP 404 with 93000 `invalid webhook url` in WeCom's JSON shape and headers (server) | undocumented; the URL is not a webhook URL, and 93000 is what senders treat as "wrong URL" |
//! | `chatid` naming no chat and no user, or a chat without the bot; a broadcast reaching no chat | 93008 `robot not in chat` (server) | catalogue 不在群里 |
//! | a type blackboards do not take, sent to one blackboard (with or without `post_id`) | 40008 `invalid message type` (server) | the document: "该消息类型不支持发送到小黑板中"; the type is what is wrong |
//! | `post_id` that is not a post of the blackboard | 40058 `post_id is not a post of the blackboard. invalid Request Parameter` (server) | schema-error pattern |
//! | `@all_blackboard` with text or image | the bot's blackboards; nothing for the types blackboards do not take (server) | documented for markdown only; text and image may be posted on blackboards |
//! | inline `<@userid>` in a message on a blackboard | kept as a mention; only `mentioned_list` / `mentioned_mobile_list` are dropped (server) | the document says only the lists are unsupported there |
//! | `get_chat_info` with an unknown or expired code / a code used before | 40029 `invalid code` / 42022 `code has been used` (server) | the catalogue's codes for invalid and used codes (spec §8.8); texts never captured |
//! | a repeated `key=` (or `type=`) in a webhook URL | as if absent: 93000 (40005 for `type`) (server) | which of two keys was meant cannot be known; taking either one could make a URL work here and fail at WeCom |
//! | a body that stalls longer than `--body-timeout`, a call longer than `--request-timeout` | -1 `system error`, HTTP 200, then the connection closes (server) | the request never arrived whole; -1 is WeCom's "try again" |
//! | `send` bodies held at once over `--body-memory` | -1 `system error` (server) | WeCom's busy answer; nothing is stored |
//! | a URL over 8 KiB / headers over 64 KiB on `/cgi-bin/` | 40058 `url exceed max length 8192` / `header exceed max length 65536` in WeCom's JSON, with HTTP 414 / 431 (server) | WeCom's front end answers these itself; the status keeps generic clients right, the body tells the sender why |
//! | a malformed upload form | 44001 `empty media data` (server) | as for a form without a file |
//! | an upload whose body breaks off or stalls mid-form | -1 `system error` (server), recorded as a refusal | the form arrived incomplete, not empty; as for a `send` body that breaks off |
//! | per-user (single chat) rate window | one window per user, whether `chatid` spells the userid or the single-chat id (server) | "每个特定用户" counts the user, not the spelling |
//! | `robot_callback_format` other than exactly `json` or `xml` (`JSON`, `1`, …) | XML ([`crate::callback::CallbackFormat::from_url`]) | XML is WeCom's default; only the two lowercase values are documented |
//! | the rules a passive reply is checked against | those of `send` (limits, mentions, attachments), except that `replace_text` may be empty ([`crate::callback::parse_passive_reply`]) | the document lists the send API's fields and no limits of its own; "不填则点击后不替换" |
//! | a passive text reply with empty content | no reply (`Ok(None)`), not 44004 | an empty body is the documented "no reply", and an empty text would show nothing |
//! | elements of a passive reply's XML the document does not name (`AtShortName`, …) | ignored; `at_short_name` is not written in XML | unknown JSON fields are ignored too |
//! | the callback's client version | written as `AppVersion` / `app_version`, only when set | not in the document's examples; absent means an older client |
//! | callback retries | 3 attempts in all, 1 s then 3 s apart (server) | "总共重试三次" says neither whether the first counts nor the spacing |
//! | the callback request's `Content-Type` | `text/xml` or `application/json`, by the bot's format (server) | WeCom's headers are undocumented |
//! | `From`'s `Alias` in a callback | the userid (server) | WeCom's alias is an English name Hookpit does not keep; real receivers fail on a missing field |
//! | the `AppVersion` Hookpit's callbacks carry | this Hookpit's version (server) | the field is not in the document's examples |
//! | who adds or removes a bot without `?by=` | the chat's first member (server) | a callback needs a `From`; WeCom's is whoever did it |
//! | relay retry spacing (not WeCom's) | 1 s (10 s after 45009/45033/429), doubling to 1 min, ±20% jitter (server) | keeps a burst from hammering WeCom while a blip costs seconds |
