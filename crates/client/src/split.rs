//! The splitter: cuts long text or markdown into chunks that each fit WeCom's byte limit.
//!
//! WeCom refuses `markdown`/`markdown_v2` content over 4096 bytes and `text` over 5120 (and
//! displays only the first 2048 bytes of a text), always counting UTF-8 bytes (spec §2). A long
//! report has to go out as several messages, and cutting it anywhere would break its layout, so
//! [`split`]:
//!
//! - cuts only between lines, unless a single line is longer than a chunk, and then only on a
//!   UTF-8 character boundary;
//! - keeps each fenced code block (```` ``` ```` or `~~~`) and each table in one chunk when it
//!   fits in one;
//! - splits a code block too long for one chunk between its lines, closing the fence at the end
//!   of each piece and reopening it (with its info string) at the start of the next, so every
//!   chunk renders as a code block;
//! - splits a table too long for one chunk between its rows, repeating the header and delimiter
//!   rows at the start of each continuation.
//!
//! Nothing is dropped or rewritten: the concatenation of [`Chunk::original`] over all chunks is
//! the input, byte for byte; the only additions are the fence and header lines above
//! ([`Chunk::text`] = prefix + original + suffix).
//!
//! A fence or table header too long to repeat within the limit (an info string of thousands of
//! bytes) is split as plain lines instead.

mod request;

use std::ops::Range;

use hookpit_protocol::truncate_utf8;
pub use request::split_request;

/// How the content is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Plain text: only lines matter.
    Text,
    /// Markdown (v1 or v2): fenced code blocks and tables are kept whole or split cleanly.
    Markdown,
}

/// One piece of split content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// What to send: `prefix + original + suffix`, at most the limit.
    pub text: String,
    /// Where [`Chunk::original`] is in the input.
    pub source: Range<usize>,
    prefix_len: usize,
    suffix_len: usize,
}

impl Chunk {
    /// The part of the input this chunk carries, without the added fence or header lines.
    pub fn original(&self) -> &str {
        &self.text[self.prefix_len..self.text.len() - self.suffix_len]
    }

    /// The lines added before the original (a reopened fence or a repeated table header).
    pub fn prefix(&self) -> &str {
        &self.text[..self.prefix_len]
    }

    /// The lines added after the original (a closing fence).
    pub fn suffix(&self) -> &str {
        &self.text[self.text.len() - self.suffix_len..]
    }
}

/// The smallest limit honoured: one character of up to 4 bytes must fit.
const MIN_MAX_BYTES: usize = 4;

/// Splits `content` into chunks of at most `max_bytes` bytes each (see the module docs).
///
/// Content that fits is returned as one chunk, unchanged; empty content as one empty chunk.
/// A `max_bytes` below 4 is raised to 4.
///
/// # Examples
/// ```
/// use hookpit_client::split::{split, Syntax};
///
/// let report = "## Results\n\n```\nok 1\nok 2\nok 3\n```\n";
/// let chunks = split(report, 20, Syntax::Markdown);
/// assert!(chunks.iter().all(|chunk| chunk.text.len() <= 20));
/// let joined: String = chunks.iter().map(|chunk| chunk.original()).collect();
/// assert_eq!(joined, report);
/// // The code block was split and each piece is a closed block.
/// assert_eq!(chunks[1].text, "```\nok 1\nok 2\n```\n");
/// assert_eq!(chunks[2].text, "```\nok 3\n```\n");
/// ```
pub fn split(content: &str, max_bytes: usize, syntax: Syntax) -> Vec<Chunk> {
    let max = max_bytes.max(MIN_MAX_BYTES);
    let mut packer = Packer {
        content,
        max,
        markdown: syntax == Syntax::Markdown,
        chunks: Vec::new(),
        prefix: String::new(),
        start: 0,
        end: 0,
    };
    if content.len() <= max {
        packer.end = content.len();
    } else {
        for block in blocks(content, syntax) {
            packer.push(&block);
        }
    }
    packer.flush();
    if packer.chunks.is_empty() {
        packer.chunks.push(Chunk {
            text: String::new(),
            source: 0..0,
            prefix_len: 0,
            suffix_len: 0,
        });
    }
    packer.chunks
}

/// [`split`] as plain strings, for plain text.
pub fn split_text(content: &str, max_bytes: usize) -> Vec<String> {
    texts(split(content, max_bytes, Syntax::Text))
}

/// [`split`] as plain strings, for markdown.
pub fn split_markdown(content: &str, max_bytes: usize) -> Vec<String> {
    texts(split(content, max_bytes, Syntax::Markdown))
}

fn texts(chunks: Vec<Chunk>) -> Vec<String> {
    chunks.into_iter().map(|chunk| chunk.text).collect()
}

/// A unit the packer keeps whole when it can.
#[derive(Debug)]
struct Block {
    range: Range<usize>,
    kind: BlockKind,
}

#[derive(Debug)]
enum BlockKind {
    /// One line.
    Line,
    /// A fenced code block; `open` is the length of its opening line, `fence` its marker.
    Fence { open: usize, fence: String },
    /// A table; `header` is the length of its header and delimiter rows.
    Table { header: usize },
}

/// Lines with their byte ranges, each including its `\n`.
fn lines(content: &str, offset: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    content.split_inclusive('\n').scan(offset, |start, line| {
        let range = *start..*start + line.len();
        *start = range.end;
        Some(range)
    })
}

fn blocks(content: &str, syntax: Syntax) -> Vec<Block> {
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
pub(crate) struct FenceOpen {
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
pub(crate) fn fence_open(line: &str) -> Option<FenceOpen> {
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
pub(crate) fn fence_closes(open: &FenceOpen, line: &str) -> bool {
    let Some(rest) = unindent(line) else {
        return false;
    };
    let count = rest.chars().take_while(|c| *c == open.marker).count();
    count >= open.count && rest[count * open.marker.len_utf8()..].trim().is_empty()
}

/// A GFM table delimiter row: `|---|:--:|`, `--- | ---`.
fn is_delimiter_row(line: &str) -> bool {
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

/// Packs blocks greedily into chunks. The chunk being filled is `prefix + content[start..end]`.
struct Packer<'a> {
    content: &'a str,
    max: usize,
    /// Whether a cut inside a line must avoid leaving a code fence at the start of the rest.
    markdown: bool,
    chunks: Vec<Chunk>,
    prefix: String,
    start: usize,
    end: usize,
}

impl Packer<'_> {
    fn len(&self) -> usize {
        self.prefix.len() + (self.end - self.start)
    }

    fn is_empty(&self) -> bool {
        self.prefix.is_empty() && self.start == self.end
    }

    fn push(&mut self, block: &Block) {
        let len = block.range.len();
        if self.len() + len <= self.max {
            self.end = block.range.end;
            return;
        }
        if len > self.max && self.can_continue_into(block) {
            // It will be split anyway: start it here rather than send what precedes it (say,
            // its heading) as a message of its own.
            self.split_block(block);
            return;
        }
        self.flush();
        if len <= self.max {
            self.end = block.range.end;
            return;
        }
        self.split_block(block);
    }

    /// Whether a code block or table too long for any chunk can start in the (non-empty) chunk
    /// being filled: its header, its first body line and a closing fence must fit, and its
    /// header must be short enough to be repeated (see [`Packer::split_block`]). A long line
    /// still starts a chunk of its own, so plain text is cut between lines where it can be.
    fn can_continue_into(&self, block: &Block) -> bool {
        if self.is_empty() {
            return false;
        }
        let (header, close) = match &block.kind {
            BlockKind::Line => return false,
            // The closing fence, on its own line.
            BlockKind::Fence { open, fence } => (*open, fence.len() + 2),
            BlockKind::Table { header } => (*header, 0),
        };
        if header + close + 1 + MIN_MAX_BYTES > self.max {
            return false;
        }
        let body = block.range.start + header;
        let first_line = lines(&self.content[body..block.range.end], body)
            .next()
            .map_or(0, |line| line.len());
        self.len() + header + first_line + close <= self.max
    }

    /// Emits the chunk being filled (if any) with `suffix`, and starts the next one after it
    /// with `next_prefix`.
    fn emit(&mut self, suffix: &str, next_prefix: &str) {
        let original = &self.content[self.start..self.end];
        let mut text = String::with_capacity(self.prefix.len() + original.len() + suffix.len());
        text.push_str(&self.prefix);
        text.push_str(original);
        text.push_str(suffix);
        self.chunks.push(Chunk {
            text,
            source: self.start..self.end,
            prefix_len: self.prefix.len(),
            suffix_len: suffix.len(),
        });
        self.prefix = next_prefix.to_owned();
        self.start = self.end;
    }

    fn flush(&mut self) {
        if !self.is_empty() {
            self.emit("", "");
        }
    }

    /// Splits a block longer than a chunk; called at the block's start with an empty chunk, or
    /// one with room for the block's header and first line ([`Packer::can_continue_into`]).
    /// The last piece stays the chunk being filled, so following blocks can join it.
    fn split_block(&mut self, block: &Block) {
        let content = self.content;
        let (header, mut repeat, mut close) = match &block.kind {
            BlockKind::Line => (0, "", String::new()),
            BlockKind::Fence { open, fence } => (
                *open,
                &content[block.range.start..block.range.start + open],
                format!("{fence}\n"),
            ),
            BlockKind::Table { header } => (
                *header,
                &content[block.range.start..block.range.start + header],
                String::new(),
            ),
        };
        // Room for the repeated header, a closing fence after a cut line, and one character.
        if repeat.len() + close.len() + 1 + MIN_MAX_BYTES > self.max {
            (repeat, close) = ("", String::new());
        }
        // Bytes of the first piece that are the block's own header, not its body.
        let mut body_start = block.range.start + if repeat.is_empty() { 0 } else { header };
        for line in lines(&content[block.range.clone()], block.range.start) {
            let mut line = line;
            while !line.is_empty() {
                // The rest of the block fits: it is the last piece and needs no closing fence.
                if self.len() + (block.range.end - self.end) <= self.max {
                    self.end = block.range.end;
                    return;
                }
                // Keep room for a closing fence, preceded by a newline if a line was cut.
                let reserve = if close.is_empty() { 0 } else { close.len() + 1 };
                let room = self.max - self.len() - reserve;
                if line.len() <= room {
                    self.end = line.end;
                    break;
                }
                if self.end > body_start {
                    // The piece has some body: end it here, between lines.
                    self.finish_piece(&close, repeat);
                    body_start = self.start;
                    continue;
                }
                // A single line longer than a piece: cut it on a character boundary.
                let cut = self.cut_point(&content[line.clone()], room);
                self.end = line.start + cut;
                line.start += cut;
                self.finish_piece(&close, repeat);
                body_start = self.start;
            }
        }
    }

    /// Where to cut a line that does not fit in `room` bytes: the last character boundary
    /// within `room`. In markdown the cut moves back while the rest of the line would start
    /// with a code fence, since that rest begins a line of the next chunk, where it would open
    /// (or close) a code block that the input does not have. A line that is a fence at every
    /// cut (a run of thousands of backticks) is cut at `room` anyway.
    fn cut_point(&self, text: &str, room: usize) -> usize {
        let mut cut = truncate_utf8(text, room).len();
        if self.markdown {
            let mut candidate = cut;
            while candidate > 0 && fence_open(&text[candidate..]).is_some() {
                candidate = text[..candidate]
                    .char_indices()
                    .next_back()
                    .map_or(0, |(at, _)| at);
            }
            if candidate > 0 {
                cut = candidate;
            }
        }
        if cut == 0 {
            // Unreachable with MIN_MAX_BYTES, but never loop forever.
            cut = text.chars().next().map_or(text.len(), char::len_utf8);
        }
        cut
    }

    fn finish_piece(&mut self, close: &str, repeat: &str) {
        let suffix = if close.is_empty() || self.content[..self.end].ends_with('\n') {
            close.to_owned()
        } else {
            format!("\n{close}")
        };
        self.emit(&suffix, repeat);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn originals(chunks: &[Chunk]) -> String {
        chunks.iter().map(Chunk::original).collect()
    }

    #[test]
    fn content_that_fits_is_one_unchanged_chunk() {
        let chunks = split("hello\nworld", 100, Syntax::Markdown);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "hello\nworld");
        assert_eq!(split("", 10, Syntax::Text)[0].text, "");
    }

    #[test]
    fn text_is_cut_between_lines() {
        let chunks = split_text("aaaa\nbbbb\ncccc\n", 10);
        assert_eq!(chunks, vec!["aaaa\nbbbb\n", "cccc\n"]);
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_cut_on_character_boundaries() {
        let line = "中".repeat(10); // 30 bytes
        let chunks = split_text(&line, 10);
        assert_eq!(chunks, vec!["中中中", "中中中", "中中中", "中"]);
    }

    #[test]
    fn a_code_block_that_fits_is_moved_whole_to_the_next_chunk() {
        let content = "intro line\n```\ncode 1\ncode 2\n```\n";
        let chunks = split_markdown(content, 30);
        assert_eq!(chunks, vec!["intro line\n", "```\ncode 1\ncode 2\n```\n"]);
    }

    #[test]
    fn a_long_code_block_is_closed_and_reopened_with_its_info_string() {
        let content = "```rust\nlet a = 1;\nlet b = 2;\nlet c = 3;\n```\nafter\n";
        // 32 bytes hold the reopened fence, one 11-byte line and the closing fence, not two lines.
        let chunks = split(content, 32, Syntax::Markdown);
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "```rust\nlet a = 1;\n```\n",
                "```rust\nlet b = 2;\n```\n",
                "```rust\nlet c = 3;\n```\nafter\n",
            ]
        );
        assert_eq!(chunks[0].suffix(), "```\n");
        assert_eq!(chunks[1].prefix(), "```rust\n");
        assert_eq!(originals(&chunks), content);
    }

    #[test]
    fn a_long_line_inside_a_code_block_is_cut_with_the_fence_closed_on_its_own_line() {
        let content = format!("~~~\n{}\n~~~\n", "x".repeat(40));
        let chunks = split(&content, 24, Syntax::Markdown);
        for chunk in &chunks {
            assert!(chunk.text.len() <= 24, "{chunk:?}");
            assert!(chunk.text.starts_with("~~~\n"), "{chunk:?}");
            assert!(chunk.text.ends_with("~~~\n"), "{chunk:?}");
        }
        assert_eq!(originals(&chunks), content);
    }

    #[test]
    fn a_heading_stays_with_the_first_piece_of_a_code_block_too_long_for_one_chunk() {
        let content = "# Log\n```\nline 1\nline 2\nline 3\n```\n";
        // 26 bytes: the heading, the fence and one line, closed; then the rest, reopened.
        let chunks = split_markdown(content, 26);
        assert_eq!(
            chunks,
            vec!["# Log\n```\nline 1\n```\n", "```\nline 2\nline 3\n```\n"]
        );
    }

    #[test]
    fn a_long_table_repeats_its_header_in_each_chunk() {
        let content = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n| 5 | 6 |\n";
        // 40 bytes: the 20-byte header and two rows, then the header again and the last row.
        let chunks = split(content, 40, Syntax::Markdown);
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n",
                "| a | b |\n|---|---|\n| 5 | 6 |\n",
            ]
        );
        assert_eq!(originals(&chunks), content);
    }

    #[test]
    fn fences_follow_commonmark() {
        assert!(fence_open("```rust\n").is_some());
        assert!(fence_open("   ~~~~\n").is_some());
        assert!(
            fence_open("    ```\n").is_none(),
            "4 spaces is an indented code block"
        );
        assert!(fence_open("``\n").is_none());
        assert!(fence_open("```a`b\n").is_none());
        let open = fence_open("````\n").unwrap();
        assert!(!fence_closes(&open, "```\n"));
        assert!(fence_closes(&open, "`````  \n"));
        assert!(!fence_closes(&open, "~~~~\n"));
    }

    #[test]
    fn table_delimiter_rows_are_recognised() {
        assert!(is_delimiter_row("|---|:---:|\n"));
        assert!(is_delimiter_row("--- | ---\n"));
        assert!(!is_delimiter_row("---\n"), "a thematic break");
        assert!(!is_delimiter_row("| a | b |\n"));
    }

    /// Whether each chunk opens and closes its code blocks: parse it line by line and report an
    /// unclosed fence at its end.
    fn ends_inside_a_fence(text: &str) -> bool {
        let mut open: Option<FenceOpen> = None;
        for line in text.split_inclusive('\n') {
            match open {
                Some(fence) if fence_closes(&fence, line) => open = None,
                Some(_) => {}
                None => open = fence_open(line),
            }
        }
        open.is_some()
    }

    fn markdown_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("```\n".to_owned()),
            Just("```rust\n".to_owned()),
            Just("~~~~\n".to_owned()),
            Just("| a | b |\n".to_owned()),
            Just("|---|---|\n".to_owned()),
            Just("| 中 | 😀 |\n".to_owned()),
            Just("\n".to_owned()),
            "[a-z 中😀é|`#*-]{0,12}\n",
            "[a-z 中😀]{20,120}\n",
            "[a-z 中😀]{0,30}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn chunks_fit_and_reassemble_into_the_input(
            lines in prop::collection::vec(markdown_line(), 0..60),
            max in 24_usize..400,
            markdown in any::<bool>(),
        ) {
            let content = lines.concat();
            let syntax = if markdown { Syntax::Markdown } else { Syntax::Text };
            let chunks = split(&content, max, syntax);
            let mut next = 0;
            for chunk in &chunks {
                prop_assert!(chunk.text.len() <= max, "{} > {max}: {chunk:?}", chunk.text.len());
                prop_assert!(!chunk.original().is_empty() || content.is_empty());
                prop_assert_eq!(chunk.source.start, next);
                prop_assert_eq!(&content[chunk.source.clone()], chunk.original());
                next = chunk.source.end;
            }
            prop_assert_eq!(next, content.len());
            prop_assert_eq!(originals(&chunks), content);
            if syntax == Syntax::Text {
                prop_assert!(chunks.iter().all(|c| c.prefix().is_empty() && c.suffix().is_empty()));
            }
        }

        #[test]
        fn no_chunk_breaks_a_code_block(
            lines in prop::collection::vec(markdown_line(), 0..60),
            max in 24_usize..400,
        ) {
            let content = lines.concat();
            let chunks = split(&content, max, Syntax::Markdown);
            let input_ends_open = ends_inside_a_fence(&content);
            for (i, chunk) in chunks.iter().enumerate() {
                let last = i + 1 == chunks.len();
                if !(last && input_ends_open) {
                    prop_assert!(!ends_inside_a_fence(&chunk.text), "chunk {i} of {chunks:#?}");
                }
            }
        }

        #[test]
        fn text_splitting_only_cuts_between_lines_unless_a_line_is_too_long(
            lines in prop::collection::vec("[a-z 中]{0,30}\n", 1..40),
            max in 100_usize..400,
        ) {
            let content = lines.concat();
            for chunk in split(&content, max, Syntax::Text) {
                prop_assert!(chunk.text.ends_with('\n'));
            }
        }
    }
}
