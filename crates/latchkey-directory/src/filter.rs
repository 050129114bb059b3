//! LDAP filters from values (RFC 4515 escaping): a value typed by anyone never changes a
//! filter's structure.

/// Escapes a value for an equality assertion.
pub fn escape(value: &str) -> String {
    ldap3::ldap_escape(value).into_owned()
}

/// `(&<base>(<attribute>=<value>))`, the value escaped.
pub fn and_equals(base: &str, attribute: &str, value: &str) -> String {
    format!("(&{base}({attribute}={}))", escape(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_cannot_change_the_filter() {
        assert_eq!(
            and_equals("(objectClass=inetOrgPerson)", "uid", "*)(uid=*"),
            "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))"
        );
        assert_eq!(escape("a\\b\0"), "a\\5cb\\00");
    }
}
