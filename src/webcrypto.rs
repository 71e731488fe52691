//! RSA-OAEP-256 and A256GCM through the browser's WebCrypto (`crypto.subtle`).
//!
//! `cardseal-core` prepares the envelope (header, content key, IV, payload) and assembles it;
//! this module only hands those bytes to SubtleCrypto. Every buffer given to WebCrypto is a fresh
//! JavaScript buffer copied out of wasm memory, because a view into wasm memory would be
//! detached if the memory grew before the browser read it. The copies holding the content key
//! and the card payload are zeroed once the SubtleCrypto calls have taken them, since WebCrypto
//! copies its inputs when a method is called (W3C WebCrypto, "get a copy of the bytes held by
//! the buffer source").

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

    /// [`encrypt_with_key`] as a JavaScript function.
    #[wasm_bindgen(extends = js_sys::Function)]
    type EncryptWithKey;

    /// Binds the arguments of one seal to [`encrypt_with_key`], leaving the key to come last.
    #[wasm_bindgen(method, js_name = bind)]
    fn bind_seal(
        this: &EncryptWithKey,
        this_argument: &JsValue,
        subtle: &SubtleCrypto,
        algorithm: &AesGcmParams,
        plaintext: &Uint8Array,
    ) -> js_sys::Function;

    /// A promise whose `then` takes a JavaScript function, where js-sys takes a Rust closure.
    #[wasm_bindgen(extends = Object)]
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then_call(this: &Thenable, on_fulfilled: &js_sys::Function) -> Promise;
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
    /// [`encrypt_with_key`] as a JavaScript function, which a seal binds to its own arguments
    /// and hands to `then` of the AES key import. The AES-GCM encryption then starts as soon as
    /// the key is ready, without a round through the Rust executor.
    encrypt_with_key: EncryptWithKey,
}

impl Fixed {
    fn new() -> Fixed {
        let rsa_oaep = js::object();
        js::set(&rsa_oaep, "name", &JsValue::from_str("RSA-OAEP"));
        let encrypt_with_key = Closure::<
            dyn FnMut(
                SubtleCrypto,
                AesGcmParams,
                Uint8Array,
                CryptoKey,
            ) -> Result<Promise, JsValue>,
        >::new(encrypt_with_key);
        Fixed {
            raw: JsValue::from_str("raw"),
            aes_gcm: JsValue::from_str("AES-GCM"),
            rsa_oaep,
            usages: Array::of1(&JsValue::from_str("encrypt")),
            encrypt_with_key: encrypt_with_key.into_js_value().unchecked_into(),
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

/// Starts the AES-GCM encryption of `plaintext` once the AES key import has resolved to `key`,
/// and zeroes the plaintext copy, which WebCrypto has copied by then. An error thrown here
/// rejects the promise that `then` returned.
fn encrypt_with_key(
    subtle: SubtleCrypto,
    algorithm: AesGcmParams,
    plaintext: Uint8Array,
    key: CryptoKey,
) -> Result<Promise, JsValue> {
    let encrypt = subtle.encrypt_with_object_and_buffer_source(&algorithm, &key, &plaintext);
    wipe(&plaintext);
    encrypt
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
///
/// The RSA wrap and the AES key import start at once, and the browser chains the AES-GCM
/// encryption to the import, so the seal waits for WebCrypto only once.
pub async fn seal(
    subtle: &SubtleCrypto,
    rsa_key: &CryptoKey,
    prepared: Prepared,
) -> Result<Envelope, Error> {
    let fixed = fixed();
    let cek = Wiped(copy(prepared.cek()));
    let plaintext = Wiped(copy(prepared.plaintext()));
    let iv = copy(prepared.iv());
    let aad = copy(prepared.protected().as_bytes());
    let algorithm = aes_gcm(&iv, &aad);

    let wrap = subtle.encrypt_with_object_and_buffer_source(&fixed.rsa_oaep, rsa_key, &cek.0);
    let aes_import = subtle
        .unchecked_ref::<SubtleValues>()
        .import_key_with_values(&fixed.raw, &cek.0, &fixed.aes_gcm, false, &fixed.usages);
    drop(cek);
    let wrap = wrap.map_err(|error| failure("encrypt RSA-OAEP", &error))?;
    let aes_import = aes_import.map_err(|error| failure("importKey AES-GCM", &error))?;

    let encrypt_after_import =
        fixed
            .encrypt_with_key
            .bind_seal(&JsValue::UNDEFINED, subtle, &algorithm, &plaintext.0);
    let encrypt = aes_import
        .unchecked_ref::<Thenable>()
        .then_call(&encrypt_after_import);

    let both = JsFuture::from(Promise::all(&Array::of2(&wrap, &encrypt))).await;
    drop(plaintext);
    let both: Array = match both {
        Ok(both) => both.unchecked_into(),
        Err(error) => return Err(which_failed(wrap, aes_import, error).await),
    };
    let encrypted_key = Uint8Array::new(&both.get(0)).to_vec();
    let ciphertext_and_tag = Uint8Array::new(&both.get(1)).to_vec();
    Ok(prepared.assemble(&encrypted_key, &ciphertext_and_tag)?)
}

/// Names the step whose rejection made waiting for both results fail: the RSA wrap if it
/// rejected, else the AES key import if it rejected, else the AES-GCM encryption.
async fn which_failed(wrap: Promise, aes_import: Promise, error: JsValue) -> Error {
    if let Err(wrap_error) = JsFuture::from(wrap).await {
        return failure("encrypt RSA-OAEP", &wrap_error);
    }
    if let Err(import_error) = JsFuture::from(aes_import).await {
        return failure("importKey AES-GCM", &import_error);
    }
    failure("encrypt AES-GCM", &error)
}

/// A copy of secret bytes handed to WebCrypto, zeroed when dropped, on every path.
struct Wiped(Uint8Array);

impl Drop for Wiped {
    fn drop(&mut self) {
        wipe(&self.0);
    }
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

fn failure(operation: &'static str, error: &JsValue) -> Error {
    Error::WebCrypto {
        operation,
        name: js::error_name(error),
    }
}
