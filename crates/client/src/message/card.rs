//! Builders for `template_card` messages: a whole card, or a `text_notice` / `news_notice`
//! built field by field.

use hookpit_protocol::TemplateCard;
use hookpit_protocol::card::{
    CardAction, CardImage, CardSource, EmphasisContent, HorizontalContent, ImageTextArea, Jump,
    MainTitle, QuoteArea, VerticalContent,
};

use super::Draft;

/// A `template_card` message from a whole card, e.g. one read from JSON.
///
/// Start from [`text_notice`] or [`news_notice`] to build one field by field.
///
/// # Examples
/// ```
/// use hookpit_client::message;
/// use hookpit_protocol::TemplateCard;
///
/// let card: TemplateCard = serde_json::from_str(r#"{"card_type":"text_notice",
///     "main_title":{"title":"Alert"},"card_action":{"type":1,"url":"https://example.com"}}"#)?;
/// let request = message::template_card(card).into_request();
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn template_card(card: TemplateCard) -> Draft<TemplateCard> {
    Draft::new(card)
}

/// A `text_notice` template card with its main title; it still needs a card action
/// ([`Draft::action_url`]).
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::text_notice("CPU over 90%")
///     .source("monitor")
///     .emphasis("97%", "web-1 load")
///     .sub_title("since 10:02 UTC")
///     .field("host", "web-1")
///     .field_link("dashboard", "open", "https://grafana.example.com/d/1")
///     .jump("Runbook", "https://wiki.example.com/cpu")
///     .action_url("https://grafana.example.com/d/1")
///     .into_request();
/// ```
pub fn text_notice(title: impl Into<String>) -> Draft<TemplateCard> {
    Draft::new(TemplateCard {
        card_type: "text_notice".to_owned(),
        main_title: Some(MainTitle {
            title: Some(title.into()),
            desc: None,
        }),
        ..TemplateCard::default()
    })
}

/// A `news_notice` template card with its main title and big image; it still needs a card
/// action ([`Draft::action_url`]).
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::news_notice("Release 2.0", "https://example.com/banner.png")
///     .image_aspect_ratio(2.25)
///     .row("What's new", "Faster builds")
///     .action_url("https://example.com/release")
///     .into_request();
/// ```
pub fn news_notice(title: impl Into<String>, image_url: impl Into<String>) -> Draft<TemplateCard> {
    Draft::new(TemplateCard {
        card_type: "news_notice".to_owned(),
        main_title: Some(MainTitle {
            title: Some(title.into()),
            desc: None,
        }),
        card_image: Some(CardImage {
            url: Some(image_url.into()),
            aspect_ratio: None,
        }),
        ..TemplateCard::default()
    })
}

impl Draft<TemplateCard> {
    /// The source line at the top of the card.
    pub fn source(mut self, desc: impl Into<String>) -> Self {
        let source = self.body.source.get_or_insert_with(CardSource::default);
        source.desc = Some(desc.into());
        self
    }

    /// The description under the main title.
    pub fn title_desc(mut self, desc: impl Into<String>) -> Self {
        let title = self.body.main_title.get_or_insert_with(MainTitle::default);
        title.desc = Some(desc.into());
        self
    }

    /// The big key figure of a text_notice card.
    pub fn emphasis(mut self, title: impl Into<String>, desc: impl Into<String>) -> Self {
        self.body.emphasis_content = Some(EmphasisContent {
            title: Some(title.into()),
            desc: Some(desc.into()),
        });
        self
    }

    /// The secondary text of a text_notice card.
    pub fn sub_title(mut self, text: impl Into<String>) -> Self {
        self.body.sub_title_text = Some(text.into());
        self
    }

    /// A quoted block (no click action).
    pub fn quote(mut self, quote_text: impl Into<String>) -> Self {
        let quote = self.body.quote_area.get_or_insert_with(QuoteArea::default);
        quote.quote_text = Some(quote_text.into());
        self
    }

    /// A plain key/value row (at most 6 rows).
    pub fn field(self, keyname: impl Into<String>, value: impl Into<String>) -> Self {
        self.horizontal(HorizontalContent {
            keyname: Some(keyname.into()),
            value: Some(value.into()),
            ..HorizontalContent::default()
        })
    }

    /// A key/value row whose value links to `url`.
    pub fn field_link(
        self,
        keyname: impl Into<String>,
        value: impl Into<String>,
        url: impl Into<String>,
    ) -> Self {
        self.horizontal(HorizontalContent {
            keyname: Some(keyname.into()),
            value: Some(value.into()),
            kind: Some(1),
            url: Some(url.into()),
            ..HorizontalContent::default()
        })
    }

    /// A key/value row that downloads an uploaded file; `filename` is shown as the value.
    pub fn field_file(
        self,
        keyname: impl Into<String>,
        filename: impl Into<String>,
        media_id: impl Into<String>,
    ) -> Self {
        self.horizontal(HorizontalContent {
            keyname: Some(keyname.into()),
            value: Some(filename.into()),
            kind: Some(2),
            media_id: Some(media_id.into()),
            ..HorizontalContent::default()
        })
    }

    /// Adds any row of the horizontal content list.
    pub fn horizontal(mut self, row: HorizontalContent) -> Self {
        self.body
            .horizontal_content_list
            .get_or_insert_with(Vec::new)
            .push(row);
        self
    }

    /// A link at the bottom of the card (at most 3).
    pub fn jump(mut self, title: impl Into<String>, url: impl Into<String>) -> Self {
        self.body.jump_list.get_or_insert_with(Vec::new).push(Jump {
            kind: Some(1),
            title: Some(title.into()),
            url: Some(url.into()),
            ..Jump::default()
        });
        self
    }

    /// What a click on the card opens (required by WeCom).
    pub fn action_url(mut self, url: impl Into<String>) -> Self {
        self.body.card_action = Some(CardAction {
            kind: Some(1),
            url: Some(url.into()),
            ..CardAction::default()
        });
        self
    }

    /// A click on the card opens a mini-program page.
    pub fn action_miniprogram(
        mut self,
        appid: impl Into<String>,
        pagepath: impl Into<String>,
    ) -> Self {
        self.body.card_action = Some(CardAction {
            kind: Some(2),
            appid: Some(appid.into()),
            pagepath: Some(pagepath.into()),
            url: None,
        });
        self
    }

    /// The width/height ratio of a news_notice card's big image, in [1.3, 2.25].
    pub fn image_aspect_ratio(mut self, ratio: f64) -> Self {
        let image = self.body.card_image.get_or_insert_with(CardImage::default);
        image.aspect_ratio = Some(ratio);
        self
    }

    /// The left-image, right-text block of a news_notice card.
    pub fn image_text(
        mut self,
        image_url: impl Into<String>,
        title: impl Into<String>,
        desc: impl Into<String>,
    ) -> Self {
        self.body.image_text_area = Some(ImageTextArea {
            image_url: Some(image_url.into()),
            title: Some(title.into()),
            desc: Some(desc.into()),
            ..ImageTextArea::default()
        });
        self
    }

    /// A title/description row of a news_notice card (at most 4).
    pub fn row(mut self, title: impl Into<String>, desc: impl Into<String>) -> Self {
        self.body
            .vertical_content_list
            .get_or_insert_with(Vec::new)
            .push(VerticalContent {
                title: Some(title.into()),
                desc: Some(desc.into()),
            });
        self
    }
}
