//! The RFC 4514 DN parser must never panic, and normalising must be idempotent.
#![no_main]

use latchkey_core::domain::Dn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(dn) = Dn::parse(s)
        // Escaping can lengthen a DN past the parser's 4 KiB bound; below it, it must parse.
        && dn.normalized().len() <= 4096
    {
        let again = Dn::parse(&dn.normalized()).expect("a normalised DN parses");
        assert_eq!(again.normalized(), dn.normalized());
    }
});
