//! Typed builders for the nine message types, with the envelope fields every type shares.
//!
//! Each constructor ([`text`], [`markdown`], [`markdown_v2`], [`image`], [`news`], [`file`],
//! [`voice`], [`template_card`], [`miniprogram`]) returns a [`Draft`]: the message body plus its
//! [`Envelope`] (`chatid`, `visible_to_user`, `post_id`). A draft converts into the wire type
//! [`SendRequest`], which is what [`Webhook::send`](crate::Webhook::send) takes.
//!
//! Builders never check limits: [`Webhook::send`](crate::Webhook::send) validates the finished
//! request with the server's own rules ([`hookpit_protocol::parse_send`]).

use std::path::Path;

use hookpit_protocol::card::{
    CardAction, CardImage, CardSource, EmphasisContent, HorizontalContent, ImageTextArea, Jump,
    MainTitle, QuoteArea, VerticalContent,
};
use hookpit_protocol::message::{
    Action, Article, Attachment, Image, Markdown, MarkdownV2, MediaRef, Miniprogram, News, Text,
};
use hookpit_protocol::{Message, SendRequest, TemplateCard};

use crate::error::Error;

/// Where a message goes and who sees it: the fields of the request beside `msgtype`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    chatid: Vec<String>,
    visible_to_user: Vec<String>,
    post_id: Option<String>,
}

impl Envelope {
    /// No envelope fields: WeCom sends the message to `@all_group` (the bot's group).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a target: a chat id from a callback, a userid, or `@all_group`, `@all_blackboard`,
    /// `@all`. Call it again for more targets (WeCom takes up to 100, joined by `|`).
    pub fn chatid(mut self, id: impl Into<String>) -> Self {
        self.chatid.push(id.into());
        self
    }

    /// Makes the message visible only to this member (repeatable). WeCom applies it only when
    /// the message goes to exactly one group or blackboard.
    pub fn visible_to(mut self, userid: impl Into<String>) -> Self {
        self.visible_to_user.push(userid.into());
        self
    }

    /// Replies to a blackboard post. WeCom applies it only when the message goes to exactly one
    /// blackboard, for text, markdown and image.
    pub fn post_id(mut self, post_id: impl Into<String>) -> Self {
        self.post_id = Some(post_id.into());
        self
    }

    /// The request carrying `message` in this envelope.
    pub fn wrap(&self, message: impl Into<Message>) -> SendRequest {
        SendRequest {
            chatid: join(&self.chatid),
            post_id: self.post_id.clone(),
            visible_to_user: join(&self.visible_to_user),
            message: message.into(),
        }
    }
}

fn join(ids: &[String]) -> Option<String> {
    (!ids.is_empty()).then(|| ids.join("|"))
}

/// A message body that a [`Draft`] can carry.
pub trait Body {
    /// The body as a [`Message`], tagged with its `msgtype`.
    fn into_message(self) -> Message;
}

macro_rules! body_via_from {
    ($($body:ty),*) => {
        $(impl Body for $body {
            fn into_message(self) -> Message {
                Message::from(self)
            }
        })*
    };
}

body_via_from!(Text, Markdown, MarkdownV2, Image, News, TemplateCard, Miniprogram);

/// The body of a `file` message: a media id from [`Webhook::upload_media`](crate::Webhook::upload_media).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileBody(pub MediaRef);

/// The body of a `voice` message: a media id of an AMR upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceBody(pub MediaRef);

impl Body for FileBody {
    fn into_message(self) -> Message {
        Message::File { file: self.0 }
    }
}

impl Body for VoiceBody {
    fn into_message(self) -> Message {
        Message::Voice { voice: self.0 }
    }
}

/// A message being built: its body and its [`Envelope`].
#[derive(Debug, Clone, PartialEq)]
pub struct Draft<B> {
    body: B,
    envelope: Envelope,
}

impl<B: Body> Draft<B> {
    /// A draft of `body` with no envelope fields.
    pub fn new(body: B) -> Self {
        Draft {
            body,
            envelope: Envelope::new(),
        }
    }

    /// Adds a target (repeatable); see [`Envelope::chatid`].
    pub fn chatid(mut self, id: impl Into<String>) -> Self {
        self.envelope = self.envelope.chatid(id);
        self
    }

    /// Restricts who sees the message (repeatable); see [`Envelope::visible_to`].
    pub fn visible_to(mut self, userid: impl Into<String>) -> Self {
        self.envelope = self.envelope.visible_to(userid);
        self
    }

    /// Replies to a blackboard post; see [`Envelope::post_id`].
    pub fn post_id(mut self, post_id: impl Into<String>) -> Self {
        self.envelope = self.envelope.post_id(post_id);
        self
    }

    /// Replaces the whole envelope.
    pub fn envelope(mut self, envelope: Envelope) -> Self {
        self.envelope = envelope;
        self
    }

    /// The body built so far.
    pub fn body(&self) -> &B {
        &self.body
    }

    /// The finished wire request.
    pub fn into_request(self) -> SendRequest {
        self.envelope.wrap(self.body.into_message())
    }
}

impl<B: Body> From<Draft<B>> for SendRequest {
    fn from(draft: Draft<B>) -> SendRequest {
        draft.into_request()
    }
}

/// A `text` message (at most 5120 bytes; WeCom displays the first 2048).
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::text("build #42 failed")
///     .mention("zhangsan")
///     .mention_mobile("13800001111")
///     .chatid("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw")
///     .visible_to("zhangsan")
///     .into_request();
/// assert_eq!(request.chatid.as_deref(), Some("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw"));
/// ```
pub fn text(content: impl Into<String>) -> Draft<Text> {
    Draft::new(Text {
        content: content.into(),
        ..Text::default()
    })
}

impl Draft<Text> {
    /// @-mentions a member by userid (`"@all"` mentions everyone).
    pub fn mention(mut self, userid: impl Into<String>) -> Self {
        push(&mut self.body.mentioned_list, userid.into());
        self
    }

    /// @-mentions a member by mobile number (`"@all"` mentions everyone).
    pub fn mention_mobile(mut self, mobile: impl Into<String>) -> Self {
        push(&mut self.body.mentioned_mobile_list, mobile.into());
        self
    }
}

fn push(list: &mut Option<Vec<String>>, item: String) {
    list.get_or_insert_with(Vec::new).push(item);
}

/// A `markdown` message: WeCom's small markdown (bold, links, quotes, `<font color>`,
/// `<@userid>` mentions), at most 4096 bytes.
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::markdown("**deploy** <font color=\"info\">done</font> <@zhangsan>")
///     .at_short_name(true)
///     .button("deploy", "rollback", "Roll back", "rollback", "Rolling back…")
///     .into_request();
/// assert_eq!(request.message.msgtype().as_str(), "markdown");
/// ```
pub fn markdown(content: impl Into<String>) -> Draft<Markdown> {
    Draft::new(Markdown {
        content: content.into(),
        ..Markdown::default()
    })
}

impl Draft<Markdown> {
    /// Shows `<@userid>` mentions by short name.
    pub fn at_short_name(mut self, on: bool) -> Self {
        self.body.at_short_name = Some(on);
        self
    }

    /// Adds a whole attachment (a group of buttons).
    pub fn attachment(mut self, attachment: Attachment) -> Self {
        self.body
            .attachments
            .get_or_insert_with(Vec::new)
            .push(attachment);
        self
    }

    /// Adds a button to the attachment with this `callback_id`, creating it if needed.
    pub fn button(
        mut self,
        callback_id: &str,
        name: impl Into<String>,
        text: impl Into<String>,
        value: impl Into<String>,
        replace_text: impl Into<String>,
    ) -> Self {
        let action = Action {
            name: name.into(),
            text: text.into(),
            kind: "button".to_owned(),
            value: value.into(),
            replace_text: replace_text.into(),
            border_color: None,
            text_color: None,
        };
        let attachments = self.body.attachments.get_or_insert_with(Vec::new);
        match attachments.iter_mut().find(|a| a.callback_id == callback_id) {
            Some(attachment) => attachment.actions.push(action),
            None => attachments.push(Attachment {
                callback_id: callback_id.to_owned(),
                actions: vec![action],
            }),
        }
        self
    }
}

/// A `markdown_v2` message: tables, lists, code blocks, images; no colours and no mentions;
/// at most 4096 bytes.
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::markdown_v2("| host | load |\n|---|---|\n| web-1 | 0.7 |\n")
///     .chatid("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw")
///     .into_request();
/// assert_eq!(request.message.msgtype().as_str(), "markdown_v2");
/// ```
pub fn markdown_v2(content: impl Into<String>) -> Draft<MarkdownV2> {
    Draft::new(MarkdownV2 {
        content: content.into(),
    })
}

/// An `image` message from the picture's bytes (JPG or PNG, at most 2 MB); the base64 and md5
/// are computed here.
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let png = b"\x89PNG\r\n\x1a\n...";
/// let draft = message::image(png);
/// assert_eq!(draft.body().md5.len(), 32);
/// ```
pub fn image(picture: &[u8]) -> Draft<Image> {
    Draft::new(hookpit_protocol::validate::image_body(picture))
}

/// An `image` message from a picture file.
///
/// # Errors
/// [`Error::Read`] when the file cannot be read.
///
/// # Examples
/// ```no_run
/// use hookpit_client::message;
///
/// let draft = message::image_file("chart.png")?;
/// # Ok::<(), hookpit_client::Error>(())
/// ```
pub fn image_file(path: impl AsRef<Path>) -> Result<Draft<Image>, Error> {
    let path = path.as_ref();
    let picture = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(image(&picture))
}

/// A `news` message; add one to eight articles with [`Draft::article`].
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::news()
///     .article("中秋节礼品领取", "https://example.com/gifts")
///     .description("今年中秋节公司有豪礼相送")
///     .picurl("https://example.com/moon.png")
///     .article("Second story", "https://example.com/2")
///     .into_request();
/// ```
pub fn news() -> Draft<News> {
    Draft::new(News::default())
}

impl Draft<News> {
    /// Adds an article with its title (≤ 128 bytes, longer is cut) and click URL.
    pub fn article(mut self, title: impl Into<String>, url: impl Into<String>) -> Self {
        self.body.articles.push(Article {
            title: title.into(),
            url: url.into(),
            description: None,
            picurl: None,
        });
        self
    }

    /// Adds a whole article.
    pub fn push_article(mut self, article: Article) -> Self {
        self.body.articles.push(article);
        self
    }

    /// Sets the description (≤ 512 bytes, longer is cut) of the last article added.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        if let Some(article) = self.body.articles.last_mut() {
            article.description = Some(description.into());
        }
        self
    }

    /// Sets the picture URL of the last article added.
    pub fn picurl(mut self, picurl: impl Into<String>) -> Self {
        if let Some(article) = self.body.articles.last_mut() {
            article.picurl = Some(picurl.into());
        }
        self
    }
}

/// A `file` message for a media id from [`Webhook::upload_media`](crate::Webhook::upload_media)
/// (or use [`Webhook::send_file`](crate::Webhook::send_file) to do both).
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::file("3a8asd892asd8asd").chatid("wrkSFfCgAAtMQKg4xqDatM5C9IDHFpTw");
/// ```
pub fn file(media_id: impl Into<String>) -> Draft<FileBody> {
    Draft::new(FileBody(MediaRef {
        media_id: media_id.into(),
    }))
}

/// A `voice` message for the media id of an AMR upload
/// (or use [`Webhook::send_voice`](crate::Webhook::send_voice) to do both).
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::voice("MEDIA_ID").into_request();
/// assert_eq!(request.message.msgtype().as_str(), "voice");
/// ```
pub fn voice(media_id: impl Into<String>) -> Draft<VoiceBody> {
    Draft::new(VoiceBody(MediaRef {
        media_id: media_id.into(),
    }))
}

/// A `miniprogram` card (WeCom's internal document only); `pic_media_id` is an `image` upload.
///
/// # Examples
/// ```
/// use hookpit_client::message;
///
/// let request = message::miniprogram("Order #12", "PIC_MEDIA_ID", "wx8bd80126147dfAAA", "/index.html");
/// ```
pub fn miniprogram(
    title: impl Into<String>,
    pic_media_id: impl Into<String>,
    appid: impl Into<String>,
    page: impl Into<String>,
) -> Draft<Miniprogram> {
    Draft::new(Miniprogram {
        title: title.into(),
        pic_media_id: pic_media_id.into(),
        appid: appid.into(),
        page: page.into(),
    })
}

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
    pub fn action_miniprogram(mut self, appid: impl Into<String>, pagepath: impl Into<String>) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_fields_are_joined_with_bars() {
        let request = text("hi")
            .chatid("a")
            .chatid("b")
            .visible_to("u1")
            .visible_to("u2")
            .post_id("p")
            .into_request();
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"chatid": "a|b", "visible_to_user": "u1|u2", "post_id": "p",
                "msgtype": "text", "text": {"content": "hi"}})
        );
    }

    #[test]
    fn every_builder_produces_a_request_the_server_rules_accept() {
        let requests: Vec<SendRequest> = vec![
            text("hi").mention("@all").into(),
            markdown("**x**").button("c", "n", "t", "v", "r").into(),
            markdown_v2("# x").into(),
            image(b"\x89PNG\r\n\x1a\nxxxx").into(),
            news().article("t", "https://e.com").description("d").into(),
            file("m").into(),
            voice("m").into(),
            text_notice("t").action_url("https://e.com").into(),
            news_notice("t", "https://e.com/i.png")
                .action_url("https://e.com")
                .into(),
            miniprogram("t", "p", "wx1", "/p").into(),
        ];
        for request in requests {
            let body = serde_json::to_vec(&request).unwrap();
            let valid = hookpit_protocol::parse_send(&body)
                .unwrap_or_else(|error| panic!("{error} for {request:?}"));
            assert_eq!(valid.request.message.msgtype(), request.message.msgtype());
        }
    }
}
