//! Entries made and removed through Latchkey (`directory.allow_writes`): a provisioning
//! client's (SCIM's) users created in the directory under the user base, and deleted
//! there. OpenLDAP only: the entry is an `inetOrgPerson`; its password is set afterwards
//! by the service account's password modify, so the directory's policy judges it.

use crate::client::{
    Directory, DirectoryError, INSUFFICIENT_ACCESS, NO_SUCH_OBJECT, SUCCESS, UNWILLING_TO_PERFORM,
};
use crate::config::DirectoryConfig;
use std::collections::{BTreeMap, HashSet};

/// `entryAlreadyExists`.
const ALREADY_EXISTS: u32 = 68;

/// What a new entry holds (the password is set after it is made).
#[derive(Debug, Default, Clone)]
pub struct NewEntry {
    pub user_name: String,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
}

/// Why the directory did not make or remove an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRefusal {
    /// An entry has that DN already.
    Exists,
    /// The service account may not (the directory's text).
    NotAllowed(String),
}

impl NewEntry {
    /// Its DN (`<user name attribute>=<name>,<user base>`) and attributes. An
    /// `inetOrgPerson` must have `cn` and `sn`: the display name (or the given name and
    /// surname, or the user name) and the surname (or the user name) stand in.
    pub fn dn_and_attributes(
        &self,
        c: &DirectoryConfig,
    ) -> (String, Vec<(String, HashSet<String>)>) {
        let a = &c.attributes;
        let dn = format!(
            "{}={},{}",
            a.user_name,
            ldap3::dn_escape(self.user_name.as_str()),
            c.user_base
        );
        let cn = self
            .display_name
            .clone()
            .unwrap_or_else(|| match (&self.given_name, &self.sn) {
                (Some(g), Some(s)) => format!("{g} {s}"),
                _ => self.user_name.clone(),
            });
        let mut attrs: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                attrs
                    .entry(name.to_owned())
                    .or_default()
                    .insert(v.to_owned());
            }
        };
        put("objectClass", Some("inetOrgPerson"));
        put(&a.user_name, Some(&self.user_name));
        put("cn", Some(&cn));
        put("sn", Some(self.sn.as_deref().unwrap_or(&self.user_name)));
        put(&a.sn, self.sn.as_deref());
        put(&a.given_name, self.given_name.as_deref());
        put(&a.mail, self.mail.as_deref());
        put(&a.display_name, self.display_name.as_deref());
        put(&a.telephone_number, self.telephone_number.as_deref());
        (dn, attrs.into_iter().collect())
    }
}

impl Directory {
    /// Adds the entry by the service account; returns its DN.
    pub async fn add_entry(
        &self,
        entry: &NewEntry,
    ) -> Result<Result<String, EntryRefusal>, DirectoryError> {
        let (dn, attrs) = entry.dn_and_attributes(self.config());
        let mut loan = self.service_conn().await?;
        let ldap = self.timed(&mut loan);
        let r = match ldap.add(&dn, attrs).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        Ok(match r.rc {
            SUCCESS => Ok(dn),
            ALREADY_EXISTS => Err(EntryRefusal::Exists),
            INSUFFICIENT_ACCESS | UNWILLING_TO_PERFORM => Err(EntryRefusal::NotAllowed(r.text)),
            rc => return Err(DirectoryError::Unexpected { rc, text: r.text }),
        })
    }

    /// Deletes the entry at `dn` by the service account; one already gone is no error. A
    /// refusal (the service account may not) is the directory's text.
    pub async fn delete_entry(&self, dn: &str) -> Result<Result<(), String>, DirectoryError> {
        let mut loan = self.service_conn().await?;
        let ldap = self.timed(&mut loan);
        let r = match ldap.delete(dn).await {
            Ok(r) => r,
            Err(e) => return Err(self.fail(&mut loan, e)),
        };
        Ok(match r.rc {
            SUCCESS | NO_SUCH_OBJECT => Ok(()),
            INSUFFICIENT_ACCESS | UNWILLING_TO_PERFORM => Err(r.text),
            rc => return Err(DirectoryError::Unexpected { rc, text: r.text }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::NewEntry;
    use crate::config::DirectoryConfig;

    #[test]
    fn an_entry_is_an_inet_org_person_under_the_user_base_with_its_name_escaped() {
        let c = DirectoryConfig::new("ldap://x", "cn=svc", "pw", "ou=People,dc=example,dc=com");
        let entry = NewEntry {
            user_name: "o'neil,+x".into(),
            mail: Some("oneil@example.com".into()),
            given_name: Some("Pat".into()),
            sn: Some("O'Neil".into()),
            ..Default::default()
        };
        let (dn, attrs) = entry.dn_and_attributes(&c);
        assert_eq!(dn, r"uid=o'neil\2c\2bx,ou=People,dc=example,dc=com");
        let get = |name: &str| {
            attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.iter().cloned().collect::<Vec<_>>())
        };
        assert_eq!(get("objectClass"), Some(vec!["inetOrgPerson".into()]));
        assert_eq!(get("uid"), Some(vec!["o'neil,+x".into()]));
        assert_eq!(get("cn"), Some(vec!["Pat O'Neil".into()]));
        assert_eq!(get("sn"), Some(vec!["O'Neil".into()]));
        assert_eq!(get("mail"), Some(vec!["oneil@example.com".into()]));
        assert_eq!(get("displayName"), None, "an empty field is left out");
        // Without a surname the user name stands in (inetOrgPerson must have one).
        let bare = NewEntry {
            user_name: "svc".into(),
            ..Default::default()
        };
        let (_, attrs) = bare.dn_and_attributes(&c);
        assert!(attrs.iter().any(|(n, v)| n == "sn" && v.contains("svc")));
        assert!(attrs.iter().any(|(n, v)| n == "cn" && v.contains("svc")));
    }
}
