//! The n-grams of the search index (see `search.rs`, "Why n-grams of hashes"): the tokens the
//! indexer stores for a message's text and the ones a query term asks for.
//!
//! A text gives every trigram and every bigram holding a non-ASCII character, each hashed to
//! 30 bits and spelled as a 6-letter token FTS5's `ascii` tokenizer keeps whole. The index is
//! `detail=none`: it records which messages hold a token, not where or how often, so a message's
//! tokens are each given once, in any order.

/// Changes whenever the n-grams, their hashes or the index's tables change: an index of another
/// version is rebuilt. (Not when only the order of a message's tokens changes: the index holds
/// sets.) 2: one entry per run of messages with the same content (`indexer.rs`). 3: the n-gram
/// hash packs the characters and multiplies ([`hash`]) instead of FNV over their UTF-8.
pub(super) const INDEX_VERSION: i64 = 3;

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
    let mut add = |gram: u32| {
        if seen.insert(gram) {
            if !tokens.is_empty() {
                tokens.push(' ');
            }
            push_token(tokens, gram);
        }
    };
    // One pass: the trigram starting at each character, and the bigram too when it holds a
    // non-ASCII character.
    for (at, pair) in chars.windows(2).enumerate() {
        if let Some(&third) = chars.get(at + 2) {
            add(hash(&[pair[0], pair[1], third]));
        }
        if !(pair[0].is_ascii() && pair[1].is_ascii()) {
            add(hash(pair));
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

/// The n-gram's hash, 30 bits. A character is at most 21 bits, so a bigram or a trigram packs
/// into 63 bits whole (the top bit marks a bigram, which a trigram starting with U+0000
/// would otherwise equal); a multiply, a shift-xor and a multiply mix them. FNV-1a over the
/// UTF-8 bytes (versions 1 and 2) made the indexer 4-11% slower on 2 KB markdown messages.
fn hash(gram: &[char]) -> u32 {
    let packed = gram.iter().fold(0u64, |key, &c| (key << 21) | u64::from(c));
    let key = if gram.len() == 2 {
        packed | 1 << 63
    } else {
        packed
    };
    let mixed = key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mixed = (mixed ^ (mixed >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    u32::try_from(mixed >> 34).unwrap_or(0)
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
        // The hashes are mixed already: their low bits pick the slot.
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

    /// The tokens the module doc names, computed the plain way (two passes, a `BTreeSet`, a
    /// `String` per token), as version 1 of the indexer did.
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
    fn index_tokens_are_the_reference_set_each_once() {
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

    #[test]
    fn a_bigram_and_the_trigram_that_starts_with_nul_differ() {
        assert_ne!(hash(&['a', 'b']), hash(&['\0', 'a', 'b']));
        assert_ne!(hash(&['告', '警']), hash(&['\0', '告', '警']));
    }

    /// Collisions only cost exact checks of more candidates, but a hash that keeps too few of
    /// the characters' bits would make most searches scan. 30 bits for n distinct n-grams
    /// should give about n² / 2³¹ pairs that collide (~340 for the printable ASCII trigrams).
    #[test]
    fn distinct_ngrams_rarely_share_a_hash() {
        let printable: Vec<char> = (' '..='~').collect();
        let mut trigrams = Vec::new();
        for &a in &printable {
            for &b in &printable {
                trigrams.extend(printable.iter().map(|&c| hash(&[a, b, c])));
            }
        }
        let cjk: Vec<char> = ('\u{4e00}'..'\u{51e8}').collect();
        let mut bigrams = Vec::new();
        for &a in &cjk {
            bigrams.extend(cjk.iter().map(|&b| hash(&[a, b])));
        }
        for (what, hashes, most) in [
            ("ASCII trigrams", trigrams, 1_000),
            ("CJK bigrams", bigrams, 2_000),
        ] {
            let distinct: std::collections::HashSet<u32> = hashes.iter().copied().collect();
            let collisions = hashes.len() - distinct.len();
            assert!(collisions < most, "{what}: {collisions} collisions");
            assert!(hashes.iter().all(|&h| h < 1 << 30), "{what}: over 30 bits");
        }
    }

    proptest! {
        #[test]
        fn any_text_gives_the_reference_set(texts in prop::collection::vec(".{0,300}", 1..4)) {
            // One scratch for all: what one text leaves behind must not leak into the next.
            let mut scratch = TokenScratch::default();
            for text in &texts {
                prop_assert_eq!(distinct_tokens(text, &mut scratch), reference(text));
            }
        }
    }
}
