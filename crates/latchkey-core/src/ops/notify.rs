//! The delivery side of the outbox: claim due notifications, record the outcome. The
//! sending itself (SMTP, templates) belongs to the server.

use super::Latchkey;
use crate::CoreError;
use crate::domain::Account;
use crate::secret::SecretString;
use serde_json::Value;
use std::time::Duration;

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
