//! Distinguished names (RFC 4514): parsed, re-escaped, and compared after normalisation.
//!
//! Normalisation lowercases attribute types, lowercases the values of the
//! case-insensitive types directories use for naming (`uid`, `cn`, `ou`, `dc`), drops
//! insignificant spaces around separators, resolves escapes and orders the parts of
//! multi-valued RDNs, so `UID=JDoe, OU=People,dc=Example,dc=com` and
//! `uid=jdoe,ou=people,dc=example,dc=com` name one entry.

use std::{fmt, hash, str::FromStr};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    #[error("empty distinguished name")]
    Empty,
    #[error("invalid attribute type at byte {0}")]
    AttributeType(usize),
    #[error("expected '=' at byte {0}")]
    MissingEquals(usize),
    #[error("invalid escape at byte {0}")]
    Escape(usize),
    #[error("invalid hex string at byte {0}")]
    HexString(usize),
    #[error("unescaped special character at byte {0}")]
    Unescaped(usize),
    #[error("attribute value is not UTF-8")]
    NotUtf8,
    #[error("distinguished name is too long")]
    TooLong,
}

const MAX_DN_BYTES: usize = 4096;
const CASE_INSENSITIVE_TYPES: [&str; 4] = ["uid", "cn", "ou", "dc"];

#[derive(Debug, Clone)]
struct Ava {
    attr_type: String,
    /// Unescaped value; for a `#hex` value, the lowercase hex digits with the `#`.
    value: String,
    hex: bool,
}

/// A parsed distinguished name.
#[derive(Debug, Clone)]
pub struct Dn {
    rdns: Vec<Vec<Ava>>,
}

impl Dn {
    pub fn parse(raw: &str) -> Result<Self, DnError> {
        if raw.len() > MAX_DN_BYTES {
            return Err(DnError::TooLong);
        }
        if raw.trim().is_empty() {
            return Err(DnError::Empty);
        }
        Parser {
            s: raw.as_bytes(),
            pos: 0,
        }
        .dn()
    }

    /// The canonical comparison form: equal for every spelling of the same name.
    pub fn normalized(&self) -> String {
        let rdns = self.rdns.iter().map(|rdn| {
            let mut avas: Vec<String> = rdn
                .iter()
                .map(|ava| {
                    let t = ava.attr_type.to_ascii_lowercase();
                    let v = if ava.hex {
                        ava.value.clone()
                    } else if CASE_INSENSITIVE_TYPES.contains(&t.as_str()) {
                        escape_value(&ava.value.to_lowercase())
                    } else {
                        escape_value(&ava.value)
                    };
                    format!("{t}={v}")
                })
                .collect();
            avas.sort();
            avas.join("+")
        });
        rdns.collect::<Vec<_>>().join(",")
    }

    /// The value of the first (leftmost) RDN's first attribute, e.g. the `uid` of an account.
    pub fn leaf_value(&self) -> Option<&str> {
        self.rdns.first()?.first().map(|a| a.value.as_str())
    }

    /// A DN from a template such as `uid={userName},ou=People,dc=example,dc=com`, with the
    /// value escaped so that no user name can change the DN's structure.
    pub fn from_template(template: &str, user_name: &str) -> Result<Self, DnError> {
        Self::parse(&template.replace("{userName}", &escape_value(user_name)))
    }
}

impl PartialEq for Dn {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}
impl Eq for Dn {}
impl hash::Hash for Dn {
    fn hash<H: hash::Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl FromStr for Dn {
    type Err = DnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The RFC 4514 string form: types and value case as given, escapes where required.
impl fmt::Display for Dn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rdn) in self.rdns.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            for (j, ava) in rdn.iter().enumerate() {
                if j > 0 {
                    f.write_str("+")?;
                }
                let v = if ava.hex {
                    ava.value.clone()
                } else {
                    escape_value(&ava.value)
                };
                write!(f, "{}={}", ava.attr_type, v)?;
            }
        }
        Ok(())
    }
}

/// Escapes a value per RFC 4514 §2.4.
pub fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let last = v.chars().count().saturating_sub(1);
    for (i, c) in v.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            c => out.push(c),
        }
    }
    out
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn dn(mut self) -> Result<Dn, DnError> {
        let mut rdns = vec![];
        loop {
            let mut rdn = vec![self.ava()?];
            while self.peek() == Some(b'+') {
                self.pos += 1;
                rdn.push(self.ava()?);
            }
            rdns.push(rdn);
            match self.peek() {
                None => return Ok(Dn { rdns }),
                Some(b',') => self.pos += 1,
                Some(_) => return Err(DnError::Unescaped(self.pos)),
            }
        }
    }

    fn ava(&mut self) -> Result<Ava, DnError> {
        self.skip_spaces();
        let attr_type = self.attr_type()?;
        self.skip_spaces();
        if self.peek() != Some(b'=') {
            return Err(DnError::MissingEquals(self.pos));
        }
        self.pos += 1;
        self.skip_spaces();
        let (value, hex) = if self.peek() == Some(b'#') {
            (self.hex_value()?, true)
        } else {
            (self.string_value()?, false)
        };
        Ok(Ava {
            attr_type,
            value,
            hex,
        })
    }

    fn attr_type(&mut self) -> Result<String, DnError> {
        let start = self.pos;
        let first = self.peek().ok_or(DnError::AttributeType(start))?;
        if first.is_ascii_alphabetic() {
            while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'-') {
                self.pos += 1;
            }
        } else if first.is_ascii_digit() {
            // numericoid: number *( "." number )
            while matches!(self.peek(), Some(c) if c.is_ascii_digit() || c == b'.') {
                self.pos += 1;
            }
            let oid = &self.s[start..self.pos];
            if oid.ends_with(b".") || oid.windows(2).any(|w| w == b"..") {
                return Err(DnError::AttributeType(start));
            }
        } else {
            return Err(DnError::AttributeType(start));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn hex_value(&mut self) -> Result<String, DnError> {
        let start = self.pos;
        self.pos += 1;
        let digits_start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits = &self.s[digits_start..self.pos];
        if digits.is_empty() || !digits.len().is_multiple_of(2) {
            return Err(DnError::HexString(start));
        }
        self.skip_spaces();
        Ok(format!(
            "#{}",
            String::from_utf8_lossy(digits).to_ascii_lowercase()
        ))
    }

    fn string_value(&mut self) -> Result<String, DnError> {
        let mut bytes = Vec::new();
        // Length of `bytes` up to the last byte that was escaped or not a space, so that
        // unescaped trailing spaces are dropped while escaped ones stay.
        let mut significant = 0;
        while let Some(c) = self.peek() {
            match c {
                b',' | b'+' => break,
                b'\\' => {
                    let at = self.pos;
                    self.pos += 1;
                    let next = self.peek().ok_or(DnError::Escape(at))?;
                    if next.is_ascii_hexdigit() {
                        let pair = self
                            .s
                            .get(self.pos..self.pos + 2)
                            .ok_or(DnError::Escape(at))?;
                        let text = std::str::from_utf8(pair).map_err(|_| DnError::Escape(at))?;
                        let b = u8::from_str_radix(text, 16).map_err(|_| DnError::Escape(at))?;
                        bytes.push(b);
                        self.pos += 2;
                    } else if b"\\\"+,;<> #=".contains(&next) {
                        bytes.push(next);
                        self.pos += 1;
                    } else {
                        return Err(DnError::Escape(at));
                    }
                    significant = bytes.len();
                }
                b'"' | b';' | b'<' | b'>' | b'\0' => return Err(DnError::Unescaped(self.pos)),
                _ => {
                    bytes.push(c);
                    self.pos += 1;
                    if c != b' ' {
                        significant = bytes.len();
                    }
                }
            }
        }
        bytes.truncate(significant);
        String::from_utf8(bytes).map_err(|_| DnError::NotUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dn(s: &str) -> Dn {
        Dn::parse(s).unwrap()
    }

    #[test]
    fn case_spacing_and_escapes_do_not_change_the_name() {
        let a = dn("uid=jdoe,ou=People,dc=example,dc=com");
        assert_eq!(a, dn("UID=JDoe , OU=people,  DC=Example,dc=COM"));
        assert_eq!(a, dn("uid=\\6adoe,ou=People,dc=example,dc=com"));
        assert_eq!(a.normalized(), "uid=jdoe,ou=people,dc=example,dc=com");
    }

    #[test]
    fn values_of_other_types_keep_their_case() {
        assert_ne!(dn("employeeNumber=A1,dc=x"), dn("employeeNumber=a1,dc=x"));
    }

    #[test]
    fn escaped_specials_survive_a_round_trip() {
        let d = dn(r"cn=Doe\, John\+1,ou=People,dc=example,dc=com");
        assert_eq!(d.leaf_value(), Some("Doe, John+1"));
        assert_eq!(dn(&d.to_string()), d);
        assert_eq!(
            d.to_string(),
            r"cn=Doe\, John\+1,ou=People,dc=example,dc=com"
        );
    }

    #[test]
    fn multi_valued_rdns_compare_in_any_order() {
        assert_eq!(dn("cn=a+uid=b,dc=x"), dn("uid=b+cn=a,dc=x"));
    }

    #[test]
    fn hex_values_and_oids_parse() {
        let d = dn("1.3.6.1.4.1.1466.0=#04024869,dc=example");
        assert_eq!(d.normalized(), "1.3.6.1.4.1.1466.0=#04024869,dc=example");
    }

    #[test]
    fn malformed_dns_are_refused() {
        for bad in [
            "",
            "   ",
            "uid",
            "uid=a,",
            "=a",
            "uid=a;b",
            "uid=a\\",
            "uid=a\\zz",
            "uid=#abc",
            "1..2=a",
        ] {
            assert!(Dn::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_template_escapes_the_user_name() {
        let d = Dn::from_template(
            "uid={userName},ou=People,dc=example,dc=com",
            "evil,ou=Admins",
        )
        .unwrap();
        assert_eq!(d.leaf_value(), Some("evil,ou=Admins"));
        assert_eq!(
            d.normalized(),
            r"uid=evil\,ou\=admins,ou=people,dc=example,dc=com"
        );
    }

    proptest! {
        #[test]
        fn display_then_parse_is_identity(values in proptest::collection::vec("\\PC{1,12}", 1..4)) {
            let raw = values.iter().map(|v| format!("cn={}", escape_value(v))).collect::<Vec<_>>().join(",");
            let d = Dn::parse(&raw).unwrap();
            for (i, v) in values.iter().enumerate() {
                prop_assert_eq!(&d.rdns[i][0].value, v);
            }
            let again = Dn::parse(&d.to_string()).unwrap();
            prop_assert_eq!(again.normalized(), d.normalized());
        }

        #[test]
        fn normalising_is_idempotent(v in "[a-zA-Z0-9 ,+=#;]{1,20}") {
            let d = Dn::parse(&format!("uid={},dc=x", escape_value(&v))).unwrap();
            let n = Dn::parse(&d.normalized()).unwrap();
            prop_assert_eq!(n.normalized(), d.normalized());
        }

        #[test]
        fn parsing_arbitrary_input_never_panics(s in "\\PC{0,40}") {
            let _ = Dn::parse(&s);
        }
    }
}
