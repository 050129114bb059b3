//! The store contract: every adapter must pass these, grouped by the port they test
//! (`account_source`, `password_commit`, `records`: a backend that plays one role runs
//! that module). `scripts/test.sh` runs this file on SQLite and again on PostgreSQL
//! (`LK_TEST_STORE=postgres`).

use latchkey_core::audit::{AuditEvent, AuditQuery, AuditType, Outcome, RequestContext};
use latchkey_core::domain::{Dn, Password, Profile, Roles, UserName};
use latchkey_core::hashing::{Hasher, HashingParams, PasswordHash};
use latchkey_core::ports::{
    AccountFilter, NewAccount, OutboxMessage, PasswordWrite, ProofSlot, ProofSubject,
    SessionRecord, Store, StoreError,
};
use latchkey_store::PoolSettings;
use latchkey_store::testing::TestDb;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-11-22 08:00 UTC);

struct Fixture {
    store: Arc<dyn Store>,
    _db: TestDb,
}

impl Fixture {
    /// A stored account from [`new_account`], in the test's SID domain.
    async fn account(&self, name: &str) -> latchkey_core::domain::Account {
        self.store
            .insert_account(new_account(name), [1, 2, 3])
            .await
            .unwrap()
    }
}

/// A store on a fresh database of the selected backend.
async fn fresh() -> Fixture {
    let db = TestDb::new().await;
    let pool = PoolSettings {
        max_connections: 4,
        ..Default::default()
    };
    let store = latchkey_store::open(db.url(), &pool).await.unwrap();
    Fixture { store, _db: db }
}

fn event(kind: AuditType, target: Option<Uuid>) -> AuditEvent {
    AuditEvent::new(
        &RequestContext::cli(),
        T0,
        kind,
        Some("cli".into()),
        target,
        Outcome::Success,
        None,
    )
}

fn hash(pw: &str) -> PasswordHash {
    Hasher::new(HashingParams::TESTING)
        .unwrap()
        .hash(&Password::parse(pw).unwrap())
}

fn new_account(name: &str) -> NewAccount {
    let id = Uuid::new_v4();
    NewAccount {
        id,
        user_name: UserName::parse(name).unwrap(),
        dn: Dn::from_template("uid={userName},ou=People,dc=example,dc=com", name).unwrap(),
        profile: Profile {
            email: Some(format!("{name}@Example.com")),
            ..Default::default()
        },
        roles: Roles::new(vec![]),
        federated: false,
        hash: Some(hash("first password")),
        plain: None,
        provisioned: false,
        disabled: false,
        must_change_password: false,
        password_never_expires: false,
        cannot_change_password: false,
        created_at: T0,
        sid: None,
        password_changed_at: None,
        audit: event(AuditType::AccountCreate, Some(id)),
    }
}

fn write(id: Uuid, rev: i64, pw: &str, keep: Option<Uuid>) -> PasswordWrite {
    PasswordWrite {
        current: None,
        account_id: id,
        expected_rev: rev,
        new: latchkey_core::ports::NewPassword {
            hash: hash(pw),
            plain: std::sync::Arc::new(Password::parse(pw).unwrap()),
        },
        normalization: "nfkc",
        changed_at: T0,
        must_change_password: Some(false),
        password_never_expires: None,
        cannot_change_password: None,
        unlock: false,
        history_keep: 2,
        keep_session: keep,
        audit: vec![event(AuditType::PasswordChange, Some(id))],
        outbox: Some(OutboxMessage {
            id: Uuid::new_v4(),
            kind: "password-changed".into(),
            account_id: id,
            created_at: T0,
            payload: serde_json::json!({}),
        }),
        complete_flow: None,
    }
}

fn session(account: Uuid) -> SessionRecord {
    SessionRecord {
        id: Uuid::new_v4(),
        token_digest: Uuid::new_v4().as_bytes().to_vec(),
        account_id: Some(account),
        client_id: None,
        scopes: vec![],
        created_at: T0,
        expires_at: T0 + Duration::from_secs(60),
        change_only: false,
    }
}

fn flow(id: Uuid, account: Option<Uuid>) -> latchkey_core::ports::RecoveryFlow {
    latchkey_core::ports::RecoveryFlow {
        id,
        stages: latchkey_core::recovery::RecoverySettings::default().stages,
        stage_index: 0,
        step: 0,
        account_id: account,
        decoy: false,
        attempts: 0,
        code_digest: None,
        code_expires_at: None,
        proved_email: false,
        created_at: T0,
        expires_at: T0 + Duration::from_secs(1800),
        completed: false,
        ended: None,
    }
}

fn step(id: Uuid, expected: u32) -> latchkey_core::ports::FlowStep {
    latchkey_core::ports::FlowStep {
        flow_id: id,
        expected_step: expected,
        stage_index: 1,
        account_id: None,
        decoy: true,
        code_digest: Some(vec![1, 2, 3]),
        code_expires_at: Some(T0),
        proved_email: false,
        audit: vec![],
        mail: None,
    }
}

/// A step into `emailValidation` that mails `account`'s code from `network`.
fn mailing_step(id: Uuid, account: Uuid, network: &str) -> latchkey_core::ports::FlowStep {
    use latchkey_core::ports::{OutboxMessage, RecoveryMail};
    latchkey_core::ports::FlowStep {
        account_id: Some(account),
        decoy: false,
        mail: Some(RecoveryMail {
            message: OutboxMessage {
                id: Uuid::new_v4(),
                kind: "recovery-code".into(),
                account_id: account,
                created_at: T0,
                payload: serde_json::json!({}),
            },
            deliver: true,
            network: network.into(),
            budget_key: account.to_string(),
            since: T0 - Duration::from_secs(3600),
            max_per_source: 2,
            max_per_account: 3,
        }),
        ..step(id, 0)
    }
}

/// A decoy's step into `emailValidation` under budget key `key`.
fn decoy_mailing_step(id: Uuid, key: &str) -> latchkey_core::ports::FlowStep {
    let mut s = mailing_step(id, Uuid::nil(), "192.0.2.0/24");
    s.account_id = None;
    s.decoy = true;
    if let Some(m) = s.mail.as_mut() {
        m.deliver = false;
        m.budget_key = key.into();
    }
    s
}

/// The `AccountSource` port: finding, creating and deleting accounts.
mod account_source {
    use super::*;

    #[tokio::test]
    async fn accounts_are_found_by_name_dn_and_sid_in_any_case() {
        let f = fresh().await;
        assert_eq!(
            f.store.setting_or_init("k", "first").await.unwrap(),
            "first"
        );
        assert_eq!(
            f.store.setting_or_init("k", "second").await.unwrap(),
            "first",
            "kept once set"
        );
        let domain = [7, 8, 9];
        let a = f
            .store
            .insert_account(new_account("JDoe"), domain)
            .await
            .unwrap();
        assert_eq!(a.user_name.as_str(), "JDoe");
        assert_eq!(a.sid.clone().unwrap().to_string(), "S-1-5-21-7-8-9-1001");
        let b = f
            .store
            .insert_account(new_account("asmith"), domain)
            .await
            .unwrap();
        assert_eq!(b.sid.clone().unwrap().to_string(), "S-1-5-21-7-8-9-1002");
        assert_eq!(
            f.store
                .account_by_user_name("jdoe")
                .await
                .unwrap()
                .unwrap()
                .account
                .id,
            a.id
        );
        let dn = Dn::parse("UID=jdoe, OU=people,DC=Example,DC=com").unwrap();
        assert_eq!(
            f.store
                .account_by_dn(&dn)
                .await
                .unwrap()
                .unwrap()
                .account
                .id,
            a.id
        );
        assert_eq!(
            f.store
                .account_by_sid(a.sid.as_ref().unwrap())
                .await
                .unwrap()
                .unwrap()
                .account
                .id,
            a.id
        );
        let (items, total) = f
            .store
            .list_accounts(&AccountFilter {
                email: Some("JDOE@example.COM".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!((items.len(), total), (1, 1));
    }

    #[tokio::test]
    async fn a_second_account_with_the_same_name_in_other_case_is_a_duplicate() {
        let f = fresh().await;
        f.store
            .insert_account(new_account("jdoe"), [1, 2, 3])
            .await
            .unwrap();
        let err = f
            .store
            .insert_account(new_account("JDOE"), [1, 2, 3])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");
        assert_eq!(f.store.count_accounts().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn deleting_an_account_keeps_its_audit_trail() {
        let f = fresh().await;
        let a = f.account("jdoe").await;
        f.store
            .delete_account(
                a.id,
                Some(a.rev + 1),
                event(AuditType::AccountDelete, Some(a.id)),
            )
            .await
            .unwrap_err();
        f.store
            .delete_account(
                a.id,
                Some(a.rev),
                event(AuditType::AccountDelete, Some(a.id)),
            )
            .await
            .unwrap();
        assert!(f.store.account_by_id(a.id).await.unwrap().is_none());
        let events = f
            .store
            .list_audit(&AuditQuery {
                account_id: Some(a.id),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [AuditType::AccountDelete, AuditType::AccountCreate],
            "newest first"
        );
    }

    #[tokio::test]
    async fn an_import_batch_keeps_identities_and_is_all_or_nothing() {
        use latchkey_core::domain::Sid;
        use latchkey_core::ports::{AccountChanges, ImportWrite};
        let f = fresh().await;
        let domain = [1, 2, 3];
        let existing = f
            .store
            .insert_account(new_account("old"), domain)
            .await
            .unwrap();
        let mut kept = new_account("kept");
        kept.sid = Some(Sid::for_account(domain, 5000));
        kept.password_changed_at = Some(datetime!(2025-01-02 03:04:05 UTC));
        let new_hash = hash("imported password");
        let update = ImportWrite::Update {
            id: existing.id,
            changes: AccountChanges {
                profile: Some(Profile {
                    email: Some("changed@example.com".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            hash: Some(new_hash.clone()),
            password_changed_at: None,
            history_keep: 5,
            audit: event(AuditType::AccountUpdate, Some(existing.id)),
        };
        f.store
            .import_accounts(vec![ImportWrite::Create(kept.clone()), update], domain)
            .await
            .unwrap();
        let got = f
            .store
            .account_by_id(kept.id)
            .await
            .unwrap()
            .unwrap()
            .account;
        assert_eq!(got.sid, Some(Sid::for_account(domain, 5000)));
        assert_eq!(got.password_changed_at, kept.password_changed_at);
        // The relative-id counter moved past the imported SID.
        let next = f
            .store
            .insert_account(new_account("after"), domain)
            .await
            .unwrap();
        let sid = next.sid.unwrap();
        assert!(sid.rid_in(domain).unwrap() > 5000, "{sid}");
        let old = f.store.account_by_id(existing.id).await.unwrap().unwrap();
        assert_eq!(
            old.account.profile.email.as_deref(),
            Some("changed@example.com")
        );
        assert_eq!(old.credential.hash(), Some(&new_hash));
        assert_eq!(old.account.rev, existing.rev + 2, "the row and the hash");
        let history = f.store.password_history(existing.id, 5).await.unwrap();
        assert_eq!(history.len(), 1, "the replaced hash joins the history");

        // A batch whose last write fails leaves nothing of its first.
        let fresh_one = new_account("fresh");
        let clash = new_account("KEPT");
        let failed = f
            .store
            .import_accounts(
                vec![
                    ImportWrite::Create(fresh_one.clone()),
                    ImportWrite::Create(clash),
                ],
                domain,
            )
            .await;
        assert!(
            matches!(failed, Err(StoreError::Duplicate(_))),
            "{failed:?}"
        );
        assert!(f.store.account_by_id(fresh_one.id).await.unwrap().is_none());
    }
}

mod audit {
    use super::*;
    use latchkey_core::audit::Outcome;

    #[tokio::test]
    async fn audit_pages_newest_first_by_a_cursor_that_survives_new_events() {
        let f = fresh().await;
        let mut ids = vec![];
        for i in 0..7u32 {
            let mut e = event(AuditType::LoginFailure, None);
            e.at = T0 + time::Duration::minutes(i64::from(i));
            e.outcome = if i % 2 == 0 {
                Outcome::Failure
            } else {
                Outcome::Success
            };
            e.surface = if i < 4 { "native".into() } else { "idm".into() };
            ids.push(e.id);
            f.store.append_audit(e).await.unwrap();
        }
        let page = |before, limit| AuditQuery {
            before,
            limit,
            ..Default::default()
        };
        let first = f.store.list_audit(&page(None, 3)).await.unwrap();
        let got: Vec<_> = first.iter().map(|e| e.id).collect();
        assert_eq!(got, [ids[6], ids[5], ids[4]]);
        // A new event does not shift the next page.
        f.store
            .append_audit(event(AuditType::LoginSuccess, None))
            .await
            .unwrap();
        let second = f.store.list_audit(&page(Some(ids[4]), 3)).await.unwrap();
        let got: Vec<_> = second.iter().map(|e| e.id).collect();
        assert_eq!(got, [ids[3], ids[2], ids[1]]);
        let filtered = f
            .store
            .list_audit(&AuditQuery {
                since: Some(T0 + time::Duration::minutes(1)),
                until: Some(T0 + time::Duration::minutes(5)),
                surface: Some("native".into()),
                outcome: Some(Outcome::Failure),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let got: Vec<_> = filtered.iter().map(|e| e.id).collect();
        assert_eq!(got, [ids[2]]);
    }
}

mod housekeeping {
    use super::*;

    #[tokio::test]
    async fn the_shared_throttle_counts_per_key_in_windows_and_is_swept() {
        let f = fresh().await;
        let minute = Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(
                f.store
                    .throttle_hit("10.0.0.1", T0, minute, 3)
                    .await
                    .unwrap(),
                None
            );
        }
        let wait = f
            .store
            .throttle_hit("10.0.0.1", T0 + time::Duration::seconds(20), minute, 3)
            .await
            .unwrap()
            .expect("the fourth in the window is over");
        assert_eq!(wait, Duration::from_secs(40));
        assert_eq!(
            f.store
                .throttle_hit("10.0.0.2", T0, minute, 3)
                .await
                .unwrap(),
            None
        );
        let later = T0 + time::Duration::seconds(61);
        assert_eq!(
            f.store
                .throttle_hit("10.0.0.1", later, minute, 3)
                .await
                .unwrap(),
            None
        );
        let report = f
            .store
            .sweep(Sweep {
                sessions_before: later,
                throttle_before: later - time::Duration::minutes(1),
                flows_before: T0,
                outbox_before: T0,
                audit_before: None,
                audit: event(AuditType::AuditSweep, None),
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            report.throttle, 1,
            "10.0.0.2's window is over; 10.0.0.1's is new"
        );
    }
    use latchkey_core::ports::Sweep;

    #[tokio::test]
    async fn a_sweep_removes_old_audit_events_only_and_records_how_many() {
        let f = fresh().await;
        let mut old = event(AuditType::LoginFailure, None);
        old.at = T0 - time::Duration::days(500);
        let mut recent = event(AuditType::LoginFailure, None);
        recent.at = T0 - time::Duration::days(1);
        f.store.append_audit(old.clone()).await.unwrap();
        f.store.append_audit(recent.clone()).await.unwrap();
        let sweep = |audit_before| Sweep {
            sessions_before: T0,
            throttle_before: T0 - time::Duration::minutes(1),
            flows_before: T0 - time::Duration::hours(2),
            outbox_before: T0 - time::Duration::days(7),
            audit_before,
            audit: event(AuditType::AuditSweep, None),
        };
        let report = f
            .store
            .sweep(sweep(Some(T0 - time::Duration::days(400))))
            .await
            .unwrap()
            .expect("the only node sweeps");
        assert_eq!(report.audit, 1);
        let left = f
            .store
            .list_audit(&AuditQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = left.iter().map(|e| e.id).collect();
        assert!(
            !ids.contains(&old.id) && ids.contains(&recent.id),
            "{ids:?}"
        );
        assert_eq!(left[0].kind, AuditType::AuditSweep);
        assert_eq!(
            left[0].reason.as_deref(),
            Some("1 audit events older than the retention removed")
        );
        // Without a retention nothing of the audit trail goes, and no event is written.
        let again = f.store.sweep(sweep(None)).await.unwrap().unwrap();
        assert_eq!(again.audit, 0);
        let after = f
            .store
            .list_audit(&AuditQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(after.len(), left.len());
    }
}

/// The `PasswordCommit` port: a password write as one unit of work.
mod password_commit {
    use super::*;

    #[tokio::test]
    async fn a_password_write_bumps_the_revision_keeps_history_and_revokes_other_sessions() {
        let f = fresh().await;
        let a = f.account("jdoe").await;
        let mine = session(a.id);
        let other = session(a.id);
        f.store.insert_session(mine.clone()).await.unwrap();
        f.store.insert_session(other.clone()).await.unwrap();
        let after = f
            .store
            .write_password(write(a.id, a.rev, "second password", Some(mine.id)))
            .await
            .unwrap();
        assert_eq!(after.rev, a.rev + 1);
        assert!(
            f.store
                .session_by_digest(&mine.token_digest)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            f.store
                .session_by_digest(&other.token_digest)
                .await
                .unwrap()
                .is_none()
        );
        // A stale revision loses: no lost update.
        let stale = f
            .store
            .write_password(write(a.id, a.rev, "third password", None))
            .await
            .unwrap_err();
        assert!(matches!(stale, StoreError::RevisionMismatch));
        f.store
            .write_password(write(a.id, after.rev, "third password", None))
            .await
            .unwrap();
        f.store
            .write_password(write(a.id, after.rev + 1, "fourth password", None))
            .await
            .unwrap();
        let history = f.store.password_history(a.id, 10).await.unwrap();
        assert_eq!(history.len(), 2, "history_keep bounds the history");
        assert!(
            history[0].verify(&Password::parse("third password").unwrap()),
            "newest first"
        );
        assert_eq!(f.store.pending_outbox(a.id).await.unwrap().len(), 3);
        let changes = f
            .store
            .list_audit(&AuditQuery {
                account_id: Some(a.id),
                kind: Some(AuditType::PasswordChange),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(changes.len(), 3);
    }
}

/// The `Records` port: lockout counters, recovery flows, the outbox.
mod records {
    use super::*;

    #[tokio::test]
    async fn parallel_proofs_never_exceed_the_limit_and_the_lock_expires() {
        let f = fresh().await;
        let a = f.account("jdoe").await;
        let window = Duration::from_secs(900);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = Arc::clone(&f.store);
                tokio::spawn(async move {
                    s.begin_proof(ProofSubject::Account(a.id), T0, window, 5)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut allowed = 0;
        for t in tasks {
            if t.await.unwrap() == ProofSlot::Allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5);
        assert!(
            f.store
                .fail_proof(ProofSubject::Account(a.id), T0, 5, window)
                .await
                .unwrap(),
            "the limit locks"
        );
        assert!(
            !f.store
                .fail_proof(ProofSubject::Account(a.id), T0, 5, window)
                .await
                .unwrap(),
            "already locked"
        );
        let locked = f.store.account_by_id(a.id).await.unwrap().unwrap().account;
        assert_eq!(locked.locked_until, Some(T0 + window));
        assert_eq!(
            f.store
                .begin_proof(
                    ProofSubject::Account(a.id),
                    T0 + Duration::from_secs(60),
                    window,
                    5
                )
                .await
                .unwrap(),
            ProofSlot::Locked
        );
        assert_eq!(
            f.store
                .begin_proof(
                    ProofSubject::Account(a.id),
                    T0 + window + Duration::from_secs(1),
                    window,
                    5
                )
                .await
                .unwrap(),
            ProofSlot::Allowed
        );
    }

    #[tokio::test]
    async fn a_success_resets_the_consecutive_count() {
        let f = fresh().await;
        let a = f.account("jdoe").await;
        let w = Duration::from_secs(900);
        for _ in 0..4 {
            assert_eq!(
                f.store
                    .begin_proof(ProofSubject::Account(a.id), T0, w, 5)
                    .await
                    .unwrap(),
                ProofSlot::Allowed
            );
            f.store
                .fail_proof(ProofSubject::Account(a.id), T0, 5, w)
                .await
                .unwrap();
        }
        f.store
            .begin_proof(ProofSubject::Account(a.id), T0, w, 5)
            .await
            .unwrap();
        f.store.succeed_proof(a.id).await.unwrap();
        for _ in 0..5 {
            assert_eq!(
                f.store
                    .begin_proof(ProofSubject::Account(a.id), T0, w, 5)
                    .await
                    .unwrap(),
                ProofSlot::Allowed
            );
        }
    }

    #[tokio::test]
    async fn unknown_names_count_in_their_buckets_like_accounts() {
        let f = fresh().await;
        let w = Duration::from_secs(900);
        for key in ["000", "7a3", "fff"] {
            let name = ProofSubject::Name(key);
            for _ in 0..3 {
                assert_eq!(
                    f.store.begin_proof(name, T0, w, 3).await.unwrap(),
                    ProofSlot::Allowed
                );
            }
            assert!(
                f.store.fail_proof(name, T0, 3, w).await.unwrap(),
                "the third locks"
            );
            assert_eq!(
                f.store.begin_proof(name, T0, w, 3).await.unwrap(),
                ProofSlot::Locked
            );
            assert_eq!(
                f.store.begin_proof(name, T0 + w + w, w, 3).await.unwrap(),
                ProofSlot::Allowed,
                "a lapsed lock starts over"
            );
        }
    }

    #[tokio::test]
    async fn recovery_mails_stay_within_budget_in_parallel_and_a_sent_one_supersedes() {
        use latchkey_core::ports::MailFate;
        let f = fresh().await;
        let a = f.account("jdoe").await;
        let flows: Vec<Uuid> = (0..5).map(|_| Uuid::new_v4()).collect();
        for id in &flows {
            f.store
                .insert_flow(flow(*id, None), event(AuditType::RecoveryStart, None), None)
                .await
                .unwrap();
        }
        let tasks: Vec<_> = flows
            .iter()
            .map(|id| {
                let (s, id) = (Arc::clone(&f.store), *id);
                tokio::spawn(async move {
                    s.advance_flow(mailing_step(id, a.id, "192.0.2.0/24"))
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut fates = vec![];
        for t in tasks {
            fates.push(t.await.unwrap().unwrap());
        }
        let queued = fates.iter().filter(|f| **f == MailFate::Queued).count();
        assert_eq!(queued, 2, "{fates:?}");
        assert!(
            fates
                .iter()
                .all(|f| matches!(f, MailFate::Queued | MailFate::OverSourceBudget))
        );
        // Of the flows whose mail was sent, only the last is still open: it superseded the other.
        let mut open_mailed = 0;
        for (id, fate) in flows.iter().zip(&fates) {
            let fl = f.store.flow(*id).await.unwrap().unwrap();
            if *fate == MailFate::Queued && fl.ended.is_none() {
                open_mailed += 1;
            }
            if *fate == MailFate::Queued && fl.ended.is_some() {
                assert_eq!(fl.ended.as_deref(), Some("superseded by a newer flow"));
            }
        }
        assert_eq!(open_mailed, 1);
        assert_eq!(f.store.pending_outbox(a.id).await.unwrap().len(), 2);
        // Another network has its own budget, up to the account's total of 3.
        let more: Vec<Uuid> = (0..2).map(|_| Uuid::new_v4()).collect();
        let mut fates = vec![];
        for id in &more {
            f.store
                .insert_flow(flow(*id, None), event(AuditType::RecoveryStart, None), None)
                .await
                .unwrap();
            fates.push(
                f.store
                    .advance_flow(mailing_step(*id, a.id, "198.51.100.0/24"))
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert_eq!(fates, [MailFate::Queued, MailFate::OverAccountBudget]);
        // A password write ends the open flows.
        let before = f.store.flow(more[0]).await.unwrap().unwrap();
        assert!(before.ended.is_none());
        f.store.succeed_proof(a.id).await.unwrap();
        let after = f.store.flow(more[0]).await.unwrap().unwrap();
        assert_eq!(after.ended.as_deref(), Some("signed in with the password"));
    }

    #[tokio::test]
    async fn a_decoy_counts_and_supersedes_under_its_own_key_as_a_real_flow_does() {
        use latchkey_core::ports::MailFate;
        let f = fresh().await;
        let a = f.account("jdoe").await;
        let real = Uuid::new_v4();
        f.store
            .insert_flow(
                flow(real, None),
                event(AuditType::RecoveryStart, None),
                None,
            )
            .await
            .unwrap();
        assert_eq!(
            f.store
                .advance_flow(mailing_step(real, a.id, "203.0.113.0/24"))
                .await
                .unwrap(),
            Some(MailFate::Queued)
        );
        let decoys: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let mut fates = vec![];
        for id in &decoys {
            f.store
                .insert_flow(flow(*id, None), event(AuditType::RecoveryStart, None), None)
                .await
                .unwrap();
            fates.push(
                f.store
                    .advance_flow(decoy_mailing_step(*id, "decoy:abc"))
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        // The same budget as a real flow's (2 per network), counted against the decoy's key.
        assert_eq!(
            fates,
            [
                MailFate::Discarded,
                MailFate::Discarded,
                MailFate::OverSourceBudget
            ]
        );
        let ended = |id| {
            let s = Arc::clone(&f.store);
            async move { s.flow(id).await.unwrap().unwrap().ended }
        };
        assert_eq!(
            ended(decoys[0]).await.as_deref(),
            Some("superseded by a newer flow"),
            "the second decoy ended the first, as a real flow ends its account's previous one"
        );
        assert_eq!(ended(decoys[1]).await, None, "over budget ends nothing");
        assert_eq!(ended(real).await, None, "a decoy never ends a real flow");
        assert_eq!(
            f.store.pending_outbox(Uuid::nil()).await.unwrap().len(),
            0,
            "a decoy's mail is written settled"
        );
    }

    #[tokio::test]
    async fn a_flow_step_advances_exactly_once_even_in_parallel() {
        let f = fresh().await;
        let id = Uuid::new_v4();
        f.store
            .insert_flow(flow(id, None), event(AuditType::RecoveryStart, None), None)
            .await
            .unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = Arc::clone(&f.store);
                tokio::spawn(async move { s.advance_flow(step(id, 0)).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for t in tasks {
            won += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(won, 1);
        let stored = f.store.flow(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.step, stored.stage_index, stored.decoy),
            (1, 1, true)
        );
        assert!(
            f.store.advance_flow(step(id, 0)).await.unwrap().is_none(),
            "a replay of step 0 fails"
        );
        assert_eq!(f.store.fail_flow(id, 1).await.unwrap(), 1);
        assert_eq!(f.store.fail_flow(id, 1).await.unwrap(), 2);
        assert_eq!(
            f.store.fail_flow(id, 0).await.unwrap(),
            u32::MAX,
            "a stale step counts nothing"
        );
    }

    #[tokio::test]
    async fn claimed_messages_are_leased_and_retried_until_delivered() {
        let f = fresh().await;
        let a = f.account("jdoe").await;
        f.store
            .write_password(write(a.id, a.rev, "second password", None))
            .await
            .unwrap();
        let lease = Duration::from_secs(60);
        let claimed = f.store.claim_outbox(T0, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(
            f.store
                .claim_outbox(T0, lease, 10)
                .await
                .unwrap()
                .is_empty(),
            "leased"
        );
        let m = &claimed[0].message;
        f.store
            .outbox_failed(m.id, 1, T0 + Duration::from_secs(5), "SMTP down", false)
            .await
            .unwrap();
        assert!(
            f.store
                .claim_outbox(T0 + Duration::from_secs(4), lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let again = f
            .store
            .claim_outbox(T0 + Duration::from_secs(5), lease, 10)
            .await
            .unwrap();
        assert_eq!(again[0].attempts, 1);
        f.store
            .outbox_delivered(m.id, T0 + Duration::from_secs(6))
            .await
            .unwrap();
        assert!(
            f.store
                .claim_outbox(T0 + Duration::from_secs(3600), lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(f.store.pending_outbox(a.id).await.unwrap().is_empty());
    }
}
