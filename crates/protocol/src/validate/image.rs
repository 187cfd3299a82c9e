//! `image`: base64 decoding, size and format, then the md5 (spec §2.5).

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use md5::{Digest, Md5};

use crate::error::ErrorCode;
use crate::limit::IMAGE_MAX_BYTES;
use crate::media::ImageFormat;
use crate::message::Image;

use super::ImageData;

/// The standard alphabet; padding optional, since some encoders drop it and the length is
/// unambiguous without it.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes the picture and checks its size and format (steps 5 and 6 of `parse_send`).
pub(super) fn decode(image: &Image) -> Result<ImageData, ErrorCode> {
    // Real encoders wrap lines (MIME: 76 columns, `base64` tool: 76, openssl: 64), so whitespace
    // is dropped before decoding rather than rejected.
    // Most senders do not wrap, so the stripped copy (8% of an image request's CPU when built
    // byte by byte) is only made when there is whitespace to strip.
    let raw = image.base64.as_bytes();
    let stripped: Vec<u8>;
    let compact: &[u8] = if raw.iter().any(u8::is_ascii_whitespace) {
        stripped = raw
            .iter()
            .copied()
            .filter(|byte| !byte.is_ascii_whitespace())
            .collect();
        &stripped
    } else {
        raw
    };
    if compact.is_empty() {
        // [U] 44001 `empty media data` for an image message without base64.
        return Err(ErrorCode::EMPTY_MEDIA_DATA);
    }
    let bytes = STANDARD_LENIENT
        .decode(compact)
        // [U] 40058 for base64 that does not decode.
        .map_err(|_| ErrorCode::invalid_parameter("image.base64", "is not valid base64"))?;
    if bytes.len() > IMAGE_MAX_BYTES {
        // [U] 40009 `invalid image size` for a picture over 2 MB.
        return Err(ErrorCode::INVALID_IMAGE_SIZE);
    }
    // [U] 40005 `invalid file type` for a picture that is neither JPG nor PNG.
    let format = ImageFormat::sniff(&bytes).ok_or(ErrorCode::INVALID_FILE_TYPE)?;
    Ok(ImageData { bytes, format })
}

/// Compares `image.md5` with the md5 of the decoded bytes (step 8 of `parse_send`).
pub(super) fn check_md5(image: &Image, data: &ImageData) -> Result<(), ErrorCode> {
    let digest = Md5::digest(&data.bytes);
    let expected = hex_lower(&digest);
    // [U] md5 hex compared case-insensitively: every client sends lowercase, uppercase is as valid.
    // [U] 301019 for an absent md5 too: it cannot match.
    if image.md5.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(ErrorCode::MEDIA_MD5_NOT_MATCH)
    }
}

/// Lowercase hex, as `md5sum` prints it.
pub fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    hex
}

/// The `image` body for `picture`: its standard base64 and lowercase md5 hex.
pub fn image_body(picture: &[u8]) -> Image {
    Image {
        base64: general_purpose::STANDARD.encode(picture),
        md5: hex_lower(&Md5::digest(picture)),
    }
}
