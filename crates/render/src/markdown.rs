//! `markdown` (v1): WeCom's small, line-based subset, and its attachment buttons.
//!
//! Supported, as in the official document: headings 1–6 (a space is required after the `#`s),
//! `> ` quotes, and on every line the inline syntax of [`inline`]. Every other construct (lists,
//! tables, code fences, images, rules, italics, multi-level quotes, HTML) is shown literally, as
//! WeCom does, and linted so the sender knows to use `markdown_v2`. Each `\n` is a line break.

mod attachment;
mod inline;

use hookpit_protocol::message::Markdown;

use crate::Output;
use crate::context::Context;
use crate::lint::code;

pub(crate) fn render(markdown: &Markdown, context: &Context<'_>, out: &mut Output) {
    lint_unsupported(&markdown.content, out);
    out.raw("<div class=\"hp-bubble hp-md\">");
    let mut fonts = inline::OpenFonts::new();
    let mut in_quote = false;
    for line in lines(&markdown.content) {
        let quoted = line.strip_prefix('>');
        if quoted.is_some() != in_quote {
            out.raw(if in_quote {
                "</blockquote>"
            } else {
                "<blockquote class=\"hp-md-quote\">"
            });
            in_quote = quoted.is_some();
        }
        if let Some(quoted) = quoted {
            let quoted = quoted.strip_prefix(' ').unwrap_or(quoted);
            write_plain_line(quoted, &mut fonts, context, out);
        } else if let Some((level, title)) = heading(line) {
            let level = char::from(b'0' + level);
            out.html.push_str("<h");
            out.html.push(level);
            out.html.push_str(" class=\"hp-md-h\">");
            inline::write_line(title, &mut fonts, context, out);
            out.html.push_str("</h");
            out.html.push(level);
            out.html.push('>');
        } else {
            write_plain_line(line, &mut fonts, context, out);
        }
    }
    if in_quote {
        out.raw("</blockquote>");
    }
    if let Some(attachments) = &markdown.attachments {
        attachment::render(attachments, out);
    }
    out.raw("</div>");
}

/// The lines of `content`, without the `\r` of `\r\n` line ends.
fn lines(content: &str) -> impl Iterator<Item = &str> {
    content
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
}

/// A line of text; an empty line keeps its height, as a blank line does in WeCom.
fn write_plain_line(
    line: &str,
    fonts: &mut inline::OpenFonts,
    context: &Context<'_>,
    out: &mut Output,
) {
    out.raw("<div class=\"hp-md-line\">");
    if line.is_empty() {
        out.raw("<br>");
    }
    inline::write_line(line, fonts, context, out);
    out.raw("</div>");
}

/// `# title` to `###### title`: the level and the title.
fn heading(line: &str) -> Option<(u8, &str)> {
    let hashes = line.bytes().take_while(|&byte| byte == b'#').count();
    let level = u8::try_from(hashes)
        .ok()
        .filter(|level| (1..=6).contains(level))?;
    let title = line[hashes..].strip_prefix(' ')?;
    Some((level, title))
}

/// Constructs of markdown_v2 (or of markdown in general) that v1 shows literally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unsupported {
    CodeFence,
    Table,
    List,
    Rule,
    Image,
    NestedQuote,
    Italic,
    Strikethrough,
    Html,
}

impl Unsupported {
    fn describe(self) -> &'static str {
        match self {
            Unsupported::CodeFence => "fenced code blocks",
            Unsupported::Table => "tables",
            Unsupported::List => "lists",
            Unsupported::Rule => "horizontal rules",
            Unsupported::Image => "images",
            Unsupported::NestedQuote => "multi-level quotes",
            Unsupported::Italic => "*italic*",
            Unsupported::Strikethrough => "~~strikethrough~~",
            Unsupported::Html => "HTML tags other than <font>",
        }
    }
}

/// Lints headings without their space, and each unsupported construct once, at its first line.
fn lint_unsupported(content: &str, out: &mut Output) {
    let mut found: Vec<Unsupported> = Vec::new();
    let mut in_fence = false;
    for (index, line) in lines(content).enumerate() {
        if !in_fence
            && line.starts_with('#')
            && heading(line).is_none()
            && !line.starts_with("#######")
        {
            out.lint(
                code::HEADING_WITHOUT_SPACE,
                format!(
                    "line {}: a heading needs a space after the #s; WeCom shows it literally",
                    index + 1
                ),
            );
        }
        for construct in unsupported_in(line, &mut in_fence) {
            if !found.contains(&construct) {
                found.push(construct);
                out.lint(
                    code::UNSUPPORTED_SYNTAX,
                    format!(
                        "line {}: markdown does not support {}; WeCom shows them literally \
                         (markdown_v2 does support them)",
                        index + 1,
                        construct.describe()
                    ),
                );
            }
        }
    }
}

/// The unsupported constructs on one line. Inside a code fence only the closing fence counts.
fn unsupported_in(line: &str, in_fence: &mut bool) -> Vec<Unsupported> {
    let trimmed = line.trim();
    if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
        *in_fence = !*in_fence;
        return vec![Unsupported::CodeFence];
    }
    if *in_fence {
        return Vec::new();
    }
    let mut found = Vec::new();
    if is_table_delimiter(trimmed) {
        found.push(Unsupported::Table);
    }
    if is_list_item(line.trim_start()) {
        found.push(Unsupported::List);
    }
    if is_rule(trimmed) {
        found.push(Unsupported::Rule);
    }
    if line.starts_with(">>") {
        found.push(Unsupported::NestedQuote);
    }
    if let Some(at) = line.find("![")
        && line[at..].contains("](")
    {
        found.push(Unsupported::Image);
    }
    if has_italic(line) {
        found.push(Unsupported::Italic);
    }
    if line.matches("~~").count() >= 2 {
        found.push(Unsupported::Strikethrough);
    }
    if has_html_tag(line) {
        found.push(Unsupported::Html);
    }
    found
}

/// `| :--- | :---: | ---: |`: the line under a table's header.
fn is_table_delimiter(line: &str) -> bool {
    let inner = line.trim_matches('|');
    line.contains('|')
        && inner.split('|').all(|cell| {
            let cell = cell.trim();
            let dashes = cell.trim_start_matches(':').trim_end_matches(':');
            !dashes.is_empty() && dashes.bytes().all(|byte| byte == b'-')
        })
}

/// `- item`, `* item`, `+ item`, `1. item`, `1) item`.
fn is_list_item(line: &str) -> bool {
    if line.len() > 1 && line.starts_with(['-', '*', '+']) && line[1..].starts_with(' ') {
        // `* * *` and `- - -` are rules, not lists; `**bold**` never has the space.
        return !is_rule(line);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
}

/// `---`, `***`, `___` (three or more of one character, spaces allowed).
fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && ["-", "*", "_"]
            .iter()
            .any(|mark| compact.chars().all(|c| c.to_string() == *mark))
}

/// `*text*` once every `**` is set aside: a single star after a non-word character, followed by
/// a non-space, and a later single star after a non-space.
fn has_italic(line: &str) -> bool {
    let singles = line.replace("**", "\u{1}");
    let stars: Vec<usize> = singles.match_indices('*').map(|(at, _)| at).collect();
    stars.windows(2).any(|pair| {
        let (open, close) = (pair[0], pair[1]);
        let before_ok = singles[..open]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_open = singles[open + 1..].chars().next();
        let before_close = singles[..close].chars().next_back();
        before_ok
            && close > open + 1
            && after_open.is_some_and(|c| !c.is_whitespace())
            && before_close.is_some_and(|c| !c.is_whitespace())
    })
}

/// An HTML-looking tag other than `<font>` and mentions: `<b>`, `</div>`, `<img src=...>`.
fn has_html_tag(line: &str) -> bool {
    line.match_indices('<').any(|(at, _)| {
        let tag = line[at + 1..].strip_prefix('/').unwrap_or(&line[at + 1..]);
        let name: String = tag
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let after = tag[name.len()..].chars().next();
        !name.is_empty()
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && !name.eq_ignore_ascii_case("font")
            && after.is_some_and(|c| c == '>' || c == '/' || c.is_whitespace())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::with_zhangsan;

    fn render_content(content: &str) -> Output {
        let mut out = Output::default();
        let markdown = Markdown {
            content: content.to_owned(),
            ..Markdown::default()
        };
        with_zhangsan(|context| render(&markdown, context, &mut out));
        out
    }

    fn lint_lines(content: &str) -> Vec<String> {
        render_content(content)
            .lints
            .into_iter()
            .map(|lint| format!("{}: {}", lint.code, lint.message))
            .collect()
    }

    #[test]
    fn headings_one_to_six_need_a_space() {
        let out = render_content("# 一\n###### 六\n####### 七\n#没有空格");
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-md\"><h1 class=\"hp-md-h\">一</h1>\
             <h6 class=\"hp-md-h\">六</h6><div class=\"hp-md-line\">####### 七</div>\
             <div class=\"hp-md-line\">#没有空格</div></div>"
        );
        assert_eq!(out.lints.len(), 1);
        assert_eq!(out.lints[0].code, code::HEADING_WITHOUT_SPACE);
    }

    #[test]
    fn consecutive_quote_lines_form_one_quote() {
        let out = render_content("> 引用文字\n>第二行\n正文");
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-md\"><blockquote class=\"hp-md-quote\">\
             <div class=\"hp-md-line\">引用文字</div><div class=\"hp-md-line\">第二行</div>\
             </blockquote><div class=\"hp-md-line\">正文</div></div>"
        );
    }

    #[test]
    fn a_blank_line_keeps_its_height() {
        let out = render_content("a\n\nb");
        assert!(out.html.contains("<div class=\"hp-md-line\"><br></div>"));
    }

    #[test]
    fn a_table_is_literal_and_linted_once() {
        let out = render_content("| a | b |\n| :-- | --: |\n| 1 | 2 |");
        assert!(
            out.html
                .contains("<div class=\"hp-md-line\">| :-- | --: |</div>")
        );
        assert_eq!(
            lint_lines("| a | b |\n| :-- | --: |\n| 1 | 2 |"),
            [
                "unsupported_syntax: line 2: markdown does not support tables; WeCom shows them \
              literally (markdown_v2 does support them)"
            ]
        );
    }

    #[test]
    fn lists_fences_rules_images_and_nested_quotes_are_linted() {
        let lints = lint_lines(
            "- a\n1. b\n```\n- not linted inside a fence\n```\n---\n![x](https://a.b/c.png)\n>>q",
        );
        let described: Vec<&str> = lints
            .iter()
            .map(|lint| lint.split(": ").nth(2).unwrap_or_default())
            .collect();
        assert_eq!(
            described,
            [
                "markdown does not support lists; WeCom shows them literally (markdown_v2 does support them)",
                "markdown does not support fenced code blocks; WeCom shows them literally (markdown_v2 does support them)",
                "markdown does not support horizontal rules; WeCom shows them literally (markdown_v2 does support them)",
                "markdown does not support images; WeCom shows them literally (markdown_v2 does support them)",
                "markdown does not support multi-level quotes; WeCom shows them literally (markdown_v2 does support them)",
            ]
        );
    }

    #[test]
    fn italics_are_linted_but_bold_and_arithmetic_are_not() {
        assert!(has_italic("an *italic* word"));
        assert!(!has_italic("**bold** only"));
        assert!(!has_italic("2*3*4"));
        assert!(!has_italic("a * b * c"));
    }

    #[test]
    fn html_tags_are_linted_but_font_and_mentions_are_not() {
        assert!(has_html_tag("<b>x</b>"));
        assert!(has_html_tag("<img src=x onerror=alert(1)>"));
        assert!(!has_html_tag("<font color=\"info\">x</font>"));
        assert!(!has_html_tag("<@zhangsan> 1 < 2"));
    }

    #[test]
    fn the_supported_subset_produces_no_lint() {
        let content = "# 标题\n**加粗** [链接](https://work.weixin.qq.com) `code`\n> 引用\n\
                       <font color=\"info\">绿色</font><@zhangsan>";
        assert!(render_content(content).lints.is_empty());
    }

    #[test]
    fn unclosed_fonts_over_many_lines_grow_the_html_with_the_lines_not_fonts_times_lines() {
        // Found while writing the size check of the render_markdown fuzz target: every line
        // reopened every font carried over, so these 4 KB rendered to 8 MB of HTML.
        let content = format!("{}{}", "<font color=info>".repeat(120), "\n".repeat(2048));
        let html = render_content(&content).html;
        assert!(
            html.len() < 40 * content.len(),
            "{} bytes of HTML for {} of markdown",
            html.len(),
            content.len()
        );
    }

    #[test]
    fn crlf_line_ends_are_line_ends() {
        let out = render_content("# a\r\nb");
        assert!(
            out.html
                .contains("<h1 class=\"hp-md-h\">a</h1><div class=\"hp-md-line\">b</div>")
        );
    }
}
