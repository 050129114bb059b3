//! Self change and admin/helpdesk reset: policy, then one transaction writing the hash,
//! history, revision, session revocation, audit event and notification (SPEC §10 table).

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal};
use crate::domain::{Account, AccountId, NORMALIZATION, Password};
use crate::policy::{Candidate, Entry, ValidationReport};
use crate::ports::{AccountRecord, NewPassword, OutboxMessage, PasswordWrite, StoreError};
use crate::secret::{ExposeSecret as _, SecretString};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// Previous hashes kept per account (the most any history rule can ask for).
pub const HISTORY_RETAINED: usize = 24;

/// Who sets another account's password, as the must-change default sees it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum SetBy {
    /// An admin or helpdesk reset (native, Adaxes, Ping, CLI): must be changed.
    #[default]
    Helpdesk,
    /// A provisioning write by an admin or an `accounts:write` client (SCIM PUT/PATCH,
    /// IDM admin PATCH): need not be, as in IDM and SCIM.
    Provisioning,
}

/// Options of a reset; `None` leaves a flag as it is.
#[derive(Debug, Default)]
pub struct ResetOptions {
    /// A chosen password; `None` generates one.
    pub new_password: Option<SecretString>,
    pub must_change_password: Option<bool>,
    pub password_never_expires: Option<bool>,
    pub cannot_change_password: Option<bool>,
    pub unlock: bool,
    /// No notification (IBM Verify's `notifyType: NONE`).
    pub suppress_notification: bool,
    /// With `must_change_password: None`, leave the flag as it is instead of the
    /// default of `set_by`: Adaxes' `null`.
    pub leave_must_change: bool,
    /// Who sets the password, which decides whether it must be changed when the request
    /// does not say (SPEC §10: a helpdesk reset must be, a provisioning write need not).
    pub set_by: SetBy,
    /// The mail theme of the notification (IBM Verify's `themeId`).
    pub theme: Option<String>,
}

/// Whose password a proved change sets, which session survives, how it is notified.
struct ChangeTarget {
    account_id: AccountId,
    /// How the caller named the account (its failure counter when no account has it).
    name: String,
    keep_session: Option<Uuid>,
    notify: Notify,
}

/// How a self change is notified.
#[derive(Debug, Default, Clone)]
pub struct Notify {
    pub suppress: bool,
    pub theme: Option<String>,
}

/// What a change proved by the current password alone did.
#[derive(Debug)]
pub struct ProvedChange {
    /// The account after the change.
    pub account: Account,
    pub report: ValidationReport,
    /// The generated password, returned once.
    pub generated: Option<SecretString>,
}

#[derive(Debug)]
pub struct ResetOutcome {
    /// The generated password, returned once.
    pub generated: Option<SecretString>,
    pub report: ValidationReport,
    pub account: Account,
}

impl Latchkey {
    /// The signed-in account changes its own password, proving the current one; without
    /// `new`, a password is generated for the account's policy (and returned once).
    /// `notify` suppresses or themes the notification (IBM Verify).
    pub async fn change_own_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        current: &str,
        new: Option<&str>,
        notify: Notify,
    ) -> Result<ProvedChange, CoreError> {
        let Principal::User {
            account_id,
            session_id,
            ..
        } = principal
        else {
            return Err(CoreError::Forbidden(
                "an API client has no password of its own",
            ));
        };
        self.change_with_proof(
            ctx,
            principal,
            ChangeTarget {
                account_id: *account_id,
                name: account_id.to_string(),
                keep_session: Some(*session_id),
                notify,
            },
            current,
            new,
        )
        .await
    }

    /// A change proved by the current password of an account named by id, DN or SID
    /// (PingDirectory's and Adaxes' `oldPassword`); without `new`, a password is
    /// generated for the account's policy. An unknown name costs a hash and answers like
    /// a wrong password, so the answer reveals nothing.
    pub async fn change_password_with_current_by_name(
        &self,
        ctx: &RequestContext,
        name: &str,
        current: &str,
        new: Option<&str>,
    ) -> Result<ProvedChange, CoreError> {
        // An unknown name takes the same path as a known one (the nil id finds nothing
        // and its proof burns the dummy hash), so the answer and the work are alike.
        let record = self.record_by_name(name).await?;
        let account_id = record.as_ref().map_or(Uuid::nil(), |r| r.account.id);
        self.change_with_proof(
            ctx,
            &Principal::Proven { account_id },
            ChangeTarget {
                account_id,
                name: name.to_owned(),
                keep_session: None,
                notify: Notify::default(),
            },
            current,
            new,
        )
        .await
    }

    async fn change_with_proof(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: ChangeTarget,
        current: &str,
        new: Option<&str>,
    ) -> Result<ProvedChange, CoreError> {
        let ChangeTarget {
            account_id,
            name,
            keep_session,
            notify,
        } = target;
        let account_id = &account_id;
        // Proof first: until it succeeds, nothing about the target shows (federated,
        // cannot-change, policy, a malformed new password) — every failure is the same.
        let record = self.accounts.account_by_id(*account_id).await?;
        if self
            .prove(ctx, record.as_ref(), &name, current, false)
            .await?
            .is_err()
        {
            return self.wrong_current(ctx, principal, *account_id).await;
        }
        let record = record.ok_or(CoreError::InvalidCredentials)?;
        let (write, report, generated) = self
            .prepare_change(ctx, principal, &record, current, new, keep_session, notify)
            .await?;
        let account = self.commit_password(ctx, principal, write, &report).await?;
        Ok(ProvedChange {
            account,
            report,
            generated,
        })
    }

    /// Everything a self change checks after its proof (federated, cannot-change, the full
    /// policy with the current password); then the password write, the report and the
    /// generated password (when `new` is `None`).
    #[allow(clippy::too_many_arguments)] // the steps of one operation, each named
    pub(super) async fn prepare_change(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        record: &AccountRecord,
        current: &str,
        new: Option<&str>,
        keep_session: Option<Uuid>,
        notify: Notify,
    ) -> Result<(PasswordWrite, ValidationReport, Option<SecretString>), CoreError> {
        let account_id = &record.account.id;
        let current =
            Arc::new(Password::parse(current).map_err(|_| CoreError::InvalidCredentials)?);
        let refuse = |why: &'static str| async move {
            self.audit(self.event(
                ctx,
                AuditType::PasswordChange,
                principal,
                Some(*account_id),
                Outcome::Failure,
                Some(why),
            ))
            .await;
            Err(CoreError::Refused(why))
        };
        if record.account.federated {
            return refuse("federated accounts have no local password").await;
        }
        if record.account.cannot_change_password {
            return refuse("this account may not change its password").await;
        }
        let generated = match new {
            Some(_) => None,
            None => Some(self.new_password(Some(&record.account))?),
        };
        let raw = generated
            .as_ref()
            .map_or(new.unwrap_or_default(), |g| g.expose_secret());
        let new = self
            .parse_new(
                ctx,
                principal,
                &record.account,
                AuditType::PasswordChange,
                raw,
            )
            .await?;
        let (hash, report) = self
            .evaluate_and_hash(record, new, Some(Arc::clone(&current)), Entry::SelfChange)
            .await?;
        let hash = self
            .refuse_on_policy(
                ctx,
                principal,
                &record.account,
                AuditType::PasswordChange,
                hash,
                &report,
            )
            .await?;
        let mut write = self.password_write(
            ctx,
            principal,
            record,
            hash,
            WriteKind::Change { keep_session },
            ResetOptions {
                must_change_password: Some(false),
                suppress_notification: notify.suppress,
                theme: notify.theme,
                ..Default::default()
            },
        );
        write.current = Some(current);
        Ok((write, report, generated))
    }

    /// A helpdesk or admin (or the CLI) sets another account's password.
    pub async fn reset_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: AccountId,
        options: ResetOptions,
    ) -> Result<ResetOutcome, CoreError> {
        let (write, report, generated) = self.reset_write(ctx, principal, target, options).await?;
        let account = self.commit_password(ctx, principal, write, &report).await?;
        Ok(ResetOutcome {
            generated,
            report,
            account,
        })
    }

    /// A reset of `target` by `principal`, checked and ready to commit — on its own
    /// ([`Self::reset_password`]) or with an account update ([`Self::update_account`]).
    pub(super) async fn reset_write(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        target: AccountId,
        options: ResetOptions,
    ) -> Result<(PasswordWrite, ValidationReport, Option<SecretString>), CoreError> {
        let record = self
            .resettable_account(
                principal,
                target,
                "resetting a password needs the helpdesk or admin role",
            )
            .await?;
        let (new, report, generated, options) =
            self.prepare_reset(ctx, principal, &record, options).await?;
        let write = self.password_write(ctx, principal, &record, new, WriteKind::Reset, options);
        Ok((write, report, generated))
    }

    /// Everything a reset of `record` checks before it writes: federated accounts,
    /// `reset.strict`, the policy (a refusal that told something about the target's
    /// passwords counts against its lockout); then the hash, the report, the generated
    /// password and the options with the must-change default decided.
    pub(super) async fn prepare_reset(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        record: &AccountRecord,
        options: ResetOptions,
    ) -> Result<
        (
            NewPassword,
            ValidationReport,
            Option<SecretString>,
            ResetOptions,
        ),
        CoreError,
    > {
        let target = record.account.id;
        if record.account.federated {
            self.audit(self.event(
                ctx,
                AuditType::PasswordReset,
                principal,
                Some(target),
                Outcome::Failure,
                Some("federated"),
            ))
            .await;
            return Err(CoreError::Refused(
                "federated accounts have no local password",
            ));
        }
        let (raw, generated) = match &options.new_password {
            Some(_) if self.settings.reset_strict && !matches!(principal, Principal::System) => {
                return Err(CoreError::Forbidden(
                    "reset.strict is on: a reset may only generate the password",
                ));
            }
            Some(given) => (given.clone(), None),
            None => {
                let g = self.new_password(Some(&record.account))?;
                (g.clone(), Some(g))
            }
        };
        let new = self
            .parse_new(
                ctx,
                principal,
                &record.account,
                AuditType::PasswordReset,
                raw.expose_secret(),
            )
            .await?;
        let (hash, report) = self
            .evaluate_and_hash(record, new, None, Entry::Reset)
            .await?;
        if report
            .refusals()
            .any(|r| matches!(r.rule, "not-current" | "history"))
        {
            // The refusal told the actor something about the target's passwords: it
            // counts as a failed proof against the target's lockout.
            self.guessed_against(ctx, record.account.id).await?;
        }
        let hash = self
            .refuse_on_policy(
                ctx,
                principal,
                &record.account,
                AuditType::PasswordReset,
                hash,
                &report,
            )
            .await?;
        let default_must_change =
            (!options.leave_must_change).then_some(options.set_by == SetBy::Helpdesk);
        let options = ResetOptions {
            must_change_password: options.must_change_password.or(default_must_change),
            ..options
        };
        Ok((hash, report, generated, options))
    }

    /// The account a helpdesk, admin or `passwords:reset` client may reset (or send a
    /// reset link): an administrator's only with administrator power — refused with the
    /// same answer as an unknown id, so a helpdesk learns nothing of admins.
    pub(super) async fn resettable_account(
        &self,
        principal: &Principal,
        target: AccountId,
        refusal: &'static str,
    ) -> Result<AccountRecord, CoreError> {
        self.full_rights(principal)?;
        let record = self
            .visible_account(principal, target, Permission::ResetPasswords)
            .await?;
        if !principal.may(Permission::ResetPasswords) {
            return Err(CoreError::Forbidden(refusal));
        }
        if record.account.roles.is_admin() && !principal.has_admin_power() {
            return Err(CoreError::Forbidden(crate::error::NOT_ALLOWED));
        }
        Ok(record)
    }

    pub(super) async fn wrong_current<T>(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: AccountId,
    ) -> Result<T, CoreError> {
        self.audit(self.event(
            ctx,
            AuditType::PasswordChange,
            principal,
            Some(id).filter(|id| !id.is_nil()),
            Outcome::Failure,
            Some("wrong current password"),
        ))
        .await;
        Err(CoreError::InvalidCredentials)
    }

    /// Reads the new password; what cannot be read is refused before any hashing.
    async fn parse_new(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        account: &Account,
        kind: AuditType,
        raw: &str,
    ) -> Result<Arc<Password>, CoreError> {
        match Password::parse(raw) {
            Ok(p) => Ok(Arc::new(p)),
            Err(e) => {
                let report = self
                    .policies
                    .for_account(Some(account))
                    .report_unparsable(raw, &e);
                self.refuse_on_policy(ctx, principal, account, kind, None, &report)
                    .await?;
                Err(CoreError::Policy(Box::new(report)))
            }
        }
    }

    /// Runs the account's policy and, if it passes, hashes — both in the hashing engine.
    /// A self change (or recovery) checks the history; a reset only with
    /// `policy.history_on_reset`.
    pub(super) async fn evaluate_and_hash(
        &self,
        record: &AccountRecord,
        new: Arc<Password>,
        current: Option<Arc<Password>>,
        entry: Entry,
    ) -> Result<(Option<NewPassword>, ValidationReport), CoreError> {
        let policy = Arc::clone(self.policies.for_account(Some(&record.account)));
        let s = policy.settings();
        let with_history = entry != Entry::Reset || s.history_on_reset;
        let history = if with_history && s.history_count > 0 {
            self.records
                .password_history(record.account.id, s.history_count)
                .await?
        } else {
            vec![]
        };
        let hasher = self.hasher.clone();
        let account = record.account.clone();
        let now = self.clock.now();
        // On a reset the current password is unknown: compare against its hash — only
        // with `policy.history_on_reset`, else "reset to X" would answer "is X current?".
        let current_hash = if current.is_none() && with_history {
            record.credential.hash().cloned()
        } else {
            None
        };
        Ok(self
            .engine
            .run(move || {
                let c = Candidate {
                    password: &new,
                    account: Some(&account),
                    user_name: None,
                    entry,
                    now,
                    current_password: current.as_deref(),
                    current_hash: current_hash.as_ref(),
                    history: &history,
                };
                let report = policy.evaluate(&c);
                let hash = report.valid.then(|| NewPassword {
                    hash: hasher.hash(&new),
                    plain: Arc::clone(&new),
                });
                (hash, report)
            })
            .await?)
    }

    async fn refuse_on_policy(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        account: &Account,
        kind: AuditType,
        hash: Option<NewPassword>,
        report: &ValidationReport,
    ) -> Result<NewPassword, CoreError> {
        if let (true, Some(hash)) = (report.valid, hash) {
            return Ok(hash);
        }
        let failed: Vec<&str> = report.failed().map(|r| r.rule).collect();
        let reason = format!("policy: {}", failed.join(","));
        self.audit(self.event(
            ctx,
            kind,
            principal,
            Some(account.id),
            Outcome::Failure,
            Some(&reason),
        ))
        .await;
        metrics::counter!("latchkey_policy_refusals_total").increment(1);
        Err(CoreError::Policy(Box::new(report.clone())))
    }

    /// Stores a password write in its own transaction. A refusal by the account source
    /// (a directory's own policy) is reported in `report`, the policy's report of the
    /// password, and audited as a policy refusal.
    pub(super) async fn commit_password(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        write: PasswordWrite,
        report: &ValidationReport,
    ) -> Result<Account, CoreError> {
        let audit_type = write.audit.first().map(|e| e.kind);
        let events = write.audit.clone();
        let target = write.account_id;
        let updated = match self.commit.write_password(write).await {
            Err(StoreError::SourceRefused(refusal)) => {
                let report = report.refused_by_source(&refusal);
                let kind = audit_type.unwrap_or(AuditType::PasswordChange);
                let failed: Vec<&str> = report.failed().map(|r| r.rule).collect();
                let reason = format!("policy: {}", failed.join(","));
                self.audit(self.event(
                    ctx,
                    kind,
                    principal,
                    Some(target),
                    Outcome::Failure,
                    Some(&reason),
                ))
                .await;
                metrics::counter!("latchkey_policy_refusals_total").increment(1);
                return Err(CoreError::Policy(Box::new(report)));
            }
            Err(StoreError::SourceWrongCurrent) => {
                self.guessed_against(ctx, target).await?;
                return self.wrong_current(ctx, principal, target).await;
            }
            done => self.stored(events, async { done }).await?,
        };
        if let Some(t) = audit_type {
            metrics::counter!("latchkey_password_writes_total", "kind" => t.as_str()).increment(1);
        }
        Ok(updated)
    }

    /// Everything a password write stores, for [`Self::commit_password`] or for an account update
    /// that sets a password in the same transaction.
    pub(super) fn password_write(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        record: &AccountRecord,
        new: NewPassword,
        kind: WriteKind,
        options: ResetOptions,
    ) -> PasswordWrite {
        let account = &record.account;
        let now = self.clock.now();
        let (audit_type, notification, keep_session) = match kind {
            WriteKind::Change { keep_session } => {
                (AuditType::PasswordChange, "password-changed", keep_session)
            }
            WriteKind::Reset => (AuditType::PasswordReset, "password-reset", None),
            WriteKind::Recovery { .. } => (AuditType::RecoveryComplete, "password-changed", None),
        };
        let complete_flow = match kind {
            WriteKind::Recovery { flow, step } => Some((flow, step)),
            _ => None,
        };
        let mut audit = vec![self.event(
            ctx,
            audit_type,
            principal,
            Some(account.id),
            Outcome::Success,
            None,
        )];
        let was_locked = account.locked_until.is_some_and(|t| t > now);
        if options.unlock && was_locked {
            audit.push(self.event(
                ctx,
                AuditType::AccountUnlock,
                principal,
                Some(account.id),
                Outcome::Success,
                None,
            ));
        }
        PasswordWrite {
            account_id: account.id,
            current: None,
            expected_rev: account.rev,
            new,
            normalization: NORMALIZATION,
            changed_at: now,
            must_change_password: options.must_change_password,
            password_never_expires: options.password_never_expires,
            cannot_change_password: options.cannot_change_password,
            unlock: options.unlock,
            history_keep: HISTORY_RETAINED,
            keep_session,
            audit,
            outbox: (!options.suppress_notification).then(|| OutboxMessage {
                id: Uuid::new_v4(),
                kind: notification.to_owned(),
                account_id: account.id,
                created_at: now,
                payload: json!({ "surface": ctx.surface, "requestId": ctx.request_id, "themeId": options.theme }),
            }),
            complete_flow,
        }
    }
}

pub(super) enum WriteKind {
    /// A self change; the caller's session (if any) survives.
    Change {
        keep_session: Option<Uuid>,
    },
    Reset,
    /// Completes recovery flow `flow` at `step`, in the same transaction.
    Recovery {
        flow: Uuid,
        step: u32,
    },
}
