//! Core operations below HTTP, on the in-memory ports: the rules that live once in the
//! core, each checked without a server or a database.

use super::{AccountUpdate, CreateAccount, Latchkey, ResetOptions, SetBy};
use crate::CoreError;
use crate::audit::{AuditType, RequestContext};
use crate::auth::Principal;
use crate::clock::{Clock as _, ManualClock, SystemClock};
use crate::domain::Profile;
use crate::hashing::HashingParams;
use crate::memory_store::MemoryStore;
use crate::policy::NoFiles;
use crate::ports::{AccountChanges, AccountFilter, Records as _};
use crate::secret::{ExposeSecret as _, SecretString};
use crate::settings::CoreSettings;
use std::sync::Arc;

const PASSWORD: &str = "Mellow-Trout-41";

struct Fixture {
    core: Latchkey,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    ctx: RequestContext,
}

async fn fixture() -> Fixture {
    fixture_with(|_| {}).await
}

async fn fixture_with(adjust: impl FnOnce(&mut CoreSettings)) -> Fixture {
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let mut settings = CoreSettings {
        hashing: HashingParams::TESTING,
        ..Default::default()
    };
    adjust(&mut settings);
    let core = Latchkey::new(store.clone(), clock.clone(), settings, &NoFiles)
        .await
        .expect("the core starts on the in-memory ports");
    Fixture {
        core,
        store,
        clock,
        ctx: RequestContext::cli(),
    }
}

impl Fixture {
    async fn account(&self, name: &str) -> crate::domain::Account {
        self.core
            .create_account(
                &self.ctx,
                &Principal::System,
                CreateAccount {
                    user_name: name.into(),
                    password: Some(SecretString::from(PASSWORD)),
                    profile: Profile {
                        email: Some(format!("{name}@example.com")),
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )
            .await
            .unwrap()
    }

    async fn principal(&self, name: &str, password: &str) -> Principal {
        let s = self.core.sign_in(&self.ctx, name, password).await.unwrap();
        self.core
            .authenticate(s.token.expose_secret())
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn lockout_counts_per_account_and_a_lock_refuses_even_the_right_password() {
    let f = fixture().await;
    f.account("jdoe").await;
    let max = f.core.settings().lockout.max_failures;
    for _ in 0..max {
        let e = f.core.sign_in(&f.ctx, "jdoe", "wrong one 1").await;
        assert!(matches!(e, Err(CoreError::InvalidCredentials)));
    }
    let locked = f.core.sign_in(&f.ctx, "jdoe", PASSWORD).await;
    assert!(matches!(locked, Err(CoreError::InvalidCredentials)));
    let kinds: Vec<AuditType> = f.store.audit_events().iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&AuditType::AccountLock), "{kinds:?}");
    // An unknown name fails alike and locks nothing.
    let e = f.core.sign_in(&f.ctx, "nobody", PASSWORD).await;
    assert!(matches!(e, Err(CoreError::InvalidCredentials)));
}

#[tokio::test]
async fn a_self_change_keeps_the_callers_session_revokes_the_others_and_keeps_history() {
    let f = fixture().await;
    let a = f.account("jdoe").await;
    let me = f.principal("jdoe", PASSWORD).await;
    f.principal("jdoe", PASSWORD).await;
    assert_eq!(f.store.live_sessions(a.id), 2);
    let done = f
        .core
        .change_own_password(
            &f.ctx,
            &me,
            PASSWORD,
            Some("Velvet-Canyon-58"),
            Default::default(),
        )
        .await
        .unwrap();
    assert!(done.generated.is_none());
    assert_eq!(done.account.rev, a.rev + 1);
    assert_eq!(
        f.store.live_sessions(a.id),
        1,
        "only the caller's session survives"
    );
    assert_eq!(f.store.password_history(a.id, 5).await.unwrap().len(), 1);
    let kinds: Vec<String> = f.store.outbox().iter().map(|m| m.kind.clone()).collect();
    assert_eq!(kinds, ["password-changed"]);
    // Without a new password, one is generated for the account's policy and returned once.
    let generated = f
        .core
        .change_own_password(&f.ctx, &me, "Velvet-Canyon-58", None, Default::default())
        .await
        .unwrap()
        .generated
        .expect("a generated password");
    f.core
        .sign_in(&f.ctx, "jdoe", generated.expose_secret())
        .await
        .unwrap();
}

#[tokio::test]
async fn who_sets_a_password_decides_whether_it_must_be_changed() {
    let f = fixture().await;
    let a = f.account("jdoe").await;
    let reset = |set_by, must_change_password| ResetOptions {
        new_password: Some(SecretString::from("Velvet-Canyon-58")),
        set_by,
        must_change_password,
        ..Default::default()
    };
    let cases = [
        (SetBy::Helpdesk, None, true),
        (SetBy::Provisioning, None, false),
        (SetBy::Helpdesk, Some(false), false),
        (SetBy::Provisioning, Some(true), true),
    ];
    for (set_by, explicit, expected) in cases {
        let out = f
            .core
            .reset_password(&f.ctx, &Principal::System, a.id, reset(set_by, explicit))
            .await
            .unwrap();
        assert_eq!(
            out.account.must_change_password, expected,
            "{set_by:?} with {explicit:?}"
        );
    }
}

#[tokio::test]
async fn an_update_whose_password_the_policy_refuses_writes_nothing() {
    let f = fixture().await;
    let a = f.account("jdoe").await;
    let events = f.store.audit_events().len();
    let update = AccountUpdate {
        expected_rev: Some(a.rev),
        changes: AccountChanges {
            profile: Some(Profile {
                display_name: Some("Changed".into()),
                ..a.profile.clone()
            }),
            disabled: Some(true),
            ..Default::default()
        },
        password: Some(ResetOptions {
            new_password: Some(SecretString::from("password")),
            set_by: SetBy::Provisioning,
            ..Default::default()
        }),
    };
    let e = f
        .core
        .update_account(&f.ctx, &Principal::System, a.id, update, None)
        .await;
    assert!(matches!(e, Err(CoreError::Policy(_))), "{e:?}");
    let now = f.core.get_account(&Principal::System, a.id).await.unwrap();
    assert_eq!(
        (now.rev, now.disabled, now.profile),
        (a.rev, false, a.profile)
    );
    // The refusal itself is audited; nothing else was written.
    let after = f.store.audit_events();
    assert_eq!(after.len(), events + 1);
    assert_eq!(after[events].kind, AuditType::PasswordReset);
    f.core.sign_in(&f.ctx, "jdoe", PASSWORD).await.unwrap();
}

#[tokio::test]
async fn an_account_without_the_reader_role_finds_only_itself() {
    let f = fixture().await;
    let me = f.account("jdoe").await;
    f.account("asmith").await;
    let p = f.principal("jdoe", PASSWORD).await;
    let page = f
        .core
        .query_visible_accounts(&p, AccountFilter::default())
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|a| a.id).collect();
    assert_eq!((ids, page.total), (vec![me.id], 1));
    let all = f
        .core
        .query_visible_accounts(&Principal::System, AccountFilter::default())
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    assert!(matches!(
        f.core.list_accounts(&p, AccountFilter::default()).await,
        Err(CoreError::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_password_that_expires_makes_the_change_required() {
    let f = fixture_with(|s| s.policy.max_age = Some(std::time::Duration::from_secs(3600))).await;
    let a = f.account("jdoe").await;
    assert_eq!(f.core.change_required(&a), None);
    f.clock.advance(std::time::Duration::from_secs(3601));
    assert_eq!(
        f.core.change_required(&a),
        Some(super::ChangeRequired::Expired)
    );
    let state = f.core.account_state(&Principal::System, &a);
    assert_eq!(state.seconds_until_expiry, Some(0));
    let signed = f.core.sign_in(&f.ctx, "jdoe", PASSWORD).await.unwrap();
    assert_eq!(signed.change_required, Some(super::ChangeRequired::Expired));
    let p = f
        .core
        .authenticate(signed.token.expose_secret())
        .await
        .unwrap();
    assert!(matches!(
        p,
        Principal::User {
            change_only: true,
            ..
        }
    ));
}

#[tokio::test]
async fn the_page_preview_is_the_policy_without_the_rules_that_need_a_change() {
    let f = fixture_with(|s| {
        s.policy.history_count = 3;
        s.policy.min_strength = Some(3);
    })
    .await;
    f.account("jonathan").await;
    let rules = f.core.password_rules(None).await.unwrap();
    let later: Vec<_> = rules
        .iter()
        .filter(|r| r.on_submit)
        .map(|r| r.rule)
        .collect();
    assert_eq!(later, ["not-current", "history"]);
    // Before sign-in: the default policy, no account, nothing that needs a change.
    let anon = f
        .core
        .preview_password(None, "jonathan-likes-cake")
        .await
        .unwrap();
    let names: Vec<_> = anon.report.rules.iter().map(|r| r.rule).collect();
    assert!(!names.iter().any(|n| later.contains(n)), "{names:?}");
    assert!(
        anon.report
            .rules
            .iter()
            .all(|r| r.rule != "not-personal" || r.satisfied),
        "no account, no personal words"
    );
    // Signed in: the account's own words count, and the strength is scored.
    let me = f.principal("jonathan", PASSWORD).await;
    let own = f
        .core
        .preview_password(Some(&me), "jonathan-likes-cake")
        .await
        .unwrap();
    assert!(
        !own.report
            .rules
            .iter()
            .find(|r| r.rule == "not-personal")
            .unwrap()
            .satisfied
    );
    let weak = f
        .core
        .preview_password(Some(&me), "aaaaaaaa")
        .await
        .unwrap();
    let strong = f
        .core
        .preview_password(Some(&me), "Velvet-Canyon-58-Orbit")
        .await
        .unwrap();
    assert!(
        weak.strength < 2 && strong.strength >= 3,
        "{} {}",
        weak.strength,
        strong.strength
    );
    // The API's dry run does not pay for the meter.
    let report = f
        .core
        .check_password(&me, "Velvet-Canyon-58-Orbit", None)
        .await
        .unwrap();
    assert_eq!(
        report.rules.iter().map(|r| r.rule).collect::<Vec<_>>(),
        strong
            .report
            .rules
            .iter()
            .map(|r| r.rule)
            .collect::<Vec<_>>()
    );
}
