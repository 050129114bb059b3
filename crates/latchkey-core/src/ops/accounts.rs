//! Account administration: create (with a password, an imported hash, or none), read,
//! list, change, delete, lock and unlock; and the first start's admin account.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal};
use crate::domain::{Account, AccountId, Dn, Password, Profile, Role, Roles, Sid, UserName};
use crate::hashing::PasswordHash;
use crate::policy::ValidationReport;
use crate::policy::{Candidate, Entry};
use crate::ports::{AccountFilter, NewAccount, NewPassword, StoreError};
use crate::recovery::filter::{Attr, Filter, Op};
use crate::secret::{ExposeSecret as _, SecretString};
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

/// Page size bounds of every list (SPEC §10).
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

#[derive(Debug, Default)]
pub struct CreateAccount {
    pub user_name: String,
    pub password: Option<SecretString>,
    /// An imported hash (PHC, bcrypt or `{SSHA...}`).
    pub password_hash: Option<String>,
    pub dn: Option<String>,
    pub profile: Profile,
    pub roles: Vec<Role>,
    pub federated: bool,
    /// Created disabled (SCIM's `active: false`).
    pub disabled: bool,
    pub must_change_password: bool,
    pub password_never_expires: bool,
    pub cannot_change_password: bool,
    /// Made by a provisioning client (SCIM): refused where the account source that holds
    /// the users does not create them ([`crate::error::PROVISIONED_ELSEWHERE`]).
    pub provisioned: bool,
}

#[derive(Debug)]
pub struct AccountPage {
    pub items: Vec<Account>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

impl Latchkey {
    pub async fn create_account(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        req: CreateAccount,
    ) -> Result<Account, CoreError> {
        self.authorize(principal, Permission::WriteAccounts)?;
        let can = self.accounts.capabilities();
        if req.provisioned && !can.provisions {
            return Err(CoreError::Refused(crate::error::PROVISIONED_ELSEWHERE));
        }
        if !can.create {
            return Err(CoreError::Refused(
                "the account source does not create accounts",
            ));
        }
        let roles = Roles::new(req.roles);
        if roles.iter().any(|r| r != Role::User) && !principal.has_admin_power() {
            return Err(CoreError::Forbidden(
                "only an administrator grants the helpdesk or admin role",
            ));
        }
        let user_name =
            UserName::parse(&req.user_name).map_err(|e| CoreError::Invalid(e.to_string()))?;
        req.profile
            .check()
            .map_err(|e| CoreError::Invalid(e.to_string()))?;
        let dn = match &req.dn {
            Some(raw) => Dn::parse(raw),
            None => Dn::from_template(&self.settings.dn_template, user_name.as_str()),
        }
        .map_err(|e| CoreError::Invalid(format!("dn: {e}")))?;
        // The store enforces uniqueness; asking first only names the field clearly.
        if self
            .accounts
            .account_by_user_name(&user_name.lookup_key())
            .await?
            .is_some()
        {
            return Err(CoreError::Duplicate("userName"));
        }
        let (hash, plain, report) = match (&req.password, &req.password_hash) {
            (Some(_), Some(_)) => {
                return Err(CoreError::Invalid(
                    "give either password or passwordHash, not both".into(),
                ));
            }
            (Some(_), None) | (None, Some(_)) if req.federated => {
                return Err(CoreError::Invalid(
                    "a federated account has no local password".into(),
                ));
            }
            (Some(pw), None) => {
                let (checked, report) = self
                    .hash_checked(pw.expose_secret(), user_name.as_str(), &roles)
                    .await?;
                (Some(checked.hash), Some(checked.plain), Some(report))
            }
            (None, Some(h)) => (
                Some(
                    PasswordHash::parse_imported(h, &self.settings.hashing)
                        .map_err(|e| CoreError::Invalid(format!("passwordHash: {e}")))?,
                ),
                None,
                None,
            ),
            (None, None) => (None, None, None),
        };
        let now = self.clock.now();
        let id = Uuid::new_v4();
        let new = NewAccount {
            id,
            user_name,
            dn,
            profile: req.profile,
            roles,
            federated: req.federated,
            hash,
            plain,
            provisioned: req.provisioned,
            disabled: req.disabled,
            must_change_password: req.must_change_password,
            password_never_expires: req.password_never_expires,
            cannot_change_password: req.cannot_change_password,
            created_at: now,
            sid: None,
            password_changed_at: None,
            audit: self.event(
                ctx,
                AuditType::AccountCreate,
                principal,
                Some(id),
                Outcome::Success,
                None,
            ),
        };
        let mut event = new.audit.clone();
        let made = match (self.accounts.insert_account(new, self.domain).await, report) {
            (Ok(made), _) => made,
            // A source that sets the password itself (a directory) refused it: reported
            // beside Latchkey's own rules, as for a change.
            (Err(StoreError::SourceRefused(refusal)), Some(report)) => {
                let report = report.refused_by_source(&refusal);
                return Err(CoreError::Policy(Box::new(report)));
            }
            (Err(e), _) => return Err(e.into()),
        };
        // A source may give the account its own id (a directory entry's): the event names it.
        event.target_id = Some(made.id);
        super::log_audit(&event);
        Ok(made)
    }

    /// A new password as given by an administrator at creation: policy, then hash.
    async fn hash_checked(
        &self,
        raw: &str,
        user_name: &str,
        roles: &Roles,
    ) -> Result<(NewPassword, ValidationReport), CoreError> {
        // The account does not exist yet: its roles pick the policy, its name stays out.
        let policy = Arc::clone(self.policies.for_roles(roles));
        let pw = match Password::parse(raw) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                return Err(CoreError::Policy(Box::new(
                    policy.report_unparsable(raw, &e),
                )));
            }
        };
        let hasher = self.hasher.clone();
        let now = self.clock.now();
        let user_name = user_name.to_owned();
        let plain = Arc::clone(&pw);
        let (report, hash) = self
            .engine
            .run(move || {
                let c = Candidate {
                    password: &pw,
                    account: None,
                    user_name: Some(&user_name),
                    entry: Entry::Create,
                    now,
                    current_password: None,
                    current_hash: None,
                    history: &[],
                };
                let report = policy.evaluate(&c);
                let hash = report.valid.then(|| hasher.hash(&pw));
                (report, hash)
            })
            .await?;
        match hash {
            Some(hash) => Ok((NewPassword { hash, plain }, report)),
            None => Err(CoreError::Policy(Box::new(report))),
        }
    }

    pub async fn get_account(
        &self,
        principal: &Principal,
        id: AccountId,
    ) -> Result<Account, CoreError> {
        Ok(self
            .visible_account(principal, id, Permission::ReadAccounts)
            .await?
            .account)
    }

    /// The signed-in account itself.
    pub async fn me(&self, principal: &Principal) -> Result<Account, CoreError> {
        let id = principal
            .account_id()
            .ok_or(CoreError::Forbidden("an API client is not an account"))?;
        self.get_account(principal, id).await
    }

    /// Resolves an account named by id, DN or SID — the ways the compatibility surfaces
    /// name a directory object.
    pub async fn find_account(
        &self,
        principal: &Principal,
        name: &str,
    ) -> Result<Account, CoreError> {
        self.resolve_account(principal, name, Permission::ReadAccounts)
            .await
    }

    /// The same, for a caller who needs `permission` on others' accounts (a helpdesk
    /// resolves the account it resets). A name that is none of the three is `Invalid`.
    pub async fn resolve_account(
        &self,
        principal: &Principal,
        name: &str,
        permission: Permission,
    ) -> Result<Account, CoreError> {
        let record = self.record_by_name(name).await?;
        self.visible_found(principal, record, permission).await
    }

    /// The account an id, SID or DN names, unchecked: for internal use by operations
    /// that do their own authorisation. A name that is none of the three is `Invalid`.
    pub(super) async fn record_by_name(
        &self,
        name: &str,
    ) -> Result<Option<crate::ports::AccountRecord>, CoreError> {
        Ok(if let Ok(id) = Uuid::parse_str(name) {
            self.accounts.account_by_id(id).await?
        } else if let Ok(sid) = Sid::parse(name) {
            self.accounts.account_by_sid(&sid).await?
        } else if let Ok(dn) = Dn::parse(name) {
            self.accounts.account_by_dn(&dn).await?
        } else {
            return Err(CoreError::Invalid(format!(
                "{name:?} is not a DN, GUID or SID"
            )));
        })
    }

    pub async fn list_accounts(
        &self,
        principal: &Principal,
        filter: AccountFilter,
    ) -> Result<AccountPage, CoreError> {
        self.authorize(principal, Permission::ReadAccounts)?;
        self.account_page(filter).await
    }

    /// The accounts matching `filter` that `principal` may read: any for an account
    /// reader, otherwise its own account alone (when it matches) — as one account's GET.
    pub async fn query_visible_accounts(
        &self,
        principal: &Principal,
        mut filter: AccountFilter,
    ) -> Result<AccountPage, CoreError> {
        let reader = self.full_rights(principal).is_ok() && principal.may(Permission::ReadAccounts);
        if !reader {
            let me = principal
                .account_id()
                .ok_or(CoreError::Forbidden(crate::error::NOT_ALLOWED))?;
            let own = Filter::Compare(Attr::Id, Op::Eq, me.to_string());
            filter.query = Some(match filter.query.take() {
                Some(q) => Filter::And(Box::new(q), Box::new(own)),
                None => own,
            });
        }
        self.account_page(filter).await
    }

    async fn account_page(&self, mut filter: AccountFilter) -> Result<AccountPage, CoreError> {
        filter.limit = match filter.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let (items, total) = self.accounts.list_accounts(&filter).await?;
        Ok(AccountPage {
            items,
            total,
            offset: filter.offset,
            limit: filter.limit,
        })
    }

    pub async fn delete_account(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: AccountId,
        expected_rev: Option<i64>,
    ) -> Result<(), CoreError> {
        self.authorize(principal, Permission::WriteAccounts)?;
        let current = self
            .accounts
            .account_by_id(id)
            .await?
            .ok_or(CoreError::NotFound)?
            .account;
        if current.roles.is_admin() && !principal.has_admin_power() {
            return Err(CoreError::Forbidden(
                "only an administrator deletes an administrator",
            ));
        }
        let audit = self.event(
            ctx,
            AuditType::AccountDelete,
            principal,
            Some(id),
            Outcome::Success,
            None,
        );
        let events = vec![audit.clone()];
        self.stored(
            events,
            self.accounts.delete_account(id, expected_rev, audit),
        )
        .await
    }

    /// Locks an account until `until` (administrative lock), or unlocks it with `None`.
    pub async fn set_lock(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: AccountId,
        until: Option<OffsetDateTime>,
    ) -> Result<Account, CoreError> {
        // Locking is account administration; unlocking is a helpdesk task too (as with a
        // reset, an administrator's account only by an administrator).
        let needed = if until.is_some() {
            Permission::WriteAccounts
        } else {
            Permission::ResetPasswords
        };
        self.authorize(principal, needed)?;
        let target = self
            .accounts
            .account_by_id(id)
            .await?
            .ok_or(CoreError::NotFound)?;
        if target.account.roles.is_admin() && !principal.has_admin_power() {
            return Err(CoreError::Forbidden(
                "only an administrator locks or unlocks an administrator",
            ));
        }
        let kind = if until.is_some() {
            AuditType::AccountLock
        } else {
            AuditType::AccountUnlock
        };
        let audit = self.event(
            ctx,
            kind,
            principal,
            Some(id),
            Outcome::Success,
            Some("administrative"),
        );
        if until.is_none() {
            // The source's own lock too (a directory's policy lock), before Latchkey's.
            self.accounts.unlock_at_source(id).await?;
        }
        self.stored(vec![audit.clone()], self.records.set_lock(id, until, audit))
            .await?;
        // Read back through the source: a directory account's names are the directory's.
        Ok(self
            .accounts
            .account_by_id(id)
            .await?
            .ok_or(CoreError::NotFound)?
            .account)
    }

    /// Resolves a user name for the CLI and the surfaces that address accounts by name.
    pub async fn account_by_user_name(
        &self,
        principal: &Principal,
        user_name: &str,
    ) -> Result<Account, CoreError> {
        let record = self
            .accounts
            .account_by_user_name(&UserName::key_of(user_name))
            .await?;
        self.visible_found(principal, record, Permission::ReadAccounts)
            .await
    }

    /// An account that was looked up by name: shown to whoever may see it; a miss is
    /// `NotFound` only for callers allowed to know.
    async fn visible_found(
        &self,
        principal: &Principal,
        record: Option<crate::ports::AccountRecord>,
        permission: Permission,
    ) -> Result<Account, CoreError> {
        match record {
            Some(r) => Ok(self
                .visible_account(principal, r.account.id, permission)
                .await?
                .account),
            None => {
                self.full_rights(principal)?;
                self.found_or_hidden(principal, None).map(|r| r.account)
            }
        }
    }

    /// On first start with an empty store: an `admin` account with a generated password,
    /// returned once for the operator. `None` when accounts exist (or another node won).
    pub async fn ensure_initial_admin(
        &self,
        ctx: &RequestContext,
    ) -> Result<Option<SecretString>, CoreError> {
        if self.accounts.count_own_accounts().await? > 0 {
            return Ok(None);
        }
        let admin = Roles::new(vec![Role::Admin]);
        let password = self
            .policies
            .for_roles(&admin)
            .generate(None, self.clock.now())
            .ok_or_else(|| {
                CoreError::Internal("the policy rejects every generated password".into())
            })?;
        let req = CreateAccount {
            user_name: "admin".into(),
            password: Some(password.clone()),
            roles: vec![Role::Admin],
            ..Default::default()
        };
        match self.create_account(ctx, &Principal::System, req).await {
            Ok(_) => Ok(Some(password)),
            Err(CoreError::Duplicate(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
