//! The rules of each message body except `template_card` (spec §2, §10): required fields first,
//! then lengths and counts. News titles and descriptions are truncated in place, as WeCom does.

use crate::error::ErrorCode;
use crate::limit::{
    ACTION_NAME_MAX_BYTES, ACTION_REPLACE_TEXT_MAX_BYTES, ACTION_TEXT_MAX_BYTES,
    ACTION_VALUE_MAX_BYTES, ATTACHMENT_ACTIONS_MAX, MARKDOWN_CONTENT_MAX_BYTES,
    MARKDOWN_V2_CONTENT_MAX_BYTES, MINIPROGRAM_TITLE_MAX_BYTES, NEWS_ARTICLES_MAX,
    NEWS_ARTICLES_MIN, NEWS_DESCRIPTION_MAX_BYTES, NEWS_TITLE_MAX_BYTES, TEXT_CONTENT_MAX_BYTES,
};
use crate::message::{Action, Markdown, MarkdownV2, MediaRef, Miniprogram, News, Text};
use crate::text::truncate_utf8;
use crate::validate::Rules;

pub(super) fn text(text: &Text) -> Result<(), ErrorCode> {
    content("text.content", &text.content, TEXT_CONTENT_MAX_BYTES)
}

pub(super) fn markdown(markdown: &Markdown, rules: Rules) -> Result<(), ErrorCode> {
    content(
        "markdown.content",
        &markdown.content,
        MARKDOWN_CONTENT_MAX_BYTES,
    )?;
    // Paths are only formatted on failure: a valid message allocates nothing here.
    for (i, attachment) in markdown.attachments.iter().flatten().enumerate() {
        let path = |field: &str| format!("markdown.attachments[{i}].{field}");
        if attachment.callback_id.is_empty() {
            // [U] 40058 `missing field` for a required attachment or card field with no own code.
            return Err(ErrorCode::missing_field(40058, &path("callback_id")));
        }
        let count = attachment.actions.len();
        if count == 0 || count > ATTACHMENT_ACTIONS_MAX {
            // [U] 40058 in WeCom's array-size wording for 0 or more than 20 actions.
            return Err(ErrorCode::array_size(
                40058,
                &path("actions"),
                1,
                ATTACHMENT_ACTIONS_MAX,
            ));
        }
        for (j, action) in attachment.actions.iter().enumerate() {
            check_action(action, rules)
                .map_err(|failure| failure.into_error(&path(&format!("actions[{j}]"))))?;
        }
    }
    Ok(())
}

/// Which rule an action broke, turned into an [`ErrorCode`] once its path is known.
enum ActionFailure {
    Missing(&'static str),
    NotButton,
    TooLong(&'static str, usize),
}

impl ActionFailure {
    fn into_error(self, path: &str) -> ErrorCode {
        match self {
            ActionFailure::Missing(field) => {
                ErrorCode::missing_field(40058, &format!("{path}.{field}"))
            }
            // [U] 40058 for an action type other than "button".
            ActionFailure::NotButton => {
                ErrorCode::invalid_parameter(&format!("{path}.type"), "expect button")
            }
            ActionFailure::TooLong(field, max) => {
                ErrorCode::exceed_max_length(&format!("{path}.{field}"), max)
            }
        }
    }
}

fn check_action(action: &Action, rules: Rules) -> Result<(), ActionFailure> {
    let required = [
        ("type", &action.kind, true),
        ("name", &action.name, true),
        ("text", &action.text, true),
        ("value", &action.value, true),
        (
            "replace_text",
            &action.replace_text,
            rules.replace_text_required,
        ),
    ];
    if let Some((field, _, _)) = required
        .iter()
        .find(|(_, value, required)| *required && value.is_empty())
    {
        return Err(ActionFailure::Missing(field));
    }
    if action.kind != "button" {
        return Err(ActionFailure::NotButton);
    }
    let limits = [
        ("name", &action.name, ACTION_NAME_MAX_BYTES),
        ("text", &action.text, ACTION_TEXT_MAX_BYTES),
        ("value", &action.value, ACTION_VALUE_MAX_BYTES),
        (
            "replace_text",
            &action.replace_text,
            ACTION_REPLACE_TEXT_MAX_BYTES,
        ),
    ];
    match limits
        .into_iter()
        .find(|(_, value, max)| value.len() > *max)
    {
        Some((field, _, max)) => Err(ActionFailure::TooLong(field, max)),
        None => Ok(()),
    }
}

pub(super) fn markdown_v2(markdown_v2: &MarkdownV2) -> Result<(), ErrorCode> {
    // [U] 44004 for an empty markdown_v2 content too (captured for text and markdown).
    content(
        "markdown_v2.content",
        &markdown_v2.content,
        MARKDOWN_V2_CONTENT_MAX_BYTES,
    )
}

/// 44004 when empty, 40058 when over `max` UTF-8 bytes.
fn content(path: &str, content: &str, max: usize) -> Result<(), ErrorCode> {
    if content.is_empty() {
        return Err(ErrorCode::EMPTY_CONTENT);
    }
    if content.len() > max {
        return Err(ErrorCode::exceed_max_length(path, max));
    }
    Ok(())
}

pub(super) fn news(news: &mut News) -> Result<(), ErrorCode> {
    let count = news.articles.len();
    if !(NEWS_ARTICLES_MIN..=NEWS_ARTICLES_MAX).contains(&count) {
        // [U] 45008 `article size out of limit` for no article or more than 8.
        return Err(ErrorCode::ARTICLE_SIZE_OUT_OF_LIMIT);
    }
    for article in &mut news.articles {
        if article.title.is_empty() {
            // [U] 41016 `missing title` for an article without title.
            return Err(ErrorCode::MISSING_TITLE);
        }
        if article.url.is_empty() {
            // [U] 41010 `missing url` for an article without url.
            return Err(ErrorCode::MISSING_URL);
        }
        // WeCom truncates silently rather than refusing (official doc: "超过会自动截断").
        truncate_in_place(&mut article.title, NEWS_TITLE_MAX_BYTES);
        if let Some(description) = &mut article.description {
            truncate_in_place(description, NEWS_DESCRIPTION_MAX_BYTES);
        }
    }
    Ok(())
}

fn truncate_in_place(text: &mut String, max_bytes: usize) {
    let keep = truncate_utf8(text, max_bytes).len();
    text.truncate(keep);
}

pub(super) fn media(media: &MediaRef) -> Result<(), ErrorCode> {
    if media.media_id.is_empty() {
        // [U] 41006 (缺少media_id参数) with the captured text `media_id missing`.
        return Err(ErrorCode::MEDIA_ID_MISSING);
    }
    Ok(())
}

pub(super) fn miniprogram(miniprogram: &Miniprogram) -> Result<(), ErrorCode> {
    let required = [
        ("title", &miniprogram.title),
        ("pic_media_id", &miniprogram.pic_media_id),
        ("appid", &miniprogram.appid),
        ("page", &miniprogram.page),
    ];
    if let Some((field, _)) = required.iter().find(|(_, value)| value.is_empty()) {
        // [U] 40058 `missing field` for each of the four required miniprogram fields.
        return Err(ErrorCode::missing_field(
            40058,
            &format!("miniprogram.{field}"),
        ));
    }
    if miniprogram.title.len() > MINIPROGRAM_TITLE_MAX_BYTES {
        return Err(ErrorCode::exceed_max_length(
            "miniprogram.title",
            MINIPROGRAM_TITLE_MAX_BYTES,
        ));
    }
    Ok(())
}
