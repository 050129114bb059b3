//! No lost effects. A password written to the directory and Latchkey's records of it
//! (audit, notification, session revocation, history, flow completion) cannot share one
//! transaction, so each write goes: intent recorded in SQL → directory written → effects
//! committed → intent removed (or, when the directory refuses, removed at once). An intent
//! older than any write can take is one a node died in the middle of: [`Intents::resolve`]
//! reads the entry's `pwdChangedTime` and commits the recorded effects if the directory
//! took the password at or after the intent began, else drops them — so an acknowledged
//! change never lacks its audit event or notification, and a refused one never sends one.

use crate::client::Directory;
use crate::source::store_error;
use latchkey_core::audit::AuditEvent;
use latchkey_core::clock::Clock;
use latchkey_core::domain::{AccountId, Password};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{
    NewPassword, OutboxMessage, PasswordWrite, ShadowRecords, SourceIntent, StoreError, StoreResult,
};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// A write's effects as recorded: the password write without the password.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    hash: String,
    #[serde(with = "time::serde::rfc3339")]
    changed_at: OffsetDateTime,
    must_change_password: Option<bool>,
    password_never_expires: Option<bool>,
    cannot_change_password: Option<bool>,
    unlock: bool,
    history_keep: usize,
    keep_session: Option<Uuid>,
    audit: Vec<AuditEvent>,
    outbox: Option<Outbox>,
    complete_flow: Option<(Uuid, u32)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outbox {
    id: Uuid,
    kind: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    payload: serde_json::Value,
}

/// Stands in for the password in a write rebuilt from an intent: Latchkey's records never
/// read it (the directory already has the password, or never will).
static ABSENT: LazyLock<Arc<Password>> = LazyLock::new(|| {
    Arc::new(Password::parse("the password is in the directory").expect("a valid stand-in"))
});

/// How far a directory's coarse clock may lag Latchkey's precise one (a scheduler tick is
/// 1–10 ms).
const CLOCK_LAG: Duration = Duration::from_millis(20);

/// The intent log of one directory source.
#[derive(Clone)]
pub struct Intents {
    records: Arc<dyn ShadowRecords>,
    clock: Arc<dyn Clock>,
}

impl Intents {
    pub fn new(records: Arc<dyn ShadowRecords>, clock: Arc<dyn Clock>) -> Self {
        Self { records, clock }
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Records `write` before it is made to `entry`.
    pub(crate) async fn begin(&self, write: &PasswordWrite) -> StoreResult<Uuid> {
        let body = Body {
            hash: write.new.hash.as_str().to_owned(),
            changed_at: write.changed_at,
            must_change_password: write.must_change_password,
            password_never_expires: write.password_never_expires,
            cannot_change_password: write.cannot_change_password,
            unlock: write.unlock,
            history_keep: write.history_keep,
            keep_session: write.keep_session,
            audit: write.audit.clone(),
            outbox: write.outbox.as_ref().map(|o| Outbox {
                id: o.id,
                kind: o.kind.clone(),
                created_at: o.created_at,
                payload: o.payload.clone(),
            }),
            complete_flow: write.complete_flow,
        };
        let intent = SourceIntent {
            id: Uuid::new_v4(),
            account_id: write.account_id,
            started_at: self.clock.now(),
            body: serde_json::to_string(&body).map_err(|e| StoreError::Other(e.to_string()))?,
        };
        self.records.begin_intent(&intent).await?;
        Ok(intent.id)
    }

    /// The effects are committed (or the directory refused the write): the intent goes.
    /// If removing it fails, resolution later finds the change made and its effects
    /// present — and commits them again only if the revision still allows (it does not).
    pub(crate) async fn end(&self, id: Uuid) {
        if let Err(e) = self.records.end_intent(id).await {
            tracing::warn!(error = %e, intent = %id, "a directory write's intent was not removed; it will be resolved later");
        }
    }

    /// Resolves every intent begun `age` or more ago and never ended (a node died
    /// between the directory write and its effects). Returns (committed, dropped): an
    /// intent whose effects were already committed counts as dropped.
    pub async fn resolve(&self, directory: &Directory, age: Duration) -> StoreResult<(u32, u32)> {
        let before = self.clock.now() - age;
        let (mut committed, mut dropped) = (0, 0);
        for intent in self.records.stale_intents(before).await? {
            if self.resolve_one(directory, &intent).await? {
                committed += 1;
            } else {
                dropped += 1;
            }
            self.records.end_intent(intent.id).await?;
        }
        Ok((committed, dropped))
    }

    async fn resolve_one(&self, directory: &Directory, intent: &SourceIntent) -> StoreResult<bool> {
        let body: Body = serde_json::from_str(&intent.body)
            .map_err(|e| StoreError::Other(format!("unreadable directory intent: {e}")))?;
        let entry = directory
            .find_by_id(intent.account_id)
            .await
            .map_err(store_error)?;
        // `pwdChangedTime` has whole seconds: a change in the intent's second counts. And a
        // directory stamps it from a coarse clock (glibc's `time()` lags the precise one
        // by up to a scheduler tick), so a change stamped in the second before an intent
        // begun within `CLOCK_LAG` of a second's start counts too.
        let start = intent.started_at - CLOCK_LAG;
        let since = start.replace_nanosecond(0).unwrap_or(start);
        let taken = entry
            .as_ref()
            .and_then(|e| e.password_changed_at)
            .is_some_and(|t| t >= since);
        if !taken {
            tracing::info!(intent = %intent.id, account = %intent.account_id, "directory write not made before its node stopped: its effects dropped");
            return Ok(false);
        }
        let kept = self
            .records
            .shadows(&[intent.account_id], self.clock.now())
            .await?;
        let rev = kept.first().map_or(1, |a| a.rev);
        let write = body.into_write(intent.account_id, rev)?;
        match self.records.shadow_password(write).await {
            Ok(_) => {
                tracing::info!(intent = %intent.id, account = %intent.account_id, "directory write made before its node stopped: its effects committed");
                Ok(true)
            }
            // Its audit event is there already: the node stopped after committing the
            // effects, before removing the intent. Nothing is written twice.
            Err(StoreError::Duplicate(_)) => {
                tracing::info!(intent = %intent.id, account = %intent.account_id, "directory write and its effects both made before its node stopped");
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

impl Body {
    fn into_write(self, account_id: AccountId, expected_rev: i64) -> StoreResult<PasswordWrite> {
        let hash = PasswordHash::parse(&self.hash)
            .map_err(|_| StoreError::Other("unreadable hash in a directory intent".into()))?;
        Ok(PasswordWrite {
            account_id,
            current: None,
            expected_rev,
            new: NewPassword {
                hash,
                plain: Arc::clone(&ABSENT),
            },
            normalization: latchkey_core::domain::NORMALIZATION,
            changed_at: self.changed_at,
            must_change_password: self.must_change_password,
            password_never_expires: self.password_never_expires,
            cannot_change_password: self.cannot_change_password,
            unlock: self.unlock,
            history_keep: self.history_keep,
            keep_session: self.keep_session,
            audit: self.audit,
            outbox: self.outbox.map(|o| OutboxMessage {
                id: o.id,
                kind: o.kind,
                account_id,
                created_at: o.created_at,
                payload: o.payload,
            }),
            complete_flow: self.complete_flow,
        })
    }
}

#[cfg(test)]
mod tests {
    //! A node that died mid-write, played step by step against a real slapd and a real
    //! SQLite file: the intent is recorded, the directory written or not, the effects
    //! never committed — then resolution decides from `pwdChangedTime`.

    use super::Intents;
    use crate::client::Directory;
    use crate::testing::Slapd;
    use latchkey_core::audit::{AuditEvent, AuditQuery, AuditType, Outcome, RequestContext};
    use latchkey_core::clock::{Clock as _, SystemClock};
    use latchkey_core::domain::{NORMALIZATION, Password};
    use latchkey_core::hashing::{Hasher, HashingParams};
    use latchkey_core::ports::{NewPassword, OutboxMessage, PasswordWrite};
    use latchkey_store::Database;
    use latchkey_store::testing::TestDb;
    use std::sync::Arc;
    use std::time::Duration;
    use uuid::Uuid;

    const OLD: &str = "Amber-Lantern-73";
    const NEW: &str = "Copper-Meadow-19";

    fn reset_write(id: Uuid, rev: i64) -> PasswordWrite {
        let now = SystemClock.now();
        let plain = Arc::new(Password::parse(NEW).unwrap());
        let hash = Hasher::new(HashingParams::TESTING).unwrap().hash(&plain);
        let ctx = RequestContext::cli();
        let audit = AuditEvent::new(
            &ctx,
            now,
            AuditType::PasswordReset,
            None,
            Some(id),
            Outcome::Success,
            None,
        );
        PasswordWrite {
            account_id: id,
            current: None,
            expected_rev: rev,
            new: NewPassword { hash, plain },
            normalization: NORMALIZATION,
            changed_at: now,
            must_change_password: Some(false),
            password_never_expires: None,
            cannot_change_password: None,
            unlock: false,
            history_keep: 5,
            keep_session: None,
            audit: vec![audit],
            outbox: Some(OutboxMessage {
                id: Uuid::new_v4(),
                kind: "password-reset".into(),
                account_id: id,
                created_at: now,
                payload: serde_json::json!({}),
            }),
            complete_flow: None,
        }
    }

    async fn resets(db: &Arc<dyn Database>, id: Uuid) -> usize {
        let query = AuditQuery {
            account_id: Some(id),
            limit: 100,
            ..Default::default()
        };
        db.list_audit(&query)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.kind == AuditType::PasswordReset)
            .count()
    }

    #[tokio::test]
    async fn an_unfinished_write_is_committed_if_the_directory_took_it_and_dropped_if_not() {
        let Some(slapd) = Slapd::start() else { return };
        let dir = Directory::connect(slapd.config()).await.unwrap();
        let test_db = TestDb::new().await;
        let db: Arc<dyn Database> = latchkey_store::open(test_db.url(), &Default::default())
            .await
            .unwrap();
        let intents = Intents::new(db.clone(), Arc::new(SystemClock));
        let (made_uid, made_dn) = slapd.add_person("made", OLD);
        let (lost_uid, lost_dn) = slapd.add_person("lost", OLD);
        let made = dir.find_by_user_name(&made_uid).await.unwrap().unwrap().id;
        let lost = dir.find_by_user_name(&lost_uid).await.unwrap().unwrap().id;
        let now = SystemClock.now();
        let rev = db.shadows(&[made, lost], now).await.unwrap()[0].rev;
        // pwdChangedTime counts whole seconds: the entries' creation is a second behind.
        tokio::time::sleep(Duration::from_millis(1100)).await;

        // Killed after the directory took the password, before the effects.
        let write = reset_write(made, rev);
        intents.begin(&write).await.unwrap();
        dir.reset_password(&made_dn, NEW, Some(false))
            .await
            .unwrap()
            .unwrap();
        // Killed after the intent, before the directory was written.
        intents.begin(&reset_write(lost, rev)).await.unwrap();

        // Not yet stale: left for the node that may still be writing.
        let (committed, dropped) = intents
            .resolve(&dir, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!((committed, dropped), (0, 0));
        let (committed, dropped) = intents.resolve(&dir, Duration::ZERO).await.unwrap();
        assert_eq!((committed, dropped), (1, 1));
        assert_eq!(
            resets(&db, made).await,
            1,
            "the acknowledged change has its event"
        );
        assert_eq!(
            db.pending_outbox(made).await.unwrap().len(),
            1,
            "and its notification"
        );
        assert_eq!(resets(&db, lost).await, 0, "the change never made has none");
        assert!(db.pending_outbox(lost).await.unwrap().is_empty());
        let after = db.shadows(&[made, lost], now).await.unwrap();
        assert_eq!(
            after[0].rev,
            rev + 1,
            "the revision moved with the committed change"
        );
        assert_eq!(after[1].rev, rev);
        assert!(slapd.whoami(&made_dn, NEW) && slapd.whoami(&lost_dn, OLD));
        // Resolved once: nothing is left to resolve again.
        assert_eq!(intents.resolve(&dir, Duration::ZERO).await.unwrap(), (0, 0));
    }
}
