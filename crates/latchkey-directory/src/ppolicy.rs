//! The password-policy controls (draft-behera-ldap-password-policy): the request control
//! sent with binds and password changes, and the answer the directory gives in its
//! response control.

use crate::ber;

pub const OID: &str = "1.3.6.1.4.1.42.2.27.8.5.1";

/// The `error` of a password-policy response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    PasswordExpired,
    AccountLocked,
    ChangeAfterReset,
    PasswordModNotAllowed,
    MustSupplyOldPassword,
    InsufficientPasswordQuality,
    PasswordTooShort,
    PasswordTooYoung,
    PasswordInHistory,
}

/// What a password-policy response control says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Response {
    pub error: Option<PolicyError>,
    /// Grace binds left after expiry (`graceAuthNsRemaining`).
    pub grace_remaining: Option<u32>,
    pub seconds_before_expiration: Option<u32>,
}

/// Reads the control's value; `None` for anything that is not one.
pub fn parse(value: &[u8]) -> Option<Response> {
    let (tag, mut body, _) = ber::element(value)?;
    if tag != 0x30 {
        return None;
    }
    let mut out = Response::default();
    while !body.is_empty() {
        let (tag, contents, rest) = ber::element(body)?;
        match tag {
            // warning [0] CHOICE { timeBeforeExpiration [0], graceAuthNsRemaining [1] }
            0xa0 => {
                let (inner, n, _) = ber::element(contents)?;
                match inner {
                    0x80 => out.seconds_before_expiration = ber::small_int(n),
                    0x81 => out.grace_remaining = ber::small_int(n),
                    _ => {}
                }
            }
            // error [1] ENUMERATED
            0x81 => {
                out.error = Some(match ber::small_int(contents)? {
                    0 => PolicyError::PasswordExpired,
                    1 => PolicyError::AccountLocked,
                    2 => PolicyError::ChangeAfterReset,
                    3 => PolicyError::PasswordModNotAllowed,
                    4 => PolicyError::MustSupplyOldPassword,
                    5 => PolicyError::InsufficientPasswordQuality,
                    6 => PolicyError::PasswordTooShort,
                    7 => PolicyError::PasswordTooYoung,
                    8 => PolicyError::PasswordInHistory,
                    _ => return None,
                });
            }
            _ => {}
        }
        body = rest;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_errors_and_warnings() {
        assert_eq!(
            parse(&[0x30, 0x03, 0x81, 0x01, 0x02]).unwrap().error,
            Some(PolicyError::ChangeAfterReset)
        );
        let grace = parse(&[0x30, 0x05, 0xa0, 0x03, 0x81, 0x01, 0x02]).unwrap();
        assert_eq!(grace.grace_remaining, Some(2));
        assert_eq!(grace.error, None);
        assert_eq!(parse(&[0x30, 0x00]).unwrap(), Response::default());
        assert_eq!(parse(&[0x04, 0x00]), None);
        assert_eq!(parse(&[0x30, 0x03, 0x81, 0x01, 0x09]), None);
    }
}
