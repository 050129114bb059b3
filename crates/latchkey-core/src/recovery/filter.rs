//! The query-filter language of ForgeRock IDM and SCIM (RFC 7644 §3.4.2.2):
//! `eq`, `ne`, `co`, `sw`, `ew`, `pr`, `and`, `or`, `not`, parentheses, quoted strings
//! with JSON escapes. Attributes: `userName`, `mail`/`email`, `givenName`, `sn` (an IDM
//! JSON-pointer `/userName` works too). Keywords and attribute names are case-insensitive.

use crate::domain::Account;
use std::fmt;

const MAX_FILTER_BYTES: usize = 2048;
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attr {
    UserName,
    Email,
    GivenName,
    Sn,
    Id,
    DisplayName,
    ExternalId,
    Active,
    Created,
    LastModified,
}

impl Attr {
    /// An attribute by its IDM or SCIM name (a JSON pointer, a SCIM path; any case).
    pub fn parse(raw: &str) -> Option<Self> {
        let name = raw.strip_prefix('/').unwrap_or(raw).to_ascii_lowercase();
        match name.as_str() {
            "username" => Some(Attr::UserName),
            "mail" | "email" | "emails" | "emails.value" => Some(Attr::Email),
            "givenname" | "name.givenname" => Some(Attr::GivenName),
            "sn" | "name.familyname" => Some(Attr::Sn),
            "id" => Some(Attr::Id),
            "displayname" => Some(Attr::DisplayName),
            "externalid" => Some(Attr::ExternalId),
            "active" => Some(Attr::Active),
            "meta.created" => Some(Attr::Created),
            "meta.lastmodified" => Some(Attr::LastModified),
            _ => None,
        }
    }

    /// The attribute's name as error messages give it.
    pub fn name(self) -> &'static str {
        match self {
            Attr::UserName => "userName",
            Attr::Email => "mail",
            Attr::GivenName => "givenName",
            Attr::Sn => "sn",
            Attr::Id => "id",
            Attr::DisplayName => "displayName",
            Attr::ExternalId => "externalId",
            Attr::Active => "active",
            Attr::Created => "meta.created",
            Attr::LastModified => "meta.lastModified",
        }
    }

    pub(crate) fn of(self, a: &Account) -> Option<String> {
        match self {
            Attr::UserName => Some(a.user_name.as_str().to_owned()),
            Attr::Email => a.profile.email.clone(),
            Attr::GivenName => a.profile.given_name.clone(),
            Attr::Sn => a.profile.sn.clone(),
            Attr::Id => Some(a.id.to_string()),
            Attr::DisplayName => a.profile.display_name.clone(),
            Attr::ExternalId => a.profile.external_id.clone(),
            Attr::Active => Some((!a.disabled).to_string()),
            Attr::Created => a
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .ok(),
            // The last change we track is the password's; revisions carry no time.
            Attr::LastModified => a
                .password_changed_at
                .unwrap_or(a.created_at)
                .format(&time::format_description::well_known::Rfc3339)
                .ok(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "eq" => Some(Op::Eq),
            "ne" => Some(Op::Ne),
            "co" => Some(Op::Co),
            "sw" => Some(Op::Sw),
            "ew" => Some(Op::Ew),
            "gt" => Some(Op::Gt),
            "ge" => Some(Op::Ge),
            "lt" => Some(Op::Lt),
            "le" => Some(Op::Le),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Co => "co",
            Op::Sw => "sw",
            Op::Ew => "ew",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// IDM's `true` and `false`: every account, or none.
    Literal(bool),
    Compare(Attr, Op, String),
    Present(Attr),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query filter at byte {at}: {what}")]
pub struct FilterError {
    pub at: usize,
    pub what: &'static str,
}

impl Filter {
    pub fn parse(input: &str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_BYTES {
            return Err(FilterError {
                at: MAX_FILTER_BYTES,
                what: "too long",
            });
        }
        let mut p = Parser {
            s: input,
            pos: 0,
            depth: 0,
        };
        let f = p.or()?;
        p.skip_ws();
        if p.pos != input.len() {
            return Err(p.err("unexpected text after the filter"));
        }
        Ok(f)
    }

    /// Whether an account matches (string comparisons ignore case, as directories do).
    pub fn matches(&self, a: &Account) -> bool {
        match self {
            Filter::Literal(b) => *b,
            Filter::Present(attr) => attr.of(a).is_some_and(|v| !v.is_empty()),
            Filter::Compare(attr, op, value) => {
                let Some(actual) = attr.of(a) else {
                    return *op == Op::Ne;
                };
                let (x, y) = (actual.to_lowercase(), value.to_lowercase());
                match op {
                    Op::Eq => x == y,
                    Op::Ne => x != y,
                    Op::Co => x.contains(&y),
                    Op::Sw => x.starts_with(&y),
                    Op::Ew => x.ends_with(&y),
                    // Times are RFC 3339 UTC, so their text orders like the times.
                    Op::Gt => x > y,
                    Op::Ge => x >= y,
                    Op::Lt => x < y,
                    Op::Le => x <= y,
                }
            }
            Filter::And(l, r) => l.matches(a) && r.matches(a),
            Filter::Or(l, r) => l.matches(a) || r.matches(a),
            Filter::Not(f) => !f.matches(a),
        }
    }

    /// The `userName eq` / `mail eq` terms anywhere in the filter: the candidates a store
    /// can look up by index before the whole filter is checked.
    pub fn equality_terms(&self) -> Vec<(Attr, &str)> {
        match self {
            Filter::Compare(attr @ (Attr::UserName | Attr::Email), Op::Eq, v) => {
                vec![(*attr, v.as_str())]
            }
            Filter::And(l, r) | Filter::Or(l, r) => {
                [l.equality_terms(), r.equality_terms()].concat()
            }
            _ => vec![],
        }
    }
}

impl Filter {
    /// Binding strength: `or` < `and` < everything else.
    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => 1,
            Filter::And(..) => 2,
            _ => 3,
        }
    }

    /// Prints with only the parentheses the grammar needs: chains read back as the same
    /// left-leaning tree, so printing never deepens the nesting.
    fn write(&self, f: &mut fmt::Formatter<'_>, parent: u8, right: bool) -> fmt::Result {
        let p = self.precedence();
        let parens = p < 3 && (parent > p || (parent == p && right));
        if parens {
            f.write_str("(")?;
        }
        match self {
            Filter::Compare(a, op, v) => write!(
                f,
                "{} {} {}",
                a.name(),
                op.name(),
                serde_json::Value::String(v.clone())
            )?,
            Filter::Literal(b) => write!(f, "{b}")?,
            Filter::Present(a) => write!(f, "{} pr", a.name())?,
            Filter::And(l, r) | Filter::Or(l, r) => {
                l.write(f, p, false)?;
                f.write_str(if p == 1 { " or " } else { " and " })?;
                r.write(f, p, true)?;
            }
            Filter::Not(x) => {
                f.write_str("not (")?;
                x.write(f, 0, false)?;
                f.write_str(")")?;
            }
        }
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 0, false)
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> FilterError {
        FilterError { at: self.pos, what }
    }

    fn skip_ws(&mut self) {
        while self.s[self.pos..].starts_with(|c: char| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// The next bare word (attribute, operator or keyword), not consumed.
    fn peek_word(&self) -> &str {
        let rest = &self.s[self.pos..];
        let end = rest
            .find(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '.' || c == '/' || c == '_' || c == '-')
            })
            .unwrap_or(rest.len());
        &rest[..end]
    }

    fn word(&mut self) -> &str {
        self.skip_ws();
        let start = self.pos;
        let len = self.peek_word().len();
        self.pos += len;
        &self.s[start..start + len]
    }

    fn keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let w = self.peek_word();
        if w.eq_ignore_ascii_case(kw) {
            self.pos += w.len();
            true
        } else {
            false
        }
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.err("nested too deeply"))
        } else {
            Ok(())
        }
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        self.enter()?;
        let mut left = self.and()?;
        while self.keyword("or") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.not()?;
        while self.keyword("and") {
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter, FilterError> {
        self.skip_ws();
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.s[self.pos..].starts_with('(') {
                return Ok(Filter::Not(Box::new(self.primary()?)));
            }
            self.pos = save;
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, FilterError> {
        self.skip_ws();
        if self.s[self.pos..].starts_with('(') {
            self.pos += 1;
            let f = self.or()?;
            self.skip_ws();
            if !self.s[self.pos..].starts_with(')') {
                return Err(self.err("expected ')'"));
            }
            self.pos += 1;
            return Ok(f);
        }
        let at = self.pos;
        let attr_name = self.word().to_owned();
        if attr_name.is_empty() {
            return Err(self.err("expected an attribute"));
        }
        for literal in [true, false] {
            if attr_name.eq_ignore_ascii_case(&literal.to_string()) {
                return Ok(Filter::Literal(literal));
            }
        }
        let attr = Attr::parse(&attr_name).ok_or(FilterError {
            at,
            what: "unknown attribute",
        })?;
        let op_at = self.pos;
        let op_name = self.word().to_owned();
        if op_name.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(attr));
        }
        let op = Op::parse(&op_name).ok_or(FilterError {
            at: op_at,
            what: "unknown operator",
        })?;
        Ok(Filter::Compare(attr, op, self.string()?))
    }

    /// A JSON string literal (IDM and SCIM both use JSON escapes), or a bare `true`,
    /// `false`, `null` or number (SCIM's `active eq true`).
    fn string(&mut self) -> Result<String, FilterError> {
        self.skip_ws();
        let rest = &self.s[self.pos..];
        if !rest.starts_with('"') {
            let bare = self.peek_word().to_owned();
            let literal = matches!(
                bare.to_ascii_lowercase().as_str(),
                "true" | "false" | "null"
            ) || (!bare.is_empty() && bare.parse::<f64>().is_ok());
            if !literal {
                return Err(self.err("expected a quoted string"));
            }
            self.pos += bare.len();
            return Ok(bare.to_ascii_lowercase());
        }
        let bytes = rest.as_bytes();
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        if i >= bytes.len() {
            return Err(self.err("unterminated string"));
        }
        let literal = &rest[..=i];
        let value: String =
            serde_json::from_str(literal).map_err(|_| self.err("invalid escape in string"))?;
        self.pos += i + 1;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn account() -> Account {
        use crate::domain::Profile;
        Account {
            profile: Profile {
                email: Some("John.Doe@Example.com".into()),
                given_name: Some("John".into()),
                ..Default::default()
            },
            ..Account::example("JDoe", time::OffsetDateTime::UNIX_EPOCH)
        }
    }

    #[test]
    fn idm_and_scim_filters_match_as_expected() {
        let a = account();
        for (f, expected) in [
            (r#"userName eq "jdoe""#, true),
            (r#"/userName eq "jdoe""#, true),
            (r#"mail eq "john.doe@example.com""#, true),
            (r#"userName eq "jdoe" and mail sw "john""#, true),
            (
                r#"userName eq "other" or (givenName co "oh" and not (sn pr))"#,
                true,
            ),
            (r#"userName eq "jdoe" and sn pr"#, false),
            (r#"USERNAME EQ "JDOE""#, true),
            (r#"emails.value ew "@example.com""#, true),
            (r#"userName eq "j\"doe""#, false),
            (r#"userName ne "x""#, true),
        ] {
            assert_eq!(Filter::parse(f).unwrap().matches(&a), expected, "{f}");
        }
    }

    #[test]
    fn escapes_are_json_escapes() {
        let f = Filter::parse(r#"userName eq "a\"b\\c\u00e9""#).unwrap();
        assert_eq!(
            f,
            Filter::Compare(Attr::UserName, Op::Eq, "a\"b\\cé".into())
        );
    }

    #[test]
    fn equality_terms_drive_the_lookup() {
        let f =
            Filter::parse(r#"(userName eq "a" or mail eq "b@x") and givenName co "z""#).unwrap();
        assert_eq!(
            f.equality_terms(),
            vec![(Attr::UserName, "a"), (Attr::Email, "b@x")]
        );
    }

    #[test]
    fn printing_adds_no_needless_parentheses() {
        let f =
            Filter::parse(r#"sn eq "a" or sn eq "b" or (sn eq "c" and sn eq "d") or sn eq "e""#)
                .unwrap();
        assert_eq!(
            f.to_string(),
            r#"sn eq "a" or sn eq "b" or sn eq "c" and sn eq "d" or sn eq "e""#
        );
        let long = vec![r#"sn eq "x""#; 60].join(" or ");
        assert_eq!(
            Filter::parse(&Filter::parse(&long).unwrap().to_string()).unwrap(),
            Filter::parse(&long).unwrap()
        );
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [
            "",
            "userName",
            r#"userName eq"#,
            r#"userName eq jdoe"#,
            r#"password eq "x""#,
            r#"(userName eq "x""#,
            r#"userName eq "x" extra"#,
            r#"userName eq "unterminated"#,
            &"(".repeat(100),
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad}");
        }
    }

    fn arb_filter() -> impl Strategy<Value = Filter> {
        let attr = prop_oneof![
            Just(Attr::UserName),
            Just(Attr::Email),
            Just(Attr::GivenName),
            Just(Attr::Sn)
        ];
        let op = prop_oneof![
            Just(Op::Eq),
            Just(Op::Ne),
            Just(Op::Co),
            Just(Op::Sw),
            Just(Op::Ew)
        ];
        let leaf = prop_oneof![
            (attr.clone(), op, "\\PC{0,12}").prop_map(|(a, o, v)| Filter::Compare(a, o, v)),
            attr.prop_map(Filter::Present),
        ];
        leaf.prop_recursive(4, 16, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
                (inner.clone(), inner.clone())
                    .prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
                inner.prop_map(|f| Filter::Not(Box::new(f))),
            ]
        })
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_filter(f in arb_filter()) {
            prop_assert_eq!(Filter::parse(&f.to_string()).unwrap(), f);
        }

        #[test]
        fn parsing_arbitrary_input_never_panics(s in "\\PC{0,80}") {
            let _ = Filter::parse(&s);
        }
    }
}
