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
    let raw = image.base64.as_bytes();
    // Most senders do not wrap lines, so the text is decoded as sent first: looking for
    // whitespace in 137 KB of Base64 beforehand was 11% of an image request's CPU. Real encoders
    // that do wrap (MIME: 76 columns, `base64` tool: 76, openssl: 64) fail that decode at their
    // first line break, early, and are decoded again without their whitespace.
    let (bytes, as_sent) = match STANDARD_LENIENT.decode(raw) {
        Ok(bytes) if !bytes.is_empty() => (bytes, true),
        _ => {
            let compact: Vec<u8> = raw
                .iter()
                .copied()
                .filter(|byte| !byte.is_ascii_whitespace())
                .collect();
            if compact.is_empty() {
                // [U] 44001 `empty media data` for an image message without base64.
                return Err(ErrorCode::EMPTY_MEDIA_DATA);
            }
            let bytes = STANDARD_LENIENT
                .decode(&compact)
                // [U] 40058 for base64 that does not decode.
                .map_err(|_| ErrorCode::invalid_parameter("image.base64", "is not valid base64"))?;
            (bytes, false)
        }
    };
    if bytes.len() > IMAGE_MAX_BYTES {
        // [U] 40009 `invalid image size` for a picture over 2 MB.
        return Err(ErrorCode::INVALID_IMAGE_SIZE);
    }
    // [U] 40005 `invalid file type` for a picture that is neither JPG nor PNG.
    let format = ImageFormat::sniff(&bytes).ok_or(ErrorCode::INVALID_FILE_TYPE)?;
    // The decoder rejects non-zero trailing bits, so text without whitespace at the padded length
    // has one possible spelling: the canonical one.
    let canonical = as_sent && raw.len() == bytes.len().div_ceil(3) * 4;
    Ok(ImageData {
        bytes,
        format,
        canonical,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn image(base64: &str) -> Image {
        Image {
            base64: base64.to_owned(),
            md5: String::new(),
        }
    }

    #[test]
    fn only_padded_unwrapped_base64_is_canonical_and_every_spelling_decodes_alike() {
        for len in [8usize, 9, 10, 11, 100] {
            let mut picture = b"\x89PNG\r\n\x1a\n".to_vec();
            picture.extend((0..len - 8).map(|i| u8::try_from(i * 7 % 251).unwrap()));
            let padded = general_purpose::STANDARD.encode(&picture);
            let unpadded = padded.trim_end_matches('=');
            let wrapped = format!("{}\r\n{}\n", &padded[..4], &padded[4..]);
            for (text, canonical) in [
                (&*padded, true),
                (unpadded, unpadded == padded),
                (&wrapped, false),
            ] {
                let data = decode(&image(text)).expect(text);
                assert_eq!(data.bytes, picture, "{text}");
                assert_eq!(data.format, ImageFormat::Png);
                assert_eq!(data.canonical, canonical, "{text}");
            }
        }
    }

    #[test]
    fn empty_whitespace_only_and_undecodable_base64_get_their_errcodes() {
        for text in ["", " \n\t"] {
            assert_eq!(
                decode(&image(text)).unwrap_err(),
                ErrorCode::EMPTY_MEDIA_DATA,
                "{text:?}"
            );
        }
        for text in ["iVBO*", "iVBO\n*", "a"] {
            assert_eq!(decode(&image(text)).unwrap_err().code(), 40058, "{text:?}");
        }
        let jpeg_and_gif = ["/9j/", "R0lGODlh"];
        assert_eq!(
            decode(&image(jpeg_and_gif[0])).unwrap().format,
            ImageFormat::Jpeg
        );
        assert_eq!(
            decode(&image(jpeg_and_gif[1])).unwrap_err(),
            ErrorCode::INVALID_FILE_TYPE
        );
    }
}
