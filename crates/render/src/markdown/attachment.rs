//! Markdown `attachments`: rows of buttons under the text.
//!
//! A click replaces the buttons by the button's `replace_text` in WeCom. The inbox does that in
//! its own script (no inline script under the CSP), reading `data-replace-text`; the group carries
//! `data-attachment` so the script can find what to replace. Button colours are passed as
//! normalised `#rrggbb` data attributes for the script to apply through `element.style`, since a
//! `style` attribute would need `'unsafe-inline'`.

use hookpit_protocol::message::{Action, Attachment};

use crate::Output;
use crate::html::hex_colour;
use crate::lint::code;

pub(crate) fn render(attachments: &[Attachment], out: &mut Output) {
    for attachment in attachments {
        out.open("div", "hp-attachment");
        out.raw(" data-attachment");
        out.attr("data-callback-id", &attachment.callback_id);
        out.raw(">");
        for action in &attachment.actions {
            button(action, out);
        }
        out.raw("</div>");
    }
}

fn button(action: &Action, out: &mut Output) {
    out.raw("<button type=\"button\" class=\"hp-button\"");
    out.attr("data-name", &action.name);
    out.attr("data-value", &action.value);
    out.attr("data-replace-text", &action.replace_text);
    for (attribute, field, colour) in [
        ("data-border-color", "border_color", &action.border_color),
        ("data-text-color", "text_color", &action.text_color),
    ] {
        let Some(colour) = colour else { continue };
        match hex_colour(colour) {
            Some(hex) => out.attr(attribute, &hex),
            None => out.lint(
                code::BUTTON_COLOUR,
                format!(
                    "button {:?}: {field} {colour:?} is not a hex colour such as #2EAB49; the \
                     default colour is used",
                    action.name
                ),
            ),
        }
    }
    out.raw(">");
    out.text(&action.text);
    out.raw("</button>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(text: &str, colour: &str) -> Action {
        Action {
            name: "button_1".into(),
            text: text.into(),
            kind: "button".into(),
            value: "S".into(),
            replace_text: "你已选择S".into(),
            border_color: Some(colour.into()),
            text_color: None,
        }
    }

    #[test]
    fn a_button_carries_its_replace_text_and_colour_as_data() {
        let mut out = Output::default();
        render(
            &[Attachment {
                callback_id: "button_two_row".into(),
                actions: vec![action("S", "#2EAB49")],
            }],
            &mut out,
        );
        assert_eq!(
            out.html,
            "<div class=\"hp-attachment\" data-attachment data-callback-id=\"button_two_row\">\
             <button type=\"button\" class=\"hp-button\" data-name=\"button_1\" data-value=\"S\" \
             data-replace-text=\"你已选择S\" data-border-color=\"#2eab49\">S</button></div>"
        );
        assert!(out.lints.is_empty());
    }

    #[test]
    fn a_css_colour_is_refused_with_a_lint() {
        let mut out = Output::default();
        button(
            &action("<b>S</b>", "red;background:url(javascript:x)"),
            &mut out,
        );
        assert!(!out.html.contains("data-border-color"));
        assert!(out.html.contains("&lt;b&gt;S&lt;/b&gt;"));
        assert_eq!(out.lints[0].code, code::BUTTON_COLOUR);
    }
}
