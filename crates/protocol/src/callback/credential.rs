//! The two secrets of a bot's callbacks, Token and EncodingAESKey (spec §8.2): WeCom's rules for
//! them, and generators that take their randomness from the caller.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use super::crypto::CryptoError;

/// The length of an EncodingAESKey: 32 bytes in Base64 without its one `=`.
pub const ENCODING_AES_KEY_LEN: usize = 43;
/// The shortest Token WeCom's console accepts ("3–32 letters/digits", spec §8.2).
pub const TOKEN_MIN_LEN: usize = 3;
/// The longest Token WeCom's console accepts.
pub const TOKEN_MAX_LEN: usize = 32;

/// Base64 for keys and ciphertexts as the sample libraries read them: bits past the last whole
/// byte are ignored (43 random letters and digits usually leave such a stray bit; the spec's test
/// key, ending in `…B2C`, does) and the `=` padding may be present or not.
pub(super) const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Checks a Token against WeCom's rule: 3 to 32 ASCII letters and digits.
///
/// # Errors
/// [`CryptoError::InvalidToken`] saying which part of the rule it breaks.
pub fn validate_token(token: &str) -> Result<(), CryptoError> {
    if let Some(c) = token.chars().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(CryptoError::InvalidToken(format!(
            "{c:?} is not an ASCII letter or digit"
        )));
    }
    // ASCII from here on: bytes are characters.
    let len = token.len();
    if !(TOKEN_MIN_LEN..=TOKEN_MAX_LEN).contains(&len) {
        return Err(CryptoError::InvalidToken(format!(
            "it must be {TOKEN_MIN_LEN} to {TOKEN_MAX_LEN} characters, not {len}"
        )));
    }
    Ok(())
}

/// Checks an EncodingAESKey (43 ASCII letters and digits) and returns the AES key it encodes.
///
/// # Errors
/// [`CryptoError::InvalidAesKey`] saying which part of the rule it breaks.
pub fn validate_encoding_aes_key(encoding_aes_key: &str) -> Result<[u8; 32], CryptoError> {
    let count = encoding_aes_key.chars().count();
    if count != ENCODING_AES_KEY_LEN {
        // A pasted key with the `=` restored is the usual mistake.
        let hint = if encoding_aes_key.ends_with('=') {
            " (without the trailing `=`)"
        } else {
            ""
        };
        return Err(CryptoError::InvalidAesKey(format!(
            "it must be {ENCODING_AES_KEY_LEN} characters{hint}, not {count}"
        )));
    }
    if let Some(c) = encoding_aes_key
        .chars()
        .find(|c| !c.is_ascii_alphanumeric())
    {
        return Err(CryptoError::InvalidAesKey(format!(
            "{c:?} is not an ASCII letter or digit"
        )));
    }
    // 43 Base64 characters always decode to 32 bytes; the check keeps that explicit.
    let bytes = LENIENT
        .decode(encoding_aes_key)
        .map_err(|error| CryptoError::InvalidAesKey(format!("not base64: {error}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        CryptoError::InvalidAesKey(format!("it decodes to {} bytes, not 32", bytes.len()))
    })
}

/// The 62 characters of Tokens and EncodingAESKeys.
const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A 32-character Token (the longest WeCom accepts) made from the caller's random bytes.
pub fn token_from_random(random: [u8; 32]) -> String {
    // `byte % 62` makes 8 of the 62 characters a little likelier (5/256 instead of 4/256):
    // about 190 bits of randomness remain, far more than a signature secret needs.
    random
        .iter()
        .map(|&byte| char::from(ALPHANUMERIC[usize::from(byte) % ALPHANUMERIC.len()]))
        .collect()
}

/// An EncodingAESKey made from the caller's 32 random bytes: their Base64 without the `=`.
///
/// Base64 may contain `+` and `/`, which WeCom's keys never do; those two become `A` and `B` (the
/// key then differs from `random` in those places, and about 3 of its 256 bits lose their
/// randomness). The last character is always a letter or digit and leaves no stray bits, so even
/// a strict Base64 decoder reads the key.
pub fn encoding_aes_key_from_random(random: [u8; 32]) -> String {
    let base64 = STANDARD.encode(random);
    base64
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => 'A',
            '/' => 'B',
            other => other,
        })
        .collect()
}
