//! Card parsing and validation.
