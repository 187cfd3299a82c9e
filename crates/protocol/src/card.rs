//! `template_card`: the two card types of the webhook (`text_notice` and `news_notice`), every
//! block and field of spec §3.
//!
//! Every field is optional here, even the required ones, so that a card missing one parses and
//! [`crate::validate`] can answer with the 42xxx code WeCom uses for that omission. Integer "type"
//! fields stay `i64` so an out-of-range value reaches validation instead of failing to parse. Every
//! block is a JSON object and nothing else (`object.rs`): `"source": []` is a type error.

use serde::{Deserialize, Serialize};

/// A template card. Which fields apply depends on `card_type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateCard {
    /// `"text_notice"` or `"news_notice"`.
    #[serde(default)]
    pub card_type: String,
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<CardSource>,
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub main_title: Option<MainTitle>,
    /// text_notice only: the big key figure.
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub emphasis_content: Option<EmphasisContent>,
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub quote_area: Option<QuoteArea>,
    /// text_notice only: the secondary text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_title_text: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::object::optional_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub horizontal_content_list: Option<Vec<HorizontalContent>>,
    #[serde(
        default,
        deserialize_with = "crate::object::optional_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub jump_list: Option<Vec<Jump>>,
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub card_action: Option<CardAction>,
    /// news_notice only: the big image.
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub card_image: Option<CardImage>,
    /// news_notice only: left image, right text.
    #[serde(
        default,
        deserialize_with = "crate::object::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub image_text_area: Option<ImageTextArea>,
    /// news_notice only: stacked title/description rows.
    #[serde(
        default,
        deserialize_with = "crate::object::optional_list",
        skip_serializing_if = "Option::is_none"
    )]
    pub vertical_content_list: Option<Vec<VerticalContent>>,
}

/// The two card types the webhook accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardType {
    TextNotice,
    NewsNotice,
}

impl CardType {
    /// Parses the wire value of `card_type`, case-sensitive.
    pub fn from_wire(name: &str) -> Option<CardType> {
        match name {
            "text_notice" => Some(CardType::TextNotice),
            "news_notice" => Some(CardType::NewsNotice),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            CardType::TextNotice => "text_notice",
            CardType::NewsNotice => "news_notice",
        }
    }
}

/// The source line at the top of a card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// 0 grey (default), 1 black, 2 red, 3 green.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc_color: Option<i64>,
}

/// The card's main title and its description.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MainTitle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
}

/// The big key-figure block of a text_notice card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmphasisContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
}

/// A quoted block, optionally clickable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QuoteArea {
    /// 0/absent no click, 1 URL, 2 mini-program.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_text: Option<String>,
}

/// One key/value row; the value may be a link, a file download or a member profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HorizontalContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// 0/absent plain text, 1 URL, 2 file (media_id), 3 member (userid).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
}

/// One link of the jump list at the bottom of a card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Jump {
    /// 0/absent not a link, 1 URL, 2 mini-program.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

/// What a click anywhere on the card does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardAction {
    /// 1 URL, 2 mini-program.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
}

/// The big image of a news_notice card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Width / height, in [1.3, 2.25]; 1.3 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<f64>,
}

/// The left-image/right-text block of a news_notice card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageTextArea {
    /// 0/absent no click, 1 URL, 2 mini-program.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// One title/description row of a news_notice card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerticalContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
}
