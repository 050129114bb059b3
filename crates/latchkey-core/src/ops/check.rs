//! Dry-run password checks (`POST /passwords/check`) and password expiry.

use super::Latchkey;
use crate::CoreError;
use crate::auth::{Permission, Principal};
use crate::domain::{Account, Password, UserName};
use crate::policy::{Candidate, Entry, Preview, RuleInfo, ValidationReport};
use std::sync::Arc;
use time::OffsetDateTime;

impl Latchkey {
    /// The report for `password` without changing anything: for the caller's own account,
    /// or — for helpdesk, admins and `passwords:check` clients — for any user name (an
    /// unknown one is checked under the default policy, its name kept out of the password).
    pub async fn check_password(
        &self,
        principal: &Principal,
        password: &str,
        user_name: Option<&str>,
    ) -> Result<ValidationReport, CoreError> {
        let own = match principal.account_id() {
            Some(id) => Some(
                self.accounts
                    .account_by_id(id)
                    .await?
                    .ok_or(CoreError::InvalidCredentials)?
                    .account,
            ),
            None => None,
        };
        let account = match (user_name, own) {
            (None, own) => {
                if own.is_none() && !principal.may(Permission::CheckPasswords) {
                    return Err(CoreError::Forbidden(crate::error::NOT_ALLOWED));
                }
                own
            }
            (Some(name), Some(own)) if UserName::key_of(name) == own.user_name.lookup_key() => {
                Some(own)
            }
            (Some(name), _) => {
                if !principal.may(Permission::CheckPasswords) {
                    return Err(CoreError::Forbidden(crate::error::NOT_ALLOWED));
                }
                self.accounts
                    .account_by_user_name(&UserName::key_of(name))
                    .await?
                    .map(|r| r.account)
            }
        };
        let user_name = user_name.map(str::to_owned);
        Ok(self
            .dry_run(account, user_name, password, false)
            .await?
            .report)
    }

    /// The web page's live check as a person types: the caller's own account (a
    /// signed-in person, a change-only session included), or — before sign-in, `None` —
    /// the default policy with no account. Rules that need a real change are left out
    /// (they would answer "is this my current password?"), the strength score is added.
    pub async fn preview_password(
        &self,
        principal: Option<&Principal>,
        password: &str,
    ) -> Result<Preview, CoreError> {
        let account = self.own_account(principal).await?;
        self.dry_run(account, None, password, true).await
    }

    /// The rules a new password of the caller (or, before sign-in, anyone) must satisfy.
    pub async fn password_rules(
        &self,
        principal: Option<&Principal>,
    ) -> Result<Vec<RuleInfo>, CoreError> {
        let account = self.own_account(principal).await?;
        Ok(self.policies.for_account(account.as_ref()).describe())
    }

    async fn own_account(
        &self,
        principal: Option<&Principal>,
    ) -> Result<Option<Account>, CoreError> {
        match principal.and_then(Principal::account_id) {
            Some(id) => Ok(Some(
                self.accounts
                    .account_by_id(id)
                    .await?
                    .ok_or(CoreError::InvalidCredentials)?
                    .account,
            )),
            None => Ok(None),
        }
    }

    /// One dry-run evaluation under the account's policy (the default without one); the
    /// strength score (a second zxcvbn pass) only when asked for, else 0.
    async fn dry_run(
        &self,
        account: Option<Account>,
        user_name: Option<String>,
        password: &str,
        strength: bool,
    ) -> Result<Preview, CoreError> {
        let policy = Arc::clone(self.policies.for_account(account.as_ref()));
        let password = match Password::parse(password) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Preview {
                    report: policy.report_unparsable(password, &e),
                    strength: 0,
                });
            }
        };
        let now = self.clock.now();
        Ok(self
            .engine
            .run(move || {
                let candidate = Candidate {
                    password: &password,
                    account: account.as_ref(),
                    user_name: user_name.as_deref(),
                    entry: Entry::DryRun,
                    now,
                    current_password: None,
                    current_hash: None,
                    history: &[],
                };
                if strength {
                    policy.preview(&candidate)
                } else {
                    Preview {
                        report: policy.evaluate(&candidate),
                        strength: 0,
                    }
                }
            })
            .await?)
    }

    /// When the account's password expires under its policy's `max_age`, if it does.
    pub fn password_expires_at(&self, account: &Account) -> Option<OffsetDateTime> {
        let max_age = self
            .policies
            .for_account(Some(account))
            .settings()
            .max_age?;
        if account.password_never_expires || account.federated {
            return None;
        }
        account.password_changed_at.map(|at| at + max_age)
    }
}

impl Latchkey {
    /// Queues one `password-expiring` notice per password that enters its policy's
    /// warning window; returns how many were queued. Run periodically by the server.
    pub async fn queue_expiry_warnings(&self) -> Result<usize, CoreError> {
        let now = self.clock.now();
        let horizons: Vec<std::time::Duration> = self
            .policies
            .effective()
            .iter()
            .filter_map(|(_, s)| s.max_age.map(|m| m.saturating_sub(s.expiry_warning)))
            .collect();
        let Some(shortest) = horizons.into_iter().min() else {
            return Ok(0);
        };
        let mut queued = 0;
        for account in self.records.expiry_candidates(now - shortest, 500).await? {
            let Some(expires) = self.password_expires_at(&account) else {
                continue;
            };
            let warning = self
                .policies
                .for_account(Some(&account))
                .settings()
                .expiry_warning;
            if now < expires - warning || now >= expires {
                continue;
            }
            let message = crate::ports::OutboxMessage {
                id: uuid::Uuid::new_v4(),
                kind: "password-expiring".to_owned(),
                account_id: account.id,
                created_at: now,
                payload: serde_json::json!({ "expiresAt": expires.unix_timestamp() }),
            };
            self.records
                .mark_expiry_warned(account.id, now, message)
                .await?;
            queued += 1;
        }
        Ok(queued)
    }
}
