//! Card parsing and validation, and the cardseal envelope: card details sealed in the buyer's
//! browser under the platform's RSA public key, opened only by the platform.
//!
//! - [`card`]: parse what a buyer types (full-width digits, separators, romaji names) into a
//!   validated [`Card`](card::Card), the only thing that can be sealed.
//! - [`envelope`]: the envelope format, a JWE in compact serialization with `alg` RSA-OAEP-256
//!   and `enc` A256GCM whose protected header binds it to one checkout (`sid`, `origin`, `iat`,
//!   `jti`). FORMAT.md at the repository root specifies it, and `core/vectors/` contains test vectors.
//! - [`key`]: RSA public keys (JWK, JWKS, SPKI PEM) and, for opening, private keys (PKCS#8 PEM).
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `rustcrypto` | yes | [`envelope::seal`] in pure Rust with the `rsa` 0.10 and `aes-gcm` 0.11 crates |
//! | `jwk` | yes | JWK, JWKS and SPKI PEM reading and export |
//! | `open` | no | [`envelope::open`] and [`key::PrivateKey`] with aws-lc-rs; native targets only |
//!
//! With no features the crate still parses cards, checks envelopes with [`envelope::parse`],
//! and builds everything but the two encryptions with [`envelope::prepare`], so a browser can
//! encrypt with WebCrypto. That build carries no JSON library: the header and payload are
//! written by a small escaping writer and read by a strict I-JSON reader in this crate.
//!
//! # Round trip
//!
//! ```
//! # #[cfg(all(feature = "open", feature = "rustcrypto", feature = "jwk"))]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use cardseal_core::card::{Card, CardInput, YearMonth};
//! use cardseal_core::envelope::{self, Binding, OpenPolicy};
//! use cardseal_core::key::{self, PrivateKey, PublicKey};
//!
//! // The platform's key pair; the browser only ever sees the public half, as a JWKS.
//! let private_key = PrivateKey::generate(2048, "key-2026-01")?;
//! let jwks = key::jwks(&[private_key.public_key().clone()]);
//!
//! // In the browser: validate what the buyer typed, then seal it for this checkout.
//! let public_key = PublicKey::from_jwks(&jwks, None)?;
//! let today = YearMonth::new(2026, 1).unwrap();
//! let input = CardInput { number: "4242 4242 4242 4242", expiry: "12/30", cvc: "123", holder: None };
//! let card = Card::parse(&input, today)?;
//! let binding = Binding {
//!     session_id: "cs_123".into(),
//!     origin: "https://shop.example".into(),
//!     issued_at: 1_767_225_600,
//! };
//! let sealed = envelope::seal(&card, &binding, &public_key)?;
//!
//! // On the platform: parse, select the key by kid, check the issue time, open.
//! let opened = envelope::open(
//!     sealed.as_str(),
//!     |kid| (kid == private_key.kid()).then_some(&private_key),
//!     &OpenPolicy::default(),
//!     1_767_225_630,
//! )?;
//! assert_eq!(opened.claims.session_id(), "cs_123");
//! assert_eq!(opened.card.last4(), "4242");
//! assert_eq!(opened.card, card);
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "open", feature = "rustcrypto", feature = "jwk")))]
//! # fn main() {}
//! ```
//!
//! # Security notes
//!
//! docs/SECURITY.md lists the attacks on this kind of system and where each is stopped; in
//! short, for users of this crate:
//!
//! - Opening uses aws-lc-rs only: constant-time, blinded RSA-OAEP decryption. The `rsa` crate
//!   is used for the public-key operation of sealing and never decrypts (the Marvin timing
//!   attack, RUSTSEC-2023-0071, is against its private-key operation).
//! - After [`envelope::parse`] succeeds, every failure to open is the single
//!   [`envelope::OpenError`]: same value, same message. A failed RSA-OAEP unwrap continues with
//!   a random CEK so the AES-GCM tag check fails in its place (RFC 7516 section 11.5). Callers
//!   must not add detail of their own, such as distinct log lines or status codes per cause.
//! - Only `alg` RSA-OAEP-256 and `enc` A256GCM are accepted, with the exact `typ`; a header
//!   with `zip`, `crit`, `jwk`, `jku` or any member this format does not define is rejected.
//! - The claims are authenticated as the AES-GCM AAD, but this crate keeps no state: the caller
//!   must check the session id and origin against its own records, keep `jti` for single use,
//!   and check the card's expiry date for the day it authorizes
//!   ([`Expiry::check_window`](card::Expiry::check_window)).
//! - Secret types (card number, CVC, holder name, [`envelope::Prepared`], [`key::PrivateKey`])
//!   print redacted in Debug and zeroize what this crate allocates; buffers that hold card data
//!   are sized once so they never reallocate and leave copies behind. Memory inside aws-lc-rs
//!   (the private key, AES key schedules) is managed by aws-lc-rs.
//! - No error message contains card digits, key material or other input values.
//!
//! # Tests and fuzzing
//!
//! `cargo test -p cardseal-core --all-features` runs every test, including interop with npm
//! `jose` and Python `jwcrypto` (installed by `./scripts/setup`; missing tools fail the tests)
//! and a replay of the committed fuzz corpus. To fuzz (nightly and cargo-fuzz), from `core/fuzz`:
//!
//! ```text
//! cargo +nightly fuzz run envelope_parse /tmp/corpus-envelope corpus/envelope_parse -- -max_total_time=120
//! cargo +nightly fuzz run envelope_payload /tmp/corpus-payload corpus/envelope_payload -- -max_total_time=120
//! cargo +nightly fuzz run card_parse /tmp/corpus-card corpus/card_parse -- -max_total_time=120
//! cargo +nightly fuzz run key_parse /tmp/corpus-key corpus/key_parse -- -max_total_time=120
//! ```
//!
//! The first directory collects new inputs, so the committed corpus stays small. To regenerate
//! the test vectors: `cargo run -p cardseal-core --all-features --example make_vectors`.

#[cfg(all(feature = "open", target_arch = "wasm32"))]
compile_error!("feature `open` (aws-lc-rs) is for native targets only; the browser only seals");

pub mod card;
pub mod envelope;
pub mod key;
