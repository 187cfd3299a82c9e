//! `markdown_v2`: CommonMark with tables, through pulldown-cmark, written out element by element.
//!
//! Supported, as in the official document: headings, `*italic*`, `**bold**`, nested lists,
//! multi-level quotes, links, images, `---`, inline code, fenced code blocks and tables with
//! alignment. Only the tables extension is enabled: strikethrough, task lists, footnotes and
//! the like are not in WeCom's list, so they stay literal text.
//!
//! No HTML from the message passes through: pulldown-cmark's `Html`/`InlineHtml` events are
//! escaped and shown as text, which is also what WeCom does with `<font>` and `<@userid>` here
//! ("markdown_v2不支持字体颜色、@群成员的语法"); both are linted. A soft line break is a space, as
//! in CommonMark (the official example separates lines it wants apart with a blank line).
//! Sub-lists indented by a single space, as in the document's syntax list, nest as WeCom shows
//! them (see `indent`).
//!
//! A table row shorter than its header is filled with empty cells, as GFM does, up to
//! [`FILLED_CELLS_MAX`] for the whole message; past that, rows stay short (and are linted).
//! Filling is the one construct whose HTML grows with rows × columns: a 4 KB message of a
//! 500-column header over 1000 one-cell rows rendered to 8 MB.

mod indent;

use std::ops::Range;

use pulldown_cmark::{
    Alignment, CodeBlockKind, Event, Options, Parser, Tag, TagEnd, TextMergeWithOffset,
};

use crate::context::{ChatKind, Context};
use crate::html::web_url;
use crate::lint::code;
use crate::picture::{Picture, slot};
use crate::{Output, mention};

/// How many empty cells may be filled into short table rows in one message: a table of 64 by 64
/// cells with every row but the header empty, far more than real tables leave out.
const FILLED_CELLS_MAX: usize = 4096;

pub(crate) fn render(
    markdown: &hookpit_protocol::message::MarkdownV2,
    context: &Context<'_>,
    out: &mut Output,
) {
    if context.chat == ChatKind::Blackboard {
        out.lint(
            code::NOT_FOR_CHAT,
            "markdown_v2 cannot be sent to a blackboard (\"该消息类型不支持发送到小黑板中\"): WeCom \
             does not deliver it there; use markdown",
        );
    }
    out.raw("<div class=\"hp-bubble hp-md2\">");
    let mut writer = Writer {
        out,
        links: Vec::new(),
        image: None,
        alignments: Vec::new(),
        cell: 0,
        in_head: false,
        in_code_block: false,
        row_end: 0,
        filled: 0,
        in_unfilled_cell: false,
    };
    let content = indent::nest_lists(&markdown.content);
    let parser = Parser::new_ext(&content, Options::ENABLE_TABLES).into_offset_iter();
    for (event, range) in TextMergeWithOffset::new(parser) {
        if writer.fills_no_more(&event, range) {
            continue;
        }
        writer.event(event);
    }
    out.raw("</div>");
}

/// An image being read: its alt text arrives as events between its start and end.
struct Image {
    url: String,
    alt: String,
    /// Images nested in the alt text (`![a ![b](c)](d)`), whose ends are not this image's.
    depth: usize,
}

struct Writer<'o> {
    out: &'o mut Output,
    /// For each open link, whether it was written as an `<a>` (else an inert `<span>`).
    links: Vec<bool>,
    image: Option<Image>,
    alignments: Vec<Alignment>,
    cell: usize,
    in_head: bool,
    in_code_block: bool,
    /// Where the current table row ends in the content: pulldown-cmark puts the empty cells it
    /// fills in there, with an empty range.
    row_end: usize,
    /// How many empty cells have been filled into short rows so far.
    filled: usize,
    /// Inside a filled cell that is left out.
    in_unfilled_cell: bool,
}

impl Writer<'_> {
    /// Whether `event` belongs to a cell filled into a short row past [`FILLED_CELLS_MAX`], and
    /// is left out.
    fn fills_no_more(&mut self, event: &Event<'_>, range: Range<usize>) -> bool {
        match event {
            Event::Start(Tag::TableHead | Tag::TableRow) => self.row_end = range.end,
            Event::Start(Tag::TableCell) if range.is_empty() && range.start == self.row_end => {
                if self.filled < FILLED_CELLS_MAX {
                    self.filled += 1;
                    return false;
                }
                self.out.lint(
                    code::TABLE_CELLS_MISSING,
                    format!(
                        "table rows are short of more than {FILLED_CELLS_MAX} cells in all: \
                         the cells past that are not filled in, so those rows are shown short"
                    ),
                );
                self.in_unfilled_cell = true;
                return true;
            }
            Event::End(TagEnd::TableCell) if self.in_unfilled_cell => {
                self.in_unfilled_cell = false;
                self.cell += 1;
                return true;
            }
            _ => {}
        }
        self.in_unfilled_cell
    }

    fn event(&mut self, event: Event<'_>) {
        if let Some(image) = &mut self.image {
            match event {
                Event::Start(Tag::Image { .. }) => image.depth += 1,
                Event::End(TagEnd::Image) if image.depth > 0 => image.depth -= 1,
                Event::End(TagEnd::Image) => self.end_image(),
                Event::Text(text) | Event::Code(text) | Event::InlineHtml(text) => {
                    image.alt.push_str(&text);
                }
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => {
                if !self.in_code_block {
                    self.lint_mentions(&text);
                }
                self.out.text(&text);
            }
            Event::Code(text) => {
                self.out.raw("<code class=\"hp-md2-code\">");
                self.out.text(&text);
                self.out.raw("</code>");
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                self.lint_html(&html);
                self.out.text(&html);
            }
            Event::SoftBreak => self.out.raw("\n"),
            Event::HardBreak => self.out.raw("<br>"),
            Event::Rule => self.out.raw("<hr class=\"hp-md2-hr\">"),
            // Only produced by extensions that are not enabled; kept literal should that change.
            Event::InlineMath(text) | Event::DisplayMath(text) | Event::FootnoteReference(text) => {
                self.out.text(&text);
            }
            Event::TaskListMarker(checked) => self.out.text(if checked { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let out = &mut *self.out;
        match tag {
            Tag::Paragraph => out.raw("<p>"),
            Tag::Heading { level, .. } => {
                out.raw(&format!("<{level} class=\"hp-md2-h\">"));
            }
            Tag::BlockQuote(_) => out.raw("<blockquote class=\"hp-md2-quote\">"),
            Tag::CodeBlock(kind) => {
                self.in_code_block = true;
                out.raw("<pre class=\"hp-md2-pre\"");
                if let CodeBlockKind::Fenced(info) = kind {
                    let language = info.split_whitespace().next().unwrap_or_default();
                    if !language.is_empty() {
                        out.attr("data-lang", language);
                    }
                }
                out.raw("><code>");
            }
            Tag::HtmlBlock => out.raw("<div class=\"hp-md2-html\">"),
            Tag::List(Some(1)) => out.raw("<ol class=\"hp-md2-list\">"),
            Tag::List(Some(start)) => {
                out.raw(&format!("<ol class=\"hp-md2-list\" start=\"{start}\">"))
            }
            Tag::List(None) => out.raw("<ul class=\"hp-md2-list\">"),
            Tag::Item => out.raw("<li>"),
            Tag::Table(alignments) => {
                self.alignments = alignments;
                out.raw("<div class=\"hp-md2-table-wrap\"><table class=\"hp-md2-table\">");
            }
            Tag::TableHead => {
                self.in_head = true;
                self.cell = 0;
                out.raw("<thead><tr>");
            }
            Tag::TableRow => {
                self.cell = 0;
                out.raw("<tr>");
            }
            Tag::TableCell => {
                let class = match self.alignments.get(self.cell) {
                    Some(Alignment::Left) => "hp-align-left",
                    Some(Alignment::Center) => "hp-align-center",
                    Some(Alignment::Right) => "hp-align-right",
                    Some(Alignment::None) | None => "hp-align-none",
                };
                out.open(if self.in_head { "th" } else { "td" }, class);
                out.raw(">");
            }
            Tag::Emphasis => out.raw("<em>"),
            Tag::Strong => out.raw("<strong>"),
            Tag::Strikethrough => out.raw("<del>"),
            Tag::Superscript => out.raw("<sup>"),
            Tag::Subscript => out.raw("<sub>"),
            Tag::Link { dest_url, .. } => match web_url(&dest_url) {
                Some(url) => {
                    out.open_link("hp-md2-link", url);
                    self.links.push(true);
                }
                None => {
                    out.lint(
                        code::UNSAFE_URL,
                        format!(
                            "link {:?} is not an http(s) URL: shown as plain text",
                            &*dest_url
                        ),
                    );
                    out.raw("<span class=\"hp-link-inert\">");
                    self.links.push(false);
                }
            },
            Tag::Image { dest_url, .. } => {
                self.image = Some(Image {
                    url: dest_url.into_string(),
                    alt: String::new(),
                    depth: 0,
                });
            }
            // Extensions that are not enabled; plain containers should that change.
            Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => out.raw("<div>"),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        let out = &mut *self.out;
        match tag {
            TagEnd::Paragraph => out.raw("</p>"),
            TagEnd::Heading(level) => out.raw(&format!("</{level}>")),
            TagEnd::BlockQuote(_) => out.raw("</blockquote>"),
            TagEnd::CodeBlock => {
                self.in_code_block = false;
                out.raw("</code></pre>");
            }
            TagEnd::HtmlBlock => out.raw("</div>"),
            TagEnd::List(true) => out.raw("</ol>"),
            TagEnd::List(false) => out.raw("</ul>"),
            TagEnd::Item => out.raw("</li>"),
            TagEnd::Table => out.raw("</tbody></table></div>"),
            TagEnd::TableHead => {
                self.in_head = false;
                out.raw("</tr></thead><tbody>");
            }
            TagEnd::TableRow => out.raw("</tr>"),
            TagEnd::TableCell => {
                out.raw(if self.in_head { "</th>" } else { "</td>" });
                self.cell += 1;
            }
            TagEnd::Emphasis => out.raw("</em>"),
            TagEnd::Strong => out.raw("</strong>"),
            TagEnd::Strikethrough => out.raw("</del>"),
            TagEnd::Superscript => out.raw("</sup>"),
            TagEnd::Subscript => out.raw("</sub>"),
            TagEnd::Link => match self.links.pop() {
                Some(true) => out.raw("</a>"),
                _ => out.raw("</span>"),
            },
            // Images end in `event` while their alt text is read.
            TagEnd::Image => {}
            TagEnd::FootnoteDefinition
            | TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => out.raw("</div>"),
        }
    }

    fn end_image(&mut self) {
        let Some(image) = self.image.take() else {
            return;
        };
        match Picture::from_sender(&image.url) {
            Some(picture) => slot(
                self.out,
                "span",
                "hp-md2-img",
                &[],
                Some(picture),
                None,
                &image.alt,
            ),
            None => {
                self.out.lint(
                    code::UNSAFE_URL,
                    format!("image {:?} is not an http(s) URL: not shown", image.url),
                );
                self.out.element("span", "hp-link-inert", &image.alt);
            }
        }
    }

    fn lint_mentions(&mut self, text: &str) {
        if mention::contains(text) {
            self.out.lint(
                code::UNSUPPORTED_SYNTAX,
                "markdown_v2 does not support <@userid> mentions: WeCom shows them literally and \
                 mentions nobody (use markdown or text)",
            );
        }
    }

    fn lint_html(&mut self, html: &str) {
        self.lint_mentions(html);
        let is_font = html
            .trim_start()
            .get(..5)
            .is_some_and(|start| start.eq_ignore_ascii_case("<font"))
            || html
                .trim_start()
                .get(..6)
                .is_some_and(|start| start.eq_ignore_ascii_case("</font"));
        if is_font {
            self.out.lint(
                code::UNSUPPORTED_SYNTAX,
                "markdown_v2 does not support <font> colours: WeCom shows the tags literally \
                 (use markdown)",
            );
        } else if !html.trim().is_empty() && !html.trim_start().starts_with("<!--") {
            self.out.lint(
                code::UNSUPPORTED_SYNTAX,
                "markdown_v2 does not support HTML: WeCom shows it literally",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookpit_protocol::message::MarkdownV2;

    fn render_in(content: &str, chat: ChatKind) -> Output {
        let context = Context {
            chat,
            ..Context::offline()
        };
        let mut out = Output::default();
        render(
            &MarkdownV2 {
                content: content.to_owned(),
            },
            &context,
            &mut out,
        );
        out
    }

    fn render_content(content: &str) -> Output {
        render_in(content, ChatKind::Group)
    }

    fn body(content: &str) -> String {
        let html = render_content(content).html;
        html.strip_prefix("<div class=\"hp-bubble hp-md2\">")
            .and_then(|html| html.strip_suffix("</div>"))
            .unwrap_or(&html)
            .to_owned()
    }

    #[test]
    fn headings_emphasis_and_bold() {
        assert_eq!(
            body("## 二级标题\n*斜体* **加粗**"),
            "<h2 class=\"hp-md2-h\">二级标题</h2><p><em>斜体</em> <strong>加粗</strong></p>"
        );
    }

    #[test]
    fn nested_lists_nest() {
        assert_eq!(
            body("- a\n  - b\n1. c"),
            "<ul class=\"hp-md2-list\"><li>a<ul class=\"hp-md2-list\"><li>b</li></ul></li></ul>\
             <ol class=\"hp-md2-list\"><li>c</li></ol>"
        );
    }

    #[test]
    fn the_documents_one_space_sub_list_nests() {
        assert_eq!(
            body("- 无序列表 1\n- 无序列表 2\n - 无序列表 2.1\n - 无序列表 2.2\n1. 有序列表 1"),
            "<ul class=\"hp-md2-list\"><li>无序列表 1</li><li>无序列表 2<ul class=\"hp-md2-list\">\
             <li>无序列表 2.1</li><li>无序列表 2.2</li></ul></li></ul>\
             <ol class=\"hp-md2-list\"><li>有序列表 1</li></ol>"
        );
    }

    #[test]
    fn an_ordered_list_keeps_its_start() {
        assert_eq!(
            body("3. c"),
            "<ol class=\"hp-md2-list\" start=\"3\"><li>c</li></ol>"
        );
    }

    #[test]
    fn quotes_nest_by_level() {
        assert_eq!(
            body("> 一\n>>二"),
            "<blockquote class=\"hp-md2-quote\"><p>一</p><blockquote class=\"hp-md2-quote\">\
             <p>二</p></blockquote></blockquote>"
        );
    }

    #[test]
    fn tables_carry_alignment_classes() {
        assert_eq!(
            body("| a | b | c |\n| :-- | :-: | --: |\n| 1 | 2 | 3 |"),
            "<div class=\"hp-md2-table-wrap\"><table class=\"hp-md2-table\"><thead><tr>\
             <th class=\"hp-align-left\">a</th><th class=\"hp-align-center\">b</th>\
             <th class=\"hp-align-right\">c</th></tr></thead><tbody><tr>\
             <td class=\"hp-align-left\">1</td><td class=\"hp-align-center\">2</td>\
             <td class=\"hp-align-right\">3</td></tr></tbody></table></div>"
        );
    }

    #[test]
    fn a_short_row_is_filled_with_empty_cells_and_empty_cells_stay_where_they_are() {
        assert_eq!(
            body("| a | b | c |\n| - | - | - |\n||2\n1"),
            "<div class=\"hp-md2-table-wrap\"><table class=\"hp-md2-table\"><thead><tr>\
             <th class=\"hp-align-none\">a</th><th class=\"hp-align-none\">b</th>\
             <th class=\"hp-align-none\">c</th></tr></thead><tbody><tr>\
             <td class=\"hp-align-none\"></td><td class=\"hp-align-none\">2</td>\
             <td class=\"hp-align-none\"></td></tr><tr><td class=\"hp-align-none\">1</td>\
             <td class=\"hp-align-none\"></td><td class=\"hp-align-none\"></td></tr>\
             </tbody></table></div>"
        );
    }

    #[test]
    fn short_rows_are_filled_up_to_a_budget_so_the_html_grows_with_the_content() {
        // 2.4 KB of a 100-column header over 1000 one-cell rows rendered to 3 MB, every row
        // filled to 100 cells.
        let content = format!(
            "{}\n{}\n{}",
            "|a".repeat(100),
            "|-".repeat(100),
            "a\n".repeat(1000)
        );
        let out = render_content(&content);
        // About 32 bytes a cell: those of the content, and at most the budget of filled ones.
        assert!(
            out.html.len() < 64 * content.len() + 32 * FILLED_CELLS_MAX,
            "{} bytes of HTML for {} of markdown",
            out.html.len(),
            content.len()
        );
        assert_eq!(
            out.html.matches("<td").count(),
            1000 + FILLED_CELLS_MAX,
            "every cell of the content, and the budget of filled ones"
        );
        let codes: Vec<&str> = out.lints.iter().map(|lint| lint.code).collect();
        assert_eq!(codes, [code::TABLE_CELLS_MISSING]);
    }

    #[test]
    fn code_blocks_and_inline_code_are_escaped() {
        assert_eq!(
            body("`<b>`\n```rust\n<script>\n```"),
            "<p><code class=\"hp-md2-code\">&lt;b&gt;</code></p>\
             <pre class=\"hp-md2-pre\" data-lang=\"rust\"><code>&lt;script&gt;\n</code></pre>"
        );
    }

    #[test]
    fn a_rule_is_an_hr() {
        assert_eq!(body("a\n\n---"), "<p>a</p><hr class=\"hp-md2-hr\">");
    }

    #[test]
    fn an_https_image_is_an_img_with_its_alt_text() {
        assert_eq!(
            body("![一张 *图*](https://a.example/p.png)"),
            "<p><span class=\"hp-md2-img hp-remote\"><img class=\"hp-remote-img\" \
             data-remote-src=\"https://a.example/p.png\" alt=\"一张 图\" \
             referrerpolicy=\"no-referrer\"><span class=\"hp-remote-note\"><span \
             class=\"hp-remote-what\">图片未加载 · </span>点击加载</span></span></p>"
        );
    }

    #[test]
    fn a_data_image_is_not_shown_and_is_linted() {
        let out = render_content("![x](data:image/svg+xml;base64,PHN2Zz4=)");
        assert!(!out.html.contains("<img"));
        assert_eq!(out.lints[0].code, code::UNSAFE_URL);
    }

    #[test]
    fn a_javascript_link_is_inert() {
        let out = render_content("[x](javascript:alert(1))");
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-md2\"><p><span class=\"hp-link-inert\">x</span></p></div>"
        );
        assert_eq!(out.lints[0].code, code::UNSAFE_URL);
    }

    #[test]
    fn font_and_mentions_are_literal_and_linted() {
        let out = render_content("<font color=\"info\">绿</font> <@zhangsan>");
        assert_eq!(
            out.html,
            "<div class=\"hp-bubble hp-md2\"><p>&lt;font color=&quot;info&quot;&gt;绿\
             &lt;/font&gt; &lt;@zhangsan&gt;</p></div>"
        );
        let messages: Vec<&str> = out.lints.iter().map(|lint| lint.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].contains("<font>"));
        assert!(messages[1].contains("<@userid>"));
    }

    #[test]
    fn raw_html_blocks_are_shown_as_text() {
        let out = render_content("<div onclick=\"x\">\n<script>alert(1)</script>\n</div>");
        assert!(out.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!out.html.contains("<script"));
        assert_eq!(out.lints[0].code, code::UNSUPPORTED_SYNTAX);
    }

    #[test]
    fn markdown_v2_on_a_blackboard_is_linted() {
        let out = render_in("**x**", ChatKind::Blackboard);
        assert_eq!(
            out.lints.iter().map(|lint| lint.code).collect::<Vec<_>>(),
            [code::NOT_FOR_CHAT]
        );
        assert!(render_in("**x**", ChatKind::Single).lints.is_empty());
    }

    #[test]
    fn mentions_inside_code_are_not_linted() {
        assert!(render_content("```\n<@zhangsan>\n```").lints.is_empty());
    }
}
