//! LDAP filters (RFC 4515): values escaped, so that a value typed by anyone never changes
//! a filter's structure; and the IDM/SCIM query filters translated into them.

use crate::config::Attributes;
use latchkey_core::recovery::filter::{Attr, Filter, Op};

/// Escapes a value for an assertion.
pub fn escape(value: &str) -> String {
    ldap3::ldap_escape(value).into_owned()
}

/// `(&<base>(<attribute>=<value>))`, the value escaped.
pub fn and_equals(base: &str, attribute: &str, value: &str) -> String {
    format!("(&{base}({attribute}={}))", escape(value))
}

/// A query filter the directory cannot express (the message names what).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the directory cannot filter on {0}")]
pub struct Untranslatable(pub &'static str);

/// The IDM/SCIM filter as an LDAP filter over the configured attributes. String
/// comparisons ignore case in both (the directory's matching rules for these
/// attributes are case-insensitive).
pub fn translate(f: &Filter, a: &Attributes) -> Result<String, Untranslatable> {
    Ok(match f {
        Filter::Literal(true) => "(objectClass=*)".to_owned(),
        Filter::Literal(false) => "(!(objectClass=*))".to_owned(),
        Filter::Present(attr) => format!("({}=*)", attribute(*attr, a)?),
        Filter::Compare(attr, op, value) => {
            let name = attribute(*attr, a)?;
            let v = escape(value);
            match op {
                Op::Eq => format!("({name}={v})"),
                Op::Ne => format!("(!({name}={v}))"),
                Op::Co => format!("({name}=*{v}*)"),
                Op::Sw => format!("({name}={v}*)"),
                Op::Ew => format!("({name}=*{v})"),
                Op::Ge => format!("({name}>={v})"),
                Op::Le => format!("({name}<={v})"),
                Op::Gt => format!("(&({name}>={v})(!({name}={v})))"),
                Op::Lt => format!("(&({name}<={v})(!({name}={v})))"),
            }
        }
        Filter::And(x, y) => format!("(&{}{})", translate(x, a)?, translate(y, a)?),
        Filter::Or(x, y) => format!("(|{}{})", translate(x, a)?, translate(y, a)?),
        Filter::Not(x) => format!("(!{})", translate(x, a)?),
    })
}

fn attribute(attr: Attr, a: &Attributes) -> Result<&str, Untranslatable> {
    Ok(match attr {
        Attr::UserName => &a.user_name,
        Attr::Email => &a.mail,
        Attr::GivenName => &a.given_name,
        Attr::Sn => &a.sn,
        Attr::DisplayName => &a.display_name,
        Attr::Id => &a.stable_id,
        other => return Err(Untranslatable(other.name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(f: &str) -> Result<String, Untranslatable> {
        translate(&Filter::parse(f).unwrap(), &Attributes::default())
    }

    #[test]
    fn a_value_cannot_change_the_filter() {
        assert_eq!(
            and_equals("(objectClass=inetOrgPerson)", "uid", "*)(uid=*"),
            "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))"
        );
        assert_eq!(escape("a\\b\0"), "a\\5cb\\00");
        assert_eq!(
            t(r#"userName eq "x)(|(uid=*""#).unwrap(),
            "(uid=x\\29\\28|\\28uid=\\2a)"
        );
    }

    #[test]
    fn query_filters_translate_operator_by_operator() {
        assert_eq!(
            t(r#"userName sw "jd" and (mail co "example" or not (sn pr))"#).unwrap(),
            "(&(uid=jd*)(|(mail=*example*)(!(sn=*))))"
        );
        assert_eq!(
            t(r#"givenName gt "m""#).unwrap(),
            "(&(givenName>=m)(!(givenName=m)))"
        );
        assert_eq!(t("true").unwrap(), "(objectClass=*)");
        assert_eq!(t(r#"externalId eq "x""#), Err(Untranslatable("externalId")));
        assert_eq!(t(r#"active eq true"#), Err(Untranslatable("active")));
    }
}
