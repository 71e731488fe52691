//! Browser library and card form widget for cardseal (built to WebAssembly by wasm-pack).
