//! The n-grams of the search index (see `search.rs`, "Why n-grams of hashes"): the tokens the
//! indexer stores for a message's text and the ones a query term asks for.
//!
//! A text gives every trigram and every bigram holding a non-ASCII character, each hashed to
//! 30 bits and spelled as a 6-letter token FTS5's `ascii` tokenizer keeps whole. The index is
//! `detail=none`: it records which messages hold a token, not where or how often, so a message's
//! tokens are each given once, in any order.

/// Changes whenever the n-grams, their hashes or the index's tables change: an index of another
/// version is rebuilt. (Not when only the order of a message's tokens changes: the index holds
/// sets.) 2: one entry per run of messages with the same content (`indexer.rs`).
pub(super) const INDEX_VERSION: i64 = 2;

/// The index tokens of `text` (searchable text, any case), space-separated: what the indexer
/// stores for a message.
#[cfg(test)]
pub(super) fn index_tokens(text: &str) -> String {
    let mut scratch = TokenScratch::default();
    index_tokens_into(text, &mut scratch);
    scratch.tokens
}

/// Buffers [`index_tokens_into`] reuses from one message to the next: the indexer makes no
/// allocation per message or per token (a `String` per token and a `BTreeSet` were a fifth
/// of its time).
#[derive(Debug, Default)]
pub(super) struct TokenScratch {
    chars: Vec<char>,
    seen: GramSet,
    /// The tokens of the last text, space-separated, in the order their n-grams first occur.
    pub tokens: String,
}

/// The index tokens of `text` (searchable text, any case) into `scratch.tokens`: every distinct
/// n-gram hash once, as its [`token`].
pub(super) fn index_tokens_into(text: &str, scratch: &mut TokenScratch) {
    let TokenScratch {
        chars,
        seen,
        tokens,
    } = scratch;
    chars.clear();
    chars.extend(text.chars().map(|c| c.to_ascii_lowercase()));
    seen.clear();
    tokens.clear();
    let trigrams = chars.windows(3);
    let bigrams = chars
        .windows(2)
        .filter(|window| !window.iter().all(char::is_ascii));
    for gram in trigrams.chain(bigrams).map(hash) {
        if seen.insert(gram) {
            if !tokens.is_empty() {
                tokens.push(' ');
            }
            push_token(tokens, gram);
        }
    }
}

/// The n-grams of a lowercased query term the index can answer (see the module doc).
pub(super) fn query_grams(term: &str) -> Vec<u32> {
    let chars: Vec<char> = term.chars().collect();
    match chars.len() {
        0 | 1 => Vec::new(),
        2 if chars.iter().all(char::is_ascii) => Vec::new(),
        2 => vec![hash(&chars)],
        _ => {
            let mut grams: Vec<u32> = chars.windows(3).map(hash).collect();
            grams.dedup();
            grams
        }
    }
}

/// FNV-1a of the n-gram's UTF-8 (seeded by its length, so that bigrams and trigrams differ),
/// cut to 30 bits.
fn hash(gram: &[char]) -> u32 {
    let mut h: u32 = 0x811c_9dc5 ^ u32::try_from(gram.len()).unwrap_or(0);
    let mut buffer = [0u8; 4];
    for c in gram {
        for byte in c.encode_utf8(&mut buffer).bytes() {
            h ^= u32::from(byte);
            h = h.wrapping_mul(0x0100_0193);
        }
    }
    h & 0x3fff_ffff
}

/// Six base-32 letters and digits: a token FTS5's `ascii` tokenizer keeps whole.
pub(super) fn token(gram: u32) -> String {
    let mut out = String::with_capacity(6);
    push_token(&mut out, gram);
    out
}

/// Appends [`token`]`(gram)` to `out`.
fn push_token(out: &mut String, gram: u32) {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    out.extend((0..6).map(|i| char::from(ALPHABET[((gram >> (i * 5)) & 31) as usize])));
}

/// The n-gram hashes seen in one text: an open-addressing set of 30-bit hashes, kept at most
/// half full, that starts small for each text and doubles as it fills. Sorting the hashes to
/// drop repeats was a fifth of the indexer's time on a 2 KB markdown message. It starts small
/// because a templated message has far fewer distinct n-grams than characters: a first version
/// sized for the text's length (32 KiB for 2 KB) spent most of its time waiting on its probes.
#[derive(Debug, Default)]
struct GramSet {
    /// `hash + 1` per used slot, 0 for a free one (a 30-bit hash + 1 is never 0).
    slots: Vec<u32>,
    len: usize,
    /// The previous table while [`GramSet::grow`] moves it: kept, so that a text of many
    /// n-grams allocates nothing once the first such text has been seen.
    spare: Vec<u32>,
}

impl GramSet {
    /// Slots of an emptied set: 4 KiB, within the L1 cache.
    const FIRST_SIZE: usize = 1024;

    /// Empties the set.
    fn clear(&mut self) {
        self.slots.clear();
        self.slots.resize(Self::FIRST_SIZE, 0);
        self.len = 0;
    }

    /// Adds `gram`; whether it was new.
    fn insert(&mut self, gram: u32) -> bool {
        if self.slots.is_empty() {
            self.clear();
        }
        if Self::place(&mut self.slots, gram) {
            self.len += 1;
            if 2 * self.len > self.slots.len() {
                self.grow();
            }
            return true;
        }
        false
    }

    /// Doubles the table, placing every hash again.
    fn grow(&mut self) {
        self.spare.clear();
        self.spare.resize(2 * self.slots.len(), 0);
        std::mem::swap(&mut self.slots, &mut self.spare);
        for &stored in self.spare.iter().filter(|&&stored| stored != 0) {
            Self::place(&mut self.slots, stored - 1);
        }
    }

    /// Puts `gram` in `slots` unless it is there; whether it was new.
    fn place(slots: &mut [u32], gram: u32) -> bool {
        let mask = slots.len() - 1;
        let stored = gram + 1;
        // The hashes are FNV already: their low bits pick the slot.
        let mut slot = gram as usize & mask;
        loop {
            match slots[slot] {
                0 => {
                    slots[slot] = stored;
                    return true;
                }
                used if used == stored => return false,
                _ => slot = (slot + 1) & mask,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    /// What the indexer stored when it sorted the hashes (a `BTreeSet`, a `String` per token):
    /// version 1 indexes hold these sets of tokens.
    fn reference(text: &str) -> BTreeSet<String> {
        let chars: Vec<char> = text.to_ascii_lowercase().chars().collect();
        let mut grams = BTreeSet::new();
        grams.extend(chars.windows(3).map(hash));
        grams.extend(
            chars
                .windows(2)
                .filter(|w| !w.iter().all(char::is_ascii))
                .map(hash),
        );
        grams.into_iter().map(token).collect()
    }

    /// The tokens of `text` as the indexer gives them, checked to be each there once.
    fn distinct_tokens(text: &str, scratch: &mut TokenScratch) -> BTreeSet<String> {
        index_tokens_into(text, scratch);
        let listed: Vec<&str> = scratch
            .tokens
            .split(' ')
            .filter(|t| !t.is_empty())
            .collect();
        let set: BTreeSet<String> = listed.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(set.len(), listed.len(), "a token twice for {text:?}");
        set
    }

    #[test]
    fn index_tokens_are_the_version_1_set_each_once() {
        let mut scratch = TokenScratch::default();
        let long = "> **check 1**: passed in `1ms`\\n".repeat(200);
        for text in [
            "",
            "a",
            "ab",
            "abc",
            "【告警】DB-7 磁盘 91%\nabcabc",
            "ÀÉ x ÀÉ",
            "ok\n",
            long.as_str(),
            "short after a long one",
        ] {
            assert_eq!(
                distinct_tokens(text, &mut scratch),
                reference(text),
                "{text}"
            );
            assert_eq!(index_tokens(text), scratch.tokens, "{text}");
        }
    }

    proptest! {
        #[test]
        fn any_text_gives_the_version_1_set(texts in prop::collection::vec(".{0,300}", 1..4)) {
            // One scratch for all: what one text leaves behind must not leak into the next.
            let mut scratch = TokenScratch::default();
            for text in &texts {
                prop_assert_eq!(distinct_tokens(text, &mut scratch), reference(text));
            }
        }
    }
}
