//! The server in front of a real Active Directory: Samba 4 as a domain controller (one
//! per test process, over LDAPS with its certificate checked; each test its own users).
//! Proofs by bind with AD's data codes, the self change and resets written as
//! `unicodePwd` (checked by `ldapwhoami` over LDAPS, a client independent of Latchkey),
//! AD's refusals in the one report, roles from nested groups, every surface — Adaxes
//! addressing a real AD user by DN, GUID and SID.

use crate::fronted::{self, FIRST, SECOND, THIRD, json};
use crate::helpers::{TestApp, spawn_with, use_smtp};
use crate::smtp::SmtpSink;
use latchkey_directory::testing::samba::{self, SambaDc};
use latchkey_server::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The server with the DC as its directory (Latchkey's lockout at 3 failures, below the
/// domain's 10). `directory.kind` is left to be read from the root DSE.
async fn spawn_on(dc: &SambaDc, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (url, ca) = (dc.url.clone(), dc.ca_file.clone());
    spawn_with(move |c| {
        c.directory.url = Some(url);
        c.directory.ca_file = Some(ca);
        c.directory.bind_dn = samba::SERVICE_DN.into();
        c.directory.bind_password = Some(samba::SERVICE_PW.into());
        c.directory.user_base = samba::PEOPLE.into();
        c.directory.decoy_dn = Some(samba::DECOY_DN.into());
        c.directory.roles.helpdesk = Some(samba::HELPDESK_GROUP.into());
        c.directory.roles.admin = Some(samba::ADMIN_GROUP.into());
        c.lockout.max_failures = 3;
        adjust(c);
    })
    .await
}

async fn me(app: &TestApp, token: &str) -> Value {
    json(app.get("/api/v1/me", Some(token)).await).await
}

#[tokio::test]
async fn an_ad_user_signs_in_by_either_name_and_changes_the_password_in_ad() {
    let Some(dc) = SambaDc::shared() else { return };
    let (sam, dn) = dc.add_user("ada", FIRST);
    let app = spawn_on(dc, |_| {}).await;
    let token = app.sign_in(&sam, FIRST).await;
    let before = me(&app, &token).await;
    assert_eq!(before["userName"], sam.as_str());
    assert_eq!(before["dn"], dn.as_str());
    let sid = before["sid"].as_str().unwrap_or_default();
    assert!(sid.starts_with("S-1-5-21-"), "{before}");
    let rev = before["_rev"].as_str().unwrap_or_default();
    assert!(!rev.is_empty() && rev.chars().all(|c| c.is_ascii_digit()));
    // userPrincipalName too, the same account.
    let upn = app.sign_in(&format!("{sam}@example.com"), FIRST).await;
    assert_eq!(me(&app, &upn).await["id"], before["id"]);

    let r = app.change_password(&token, FIRST, SECOND).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert!(dc.whoami(&dn, SECOND), "the new password binds");
    assert!(!dc.whoami(&dn, FIRST), "the old one does not");
    let after = me(&app, &token).await;
    assert_ne!(after["_rev"], before["_rev"], "the revision moves");
    let events = app
        .audit(&format!(
            "accountId={}&type=password.change",
            before["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    app.sign_in(&sam, SECOND).await;
}

#[tokio::test]
async fn unknown_wrong_disabled_and_ad_locked_answer_alike() {
    let Some(dc) = SambaDc::shared() else { return };
    let (sam, dn) = dc.add_user("bo", FIRST);
    let (disabled, disabled_dn) = dc.add_user("cy", FIRST);
    dc.set(&disabled_dn, "userAccountControl", "514");
    let (expired, expired_dn) = dc.add_user("dy", FIRST);
    dc.set(&expired_dn, "accountExpires", "1");
    let app = spawn_on(dc, |_| {}).await;
    fronted::assert_answer_as_unknown(
        &app,
        &[
            (&sam, "Wrong-Guess-00"),
            (&disabled, FIRST),
            (&expired, FIRST),
        ],
    )
    .await;
    assert!(dc.whoami(&dn, FIRST));
}

#[tokio::test]
async fn latchkey_locks_before_ad_does_and_an_unlock_lifts_ads_lock_too() {
    let Some(dc) = SambaDc::shared() else { return };
    let (sam, dn) = dc.add_user("di", FIRST);
    let app = spawn_on(dc, |_| {}).await;
    for _ in 0..4 {
        let r = app.try_sign_in(&sam, "Wrong-Guess-00").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.try_sign_in(&sam, FIRST).await.status(),
        StatusCode::UNAUTHORIZED,
        "locked in Latchkey after 3"
    );
    assert!(dc.whoami(&dn, FIRST), "AD saw 3 failures of its 10");
    // Locked in AD itself (10 failed binds elsewhere): Latchkey's unlock lifts it there.
    for _ in 0..10 {
        dc.whoami(&dn, "Wrong-Guess-00");
    }
    assert_eq!(dc.bind_code(&dn, FIRST).as_deref(), Some("775"));
    fronted::unlock(&app, &sam).await;
    assert!(dc.whoami(&dn, FIRST), "unlocked in AD");
    app.sign_in(&sam, FIRST).await;
}

#[tokio::test]
async fn a_nested_helpdesk_member_resets_then_the_change_only_session_changes_it() {
    let Some(dc) = SambaDc::shared() else { return };
    let (sam, dn) = dc.add_user("ed", FIRST);
    let (helper, helper_dn) = dc.add_user("help", FIRST);
    dc.add_members(samba::TIER1_GROUP, &[&helper_dn]);
    let app = spawn_on(dc, |_| {}).await;
    let help = app.sign_in(&helper, FIRST).await;
    assert_eq!(me(&app, &help).await["roles"], json!(["helpdesk"]));
    fronted::reset_must_be_changed(&app, dc, &help, (&sam, &dn), [FIRST, SECOND, THIRD]).await;
    // The reset password was AD's: refused now as a wrong one (52e), not as must-change.
    assert_eq!(dc.bind_code(&dn, SECOND).as_deref(), Some("52e"));
}

#[tokio::test]
async fn ads_refusals_are_in_the_one_report() {
    let Some(dc) = SambaDc::shared() else { return };
    let app = spawn_on(dc, |_| {}).await;
    fronted::the_directorys_history_refusal_is_in_the_one_report(&app, dc).await;
}

#[tokio::test]
async fn adaxes_resets_a_real_ad_user_by_dn_guid_and_sid_with_generated_passwords() {
    let Some(dc) = SambaDc::shared() else { return };
    let (sam, dn) = dc.add_user("ax", FIRST);
    let (helper, helper_dn) = dc.add_user("help", FIRST);
    dc.add_members(samba::HELPDESK_GROUP, &[&helper_dn]);
    let app = spawn_on(dc, |_| {}).await;
    let t = crate::adaxes::token(&app, &helper, FIRST).await;
    let account = json(
        app.get(
            &format!("/api/v1/accounts/{}", fronted::id_of(&app, &sam).await),
            Some(&app.admin_token),
        )
        .await,
    )
    .await;
    let (guid, sid) = (
        account["id"].as_str().unwrap().to_owned(),
        account["sid"].as_str().unwrap().to_owned(),
    );
    for (object, must) in [(dn.clone(), false), (guid, true), (sid, false)] {
        let generated: Value = app
            .client
            .post(app.url("/restApi/api/directoryObjects/passwordUtils/generate"))
            .header("Adm-Authorization", &t)
            .json(&json!({ "directoryObject": object }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let password = generated.as_str().unwrap_or_else(|| panic!("{generated}"));
        let body = json!({ "directoryObject": object, "password": password, "options": { "mustChangePassword": must }, "unlockAccount": true });
        let r = app
            .client
            .post(app.url("/restApi/api/directoryObjects/resetPassword"))
            .header("Adm-Authorization", &t)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{object}: {}",
            r.text().await.unwrap()
        );
        assert_eq!(json(r).await["actualObjectDN"], dn.as_str());
        // The generated password satisfied AD's complexity rule: AD took it.
        if must {
            assert_eq!(dc.bind_code(&dn, password).as_deref(), Some("773"));
        } else {
            assert!(dc.whoami(&dn, password), "{object}");
        }
        let signed = json(app.try_sign_in(&sam, password).await).await;
        assert_eq!(signed["mustChangePassword"], must, "{signed}");
    }
}

#[tokio::test]
async fn every_other_surface_changes_an_ad_password_in_ad() {
    let Some(dc) = SambaDc::shared() else { return };
    let app = spawn_on(dc, |_| {}).await;
    fronted::every_surface_changes_a_password_in_the_directory(&app, dc).await;
}

#[tokio::test]
async fn recovery_mails_ads_address_and_resets_in_ad() {
    let Some(dc) = SambaDc::shared() else { return };
    let sink = SmtpSink::start();
    let app = spawn_on(dc, |c| use_smtp(c, sink.port)).await;
    fronted::recovery_mails_the_directorys_address_and_resets_there(&app, dc, &sink).await;
}

#[tokio::test]
async fn a_plain_ldap_url_to_ad_is_refused_at_start_naming_the_key() {
    let Some(dc) = SambaDc::shared() else { return };
    let mut config = Config::default();
    config.directory.url = Some("ldap://127.0.0.1:389".into());
    config.directory.kind = Some("active_directory".into());
    config.directory.bind_dn = samba::SERVICE_DN.into();
    config.directory.bind_password = Some(samba::SERVICE_PW.into());
    config.directory.user_base = samba::PEOPLE.into();
    let problems = config.directory.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("directory.url:") && p.contains("TLS")),
        "{problems:?}"
    );
    // Entries are made through Latchkey in OpenLDAP only.
    let mut writes = config.directory.clone();
    writes.allow_writes = true;
    assert!(
        writes
            .problems()
            .iter()
            .any(|p| p.starts_with("directory.allow_writes:")),
        "{:?}",
        writes.problems()
    );
    // Unset, the kind is read from the root DSE, and the same rule holds.
    let db = latchkey_store::testing::TestDb::new().await;
    let mut c = crate::helpers::test_config(&db);
    c.directory = config.directory.clone();
    c.directory.kind = None;
    let Err(e) = latchkey_server::startup::Application::build(c).await else {
        panic!("started over plain LDAP");
    };
    assert!(e.to_string().starts_with("directory.url:"), "{e}");
    let _ = dc;
}
