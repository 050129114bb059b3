//! Proving a password: lockout slot reserved first, the hash checked in the engine, equal
//! cost and equal answers for unknown, disabled, locked and wrong.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::domain::Password;
use crate::ports::{AccountRecord, ProofSlot};
use std::sync::Arc;

/// Why a proof failed: written to the audit log only, never answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProofFailure {
    UnknownAccount,
    NoPassword,
    Disabled,
    Locked,
    WrongPassword,
}

impl ProofFailure {
    pub(super) fn reason(self) -> &'static str {
        match self {
            ProofFailure::UnknownAccount => "unknown account",
            ProofFailure::NoPassword => "no local password",
            ProofFailure::Disabled => "account disabled",
            ProofFailure::Locked => "account locked",
            ProofFailure::WrongPassword => "wrong password",
        }
    }
}

impl Latchkey {
    /// Checks `raw` against the account. On failure, always costs one hash; input that
    /// is not a password at all (empty, over 4 KiB, control characters) is a wrong
    /// password like any other — counted against the lockout, at the same cost, and never
    /// hashed itself. `upgrade` re-hashes an outdated hash after success (sign-in; a
    /// change writes a new hash anyway).
    pub(super) async fn prove(
        &self,
        ctx: &RequestContext,
        record: Option<&AccountRecord>,
        raw: &str,
        upgrade: bool,
    ) -> Result<Result<(), ProofFailure>, CoreError> {
        let readable = Password::parse(raw).ok().map(Arc::new);
        let password = readable
            .clone()
            .unwrap_or_else(|| Arc::clone(&self.unreadable_stand_in));
        let Some(record) = record else {
            self.burn_dummy(password).await?;
            return Ok(Err(ProofFailure::UnknownAccount));
        };
        let account = &record.account;
        let hash = match (&record.hash, account.disabled, account.federated) {
            (_, true, _) => {
                self.burn_dummy(password).await?;
                return Ok(Err(ProofFailure::Disabled));
            }
            (Some(h), false, false) => h.clone(),
            _ => {
                self.burn_dummy(password).await?;
                return Ok(Err(ProofFailure::NoPassword));
            }
        };
        let lockout = &self.settings.lockout;
        let now = self.clock.now();
        if self
            .store
            .begin_proof(account.id, now, lockout.window, lockout.max_failures)
            .await?
            == ProofSlot::Locked
        {
            self.burn_dummy(password).await?;
            return Ok(Err(ProofFailure::Locked));
        }
        let checked = hash.clone();
        let pw = Arc::clone(&password);
        let ok = self.engine.run(move || checked.verify(&pw)).await? && readable.is_some();
        if !ok {
            self.count_failed_proof(ctx, account.id, now).await?;
            return Ok(Err(ProofFailure::WrongPassword));
        }
        self.store.succeed_proof(account.id).await?;
        if upgrade && hash.needs_upgrade(self.hasher.params()) {
            let hasher = self.hasher.clone();
            match self.engine.run(move || hasher.hash(&password)).await {
                Ok(new) => {
                    if let Err(e) = self.store.upgrade_hash(account.id, &hash, &new).await {
                        tracing::warn!(error = %e, "could not upgrade a password hash");
                    }
                }
                // The sign-in stands; the upgrade waits for the next one.
                Err(_) => tracing::debug!("hash upgrade skipped: pool saturated"),
            }
        }
        Ok(Ok(()))
    }

    /// A failed proof of the target's password that was not a sign-in (a reset refused
    /// for reusing its current or a previous password): reserved and counted alike.
    pub(super) async fn guessed_against(
        &self,
        ctx: &RequestContext,
        id: crate::domain::AccountId,
    ) -> Result<(), CoreError> {
        let lockout = &self.settings.lockout;
        let now = self.clock.now();
        if self
            .store
            .begin_proof(id, now, lockout.window, lockout.max_failures)
            .await?
            == ProofSlot::Allowed
        {
            self.count_failed_proof(ctx, id, now).await?;
        }
        Ok(())
    }

    /// Records a failed proof of a reserved attempt; locks the account at the limit.
    pub(super) async fn count_failed_proof(
        &self,
        ctx: &RequestContext,
        id: crate::domain::AccountId,
        now: time::OffsetDateTime,
    ) -> Result<(), CoreError> {
        let lockout = &self.settings.lockout;
        let locked = self
            .store
            .fail_proof(id, now, lockout.max_failures, lockout.duration)
            .await?;
        if locked {
            let reason = format!("{} consecutive failed proofs", lockout.max_failures);
            self.audit(AuditEvent::new(
                ctx,
                now,
                AuditType::AccountLock,
                None,
                Some(id),
                Outcome::Success,
                Some(&reason),
            ))
            .await;
            metrics::counter!("latchkey_account_locks_total").increment(1);
        }
        Ok(())
    }

    async fn burn_dummy(&self, password: Arc<Password>) -> Result<(), CoreError> {
        let dummy = self.dummy_hash.clone();
        self.engine.run(move || dummy.verify(&password)).await?;
        Ok(())
    }
}
