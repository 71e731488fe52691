//! Card parsing and validation, and the cardseal envelope.

pub mod card;
pub mod envelope;
pub mod key;
