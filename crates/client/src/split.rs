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

mod blocks;
mod pack;
mod request;

use std::ops::Range;

use blocks::blocks;
use pack::Packer;
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::blocks::{FenceOpen, fence_closes, fence_open, is_delimiter_row};
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
