//! The IDM/SCIM query-filter parser must never panic, and what it prints must parse back
//! to the same filter.
#![no_main]

use latchkey_core::recovery::filter::Filter;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(f) = Filter::parse(s)
        // Re-escaping may lengthen a filter past the parser's 2 KiB bound.
        && f.to_string().len() <= 2048
    {
        assert_eq!(Filter::parse(&f.to_string()).ok(), Some(f));
    }
});
