//! The WebCrypto path: `prepare`, two encryptions done outside the crate, `assemble`. The
//! encryptions here use the `rsa` and `aes-gcm` crates directly, as a stand-in for WebCrypto's
//! RSA-OAEP and AES-GCM with the same parameters.

#![cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]

mod common;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use cardseal_core::envelope::{self, Prepared, SealError};
use cardseal_core::key::PublicKey;
use rsa::Oaep;
use rsa::sha2::Sha256;

/// RSA-OAEP-256 of the CEK and AES-256-GCM of the payload, as a browser would do them.
fn encrypt_outside(prepared: &Prepared, key: &PublicKey) -> (Vec<u8>, Vec<u8>) {
    let rsa_key = rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(key.n()),
        rsa::BoxedUint::from_be_slice_vartime(key.e()),
    )
    .unwrap();
    let encrypted_key = rsa_key
        .encrypt(&mut getrandom_rng(), Oaep::<Sha256>::new(), prepared.cek())
        .unwrap();

    let cipher = Aes256Gcm::new_from_slice(prepared.cek()).unwrap();
    let mut ciphertext = prepared.plaintext().to_vec();
    let tag = cipher
        .encrypt_inout_detached(
            &Nonce::from(*prepared.iv()),
            prepared.protected().as_bytes(),
            ciphertext.as_mut_slice().into(),
        )
        .unwrap();
    ciphertext.extend_from_slice(&tag);
    (encrypted_key, ciphertext)
}

fn getrandom_rng() -> rand_chacha::ChaCha20Rng {
    use rand_chacha::rand_core::SeedableRng;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    rand_chacha::ChaCha20Rng::from_seed(seed)
}

#[test]
fn prepared_envelope_opens() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let prepared = envelope::prepare(&common::jcb_card(), &common::binding(), key).unwrap();
    let claims = prepared.claims().clone();
    let (encrypted_key, ciphertext) = encrypt_outside(&prepared, key);

    let sealed = prepared.assemble(&encrypted_key, &ciphertext).unwrap();
    let parsed = envelope::parse(sealed.as_str()).unwrap();

    assert_eq!(parsed.claims(), &claims);
    assert_eq!(parsed.kid(), "test-key-2048");
    assert_eq!(parsed.open(&keys.primary).unwrap(), common::jcb_card());
}

#[test]
fn prepared_parts_follow_the_format() {
    let keys = common::test_keys();
    let prepared = envelope::prepare(
        &common::jcb_card(),
        &common::binding(),
        keys.primary.public_key(),
    )
    .unwrap();

    let header = Base64UrlUnpadded::decode_vec(prepared.protected()).unwrap();
    let header = String::from_utf8(header).unwrap();
    let jti = prepared.claims().envelope_id();
    assert_eq!(
        header,
        format!(
            "{{\"alg\":\"RSA-OAEP-256\",\"enc\":\"A256GCM\",\"kid\":\"test-key-2048\",\
             \"typ\":\"cardseal-v1+jwe\",\"iat\":1767225600,\"jti\":\"{jti}\",\
             \"sid\":\"cs_test_vectors\",\"origin\":\"https://shop.example\"}}"
        )
    );
    assert_eq!(Base64UrlUnpadded::decode_vec(jti).unwrap().len(), 16);

    assert_eq!(
        std::str::from_utf8(prepared.plaintext()).unwrap(),
        "{\"number\":\"3530111333300000\",\"exp_month\":12,\"exp_year\":2030,\
         \"cvc\":\"123\",\"holder\":\"TARO YAMADA\"}"
    );
}

#[test]
fn fresh_randomness_per_prepare() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let first = envelope::prepare(&common::jcb_card(), &common::binding(), key).unwrap();
    let second = envelope::prepare(&common::jcb_card(), &common::binding(), key).unwrap();
    assert_ne!(first.cek(), second.cek());
    assert_ne!(first.iv(), second.iv());
    assert_ne!(first.claims().envelope_id(), second.claims().envelope_id());
}

#[test]
fn assemble_checks_lengths() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let prepare = || envelope::prepare(&common::jcb_card(), &common::binding(), key).unwrap();

    let prepared = prepare();
    let (encrypted_key, ciphertext) = encrypt_outside(&prepared, key);
    assert_eq!(
        prepare()
            .assemble(&encrypted_key[1..], &ciphertext)
            .unwrap_err(),
        SealError::EncryptedKeyLength
    );
    assert_eq!(
        prepare()
            .assemble(&encrypted_key, &ciphertext[1..])
            .unwrap_err(),
        SealError::CiphertextLength
    );
    // Ciphertext without its tag is also too short.
    let plaintext_len = prepared.plaintext().len();
    assert_eq!(
        prepared
            .assemble(&encrypted_key, &ciphertext[..plaintext_len])
            .unwrap_err(),
        SealError::CiphertextLength
    );
}

#[test]
fn seal_rejects_invalid_binding() {
    let keys = common::test_keys();
    let key = keys.primary.public_key();
    let card = common::jcb_card();

    let mut binding = common::binding();
    binding.session_id = String::new();
    assert_eq!(
        envelope::seal(&card, &binding, key).unwrap_err(),
        SealError::InvalidSessionId
    );

    let mut binding = common::binding();
    binding.origin = "https://shop.example/checkout".into();
    assert_eq!(
        envelope::prepare(&card, &binding, key).unwrap_err(),
        SealError::InvalidOrigin
    );

    let mut binding = common::binding();
    binding.issued_at = u64::MAX;
    assert_eq!(
        envelope::seal(&card, &binding, key).unwrap_err(),
        SealError::InvalidIssuedAt
    );
}
