#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = effilens_fuzz::image(data);
});
