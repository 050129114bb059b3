//! The server in front of a real OpenLDAP `slapd` with the ppolicy overlay (each test its
//! own, on fresh entries): proofs by bind, self change and reset written to the
//! directory (checked by `ldapwhoami`, a client independent of Latchkey), the
//! directory's refusals in the policy report, roles from groups, local accounts beside
//! it, outage and recovery without restart, unfinished writes resolved.

use crate::fronted::{self, FIRST, SECOND, THIRD, json};
use crate::helpers::{TestApp, spawn_with, use_smtp};
use crate::smtp::SmtpSink;
use latchkey_directory::testing::{
    ADMIN_GROUP, DECOY_DN, HELPDESK_GROUP, PEOPLE, SERVICE_DN, SERVICE_PW, Slapd,
};
use latchkey_server::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The server with `slapd` as its directory (Latchkey's lockout at 3 failures, below the
/// directory's 5).
async fn spawn_on(slapd: &Slapd) -> TestApp {
    spawn_on_with(slapd, |_| {}).await
}

async fn spawn_on_with(slapd: &Slapd, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let url = slapd.url.clone();
    spawn_with(move |c| {
        c.directory.url = Some(url);
        c.directory.bind_dn = SERVICE_DN.into();
        c.directory.bind_password = Some(SERVICE_PW.into());
        c.directory.user_base = PEOPLE.into();
        c.directory.decoy_dn = Some(DECOY_DN.into());
        c.directory.roles.helpdesk = Some(HELPDESK_GROUP.into());
        c.directory.roles.admin = Some(ADMIN_GROUP.into());
        c.directory.timeout = std::time::Duration::from_secs(2);
        c.lockout.max_failures = 3;
        adjust(c);
    })
    .await
}

#[tokio::test]
async fn a_directory_user_signs_in_and_changes_the_password_in_the_directory() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("ada", FIRST);
    let app = spawn_on(&slapd).await;
    let token = app.sign_in(&uid, FIRST).await;
    let me = json(app.get("/api/v1/me", Some(&token)).await).await;
    assert_eq!(me["userName"], uid.as_str());
    assert_eq!(me["dn"], dn.as_str());
    assert_eq!(me["email"], format!("{uid}@example.com"));
    assert_eq!(me["sid"], Value::Null, "OpenLDAP entries have no SID");
    let rev = me["_rev"].as_str().unwrap_or_default().to_owned();
    assert!(
        rev.chars().all(|c| c.is_ascii_digit()) && !rev.is_empty(),
        "{me}"
    );

    let r = app.change_password(&token, FIRST, SECOND).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert!(slapd.whoami(&dn, SECOND), "the new password binds");
    assert!(!slapd.whoami(&dn, FIRST), "the old one does not");
    app.sign_in(&uid, SECOND).await;
    let after = json(app.get("/api/v1/me", Some(&token)).await).await;
    assert_ne!(after["_rev"], me["_rev"], "the revision moves");
    let id = me["id"].as_str().unwrap();
    let events = app
        .audit(&format!("accountId={id}&type=password.change"))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
}

#[tokio::test]
async fn unknown_wrong_and_directory_locked_answer_alike() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("bo", FIRST);
    let (locked, locked_dn) = slapd.add_person("cy", FIRST);
    slapd.ldap(
        "ldapmodify",
        &format!("dn: {locked_dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n"),
    );
    let app = spawn_on(&slapd).await;
    fronted::assert_answer_as_unknown(&app, &[(&uid, "Wrong-Guess-00"), (&locked, FIRST)]).await;
    assert!(slapd.whoami(&dn, FIRST));
}

#[tokio::test]
async fn latchkey_locks_a_guessed_account_before_the_directory_does() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("di", FIRST);
    let app = spawn_on(&slapd).await;
    for _ in 0..4 {
        let r = app.try_sign_in(&uid, "Wrong-Guess-00").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked here after 3: the right password is refused by Latchkey…
    assert_eq!(
        app.try_sign_in(&uid, FIRST).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // …and the directory saw 3 failed binds, below its own limit of 5: not locked there.
    assert!(
        slapd.whoami(&dn, FIRST),
        "the directory account stays usable"
    );
    fronted::unlock(&app, &uid).await;
    app.sign_in(&uid, FIRST).await;
}

#[tokio::test]
async fn a_helpdesk_reset_must_be_changed_and_the_change_only_session_changes_it() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("ed", FIRST);
    let (helper, helper_dn) = slapd.add_person("help", FIRST);
    slapd.add_group(HELPDESK_GROUP, &[&helper_dn]);
    let app = spawn_on(&slapd).await;
    let help = app.sign_in(&helper, FIRST).await;
    let me = json(app.get("/api/v1/me", Some(&help)).await).await;
    assert_eq!(me["roles"], json!(["helpdesk"]), "{me}");
    fronted::reset_must_be_changed(&app, &slapd, &help, (&uid, &dn), [FIRST, SECOND, THIRD]).await;
}

#[tokio::test]
async fn the_directorys_own_refusal_is_in_the_one_report() {
    let Some(slapd) = Slapd::start() else { return };
    let app = spawn_on(&slapd).await;
    fronted::the_directorys_history_refusal_is_in_the_one_report(&app, &slapd).await;
}

#[tokio::test]
async fn local_and_directory_accounts_list_together_and_local_names_are_kept() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, _) = slapd.add_person("gu", FIRST);
    let app = spawn_on(&slapd).await;
    let list = json(app.get("/api/v1/accounts", Some(&app.admin_token)).await).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["userName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"admin") && names.contains(&uid.as_str()),
        "{list}"
    );
    assert_eq!(list["total"], names.len(), "{list}");
    // A local account may not take a name the directory has.
    let r = app
        .post(
            "/api/v1/accounts",
            Some(&app.admin_token),
            &json!({ "userName": uid, "password": SECOND }),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "{}",
        r.text().await.unwrap()
    );
    // A clash appearing later (an entry added to the directory): the local account wins.
    app.create_user("clash", SECOND).await;
    slapd.ldap(
        "ldapadd",
        &format!("dn: uid=clash,{PEOPLE}\nobjectClass: inetOrgPerson\nuid: clash\ncn: clash\nsn: Clash\nuserPassword: {THIRD}\n"),
    );
    let token = app.sign_in("clash", SECOND).await;
    let me = json(app.get("/api/v1/me", Some(&token)).await).await;
    assert_ne!(me["sid"], Value::Null, "the local account: {me}");
    assert_eq!(
        app.try_sign_in("clash", THIRD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the directory's password is not the local account's"
    );
}

#[tokio::test]
async fn an_unreachable_directory_answers_503_and_recovers_without_restart() {
    let Some(mut slapd) = Slapd::start() else {
        return;
    };
    let (uid, _) = slapd.add_person("ha", FIRST);
    let app = spawn_on(&slapd).await;
    app.sign_in(&uid, FIRST).await;
    slapd.stop();
    let r = app.try_sign_in(&uid, FIRST).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        app.get("/readyz", None).await.status(),
        StatusCode::OK,
        "SQL still answers"
    );
    let me = app.get("/api/v1/me", Some(&app.admin_token)).await;
    assert_eq!(me.status(), StatusCode::OK, "a local session keeps working");
    let list = app.get("/api/v1/accounts", Some(&app.admin_token)).await;
    assert_eq!(
        list.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a list needs the directory"
    );
    slapd.run();
    app.sign_in(&uid, FIRST).await;
}

#[tokio::test]
async fn every_surface_changes_a_directory_password_in_the_directory() {
    let Some(slapd) = Slapd::start() else { return };
    let app = spawn_on(&slapd).await;

    fronted::every_surface_changes_a_password_in_the_directory(&app, &slapd).await;
    // A filter the directory cannot express is a clear 400 in SCIM's own form.
    let r = app
        .client
        .get(app.url("/scim/v2/Users?filter=meta.created%20gt%20%222000-01-01T00:00:00Z%22"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = json(r).await;
    assert_eq!(body["scimType"], "invalidFilter", "{body}");
    // Creating an entry is not this deployment's to do.
    let r = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/scim+json")
        .body(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "made-here" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(json(r).await["scimType"], "mutability");
}

#[tokio::test]
async fn an_expired_directory_password_in_grace_gives_a_change_only_session() {
    let Some(slapd) = Slapd::start() else { return };
    slapd.ldap(
        "ldapmodify",
        "dn: cn=default,ou=policies,dc=example,dc=com\nchangetype: modify\nadd: pwdMaxAge\npwdMaxAge: 1\n-\nadd: pwdGraceAuthNLimit\npwdGraceAuthNLimit: 3\n",
    );
    let (uid, dn) = slapd.add_person("gr", FIRST);
    let app = spawn_on(&slapd).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    fronted::change_only_then_change(&app, &slapd, (&uid, &dn), FIRST, SECOND).await;

    // Without grace binds the owner cannot change it: refused like any failed sign-in.
    slapd.ldap(
        "ldapmodify",
        "dn: cn=default,ou=policies,dc=example,dc=com\nchangetype: modify\nreplace: pwdGraceAuthNLimit\npwdGraceAuthNLimit: 0\n",
    );
    let (late, _) = slapd.add_person("gr", FIRST);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        app.try_sign_in(&late, FIRST).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn recovery_mails_the_directorys_address_and_resets_in_the_directory() {
    let Some(slapd) = Slapd::start() else { return };
    let sink = SmtpSink::start();
    let app = spawn_on_with(&slapd, |c| use_smtp(c, sink.port)).await;
    fronted::recovery_mails_the_directorys_address_and_resets_there(&app, &slapd, &sink).await;
}

#[tokio::test]
async fn adaxes_resets_a_directory_user_named_by_dn_or_guid_and_unlocks_it() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("ad", FIRST);
    let (helper, helper_dn) = slapd.add_person("help", FIRST);
    slapd.add_group(HELPDESK_GROUP, &[&helper_dn]);
    slapd.ldap(
        "ldapmodify",
        &format!("dn: {dn}\nchangetype: modify\nadd: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n"),
    );
    let app = spawn_on(&slapd).await;
    let t = crate::adaxes::token(&app, &helper, FIRST).await;
    let reset = |object: String, password: &'static str, must: bool| {
        let body = json!({ "directoryObject": object, "password": password, "options": { "mustChangePassword": must }, "unlockAccount": true });
        app.client
            .post(app.url("/restApi/api/directoryObjects/resetPassword"))
            .header("Adm-Authorization", &t)
            .json(&body)
            .send()
    };
    let r = reset(dn.clone(), SECOND, false).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(json(r).await["actualObjectDN"], dn.as_str());
    assert!(
        slapd.whoami(&dn, SECOND),
        "reset and unlocked in the directory"
    );
    let me = json(app.try_sign_in(&uid, SECOND).await).await;
    assert_eq!(me["mustChangePassword"], false, "{me}");
    let token = me["token"].as_str().unwrap();
    let id = json(app.get("/api/v1/me", Some(token)).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = reset(id, THIRD, true).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert!(slapd.whoami(&dn, THIRD) && !slapd.whoami(&dn, SECOND));
    let me = json(app.try_sign_in(&uid, THIRD).await).await;
    assert_eq!(me["mustChangePassword"], true, "{me}");
}

#[tokio::test]
async fn a_renamed_and_moved_entry_keeps_its_id_records_and_sessions() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("mv", FIRST);
    let app = spawn_on(&slapd).await;
    let token = app.sign_in(&uid, FIRST).await;
    let before = json(app.get("/api/v1/me", Some(&token)).await).await;
    let r = app.change_password(&token, FIRST, SECOND).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Locked here by guesses before the move (3 = Latchkey's limit in these tests).
    for _ in 0..3 {
        app.try_sign_in(&uid, "Wrong-Guess-00").await;
    }
    // Renamed (a new uid) and moved under another branch of the user base.
    slapd.ldap(
        "ldapadd",
        &format!("dn: ou=Moved,{PEOPLE}\nobjectClass: organizationalUnit\nou: Moved\n"),
    );
    slapd.ldap(
        "ldapmodify",
        &format!("dn: {dn}\nchangetype: modrdn\nnewrdn: uid={uid}-renamed\ndeleteoldrdn: 1\nnewsuperior: ou=Moved,{PEOPLE}\n"),
    );
    let renamed = format!("{uid}-renamed");
    // The session, keyed by the entry's id, still stands; the account is the same one.
    let after = json(app.get("/api/v1/me", Some(&token)).await).await;
    assert_eq!(after["id"], before["id"], "{after}");
    assert_eq!(after["userName"], renamed.as_str(), "{after}");
    assert_eq!(after["dn"], format!("uid={renamed},ou=Moved,{PEOPLE}"));
    // The lock moved with it: the right password under the new name is refused…
    assert_eq!(
        app.try_sign_in(&renamed, SECOND).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let id = before["id"].as_str().unwrap();
    fronted::unlock(&app, &renamed).await;
    // …until unlocked; and its audit trail is the same account's.
    app.sign_in(&renamed, SECOND).await;
    let changes = app
        .audit(&format!("accountId={id}&type=password.change"))
        .await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        app.try_sign_in(&uid, SECOND).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old name is no account any more"
    );
}

#[tokio::test]
async fn latchkeys_own_row_of_a_directory_account_is_never_an_account_to_sign_in_to() {
    let Some(slapd) = Slapd::start() else { return };
    let (uid, dn) = slapd.add_person("sh", FIRST);
    let app = spawn_on(&slapd).await;
    let token = app.sign_in(&uid, FIRST).await;
    // Latchkey now keeps a hash of SECOND in its row for the entry (for its history rule).
    assert_eq!(
        app.change_password(&token, FIRST, SECOND).await.status(),
        StatusCode::OK
    );
    let id = json(app.get("/api/v1/me", Some(&token)).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A flag Latchkey keeps, written to that row (and a profile field that is not).
    let r = app
        .patch(
            &format!("/api/v1/accounts/{id}"),
            &app.admin_token,
            &json!({ "passwordNeverExpires": true }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = app
        .patch(
            &format!("/api/v1/accounts/{id}"),
            &app.admin_token,
            &json!({ "sn": "Renamed" }),
        )
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    // The directory changes the password behind Latchkey's back.
    slapd.ldap(
        "ldapmodify",
        &format!("dn: {dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: {THIRD}\n"),
    );
    // Neither the row's id nor its placeholder DN names an account; the directory decides.
    for name in [id.clone(), format!("entryUUID={id}")] {
        assert_eq!(
            app.try_sign_in(&name, SECOND).await.status(),
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
    }
    assert_eq!(
        app.try_sign_in(&uid, SECOND).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.sign_in(&uid, THIRD).await;
}

/// SCIM's user, with `directory.allow_writes`, made in the directory.
fn scim_user(name: &str, password: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "name": { "givenName": "Grace", "familyName": "Hopper" },
        "emails": [{ "value": format!("{name}@example.com"), "primary": true }],
        "password": password,
    })
}

#[tokio::test]
async fn with_writes_allowed_scim_creates_and_deletes_entries_in_the_directory() {
    let Some(slapd) = Slapd::start() else { return };
    let app = spawn_on_with(&slapd, |c| c.directory.allow_writes = true).await;
    let admin = app.admin_token.clone();

    let r = app
        .post("/scim/v2/Users", Some(&admin), &scim_user("ghopper", FIRST))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let made = json(r).await;
    let id = made["id"].as_str().unwrap().to_owned();
    let dn = format!("uid=ghopper,{PEOPLE}");
    assert!(slapd.exists(&dn));
    assert!(
        slapd.whoami(&dn, FIRST),
        "the entry binds with its password"
    );
    // The entry is the directory's: read back from it, its id the entry's own.
    let read = json(
        app.get(&format!("/api/v1/accounts/{id}"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(read["dn"], dn.as_str(), "{read}");
    assert_eq!(read["email"], "ghopper@example.com", "{read}");
    assert_eq!(read["givenName"], "Grace", "{read}");
    let token = app.sign_in("ghopper", FIRST).await;
    let r = app.change_password(&token, FIRST, SECOND).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    fronted::assert_changed(
        &slapd,
        &dn,
        FIRST,
        SECOND,
        "a change of the entry made here",
    );
    assert_eq!(
        app.audit(&format!("accountId={id}&type=account.create"))
            .await
            .len(),
        1
    );
    // Local accounts are still made locally (the native API), not in the directory.
    let svc = app
        .create_account(json!({ "userName": "svc-backup", "password": THIRD }))
        .await;
    assert!(svc["id"].is_string(), "{svc}");
    assert!(!slapd.whoami(&format!("uid=svc-backup,{PEOPLE}"), THIRD));
    app.sign_in("svc-backup", THIRD).await;
    // A name the directory has is taken.
    let r = app
        .post("/scim/v2/Users", Some(&admin), &scim_user("ghopper", FIRST))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    let r = app
        .client
        .delete(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "{}",
        r.text().await.unwrap()
    );
    assert!(!slapd.exists(&dn), "the entry is gone");
    let r = app.get(&format!("/scim/v2/Users/{id}"), Some(&admin)).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.audit(&format!("accountId={id}&type=account.delete"))
            .await
            .len(),
        1
    );
    let r = app.try_sign_in("ghopper", SECOND).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_creation_that_fails_half_way_leaves_no_entry() {
    let Some(slapd) = Slapd::start() else { return };
    // The entry is made, but it is not one the user filter finds: the creation fails
    // after the add, and the entry goes again.
    let app = spawn_on_with(&slapd, |c| {
        c.directory.allow_writes = true;
        c.directory.user_filter = Some("(&(objectClass=inetOrgPerson)(employeeType=staff))".into());
    })
    .await;
    let r = app
        .post(
            "/scim/v2/Users",
            Some(&app.admin_token),
            &scim_user("kjohnson", FIRST),
        )
        .await;
    let status = r.status();
    let body = json(r).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("user_filter"),
        "{body}"
    );
    assert!(
        !body.to_string().contains(FIRST),
        "never the password: {body}"
    );
    assert!(
        !slapd.exists(&format!("uid=kjohnson,{PEOPLE}")),
        "no entry left"
    );
    assert!(slapd.exists(PEOPLE), "the check itself reads entries");
}
