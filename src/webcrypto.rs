//! RSA-OAEP-256 and A256GCM through the browser's WebCrypto (`crypto.subtle`).
//!
//! `cardseal-core` prepares the envelope (header, content key, IV, payload) and assembles it;
//! this module only hands those bytes to SubtleCrypto. Every buffer given to WebCrypto is a fresh
//! `Uint8Array` copy: a view into wasm memory would be detached if the memory grew before the
//! browser read it. The copies holding the content key and the card payload are zeroed once the
//! SubtleCrypto calls have taken them, since WebCrypto copies its inputs when a method is called
//! (W3C WebCrypto, "get a copy of the bytes held by the buffer source").

use cardseal_core::envelope::{Envelope, Prepared};
use js_sys::{Array, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::error::Error;
use crate::js;

/// The AES-GCM authentication tag length in bits (RFC 7518 section 5.3: 128-bit tag).
const GCM_TAG_BITS: u32 = 128;

#[wasm_bindgen]
extern "C" {
    /// SubtleCrypto, bound again for a method signature that web-sys lacks.
    #[wasm_bindgen(extends = Object)]
    type SubtleValues;

    /// `SubtleCrypto.importKey` with the format and algorithm as JavaScript values. web-sys
    /// takes them as `&str`, which converts them from UTF-8 into new strings on every call.
    #[wasm_bindgen(method, js_name = importKey, catch)]
    fn import_key_with_values(
        this: &SubtleValues,
        format: &JsValue,
        key_data: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    /// The AesGcmParams dictionary (W3C WebCrypto) as a plain object. Its members are set as
    /// properties directly, which costs less than `Reflect.set` with a key made per call.
    #[wasm_bindgen(extends = Object)]
    type AesGcmParams;
    #[wasm_bindgen(method, setter = name)]
    fn set_name(this: &AesGcmParams, name: &JsValue);
    #[wasm_bindgen(method, setter = iv)]
    fn set_iv(this: &AesGcmParams, iv: &Uint8Array);
    #[wasm_bindgen(method, setter = additionalData)]
    fn set_additional_data(this: &AesGcmParams, additional_data: &Uint8Array);
    #[wasm_bindgen(method, setter = tagLength)]
    fn set_tag_length(this: &AesGcmParams, bits: u32);
}

/// WebCrypto arguments that are the same for every seal. They are made into JavaScript values
/// once per module instance, so that a seal passes references. None of them is secret, and
/// WebCrypto only reads them, so seals running at the same time can share them.
struct Fixed {
    /// The key format `"raw"`.
    raw: JsValue,
    /// `"AES-GCM"`, the algorithm name for importKey and for AesGcmParams.
    aes_gcm: JsValue,
    /// `{name: "RSA-OAEP"}`, RsaOaepParams without a label, so the label is empty.
    rsa_oaep: Object,
    /// The key usages `["encrypt"]`.
    usages: Array,
}

impl Fixed {
    fn new() -> Fixed {
        let rsa_oaep = js::object();
        js::set(&rsa_oaep, "name", &JsValue::from_str("RSA-OAEP"));
        Fixed {
            raw: JsValue::from_str("raw"),
            aes_gcm: JsValue::from_str("AES-GCM"),
            rsa_oaep,
            usages: Array::of1(&JsValue::from_str("encrypt")),
        }
    }
}

/// Returns the [`Fixed`] values, made on the first call. The module runs on one thread, and the
/// values are needed as long as it runs, so they stay in one leaked allocation per instance.
fn fixed() -> &'static Fixed {
    thread_local! {
        static FIXED: &'static Fixed = Box::leak(Box::new(Fixed::new()));
    }
    FIXED.with(|fixed| *fixed)
}

/// Returns `globalThis.crypto.subtle` where the page has it (secure contexts and Node.js).
pub fn subtle() -> Option<SubtleCrypto> {
    let crypto = js::global_object("crypto")?;
    let subtle = js::get(&crypto, "subtle");
    subtle.is_object().then(|| subtle.unchecked_into())
}

/// Starts importing the RSA public key for RSA-OAEP with SHA-256, not extractable, for
/// `encrypt` only.
pub fn import_rsa_key(subtle: &SubtleCrypto, jwk: &Object) -> Result<Promise, Error> {
    // RsaHashedImportParams in web-sys has no `name` setter, so the algorithm is a plain object.
    let algorithm = js::object();
    js::set(&algorithm, "name", &JsValue::from_str("RSA-OAEP"));
    js::set(&algorithm, "hash", &JsValue::from_str("SHA-256"));

    subtle
        .import_key_with_object("jwk", jwk, &algorithm, false, &fixed().usages)
        .map_err(|error| failure("importKey RSA-OAEP", &error))
}

/// Waits for an RSA key import started by [`import_rsa_key`].
pub async fn await_key(import: Promise, operation: &'static str) -> Result<CryptoKey, Error> {
    let key = JsFuture::from(import)
        .await
        .map_err(|error| failure(operation, &error))?;
    key.dyn_into::<CryptoKey>().map_err(|_| Error::WebCrypto {
        operation,
        name: "TypeError".to_owned(),
    })
}

/// Encrypts the prepared envelope: RSA-OAEP wraps the content key while AES-GCM encrypts the
/// payload with the protected header as additional data (RFC 7516 section 5.1, steps 4 to 15).
pub async fn seal(
    subtle: &SubtleCrypto,
    rsa_key: &CryptoKey,
    prepared: Prepared,
) -> Result<Envelope, Error> {
    let cek = copy(prepared.cek());
    let iv = copy(prepared.iv());
    let aad = copy(prepared.protected().as_bytes());
    let plaintext = copy(prepared.plaintext());

    let fixed = fixed();

    // Both chains start before either is awaited, so the browser can run them side by side.
    let wrap = subtle.encrypt_with_object_and_buffer_source(&fixed.rsa_oaep, rsa_key, &cek);
    let aes_import = subtle
        .unchecked_ref::<SubtleValues>()
        .import_key_with_values(&fixed.raw, &cek, &fixed.aes_gcm, false, &fixed.usages);
    wipe(&cek);
    let wrap = wrap.map_err(|error| failure("encrypt RSA-OAEP", &error))?;
    let aes_import = aes_import.map_err(|error| failure("importKey AES-GCM", &error))?;

    let aes_key = await_key(aes_import, "importKey AES-GCM").await?;
    let encrypt =
        subtle.encrypt_with_object_and_buffer_source(&aes_gcm(&iv, &aad), &aes_key, &plaintext);
    wipe(&plaintext);
    let encrypt = encrypt.map_err(|error| failure("encrypt AES-GCM", &error))?;

    let encrypted_key = bytes_of(wrap, "encrypt RSA-OAEP").await?;
    let ciphertext_and_tag = bytes_of(encrypt, "encrypt AES-GCM").await?;
    Ok(prepared.assemble(&encrypted_key, &ciphertext_and_tag)?)
}

/// Copies bytes out of wasm memory into a new `Uint8Array` that WebCrypto may keep.
fn copy(bytes: &[u8]) -> Uint8Array {
    let array = Uint8Array::new_with_length(bytes.len() as u32);
    array.copy_from(bytes);
    array
}

fn wipe(array: &Uint8Array) {
    array.fill(0, 0, array.length());
}

fn aes_gcm(iv: &Uint8Array, aad: &Uint8Array) -> AesGcmParams {
    let algorithm: AesGcmParams = js::object().unchecked_into();
    algorithm.set_name(&fixed().aes_gcm);
    algorithm.set_iv(iv);
    algorithm.set_additional_data(aad);
    algorithm.set_tag_length(GCM_TAG_BITS);
    algorithm
}

/// Waits for an `encrypt` promise and copies its ArrayBuffer into wasm memory.
async fn bytes_of(promise: Promise, operation: &'static str) -> Result<Vec<u8>, Error> {
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|error| failure(operation, &error))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

fn failure(operation: &'static str, error: &JsValue) -> Error {
    Error::WebCrypto {
        operation,
        name: js::error_name(error),
    }
}
