//! Opens natively the envelopes that the wasm tests sealed in Chromium and Node.js.
