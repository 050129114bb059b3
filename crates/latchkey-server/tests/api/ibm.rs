//! IBM Security Verify's `POST /v2.0/Me/password`.

use crate::helpers::{TestApp, spawn_app, spawn_with, use_smtp};
use crate::smtp::SmtpSink;
use serde_json::{Value, json};
use std::io::Write as _;

pub(crate) const CHANGE: &str = "urn:ietf:params:scim:schemas:ibm:core:2.0:ChangePassword";
const NOTIFY: &str = "urn:ietf:params:scim:schemas:extension:ibm:2.0:Notification";

fn body(old: &str, new: &str, notify: &str) -> Value {
    json!({ "schemas": [CHANGE, NOTIFY], "oldPassword": old, "password": new, NOTIFY: { "notifyType": notify } })
}

async fn post(app: &TestApp, token: &str, b: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/v2.0/Me/password"))
        .bearer_auth(token)
        .header("Content-Type", "application/scim+json; charset=utf-8")
        .body(b.to_string())
        .send()
        .await
        .unwrap()
}

async fn scim_error(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(v["status"], status.to_string());
    v
}

#[tokio::test]
async fn the_reference_request_changes_the_password_and_notifies_unless_told_not_to() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = post(
        &app,
        &t,
        &body("Mellow-Trout-41", "Velvet-Canyon-58", "NONE"),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert!(r.headers().get("isv-dictionary-policy").is_none());
    let r = app
        .client
        .post(app.url("/v2.0/Me/password?themeId=acme"))
        .bearer_auth(&t)
        .json(&body("Velvet-Canyon-58", "Orbit-Saffron-13", "EMAIL"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let mail = sink.wait_for("jdoe@example.com", 1).await;
    assert!(mail["subject"].as_str().unwrap().contains("changed"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "notifyType NONE sent nothing");
    app.sign_in("jdoe", "Orbit-Saffron-13").await;
}

#[tokio::test]
async fn dictionary_hits_warn_or_enforce_with_ibm_headers() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = post(&app, &t, &body("Mellow-Trout-41", "password123", "NONE")).await;
    assert_eq!(r.headers()["isv-dictionary-policy"], "ENFORCELOCAL");
    let v = scim_error(r, 400).await;
    assert_eq!(v["messageId"], "PWD_IN_DICTIONARY");
    assert_eq!(v["scimType"], "invalidValue");
    let r = post(
        &app,
        &t,
        &body("Mellow-Trout-41", ">Crystal-Comet<", "NONE"),
    )
    .await;
    let v = scim_error(r, 400).await;
    assert!(
        v.get("messageId").is_none() && v["detail"].as_str().unwrap().contains("deny-pattern"),
        "{v}"
    );

    let warn = spawn_with(|c| c.policy.dictionary.mode = latchkey_core::policy::Mode::Warn).await;
    warn.create_user("jdoe", "Mellow-Trout-41").await;
    let t = warn.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = post(&warn, &t, &body("Mellow-Trout-41", "password123", "NONE")).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["isv-dictionary-policy"], "WARNLOCAL");
}

#[tokio::test]
async fn a_breached_password_answers_with_the_global_headers() {
    use sha1::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pwned.txt");
    let hex: String = sha1::Sha1::digest(b"Velvet-Canyon-58")
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    writeln!(std::fs::File::create(&input).unwrap(), "{hex}:3").unwrap();
    let filter = dir.path().join("f.lkbf");
    latchkey_server::breached::build(&input, &filter, 1).unwrap();
    for (mode, header, status) in [
        (latchkey_core::policy::Mode::Enforce, "ENFORCEGLOBAL", 400),
        (latchkey_core::policy::Mode::Warn, "WARNGLOBAL", 204),
    ] {
        let f = filter.clone();
        let app = spawn_with(move |c| {
            c.policy.breached.file = Some(f);
            c.policy.breached.mode = mode;
        })
        .await;
        app.create_user("jdoe", "Mellow-Trout-41").await;
        let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
        let r = post(
            &app,
            &t,
            &body("Mellow-Trout-41", "Velvet-Canyon-58", "NONE"),
        )
        .await;
        assert_eq!(r.status().as_u16(), status);
        assert_eq!(r.headers()["isv-dictionary-policy"], header);
        if status == 400 {
            assert_eq!(
                scim_error(r, 400).await["messageId"],
                "PWD_IN_GLOBAL_DICTIONARY"
            );
        }
    }
}

#[tokio::test]
async fn wrong_schemas_client_tokens_and_federated_accounts_are_refused() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let mut wrong = body("Mellow-Trout-41", "Velvet-Canyon-58", "NONE");
    wrong["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
    assert_eq!(
        scim_error(post(&app, &t, &wrong).await, 400).await["scimType"],
        "invalidValue"
    );
    let mut missing_notify = body("Mellow-Trout-41", "Velvet-Canyon-58", "NONE");
    missing_notify["schemas"] = json!([CHANGE]);
    scim_error(post(&app, &t, &missing_notify).await, 400).await;
    scim_error(
        post(&app, &t, &body("wrong-wrong-1", "Velvet-Canyon-58", "NONE")).await,
        401,
    )
    .await;
    let r = app
        .client
        .post(app.url("/v2.0/Me/password"))
        .bearer_auth(&t)
        .header("Content-Type", "text/plain")
        .body(body("Mellow-Trout-41", "Velvet-Canyon-58", "NONE").to_string())
        .send()
        .await
        .unwrap();
    scim_error(r, 415).await;
    let c: Value = app
        .post(
            "/api/v1/clients",
            Some(&app.admin_token),
            &json!({ "name": "bot", "scopes": ["*"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let tok: Value = app.post("/api/v1/token", None, &json!({ "grant_type": "client_credentials", "client_id": c["clientId"], "client_secret": c["clientSecret"] })).await.json().await.unwrap();
    scim_error(
        post(
            &app,
            tok["access_token"].as_str().unwrap(),
            &body("x", "Velvet-Canyon-58", "NONE"),
        )
        .await,
        403,
    )
    .await;
    app.create_account(json!({ "userName": "fed", "password": "Quiet-Harbor-63" }))
        .await;
    let ft = app.sign_in("fed", "Quiet-Harbor-63").await;
    let id = app
        .get("/api/v1/me", Some(&ft))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/accounts/{id}")))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "federated": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A federated account has no local password: its proof fails like a wrong one, and
    // nothing about the account shows before a proof succeeds.
    let federated = scim_error(
        post(
            &app,
            &ft,
            &body("Quiet-Harbor-63", "Velvet-Canyon-58", "NONE"),
        )
        .await,
        401,
    )
    .await;
    let wrong = scim_error(
        post(
            &app,
            &t,
            &body("Not-The-Password-1", "Velvet-Canyon-58", "NONE"),
        )
        .await,
        401,
    )
    .await;
    assert_eq!(federated, wrong);
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

#[tokio::test]
async fn scim_answers_at_ibms_base_path_exactly_as_under_scim_v2() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let me = app.sign_in("jdoe", "Mellow-Trout-41").await;
    for (path, token) in [
        ("/Users?filter=userName%20eq%20%22jdoe%22", &app.admin_token),
        (
            "/Users?startIndex=1&count=5&sortBy=userName",
            &app.admin_token,
        ),
        ("/Me", &me),
        ("/Schemas", &app.admin_token),
        ("/ResourceTypes", &app.admin_token),
        ("/ResourceTypes/User", &app.admin_token),
        ("/ServiceProviderConfig", &app.admin_token),
        ("/NoSuchThing", &app.admin_token),
    ] {
        let mut answers = vec![];
        for base in ["/scim/v2", "/v2.0"] {
            let r = app.get(&format!("{base}{path}"), Some(token)).await;
            let status = r.status().as_u16();
            let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
            answers.push((status, kind, r.bytes().await.unwrap()));
        }
        assert_eq!(answers[0], answers[1], "{path}");
        let expected = if path == "/NoSuchThing" { 404 } else { 200 };
        assert_eq!(answers[0].0, expected, "{path}");
    }
    // A write there too: the same user, found again under the other base.
    let r = app
        .client
        .post(app.url("/v2.0/Users"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/scim+json")
        .body(json!({ "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ibmuser" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let r = app
        .get(&format!("/scim/v2/Users/{id}"), Some(&app.admin_token))
        .await;
    assert_eq!(r.status(), 200);
}
