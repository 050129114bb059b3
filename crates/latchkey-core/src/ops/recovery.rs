//! Self-service recovery: start, advance stage by stage, complete with the core password
//! transaction. Unknown and ineligible accounts get decoy flows that answer alike and
//! never succeed; every token or flow problem is one `RecoveryFailed`.

use super::Latchkey;
use super::password::WriteKind;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::auth::Principal;
use crate::domain::{Account, AccountId, Password, UserName};
use crate::policy::Entry;
use crate::ports::{AccountFilter, FlowStep, MailFate, OutboxMessage, RecoveryFlow, RecoveryMail};
use crate::recovery::filter::{Attr, Filter};
use crate::recovery::{Claims, CodeFormat, Requirements, Stage, StrictObject};
use crate::secret::{SecretString, constant_time_eq, random_token};
use rand::RngExt as _;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// What the caller does next.
#[derive(Debug)]
pub enum RecoveryStep {
    /// Submit what `requirements` ask for (its stage's input) with `token`.
    Next {
        requirements: Requirements,
        token: String,
    },
    /// The password is reset.
    End,
}

impl Latchkey {
    /// Starts a flow (`token` absent) or advances one. Empty `input` only asks for the
    /// current stage's requirements and changes nothing.
    pub async fn recover(
        &self,
        ctx: &RequestContext,
        token: Option<&str>,
        input: StrictObject,
    ) -> Result<RecoveryStep, CoreError> {
        let now = self.clock.now();
        let flow = match token {
            None => {
                let r = &self.settings.recovery;
                let flow = RecoveryFlow {
                    id: Uuid::new_v4(),
                    stages: r.stages.clone(),
                    stage_index: 0,
                    step: 0,
                    account_id: None,
                    decoy: false,
                    attempts: 0,
                    code_digest: None,
                    code_expires_at: None,
                    proved_email: false,
                    created_at: now,
                    expires_at: now + r.flow_ttl,
                    completed: false,
                    ended: None,
                };
                let audit = AuditEvent::new(
                    ctx,
                    now,
                    AuditType::RecoveryStart,
                    None,
                    None,
                    Outcome::Success,
                    None,
                );
                let events = vec![audit.clone()];
                self.stored(events, self.records.insert_flow(flow.clone(), audit, None))
                    .await?;
                flow
            }
            Some(t) => self.open_flow(ctx, t).await?,
        };
        let stage = flow.stages[flow.stage_index as usize];
        if input.is_empty() {
            return Ok(RecoveryStep::Next {
                requirements: self.requirements(&flow, stage).await?,
                token: self.seal(&flow, flow.step),
            });
        }
        match stage {
            Stage::UserQuery => self.query_stage(ctx, flow, &input).await,
            Stage::EmailValidation => self.code_stage(ctx, flow, &input).await,
            Stage::Kba => self.kba_stage(ctx, flow, &input).await,
            Stage::Reset => self.reset_stage(ctx, flow, &input).await,
        }
    }

    /// An administrator (or helpdesk) sends the account a reset link instead of choosing
    /// a password: a flow that starts at the e-mailed code.
    pub async fn send_recovery_link(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: AccountId,
    ) -> Result<(), CoreError> {
        let record = self
            .resettable_account(
                principal,
                id,
                "sending a reset link needs the helpdesk or admin role",
            )
            .await?;
        if !eligible(&record.account) {
            return Err(CoreError::Refused(
                "the account cannot recover its password (federated, disabled or without an e-mail address)",
            ));
        }
        let now = self.clock.now();
        let mut flow = RecoveryFlow {
            id: Uuid::new_v4(),
            stages: vec![Stage::EmailValidation, Stage::Reset],
            stage_index: 0,
            step: 0,
            account_id: Some(id),
            decoy: false,
            attempts: 0,
            code_digest: None,
            code_expires_at: None,
            proved_email: false,
            created_at: now,
            expires_at: now + self.settings.recovery.flow_ttl,
            completed: false,
            ended: None,
        };
        let (digest, expires, mail) = self.code_for(&flow, 0, Some(&record.account));
        let mail = Some(mail);
        flow.code_digest = Some(digest);
        flow.code_expires_at = Some(expires);
        let audit = self.event(
            ctx,
            AuditType::RecoveryStart,
            principal,
            Some(id),
            Outcome::Success,
            Some("reset link sent by an administrator"),
        );
        self.stored(
            vec![audit.clone()],
            self.records.insert_flow(flow, audit, mail),
        )
        .await?;
        Ok(())
    }

    async fn fail(
        &self,
        ctx: &RequestContext,
        account: Option<AccountId>,
        reason: &str,
    ) -> CoreError {
        let e = AuditEvent::new(
            ctx,
            self.clock.now(),
            AuditType::RecoveryFailure,
            None,
            account,
            Outcome::Failure,
            Some(reason),
        );
        self.audit(e).await;
        CoreError::RecoveryFailed
    }

    fn seal(&self, flow: &RecoveryFlow, step: u32) -> String {
        self.token_keys.seal(&Claims {
            flow: flow.id,
            step,
            account: flow.account_id.filter(|_| !flow.decoy),
            expires: flow.expires_at.unix_timestamp(),
        })
    }

    /// A token's flow, if the token is authentic, current and unexpired.
    async fn open_flow(
        &self,
        ctx: &RequestContext,
        token: &str,
    ) -> Result<RecoveryFlow, CoreError> {
        let now = self.clock.now();
        let Some(claims) = self.token_keys.open(token) else {
            return Err(self.fail(ctx, None, "tampered or foreign token").await);
        };
        let Some(flow) = self.records.flow(claims.flow).await? else {
            return Err(self.fail(ctx, None, "unknown flow").await);
        };
        let account = flow.account_id;
        if claims.expires <= now.unix_timestamp() || flow.expires_at <= now {
            return Err(self.fail(ctx, account, "expired flow").await);
        }
        if let Some(why) = &flow.ended {
            return Err(self.fail(ctx, account, why).await);
        }
        if flow.completed || flow.step != claims.step {
            return Err(self.fail(ctx, account, "token already used").await);
        }
        if flow.attempts >= self.settings.recovery.max_attempts {
            return Err(self
                .fail(ctx, account, "too many attempts in this flow")
                .await);
        }
        Ok(flow)
    }

    async fn requirements(
        &self,
        flow: &RecoveryFlow,
        stage: Stage,
    ) -> Result<Requirements, CoreError> {
        Ok(match stage {
            Stage::Kba => Requirements::SecurityAnswers {
                questions: self.kba_questions(flow).await?,
            },
            other => Requirements::of(other),
        })
    }

    /// The question texts of the flow's account; for a decoy (or an account without
    /// answers), the first system questions, so the shape looks the same.
    async fn kba_questions(&self, flow: &RecoveryFlow) -> Result<Vec<String>, CoreError> {
        let enrolled = match (flow.account_id, flow.decoy) {
            (Some(id), false) => self.records.kba_answers(id).await?,
            _ => vec![],
        };
        let system = &self.settings.recovery.kba_questions;
        if enrolled.is_empty() {
            return Ok(system.values().take(2).cloned().collect());
        }
        Ok(enrolled
            .iter()
            .map(|a| match (&a.question_id, &a.custom_question) {
                (Some(id), _) => system
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| format!("Question {id}")),
                (None, Some(q)) => q.clone(),
                (None, None) => String::new(),
            })
            .collect())
    }

    /// Moves the flow one stage on (compare-and-swap) and answers with the next stage.
    async fn next_stage(
        &self,
        ctx: &RequestContext,
        flow: RecoveryFlow,
        account: Option<&Account>,
        decoy: bool,
        proved_email: bool,
        named: Option<&str>,
    ) -> Result<RecoveryStep, CoreError> {
        let next_index = flow.stage_index + 1;
        let next = flow.stages[next_index as usize];
        let mut advanced = RecoveryFlow {
            stage_index: next_index,
            step: flow.step + 1,
            account_id: account.map(|a| a.id),
            decoy,
            proved_email,
            ..flow.clone()
        };
        let (mut code_digest, mut code_expires_at, mut mail) = (None, None, None);
        if next == Stage::EmailValidation {
            let (d, e, message) =
                self.code_for(&advanced, advanced.step, account.filter(|_| !decoy));
            let r = &self.settings.recovery;
            // A real flow's budget is its account's; a decoy's is the bucket of the name it
            // was started for (12 bits of its digest: what was typed is never stored), so
            // that a decoy counts and supersedes as a real flow does.
            let budget_key = match (account, decoy, named) {
                (Some(a), false, _) => a.id.to_string(),
                (_, _, Some(named)) => format!("decoy:{}", super::proof::name_key(named)),
                _ => format!("decoy:{}", advanced.id),
            };
            mail = Some(RecoveryMail {
                message,
                deliver: !decoy,
                network: client_network(ctx.client_ip),
                budget_key,
                since: self.clock.now() - r.mail_window,
                max_per_source: r.max_mails_per_source,
                max_per_account: r.max_mails_per_account,
            });
            (code_digest, code_expires_at) = (Some(d), Some(e));
        }
        let audit = vec![AuditEvent::new(
            ctx,
            self.clock.now(),
            AuditType::RecoveryAdvance,
            None,
            advanced.account_id,
            Outcome::Success,
            Some(next.name()),
        )];
        let step = FlowStep {
            flow_id: flow.id,
            expected_step: flow.step,
            stage_index: next_index,
            account_id: advanced.account_id,
            decoy,
            code_digest: code_digest.clone(),
            code_expires_at,
            proved_email,
            audit,
            mail,
        };
        let events = step.audit.clone();
        let Some(fate) = self.stored(events, self.records.advance_flow(step)).await? else {
            return Err(self
                .fail(
                    ctx,
                    flow.account_id,
                    "token already used (a parallel submission won)",
                )
                .await);
        };
        // Every mailing step writes one event of what became of its mail — a decoy's
        // too — so that the audit log says why, and real and decoy flows write alike.
        let r = &self.settings.recovery;
        let what = match fate {
            MailFate::None => None,
            MailFate::Queued => Some("recovery mail queued".to_owned()),
            MailFate::Discarded => Some("no mail sent: no eligible account".to_owned()),
            MailFate::OverSourceBudget => Some(format!(
                "no mail sent: {} recovery mails from this network within {}s already",
                r.max_mails_per_source,
                r.mail_window.as_secs()
            )),
            MailFate::OverAccountBudget => Some(format!(
                "no mail sent: {} recovery mails for this account within {}s already",
                r.max_mails_per_account,
                r.mail_window.as_secs()
            )),
        };
        if let Some(reason) = what {
            let (kind, outcome) = match fate {
                MailFate::Queued | MailFate::Discarded => {
                    (AuditType::RecoveryAdvance, Outcome::Success)
                }
                _ => {
                    metrics::counter!("latchkey_recovery_mails_held_total").increment(1);
                    (AuditType::RecoveryFailure, Outcome::Failure)
                }
            };
            self.audit(AuditEvent::new(
                ctx,
                self.clock.now(),
                kind,
                None,
                advanced.account_id,
                outcome,
                Some(&reason),
            ))
            .await;
        }
        advanced.code_digest = code_digest;
        Ok(RecoveryStep::Next {
            requirements: self.requirements(&advanced, next).await?,
            token: self.seal(&advanced, advanced.step),
        })
    }

    /// A fresh code for the flow at `step`, its digest and expiry, and the sealed
    /// `recovery-code` message — for a decoy too (addressed to nobody, never delivered),
    /// so that it costs the same.
    fn code_for(
        &self,
        flow: &RecoveryFlow,
        step: u32,
        account: Option<&Account>,
    ) -> (Vec<u8>, time::OffsetDateTime, OutboxMessage) {
        let code = match self.settings.recovery.code_format {
            CodeFormat::Digits => format!("{:08}", rand::rng().random_range(0..100_000_000u32)),
            CodeFormat::Token => random_token(18),
        };
        let now = self.clock.now();
        let digest = self.token_keys.code_digest(flow.id, &code);
        let token = self.seal(flow, step);
        let sealed = self.token_keys.seal_bytes(
            json!({ "code": code, "token": token })
                .to_string()
                .as_bytes(),
        );
        let mail = OutboxMessage {
            id: Uuid::new_v4(),
            kind: "recovery-code".to_owned(),
            account_id: account.map_or(Uuid::nil(), |a| a.id),
            created_at: now,
            payload: json!({ "sealed": sealed, "expiresAt": (now + self.settings.recovery.code_ttl).unix_timestamp() }),
        };
        (digest, now + self.settings.recovery.code_ttl, mail)
    }

    /// Opens the code and link sealed into a `recovery-code` message (for the mailer).
    pub fn open_recovery_mail(&self, payload: &Value) -> Option<(SecretString, String)> {
        let plain = self
            .token_keys
            .open_bytes(payload.get("sealed")?.as_str()?)?;
        let v: Value = serde_json::from_slice(&plain).ok()?;
        Some((
            SecretString::from(v.get("code")?.as_str()?.to_owned()),
            v.get("token")?.as_str()?.to_owned(),
        ))
    }

    /// Counts a refused input; the token stays usable until the attempts run out.
    async fn refuse(
        &self,
        ctx: &RequestContext,
        flow: &RecoveryFlow,
        reason: &'static str,
        answer: &'static str,
    ) -> CoreError {
        let attempts = match self.records.fail_flow(flow.id, flow.step).await {
            Ok(n) => n,
            Err(e) => return e.into(),
        };
        let e = AuditEvent::new(
            ctx,
            self.clock.now(),
            AuditType::RecoveryFailure,
            None,
            flow.account_id,
            Outcome::Failure,
            Some(reason),
        );
        self.audit(e).await;
        if attempts == u32::MAX {
            return CoreError::RecoveryFailed;
        }
        CoreError::RecoveryRefused(answer)
    }

    /// Whether the account has used up its attempts across flows.
    async fn account_exhausted(&self, flow: &RecoveryFlow) -> Result<bool, CoreError> {
        let Some(id) = flow.account_id else {
            return Ok(false);
        };
        let since = self.clock.now() - self.settings.recovery.flow_ttl;
        Ok(self.records.recovery_failures(id, since).await? >= self.settings.recovery.max_attempts)
    }

    async fn query_stage(
        &self,
        ctx: &RequestContext,
        flow: RecoveryFlow,
        input: &StrictObject,
    ) -> Result<RecoveryStep, CoreError> {
        input
            .expect(&["userName", "email", "queryFilter"], &[])
            .map_err(|e| CoreError::Invalid(e.0))?;
        if input.0.len() != 1 {
            return Err(CoreError::Invalid(
                "give exactly one of userName, email, queryFilter".into(),
            ));
        }
        let (key, value) = &input.0[0];
        let found = match key.as_str() {
            "userName" => self
                .accounts
                .account_by_user_name(&UserName::key_of(value))
                .await?
                .map(|r| r.account),
            "email" => self.only_account_with_email(value).await?,
            _ => {
                let filter = Filter::parse(value)
                    .map_err(|e| CoreError::Invalid(format!("queryFilter: {e}")))?;
                self.only_account_matching(&filter).await?
            }
        };
        let account = found.filter(eligible);
        let decoy = account.is_none();
        let named = format!("{key}:{}", value.to_lowercase());
        self.next_stage(ctx, flow, account.as_ref(), decoy, false, Some(&named))
            .await
    }

    async fn only_account_with_email(&self, email: &str) -> Result<Option<Account>, CoreError> {
        let (items, total) = self
            .accounts
            .list_accounts(&AccountFilter {
                email: Some(email.to_owned()),
                limit: 2,
                ..Default::default()
            })
            .await?;
        Ok(if total == 1 {
            items.into_iter().next()
        } else {
            None
        })
    }

    /// Exactly one account matching the filter, found through its userName/mail equality
    /// terms (a filter without one identifies nobody).
    async fn only_account_matching(&self, filter: &Filter) -> Result<Option<Account>, CoreError> {
        let mut candidates: Vec<Account> = vec![];
        for (attr, value) in filter.equality_terms() {
            let found = match attr {
                Attr::UserName => self
                    .accounts
                    .account_by_user_name(&UserName::key_of(value))
                    .await?
                    .map(|r| vec![r.account])
                    .unwrap_or_default(),
                _ => {
                    self.accounts
                        .list_accounts(&AccountFilter {
                            email: Some(value.to_owned()),
                            limit: 2,
                            ..Default::default()
                        })
                        .await?
                        .0
                }
            };
            for a in found {
                if !candidates.iter().any(|c| c.id == a.id) {
                    candidates.push(a);
                }
            }
        }
        let mut matching = candidates.into_iter().filter(|a| filter.matches(a));
        Ok(match (matching.next(), matching.next()) {
            (Some(a), None) => Some(a),
            _ => None,
        })
    }

    async fn code_stage(
        &self,
        ctx: &RequestContext,
        flow: RecoveryFlow,
        input: &StrictObject,
    ) -> Result<RecoveryStep, CoreError> {
        input
            .expect(&["code"], &["code"])
            .map_err(|e| CoreError::Invalid(e.0))?;
        if self.account_exhausted(&flow).await? {
            return Err(self
                .fail(ctx, flow.account_id, "too many attempts for this account")
                .await);
        }
        let now = self.clock.now();
        if flow.code_expires_at.is_none_or(|t| t <= now) {
            return Err(self.fail(ctx, flow.account_id, "code expired").await);
        }
        let given = self
            .token_keys
            .code_digest(flow.id, input.get("code").unwrap_or_default().trim());
        let right = !flow.decoy
            && flow
                .code_digest
                .as_deref()
                .is_some_and(|d| constant_time_eq(d, &given));
        if !right {
            return Err(self
                .refuse(ctx, &flow, "wrong code", "The code is not correct.")
                .await);
        }
        let account = self.flow_account(&flow).await?;
        self.next_stage(ctx, flow, Some(&account), false, true, None)
            .await
    }

    async fn flow_account(&self, flow: &RecoveryFlow) -> Result<Account, CoreError> {
        match flow.account_id {
            Some(id) if !flow.decoy => Ok(self
                .accounts
                .account_by_id(id)
                .await?
                .ok_or(CoreError::RecoveryFailed)?
                .account),
            _ => Err(CoreError::RecoveryFailed),
        }
    }

    async fn kba_stage(
        &self,
        ctx: &RequestContext,
        flow: RecoveryFlow,
        input: &StrictObject,
    ) -> Result<RecoveryStep, CoreError> {
        let questions = self.kba_questions(&flow).await?;
        let names: Vec<String> = (1..=questions.len())
            .map(|i| format!("answer{i}"))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        input
            .expect(&refs, &refs)
            .map_err(|e| CoreError::Invalid(e.0))?;
        if self.account_exhausted(&flow).await? {
            return Err(self
                .fail(ctx, flow.account_id, "too many attempts for this account")
                .await);
        }
        let stored = match (flow.account_id, flow.decoy) {
            (Some(id), false) => self.records.kba_answers(id).await?,
            _ => vec![],
        };
        let given: Vec<String> = names
            .iter()
            .map(|n| normalise_answer(input.get(n).unwrap_or_default()))
            .collect();
        let dummy = self.dummy_hash.clone();
        let right = self
            .engine
            .run(move || {
                // Every answer costs one hash, right or wrong, real or decoy.
                let mut all = !stored.is_empty() && stored.len() == given.len();
                for (i, answer) in given.iter().enumerate() {
                    let Ok(pw) = Password::parse(answer) else {
                        all = false;
                        continue;
                    };
                    let ok = stored.get(i).map_or_else(
                        || {
                            // No stored answer: the same cost, never a match.
                            std::hint::black_box(dummy.verify(&pw));
                            false
                        },
                        |s| s.answer_hash.verify(&pw),
                    );
                    all &= ok;
                }
                all
            })
            .await?;
        if !right {
            return Err(self
                .refuse(
                    ctx,
                    &flow,
                    "wrong security answer",
                    "The answers are not correct.",
                )
                .await);
        }
        let account = self.flow_account(&flow).await?;
        let proved = flow.proved_email;
        self.next_stage(ctx, flow, Some(&account), false, proved, None)
            .await
    }

    async fn reset_stage(
        &self,
        ctx: &RequestContext,
        flow: RecoveryFlow,
        input: &StrictObject,
    ) -> Result<RecoveryStep, CoreError> {
        input
            .expect(&["password"], &["password"])
            .map_err(|e| CoreError::Invalid(e.0))?;
        let Some(id) = flow.account_id.filter(|_| !flow.decoy) else {
            return Err(self.fail(ctx, None, "decoy flow at reset").await);
        };
        let Some(record) = self.accounts.account_by_id(id).await? else {
            return Err(self.fail(ctx, Some(id), "account gone").await);
        };
        let raw = input.get("password").unwrap_or_default();
        let principal = Principal::Proven { account_id: id };
        let new = match Password::parse(raw) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                let _ = self
                    .refuse(ctx, &flow, "policy: unreadable password", "")
                    .await;
                return Err(CoreError::Policy(Box::new(
                    self.policies
                        .for_account(Some(&record.account))
                        .report_unparsable(raw, &e),
                )));
            }
        };
        let (hash, report) = self
            .evaluate_and_hash(&record, new, None, Entry::Recovery)
            .await?;
        let Some(hash) = hash.filter(|_| report.valid) else {
            let _ = self
                .refuse(ctx, &flow, "policy refused the new password", "")
                .await;
            return Err(CoreError::Policy(Box::new(report)));
        };
        let options = super::ResetOptions {
            must_change_password: Some(false),
            unlock: flow.proved_email,
            ..Default::default()
        };
        let kind = WriteKind::Recovery {
            flow: flow.id,
            step: flow.step,
        };
        let write = self.password_write(ctx, &principal, &record, hash, kind, options);
        match self.commit_password(ctx, &principal, write, &report).await {
            Ok(_) => Ok(RecoveryStep::End),
            Err(CoreError::RevisionConflict) => Err(self
                .fail(
                    ctx,
                    Some(id),
                    "token already used (a parallel submission won)",
                )
                .await),
            Err(e) => Err(e),
        }
    }

    /// Sets the signed-in account's security answers, proving the current password.
    pub async fn enrol_security_answers(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        current: &str,
        answers: Vec<(QuestionRef, String)>,
    ) -> Result<(), CoreError> {
        let Principal::User { account_id, .. } = principal else {
            return Err(CoreError::Forbidden(
                "an API client has no security questions",
            ));
        };
        self.full_rights(principal)?;
        self.check_answers(&answers)?;
        let record = self
            .accounts
            .account_by_id(*account_id)
            .await?
            .ok_or(CoreError::InvalidCredentials)?;
        if self
            .prove(ctx, Some(&record), &account_id.to_string(), current, false)
            .await?
            .is_err()
        {
            return Err(CoreError::InvalidCredentials);
        }
        let hashed = self.hash_answers(answers).await?;
        let audit = self.event(
            ctx,
            AuditType::KbaEnrol,
            principal,
            Some(*account_id),
            Outcome::Success,
            None,
        );
        let events = vec![audit.clone()];
        let write = self.records.set_kba_answers(*account_id, hashed, audit);
        self.stored(events, write).await?;
        Ok(())
    }

    /// The caller's questions (never the answers) and the system questions to choose from.
    pub async fn security_questions(
        &self,
        principal: &Principal,
    ) -> Result<(Vec<QuestionRef>, Vec<(String, String)>), CoreError> {
        let id = principal.account_id().ok_or(CoreError::Forbidden(
            "an API client has no security questions",
        ))?;
        let enrolled = self
            .records
            .kba_answers(id)
            .await?
            .into_iter()
            .filter_map(|a| match (a.question_id, a.custom_question) {
                (Some(id), _) => Some(QuestionRef::System(id)),
                (None, Some(q)) => Some(QuestionRef::Custom(q)),
                (None, None) => None,
            })
            .collect();
        let system = self
            .settings
            .recovery
            .kba_questions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok((enrolled, system))
    }
}

/// A security question: one of the configured ones, or the user's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuestionRef {
    System(String),
    Custom(String),
}

impl Latchkey {
    /// Refuses a set of security answers the operator's questions do not allow: 1 to 10,
    /// known or 1–200-character custom questions, each once, answers of 1–256 characters.
    pub(super) fn check_answers(&self, answers: &[(QuestionRef, String)]) -> Result<(), CoreError> {
        if answers.is_empty() || answers.len() > 10 {
            return Err(CoreError::Invalid("give 1 to 10 answers".into()));
        }
        let mut seen: Vec<&QuestionRef> = vec![];
        for (q, a) in answers {
            match q {
                QuestionRef::System(id)
                    if !self.settings.recovery.kba_questions.contains_key(id) =>
                {
                    return Err(CoreError::Invalid(format!("unknown questionId {id:?}")));
                }
                QuestionRef::Custom(text)
                    if text.trim().is_empty() || text.chars().count() > 200 =>
                {
                    return Err(CoreError::Invalid(
                        "a custom question must be 1 to 200 characters".into(),
                    ));
                }
                _ => {}
            }
            let normalised = normalise_answer(a);
            if normalised.is_empty() || normalised.chars().count() > 256 {
                return Err(CoreError::Invalid(
                    "an answer must be 1 to 256 characters".into(),
                ));
            }
            if seen.contains(&q) {
                return Err(CoreError::Invalid(
                    "each question may be answered once".into(),
                ));
            }
            seen.push(q);
        }
        Ok(())
    }

    /// Hashes the answers (normalised) in the engine, as the store keeps them.
    pub(super) async fn hash_answers(
        &self,
        answers: Vec<(QuestionRef, String)>,
    ) -> Result<Vec<crate::ports::KbaAnswer>, CoreError> {
        let hasher = self.hasher.clone();
        Ok(self
            .engine
            .run(move || {
                answers
                    .into_iter()
                    .filter_map(|(q, a)| {
                        let pw = Password::parse(&normalise_answer(&a)).ok()?;
                        let (question_id, custom_question) = match q {
                            QuestionRef::System(id) => (Some(id), None),
                            QuestionRef::Custom(text) => (None, Some(text)),
                        };
                        Some(crate::ports::KbaAnswer {
                            question_id,
                            custom_question,
                            answer_hash: hasher.hash(&pw),
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .await?)
    }
}

/// Answers compare after NFKC, lowercasing and collapsing white space.
fn normalise_answer(a: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    a.nfkc()
        .collect::<String>()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The network a request came from, as the mail budget counts it: the /24 of an IPv4
/// address, the /64 of an IPv6 one.
fn client_network(ip: Option<std::net::IpAddr>) -> String {
    match ip {
        Some(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => client_network(Some(v4.into())),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".to_owned(),
    }
}

/// Who can recover: an active, local account with an e-mail address.
fn eligible(a: &Account) -> bool {
    !a.disabled && !a.federated && a.profile.email.as_deref().is_some_and(|e| e.contains('@'))
}
