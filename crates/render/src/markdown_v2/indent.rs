//! WeCom's lenient list nesting, mapped onto CommonMark before parsing.
//!
//! The official document nests lists by a single space (`- 无序列表 2` then ` - 无序列表 2.1`),
//! and WeCom shows them nested. CommonMark needs a sub-item indented to the parent's content
//! (two columns after `- `, three after `1. `) and would make ` - 2.1` a sibling. So a list item
//! indented more than the item above it, but less than that item's content, is moved to the
//! content column. Everything else, including fenced code, is left byte for byte.

use std::borrow::Cow;

/// One open list item: where its marker was in the message, and where its content starts in the
/// rewritten text (the column its sub-items must reach).
struct Item {
    indent: usize,
    content: usize,
}

/// `content` with under-indented sub-items moved to their parent's content column.
pub(super) fn nest_lists(content: &str) -> Cow<'_, str> {
    let mut open: Vec<Item> = Vec::new();
    let mut fence: Option<&str> = None;
    let mut rewritten: Option<String> = None;
    let mut offset = 0;
    for line in content.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
            }
            keep(&mut rewritten, line);
            continue;
        }
        if indent < 4 && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            fence = Some(&trimmed[..3]);
            keep(&mut rewritten, line);
            continue;
        }
        let Some(marker) = list_marker(trimmed) else {
            // A paragraph at the left margin ends the lists; blank and indented lines continue
            // the current item.
            if indent == 0 && !trimmed.trim().is_empty() {
                open.clear();
            }
            keep(&mut rewritten, line);
            continue;
        };
        while open.last().is_some_and(|item| item.indent >= indent) {
            open.pop();
        }
        let column = match open.last() {
            Some(parent) => parent.content.max(indent),
            // A top-level item: 4 or more spaces would be a code block, so only 0–3 are items.
            None if indent < 4 => indent,
            None => {
                keep(&mut rewritten, line);
                continue;
            }
        };
        open.push(Item {
            indent,
            content: column + marker + 1,
        });
        if column == indent {
            keep(&mut rewritten, line);
        } else {
            let out = rewritten.get_or_insert_with(|| content[..start].to_owned());
            out.extend(std::iter::repeat_n(' ', column));
            out.push_str(trimmed);
        }
    }
    match rewritten {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(content),
    }
}

/// Appends `line` unchanged once a rewrite has started (until then nothing is copied).
fn keep(rewritten: &mut Option<String>, line: &str) {
    if let Some(out) = rewritten {
        out.push_str(line);
    }
}

/// The width of the list marker `line` starts with (`-`, `*`, `+`, `1.`, `12)`), when a space or
/// the end of the line follows it.
fn list_marker(line: &str) -> Option<usize> {
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let width = if line.starts_with(['-', '*', '+']) {
        1
    } else if (1..=9).contains(&digits) && line[digits..].starts_with(['.', ')']) {
        digits + 1
    } else {
        return None;
    };
    let after = &line[width..];
    let spaced = after.starts_with(' ') || after.trim_end_matches(['\r', '\n']).is_empty();
    // `---` and `***` are rules, `**x**` is bold: neither has a space after one mark.
    spaced.then_some(width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sub_item_indented_by_one_space_moves_to_the_parents_content() {
        assert_eq!(
            nest_lists(
                "- 无序列表 1\n- 无序列表 2\n - 无序列表 2.1\n - 无序列表 2.2\n1. 有序列表 1"
            ),
            "- 无序列表 1\n- 无序列表 2\n  - 无序列表 2.1\n  - 无序列表 2.2\n1. 有序列表 1"
        );
    }

    #[test]
    fn ordered_parents_need_three_columns() {
        assert_eq!(nest_lists("1. a\n  - b\n   - c"), "1. a\n   - b\n     - c");
    }

    #[test]
    fn deeper_levels_follow_their_rewritten_parents() {
        assert_eq!(
            nest_lists("- a\n - b\n  - c\n - d"),
            "- a\n  - b\n    - c\n  - d"
        );
    }

    #[test]
    fn well_indented_lists_and_other_text_are_borrowed_unchanged() {
        for content in [
            "- a\n  - b\n    - c",
            "# 标题\n\n正文 - 不是列表\n\n---\n***",
            "**加粗**\n - 不在列表里",
            "```\n- a\n - b\n```",
        ] {
            assert!(
                matches!(nest_lists(content), Cow::Borrowed(_)),
                "{content:?}"
            );
        }
    }

    #[test]
    fn a_paragraph_at_the_margin_ends_the_list() {
        assert_eq!(nest_lists("- a\n\n正文\n - b"), "- a\n\n正文\n - b");
    }

    #[test]
    fn crlf_lines_keep_their_ends() {
        assert_eq!(nest_lists("- a\r\n - b\r\n"), "- a\r\n  - b\r\n");
    }
}
