//! WXBizMsgCrypt: the spec's test vector byte for byte, round trips of every length around the
//! block size, and each way a ciphertext can be broken, with the sample library's code.

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hookpit_protocol::callback::{
    CallbackCrypto, CryptoError, encoding_aes_key_from_random, token_from_random,
    validate_encoding_aes_key, validate_token,
};

// Spec §8.4, cross-checked against Tencent's WXBizMsgCrypt.py.
pub const TOKEN: &str = "QDG6eK";
pub const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
pub const TIMESTAMP: &str = "1409659813";
pub const NONCE: &str = "1372623149";
pub const RANDOM16: [u8; 16] = *b"aaaabbbbccccdddd";
pub const MSG: &str = r#"{"webhook_url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY","msgid":"MSGID","chatid":"CHATID","chattype":"group","from":{"userid":"zhangsan","name":"张三","alias":"jackzhang"},"msgtype":"text","text":{"content":"@RobotA hello"}}"#;
pub const ENCRYPT: &str = "ZA4HuQypHxnRrA+A6SOHGGFytM9j6cN3h8MI0S0gobnK2A5BTE1Xvx3CbxVmNDYZpld1a9TJmtnZCaCks9eb8JPtdrrpnRw0zf4CMAjUtxn5g88OZQIISqpfzhKsiiRzZlGIMAbe0FndMfIwYBTl25u6qoR4akvQrUyl4pkJczOMvnKHR1Nx/4Kdi1q4tBrrKNcLuMH5MYW/s8WwTDk826+kx/gN8UXsxleCtcVewGN1pQ9w6aXEj818XLqIgV+lFSI8XpYKTppeUfcHR/CCveyz8kJkyzxzN87fmWYM05jCR7pNp6+EEqlsQUT4r+J0WsGXjvyy1+apd7UzVQWVw1SHJEn93QWXdgPkDt91guwBPf5Ir8mPvW/dxD8uxcE8";
pub const SIGNATURE: &str = "39301d8d60dbee16fb1cb8bbddfede4c9f54478c";

pub fn crypto() -> CallbackCrypto {
    CallbackCrypto::new(TOKEN, KEY).unwrap()
}

/// The AES key and IV of the test vector, for building broken ciphertexts by hand.
fn key() -> [u8; 32] {
    validate_encoding_aes_key(KEY).unwrap()
}

/// Encrypts an arbitrary plaintext buffer (already padded to AES blocks) with the vector's key.
fn raw_encrypt(mut buffer: Vec<u8>) -> String {
    let key = key();
    let iv: [u8; 16] = key[..16].try_into().unwrap();
    let len = buffer.len();
    cbc::Encryptor::<Aes256>::new(&key.into(), &iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
        .unwrap();
    STANDARD.encode(buffer)
}

/// `random16 ‖ len ‖ msg ‖ receiveid`, unpadded.
fn frame(msg: &[u8], receive_id: &[u8]) -> Vec<u8> {
    let mut buffer = RANDOM16.to_vec();
    buffer.extend_from_slice(&u32::try_from(msg.len()).unwrap().to_be_bytes());
    buffer.extend_from_slice(msg);
    buffer.extend_from_slice(receive_id);
    buffer
}

/// PKCS#7 to `block`-byte blocks.
fn pad(mut buffer: Vec<u8>, block: usize) -> Vec<u8> {
    let pad = block - buffer.len() % block;
    buffer.resize(buffer.len() + pad, u8::try_from(pad).unwrap());
    buffer
}

#[test]
fn the_spec_test_vector_encrypts_byte_for_byte() {
    assert_eq!(crypto().encrypt(MSG.as_bytes(), RANDOM16).unwrap(), ENCRYPT);
}

#[test]
fn the_spec_test_vector_decrypts_to_its_message() {
    assert_eq!(crypto().decrypt(ENCRYPT).unwrap(), MSG.as_bytes());
}

#[test]
fn the_spec_test_vector_signs_to_its_msg_signature() {
    assert_eq!(crypto().signature(TIMESTAMP, NONCE, ENCRYPT), SIGNATURE);
    let verified = crypto().decrypt_message(SIGNATURE, TIMESTAMP, NONCE, ENCRYPT);
    assert_eq!(verified.unwrap(), MSG.as_bytes());
    let echo = crypto().verify_url(SIGNATURE, TIMESTAMP, NONCE, ENCRYPT);
    assert_eq!(echo.unwrap(), MSG.as_bytes());
}

#[test]
fn every_length_from_0_to_100_bytes_round_trips_with_whole_32_byte_blocks() {
    let crypto = crypto();
    for len in 0..=100 {
        let msg: Vec<u8> = (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect();
        let encrypted = crypto.encrypt(&msg, RANDOM16).unwrap();
        let bytes = STANDARD.decode(&encrypted).unwrap();
        assert_eq!(bytes.len() % 32, 0, "length {len}");
        // 20 header bytes + len, padded: a full block of padding when aligned.
        assert_eq!(bytes.len(), (20 + len) / 32 * 32 + 32, "length {len}");
        assert_eq!(crypto.decrypt(&encrypted).unwrap(), msg, "length {len}");
    }
}

#[test]
fn an_aligned_plaintext_gets_a_whole_block_of_0x20() {
    // 20 header bytes + 12 = 32: the padding is a full block.
    let encrypted = crypto().encrypt(b"twelve bytes", RANDOM16).unwrap();
    let key = key();
    let iv: [u8; 16] = key[..16].try_into().unwrap();
    let mut bytes = STANDARD.decode(encrypted).unwrap();
    let plain = cbc::Decryptor::<Aes256>::new(&key.into(), &iv.into())
        .decrypt_padded_mut::<NoPadding>(&mut bytes)
        .unwrap();
    assert_eq!(plain.len(), 64);
    assert_eq!(&plain[32..], &[0x20; 32]);
}

#[test]
fn a_hand_built_frame_with_correct_padding_decrypts() {
    let encrypted = raw_encrypt(pad(frame(b"hello", b""), 32));
    assert_eq!(crypto().decrypt(&encrypted).unwrap(), b"hello");
}

fn decrypt_error(buffer: Vec<u8>) -> CryptoError {
    crypto().decrypt(&raw_encrypt(buffer)).unwrap_err()
}

#[test]
fn a_pad_value_of_0_is_refused_with_40007() {
    let mut buffer = frame(b"hello", b"");
    buffer.resize(64, 0);
    let error = decrypt_error(buffer);
    assert_eq!(error, CryptoError::PaddingValue { value: 0 });
    assert_eq!(error.code(), -40007);
    assert_eq!(
        error.to_string(),
        "padding value 0 is not PKCS#7 with a 32-byte block (1 to 32); a wrong EncodingAESKey \
         also looks like this"
    );
}

#[test]
fn a_pad_value_of_33_is_refused_with_40007() {
    let mut buffer = frame(b"hello", b"");
    buffer.resize(64, 33);
    assert_eq!(
        decrypt_error(buffer),
        CryptoError::PaddingValue { value: 33 }
    );
}

#[test]
fn inconsistent_pad_bytes_are_refused_with_40007() {
    let mut buffer = pad(frame(b"hello", b""), 32);
    let len = buffer.len();
    buffer[len - 2] ^= 1;
    let error = decrypt_error(buffer);
    assert!(
        matches!(error, CryptoError::PaddingBytes { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), -40007);
}

#[test]
fn padding_to_16_byte_blocks_as_some_libraries_do_gets_a_clear_error() {
    // 20 + 5 = 25 bytes: AES-style PKCS#7 pads to 32... so use 20 + 13 = 33 → 48, not 64.
    let buffer = pad(frame(b"thirteen byte", b""), 16);
    assert_eq!(buffer.len(), 48);
    let error = decrypt_error(buffer);
    assert_eq!(error, CryptoError::SixteenBytePadding { len: 48 });
    assert_eq!(error.code(), -40007);
    assert!(
        error.to_string().contains("padded to 16-byte blocks"),
        "{error}"
    );
}

#[test]
fn a_non_empty_receiveid_is_refused_with_40005() {
    let encrypted = raw_encrypt(pad(frame(b"hello", b"wwCORPID"), 32));
    let error = crypto().decrypt(&encrypted).unwrap_err();
    assert_eq!(
        error,
        CryptoError::ReceiveIdMismatch {
            found: "wwCORPID".to_owned()
        }
    );
    assert_eq!(error.code(), -40005);
}

#[test]
fn a_length_past_the_end_is_refused_with_40008() {
    let mut buffer = frame(b"hello", b"");
    buffer[16..20].copy_from_slice(&1000_u32.to_be_bytes());
    let error = decrypt_error(pad(buffer, 32));
    assert_eq!(
        error,
        CryptoError::MessageLength {
            length: 1000,
            available: 5
        }
    );
    assert_eq!(error.code(), -40008);
}

#[test]
fn a_plaintext_shorter_than_its_header_is_refused_with_40008() {
    let error = decrypt_error(pad(b"short".to_vec(), 32));
    assert_eq!(error, CryptoError::ShortPlaintext { len: 5 });
    assert_eq!(error.code(), -40008);
}

#[test]
fn a_wrong_key_fails_on_the_padding_or_the_header() {
    let other = CallbackCrypto::new(TOKEN, &encoding_aes_key_from_random([7; 32])).unwrap();
    let error = other.decrypt(ENCRYPT).unwrap_err();
    assert!(matches!(error.code(), -40007 | -40008), "{error:?}");
}

#[test]
fn a_wrong_signature_or_token_is_refused_with_40001() {
    let wrong = SIGNATURE.replace('3', "4");
    let error = crypto()
        .decrypt_message(&wrong, TIMESTAMP, NONCE, ENCRYPT)
        .unwrap_err();
    assert_eq!(error.code(), -40001);
    let other_token = CallbackCrypto::new("OtherToken", KEY).unwrap();
    let error = other_token
        .verify_url(SIGNATURE, TIMESTAMP, NONCE, ENCRYPT)
        .unwrap_err();
    assert!(matches!(error, CryptoError::SignatureMismatch { .. }));
    // Any change to the signed parameters breaks it too.
    assert!(
        crypto()
            .verify_url(SIGNATURE, "1409659814", NONCE, ENCRYPT)
            .is_err()
    );
    assert!(
        crypto()
            .verify_url(&SIGNATURE.to_uppercase(), TIMESTAMP, NONCE, ENCRYPT)
            .is_err()
    );
}

#[test]
fn bad_base64_is_refused_with_40010_and_a_hint_for_a_lost_plus() {
    let error = crypto().decrypt("not base64!").unwrap_err();
    assert_eq!(error.code(), -40010);
    let spaced = ENCRYPT.replace('+', " ");
    let error = crypto().decrypt(&spaced).unwrap_err();
    assert!(error.to_string().contains("decoded twice"), "{error}");
}

#[test]
fn a_truncated_ciphertext_is_refused_with_40007() {
    let bytes = STANDARD.decode(ENCRYPT).unwrap();
    for cut in [0, 1, 15, 16, 17, 32, bytes.len() - 16] {
        let truncated = STANDARD.encode(&bytes[..cut]);
        let error = crypto().decrypt(&truncated).unwrap_err();
        assert_eq!(error.code(), -40007, "{cut} bytes: {error}");
    }
}

#[test]
fn debug_output_hides_the_token_and_the_key() {
    let debug = format!("{:?}", crypto());
    assert!(
        !debug.contains(TOKEN) && !debug.contains("jWmYm"),
        "{debug}"
    );
    assert!(debug.contains("redacted"));
}

#[test]
fn tokens_are_3_to_32_letters_and_digits() {
    for good in ["abc", "QDG6eK", &"a".repeat(32)] {
        assert_eq!(validate_token(good), Ok(()), "{good}");
    }
    for (bad, reason) in [
        ("ab", "it must be 3 to 32 characters, not 2"),
        (&"a".repeat(33), "it must be 3 to 32 characters, not 33"),
        ("abc-def", "'-' is not an ASCII letter or digit"),
        ("令牌令牌", "'令' is not an ASCII letter or digit"),
    ] {
        let error = validate_token(bad).unwrap_err();
        assert_eq!(error.to_string(), format!("invalid token: {reason}"));
    }
}

#[test]
fn encoding_aes_keys_are_43_letters_and_digits() {
    assert_eq!(validate_encoding_aes_key(KEY).map(|key| key.len()), Ok(32));
    let error = validate_encoding_aes_key(&format!("{KEY}=")).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid EncodingAESKey: it must be 43 characters (without the trailing `=`), not 44"
    );
    assert_eq!(error.code(), -40004);
    let plus = format!("+{}", &KEY[1..]);
    assert!(validate_encoding_aes_key(&plus).is_err());
    assert!(CallbackCrypto::new(TOKEN, &KEY[1..]).is_err());
}

#[test]
fn generated_credentials_pass_their_rules_and_keep_their_bytes() {
    for seed in 0..=255_u8 {
        let random: [u8; 32] = std::array::from_fn(|i| {
            seed.wrapping_mul(31)
                .wrapping_add(u8::try_from(i).unwrap().wrapping_mul(97))
        });
        let token = token_from_random(random);
        assert_eq!(token.len(), 32);
        assert_eq!(validate_token(&token), Ok(()), "{token}");
        let key = encoding_aes_key_from_random(random);
        assert_eq!(key.len(), 43);
        let decoded = validate_encoding_aes_key(&key).unwrap();
        // Strict Base64 (no stray bits) reads it too.
        assert_eq!(STANDARD.decode(format!("{key}=")).unwrap(), decoded);
        if !STANDARD.encode(random).contains(['+', '/']) {
            assert_eq!(decoded, random);
        }
    }
}
