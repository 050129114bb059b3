//! Stored contact data is clean: an e-mail address is a plain RFC 5322 addr-spec (no
//! display name, no line breaks, at most 254 octets), and no profile text carries a
//! control character — so none can start a new line or header in a mail.

use super::Profile;

/// The longest address SMTP can carry (RFC 5321 §4.5.3.1.3 path minus the brackets).
pub const MAX_EMAIL_OCTETS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct ContactError {
    pub field: &'static str,
    pub why: &'static str,
}

/// RFC 5322 `atext` (letters beyond ASCII allowed, as RFC 6531 does).
fn atext(c: char) -> bool {
    c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn dot_atom(s: &str, part: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.split('.').all(|a| !a.is_empty() && a.chars().all(&part))
}

/// A plain `local@domain` (dot-atom on both sides; a domain of labels, or an address
/// literal in brackets).
pub fn check_email(s: &str) -> Result<(), &'static str> {
    if s.len() > MAX_EMAIL_OCTETS {
        return Err("must be at most 254 octets");
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err("must be a plain address like name@example.com");
    };
    let label = |c: char| c.is_alphanumeric() || c == '-';
    let literal = domain.starts_with('[')
        && domain.ends_with(']')
        && domain[1..domain.len() - 1]
            .chars()
            .all(|c| c.is_ascii_hexdigit() || ".:".contains(c));
    if dot_atom(local, atext) && (literal || dot_atom(domain, label)) {
        Ok(())
    } else {
        Err(
            "must be a plain address like name@example.com (no display name, spaces or line breaks)",
        )
    }
}

impl Profile {
    /// Refuses an unclean value, naming the wire field.
    pub fn check(&self) -> Result<(), ContactError> {
        if let Some(e) = &self.email {
            check_email(e).map_err(|why| ContactError {
                field: "email",
                why,
            })?;
        }
        for (field, value) in [
            ("displayName", &self.display_name),
            ("givenName", &self.given_name),
            ("sn", &self.sn),
            ("telephoneNumber", &self.telephone_number),
            ("locale", &self.locale),
            ("externalId", &self.external_id),
        ] {
            if value
                .as_deref()
                .is_some_and(|v| v.chars().any(char::is_control))
            {
                return Err(ContactError {
                    field,
                    why: "must not contain control characters (line breaks, tabs, ...)",
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_addresses_pass_and_everything_else_is_refused() {
        for ok in [
            "jdoe@example.com",
            "j.doe+tag@mail.example.co.uk",
            "o'brien@example.com",
            "jörg@bücher.example",
            "x@[192.0.2.1]",
        ] {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(243));
        for bad in [
            "",
            "jdoe",
            "Jane Doe <jdoe@example.com>",
            "jdoe@example.com\r\nBcc: x@evil.example",
            "jdoe@example.com\n",
            "j doe@example.com",
            "jdoe@",
            "@example.com",
            "a..b@example.com",
            "jdoe@exa_mple.com",
            "\"quoted\"@example.com",
            long.as_str(),
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn control_characters_are_refused_in_every_text_field() {
        let p = Profile {
            display_name: Some("Jane\nSubject: hi".into()),
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().field, "displayName");
        let p = Profile {
            telephone_number: Some("+1 555\t0100".into()),
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().field, "telephoneNumber");
        assert!(Profile::default().check().is_ok());
    }
}
