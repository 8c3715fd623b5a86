//! Fuzzes the `${{ }}` expression parser and the expression finder: they must never panic
//! (deep nesting is refused by the depth bound, not the stack), and every span they return
//! lies inside the input on character boundaries.
#![no_main]

use chainward_gha::{find_expressions, parse_expression};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for found in find_expressions(&text) {
        assert!(found.outer.end <= text.len());
        assert!(text.get(found.outer.clone()).is_some());
        if let Ok(expr) = parse_expression(found.inner) {
            for e in expr.walk() {
                assert!(found.inner.get(e.span.clone()).is_some());
            }
        }
    }
    let _ = parse_expression(&text);
});
