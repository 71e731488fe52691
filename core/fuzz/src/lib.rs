//! Fuzz targets for cardseal-core. The checks live in [`checks`] so that
//! `core/tests/fuzz_corpus.rs` can replay the committed corpus through them without cargo-fuzz.

pub mod checks;
