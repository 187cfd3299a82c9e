//! `template_card`: the `text_notice` and `news_notice` cards, every block in WeCom's order.
//!
//! `text_notice`: source, main title, emphasis, quote, sub-title, horizontal list, jump list.
//! `news_notice`: source, main title, card image, image-text area, quote, vertical list,
//! horizontal list, jump list. `card_action` makes the whole card a link: an empty anchor
//! stretched over the card by render.css, under the card's own links (nesting `<a>` elements is
//! not allowed in HTML). Blocks that the card type does not show are linted and left out, and
//! texts over the spec's recommended length ("建议不超过 N 个字", characters) are linted and left
//! to the stylesheet to clip.

mod block;

use hookpit_protocol::card::{CardType, TemplateCard};

use crate::Output;
use crate::context::Context;
use crate::lint::code;

pub(crate) fn render(card: &TemplateCard, context: &Context<'_>, out: &mut Output) {
    let card_type = CardType::from_wire(&card.card_type).unwrap_or_else(|| {
        out.lint(
            code::CARD_TYPE_UNKNOWN,
            format!(
                "card_type {:?} is neither text_notice nor news_notice: shown as a text_notice",
                card.card_type
            ),
        );
        CardType::TextNotice
    });
    lint_ignored_blocks(card, card_type, out);
    out.raw(match card_type {
        CardType::TextNotice => "<div class=\"hp-card hp-card-text-notice\">",
        CardType::NewsNotice => "<div class=\"hp-card hp-card-news-notice\">",
    });
    if let Some(action) = &card.card_action {
        block::card_action(action, out);
    }
    if let Some(source) = &card.source {
        block::source(source, out);
    }
    if let Some(title) = &card.main_title {
        block::main_title(title, out);
    }
    match card_type {
        CardType::TextNotice => {
            if let Some(emphasis) = &card.emphasis_content {
                block::emphasis(emphasis, out);
            }
            if let Some(quote) = &card.quote_area {
                block::quote(quote, out);
            }
            if let Some(sub_title) = &card.sub_title_text {
                block::sub_title(sub_title, out);
            }
        }
        CardType::NewsNotice => {
            if let Some(image) = &card.card_image {
                block::card_image(image, out);
            }
            if let Some(area) = &card.image_text_area {
                block::image_text(area, out);
            }
            if let Some(quote) = &card.quote_area {
                block::quote(quote, out);
            }
            if let Some(rows) = &card.vertical_content_list {
                block::vertical_list(rows, out);
            }
        }
    }
    if let Some(rows) = &card.horizontal_content_list {
        block::horizontal_list(rows, context, out);
    }
    if let Some(jumps) = &card.jump_list {
        block::jump_list(jumps, out);
    }
    out.raw("</div>");
}

/// Lints the blocks of the other card type (spec §3.2, §3.3: WeCom does not show them).
fn lint_ignored_blocks(card: &TemplateCard, card_type: CardType, out: &mut Output) {
    let foreign: &[(&str, bool)] = match card_type {
        CardType::TextNotice => &[
            ("card_image", card.card_image.is_some()),
            ("image_text_area", card.image_text_area.is_some()),
            (
                "vertical_content_list",
                card.vertical_content_list.is_some(),
            ),
        ],
        CardType::NewsNotice => &[
            ("emphasis_content", card.emphasis_content.is_some()),
            ("sub_title_text", card.sub_title_text.is_some()),
        ],
    };
    for (field, present) in foreign {
        if *present {
            out.lint(
                code::CARD_FIELD_IGNORED,
                format!(
                    "{field} is not part of a {} card: WeCom does not show it",
                    card_type.as_str()
                ),
            );
        }
    }
}

/// Lints `text` when it has more characters than the spec recommends for `field`.
pub(crate) fn lint_length(field: &str, text: &str, recommended: usize, out: &mut Output) {
    let length = text.chars().count();
    if length > recommended {
        out.lint(
            code::CARD_TEXT_TOO_LONG,
            format!(
                "{field} has {length} characters; WeCom recommends at most {recommended} and may \
                 cut the rest"
            ),
        );
    }
}
