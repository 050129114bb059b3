//! The `userPassword` forms directories export (`slapcat`, `ldapsearch`, 389-ds) that wrap
//! a scheme Latchkey verifies: `{ARGON2}` around a PHC Argon2 string (OpenLDAP's argon2
//! module), `{CRYPT}` around bcrypt or SHA-crypt (`$6$`, `$5$`), and `{PBKDF2-SHA256}` /
//! `{PBKDF2-SHA512}` as passlib and 389-ds write them (`rounds$salt$checksum`, adapted
//! base64), which is rewritten as the equivalent PHC string.

use super::HashFormatError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// The hash inside an LDAP `{SCHEME}` wrapper, in the form [`super::PasswordHash::parse`]
/// reads; anything else is returned as it is.
pub(super) fn unwrap(raw: &str) -> Result<std::borrow::Cow<'_, str>, HashFormatError> {
    for prefix in ["{ARGON2}", "{CRYPT}"] {
        if let Some(inner) = super::strip_prefix_ignore_case(raw, prefix) {
            return Ok(inner.into());
        }
    }
    for (prefix, algorithm) in [
        ("{PBKDF2-SHA256}", "pbkdf2-sha256"),
        ("{PBKDF2-SHA512}", "pbkdf2-sha512"),
    ] {
        if let Some(inner) = super::strip_prefix_ignore_case(raw, prefix) {
            return pbkdf2_as_phc(inner, algorithm).map(Into::into);
        }
    }
    Ok(raw.into())
}

/// `29000$<salt>$<checksum>` (adapted base64: `.` for `+`, no padding; standard base64
/// accepted too) → `$pbkdf2-sha256$i=29000$<salt>$<checksum>` in PHC's base64.
fn pbkdf2_as_phc(inner: &str, algorithm: &str) -> Result<String, HashFormatError> {
    let mut parts = inner.split('$');
    let (Some(rounds), Some(salt), Some(sum), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HashFormatError::Unsupported);
    };
    let rounds: u32 = rounds.parse().map_err(|_| HashFormatError::Unsupported)?;
    let decode = |s: &str| {
        STANDARD_NO_PAD
            .decode(s.replace('.', "+").trim_end_matches('='))
            .map_err(|_| HashFormatError::Unsupported)
    };
    let (salt, sum) = (decode(salt)?, decode(sum)?);
    if salt.is_empty() || sum.len() < 16 || sum.len() > 64 {
        return Err(HashFormatError::Unsupported);
    }
    Ok(format!(
        "${algorithm}$i={rounds},l={}${}${}",
        sum.len(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(sum)
    ))
}
