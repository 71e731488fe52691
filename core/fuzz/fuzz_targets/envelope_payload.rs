#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cardseal_core_fuzz::checks::envelope_payload(data));
