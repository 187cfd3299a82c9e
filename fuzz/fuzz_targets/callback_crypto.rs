//! `CallbackCrypto::decrypt` past the AES layer: any plaintext (whole 32-byte blocks) is
//! encrypted with the spec's test-vector key, so the fuzzer reaches the padding, header, length
//! and receiveid checks that random ciphertexts never pass. A plaintext that decrypts is
//! re-encrypted, with its own 16 random bytes, to the very same ciphertext.
#![no_main]

use aes::Aes256;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockEncryptMut, KeyIvInit};
use hookpit_protocol::callback::{CallbackCrypto, validate_encoding_aes_key};
use libfuzzer_sys::fuzz_target;

/// The Token and EncodingAESKey of the spec's test vector (§8.4).
const TOKEN: &str = "QDG6eK";
const KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

fuzz_target!(|plaintext: &[u8]| {
    let crypto = CallbackCrypto::new(TOKEN, KEY).expect("the test vector's key");
    let key = validate_encoding_aes_key(KEY).expect("the test vector's key");
    let mut iv = [0_u8; 16];
    iv.copy_from_slice(&key[..16]);
    // WXBizMsgCrypt ciphertexts are whole 32-byte blocks; shorter ones are refused before AES.
    let mut buffer = plaintext[..plaintext.len() / 32 * 32].to_vec();
    let len = buffer.len();
    cbc::Encryptor::<Aes256>::new(&key.into(), &iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buffer, len)
        .expect("whole blocks");
    let ciphertext = STANDARD.encode(&buffer);
    if let Ok(message) = crypto.decrypt(&ciphertext) {
        let mut random = [0_u8; 16];
        random.copy_from_slice(&plaintext[..16]);
        let again = crypto
            .encrypt(&message, random)
            .expect("a message that decrypted");
        assert_eq!(again, ciphertext);
    }
});
