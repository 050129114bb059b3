//! The core operations every surface calls: sign-in, change, reset, generation, accounts,
//! API clients, audit. Each takes who acts and from where, and returns a typed outcome.

mod accounts;
mod authorize;
mod check;
mod clients;
mod generate;
mod import;
mod notify;
mod password;
mod profile;
mod proof;
mod recovery;
mod sessions;
mod state;
#[cfg(test)]
mod tests;
mod upkeep;

pub use accounts::{AccountPage, CreateAccount, MAX_LIMIT};
pub use clients::{ClientInfo, ClientToken, NewClient};
pub use import::{ImportAction, ImportLine, ImportRecord, ImportSeen, OnExisting};
pub use notify::Notification;
pub use password::{Notify, ProvedChange, ResetOptions, ResetOutcome, SetBy};
pub use profile::{AccountUpdate, CONTACT_PROOF_REQUIRED, OwnUpdate};
pub(crate) use proof::name_key;
pub use recovery::{QuestionRef, RecoveryStep};
pub use sessions::SignedIn;
pub use state::{AccountState, ChangeRequired};

use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal};
use crate::clock::Clock;
use crate::domain::AccountId;
use crate::hashing::{HashEngine, Hasher, PasswordHash};
use crate::policy::{Policies, PolicyFiles};
use crate::ports::{AccountRecord, AccountSource, PasswordCommit, Ports, Records};
use crate::secret::random_token;
use crate::settings::CoreSettings;
use std::sync::Arc;

/// Every stored audit event also goes to the log stream, at INFO with target `audit`, as
/// structured fields (what a SIEM ingests) — never a secret, as the event holds none.
fn log_audit(e: &AuditEvent) {
    let flow = match e.kind {
        AuditType::RecoveryStart => Some("started"),
        AuditType::RecoveryComplete => Some("completed"),
        AuditType::RecoveryFailure => Some("failed"),
        _ => None,
    };
    if let Some(outcome) = flow {
        metrics::counter!("latchkey_recovery_flows_total", "outcome" => outcome).increment(1);
    }
    tracing::info!(
        target: "audit",
        event_id = %e.id,
        at = %e.at,
        r#type = e.kind.as_str(),
        actor = e.actor_id.as_deref().unwrap_or(""),
        target_id = e.target_id.map(|t| t.to_string()).unwrap_or_default(),
        surface = %e.surface,
        client_ip = e.client_ip.as_deref().unwrap_or(""),
        request_id = %e.request_id,
        outcome = e.outcome.as_str(),
        reason = e.reason.as_deref().unwrap_or(""),
        "audit"
    );
}

/// The SID domain part, generated once per installation and kept in the store.
async fn installation_domain(store: &dyn Records) -> Result<[u32; 3], CoreError> {
    let candidate: Vec<String> = {
        use rand::RngExt as _;
        let mut rng = rand::rng();
        (0..3)
            .map(|_| rng.random_range(1..u32::MAX).to_string())
            .collect()
    };
    let stored = store
        .setting_or_init("sid_domain", &candidate.join("-"))
        .await?;
    let parts: Vec<u32> = stored.split('-').filter_map(|p| p.parse().ok()).collect();
    match parts[..] {
        [a, b, c] => Ok([a, b, c]),
        _ => Err(CoreError::Internal("corrupt sid_domain setting".into())),
    }
}

/// The core: one per process, shared by every surface.
pub struct Latchkey {
    /// Where accounts live (see [`Ports`]).
    accounts: Arc<dyn AccountSource>,
    /// How a password write commits.
    commit: Arc<dyn PasswordCommit>,
    /// Latchkey's own records (SQL).
    records: Arc<dyn Records>,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
    engine: HashEngine,
    /// Verified for unknown accounts so that they cost what a real proof costs.
    dummy_hash: PasswordHash,
    /// Pads a cheap legacy hash's verification up to one Argon2id.
    cost_pad: Arc<crate::hashing::CostPad>,
    /// Verified in place of input that is not a password, so that it costs a real hash.
    unreadable_stand_in: Arc<crate::domain::Password>,
    policies: Policies,
    settings: CoreSettings,
    /// The SID domain part of this installation.
    domain: [u32; 3],
    /// Seal recovery tokens; from `recovery.token_keys`, or generated once into the store.
    token_keys: crate::recovery::TokenKeys,
}

impl Latchkey {
    /// `ports` is one store playing every role (`Arc<SqlStore>`), or the roles apart (see
    /// [`Ports`]); `files` reads the dictionary and breached-corpus files the policy names.
    pub async fn new(
        ports: impl Into<Ports>,
        clock: Arc<dyn Clock>,
        settings: CoreSettings,
        files: &dyn PolicyFiles,
    ) -> Result<Self, CoreError> {
        let Ports {
            accounts,
            commit,
            records,
        } = ports.into();
        let policies =
            Policies::build(&settings.policy, files).map_err(|e| CoreError::Invalid(e.0))?;
        let hasher =
            Hasher::new(settings.hashing).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let dummy_password = crate::domain::Password::parse(&random_token(24))
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let cost_pad = Arc::new(crate::hashing::CostPad::new(settings.hashing));
        let started = std::time::Instant::now();
        let dummy_hash = hasher.hash(&dummy_password);
        cost_pad.record_full(started.elapsed());
        let unreadable_stand_in = Arc::new(
            crate::domain::Password::parse(&random_token(24))
                .map_err(|e| CoreError::Internal(e.to_string()))?,
        );
        let domain = installation_domain(records.as_ref()).await?;
        settings.recovery.validate().map_err(CoreError::Invalid)?;
        let token_keys = if settings.recovery.token_keys.is_empty() {
            let stored = records
                .setting_or_init(
                    "recovery_token_key",
                    &crate::recovery::TokenKeys::generate(),
                )
                .await?;
            crate::recovery::TokenKeys::parse(&[stored])
        } else {
            crate::recovery::TokenKeys::parse(&settings.recovery.token_keys)
        }
        .map_err(|e| CoreError::Invalid(e.to_string()))?;
        Ok(Self {
            engine: HashEngine::new(
                settings.hash_max_concurrent,
                settings.hash_max_queue,
                settings.hashing.memory_blocks(),
            ),
            policies,
            accounts,
            commit,
            records,
            clock,
            hasher,
            dummy_hash,
            cost_pad,
            unreadable_stand_in,
            settings,
            domain,
            token_keys,
        })
    }

    /// A keyed digest for a surface's own short tokens (the web page's CSRF token over
    /// its cookie), under the key every node shares.
    pub fn keyed_digest(&self, purpose: &str, data: &[u8]) -> Vec<u8> {
        self.token_keys.mac(purpose, data)
    }

    /// Whether `tag` is [`Self::keyed_digest`] of `data` (under any configured key).
    pub fn keyed_digest_matches(&self, purpose: &str, data: &[u8], tag: &[u8]) -> bool {
        self.token_keys.verify_mac(purpose, data, tag)
    }

    pub fn settings(&self) -> &CoreSettings {
        &self.settings
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Readiness of the store.
    pub async fn ready(&self) -> Result<(), CoreError> {
        Ok(self.records.ping().await?)
    }

    fn event(
        &self,
        ctx: &RequestContext,
        kind: AuditType,
        actor: &Principal,
        target: Option<AccountId>,
        outcome: Outcome,
        reason: Option<&str>,
    ) -> AuditEvent {
        AuditEvent::new(
            ctx,
            self.clock.now(),
            kind,
            Some(actor.actor()),
            target,
            outcome,
            reason,
        )
    }

    /// Appends an audit event that is not part of a write (sign-in, refusals). A store
    /// failure here is logged, not returned: the answer to the caller stands.
    async fn audit(&self, event: AuditEvent) {
        let copy = event.clone();
        match self.records.append_audit(event).await {
            Ok(()) => log_audit(&copy),
            Err(e) => tracing::error!(error = %e, "could not append an audit event"),
        }
    }

    /// Awaits a store write that carries `events` and, once it is stored, sends them to
    /// the log stream too ([`log_audit`]): a write that fails logs none.
    async fn stored<T>(
        &self,
        events: Vec<AuditEvent>,
        write: impl std::future::Future<Output = crate::ports::StoreResult<T>>,
    ) -> Result<T, CoreError> {
        let done = write.await?;
        events.iter().for_each(log_audit);
        Ok(done)
    }

    /// The one place a change-only session is stopped: every operation that acts with
    /// a role or scope, or on another account, passes through here.
    fn full_rights(&self, principal: &Principal) -> Result<(), CoreError> {
        if principal.change_only() {
            return Err(CoreError::PasswordChangeRequired);
        }
        Ok(())
    }

    /// Whether `principal` may use `p` at all, before any target is named (a change-only
    /// session may not, whatever its roles). Surfaces ask it before they read a target.
    pub fn authorize(&self, principal: &Principal, p: Permission) -> Result<(), CoreError> {
        if p != Permission::CheckPasswords {
            self.full_rights(principal)?;
        }
        if principal.may(p) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(crate::error::NOT_ALLOWED))
        }
    }

    /// Loads an account for a caller who may see it; others learn nothing (403, not 404).
    async fn visible_account(
        &self,
        principal: &Principal,
        id: AccountId,
        p: Permission,
    ) -> Result<AccountRecord, CoreError> {
        let own = principal.account_id() == Some(id);
        if !own {
            self.full_rights(principal)?;
            if !principal.may(p) {
                return Err(CoreError::Forbidden(crate::error::NOT_ALLOWED));
            }
        }
        let found = self.accounts.account_by_id(id).await?;
        self.found_or_hidden(principal, found)
    }

    /// A miss is `NotFound` only for a caller who may read accounts; any other caller
    /// gets the same 403 as for an account it may not touch (SPEC §10).
    fn found_or_hidden(
        &self,
        principal: &Principal,
        found: Option<AccountRecord>,
    ) -> Result<AccountRecord, CoreError> {
        match found {
            Some(r) => Ok(r),
            None if principal.may(Permission::ReadAccounts) => Err(CoreError::NotFound),
            None => Err(CoreError::Forbidden(crate::error::NOT_ALLOWED)),
        }
    }
}
