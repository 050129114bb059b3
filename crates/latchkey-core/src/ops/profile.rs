//! Account updates: profile, roles and flags. The contact data that recovery mails go to
//! is a credential: an account changing its own e-mail address or telephone number proves
//! its current password (admins too), and every change of the e-mail address tells the
//! old address, in the same transaction. Disabling an account or changing its address
//! ends its open recovery flows.

use super::Latchkey;
use super::QuestionRef;
use super::password::ResetOptions;
use crate::CoreError;
use crate::audit::AuditEvent;
use crate::audit::{AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal};
use crate::domain::{Account, AccountId, Profile, Role};
use crate::policy::ValidationReport;
use crate::ports::{
    AccountChanges, AccountRecord, KbaAnswer, OutboxMessage, PasswordWrite, StoreError,
    UpdateEffects,
};
use crate::secret::{ExposeSecret as _, SecretString};
use serde_json::json;
use uuid::Uuid;

/// The refusal when an account changes its own contact data without proof.
pub const CONTACT_PROOF_REQUIRED: &str =
    "changing your own e-mail address or telephone number needs your current password";

/// The profile fields a change touches, by their wire names (never their values).
fn changed_fields(old: &Profile, new: &Profile) -> Vec<&'static str> {
    let norm = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
    [
        ("email", norm(&old.email) != norm(&new.email)),
        ("givenName", old.given_name != new.given_name),
        ("sn", old.sn != new.sn),
        ("displayName", old.display_name != new.display_name),
        (
            "telephoneNumber",
            old.telephone_number != new.telephone_number,
        ),
        ("locale", old.locale != new.locale),
        ("externalId", old.external_id != new.external_id),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}

/// One request's change of an account: its profile, identity, roles and flags, and
/// optionally a new password — written together or not at all.
#[derive(Debug, Default)]
pub struct AccountUpdate {
    /// The revision the caller read (`If-Match`); the write fails if another came first.
    pub expected_rev: Option<i64>,
    pub changes: AccountChanges,
    /// A password set in the same request, checked as a reset.
    pub password: Option<ResetOptions>,
}

/// An update as the store writes it: the password already checked and hashed.
#[derive(Default)]
struct Update {
    expected_rev: Option<i64>,
    changes: AccountChanges,
    /// The password set in the same request, with its policy report (where an account
    /// source's own refusal is reported).
    password: Option<(PasswordWrite, ValidationReport)>,
    security_answers: Option<(Vec<KbaAnswer>, AuditEvent)>,
    /// The caller's current password was proved already (by [`Latchkey::update_own_account`]).
    proved: bool,
}

/// One request's change of the caller's own account (IDM's PATCH of one's own user):
/// profile, security answers and password together, proved once by the current password.
#[derive(Debug, Default)]
pub struct OwnUpdate {
    pub expected_rev: Option<i64>,
    pub profile: Option<Profile>,
    pub security_answers: Option<Vec<(QuestionRef, String)>>,
    pub new_password: Option<SecretString>,
}

impl Latchkey {
    /// An account writer changes an account. `proof` is the caller's current password,
    /// needed only when the caller changes its own contact data. `password` sets a new
    /// password in the same request (a provisioning write: SCIM PUT/PATCH, IDM's admin
    /// PATCH), checked as a reset and written in the same transaction: all or nothing.
    pub async fn update_account(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: AccountId,
        update: AccountUpdate,
        proof: Option<&str>,
    ) -> Result<Account, CoreError> {
        let AccountUpdate {
            expected_rev,
            changes,
            password,
        } = update;
        self.authorize(principal, Permission::WriteAccounts)?;
        let record = self
            .accounts
            .account_by_id(id)
            .await?
            .ok_or(CoreError::NotFound)?;
        let current = &record.account;
        let touches_admin = current.roles.iter().any(|r| r != Role::User)
            || changes
                .roles
                .as_ref()
                .is_some_and(|r| r.iter().any(|r| r != Role::User));
        if touches_admin && !principal.has_admin_power() {
            return Err(CoreError::Forbidden(
                "only an administrator changes privileged accounts or roles",
            ));
        }
        if changes.federated == Some(true) && !current.federated && current.has_password {
            // Becoming federated drops nothing silently: the local password stays unusable.
            tracing::info!(account = %id, "account made federated; its local password no longer signs in");
        }
        let password = match password {
            Some(options) => {
                let (write, report, _) = self.reset_write(ctx, principal, id, options).await?;
                Some((write, report))
            }
            None => None,
        };
        let update = Update {
            expected_rev,
            changes,
            password,
            ..Default::default()
        };
        self.apply_update(ctx, principal, &record, update, proof)
            .await
    }

    /// Changes profile attributes only (not identity, roles or flags): the account itself
    /// may, and so may account writers (privileged targets only by an administrator).
    pub async fn update_profile(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: AccountId,
        expected_rev: Option<i64>,
        profile: Profile,
        proof: Option<&str>,
    ) -> Result<Account, CoreError> {
        let changes = AccountChanges {
            profile: Some(profile),
            ..Default::default()
        };
        if principal.account_id() != Some(id) {
            let update = AccountUpdate {
                expected_rev,
                changes,
                password: None,
            };
            return self.update_account(ctx, principal, id, update, proof).await;
        }
        self.full_rights(principal)?;
        let record = self
            .accounts
            .account_by_id(id)
            .await?
            .ok_or(CoreError::NotFound)?;
        let update = Update {
            expected_rev,
            changes,
            ..Default::default()
        };
        self.apply_update(ctx, principal, &record, update, proof)
            .await
    }

    /// The caller changes its own account: profile, security answers and password in one
    /// request, proved once by `proof` (its current password) when any of them needs it
    /// (contact data, answers, password), and written in one transaction — all or nothing.
    /// A change-only session may change its password alone.
    pub async fn update_own_account(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        update: OwnUpdate,
        proof: Option<&str>,
    ) -> Result<Account, CoreError> {
        let Principal::User {
            account_id,
            session_id,
            ..
        } = principal
        else {
            return Err(CoreError::Forbidden(
                "an API client has no account of its own",
            ));
        };
        if update.profile.is_some() || update.security_answers.is_some() {
            self.full_rights(principal)?;
        }
        if let Some(answers) = &update.security_answers {
            self.check_answers(answers)?;
        }
        let record = self
            .accounts
            .account_by_id(*account_id)
            .await?
            .ok_or(CoreError::InvalidCredentials)?;
        let contact = update.profile.as_ref().is_some_and(|p| {
            changed_fields(&record.account.profile, p)
                .iter()
                .any(|f| matches!(*f, "email" | "telephoneNumber"))
        });
        let needs_proof =
            contact || update.security_answers.is_some() || update.new_password.is_some();
        if needs_proof {
            let Some(proof) = proof else {
                return Err(CoreError::Forbidden(CONTACT_PROOF_REQUIRED));
            };
            if self
                .prove(ctx, Some(&record), &account_id.to_string(), proof, false)
                .await?
                .is_err()
            {
                return self.wrong_current(ctx, principal, *account_id).await;
            }
        }
        let password = match &update.new_password {
            Some(new) => {
                let (write, report, _) = self
                    .prepare_change(
                        ctx,
                        principal,
                        &record,
                        proof.unwrap_or_default(),
                        Some(new.expose_secret()),
                        Some(*session_id),
                        super::Notify::default(),
                    )
                    .await?;
                Some((write, report))
            }
            None => None,
        };
        let security_answers = match update.security_answers {
            Some(answers) => Some((
                self.hash_answers(answers).await?,
                self.event(
                    ctx,
                    AuditType::KbaEnrol,
                    principal,
                    Some(*account_id),
                    Outcome::Success,
                    None,
                ),
            )),
            None => None,
        };
        let update = Update {
            expected_rev: update.expected_rev,
            changes: AccountChanges {
                profile: update.profile,
                ..Default::default()
            },
            password,
            security_answers,
            proved: needs_proof,
        };
        self.apply_update(ctx, principal, &record, update, None)
            .await
    }

    /// The one write path of account updates: clean data, the proof of one's own
    /// contact data, and the effects (revocation, flows ended, notification).
    async fn apply_update(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        record: &AccountRecord,
        update: Update,
        proof: Option<&str>,
    ) -> Result<Account, CoreError> {
        let Update {
            mut expected_rev,
            changes,
            password,
            security_answers,
            proved,
        } = update;
        let current = &record.account;
        let id = current.id;
        let fields = match &changes.profile {
            Some(p) => {
                p.check().map_err(|e| CoreError::Invalid(e.to_string()))?;
                changed_fields(&current.profile, p)
            }
            None => vec![],
        };
        let contact = fields.contains(&"email") || fields.contains(&"telephoneNumber");
        if contact && principal.account_id() == Some(id) && !proved {
            let Some(proof) = proof else {
                return Err(CoreError::Forbidden(CONTACT_PROOF_REQUIRED));
            };
            if self
                .prove(ctx, Some(record), &id.to_string(), proof, false)
                .await?
                .is_err()
            {
                self.audit(self.event(
                    ctx,
                    AuditType::AccountUpdate,
                    principal,
                    Some(id),
                    Outcome::Failure,
                    Some("wrong current password for a contact data change"),
                ))
                .await;
                return Err(CoreError::InvalidCredentials);
            }
        }
        let email_changed = fields.contains(&"email");
        let disabled = changes.disabled == Some(true) && !current.disabled;
        let now = self.clock.now();
        let outbox = match (&current.profile.email, email_changed) {
            (Some(old), true) => {
                // The old address is read under this revision; a concurrent write fails.
                expected_rev = expected_rev.or(Some(current.rev));
                Some(OutboxMessage {
                    id: Uuid::new_v4(),
                    kind: "email-changed".to_owned(),
                    account_id: id,
                    created_at: now,
                    payload: json!({ "to": old, "surface": ctx.surface, "requestId": ctx.request_id }),
                })
            }
            _ => None,
        };
        let effects = UpdateEffects {
            // Disabling an account ends its sessions at once.
            revoke_sessions: changes.disabled == Some(true),
            end_flows: if disabled {
                Some("account disabled")
            } else if email_changed {
                Some("e-mail address changed")
            } else {
                None
            },
            outbox,
            password: password.as_ref().map(|(w, _)| w.clone()),
            security_answers,
        };
        let reason = (!fields.is_empty()).then(|| format!("changed: {}", fields.join(",")));
        let audit = self.event(
            ctx,
            AuditType::AccountUpdate,
            principal,
            Some(id),
            Outcome::Success,
            reason.as_deref(),
        );
        let password_kind = effects
            .password
            .as_ref()
            .and_then(|w| w.audit.first().map(|e| e.kind));
        // A request that only sets a password or answers is not an account update: the
        // row stays as it is and the password's or answers' own events tell what happened.
        let only_secrets = changes.is_empty()
            && (effects.password.is_some() || effects.security_answers.is_some());
        let audit = (!only_secrets).then_some(audit);
        let mut events: Vec<AuditEvent> = audit.iter().cloned().collect();
        if let Some(w) = &effects.password {
            events.extend(w.audit.iter().cloned());
        }
        if let Some((_, a)) = &effects.security_answers {
            events.push(a.clone());
        }
        let updated = match self
            .accounts
            .update_account(id, expected_rev, &changes, effects, audit)
            .await
        {
            // The account source refused the password (its own policy): nothing written.
            Err(StoreError::SourceRefused(refusal)) => {
                return Err(match password {
                    Some((_, report)) => {
                        CoreError::Policy(Box::new(report.refused_by_source(&refusal)))
                    }
                    None => StoreError::SourceRefused(refusal).into(),
                });
            }
            done => self.stored(events, async { done }).await?,
        };
        if let Some(kind) = password_kind {
            metrics::counter!("latchkey_password_writes_total", "kind" => kind.as_str())
                .increment(1);
        }
        Ok(updated)
    }
}
