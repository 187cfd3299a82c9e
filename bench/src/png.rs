//! Valid PNG pictures of a chosen size, distinct per request at almost no cost per request.
//!
//! Every `image` request must carry a different picture (WeCom refuses concurrent identical
//! bodies) with its true md5, and hashing plus base64-encoding 100 KB per request would cost the
//! generator more CPU than the server spends. So the picture is split in two: a fixed prefix
//! (signature, header, pixels) whose base64 text and md5 state are computed once, and a small
//! tail (a `tEXt` chunk holding the request's sequence number, then `IEND`) encoded per request.
//! The prefix length is a multiple of 3, so the two base64 texts simply concatenate.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};

/// A picture family: fixed prefix, per-request tail.
#[derive(Clone)]
pub struct PngFamily {
    prefix_base64: String,
    prefix_md5: Md5,
}

/// One picture of the family, ready for an `image` message.
pub struct Picture {
    pub base64: String,
    pub md5_hex: String,
}

impl PngFamily {
    /// A family of greyscale pictures of about `bytes` bytes (uncompressed pixels).
    pub fn new(bytes: usize) -> PngFamily {
        let prefix = prefix(bytes);
        let mut prefix_md5 = Md5::new();
        prefix_md5.update(&prefix);
        PngFamily {
            prefix_base64: STANDARD.encode(&prefix),
            prefix_md5,
        }
    }

    /// The whole picture number `seq` as raw bytes.
    #[cfg(test)]
    pub fn bytes(&self, seq: u64) -> Vec<u8> {
        let mut all = STANDARD.decode(&self.prefix_base64).unwrap_or_default();
        all.extend_from_slice(&tail(seq));
        all
    }

    /// Picture number `seq`: base64 and lowercase md5 hex.
    pub fn picture(&self, seq: u64) -> Picture {
        let tail = tail(seq);
        let mut base64 = String::with_capacity(self.prefix_base64.len() + tail.len() * 2);
        base64.push_str(&self.prefix_base64);
        STANDARD.encode_string(&tail, &mut base64);
        let mut md5 = self.prefix_md5.clone();
        md5.update(&tail);
        Picture {
            base64,
            md5_hex: hex(&md5.finalize()),
        }
    }
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Signature, `IHDR`, one `IDAT` of stored (uncompressed) deflate blocks and a padding `tEXt`
/// chunk: about `bytes` bytes, its length a multiple of 3.
fn prefix(bytes: usize) -> Vec<u8> {
    const WIDTH: u32 = 320;
    let rows = u32::try_from(bytes / (WIDTH as usize + 1))
        .unwrap_or(1)
        .max(1);
    let mut out = Vec::with_capacity(bytes + 1024);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&WIDTH.to_be_bytes());
    header.extend_from_slice(&rows.to_be_bytes());
    // Bit depth 8, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);

    // Pixels: noise, so that nobody's compression makes the picture smaller than announced.
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut raw = Vec::with_capacity(rows as usize * (WIDTH as usize + 1));
    for _ in 0..rows {
        raw.push(0); // filter: none
        raw.extend((0..WIDTH).map(|_| rng.u8(..)));
    }
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));

    // The padding chunk makes the prefix a multiple of 3 bytes: base64 texts then concatenate.
    let base = out.len() + 12 + b"Software\0hookpit-bench".len();
    let padding = (3 - base % 3) % 3;
    let mut text = b"Software\0hookpit-bench".to_vec();
    text.extend(std::iter::repeat_n(b'.', padding));
    // PNG allows ancillary text chunks after IDAT.
    chunk(&mut out, b"tEXt", &text);
    out
}

/// The per-request part: a `tEXt` comment naming `seq`, then `IEND`.
fn tail(seq: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    chunk(
        &mut out,
        b"tEXt",
        format!("Comment\0request {seq}").as_bytes(),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc32::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finish().to_be_bytes());
}

/// A zlib stream of stored deflate blocks (RFC 1950/1951): valid, and no compressor needed.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 65_535 * 5 + 16);
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        let length = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.push(last);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// CRC-32 (ISO-HDLC), as PNG chunks use it.
struct Crc32(u32);

impl Crc32 {
    fn new() -> Crc32 {
        Crc32(0xffff_ffff)
    }

    fn update(&mut self, data: &[u8]) {
        for &byte in data {
            self.0 ^= u32::from(byte);
            for _ in 0..8 {
                let mask = (self.0 & 1).wrapping_neg();
                self.0 = (self.0 >> 1) ^ (0xedb8_8320 & mask);
            }
        }
    }

    fn finish(&self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xcbf4_3926);
    }

    #[test]
    fn pictures_are_valid_png_of_the_requested_size_with_true_md5() {
        let family = PngFamily::new(100 * 1024);
        let bytes = family.bytes(7);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(bytes.ends_with(b"IEND\xae\x42\x60\x82"));
        assert!(
            (100 * 1024..110 * 1024).contains(&bytes.len()),
            "{}",
            bytes.len()
        );
        let picture = family.picture(7);
        assert_eq!(STANDARD.decode(&picture.base64).unwrap(), bytes);
        assert_eq!(picture.md5_hex, hex(&Md5::digest(&bytes)));
    }

    #[test]
    fn each_sequence_number_gives_a_different_picture() {
        let family = PngFamily::new(4096);
        assert_ne!(family.picture(1).md5_hex, family.picture(2).md5_hex);
    }

    #[test]
    fn every_chunk_carries_a_correct_crc() {
        let bytes = PngFamily::new(2000).bytes(3);
        let mut at = 8;
        let mut kinds = Vec::new();
        while at < bytes.len() {
            let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let kind = &bytes[at + 4..at + 8];
            let data = &bytes[at + 8..at + 8 + length];
            let stored =
                u32::from_be_bytes(bytes[at + 8 + length..at + 12 + length].try_into().unwrap());
            let mut crc = Crc32::new();
            crc.update(kind);
            crc.update(data);
            assert_eq!(crc.finish(), stored);
            kinds.push(String::from_utf8(kind.to_vec()).unwrap());
            at += 12 + length;
        }
        assert_eq!(kinds, ["IHDR", "IDAT", "tEXt", "tEXt", "IEND"]);
    }
}
