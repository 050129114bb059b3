//! The account: identity, profile, roles and password state (never the hash itself).

use super::{Dn, Roles, Sid, UserName};
use time::OffsetDateTime;

pub type AccountId = uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Disabled,
    Locked,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Disabled => "disabled",
            AccountStatus::Locked => "locked",
        }
    }
}

/// Profile attributes; the not-personal rule reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub email: Option<String>,
    pub given_name: Option<String>,
    pub sn: Option<String>,
    pub display_name: Option<String>,
    pub telephone_number: Option<String>,
    pub locale: Option<String>,
    /// The provisioning client's identifier (SCIM `externalId`).
    pub external_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub user_name: UserName,
    pub dn: Dn,
    /// `None` for an account whose source has no SIDs (an OpenLDAP entry).
    pub sid: Option<Sid>,
    pub profile: Profile,
    pub roles: Roles,
    pub disabled: bool,
    pub locked_until: Option<OffsetDateTime>,
    pub federated: bool,
    pub has_password: bool,
    pub must_change_password: bool,
    pub password_never_expires: bool,
    pub cannot_change_password: bool,
    pub password_changed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub rev: i64,
}

impl Account {
    pub fn status(&self, now: OffsetDateTime) -> AccountStatus {
        if self.disabled {
            AccountStatus::Disabled
        } else if self.locked_until.is_some_and(|t| t > now) {
            AccountStatus::Locked
        } else {
            AccountStatus::Active
        }
    }
}

impl Account {
    /// A plain local account named `user_name` (DN from the default template, no lock,
    /// password set at `at`): the fixture of tests and benchmarks, never stored as is.
    #[doc(hidden)]
    pub fn example(user_name: &str, at: OffsetDateTime) -> Self {
        Self {
            id: uuid::Uuid::nil(),
            user_name: UserName::parse(user_name).expect("a valid example user name"),
            dn: Dn::from_template("uid={userName},ou=People,dc=example,dc=com", user_name)
                .expect("a valid example DN"),
            sid: Some(Sid::for_account([1, 2, 3], 1001)),
            profile: Profile::default(),
            roles: Roles::new(vec![]),
            disabled: false,
            locked_until: None,
            federated: false,
            has_password: true,
            must_change_password: false,
            password_never_expires: false,
            cannot_change_password: false,
            password_changed_at: Some(at),
            created_at: at,
            rev: 1,
        }
    }
}
