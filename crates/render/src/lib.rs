//! WeCom-faithful rendering of message-push messages to safe HTML, plus lints.
//!
//! [`render`] turns one accepted [`Message`] into the HTML fragment the web inbox shows in its
//! timeline (bubbles, cards, file rows, ...) and a list of [`Lint`]s: things a sender should know
//! about how WeCom displays the message (syntax the type does not support, content cut for
//! display, unknown mentions, recommended lengths exceeded).
//!
//! This crate does no IO and depends on nothing but `hookpit-protocol`, `pulldown-cmark`, `serde`
//! and `serde_json`. What it needs from the server (user names, uploaded media, the URL of an image) comes
//! in through [`Context`].
//!
//! # Safety
//!
//! The HTML is safe by construction, which is why no sanitizer crate is used: every element and
//! attribute is written by this crate from a fixed vocabulary, every piece of message text goes
//! through [`html::escape`], and no raw HTML from a message ever passes through (pulldown-cmark's
//! HTML events are escaped as text). Only `http`/`https` URLs become links or images (see
//! [`html::web_url`]), colours come only from fixed class names, and no `style` attribute is
//! ever emitted, so the inbox can run under a CSP without `'unsafe-inline'` and CSS injection has
//! nowhere to go.
//!
//! Safe also means private: no picture on another host gets a `src`, so showing a message never
//! fetches anything from the sender's servers (no tracking pixel learns when the inbox was opened).
//! Such a picture is written as `<img class="hp-remote-img" data-remote-src="URL">` (the URL
//! checked by [`html::web_url`] and escaped like any attribute) in a `hp-remote` placeholder that
//! keeps the slot's size; the inbox loads it when the reader asks. Only the server's own pictures,
//! same-origin paths from the [`Context`] (an `image` message, a mini-program cover), have a
//! `src`. See the `picture` module.
//!
//! # Layout
//! - [`context`]: [`Context`], [`ChatKind`], the two directory traits and in-memory directories.
//! - [`lint`]: [`Lint`] and the stable lint codes.
//! - [`html`]: escaping, URL checks and the small HTML writer every module uses.
//! - `picture`: every `<img>`: the server's own pictures, and remote ones that wait for the reader.
//! - `mention`, `text`, `markdown`, `markdown_v2`, `news`, `media`, `card`: one module per
//!   message family; `person`: what people write in the inbox ([`render_person`]).
//! - `request`: [`lint_request`], lints on the raw body for fields the typed message drops
//!   (`mentioned_list` on a markdown message). Callers show them after [`Rendered::lints`].
//! - `envelope`: [`lint_send`], lints on a valid request as a whole: `visible_to_user` and
//!   `post_id` that its `chatid` makes ineffective, the document's placeholder media ids.
//!
//! The CSS classes emitted here (all prefixed `hp-`) are documented at the top of
//! `crates/server/ui/render.css`.

pub mod context;
pub mod html;
pub mod lint;

mod card;
mod envelope;
mod markdown;
mod markdown_v2;
mod media;
mod mention;
mod news;
mod person;
mod picture;
mod request;
mod text;

use hookpit_protocol::Message;
use serde::Serialize;

pub use context::{
    ChatKind, Context, MediaDirectory, MediaInfo, MemoryMedia, MemoryUsers, NoMedia, NoUsers,
    UserDirectory,
};
pub use envelope::{PLACEHOLDER_MEDIA_IDS, lint_send};
pub use lint::Lint;
pub use person::{PersonPart, render_person};
pub use request::lint_request;

/// The HTML of one message and the lints found while rendering it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rendered {
    /// A fragment (one root `div.hp-msg`), safe to insert into the inbox as HTML.
    pub html: String,
    /// What a sender should know about how WeCom shows this message, in document order.
    pub lints: Vec<Lint>,
}

/// Renders `message` as a WeCom client would show it.
///
/// Never fails: content that WeCom would reject is rendered as well as it can be (the server only
/// stores accepted messages, but `hookpit lint` renders whatever it is given).
pub fn render(message: &Message, context: &Context<'_>) -> Rendered {
    let mut out = Output::default();
    let kind = message.msgtype().as_str();
    out.html.push_str("<div class=\"hp-msg hp-msg-");
    out.html.push_str(kind);
    out.html.push_str("\">");
    match message {
        Message::Text { text } => text::render(text, context, &mut out),
        Message::Markdown { markdown } => markdown::render(markdown, context, &mut out),
        Message::MarkdownV2 { markdown_v2 } => {
            markdown_v2::render(markdown_v2, context, &mut out);
        }
        Message::Image { .. } => media::render_image(context, &mut out),
        Message::News { news } => news::render(news, &mut out),
        Message::File { file } => media::render_file(file, context, &mut out),
        Message::Voice { voice } => media::render_voice(voice, context, &mut out),
        Message::TemplateCard { template_card } => card::render(template_card, context, &mut out),
        Message::Miniprogram { miniprogram } => {
            media::render_miniprogram(miniprogram, context, &mut out);
        }
    }
    out.html.push_str("</div>");
    Rendered {
        html: out.html,
        lints: out.lints,
    }
}

/// What the renderers write into: the HTML so far and the lints so far.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) html: String,
    pub(crate) lints: Vec<Lint>,
}

impl Output {
    /// Records a lint, once: the same code and message twice would only be noise beside a message.
    pub(crate) fn lint(&mut self, code: &'static str, message: impl Into<String>) {
        let lint = Lint {
            code,
            message: message.into(),
        };
        if !self.lints.contains(&lint) {
            self.lints.push(lint);
        }
    }

    /// Appends literal markup written by this crate (never message text).
    pub(crate) fn raw(&mut self, markup: &str) {
        self.html.push_str(markup);
    }

    /// Appends message text, escaped.
    pub(crate) fn text(&mut self, text: &str) {
        html::escape_into(text, &mut self.html);
    }

    /// Appends ` name="value"` with the value escaped.
    pub(crate) fn attr(&mut self, name: &str, value: &str) {
        self.html.push(' ');
        self.html.push_str(name);
        self.html.push_str("=\"");
        html::escape_into(value, &mut self.html);
        self.html.push('"');
    }

    /// Opens an element with a class: `<tag class="class"` (the caller closes the start tag).
    pub(crate) fn open(&mut self, tag: &str, class: &str) {
        self.html.push('<');
        self.html.push_str(tag);
        self.html.push_str(" class=\"");
        self.html.push_str(class);
        self.html.push('"');
    }

    /// `<tag class="class">text</tag>`, the text escaped.
    pub(crate) fn element(&mut self, tag: &str, class: &str, text: &str) {
        self.open(tag, class);
        self.html.push('>');
        self.text(text);
        self.close(tag);
    }

    /// `</tag>`.
    pub(crate) fn close(&mut self, tag: &str) {
        self.html.push_str("</");
        self.html.push_str(tag);
        self.html.push('>');
    }

    /// Opens `<a class=.. href=..>` for a URL that passed [`html::web_url`], with the attributes
    /// every outgoing link carries.
    pub(crate) fn open_link(&mut self, class: &str, url: &str) {
        self.open("a", class);
        self.attr("href", url);
        self.raw(" rel=\"noopener noreferrer\" target=\"_blank\">");
    }
}
