//! WXBizMsgCrypt, the encryption and signature of bot callbacks (spec §8.4), for both ends: the
//! side that sends callbacks (WeCom, or a Hookpit) and the bot that receives them.
//!
//! - Key: `base64_decode(EncodingAESKey + "=")`, 32 bytes (AES-256); IV = the key's first 16 bytes.
//! - Plaintext: `random16 ‖ u32 big-endian length ‖ msg ‖ receiveid`, where the receiveid of a bot
//!   is the empty string ("在群机器人的使用场景里，receiveid直接传空字符串即可").
//! - Padding: PKCS#7 to 32-byte blocks (not AES's 16), so a full block of 32 × `0x20` when the
//!   plaintext is already aligned; then AES-256-CBC without library padding, then Base64.
//! - Signature: `sha1_hex(sorted([token, timestamp, nonce, encrypt]).concat())`, lowercase.
//!
//! The caller supplies the 16 random bytes, so this module stays free of randomness.

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use sha1::{Digest, Sha1};

use super::credential::{LENIENT, validate_encoding_aes_key};
use crate::validate::hex_lower;

/// WXBizMsgCrypt pads to 32-byte blocks (the sample library's `block_size = 32`), twice AES's.
const PAD_BLOCK: usize = 32;
/// AES's own block: every CBC ciphertext is a whole number of these.
const AES_BLOCK: usize = 16;
/// The random prefix and the big-endian length before the message.
const HEADER_LEN: usize = 16 + 4;

type Encryptor = cbc::Encryptor<Aes256>;
type Decryptor = cbc::Decryptor<Aes256>;

/// Why a callback could not be signed, verified, encrypted or decrypted.
///
/// [`CryptoError::code`] gives the matching code of Tencent's sample library (`ierror.py`), which
/// bot developers see in its logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The Token breaks WeCom's rule of 3–32 ASCII letters and digits.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The EncodingAESKey is not 43 letters and digits decoding to 32 bytes.
    #[error("invalid EncodingAESKey: {0}")]
    InvalidAesKey(String),
    /// `msg_signature` is not the SHA-1 of the sorted token, timestamp, nonce and ciphertext.
    #[error(
        "msg_signature {found:?} does not match the sha1 of the sorted token, timestamp, nonce and \
         ciphertext (a different Token, or parameters not URL-decoded exactly once?)"
    )]
    SignatureMismatch {
        /// The signature that came with the request.
        found: String,
    },
    /// The ciphertext is not Base64.
    #[error("the ciphertext is not base64: {reason}{hint}")]
    Base64 {
        /// What the decoder found.
        reason: String,
        /// A likely cause, or empty.
        hint: &'static str,
    },
    /// The decoded ciphertext is empty or not a whole number of 16-byte AES blocks.
    #[error("the ciphertext is {len} bytes, not a whole number of 16-byte AES blocks")]
    CiphertextLength {
        /// Its length in bytes.
        len: usize,
    },
    /// The ciphertext is whole AES blocks but not 32-byte ones: padded like AES, not WeCom (or
    /// truncated).
    #[error(
        "the ciphertext is {len} bytes, not a multiple of 32: it was padded to 16-byte blocks (as \
         AES libraries do by default) or cut short, but WXBizMsgCrypt pads with PKCS#7 to 32-byte \
         blocks"
    )]
    SixteenBytePadding {
        /// Its length in bytes.
        len: usize,
    },
    /// The last byte of the plaintext is not a PKCS#7 pad value for 32-byte blocks (1 to 32).
    #[error(
        "padding value {value} is not PKCS#7 with a 32-byte block (1 to 32); a wrong \
         EncodingAESKey also looks like this"
    )]
    PaddingValue {
        /// The last byte.
        value: u8,
    },
    /// The last `value` bytes are not all equal to `value`.
    #[error(
        "padding value {value} is not repeated in the last {value} bytes, so this is not PKCS#7 \
         padding; a wrong EncodingAESKey also looks like this"
    )]
    PaddingBytes {
        /// The last byte.
        value: u8,
    },
    /// The unpadded plaintext is shorter than the 16 random bytes and the 4-byte length.
    #[error(
        "the plaintext is {len} bytes, shorter than its 20-byte header (16 random bytes and a \
         4-byte length)"
    )]
    ShortPlaintext {
        /// Its length after unpadding.
        len: usize,
    },
    /// The message length in the header runs past the end of the plaintext.
    #[error("the message length {length} in the header exceeds the {available} bytes after it")]
    MessageLength {
        /// The length the header gives.
        length: u32,
        /// The bytes left after the header.
        available: usize,
    },
    /// Bytes follow the message: a receiveid (an app's CorpID) where bots have none.
    #[error(
        "the receiveid after the message is {found:?}, but a bot's is empty (is this an app's \
         callback?)"
    )]
    ReceiveIdMismatch {
        /// The receiveid found, lossily decoded.
        found: String,
    },
    /// A message longer than the 4-byte length field can say.
    #[error("a message of {len} bytes is longer than the 4 GiB a WXBizMsgCrypt header can hold")]
    MessageTooLong {
        /// Its length in bytes.
        len: usize,
    },
}

impl CryptoError {
    /// The code Tencent's sample library gives the same failure (`ierror.py`).
    ///
    /// The sample library does not check Tokens (a bad one only ever shows as a signature
    /// mismatch there), so [`CryptoError::InvalidToken`] is -40001.
    pub fn code(&self) -> i32 {
        match self {
            CryptoError::InvalidToken(_) | CryptoError::SignatureMismatch { .. } => -40001,
            CryptoError::InvalidAesKey(_) => -40004,
            CryptoError::ReceiveIdMismatch { .. } => -40005,
            CryptoError::MessageTooLong { .. } => -40006,
            CryptoError::CiphertextLength { .. }
            | CryptoError::SixteenBytePadding { .. }
            | CryptoError::PaddingValue { .. }
            | CryptoError::PaddingBytes { .. } => -40007,
            CryptoError::ShortPlaintext { .. } | CryptoError::MessageLength { .. } => -40008,
            CryptoError::Base64 { .. } => -40010,
        }
    }
}

/// The keys of one bot's callbacks: its Token and the AES key of its EncodingAESKey.
#[derive(Clone)]
pub struct CallbackCrypto {
    token: String,
    key: [u8; 32],
}

impl std::fmt::Debug for CallbackCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Both are secrets: a Debug in a log line must not hand them out.
        f.debug_struct("CallbackCrypto")
            .field("token", &"<redacted>")
            .field("key", &"<redacted>")
            .finish()
    }
}

impl CallbackCrypto {
    /// The crypto of a bot with this Token and EncodingAESKey.
    ///
    /// The Token is taken as given (the sample library does not check it either; use
    /// [`validate_token`] for configuration); the key must pass [`validate_encoding_aes_key`].
    ///
    /// # Errors
    /// [`CryptoError::InvalidAesKey`].
    pub fn new(token: &str, encoding_aes_key: &str) -> Result<Self, CryptoError> {
        Ok(CallbackCrypto {
            token: token.to_owned(),
            key: validate_encoding_aes_key(encoding_aes_key)?,
        })
    }

    /// `msg_signature` for these parameters: the lowercase SHA-1 hex of the four strings (token,
    /// timestamp, nonce, ciphertext) sorted bytewise and concatenated.
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypted: &str) -> String {
        let mut parts = [self.token.as_str(), timestamp, nonce, encrypted];
        parts.sort_unstable();
        let mut sha1 = Sha1::new();
        for part in parts {
            sha1.update(part.as_bytes());
        }
        hex_lower(&sha1.finalize())
    }

    /// Encrypts `plaintext` with the caller's 16 random bytes: the Base64 that goes into
    /// `echostr`, `Encrypt` or `encrypt`.
    ///
    /// # Errors
    /// [`CryptoError::MessageTooLong`] past the 4 GiB the length field holds.
    pub fn encrypt(&self, plaintext: &[u8], random16: [u8; 16]) -> Result<String, CryptoError> {
        let length = u32::try_from(plaintext.len()).map_err(|_| CryptoError::MessageTooLong {
            len: plaintext.len(),
        })?;
        let unpadded = HEADER_LEN + plaintext.len();
        // A full block of padding when aligned: PKCS#7 always pads at least one byte.
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buffer = Vec::with_capacity(unpadded + pad);
        buffer.extend_from_slice(&random16);
        buffer.extend_from_slice(&length.to_be_bytes());
        buffer.extend_from_slice(plaintext);
        // The receiveid of a bot is empty, so nothing follows the message.
        let pad_byte = u8::try_from(pad).unwrap_or(u8::MAX); // 1..=32
        buffer.resize(unpadded + pad, pad_byte);
        let len = buffer.len();
        let encryptor = Encryptor::new(&self.key.into(), &self.iv().into());
        // The buffer is whole 32-byte blocks, which NoPadding accepts; no error can occur.
        let ciphertext = encryptor
            .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
            .map(|ciphertext| STANDARD.encode(ciphertext))
            .unwrap_or_default();
        Ok(ciphertext)
    }

    /// Decrypts a ciphertext (`echostr`, `Encrypt`, `encrypt`) whose receiveid is empty.
    ///
    /// # Errors
    /// [`CryptoError::Base64`], then the length, padding and header errors in the order they
    /// are checked, then [`CryptoError::ReceiveIdMismatch`].
    pub fn decrypt(&self, encrypted: &str) -> Result<Vec<u8>, CryptoError> {
        let mut buffer = LENIENT
            .decode(encrypted)
            .map_err(|error| CryptoError::Base64 {
                reason: error.to_string(),
                hint: base64_hint(encrypted),
            })?;
        let len = buffer.len();
        if len == 0 || len % AES_BLOCK != 0 {
            return Err(CryptoError::CiphertextLength { len });
        }
        if len % PAD_BLOCK != 0 {
            return Err(CryptoError::SixteenBytePadding { len });
        }
        let decryptor = Decryptor::new(&self.key.into(), &self.iv().into());
        let plaintext = decryptor
            .decrypt_padded_mut::<NoPadding>(&mut buffer)
            .map_err(|_| CryptoError::CiphertextLength { len })?;
        let message = unpad(plaintext)?;
        let (header, rest) = message
            .split_first_chunk::<HEADER_LEN>()
            .ok_or(CryptoError::ShortPlaintext { len: message.len() })?;
        let length = u32::from_be_bytes([header[16], header[17], header[18], header[19]]);
        let available = rest.len();
        let message_len = usize::try_from(length)
            .ok()
            .filter(|&n| n <= available)
            .ok_or(CryptoError::MessageLength { length, available })?;
        let (message, receive_id) = rest.split_at(message_len);
        if !receive_id.is_empty() {
            return Err(CryptoError::ReceiveIdMismatch {
                found: String::from_utf8_lossy(receive_id).into_owned(),
            });
        }
        Ok(message.to_vec())
    }

    /// Checks the signature of a URL verification (`GET ?msg_signature&timestamp&nonce&echostr`,
    /// spec §8.3) and returns the decrypted `echostr`, the exact body to answer with.
    ///
    /// # Errors
    /// [`CryptoError::SignatureMismatch`], then those of [`CallbackCrypto::decrypt`].
    pub fn verify_url(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        self.decrypt_message(msg_signature, timestamp, nonce, echostr)
    }

    /// Checks the signature of an encrypted message (a callback, or a passive reply) and
    /// decrypts it.
    ///
    /// # Errors
    /// [`CryptoError::SignatureMismatch`], then those of [`CallbackCrypto::decrypt`].
    pub fn decrypt_message(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypted: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        let expected = self.signature(timestamp, nonce, encrypted);
        if !constant_time_eq(expected.as_bytes(), msg_signature.as_bytes()) {
            return Err(CryptoError::SignatureMismatch {
                found: msg_signature.to_owned(),
            });
        }
        self.decrypt(encrypted)
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }
}

/// Strips PKCS#7 padding for 32-byte blocks, checking every pad byte.
fn unpad(plaintext: &[u8]) -> Result<&[u8], CryptoError> {
    let value = plaintext.last().copied().unwrap_or(0);
    let pad = usize::from(value);
    if pad == 0 || pad > PAD_BLOCK || pad > plaintext.len() {
        return Err(CryptoError::PaddingValue { value });
    }
    let (message, padding) = plaintext.split_at(plaintext.len() - pad);
    if padding.iter().any(|&byte| byte != value) {
        return Err(CryptoError::PaddingBytes { value });
    }
    Ok(message)
}

/// The usual reason a ciphertext from a query string is not Base64.
fn base64_hint(encrypted: &str) -> &'static str {
    if encrypted.contains(' ') {
        // Form decoding turns `+` into a space; decoding twice loses the `+` of the ciphertext.
        " (a space where Base64 has `+`: was the query string decoded twice?)"
    } else if encrypted.contains('%') {
        " (a `%`: was the query string not URL-decoded?)"
    } else {
        ""
    }
}

/// Compares two signatures in time that depends on their length only, not on where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // The length of a SHA-1 hex is public; only the bytes must not leak through timing.
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0_u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
