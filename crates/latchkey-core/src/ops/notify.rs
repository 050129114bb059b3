//! The delivery side of the outbox: claim due notifications, record the outcome. The
//! sending itself (SMTP, templates) belongs to the server.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::domain::Account;
use crate::secret::SecretString;
use serde_json::Value;
use std::time::Duration;

/// The window of the shared per-address throttle.
const THROTTLE_WINDOW: Duration = Duration::from_secs(60);
use uuid::Uuid;

/// A notification ready to render and send.
#[derive(Debug)]
pub struct Notification {
    pub id: Uuid,
    /// `password-changed`, `password-reset`, `recovery-code`, `password-expiring`.
    pub kind: String,
    /// Read at send time: the address and locale are the account's current ones. `None`
    /// when the account is gone.
    pub account: Option<Account>,
    pub payload: Value,
    pub attempts: u32,
    /// For `recovery-code`: the code and the flow token for the link.
    pub recovery: Option<(SecretString, String)>,
}

/// Longest wait between two delivery attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

impl Latchkey {
    /// Claims up to `limit` due notifications for `lease` (at-least-once delivery).
    pub async fn claim_notifications(
        &self,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Notification>, CoreError> {
        let claimed = self
            .records
            .claim_outbox(self.clock.now(), lease, limit)
            .await?;
        let mut out = Vec::with_capacity(claimed.len());
        for p in claimed {
            let m = p.message;
            let account = self
                .accounts
                .account_by_id(m.account_id)
                .await?
                .map(|r| r.account);
            let recovery = if m.kind == "recovery-code" {
                self.open_recovery_mail(&m.payload)
            } else {
                None
            };
            out.push(Notification {
                id: m.id,
                kind: m.kind,
                account,
                payload: m.payload,
                attempts: p.attempts,
                recovery,
            });
        }
        Ok(out)
    }

    /// One housekeeping sweep (see [`crate::ports::Sweep`]): expired sessions, recovery
    /// flows long past their lifetime and mail window, delivered notifications older than
    /// `outbox.keep`, audit events older than `audit.retention` (recorded by one event).
    /// `None` when another node is sweeping.
    pub async fn housekeep(&self) -> Result<Option<crate::ports::SweepReport>, CoreError> {
        let now = self.clock.now();
        let r = &self.settings.recovery;
        let flow_span = r.flow_ttl.max(r.mail_window) * 2;
        let event = AuditEvent::new(
            &RequestContext::system(),
            now,
            AuditType::AuditSweep,
            Some("system".into()),
            None,
            Outcome::Success,
            None,
        );
        let sweep = crate::ports::Sweep {
            sessions_before: now,
            throttle_before: now - THROTTLE_WINDOW,
            flows_before: now - flow_span,
            outbox_before: now - self.settings.outbox_keep,
            audit_before: self.settings.audit_retention.map(|keep| now - keep),
            audit: event.clone(),
        };
        let report = self.records.sweep(sweep).await?;
        if let (Some(r), Some(_)) = (&report, self.settings.audit_retention) {
            let mut logged = event;
            logged.reason = Some(r.audit_reason());
            super::log_audit(&logged);
        }
        Ok(report)
    }

    /// Counts one credential-checking request from `key` (a client address) against
    /// `per_minute`, shared by every node through the store: `Err(seconds to wait)` when
    /// over it.
    pub async fn throttle_hit(
        &self,
        key: &str,
        per_minute: u32,
    ) -> Result<Result<(), u64>, CoreError> {
        let now = self.clock.now();
        let over = self
            .records
            .throttle_hit(key, now, THROTTLE_WINDOW, per_minute)
            .await?;
        Ok(match over {
            None => Ok(()),
            Some(wait) => Err(wait.as_secs() + 1),
        })
    }

    /// Undelivered notifications and how long the oldest has waited (metrics).
    pub async fn outbox_backlog(&self) -> Result<(u64, std::time::Duration), CoreError> {
        let (count, oldest) = self.records.outbox_backlog().await?;
        let age = oldest.map_or(std::time::Duration::ZERO, |t| {
            (self.clock.now() - t).try_into().unwrap_or_default()
        });
        Ok((count, age))
    }

    pub async fn notification_sent(&self, id: Uuid) -> Result<(), CoreError> {
        Ok(self.records.outbox_delivered(id, self.clock.now()).await?)
    }

    /// A failed attempt: retried after `initial` × 2^attempts (at most an hour), forever —
    /// unless `permanent` (no account or address): then kept, marked, and not retried.
    pub async fn notification_failed(
        &self,
        n: &Notification,
        initial: Duration,
        error: &str,
        permanent: bool,
    ) -> Result<(), CoreError> {
        let attempts = n.attempts.saturating_add(1);
        let backoff = initial
            .saturating_mul(1u32 << attempts.min(16))
            .min(MAX_BACKOFF);
        let retry_at = self.clock.now() + backoff;
        Ok(self
            .records
            .outbox_failed(n.id, attempts, retry_at, error, permanent)
            .await?)
    }
}
