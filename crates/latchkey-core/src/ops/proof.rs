//! Proving a password: lockout slot reserved first, the hash checked in the engine, equal
//! cost and equal answers for unknown, disabled, locked and wrong.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::domain::Password;
use crate::ports::{AccountRecord, Credential, ProofSlot, ProofSubject, SourceVerdict};
use std::sync::Arc;

/// A proof that succeeded: whether the account's source allows only a change now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Proved {
    pub(super) change_only: bool,
}

/// Why a proof failed: written to the audit log only, never answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ProofFailure {
    UnknownAccount,
    NoPassword,
    Disabled,
    Locked,
    WrongPassword,
    /// The account source refused it (locked or disabled there).
    AtSource(&'static str),
}

impl ProofFailure {
    pub(super) fn reason(self) -> &'static str {
        match self {
            ProofFailure::UnknownAccount => "unknown account",
            ProofFailure::NoPassword => "no local password",
            ProofFailure::Disabled => "account disabled",
            ProofFailure::Locked => "account locked",
            ProofFailure::WrongPassword => "wrong password",
            ProofFailure::AtSource(why) => why,
        }
    }
}

impl Latchkey {
    /// Checks `raw` against the account found under `name` (or against nothing, when
    /// `record` is `None`). Every proof does the same work whatever the outcome: one
    /// reserved slot in a failure counter (the account's, or the name's when it matches
    /// none), one verification in the hashing engine costing at least one Argon2id at the
    /// current parameters (a cheaper legacy hash is padded up to one), one check at the
    /// account source if it checks passwords itself (`None` unless the password is its to
    /// check), and on failure one recorded failure. Unknown, disabled, federated and locked
    /// verify the dummy hash, as does an account whose password its source keeps.
    /// Input that is not a password (empty, over 4 KiB, control characters) is a wrong
    /// password like any other, and is never hashed itself. `upgrade` re-hashes an
    /// outdated hash after success (sign-in; a change writes a new hash anyway).
    pub(super) async fn prove(
        &self,
        ctx: &RequestContext,
        record: Option<&AccountRecord>,
        name: &str,
        raw: &str,
        upgrade: bool,
    ) -> Result<Result<Proved, ProofFailure>, CoreError> {
        let readable = Password::parse(raw).ok().map(Arc::new);
        let password = readable
            .clone()
            .unwrap_or_else(|| Arc::clone(&self.unreadable_stand_in));
        let name_key = name_key(name);
        let subject = match record {
            Some(r) => ProofSubject::Account(r.account.id),
            None => ProofSubject::Name(&name_key),
        };
        let lockout = &self.settings.lockout;
        let now = self.clock.now();
        let slot = self
            .records
            .begin_proof(subject, now, lockout.window, lockout.max_failures)
            .await?;
        let checked = match record {
            None => Err(ProofFailure::UnknownAccount),
            Some(r) if r.account.disabled => Err(ProofFailure::Disabled),
            Some(_) if slot == ProofSlot::Locked => Err(ProofFailure::Locked),
            Some(r) if r.account.federated || !r.credential.is_set() => {
                Err(ProofFailure::NoPassword)
            }
            Some(r) => Ok(r),
        };
        let kept = checked.ok().and_then(|r| r.credential.hash()).cloned();
        let hash = kept.clone().unwrap_or_else(|| self.dummy_hash.clone());
        let current = self.hasher.params();
        // A cheaper legacy hash is padded up to one Argon2id; a current one measures it.
        let padded = hash.costs_less_than(current);
        let full_cost = !hash.needs_upgrade(current);
        let pad = Arc::clone(&self.cost_pad);
        let pw = Arc::clone(&password);
        let hash_matched = self
            .engine
            .run(move || {
                let started = std::time::Instant::now();
                let matched = hash.verify(&pw);
                if padded {
                    pad.pad(started.elapsed(), pw.as_bytes());
                } else if full_cost {
                    pad.record_full(started.elapsed());
                }
                matched
            })
            .await?;
        // A source that checks passwords itself is asked on every proof (`None` when the
        // account's password is not its to check), so each proof costs one of each.
        let at_source = checked
            .ok()
            .filter(|r| matches!(r.credential, Credential::AtSource));
        let verdict = if self.accounts.capabilities().verifies_passwords {
            Some(self.accounts.verify_password(at_source, &password).await?)
        } else {
            None
        };
        let outcome = match (checked, verdict) {
            (Err(failure), _) => Err(failure),
            (Ok(_), _) if readable.is_none() => Err(ProofFailure::WrongPassword),
            (Ok(r), Some(SourceVerdict::Matched)) if at_source.is_some() => {
                Ok((r.account.id, false))
            }
            (Ok(r), Some(SourceVerdict::MatchedChangeOnly)) if at_source.is_some() => {
                Ok((r.account.id, true))
            }
            (Ok(_), Some(SourceVerdict::Refused(why))) if at_source.is_some() => {
                Err(ProofFailure::AtSource(why))
            }
            (Ok(r), _) if hash_matched && kept.is_some() => Ok((r.account.id, false)),
            (Ok(_), _) => Err(ProofFailure::WrongPassword),
        };
        let (account_id, change_only) = match outcome {
            Ok(proved) => proved,
            Err(failure) => {
                self.count_failed_proof(ctx, subject, now).await?;
                return Ok(Err(failure));
            }
        };
        self.records.succeed_proof(account_id).await?;
        if let Some(stored) = kept.filter(|h| upgrade && h.needs_upgrade(self.hasher.params())) {
            let hasher = self.hasher.clone();
            match self.engine.run(move || hasher.hash(&password)).await {
                Ok(new) => {
                    if let Err(e) = self.accounts.upgrade_hash(account_id, &stored, &new).await {
                        tracing::warn!(error = %e, "could not upgrade a password hash");
                    }
                }
                // The sign-in stands; the upgrade waits for the next one.
                Err(_) => tracing::debug!("hash upgrade skipped: engine saturated"),
            }
        }
        Ok(Ok(Proved { change_only }))
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
            .records
            .begin_proof(
                ProofSubject::Account(id),
                now,
                lockout.window,
                lockout.max_failures,
            )
            .await?
            == ProofSlot::Allowed
        {
            self.count_failed_proof(ctx, ProofSubject::Account(id), now)
                .await?;
        }
        Ok(())
    }

    /// Records a failed proof of a reserved attempt; locks the account at the limit.
    pub(super) async fn count_failed_proof(
        &self,
        ctx: &RequestContext,
        subject: ProofSubject<'_>,
        now: time::OffsetDateTime,
    ) -> Result<(), CoreError> {
        let lockout = &self.settings.lockout;
        let locked = self
            .records
            .fail_proof(subject, now, lockout.max_failures, lockout.duration)
            .await?;
        if let (true, ProofSubject::Account(id)) = (locked, subject) {
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
}

/// The counter of a name that matched no account: one of 4,096 buckets (created with the
/// table), chosen by a digest of the name — so that what someone typed as a user name
/// (sometimes a password) is never stored, and a proof against a new name updates a row
/// as one against an account does.
pub(crate) fn name_key(name: &str) -> String {
    let d = crate::secret::token_digest(&name.to_lowercase());
    format!("{:03x}", (u16::from(d[0]) << 4) | u16::from(d[1] >> 4))
}
