//! Server-generated passwords: cryptographically random, as long as the policy needs.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditType, Outcome, RequestContext};
use crate::auth::Principal;
use crate::domain::AccountId;
use crate::secret::SecretString;
use rand::RngExt as _;

/// No look-alikes (0/O, 1/l/I), so a generated password can be read out and typed.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!@#%+=";

impl Latchkey {
    /// A password satisfying the length rules of the policy.
    pub(super) fn new_password(&self) -> SecretString {
        let p = &self.settings.policy;
        let len = p.generate_length.max(p.min_length).min(p.max_length.max(1));
        let mut rng = rand::rng();
        let s: String = (0..len)
            .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
            .collect();
        SecretString::from(s)
    }

    /// Generates a password for the caller to use (optionally for a target account).
    pub async fn generate_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: Option<AccountId>,
    ) -> Result<SecretString, CoreError> {
        if let Some(id) = target {
            self.visible_account(principal, id, crate::auth::Permission::ResetPasswords)
                .await?;
        }
        let password = self.new_password();
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

#[cfg(test)]
mod tests {
    use super::ALPHABET;

    #[test]
    fn the_alphabet_has_no_duplicates() {
        let mut a = ALPHABET.to_vec();
        a.sort();
        a.dedup();
        assert_eq!(a.len(), ALPHABET.len());
    }
}
