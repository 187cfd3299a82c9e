//! Typed builders for the nine message types, with the envelope fields every type shares.
//!
//! Each constructor ([`text`], [`markdown`], [`markdown_v2`], [`image`], [`news`], [`file()`],
//! [`voice`], [`template_card`], [`miniprogram`]) returns a [`Draft`]: the message body plus its
//! [`Envelope`] (`chatid`, `visible_to_user`, `post_id`), both in `draft.rs`. A draft converts
//! into the wire type [`SendRequest`](hookpit_protocol::SendRequest), which is what
//! [`Webhook::send`](crate::Webhook::send) takes.
//!
//! Builders never check limits: [`Webhook::send`](crate::Webhook::send) validates the finished
//! request with the server's own rules ([`hookpit_protocol::parse_send`]).

mod card;
mod draft;

use std::path::Path;

use hookpit_protocol::message::{
    Action, Article, Attachment, Image, Markdown, MarkdownV2, MediaRef, Miniprogram, News, Text,
};

use crate::error::Error;
pub use card::{news_notice, template_card, text_notice};
pub use draft::{Body, Draft, Envelope, FileBody, VoiceBody};

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
        match attachments
            .iter_mut()
            .find(|a| a.callback_id == callback_id)
        {
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

#[cfg(test)]
mod tests {
    use super::*;
    use hookpit_protocol::SendRequest;

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
