//! Server-generated passwords: random and accepted by the target account's policy.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditType, Outcome, RequestContext};
use crate::auth::Principal;
use crate::domain::{Account, AccountId};
use crate::secret::SecretString;

impl Latchkey {
    /// A password the effective policy of `account` (or the default policy) accepts.
    pub(super) fn new_password(
        &self,
        account: Option<&Account>,
    ) -> Result<SecretString, CoreError> {
        self.policies
            .for_account(account)
            .generate(account, self.clock.now())
            .ok_or_else(|| {
                CoreError::Internal("the policy rejects every generated password".into())
            })
    }

    /// Generates a password for the caller to use, for a target account's policy if given.
    pub async fn generate_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: Option<AccountId>,
    ) -> Result<SecretString, CoreError> {
        let record = match target {
            Some(id) => Some(
                self.visible_account(principal, id, crate::auth::Permission::ResetPasswords)
                    .await?,
            ),
            None => None,
        };
        let password = self.new_password(record.as_ref().map(|r| &r.account))?;
        self.audit(self.event(
            ctx,
            AuditType::PasswordGenerate,
            principal,
            target,
            Outcome::Success,
            None,
        ))
        .await;
        Ok(password)
    }
}
