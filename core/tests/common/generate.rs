//! Builds every test vector in `core/vectors/` from the committed test keys, deterministically.
//!
//! Shared by the `make_vectors` example, which writes the files, and by the `vectors` test,
//! which checks that the committed files are exactly what this code produces. Valid envelopes
//! come from the crate's own `seal_with_rng`. Defective ones are built here part by part with
//! the `rsa` and `aes-gcm` crates, so that a defect can sit anywhere, even where the crate's
//! sealer cannot put one.

#![allow(dead_code)]

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64ct::{Base64UrlUnpadded, Encoding};
use cardseal_core::card::{Card, CardInput, YearMonth};
use cardseal_core::envelope::{self, Binding};
use cardseal_core::key::{PrivateKey, PublicKey};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use rsa::Oaep;
use rsa::sha2::Sha256;
use serde_json::{Value, json};

/// Seed of the generator that draws every random value in the vectors.
pub const SEED: [u8; 32] = *b"cardseal test vectors, seed 0001";

/// Issue time of every vector but the two claim vectors: 2026-01-01T00:00:00Z.
pub const ISSUED_AT: u64 = 1_767_225_600;

/// The time at which the vectors are checked: one minute after `ISSUED_AT`.
pub const NOW: u64 = ISSUED_AT + 60;

/// The month the valid cards are parsed in (their expiry must be after it).
pub const TODAY: (u16, u8) = (2026, 1);

pub const SESSION_ID: &str = "cs_test_vectors";
pub const ORIGIN: &str = "https://shop.example";

pub const KID_2048: &str = "test-key-2048";
pub const KID_2048_OTHER: &str = "test-key-2048-other";
pub const KID_4096: &str = "test-key-4096";

/// Every test key: kid, bits, file name in `vectors/keys/`.
pub const KEYS: [(&str, usize, &str); 3] = [
    (KID_2048, 2048, "test-key-2048.pem"),
    (KID_2048_OTHER, 2048, "test-key-2048-other.pem"),
    (KID_4096, 4096, "test-key-4096.pem"),
];

/// Text above the PEM block of each test key (RFC 7468 section 5.2 lets parsers skip it).
pub fn key_preamble(kid: &str) -> String {
    format!(
        "TEST KEY, never use. It is published with cardseal's test vectors, so anyone can open\n\
         what is sealed to it. kid: {kid}\n"
    )
}

/// The committed test keys.
pub struct TestKeys {
    pub primary: PrivateKey,
    pub other: PrivateKey,
    pub large: PrivateKey,
}

impl TestKeys {
    pub fn from_pems(pems: [&str; 3]) -> TestKeys {
        let load = |index: usize| {
            PrivateKey::from_pkcs8_pem(pems[index], KEYS[index].0).expect("test key loads")
        };
        TestKeys {
            primary: load(0),
            other: load(1),
            large: load(2),
        }
    }

    /// Returns the key with id `kid`, as a key store would look it up.
    pub fn get(&self, kid: &str) -> Option<&PrivateKey> {
        [&self.primary, &self.other, &self.large]
            .into_iter()
            .find(|key| key.kid() == kid)
    }
}

/// One file under `core/vectors/`.
pub struct VectorFile {
    pub path: String,
    pub contents: Vec<u8>,
}

/// A card of the valid vectors, as the payload carries it.
pub struct SampleCard {
    pub name: &'static str,
    pub number: &'static str,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: &'static str,
    pub holder: Option<&'static str>,
    pub brand: &'static str,
    pub description: &'static str,
}

/// Public test card numbers, published by card schemes and payment processors for testing.
pub const SAMPLE_CARDS: [SampleCard; 7] = [
    SampleCard {
        name: "visa_basic",
        number: "4242424242424242",
        exp_month: 12,
        exp_year: 2030,
        cvc: "123",
        holder: None,
        brand: "visa",
        description: "Visa, no holder name",
    },
    SampleCard {
        name: "jcb_with_holder",
        number: "3530111333300000",
        exp_month: 3,
        exp_year: 2031,
        cvc: "456",
        holder: Some("TARO YAMADA"),
        brand: "jcb",
        description: "JCB with a holder name",
    },
    SampleCard {
        name: "amex_four_digit_cvc",
        number: "378282246310005",
        exp_month: 1,
        exp_year: 2029,
        cvc: "1234",
        holder: Some("JANE O'NEILL"),
        brand: "amex",
        description: "American Express, 15 digits, four-digit CVC, apostrophe in the name",
    },
    SampleCard {
        name: "diners_14_digits",
        number: "36227206271667",
        exp_month: 7,
        exp_year: 2028,
        cvc: "321",
        holder: None,
        brand: "diners",
        description: "Diners Club, 14 digits",
    },
    SampleCard {
        name: "mastercard_cvc_leading_zero",
        number: "2223003122003222",
        exp_month: 11,
        exp_year: 2027,
        cvc: "007",
        holder: Some("A. B. SMITH-JONES"),
        brand: "mastercard",
        description: "Mastercard 2-series, CVC with leading zeros kept as text",
    },
    SampleCard {
        name: "unionpay_19_digits",
        number: "6205500000000000004",
        exp_month: 9,
        exp_year: 2032,
        cvc: "999",
        holder: None,
        brand: "unionpay",
        description: "UnionPay, 19 digits",
    },
    SampleCard {
        name: "key_4096",
        number: "4111111111111111",
        exp_month: 2,
        exp_year: 2030,
        cvc: "000",
        holder: None,
        brand: "visa",
        description: "sealed to the 4096-bit test key",
    },
];

/// How a defective vector must fail.
pub struct Expectation {
    /// `format` (rejected by `parse`), `claims` (by `OpenPolicy::check`) or `open` (by `open`).
    pub class: &'static str,
    /// The error code.
    pub code: &'static str,
    /// For `format`: the JWE part or header member the error names, if any.
    pub part: Option<&'static str>,
    pub member: Option<&'static str>,
}

const fn format(code: &'static str) -> Expectation {
    Expectation {
        class: "format",
        code,
        part: None,
        member: None,
    }
}

const fn format_part(code: &'static str, part: &'static str) -> Expectation {
    Expectation {
        class: "format",
        code,
        part: Some(part),
        member: None,
    }
}

const fn format_member(code: &'static str, member: &'static str) -> Expectation {
    Expectation {
        class: "format",
        code,
        part: Some("protected_header"),
        member: Some(member),
    }
}

const OPEN: Expectation = Expectation {
    class: "open",
    code: "open_failed",
    part: None,
    member: None,
};

/// A header vector: name, description, the change to the base members, the expected error.
type HeaderCase = (
    &'static str,
    &'static str,
    Box<dyn Fn(&mut Members)>,
    Expectation,
);

/// The five parts of a compact JWE, each already base64url (or deliberately not).
#[derive(Clone)]
pub struct Parts {
    pub protected: String,
    pub encrypted_key: String,
    pub iv: String,
    pub ciphertext: String,
    pub tag: String,
}

impl Parts {
    pub fn join(&self) -> String {
        [
            &self.protected,
            &self.encrypted_key,
            &self.iv,
            &self.ciphertext,
            &self.tag,
        ]
        .map(String::as_str)
        .join(".")
    }
}

pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text).expect("generator input is base64url")
}

/// Header members as (name, raw JSON value), written in order without whitespace.
pub type Members = Vec<(&'static str, String)>;

pub fn header_json(members: &Members) -> String {
    let body: Vec<String> = members
        .iter()
        .map(|(name, value)| format!("\"{name}\":{value}"))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

pub fn base_members(kid: &str, jti: &str, iat: u64) -> Members {
    vec![
        ("alg", quoted("RSA-OAEP-256")),
        ("enc", quoted("A256GCM")),
        ("kid", quoted(kid)),
        ("typ", quoted("cardseal-v1+jwe")),
        ("iat", iat.to_string()),
        ("jti", quoted(jti)),
        ("sid", quoted(SESSION_ID)),
        ("origin", quoted(ORIGIN)),
    ]
}

fn set(members: &mut Members, name: &'static str, value: String) {
    match members.iter_mut().find(|(key, _)| *key == name) {
        Some(member) => member.1 = value,
        None => members.push((name, value)),
    }
}

fn remove(members: &mut Members, name: &str) {
    members.retain(|(key, _)| *key != name);
}

fn rustcrypto_key(key: &PublicKey) -> rsa::PublicKey {
    rsa::PublicKey::new(
        rsa::BoxedUint::from_be_slice_vartime(key.n()),
        rsa::BoxedUint::from_be_slice_vartime(key.e()),
    )
    .expect("test key is valid")
}

/// Encrypts `plaintext` as a JWE whose header text is exactly `header`, wrapping `wrapped` with
/// RSA-OAEP-256 under `key` and encrypting with AES-256-GCM under `content_key`. The two keys
/// differ only in the vectors that test a CEK of the wrong length.
pub fn encrypt_parts(
    rng: &mut ChaCha20Rng,
    header: &str,
    wrapped: &[u8],
    content_key: &[u8; 32],
    plaintext: &[u8],
    key: &PublicKey,
) -> Parts {
    let protected = b64(header.as_bytes());
    let encrypted_key = rustcrypto_key(key)
        .encrypt(rng, Oaep::<Sha256>::new(), wrapped)
        .expect("RSA-OAEP encryption");
    let mut iv = [0u8; 12];
    rng.fill_bytes(&mut iv);

    let cipher = Aes256Gcm::new_from_slice(content_key).expect("32-byte key");
    let mut buffer = plaintext.to_vec();
    let tag = cipher
        .encrypt_inout_detached(
            &Nonce::from(iv),
            protected.as_bytes(),
            buffer.as_mut_slice().into(),
        )
        .expect("AES-GCM encryption");

    Parts {
        protected,
        encrypted_key: b64(&encrypted_key),
        iv: b64(&iv),
        ciphertext: b64(&buffer),
        tag: b64(&tag),
    }
}

/// A fresh CEK and envelope id drawn from the generator.
fn fresh(rng: &mut ChaCha20Rng) -> ([u8; 32], String) {
    let mut cek = [0u8; 32];
    rng.fill_bytes(&mut cek);
    let mut jti = [0u8; 16];
    rng.fill_bytes(&mut jti);
    (cek, b64(&jti))
}

/// Seals `plaintext` properly under a header whose base members `mutate` has changed.
fn sealed_with_members(
    rng: &mut ChaCha20Rng,
    mutate: &dyn Fn(&mut Members),
    plaintext: &[u8],
    key: &PublicKey,
) -> Parts {
    let (cek, jti) = fresh(rng);
    let mut members = base_members(KID_2048, &jti, ISSUED_AT);
    mutate(&mut members);
    encrypt_parts(rng, &header_json(&members), &cek, &cek, plaintext, key)
}

pub fn today() -> YearMonth {
    YearMonth::new(TODAY.0, TODAY.1).expect("valid month")
}

pub fn sample_card(sample: &SampleCard) -> Card {
    let expiry = format!("{:02}/{}", sample.exp_month, sample.exp_year);
    let input = CardInput {
        number: sample.number,
        expiry: &expiry,
        cvc: sample.cvc,
        holder: sample.holder,
    };
    Card::parse(&input, today()).expect("sample card is valid")
}

fn payload_json(sample: &SampleCard) -> String {
    let mut json = format!(
        "{{\"number\":\"{}\",\"exp_month\":{},\"exp_year\":{},\"cvc\":\"{}\"",
        sample.number, sample.exp_month, sample.exp_year, sample.cvc
    );
    if let Some(holder) = sample.holder {
        json.push_str(&format!(",\"holder\":\"{holder}\""));
    }
    json.push('}');
    json
}

/// Builds every vector file and the manifest.
pub fn generate(keys: &TestKeys) -> Vec<VectorFile> {
    let mut rng = ChaCha20Rng::from_seed(SEED);
    let mut files = Vec::new();
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    let primary = keys.primary.public_key();

    // Valid envelopes, sealed by the crate itself.
    for sample in &SAMPLE_CARDS {
        let key = if sample.name == "key_4096" {
            keys.large.public_key()
        } else {
            primary
        };
        let binding = Binding {
            session_id: SESSION_ID.to_owned(),
            origin: ORIGIN.to_owned(),
            issued_at: ISSUED_AT,
        };
        let sealed = envelope::seal_with_rng(&sample_card(sample), &binding, key, &mut rng)
            .expect("sealing a sample card");
        let claims = envelope::parse(sealed.as_str())
            .expect("own envelope parses")
            .claims()
            .clone();
        valid.push(valid_entry(
            sample.name,
            sample.description,
            key.kid(),
            &claims,
            sample,
        ));
        files.push(jwe_file("valid", sample.name, sealed.as_str()));
    }

    // A valid envelope as another JOSE library might write it: members in another order,
    // whitespace, and an escaped character in a string.
    {
        let sample = &SAMPLE_CARDS[0];
        let (cek, jti) = fresh(&mut rng);
        let header = format!(
            "{{ \"typ\": \"cardseal-v1+jwe\", \"origin\": \"{ORIGIN}\", \"sid\": \"{SESSION_ID}\",\n  \
             \"jti\": \"{jti}\", \"iat\": {ISSUED_AT}, \"kid\": \"{KID_2048}\",\n  \
             \"enc\": \"A256GCM\", \"alg\": \"RSA\\u002dOAEP-256\" }}"
        );
        let parts = encrypt_parts(
            &mut rng,
            &header,
            &cek,
            &cek,
            payload_json(sample).as_bytes(),
            primary,
        );
        let claims = envelope::parse(&parts.join())
            .expect("reordered header parses")
            .claims()
            .clone();
        valid.push(valid_entry(
            "header_reordered",
            "header members in another order, with whitespace and a \\u escape",
            KID_2048,
            &claims,
            sample,
        ));
        files.push(jwe_file("valid", "header_reordered", &parts.join()));
    }

    // Defective envelopes. Each starts from a correct one built here, then breaks one thing.
    let sample = &SAMPLE_CARDS[0];
    let payload = payload_json(sample);
    let mut add =
        |name: &'static str, description: &'static str, envelope: String, expect: Expectation| {
            invalid.push(invalid_entry(name, description, &expect));
            files.push(jwe_file("invalid", name, &envelope));
        };

    // A correct envelope for the structural mutations.
    let (cek, jti) = fresh(&mut rng);
    let good = encrypt_parts(
        &mut rng,
        &header_json(&base_members(KID_2048, &jti, ISSUED_AT)),
        &cek,
        &cek,
        payload.as_bytes(),
        primary,
    );

    // Structure and encoding.
    add(
        "empty_envelope",
        "the empty string",
        String::new(),
        format("part_count"),
    );
    {
        let mut parts = good.join();
        parts.truncate(parts.rfind('.').unwrap());
        add(
            "four_parts",
            "the tag and its separator removed",
            parts,
            format("part_count"),
        );
    }
    add(
        "six_parts",
        "a sixth part appended",
        format!("{}.AAAA", good.join()),
        format("part_count"),
    );
    {
        let mut parts = good.clone();
        parts.ciphertext = "A".repeat(2800);
        add(
            "oversized_envelope",
            "five parts, but longer than the longest valid envelope (2774 characters)",
            parts.join(),
            format("envelope_too_long"),
        );
    }
    add(
        "padding_present",
        "the tag with base64 padding `==`",
        format!("{}==", good.join()),
        format_part("invalid_base64", "tag"),
    );
    {
        // 16 bytes leave 4 unused bits in the last character; set one of them.
        let mut parts = good.clone();
        let last = parts.tag.pop().unwrap();
        let index = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            .iter()
            .position(|&c| c == last as u8)
            .unwrap();
        let altered =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[index | 1];
        parts.tag.push(altered as char);
        add(
            "non_canonical_base64",
            "the tag's last character has a non-zero unused bit",
            parts.join(),
            format_part("invalid_base64", "tag"),
        );
    }
    {
        let mut parts = good.clone();
        parts.ciphertext.replace_range(0..1, "+");
        add(
            "standard_base64_alphabet",
            "a `+` (standard base64, not base64url) in the ciphertext",
            parts.join(),
            format_part("invalid_base64", "ciphertext"),
        );
    }
    add(
        "trailing_newline",
        "a line feed after the envelope",
        format!("{}\n", good.join()),
        format_part("invalid_base64", "tag"),
    );

    // Header JSON.
    let with_header = |header: &str| {
        let mut parts = good.clone();
        parts.protected = b64(header.as_bytes());
        parts.join()
    };
    add(
        "header_not_json",
        "header text is not JSON",
        with_header("alg=RSA-OAEP-256"),
        format_part("header_not_json", "protected_header"),
    );
    add(
        "header_not_object",
        "header is a JSON array",
        with_header("[\"RSA-OAEP-256\",\"A256GCM\"]"),
        format_part("header_not_json", "protected_header"),
    );
    {
        let header = format!(
            "\u{feff}{}",
            header_json(&base_members(KID_2048, &jti, ISSUED_AT))
        );
        add(
            "header_bom",
            "header starts with a byte order mark",
            with_header(&header),
            format_part("header_not_json", "protected_header"),
        );
    }
    {
        let mut members = base_members(KID_2048, &jti, ISSUED_AT);
        members.push(("alg", quoted("RSA1_5")));
        add(
            "duplicate_header_member",
            "`alg` twice, RSA-OAEP-256 then RSA1_5",
            with_header(&header_json(&members)),
            format_part("duplicate_header_member", "protected_header"),
        );
    }
    {
        let mut members = base_members(KID_2048, &jti, ISSUED_AT);
        set(&mut members, "x", quoted(&"x".repeat(1100)));
        add(
            "oversized_header",
            "header JSON over 1024 bytes",
            with_header(&header_json(&members)),
            format_part("invalid_length", "protected_header"),
        );
    }

    // Header members. Each is sealed properly, so only the header rule can reject it.
    let header_cases: Vec<HeaderCase> = vec![
        (
            "alg_rsa1_5",
            "`alg` RSA1_5 (PKCS #1 v1.5, Bleichenbacher's target)",
            Box::new(|m| set(m, "alg", quoted("RSA1_5"))),
            format_member("unsupported_alg", "alg"),
        ),
        (
            "alg_rsa_oaep",
            "`alg` RSA-OAEP (SHA-1)",
            Box::new(|m| set(m, "alg", quoted("RSA-OAEP"))),
            format_member("unsupported_alg", "alg"),
        ),
        (
            "alg_none",
            "`alg` none",
            Box::new(|m| set(m, "alg", quoted("none"))),
            format_member("unsupported_alg", "alg"),
        ),
        (
            "alg_dir",
            "`alg` dir (direct use of a shared key)",
            Box::new(|m| set(m, "alg", quoted("dir"))),
            format_member("unsupported_alg", "alg"),
        ),
        (
            "alg_lowercase",
            "`alg` rsa-oaep-256 in lower case",
            Box::new(|m| set(m, "alg", quoted("rsa-oaep-256"))),
            format_member("unsupported_alg", "alg"),
        ),
        (
            "alg_missing",
            "no `alg`",
            Box::new(|m| remove(m, "alg")),
            format_member("missing_header_member", "alg"),
        ),
        (
            "enc_a128gcm",
            "`enc` A128GCM",
            Box::new(|m| set(m, "enc", quoted("A128GCM"))),
            format_member("unsupported_enc", "enc"),
        ),
        (
            "enc_a256cbc_hs512",
            "`enc` A256CBC-HS512",
            Box::new(|m| set(m, "enc", quoted("A256CBC-HS512"))),
            format_member("unsupported_enc", "enc"),
        ),
        (
            "zip_def",
            "`zip` DEF (compression before encryption)",
            Box::new(|m| set(m, "zip", quoted("DEF"))),
            format_part("zip_not_supported", "protected_header"),
        ),
        (
            "crit_unknown",
            "`crit` naming an extension member",
            Box::new(|m| {
                set(m, "crit", "[\"exp\"]".into());
                set(m, "exp", "1767229200".into());
            }),
            format_part("crit_not_supported", "protected_header"),
        ),
        (
            "jwk_in_header",
            "a `jwk` member offering another key",
            Box::new(|m| {
                set(
                    m,
                    "jwk",
                    "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}".into(),
                )
            }),
            format_part("unknown_header_member", "protected_header"),
        ),
        (
            "cty_present",
            "a `cty` member, which this format does not define",
            Box::new(|m| set(m, "cty", quoted("JWT"))),
            format_part("unknown_header_member", "protected_header"),
        ),
        (
            "kid_missing",
            "no `kid`",
            Box::new(|m| remove(m, "kid")),
            format_member("missing_header_member", "kid"),
        ),
        (
            "kid_path_traversal",
            "`kid` ../../etc/passwd",
            Box::new(|m| set(m, "kid", quoted("../../etc/passwd"))),
            format_member("invalid_header_member", "kid"),
        ),
        (
            "typ_missing",
            "no `typ`",
            Box::new(|m| remove(m, "typ")),
            format_member("missing_header_member", "typ"),
        ),
        (
            "typ_wrong",
            "`typ` JWT",
            Box::new(|m| set(m, "typ", quoted("JWT"))),
            format_member("invalid_header_member", "typ"),
        ),
        (
            "iat_missing",
            "no `iat`",
            Box::new(|m| remove(m, "iat")),
            format_member("missing_header_member", "iat"),
        ),
        (
            "iat_string",
            "`iat` as a string",
            Box::new(|m| set(m, "iat", quoted("1767225600"))),
            format_member("invalid_header_member", "iat"),
        ),
        (
            "iat_fraction",
            "`iat` with a fraction",
            Box::new(|m| set(m, "iat", "1767225600.5".into())),
            format_member("invalid_header_member", "iat"),
        ),
        (
            "jti_short",
            "`jti` of 15 bytes (120 bits)",
            Box::new(|m| set(m, "jti", quoted(&b64(&[7u8; 15])))),
            format_member("invalid_header_member", "jti"),
        ),
        (
            "jti_missing",
            "no `jti`",
            Box::new(|m| remove(m, "jti")),
            format_member("missing_header_member", "jti"),
        ),
        (
            "sid_missing",
            "no `sid`",
            Box::new(|m| remove(m, "sid")),
            format_member("missing_header_member", "sid"),
        ),
        (
            "sid_with_space",
            "`sid` with a space",
            Box::new(|m| set(m, "sid", quoted("cs test"))),
            format_member("invalid_header_member", "sid"),
        ),
        (
            "origin_missing",
            "no `origin`",
            Box::new(|m| remove(m, "origin")),
            format_member("missing_header_member", "origin"),
        ),
        (
            "origin_with_path",
            "`origin` with a path",
            Box::new(|m| set(m, "origin", quoted("https://shop.example/checkout"))),
            format_member("invalid_header_member", "origin"),
        ),
        (
            "origin_default_port",
            "`origin` with the scheme's default port",
            Box::new(|m| set(m, "origin", quoted("https://shop.example:443"))),
            format_member("invalid_header_member", "origin"),
        ),
    ];
    let mut header_vectors = Vec::new();
    for (name, description, mutate, expect) in header_cases {
        let parts = sealed_with_members(&mut rng, &*mutate, payload.as_bytes(), primary);
        header_vectors.push((name, description, parts.join(), expect));
    }
    for (name, description, envelope, expect) in header_vectors {
        add(name, description, envelope, expect);
    }

    // Part lengths.
    {
        let mut parts = good.clone();
        parts.encrypted_key = b64(&unb64(&good.encrypted_key)[..255]);
        add(
            "encrypted_key_short",
            "encrypted key of 255 bytes",
            parts.join(),
            format_part("invalid_length", "encrypted_key"),
        );
    }
    {
        let mut parts = good.clone();
        parts.iv = b64(&unb64(&good.iv)[..11]);
        add(
            "iv_11_bytes",
            "IV of 11 bytes",
            parts.join(),
            format_part("invalid_length", "iv"),
        );
    }
    {
        let mut parts = good.clone();
        parts.iv = b64(&[0u8; 16]);
        add(
            "iv_16_bytes",
            "IV of 16 bytes",
            parts.join(),
            format_part("invalid_length", "iv"),
        );
    }
    {
        let mut parts = good.clone();
        parts.tag = b64(&unb64(&good.tag)[..15]);
        add(
            "tag_15_bytes",
            "tag of 15 bytes",
            parts.join(),
            format_part("invalid_length", "tag"),
        );
    }
    {
        let mut parts = good.clone();
        parts.ciphertext = String::new();
        add(
            "ciphertext_empty",
            "empty ciphertext",
            parts.join(),
            format_part("invalid_length", "ciphertext"),
        );
    }
    {
        let mut parts = good.clone();
        parts.ciphertext = b64(&[0x5a; 513]);
        add(
            "oversized_ciphertext",
            "ciphertext of 513 bytes",
            parts.join(),
            format_part("invalid_length", "ciphertext"),
        );
    }

    // Claims outside the policy window; the cryptography is sound.
    {
        let (cek, jti) = fresh(&mut rng);
        let header = header_json(&base_members(KID_2048, &jti, NOW - 1000));
        let parts = encrypt_parts(&mut rng, &header, &cek, &cek, payload.as_bytes(), primary);
        add(
            "iat_stale",
            "issued 1000 s before the check time",
            parts.join(),
            Expectation {
                class: "claims",
                code: "stale",
                part: None,
                member: None,
            },
        );
    }
    {
        let (cek, jti) = fresh(&mut rng);
        let header = header_json(&base_members(KID_2048, &jti, NOW + 400));
        let parts = encrypt_parts(&mut rng, &header, &cek, &cek, payload.as_bytes(), primary);
        add(
            "iat_future",
            "issued 400 s after the check time",
            parts.join(),
            Expectation {
                class: "claims",
                code: "issued_in_future",
                part: None,
                member: None,
            },
        );
    }

    // Tampering and wrong keys: structurally perfect, so only the cryptography can tell.
    let flip_last = |text: &str| {
        let mut bytes = unb64(text);
        *bytes.last_mut().unwrap() ^= 0x01;
        b64(&bytes)
    };
    {
        let mut parts = good.clone();
        parts.tag = flip_last(&good.tag);
        add(
            "tag_flipped",
            "one bit of the tag flipped",
            parts.join(),
            OPEN,
        );
    }
    {
        let mut parts = good.clone();
        parts.ciphertext = flip_last(&good.ciphertext);
        add(
            "ciphertext_flipped",
            "one bit of the ciphertext flipped",
            parts.join(),
            OPEN,
        );
    }
    {
        let mut parts = good.clone();
        parts.iv = flip_last(&good.iv);
        add(
            "iv_flipped",
            "one bit of the IV flipped",
            parts.join(),
            OPEN,
        );
    }
    {
        let mut parts = good.clone();
        parts.encrypted_key = flip_last(&good.encrypted_key);
        add(
            "encrypted_key_flipped",
            "one bit of the encrypted key flipped",
            parts.join(),
            OPEN,
        );
    }
    {
        let mut members = base_members(KID_2048, &jti, ISSUED_AT);
        set(&mut members, "sid", quoted("cs_someone_else"));
        add(
            "header_tampered_after_seal",
            "`sid` changed after sealing, everything else kept",
            with_header(&header_json(&members)),
            OPEN,
        );
    }
    let mut sealed_raw = |wrapped_len: usize, plaintext: &[u8], key: &PublicKey| {
        let (cek, jti) = fresh(&mut rng);
        let header = header_json(&base_members(KID_2048, &jti, ISSUED_AT));
        encrypt_parts(&mut rng, &header, &cek[..wrapped_len], &cek, plaintext, key).join()
    };
    add(
        "wrong_key",
        "sealed to another 2048-bit key under the primary key's kid",
        sealed_raw(32, payload.as_bytes(), keys.other.public_key()),
        OPEN,
    );
    add(
        "encrypted_key_length_mismatch",
        "sealed to the 4096-bit key under the 2048-bit key's kid",
        sealed_raw(32, payload.as_bytes(), keys.large.public_key()),
        OPEN,
    );
    add(
        "cek_16_bytes",
        "the RSA-OAEP plaintext is a 16-byte key",
        sealed_raw(16, payload.as_bytes(), primary),
        OPEN,
    );
    add(
        "cek_empty",
        "the RSA-OAEP plaintext is empty",
        sealed_raw(0, payload.as_bytes(), primary),
        OPEN,
    );

    // Payloads that decrypt but are not a valid card.
    let payload_cases: [(&'static str, &'static str, String); 9] = [
        (
            "payload_not_json",
            "payload is not JSON",
            "number=4242424242424242".into(),
        ),
        (
            "payload_card_luhn_fail",
            "card number fails the Luhn check",
            payload.replace("4242424242424242", "4242424242424241"),
        ),
        (
            "payload_unknown_member",
            "payload has a member the format does not define",
            payload.replace('}', ",\"pin\":\"1234\"}"),
        ),
        (
            "payload_missing_cvc",
            "payload without `cvc`",
            payload.replace(",\"cvc\":\"123\"", ""),
        ),
        (
            "payload_duplicate_member",
            "`number` twice",
            payload.replace('}', ",\"number\":\"4111111111111111\"}"),
        ),
        (
            "payload_month_13",
            "`exp_month` 13",
            payload.replace("\"exp_month\":12", "\"exp_month\":13"),
        ),
        (
            "payload_month_string",
            "`exp_month` as a string",
            payload.replace("\"exp_month\":12", "\"exp_month\":\"12\""),
        ),
        (
            "payload_number_with_spaces",
            "card number with spaces",
            payload.replace("4242424242424242", "4242 4242 4242 4242"),
        ),
        (
            "payload_holder_lower_case",
            "holder name not in the canonical upper case",
            payload.replace('}', ",\"holder\":\"taro yamada\"}"),
        ),
    ];
    for (name, description, plaintext) in payload_cases {
        let envelope = sealed_raw(32, plaintext.as_bytes(), primary);
        add(name, description, envelope, OPEN);
    }

    // The content encrypted under the wrapped 16-byte key padded with zeros to 32 bytes, the
    // key an opener without the CEK length check would use. `cek_16_bytes` cannot catch that
    // opener, because its content key differs from the padded one. Drawn last, so that adding
    // it changed no earlier vector.
    {
        let (cek, jti) = fresh(&mut rng);
        let short = &cek[..16];
        let mut padded = [0u8; 32];
        padded[..short.len()].copy_from_slice(short);
        let header = header_json(&base_members(KID_2048, &jti, ISSUED_AT));
        let parts = encrypt_parts(
            &mut rng,
            &header,
            short,
            &padded,
            payload.as_bytes(),
            primary,
        );
        add(
            "cek_16_bytes_zero_padded",
            "the RSA-OAEP plaintext is a 16-byte key, and the content is encrypted under that \
             key followed by 16 zero bytes",
            parts.join(),
            OPEN,
        );
    }

    // Header member vectors drawn last for the same reason: adding them changed no earlier vector.
    let later_header_cases: Vec<HeaderCase> = vec![
        (
            "origin_ipv4_shortened",
            "`origin` http://127.1:8081, which browsers write as http://127.0.0.1:8081",
            Box::new(|m| set(m, "origin", quoted("http://127.1:8081"))),
            format_member("invalid_header_member", "origin"),
        ),
        (
            "origin_ipv6_uncompressed",
            "`origin` http://[0:0:0:0:0:0:0:1]:8081, which browsers write as http://[::1]:8081",
            Box::new(|m| set(m, "origin", quoted("http://[0:0:0:0:0:0:0:1]:8081"))),
            format_member("invalid_header_member", "origin"),
        ),
        (
            "kid_only_dots",
            "`kid` .., which a key store would read as the parent directory",
            Box::new(|m| set(m, "kid", quoted(".."))),
            format_member("invalid_header_member", "kid"),
        ),
    ];
    for (name, description, mutate, expect) in later_header_cases {
        let parts = sealed_with_members(&mut rng, &*mutate, payload.as_bytes(), primary);
        add(name, description, parts.join(), expect);
    }

    files.push(manifest(valid, invalid));
    files.push(public_jwks(keys));
    files.push(public_spki(keys));
    files
}

fn jwe_file(directory: &str, name: &str, envelope: &str) -> VectorFile {
    VectorFile {
        path: format!("{directory}/{name}.jwe"),
        contents: envelope.as_bytes().to_vec(),
    }
}

fn valid_entry(
    name: &str,
    description: &str,
    kid: &str,
    claims: &envelope::Claims,
    sample: &SampleCard,
) -> Value {
    let mut card = json!({
        "number": sample.number,
        "exp_month": sample.exp_month,
        "exp_year": sample.exp_year,
        "cvc": sample.cvc,
    });
    if let Some(holder) = sample.holder {
        card["holder"] = json!(holder);
    }
    json!({
        "name": name,
        "file": format!("valid/{name}.jwe"),
        "description": description,
        "kid": kid,
        "brand": sample.brand,
        "claims": {
            "iat": claims.issued_at(),
            "jti": claims.envelope_id(),
            "sid": claims.session_id(),
            "origin": claims.origin(),
        },
        "card": card,
    })
}

fn invalid_entry(name: &str, description: &str, expect: &Expectation) -> Value {
    let mut entry = json!({
        "name": name,
        "file": format!("invalid/{name}.jwe"),
        "description": description,
        "class": expect.class,
        "code": expect.code,
    });
    if let Some(part) = expect.part {
        entry["part"] = json!(part);
    }
    if let Some(member) = expect.member {
        entry["member"] = json!(member);
    }
    entry
}

fn manifest(valid: Vec<Value>, invalid: Vec<Value>) -> VectorFile {
    let key_entries: Vec<Value> = KEYS
        .iter()
        .map(|(kid, bits, file)| {
            json!({
                "kid": kid,
                "bits": bits,
                "private_pkcs8_pem": format!("keys/{file}"),
            })
        })
        .collect();
    let manifest = json!({
        "comment": "cardseal test vectors. TEST KEYS ONLY, never use them. Generated by `cargo run -p cardseal-core --all-features --example make_vectors`; FORMAT.md describes every field.",
        "now": NOW,
        "policy": { "max_age_secs": 600, "clock_skew_secs": 300 },
        "public_jwks": "keys/test-keys.jwks.json",
        "public_spki_pem": "keys/test-key-2048.spki.pem",
        "keys": key_entries,
        "valid": valid,
        "invalid": invalid,
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("manifest serializes");
    text.push('\n');
    VectorFile {
        path: "vectors.json".into(),
        contents: text.into_bytes(),
    }
}

/// Returns the public JWKS of the test keys, written beside the private keys.
pub fn public_jwks(keys: &TestKeys) -> VectorFile {
    let public = [
        keys.primary.public_key().clone(),
        keys.other.public_key().clone(),
        keys.large.public_key().clone(),
    ];
    let mut text = cardseal_core::key::jwks(&public);
    text.push('\n');
    VectorFile {
        path: "keys/test-keys.jwks.json".into(),
        contents: text.into_bytes(),
    }
}

/// Returns the primary test key's public half as SPKI PEM.
pub fn public_spki(keys: &TestKeys) -> VectorFile {
    let pem = keys
        .primary
        .public_key()
        .to_spki_pem()
        .expect("SPKI export");
    VectorFile {
        path: "keys/test-key-2048.spki.pem".into(),
        contents: pem.into_bytes(),
    }
}
