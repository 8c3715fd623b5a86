//! Fuzzes `Reference::parse` with arbitrary strings: it must never panic, and whatever it
//! accepts must print (normalised and familiar) to strings that parse back to an equal
//! reference.
#![no_main]

use chainward_image::Reference;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(reference) = Reference::parse(s) else {
        return;
    };
    for form in [reference.to_string(), reference.familiar()] {
        match Reference::parse(&form) {
            Ok(again) => {
                assert_eq!(again, reference, "{s:?} printed as {form:?}");
                assert_eq!(again.to_string(), reference.to_string(), "{s:?} printed as {form:?}");
            }
            Err(e) => panic!("{s:?} printed as {form:?}, which does not parse: {e}"),
        }
    }
});
