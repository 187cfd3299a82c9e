//! Pictures, and why most of them are written without a `src`.
//!
//! A picture on another host (a news `picurl`, a markdown_v2 `![](url)`, a template card's
//! icon and images) is fetched from that host by whoever's browser shows it, so a sender who
//! controls the host learns when, and from where, the inbox was opened: a tracking pixel. As a
//! careful mail client does with remote content, this crate therefore writes such a picture
//! without a `src`: `<img class="hp-remote-img" data-remote-src="URL">` inside its slot, marked
//! `hp-remote` and holding a "图片未加载 · 点击加载" note. The inbox loads it when the reader asks
//! (a click, or its setting), after checking the URL again. Only the server's own pictures (same-
//! origin paths: an `image` message's stored picture, a mini-program cover) get a `src`.

use crate::Output;
use crate::html::{server_url, web_url};

/// The note of a remote picture not loaded yet. Slots too small for the whole note show only
/// "点击加载" (render.css hides the first part visually, not from screen readers).
const REMOTE_NOTE: &str = "<span class=\"hp-remote-note\"><span class=\"hp-remote-what\">图片未加载 · \
                           </span>点击加载</span>";

/// Where a picture comes from: the only two kinds of picture URL this crate ever writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Picture<'a> {
    /// A same-origin path of the server's own: loaded at once, as a plain `<img src>`.
    Own(&'a str),
    /// An http(s) URL of another host: loaded only when the reader asks.
    Remote(&'a str),
}

impl<'a> Picture<'a> {
    /// A picture named by a message, if its URL is http(s) (see [`web_url`]): always remote.
    pub(crate) fn from_sender(url: &'a str) -> Option<Self> {
        web_url(url).map(Picture::Remote)
    }

    /// A picture the server gives through the context (see [`server_url`]). A path is the
    /// server's own; an absolute URL is treated as remote like any other, whoever it names: the
    /// server gives paths, and this keeps "no `src` but a same-origin path" true of all output.
    pub(crate) fn from_server(url: &'a str) -> Option<Self> {
        match web_url(url) {
            Some(url) => Some(Picture::Remote(url)),
            None => server_url(url).map(Picture::Own),
        }
    }
}

/// Writes the slot of a picture, `<tag class="class" name="value"…>`, holding `picture` (or
/// nothing), and closes it. The slot keeps its layout classes either way (sizes, aspect
/// ratios); a remote picture adds `hp-remote` to them and the note after the `<img>`.
/// `img_class` is the class of an own `<img>` (a remote one is `hp-remote-img`, then this).
pub(crate) fn slot(
    out: &mut Output,
    tag: &str,
    class: &str,
    attributes: &[(&str, &str)],
    picture: Option<Picture<'_>>,
    img_class: Option<&str>,
    alt: &str,
) {
    match picture {
        Some(Picture::Remote(_)) => out.open(tag, &format!("{class} hp-remote")),
        _ => out.open(tag, class),
    }
    for (name, value) in attributes {
        out.attr(name, value);
    }
    out.raw(">");
    match picture {
        Some(Picture::Own(url)) => {
            match img_class {
                Some(img_class) => out.open("img", img_class),
                None => out.raw("<img"),
            }
            out.attr("src", url);
            out.attr("alt", alt);
            out.raw(" loading=\"lazy\">");
        }
        Some(Picture::Remote(url)) => {
            match img_class {
                Some(img_class) => out.open("img", &format!("hp-remote-img {img_class}")),
                None => out.open("img", "hp-remote-img"),
            }
            out.attr("data-remote-src", url);
            out.attr("alt", alt);
            // The page's own policy is no-referrer already; this one travels with the element.
            out.raw(" referrerpolicy=\"no-referrer\">");
            out.raw(REMOTE_NOTE);
        }
        None => {}
    }
    out.close(tag);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(picture: Option<Picture<'_>>, img_class: Option<&str>) -> String {
        let mut out = Output::default();
        slot(&mut out, "span", "hp-x", &[], picture, img_class, "图");
        out.html
    }

    #[test]
    fn a_senders_picture_is_remote_and_a_servers_path_is_its_own() {
        assert_eq!(
            Picture::from_sender(" https://a.example/p.png "),
            Some(Picture::Remote("https://a.example/p.png"))
        );
        assert_eq!(Picture::from_sender("/api/v1/media/m"), None);
        assert_eq!(Picture::from_sender("javascript:alert(1)"), None);
        assert_eq!(
            Picture::from_server("/api/v1/messages/7/image"),
            Some(Picture::Own("/api/v1/messages/7/image"))
        );
        assert_eq!(
            Picture::from_server("https://cdn.example/p.png"),
            Some(Picture::Remote("https://cdn.example/p.png"))
        );
        assert_eq!(Picture::from_server("//evil.example/p.png"), None);
    }

    #[test]
    fn a_remote_picture_has_no_src_and_a_note_in_its_slot() {
        assert_eq!(
            written(
                Some(Picture::Remote("https://a.example/p.png?a=1&b=\"2\"")),
                None
            ),
            "<span class=\"hp-x hp-remote\"><img class=\"hp-remote-img\" \
             data-remote-src=\"https://a.example/p.png?a=1&amp;b=&quot;2&quot;\" alt=\"图\" \
             referrerpolicy=\"no-referrer\"><span class=\"hp-remote-note\"><span \
             class=\"hp-remote-what\">图片未加载 · </span>点击加载</span></span>"
        );
    }

    #[test]
    fn an_own_picture_is_a_plain_img() {
        assert_eq!(
            written(Some(Picture::Own("/api/v1/media/m")), Some("hp-y")),
            "<span class=\"hp-x\"><img class=\"hp-y\" src=\"/api/v1/media/m\" alt=\"图\" \
             loading=\"lazy\"></span>"
        );
        assert_eq!(written(None, None), "<span class=\"hp-x\"></span>");
    }
}
