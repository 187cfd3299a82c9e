//! The packer: fills chunks greedily with blocks, splitting a block only when it cannot fit, and
//! then repeating a code fence or a table header so every chunk renders on its own.

use hookpit_protocol::truncate_utf8;

use super::blocks::{Block, BlockKind, fence_open, lines};
use super::{Chunk, MIN_MAX_BYTES};

/// Packs blocks greedily into chunks. The chunk being filled is `prefix + content[start..end]`.
pub(super) struct Packer<'a> {
    pub(super) content: &'a str,
    pub(super) max: usize,
    /// Whether a cut inside a line must avoid leaving a code fence at the start of the rest.
    pub(super) markdown: bool,
    pub(super) chunks: Vec<Chunk>,
    pub(super) prefix: String,
    pub(super) start: usize,
    pub(super) end: usize,
}

impl Packer<'_> {
    fn len(&self) -> usize {
        self.prefix.len() + (self.end - self.start)
    }

    fn is_empty(&self) -> bool {
        self.prefix.is_empty() && self.start == self.end
    }

    pub(super) fn push(&mut self, block: &Block) {
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

    pub(super) fn flush(&mut self) {
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
