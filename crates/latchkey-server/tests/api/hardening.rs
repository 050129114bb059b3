//! The attack campaign's findings, pinned black-box: account takeover through contact
//! data, recovery flows and mail, change-only sessions, and the oracles that told who
//! has an account.

use crate::helpers::{TestApp, problem, spawn_app, spawn_with, use_smtp};
use crate::smtp::SmtpSink;
use base64::Engine as _;
use serde_json::{Value, json};
use std::time::Duration;

fn idm_patch(
    app: &TestApp,
    id: &str,
    user: &str,
    pw: &str,
    body: Value,
) -> reqwest::RequestBuilder {
    app.client
        .patch(app.url(&format!("/openidm/managed/user/{id}")))
        .header("X-OpenIDM-Username", user)
        .header("X-OpenIDM-Password", pw)
        .json(&body)
}

async fn status_and_body(r: reqwest::Response) -> (u16, Vec<u8>) {
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_session_changes_its_own_email_only_with_the_password_and_the_old_address_is_told() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let mail = json!([{ "operation": "replace", "field": "mail", "value": "thief@evil.example" }]);
    // No reauthentication: refused, nothing written.
    let r = idm_patch(&app, &id, "jdoe", "Mellow-Trout-41", mail.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let wrong = idm_patch(&app, &id, "jdoe", "Mellow-Trout-41", mail.clone())
        .header("X-OpenIDM-Reauth-Password", "not-my-password")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let phone =
        json!([{ "operation": "replace", "field": "telephoneNumber", "value": "+1 555 0100" }]);
    let r = idm_patch(&app, &id, "jdoe", "Mellow-Trout-41", phone)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "the telephone number is contact data too");
    let me: Value = app
        .get(&format!("/api/v1/accounts/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "jdoe@example.com");
    // With it: changed, and the old address hears of it.
    let r = idm_patch(&app, &id, "jdoe", "Mellow-Trout-41", mail)
        .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let told = sink.wait_for("jdoe@example.com", 1).await;
    assert!(
        told["subject"].as_str().unwrap().contains("e-mail address"),
        "{told}"
    );
    // Every mail carries a Message-ID (the notification's own id, stable across retries).
    let message_id = told["message_id"].as_str().unwrap();
    assert!(
        message_id.starts_with('<') && message_id.ends_with('>') && message_id.contains('@'),
        "{told}"
    );
    assert!(
        !told["body"]
            .as_str()
            .unwrap()
            .contains("thief@evil.example")
    );
    let updates: Vec<Value> = app
        .audit(&format!("accountId={id}&type=account.update"))
        .await
        .into_iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["reason"], "changed: email");
    assert!(
        !updates
            .iter()
            .any(|e| e.to_string().contains("evil.example"))
    );
}

#[tokio::test]
async fn an_admin_proves_its_own_email_change_but_not_someone_elses() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = app
        .patch(
            &format!("/api/v1/accounts/{id}"),
            &app.admin_token,
            &json!({ "email": "john.doe@example.com" }),
        )
        .await;
    assert_eq!(r.status(), 200, "no proof for someone else's address");
    sink.wait_for("jdoe@example.com", 1).await;
    let admin: Value = app
        .get("/api/v1/me", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let admin_id = admin["id"].as_str().unwrap();
    let own = app
        .patch(
            &format!("/api/v1/accounts/{admin_id}"),
            &app.admin_token,
            &json!({ "email": "root@evil.example" }),
        )
        .await;
    problem(own, 403).await;
    let scim_own = app.patch(&format!("/scim/v2/Users/{admin_id}"), &app.admin_token, &json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "path": "phoneNumbers", "value": [{ "value": "+1 555 0199", "type": "work" }] }] })).await;
    assert_eq!(scim_own.status(), 403, "{}", scim_own.text().await.unwrap());
}

#[tokio::test]
async fn contact_data_must_be_clean_on_every_surface() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    for bad in [
        "Jane Doe <jane@example.com>",
        "jane@example.com\r\nBcc: all@example.com",
        &format!("{}@example.com", "a".repeat(250)),
    ] {
        let r = app
            .post(
                "/api/v1/accounts",
                Some(&app.admin_token),
                &json!({ "userName": "x1", "email": bad }),
            )
            .await;
        assert!(
            problem(r, 400).await["detail"]
                .as_str()
                .unwrap()
                .contains("email")
        );
        let r = app
            .patch(
                &format!("/api/v1/accounts/{id}"),
                &app.admin_token,
                &json!({ "email": bad }),
            )
            .await;
        problem(r, 400).await;
    }
    let r = app
        .patch(
            &format!("/api/v1/accounts/{id}"),
            &app.admin_token,
            &json!({ "displayName": "Jane\nSubject: hi" }),
        )
        .await;
    assert!(
        problem(r, 400).await["detail"]
            .as_str()
            .unwrap()
            .contains("displayName")
    );
    let scim = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&app.admin_token)
        .json(
            &json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x2",
            "emails": [{ "value": "X <x@example.com>", "primary": true }] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(scim.status(), 400);
    let idm = app
        .patch(
            &format!("/openidm/managed/user/{id}"),
            &app.admin_token,
            &json!([{ "operation": "replace", "field": "sn", "value": "Doe\r\nX-Evil: 1" }]),
        )
        .await;
    assert_eq!(idm.status(), 400);
    assert!(idm.text().await.unwrap().contains("sn"));
    let a: Value = app
        .get(&format!("/api/v1/accounts/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["email"], "jdoe@example.com");
    assert_eq!(a["displayName"], Value::Null);
}

/// Starts a flow for `who` and submits the user name: the token of `emailValidation`.
async fn start(app: &TestApp, who: &str) -> (String, Vec<u8>) {
    let r: Value = app.recover(None, json!({})).await.json().await.unwrap();
    let t0 = r["token"].as_str().unwrap().to_owned();
    let r = app.recover(Some(&t0), json!({ "userName": who })).await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    (v["token"].as_str().unwrap().to_owned(), bytes)
}

#[tokio::test]
async fn a_newer_mailed_flow_supersedes_and_credential_events_end_flows() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let (first, _) = start(&app, "jdoe").await;
    let first_code = crate::smtp::code_in(&sink.wait_for("jdoe@example.com", 1).await);
    // A stranger's start for an unknown name supersedes nothing.
    start(&app, "nobody").await;
    let (second, _) = start(&app, "jdoe").await;
    let second_code = crate::smtp::code_in(&sink.wait_for("jdoe@example.com", 2).await);
    let dead = problem(
        app.recover(Some(&first), json!({ "code": first_code }))
            .await,
        400,
    )
    .await;
    let used = problem(
        app.recover(Some("not-a-token"), json!({ "code": "1" }))
            .await,
        400,
    )
    .await;
    assert_eq!(dead, used, "a superseded flow answers like any dead token");
    // Signing in with the password ends the open flow.
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    let ended = problem(
        app.recover(Some(&second), json!({ "code": second_code }))
            .await,
        400,
    )
    .await;
    assert_eq!(ended, used);
    let reasons: Vec<String> = app
        .audit("type=recovery.failure")
        .await
        .iter()
        .filter_map(|e| e["reason"].as_str().map(str::to_owned))
        .collect();
    assert!(
        reasons.iter().any(|r| r == "superseded by a newer flow"),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r == "signed in with the password"),
        "{reasons:?}"
    );
}

/// The code of the `n`-th recovery-code mail to `to` (other notifications skipped).
async fn code_mail(sink: &SmtpSink, to: &str, n: usize) -> String {
    for _ in 0..400 {
        let codes: Vec<Value> = sink
            .messages()
            .into_iter()
            .filter(|m| {
                m["to"][0] == to && m["subject"].as_str().unwrap_or_default().contains("code")
            })
            .collect();
        if let Some(m) = codes.get(n - 1) {
            return crate::smtp::code_in(m);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no recovery code mail {n} to {to}");
}

#[tokio::test]
async fn a_reset_an_address_change_and_disabling_each_end_the_open_flows() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let path = format!("/api/v1/accounts/{id}");
    let dead = problem(
        app.recover(Some("not-a-token"), json!({ "code": "1" }))
            .await,
        400,
    )
    .await;
    let mut codes = 0;
    let mut flow = || {
        codes += 1;
        let (app, sink, n) = (&app, &sink, codes);
        async move {
            let (token, _) = start(app, "jdoe").await;
            (token, code_mail(sink, "jdoe@example.com", n).await)
        }
    };
    let (t, code) = flow().await;
    let r = app
        .post(
            &format!("{path}/password/reset"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        problem(app.recover(Some(&t), json!({ "code": code })).await, 400).await,
        dead
    );
    let (t, code) = flow().await;
    let r = app
        .patch(&path, &app.admin_token, &json!({ "givenName": "John" }))
        .await;
    assert_eq!(r.status(), 200);
    // Another profile field leaves the flow alone; the address ends it.
    let r = app.recover(Some(&t), json!({})).await;
    assert_eq!(r.status(), 200);
    let r = app
        .patch(
            &path,
            &app.admin_token,
            &json!({ "email": "john@example.com" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        problem(app.recover(Some(&t), json!({ "code": code })).await, 400).await,
        dead
    );
    let (t, code) = {
        let (token, _) = start(&app, "jdoe").await;
        (
            token,
            crate::smtp::code_in(&sink.wait_for("john@example.com", 1).await),
        )
    };
    let r = app
        .patch(&path, &app.admin_token, &json!({ "status": "disabled" }))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        problem(app.recover(Some(&t), json!({ "code": code })).await, 400).await,
        dead
    );
    let reasons: Vec<String> = app
        .audit(&format!("accountId={id}&type=recovery.failure"))
        .await
        .iter()
        .filter_map(|e| e["reason"].as_str().map(str::to_owned))
        .collect();
    for why in [
        "password changed",
        "e-mail address changed",
        "account disabled",
    ] {
        assert!(reasons.iter().any(|r| r == why), "{why}: {reasons:?}");
    }
}

#[tokio::test]
async fn idm_and_adaxes_proofs_answer_alike_for_existing_unknown_federated_and_empty() {
    let app = spawn_with(|c| c.adaxes.allow_change_password = true).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let fed = app
        .create_account(json!({ "userName": "fed", "federated": true }))
        .await;
    let idm = |user: &'static str, pw: &'static str| {
        let app = &app;
        async move {
            status_and_body(
                app.client
                    .get(app.url("/openidm/info/login"))
                    .header("X-OpenIDM-Username", user)
                    .header("X-OpenIDM-Password", pw)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let wrong = idm("jdoe", "Guess-Guess-12").await;
    assert_eq!(wrong.0, 401);
    assert_eq!(idm("ghost", "Guess-Guess-12").await, wrong);
    assert_eq!(idm("fed", "Guess-Guess-12").await, wrong);
    assert_eq!(idm("jdoe", "").await, wrong);
    let tok = crate::adaxes::token(&app, "jdoe", "Mellow-Trout-41").await;
    let adaxes = |object: String, new: &'static str| {
        let (app, tok) = (&app, &tok);
        async move {
            status_and_body(
                app.client
                    .post(app.url("/restApi/api/directoryObjects/changePassword"))
                    .header("Adm-Authorization", tok)
                    .json(&json!({ "directoryObject": object, "oldPassword": "Guess-Guess-12", "newPassword": new }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let existing = adaxes(
        "uid=jdoe,ou=People,dc=example,dc=com".into(),
        "Fresh-Pass-55",
    )
    .await;
    assert_eq!(existing.0, 401, "{}", String::from_utf8_lossy(&existing.1));
    assert_eq!(
        adaxes(
            "uid=ghost,ou=People,dc=example,dc=com".into(),
            "Fresh-Pass-55"
        )
        .await,
        existing
    );
    assert_eq!(
        adaxes(fed["id"].as_str().unwrap().into(), "Fresh-Pass-55").await,
        existing
    );
    assert_eq!(
        adaxes("uid=jdoe,ou=People,dc=example,dc=com".into(), "x").await,
        existing
    );
}

#[tokio::test]
async fn recovery_mail_is_bounded_per_network_and_account_and_answers_do_not_change() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| {
        use_smtp(c, sink.port);
        c.recovery.max_mails_per_source = 2;
        c.recovery.max_mails_per_account = 3;
    })
    .await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let mut bodies = vec![];
    for _ in 0..4 {
        let (_, body) = start(&app, "jdoe").await;
        bodies.push(body.len());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let to_jdoe = |s: &SmtpSink| {
        s.messages()
            .iter()
            .filter(|m| m["to"][0] == "jdoe@example.com")
            .count()
    };
    assert_eq!(to_jdoe(&sink), 2);
    let held: Vec<Value> = app
        .audit(&format!("accountId={id}&type=recovery.failure"))
        .await
        .into_iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .unwrap_or_default()
                .starts_with("no mail sent")
        })
        .collect();
    assert_eq!(held.len(), 2, "{held:?}");
}

#[tokio::test]
async fn real_and_decoy_recovery_answers_have_the_same_byte_count_on_every_surface() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    // Native.
    let (real_token, real) = start(&app, "jdoe").await;
    let (decoy_token, decoy) = start(&app, "nobody").await;
    assert_eq!(real.len(), decoy.len());
    assert_eq!(real_token.len(), decoy_token.len());
    // IDM self-service reset.
    let idm = |filter: &'static str| {
        let app = &app;
        async move {
            let s1: Value = app
                .client
                .post(app.url("/openidm/selfservice/reset?_action=submitRequirements"))
                .json(&json!({ "input": {} }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            app.client
                .post(app.url("/openidm/selfservice/reset?_action=submitRequirements"))
                .json(&json!({ "token": s1["token"], "input": { "queryFilter": filter } }))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        idm("userName eq \"jdoe\"").await,
        idm("userName eq \"nope\"").await
    );
    // The recovery page.
    let ui = |who: &'static str| {
        let app = &app;
        async move {
            let mut b = crate::ui::Browser::new(app);
            b.get("/ui/forgot").await;
            let p = b.post("/ui/recover", &[("login", who)]).await;
            assert_eq!(p.status, 200);
            p.body.len()
        }
    };
    assert_eq!(ui("jdoe").await, ui("zzzz").await);
}

fn basic(user: &str, pw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
    )
}

#[tokio::test]
async fn ping_proofs_answer_alike_for_existing_unknown_federated_and_locked_entries() {
    let app = spawn_with(|c| c.lockout.max_failures = 2).await;
    app.create_user("caller", "Cobalt-River-77").await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let fed = app
        .create_account(json!({ "userName": "fed", "federated": true }))
        .await;
    app.create_user("lockme", "Amber-Gate-31").await;
    for _ in 0..2 {
        app.try_sign_in("lockme", "wrong-wrong-1").await;
    }
    let fed_dn = fed["dn"].as_str().unwrap().to_owned();
    let change = |dn: String, new: &'static str| {
        let app = &app;
        async move {
            let enc = percent_encode(&dn);
            status_and_body(
                app.client
                    .post(app.url(&format!("/directory/v1/{enc}/changePassword")))
                    .header("Authorization", basic("caller", "Cobalt-River-77"))
                    .json(&json!({ "oldPassword": "Guess-Guess-12", "newPassword": new }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let existing = change(
        "uid=jdoe,ou=People,dc=example,dc=com".into(),
        "Fresh-Pass-55",
    )
    .await;
    let unknown = change(
        "uid=ghost,ou=People,dc=example,dc=com".into(),
        "Fresh-Pass-55",
    )
    .await;
    let federated = change(fed_dn, "Fresh-Pass-55").await;
    let locked = change(
        "uid=lockme,ou=People,dc=example,dc=com".into(),
        "Fresh-Pass-55",
    )
    .await;
    let empty_new = change("uid=jdoe,ou=People,dc=example,dc=com".into(), "").await;
    assert_eq!(existing.0, 401, "{}", String::from_utf8_lossy(&existing.1));
    let v: Value = serde_json::from_slice(&existing.1).unwrap();
    assert_eq!(v["resultCode"]["value"], 49, "{v}");
    for (name, other) in [
        ("locked", &locked),
        ("unknown", &unknown),
        ("federated", &federated),
        ("empty new", &empty_new),
    ] {
        assert_eq!(&existing, other, "{name}");
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn bcrypt_accounts_never_accept_a_longer_password_by_its_prefix() {
    let app = spawn_app().await;
    let long = "Aa1-".repeat(18);
    assert_eq!(long.len(), 72);
    let hash = bcrypt::hash(&long, 4).unwrap();
    app.create_account(json!({ "userName": "old", "passwordHash": hash }))
        .await;
    problem(app.try_sign_in("old", &format!("{long}extra")).await, 401).await;
    app.sign_in("old", &long).await;
}

#[tokio::test]
async fn imported_hashes_beyond_the_cost_bounds_are_refused_naming_the_bound() {
    let app = spawn_app().await;
    let costly = bcrypt::hash("whatever-pass", 4)
        .unwrap()
        .replacen("$04$", "$15$", 1);
    let r = app
        .post(
            "/api/v1/accounts",
            Some(&app.admin_token),
            &json!({ "userName": "old", "passwordHash": costly }),
        )
        .await;
    let body = problem(r, 400).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("bcrypt cost 15 is over 14"),
        "{body}"
    );
    let argon =
        "$argon2id$v=19$m=2097152,t=1,p=1$c2FsdHNhbHQ$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNoZmFrZWg";
    let r = app
        .post(
            "/api/v1/accounts",
            Some(&app.admin_token),
            &json!({ "userName": "old2", "passwordHash": argon }),
        )
        .await;
    assert!(
        problem(r, 400).await["detail"]
            .as_str()
            .unwrap()
            .contains("Argon2 memory")
    );
}

#[tokio::test]
async fn a_must_change_admin_may_only_change_its_password_on_every_surface() {
    let app = spawn_app().await;
    let victim = app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_account(json!({ "userName": "boss2", "password": "Orbit-Lamp-456", "roles": ["admin"], "mustChangePassword": true })).await;
    let t = app.sign_in("boss2", "Orbit-Lamp-456").await;
    // Native.
    let r = app
        .post("/api/v1/accounts", Some(&t), &json!({ "userName": "x" }))
        .await;
    assert_eq!(
        problem(r, 403).await["type"],
        "/problems/password-change-required"
    );
    // SCIM create.
    let r = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&t)
        .json(
            &json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Ping reset of another entry.
    let r =
        app.client
            .post(app.url(
                "/directory/v1/uid%3Djdoe%2Cou%3DPeople%2Cdc%3Dexample%2Cdc%3Dcom/changePassword",
            ))
            .bearer_auth(&t)
            .json(&json!({ "newPassword": "Taken-Over-99" }))
            .send()
            .await
            .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["resultCode"]["value"], 50, "{v}");
    assert!(
        v["diagnosticMessage"]
            .as_str()
            .unwrap()
            .contains("changeAfterReset")
    );
    // IDM reset of another account, by per-request headers.
    let r = idm_patch(
        &app,
        &victim,
        "boss2",
        "Orbit-Lamp-456",
        json!([{ "operation": "replace", "field": "password", "value": "Taken-Over-99" }]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    // Adaxes reset.
    let tok = crate::adaxes::token(&app, "boss2", "Orbit-Lamp-456").await;
    let r = app
        .client
        .post(app.url("/restApi/api/directoryObjects/resetPassword"))
        .header("Adm-Authorization", &tok)
        .json(&json!({ "directoryObject": victim, "password": "Taken-Over-99" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    // The dry run is allowed; then the change, after which the same session has its rights.
    let r = app
        .post(
            "/api/v1/passwords/check",
            Some(&t),
            &json!({ "password": "Short" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.change_password(&t, "Orbit-Lamp-456", "Orbit-Fresh-789")
            .await
            .status(),
        200
    );
    let r = app
        .post("/api/v1/accounts", Some(&t), &json!({ "userName": "x" }))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn an_empty_password_is_a_failed_proof_that_counts_toward_lockout() {
    let app = spawn_with(|c| c.lockout.max_failures = 3).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    for _ in 0..3 {
        problem(app.try_sign_in("jdoe", "").await, 401).await;
    }
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
}

#[tokio::test]
async fn a_reset_only_compares_with_current_passwords_under_history_on_reset_and_then_counts() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let reset = |pw: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            app.post(
                &format!("/api/v1/accounts/{id}/password/reset"),
                Some(&app.admin_token),
                &json!({ "newPassword": pw, "mustChangePassword": false }),
            )
            .await
        }
    };
    // Off: "reset to the current password" is no oracle — it simply succeeds.
    assert_eq!(reset("Mellow-Trout-41").await.status(), 200);

    let app = spawn_with(|c| {
        c.policy.history_on_reset = true;
        c.lockout.max_failures = 2;
    })
    .await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    for _ in 0..2 {
        let r = app
            .post(
                &format!("/api/v1/accounts/{id}/password/reset"),
                Some(&app.admin_token),
                &json!({ "newPassword": "Mellow-Trout-41" }),
            )
            .await;
        assert!(
            problem(r, 422).await["report"]
                .to_string()
                .contains("not-current")
        );
    }
    // Two such guesses locked the account, and the refusals name the actor.
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
    let refusals = app
        .audit(&format!("accountId={id}&type=password.reset"))
        .await;
    assert!(
        refusals.iter().all(|e| e["actorId"].is_string()),
        "{refusals:?}"
    );
}

#[tokio::test]
async fn a_warn_mode_rule_speaks_in_the_report_and_after_a_change() {
    let app =
        spawn_with(|c| c.policy.dictionary.mode = latchkey_core::policy::settings::Mode::Warn)
            .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let report: Value = app
        .post(
            "/api/v1/passwords/check",
            Some(&t),
            &json!({ "password": "password123" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let dict = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "dictionary")
        .unwrap()
        .clone();
    assert_eq!(
        (dict["mode"].as_str(), dict["satisfied"].as_bool()),
        (Some("warn"), Some(false))
    );
    assert!(dict["warning"].as_str().unwrap().len() > 10, "{dict}");
    let r = app
        .change_password(&t, "Mellow-Trout-41", "password123")
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["warnings"][0]["rule"], "dictionary", "{v}");
    assert_eq!(v["warnings"][0]["message"], dict["warning"]);
}
