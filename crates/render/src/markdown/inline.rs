//! The inline half of markdown (v1): `**bold**`, `[text](url)`, `` `code` ``,
//! `<font color="info|comment|warning">` and `<@userid>`; everything else is literal text.
//!
//! Written by hand rather than with pulldown-cmark, which would accept far more than WeCom does.
//! Bold and font spans are tracked on a stack so that the HTML stays well nested even when the
//! message's tags are not (`**a<font color="info">b**c</font>`): closing an outer span closes and
//! reopens the ones inside it. A `<font>` left open at the end of a line carries over to the next
//! line, because senders do colour several lines with one tag. Only the innermost colour of the
//! fonts carried over is reopened there (it is the one the text shows); an outer one is opened
//! when a `</font>` uncovers it. Reopening every carried font on every line would make the HTML
//! grow with fonts × lines: 120 unclosed fonts over 2000 lines, 4 KB of markdown, were 8 MB.

use crate::context::Context;
use crate::html::web_url;
use crate::lint::code;
use crate::{Output, mention};

/// One of WeCom's three markdown colours ("字体颜色(只支持3种内置颜色)").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Colour {
    /// Green.
    Info,
    /// Grey.
    Comment,
    /// Orange-red.
    Warning,
}

impl Colour {
    fn from_name(name: &str) -> Option<Colour> {
        match name {
            "info" => Some(Colour::Info),
            "comment" => Some(Colour::Comment),
            "warning" => Some(Colour::Warning),
            _ => None,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Colour::Info => "hp-font-info",
            Colour::Comment => "hp-font-comment",
            Colour::Warning => "hp-font-warning",
        }
    }
}

/// A span open at some point of a line. A font with an unsupported colour is tracked (its
/// `</font>` must match it) but writes no element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Bold,
    Font(Option<Colour>),
}

impl Open {
    fn write_open(self, out: &mut Output) {
        match self {
            Open::Bold => out.raw("<strong>"),
            Open::Font(Some(colour)) => {
                out.open("span", colour.class());
                out.raw(">");
            }
            Open::Font(None) => {}
        }
    }

    fn write_close(self, out: &mut Output) {
        match self {
            Open::Bold => out.raw("</strong>"),
            Open::Font(Some(_)) => out.raw("</span>"),
            Open::Font(None) => {}
        }
    }
}

/// A span on the stack of a line, and whether its element is open in the line's HTML (a font
/// carried over from an earlier line is not, until it is the colour the text shows).
#[derive(Debug, Clone, Copy)]
struct Span {
    open: Open,
    written: bool,
}

impl Span {
    /// A span opened on this line: its element is written at once.
    fn new(open: Open, out: &mut Output) -> Span {
        open.write_open(out);
        Span {
            open,
            written: true,
        }
    }

    fn close(self, out: &mut Output) {
        if self.written {
            self.open.write_close(out);
        }
    }

    fn reopen(self, out: &mut Output) {
        if self.written {
            self.open.write_open(out);
        }
    }
}

/// Fonts still open at the end of a line, carried to the next one.
pub(crate) type OpenFonts = Vec<Option<Colour>>;

/// Writes one line of inline markdown. `fonts` holds the fonts open before the line and, on
/// return, those open after it.
pub(crate) fn write_line(
    line: &str,
    fonts: &mut OpenFonts,
    context: &Context<'_>,
    out: &mut Output,
) {
    let mut stack: Vec<Span> = fonts
        .iter()
        .map(|&colour| Span {
            open: Open::Font(colour),
            written: false,
        })
        .collect();
    show_colour(&mut stack, out);
    let mut rest = line;
    while let Some(at) = rest.find(['`', '*', '[', '<']) {
        out.text(&rest[..at]);
        rest = &rest[at..];
        let consumed = if rest.starts_with('`') {
            code_span(rest, out)
        } else if rest.starts_with("**") {
            bold_marker(rest, &mut stack, out)
        } else if rest.starts_with('[') {
            link(rest, out)
        } else if rest.starts_with('<') {
            angle(rest, &mut stack, context, out)
        } else {
            None
        };
        // Not markup after all: the first character is literal text.
        let length = consumed.unwrap_or_else(|| {
            let first = rest.chars().next().map_or(1, char::len_utf8);
            out.text(&rest[..first]);
            first
        });
        rest = &rest[length..];
    }
    out.text(rest);
    for span in stack.iter().rev() {
        span.close(out);
    }
    *fonts = stack
        .into_iter()
        .filter_map(|span| match span.open {
            Open::Font(colour) => Some(colour),
            Open::Bold => None,
        })
        .collect();
}

/// Opens the innermost colour on the stack if it is not open yet (a font carried over from an
/// earlier line), inside the spans already open around it and under those above it.
fn show_colour(stack: &mut [Span], out: &mut Output) {
    let Some(index) = stack
        .iter()
        .rposition(|span| matches!(span.open, Open::Font(Some(_))))
    else {
        return;
    };
    if stack[index].written {
        return;
    }
    // Above the innermost colour there are only the bold and fonts without a colour.
    for span in stack[index + 1..].iter().rev() {
        span.close(out);
    }
    stack[index].open.write_open(out);
    stack[index].written = true;
    for span in &stack[index + 1..] {
        span.reopen(out);
    }
}

/// `` `code` `` on one line ("行内代码段（暂不支持跨行）"); its content is literal. An empty
/// span (the ```` `` ```` of a code fence) is not one: fences are shown literally.
fn code_span(rest: &str, out: &mut Output) -> Option<usize> {
    let end = rest[1..].find('`')? + 1;
    if end == 1 {
        return None;
    }
    out.raw("<code class=\"hp-md-code\">");
    out.text(&rest[1..end]);
    out.raw("</code>");
    Some(end + 1)
}

/// `**`: closes an open bold, or opens one if a closing `**` follows on the line.
fn bold_marker(rest: &str, stack: &mut Vec<Span>, out: &mut Output) -> Option<usize> {
    if stack.iter().any(|span| span.open == Open::Bold) {
        close_through(stack, |open| open == Open::Bold, out);
        return Some(2);
    }
    if rest[2..].contains("**") {
        stack.push(Span::new(Open::Bold, out));
        return Some(2);
    }
    None
}

/// `[text](url)`: a link for an http(s) URL; for any other URL the text alone, inert, and a lint.
fn link(rest: &str, out: &mut Output) -> Option<usize> {
    let text_end = rest.find(']')?;
    let after = &rest[text_end + 1..];
    let url_part = after.strip_prefix('(')?;
    let url_end = url_part.find(')')?;
    let text = &rest[1..text_end];
    let url = &url_part[..url_end];
    match web_url(url) {
        Some(url) => {
            out.open_link("hp-md-link", url);
            out.text(text);
            out.raw("</a>");
        }
        None => {
            out.lint(
                code::UNSAFE_URL,
                format!("link {url:?} is not an http(s) URL: shown as plain text"),
            );
            out.element("span", "hp-link-inert", text);
        }
    }
    Some(text_end + 1 + 1 + url_end + 1)
}

/// `<font ...>`, `</font>` or `<@userid>`; any other `<` is literal.
fn angle(
    rest: &str,
    stack: &mut Vec<Span>,
    context: &Context<'_>,
    out: &mut Output,
) -> Option<usize> {
    if let Some((userid, length)) = mention::parse(rest) {
        mention::write(userid, context, out);
        return Some(length);
    }
    if starts_with_ignore_case(rest, "</font>") {
        if !stack.iter().any(|span| matches!(span.open, Open::Font(_))) {
            return None;
        }
        close_through(stack, |open| matches!(open, Open::Font(_)), out);
        return Some("</font>".len());
    }
    let (colour, length) = font_tag(rest)?;
    let colour = match Colour::from_name(colour) {
        Some(colour) => Some(colour),
        None => {
            out.lint(
                code::UNSUPPORTED_COLOUR,
                format!(
                    "<font color={colour:?}>: WeCom has only info (green), comment (grey) and \
                     warning (orange-red); the text is shown uncoloured"
                ),
            );
            None
        }
    };
    stack.push(Span::new(Open::Font(colour), out));
    Some(length)
}

/// Parses `<font color="name">` (quotes optional, spaces allowed, tag name in any case) into the
/// colour name and the tag's length. A `<font>` without a colour yields an empty name.
fn font_tag(rest: &str) -> Option<(&str, usize)> {
    if !starts_with_ignore_case(rest, "<font") {
        return None;
    }
    let after_name = &rest["<font".len()..];
    if let Some(remaining) = after_name.strip_prefix('>') {
        return Some(("", rest.len() - remaining.len()));
    }
    let attribute = after_name.trim_start();
    if attribute.len() == after_name.len() || !starts_with_ignore_case(attribute, "color") {
        return None;
    }
    let value_start = attribute["color".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let (value, remaining) = match value_start.chars().next()? {
        quote @ ('"' | '\'') => {
            let end = value_start[1..].find(quote)? + 1;
            (&value_start[1..end], &value_start[end + 1..])
        }
        _ => {
            let end = value_start.find(|c: char| c.is_whitespace() || c == '>')?;
            value_start.split_at(end)
        }
    };
    let remaining = remaining.trim_start().strip_prefix('>')?;
    Some((value, rest.len() - remaining.len()))
}

/// Closes spans from the top of the stack through the first one matching `target`, then reopens
/// the ones above it, so that the HTML stays well nested; a colour the close uncovers is opened
/// first.
fn close_through(stack: &mut Vec<Span>, target: impl Fn(Open) -> bool, out: &mut Output) {
    let Some(index) = stack.iter().rposition(|span| target(span.open)) else {
        return;
    };
    let above: Vec<Span> = stack.drain(index + 1..).collect();
    for span in above.iter().rev() {
        span.close(out);
    }
    if let Some(closed) = stack.pop() {
        closed.close(out);
    }
    if !above
        .iter()
        .any(|span| matches!(span.open, Open::Font(Some(_))))
    {
        show_colour(stack, out);
    }
    for span in above {
        span.reopen(out);
        stack.push(span);
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::with_zhangsan;

    fn line(text: &str) -> (String, Vec<&'static str>) {
        let mut fonts = OpenFonts::new();
        let (html, lints) = lines(&[text], &mut fonts);
        (html[0].clone(), lints)
    }

    fn lines(texts: &[&str], fonts: &mut OpenFonts) -> (Vec<String>, Vec<&'static str>) {
        let mut out = Output::default();
        let mut html = Vec::new();
        with_zhangsan(|context| {
            for text in texts {
                let start = out.html.len();
                write_line(text, fonts, context, &mut out);
                html.push(out.html[start..].to_owned());
            }
        });
        (html, out.lints.iter().map(|lint| lint.code).collect())
    }

    #[test]
    fn bold_is_strong() {
        assert_eq!(
            line("**2019公司文化衫**").0,
            "<strong>2019公司文化衫</strong>"
        );
    }

    #[test]
    fn an_unclosed_bold_marker_is_literal() {
        assert_eq!(line("a ** b").0, "a ** b");
        assert_eq!(line("*italic*").0, "*italic*");
    }

    #[test]
    fn an_http_link_is_an_anchor_that_opens_a_new_tab() {
        assert_eq!(
            line("[这是一个链接](https://work.weixin.qq.com/api/doc)").0,
            "<a class=\"hp-md-link\" href=\"https://work.weixin.qq.com/api/doc\" \
             rel=\"noopener noreferrer\" target=\"_blank\">这是一个链接</a>"
        );
    }

    #[test]
    fn a_javascript_link_is_inert_text_with_a_lint() {
        let (html, lints) = line("[x](javascript:alert(1))");
        assert_eq!(html, "<span class=\"hp-link-inert\">x</span>)");
        assert_eq!(lints, [code::UNSAFE_URL]);
    }

    #[test]
    fn inline_code_is_literal() {
        assert_eq!(
            line("`**<b>**`").0,
            "<code class=\"hp-md-code\">**&lt;b&gt;**</code>"
        );
    }

    #[test]
    fn an_unclosed_backtick_is_literal() {
        assert_eq!(line("a ` b").0, "a ` b");
    }

    #[test]
    fn a_code_fence_is_literal() {
        assert_eq!(line("```rust").0, "```rust");
    }

    #[test]
    fn the_three_colours_are_classes() {
        assert_eq!(
            line(r#"<font color="info">绿</font><font color='comment'>灰</font><FONT color=warning>橙</font>"#).0,
            "<span class=\"hp-font-info\">绿</span><span class=\"hp-font-comment\">灰</span>\
             <span class=\"hp-font-warning\">橙</span>"
        );
    }

    #[test]
    fn another_colour_is_dropped_with_a_lint() {
        let (html, lints) = line(r#"<font color="red;background:url(x)">红</font>"#);
        assert_eq!(html, "红");
        assert_eq!(lints, [code::UNSUPPORTED_COLOUR]);
    }

    #[test]
    fn a_stray_closing_font_is_literal() {
        assert_eq!(line("a</font>").0, "a&lt;/font&gt;");
    }

    #[test]
    fn misnested_bold_and_font_stay_well_nested() {
        assert_eq!(
            line(r#"**a<font color="info">b**c</font>"#).0,
            "<strong>a<span class=\"hp-font-info\">b</span></strong>\
             <span class=\"hp-font-info\">c</span>"
        );
    }

    #[test]
    fn an_open_font_carries_over_to_the_next_line() {
        let mut fonts = OpenFonts::new();
        let (html, _) = lines(
            &[r#"<font color="warning">one"#, "two</font> three"],
            &mut fonts,
        );
        assert_eq!(html[0], "<span class=\"hp-font-warning\">one</span>");
        assert_eq!(html[1], "<span class=\"hp-font-warning\">two</span> three");
        assert!(fonts.is_empty());
    }

    #[test]
    fn of_nested_fonts_carried_over_only_the_innermost_colour_is_reopened() {
        let mut fonts = OpenFonts::new();
        let (html, _) = lines(
            &[
                r#"<font color="info">a<font color="warning">b"#,
                "c</font>d**e</font>f**",
                "g",
            ],
            &mut fonts,
        );
        assert_eq!(
            html[0],
            "<span class=\"hp-font-info\">a<span class=\"hp-font-warning\">b</span></span>"
        );
        // The `</font>` uncovers the outer colour, which opens then, under the bold.
        assert_eq!(
            html[1],
            "<span class=\"hp-font-warning\">c</span><span class=\"hp-font-info\">d\
             <strong>e</strong></span><strong>f</strong>"
        );
        assert_eq!(html[2], "g");
        assert!(fonts.is_empty());
    }

    #[test]
    fn a_colour_uncovered_under_a_bold_keeps_the_html_well_nested() {
        let mut fonts = OpenFonts::new();
        let (html, _) = lines(
            &[
                r#"<font color="info"><font color="warning">"#,
                "**a</font>b**c",
            ],
            &mut fonts,
        );
        assert_eq!(
            html[1],
            "<span class=\"hp-font-warning\"><strong>a</strong></span>\
             <span class=\"hp-font-info\"><strong>b</strong>c</span>"
        );
        assert_eq!(fonts, [Some(Colour::Info)]);
    }

    #[test]
    fn mentions_work_inside_markdown() {
        assert_eq!(
            line("<@zhangsan>").0,
            "<span class=\"hp-mention\" data-userid=\"zhangsan\">@张三</span>"
        );
    }

    #[test]
    fn other_tags_are_literal() {
        assert_eq!(line("<b onclick=x>").0, "&lt;b onclick=x&gt;");
        assert_eq!(line("<fontx>").0, "&lt;fontx&gt;");
    }
}
