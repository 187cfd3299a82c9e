//! What people write (the inbox's composer, spec §8.1): text, a picture, or both mixed
//! (图文混排), shown as WeCom shows a member's message — text as written (no markdown, no
//! mention syntax), pictures from the server's own store.

use crate::picture::{Picture, slot};
use crate::{Output, Rendered};

/// A piece of a person's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonPart<'a> {
    /// Text, shown as written.
    Text(&'a str),
    /// A picture at a same-origin path of the server (anything else is not shown).
    Image(&'a str),
}

/// The HTML of a person's message: one `div.hp-msg.hp-msg-person` holding a `hp-bubble
/// hp-person` with the parts in order.
pub fn render_person(parts: &[PersonPart<'_>]) -> Rendered {
    let mut out = Output::default();
    out.raw("<div class=\"hp-msg hp-msg-person\"><div class=\"hp-bubble hp-person\">");
    for part in parts {
        match part {
            PersonPart::Text(text) => out.element("div", "hp-person-text", text),
            PersonPart::Image(url) => slot(
                &mut out,
                "div",
                "hp-image hp-person-image",
                &[],
                Picture::from_server(url),
                Some("hp-image-img"),
                "图片",
            ),
        }
    }
    out.raw("</div></div>");
    Rendered {
        html: out.html,
        lints: out.lints,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_pictures_come_from_the_server() {
        let rendered = render_person(&[
            PersonPart::Text("@RobotA <b>hi</b>"),
            PersonPart::Image("/api/v1/messages/7/image?n=0"),
        ]);
        assert!(
            rendered.html.contains("@RobotA &lt;b&gt;hi&lt;/b&gt;"),
            "{}",
            rendered.html
        );
        assert!(
            rendered
                .html
                .contains("src=\"/api/v1/messages/7/image?n=0\""),
            "{}",
            rendered.html
        );
        assert!(rendered.lints.is_empty());
    }

    #[test]
    fn a_picture_url_on_another_host_is_never_loaded_by_itself() {
        let rendered = render_person(&[PersonPart::Image("https://tracker.invalid/p.png")]);
        assert!(!rendered.html.contains(" src="), "{}", rendered.html);
        let rendered = render_person(&[PersonPart::Image("javascript:alert(1)")]);
        assert!(!rendered.html.contains("javascript"), "{}", rendered.html);
    }
}
