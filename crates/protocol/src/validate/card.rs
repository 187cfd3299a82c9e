//! `template_card` rules (spec §3) with the 42xxx codes of spec §3.5.
//!
//! Order: `card_type` (42031), the title (`main_title.title`, or `sub_title_text` for
//! text_notice), `card_action` (42045, 42028, 42030), news_notice's `card_image` (42044,
//! aspect ratio), `image_text_area` and `vertical_content_list` (42036, 42033), then
//! `quote_area`, `horizontal_content_list` (42035, 42027, 42028, 42029, 42050), `jump_list`
//! (42042, 42033, 42028, 42030) and `source.desc_color`. Each list's length is checked before its
//! items. Fields of the other card type are ignored, not refused (`[U]`, spec §3.3).

use crate::card::{CardType, TemplateCard};
use crate::error::ErrorCode;
use crate::limit::{
    CARD_ASPECT_RATIO_MAX, CARD_ASPECT_RATIO_MIN, CARD_HORIZONTAL_CONTENT_MAX, CARD_JUMP_LIST_MAX,
    CARD_VERTICAL_CONTENT_MAX,
};

/// The click behaviour shared by `card_action`, `quote_area`, `image_text_area` and `jump_list`.
struct Click<'a> {
    path: &'a str,
    kind: Option<i64>,
    url: Option<&'a str>,
    appid: Option<&'a str>,
}

pub(super) fn template_card(card: &TemplateCard) -> Result<(), ErrorCode> {
    let card_type = card_type(card)?;
    check_title(card, card_type)?;
    check_card_action(card)?;
    // [U] fields of the other card type are ignored, not refused (spec §3.3 recommendation).
    if card_type == CardType::NewsNotice {
        check_news_blocks(card)?;
    }
    if let Some(quote) = &card.quote_area {
        check_click(&Click {
            path: "template_card.quote_area",
            kind: quote.kind,
            url: quote.url.as_deref(),
            appid: quote.appid.as_deref(),
        })?;
    }
    check_horizontal_list(card)?;
    check_jump_list(card)?;
    if let Some(color) = card.source.as_ref().and_then(|source| source.desc_color)
        && !(0..=3).contains(&color)
    {
        // [U] 40058 for a source.desc_color outside 0..=3.
        return Err(ErrorCode::invalid_parameter(
            "template_card.source.desc_color",
            "expect value in [0, 3]",
        ));
    }
    Ok(())
}

fn card_type(card: &TemplateCard) -> Result<CardType, ErrorCode> {
    const PATH: &str = "template_card.card_type";
    if card.card_type.is_empty() {
        // [U] 42031 (Template_Card.CardType 字段不合法) for a missing card_type.
        return Err(ErrorCode::missing_field(42031, PATH));
    }
    CardType::from_wire(&card.card_type).ok_or_else(|| {
        // [U] 42031 for a card_type other than text_notice / news_notice.
        ErrorCode::invalid_field(42031, PATH, "expect text_notice or news_notice")
    })
}

fn check_title(card: &TemplateCard, card_type: CardType) -> Result<(), ErrorCode> {
    let has_title = card
        .main_title
        .as_ref()
        .and_then(|title| title.title.as_deref())
        .is_some_and(|title| !title.is_empty());
    let has_sub_title = card
        .sub_title_text
        .as_deref()
        .is_some_and(|text| !text.is_empty());
    let titled = match card_type {
        CardType::TextNotice => has_title || has_sub_title,
        CardType::NewsNotice => has_title,
    };
    if titled {
        Ok(())
    } else {
        // [U] 40058 `missing field` for a card without its title (no catalogue code).
        Err(ErrorCode::missing_field(
            40058,
            "template_card.main_title.title",
        ))
    }
}

fn check_card_action(card: &TemplateCard) -> Result<(), ErrorCode> {
    let path = "template_card.card_action";
    // [U] 42045 (card_action 缺失或不合法) for a missing card_action or a type other than 1/2.
    let action = card
        .card_action
        .as_ref()
        .ok_or_else(|| ErrorCode::missing_field(42045, path))?;
    match action.kind {
        None => Err(ErrorCode::missing_field(42045, &format!("{path}.type"))),
        Some(1 | 2) => check_click(&Click {
            path,
            kind: action.kind,
            url: action.url.as_deref(),
            appid: action.appid.as_deref(),
        }),
        Some(_) => Err(ErrorCode::invalid_field(
            42045,
            &format!("{path}.type"),
            "expect value in [1, 2]",
        )),
    }
}

/// Type 1 needs a url (42028), type 2 an appid (42030); 0/absent is not clickable.
fn check_click(click: &Click<'_>) -> Result<(), ErrorCode> {
    let present = |value: Option<&str>| value.is_some_and(|v| !v.is_empty());
    match click.kind.unwrap_or(0) {
        0 => Ok(()),
        // [U] 42028 / 42030 also for quote_area and image_text_area, which the catalogue omits.
        1 if !present(click.url) => Err(ErrorCode::missing_field(
            42028,
            &format!("{}.url", click.path),
        )),
        2 if !present(click.appid) => Err(ErrorCode::missing_field(
            42030,
            &format!("{}.appid", click.path),
        )),
        1 | 2 => Ok(()),
        // [U] 40058 for a click type outside 0..=2.
        _ => Err(ErrorCode::invalid_parameter(
            &format!("{}.type", click.path),
            "expect value in [0, 2]",
        )),
    }
}

fn check_news_blocks(card: &TemplateCard) -> Result<(), ErrorCode> {
    let image = card
        .card_image
        .as_ref()
        .filter(|image| image.url.as_deref().is_some_and(|url| !url.is_empty()));
    // [U] 42044 (card_image.url 缺失或不合法): card_image is required, per the webhook doc.
    let image =
        image.ok_or_else(|| ErrorCode::missing_field(42044, "template_card.card_image.url"))?;
    if let Some(ratio) = image.aspect_ratio
        && !(CARD_ASPECT_RATIO_MIN..=CARD_ASPECT_RATIO_MAX).contains(&ratio)
    {
        // [U] 40058 for an aspect_ratio outside [1.3, 2.25] (refused rather than clamped).
        return Err(ErrorCode::invalid_parameter(
            "template_card.card_image.aspect_ratio",
            "expect value in [1.3, 2.25]",
        ));
    }
    if let Some(area) = &card.image_text_area {
        let path = "template_card.image_text_area";
        check_click(&Click {
            path,
            kind: area.kind,
            url: area.url.as_deref(),
            appid: area.appid.as_deref(),
        })?;
        if area.image_url.as_deref().is_none_or(str::is_empty) {
            // [U] 40058 `missing field` for an image_text_area without image_url.
            return Err(ErrorCode::missing_field(
                40058,
                &format!("{path}.image_url"),
            ));
        }
    }
    let rows = card.vertical_content_list.as_deref().unwrap_or_default();
    let path = "template_card.vertical_content_list";
    if rows.len() > CARD_VERTICAL_CONTENT_MAX {
        // [U] 42036 (vertical_content_list 数组长度不合法) for more than 4 rows.
        return Err(ErrorCode::array_size(
            42036,
            path,
            0,
            CARD_VERTICAL_CONTENT_MAX,
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        if row.title.as_deref().is_none_or(str::is_empty) {
            // [U] 42033 (缺失 Title) for a vertical_content_list row without title.
            return Err(ErrorCode::missing_field(
                42033,
                &format!("{path}[{i}].title"),
            ));
        }
    }
    Ok(())
}

fn check_horizontal_list(card: &TemplateCard) -> Result<(), ErrorCode> {
    let rows = card.horizontal_content_list.as_deref().unwrap_or_default();
    let path = "template_card.horizontal_content_list";
    if rows.len() > CARD_HORIZONTAL_CONTENT_MAX {
        // [U] 42035 (horizontal_content_list 数组长度不合法) for more than 6 rows.
        return Err(ErrorCode::array_size(
            42035,
            path,
            0,
            CARD_HORIZONTAL_CONTENT_MAX,
        ));
    }
    let present = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.is_empty());
    for (i, row) in rows.iter().enumerate() {
        let row_path = format!("{path}[{i}]");
        if !present(&row.keyname) {
            // [U] 42027 (horizontal_content_list.keyname 字段缺失).
            return Err(ErrorCode::missing_field(
                42027,
                &format!("{row_path}.keyname"),
            ));
        }
        match row.kind.unwrap_or(0) {
            0 => {}
            // [U] 42028 (缺失 Url) for a type-1 row without url.
            1 if !present(&row.url) => {
                return Err(ErrorCode::missing_field(42028, &format!("{row_path}.url")));
            }
            // [U] 42029 (mediaid 字段缺失) for a type-2 row without media_id.
            2 if !present(&row.media_id) => {
                return Err(ErrorCode::missing_field(
                    42029,
                    &format!("{row_path}.media_id"),
                ));
            }
            // [U] 42050 (userid 缺失或不合法) for a type-3 row without userid.
            3 if !present(&row.userid) => {
                return Err(ErrorCode::missing_field(
                    42050,
                    &format!("{row_path}.userid"),
                ));
            }
            1..=3 => {}
            _ => {
                // [U] 40058 for a horizontal_content_list type outside 0..=3.
                return Err(ErrorCode::invalid_parameter(
                    &format!("{row_path}.type"),
                    "expect value in [0, 3]",
                ));
            }
        }
    }
    Ok(())
}

fn check_jump_list(card: &TemplateCard) -> Result<(), ErrorCode> {
    let jumps = card.jump_list.as_deref().unwrap_or_default();
    let path = "template_card.jump_list";
    if jumps.len() > CARD_JUMP_LIST_MAX {
        // [U] 42042 (jump_list 数组长度不合法) for more than 3 links.
        return Err(ErrorCode::array_size(42042, path, 0, CARD_JUMP_LIST_MAX));
    }
    for (i, jump) in jumps.iter().enumerate() {
        let jump_path = format!("{path}[{i}]");
        if jump.title.as_deref().is_none_or(str::is_empty) {
            // [U] 42033 (缺失 Title) for a jump without title.
            return Err(ErrorCode::missing_field(
                42033,
                &format!("{jump_path}.title"),
            ));
        }
        check_click(&Click {
            path: &jump_path,
            kind: jump.kind,
            url: jump.url.as_deref(),
            appid: jump.appid.as_deref(),
        })?;
    }
    Ok(())
}
