//! The core operations every surface calls: sign-in, change, reset, generation, accounts,
//! API clients, audit. Each takes who acts and from where, and returns a typed outcome.

mod accounts;
mod check;
mod clients;
mod generate;
mod password;
mod proof;
mod sessions;

pub use accounts::{AccountPage, CreateAccount};
pub use clients::{ClientToken, NewClient};
pub use password::{ResetOptions, ResetOutcome};
pub use sessions::SignedIn;

use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal};
use crate::clock::Clock;
use crate::domain::AccountId;
use crate::hashing::{HashPool, Hasher, PasswordHash};
use crate::policy::{Policies, PolicyFiles};
use crate::ports::{AccountRecord, Store};
use crate::secret::random_token;
use crate::settings::CoreSettings;
use std::sync::Arc;

/// The core: one per process, shared by every surface.
pub struct Latchkey {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    hasher: Hasher,
    pool: HashPool,
    /// Verified for unknown accounts so that they cost what a real proof costs.
    dummy_hash: PasswordHash,
    policies: Policies,
    settings: CoreSettings,
    /// The SID domain part of this installation.
    domain: [u32; 3],
}

impl Latchkey {
    /// `files` reads the dictionary and breached-corpus files the policy names.
    pub async fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: CoreSettings,
        files: &dyn PolicyFiles,
    ) -> Result<Self, CoreError> {
        let policies =
            Policies::build(&settings.policy, files).map_err(|e| CoreError::Invalid(e.0))?;
        let hasher =
            Hasher::new(settings.hashing).map_err(|e| CoreError::Invalid(e.to_string()))?;
        let dummy_password = crate::domain::Password::parse(&random_token(24))
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        let dummy_hash = hasher.hash(&dummy_password);
        let candidate = {
            use rand::RngExt as _;
            let mut rng = rand::rng();
            [
                rng.random_range(1..u32::MAX),
                rng.random_range(1..u32::MAX),
                rng.random_range(1..u32::MAX),
            ]
        };
        let domain = store.installation_domain(candidate).await?;
        Ok(Self {
            pool: HashPool::new(settings.hash_max_concurrent, settings.hash_max_queue),
            policies,
            store,
            clock,
            hasher,
            dummy_hash,
            settings,
            domain,
        })
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
        Ok(self.store.ping().await?)
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
        if let Err(e) = self.store.append_audit(event).await {
            tracing::error!(error = %e, "could not append an audit event");
        }
    }

    fn require(&self, principal: &Principal, p: Permission) -> Result<(), CoreError> {
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
        if !own && !principal.may(p) {
            return Err(CoreError::Forbidden(crate::error::NOT_ALLOWED));
        }
        self.store
            .account_by_id(id)
            .await?
            .ok_or(CoreError::NotFound)
    }
}
