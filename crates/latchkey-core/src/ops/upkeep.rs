//! The server's upkeep, through Latchkey's records: the housekeeping sweep, the
//! per-address throttle shared by every node, and the outbox backlog for metrics.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use std::time::Duration;

/// The window of the shared per-address throttle.
const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

impl Latchkey {
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
}
