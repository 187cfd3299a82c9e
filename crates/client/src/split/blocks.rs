//! What the splitter keeps whole when it can: lines, fenced code blocks and tables, found in one
//! pass over the content.

use std::ops::Range;

use super::Syntax;

/// A unit the packer keeps whole when it can.
#[derive(Debug)]
pub(super) struct Block {
    pub(super) range: Range<usize>,
    pub(super) kind: BlockKind,
}

#[derive(Debug)]
pub(super) enum BlockKind {
    /// One line.
    Line,
    /// A fenced code block; `open` is the length of its opening line, `fence` its marker.
    Fence { open: usize, fence: String },
    /// A table; `header` is the length of its header and delimiter rows.
    Table { header: usize },
}

/// Lines with their byte ranges, each including its `\n`.
pub(super) fn lines(content: &str, offset: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    content.split_inclusive('\n').scan(offset, |start, line| {
        let range = *start..*start + line.len();
        *start = range.end;
        Some(range)
    })
}

pub(super) fn blocks(content: &str, syntax: Syntax) -> Vec<Block> {
    let lines: Vec<Range<usize>> = lines(content, 0).collect();
    let line = |i: usize| &content[lines[i].clone()];
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i].start;
        if syntax == Syntax::Markdown {
            if let Some(open) = fence_open(line(i)) {
                let mut end = i + 1;
                while end < lines.len() && !fence_closes(&open, line(end)) {
                    end += 1;
                }
                // Include the closing line when there is one; an unclosed fence runs to the end.
                let last = end.min(lines.len() - 1);
                blocks.push(Block {
                    range: start..lines[last].end,
                    kind: BlockKind::Fence {
                        open: lines[i].len(),
                        fence: open.marker(),
                    },
                });
                i = last + 1;
                continue;
            }
            if line(i).contains('|') && i + 1 < lines.len() && is_delimiter_row(line(i + 1)) {
                let mut end = i + 2;
                while end < lines.len()
                    && line(end).contains('|')
                    && !line(end).trim().is_empty()
                    && fence_open(line(end)).is_none()
                {
                    end += 1;
                }
                blocks.push(Block {
                    range: start..lines[end - 1].end,
                    kind: BlockKind::Table {
                        header: lines[i + 1].end - start,
                    },
                });
                i = end;
                continue;
            }
        }
        blocks.push(Block {
            range: lines[i].clone(),
            kind: BlockKind::Line,
        });
        i += 1;
    }
    blocks
}

/// An opening code fence: the marker character and how many of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FenceOpen {
    pub(crate) marker: char,
    pub(crate) count: usize,
}

impl FenceOpen {
    fn marker(self) -> String {
        std::iter::repeat_n(self.marker, self.count).collect()
    }
}

/// Up to three spaces of indentation, as CommonMark allows before a fence.
fn unindent(line: &str) -> Option<&str> {
    let trimmed = line.trim_start_matches(' ');
    (line.len() - trimmed.len() <= 3).then_some(trimmed)
}

/// Whether `line` opens a fenced code block (CommonMark: three or more backticks or tildes; a
/// backtick fence's info string has no backtick).
pub(super) fn fence_open(line: &str) -> Option<FenceOpen> {
    let rest = unindent(line)?;
    let marker = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let count = rest.chars().take_while(|c| *c == marker).count();
    if count < 3 {
        return None;
    }
    let info = &rest[count..];
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some(FenceOpen { marker, count })
}

/// Whether `line` closes the block opened by `open` (same marker, at least as many, nothing but
/// whitespace after).
pub(super) fn fence_closes(open: &FenceOpen, line: &str) -> bool {
    let Some(rest) = unindent(line) else {
        return false;
    };
    let count = rest.chars().take_while(|c| *c == open.marker).count();
    count >= open.count && rest[count * open.marker.len_utf8()..].trim().is_empty()
}

/// A GFM table delimiter row: `|---|:--:|`, `--- | ---`.
pub(super) fn is_delimiter_row(line: &str) -> bool {
    let row = line.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    let mut cells = 0;
    for cell in row.split('|') {
        let cell = cell.trim();
        let dashes = cell.trim_start_matches(':').trim_end_matches(':');
        if dashes.is_empty() || !dashes.chars().all(|c| c == '-') {
            return false;
        }
        cells += 1;
    }
    cells > 0 && (line.contains('|') || cells > 1)
}
