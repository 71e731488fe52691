//! Card parsing and validation, and the cardseal envelope.

#[cfg(all(feature = "open", target_arch = "wasm32"))]
compile_error!("feature `open` (aws-lc-rs) is for native targets only; the browser only seals");

pub mod card;
pub mod envelope;
pub mod key;
