//! The ForgeRock IDM surface, with the requests of the vendor's articles replayed.

use crate::helpers::{TestApp, spawn_app, spawn_with, use_smtp};
use crate::smtp::{SmtpSink, code_in};
use reqwest::RequestBuilder;
use serde_json::{Value, json};

fn idm(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    user: &str,
    password: &str,
) -> RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("X-OpenIDM-Username", user)
        .header("X-OpenIDM-Password", password)
}

async fn idm_error(r: reqwest::Response, code: u16) -> Value {
    assert_eq!(r.status().as_u16(), code);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], code, "{v}");
    assert!(v["reason"].is_string() && v["message"].is_string(), "{v}");
    v
}

/// A user object as an administrator reads it.
async fn admin_read(app: &TestApp, path: &str) -> Value {
    app.client
        .get(app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const CHANGE: &str = r#"[{"operation":"replace","field":"password","value":"newPassw0rd-Xy"}]"#;

#[tokio::test]
async fn info_login_answers_both_idm_forms() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    for version in [Some("resource=1.0"), None] {
        let mut r = idm(
            &app,
            reqwest::Method::GET,
            "/openidm/info/login",
            "jdoe",
            "Mellow-Trout-41",
        );
        if let Some(v) = version {
            r = r.header("Accept-API-Version", v);
        }
        let v: Value = r.send().await.unwrap().json().await.unwrap();
        assert_eq!(v["_id"], "login");
        assert_eq!(v["authenticationId"], "jdoe");
        let a = &v["authorization"];
        assert_eq!(a["id"], id);
        assert_eq!(a["component"], "managed/user");
        assert_eq!(a["moduleId"], "MANAGED_USER");
        assert_eq!(a["roles"], json!(["internal/role/openidm-authorized"]));
        assert_eq!(
            a["protectedAttributeList"],
            json!(["password", "mail", "telephoneNumber"])
        );
    }
    let r = idm(
        &app,
        reqwest::Method::GET,
        "/openidm/info/login",
        "jdoe",
        "Mellow-Trout-41",
    )
    .header("Accept-API-Version", "resource=2.0")
    .send()
    .await
    .unwrap();
    idm_error(r, 400).await;
    idm_error(
        idm(
            &app,
            reqwest::Method::GET,
            "/openidm/info/login",
            "jdoe",
            "wrong",
        )
        .send()
        .await
        .unwrap(),
        401,
    )
    .await;
    let admin: Value = idm(
        &app,
        reqwest::Method::GET,
        "/openidm/info/login",
        "admin",
        "x",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(admin["code"], 401);
}

#[tokio::test]
async fn a_user_changes_its_password_by_post_override_and_by_patch() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let path = format!("/openidm/managed/user/{id}");
    let r = idm(
        &app,
        reqwest::Method::POST,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .header("Content-Type", "application/json")
    .header("Accept-API-Version", "resource=1.0")
    .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
    .header("X-HTTP-Method-Override", "PATCH")
    .body(CHANGE)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["_id"], id);
    assert_eq!(o["_rev"], "2");
    assert_eq!(o["userName"], "jdoe");
    assert!(o.get("password").is_none());
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
    let r = idm(
        &app,
        reqwest::Method::PATCH,
        &path,
        "jdoe",
        "newPassw0rd-Xy",
    )
    .header("Content-Type", "application/json")
    .header("X-OpenIDM-Reauth-Password", "newPassw0rd-Xy")
    .body(r#"[{"operation":"replace","field":"/password","value":"Velvet-Canyon-58"}]"#)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = idm(
        &app,
        reqwest::Method::POST,
        &format!("{path}?_action=patch"),
        "jdoe",
        "Velvet-Canyon-58",
    )
    .header("X-OpenIDM-Reauth-Password", "Velvet-Canyon-58")
    .body(r#"[{"operation":"replace","field":"password","value":"Orbit-Saffron-13"}]"#)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    app.sign_in("jdoe", "Orbit-Saffron-13").await;
}

#[tokio::test]
async fn reauthentication_ownership_and_policy_are_enforced() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let other = app.create_user("asmith", "Amber-Meadow-96").await;
    let path = format!("/openidm/managed/user/{id}");
    let missing = idm(
        &app,
        reqwest::Method::PATCH,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .body(CHANGE)
    .send()
    .await
    .unwrap();
    idm_error(missing, 403).await;
    let wrong = idm(
        &app,
        reqwest::Method::PATCH,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .header("X-OpenIDM-Reauth-Password", "guess")
    .body(CHANGE)
    .send()
    .await
    .unwrap();
    assert_eq!(
        idm_error(wrong, 403).await["message"],
        "Reauthentication failed"
    );
    let theirs = idm(
        &app,
        reqwest::Method::PATCH,
        &format!("/openidm/managed/user/{other}"),
        "jdoe",
        "Mellow-Trout-41",
    )
    .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
    .body(CHANGE)
    .send()
    .await
    .unwrap();
    idm_error(theirs, 403).await;
    let weak = idm(
        &app,
        reqwest::Method::PATCH,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
    .body(r#"[{"operation":"replace","field":"password","value":"short"}]"#)
    .send()
    .await
    .unwrap();
    let body = idm_error(weak, 403).await;
    insta::assert_json_snapshot!("idm_policy_refusal", body);
    for bad in [
        "not json",
        "[]",
        r#"[{"operation":"move","field":"password","value":"x"}]"#,
        r#"[{"operation":"replace","field":"roles","value":"admin"}]"#,
    ] {
        let r = idm(
            &app,
            reqwest::Method::PATCH,
            &path,
            "jdoe",
            "Mellow-Trout-41",
        )
        .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
        .body(bad)
        .send()
        .await
        .unwrap();
        idm_error(r, 400).await;
    }
    idm_error(
        idm(
            &app,
            reqwest::Method::GET,
            &format!("/openidm/managed/user/{other}"),
            "jdoe",
            "Mellow-Trout-41",
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    idm_error(
        idm(
            &app,
            reqwest::Method::GET,
            "/openidm/managed/user/00000000-0000-4000-8000-000000000000",
            "jdoe",
            "Mellow-Trout-41",
        )
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

#[tokio::test]
async fn an_admin_sets_another_password_without_reauthentication() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = app
        .client
        .patch(app.url(&format!("/openidm/managed/user/{id}")))
        .bearer_auth(&app.admin_token)
        .body(CHANGE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
    let r = app
        .client
        .get(app.url("/openidm/managed/user/00000000-0000-4000-8000-000000000000"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    idm_error(r, 404).await;
    let stale = app
        .client
        .patch(app.url(&format!("/openidm/managed/user/{id}")))
        .bearer_auth(&app.admin_token)
        .header("If-Match", "\"1\"")
        .body(r#"[{"operation":"replace","field":"sn","value":"Doe"}]"#)
        .send()
        .await
        .unwrap();
    idm_error(stale, 412).await;
}

#[tokio::test]
async fn an_admin_patch_of_several_fields_is_one_write_under_its_revision() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let path = format!("/openidm/managed/user/{id}");
    let read = || admin_read(&app, &path);
    let before = read().await;
    let rev = before["_rev"].as_str().unwrap().to_owned();
    let patch = |body: &'static str, rev: String| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(&app.admin_token)
            .header("If-Match", format!("\"{rev}\""))
            .body(body)
    };
    // A policy refusal of the password leaves the other fields unwritten too.
    let r = patch(
        r#"[{"operation":"replace","field":"sn","value":"Doe"},{"operation":"replace","field":"accountStatus","value":"inactive"},{"operation":"replace","field":"password","value":"password"}]"#,
        rev.clone(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    assert_eq!(read().await, before);
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    // Accepted: all three at once.
    let r = patch(
        r#"[{"operation":"replace","field":"sn","value":"Doe"},{"operation":"replace","field":"password","value":"newPassw0rd-Xy"}]"#,
        rev.clone(),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let after: Value = r.json().await.unwrap();
    assert_eq!(after["sn"], "Doe");
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
    // The revision it was written under is stale now, for the password too.
    let r = patch(
        r#"[{"operation":"replace","field":"password","value":"Velvet-Canyon-58"}]"#,
        rev,
    )
    .send()
    .await
    .unwrap();
    idm_error(r, 412).await;
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
}

#[tokio::test]
async fn ones_own_patch_of_profile_answers_and_password_is_all_or_nothing() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let path = format!("/openidm/managed/user/{id}");
    let read = || admin_read(&app, &path);
    let before = read().await;
    let send = |body: String, reauth: &'static str| {
        idm(
            &app,
            reqwest::Method::PATCH,
            &path,
            "jdoe",
            "Mellow-Trout-41",
        )
        .header("X-OpenIDM-Reauth-Password", reauth)
        .body(body)
    };
    let all = |password: &str| {
        format!(
            r#"[{{"operation":"replace","field":"sn","value":"Doe"}},{{"operation":"replace","field":"kbaInfo","value":[{{"questionId":"1","answer":"Blue"}}]}},{{"operation":"replace","field":"password","value":"{password}"}}]"#
        )
    };
    // The policy refuses the password: neither the name nor the answers are written.
    let r = send(all("password"), "Mellow-Trout-41")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    assert_eq!(read().await, before);
    let me = idm(&app, reqwest::Method::GET, &path, "jdoe", "Mellow-Trout-41")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(me["kbaInfo"], json!([]), "no answers enrolled");
    // A wrong reauthentication writes nothing either.
    let r = send(all("newPassw0rd-Xy"), "Wrong-Password-1")
        .send()
        .await
        .unwrap();
    idm_error(r, 403).await;
    assert_eq!(read().await, before);
    // Accepted: all three in one write, one revision further for the password.
    let r = send(all("newPassw0rd-Xy"), "Mellow-Trout-41")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(o["sn"], "Doe");
    assert_eq!(o["kbaInfo"], json!([{ "questionId": "1" }]));
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
}

#[tokio::test]
async fn security_answers_are_set_with_reauthentication_and_read_back_without_answers() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let path = format!("/openidm/managed/user/{id}");
    let kba = r#"[{"operation":"replace","field":"kbaInfo","value":[{"questionId":"1","answer":"Blue"},{"customQuestion":"First bike?","answer":"Flitzer"}]},{"operation":"replace","field":"givenName","value":"John"}]"#;
    idm_error(
        idm(
            &app,
            reqwest::Method::PATCH,
            &path,
            "jdoe",
            "Mellow-Trout-41",
        )
        .body(kba)
        .send()
        .await
        .unwrap(),
        403,
    )
    .await;
    let r = idm(
        &app,
        reqwest::Method::PATCH,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
    .body(kba)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let o: Value = r.json().await.unwrap();
    assert_eq!(
        o["kbaInfo"],
        json!([{ "questionId": "1" }, { "customQuestion": "First bike?" }])
    );
    assert_eq!(o["givenName"], "John");
    assert!(!o.to_string().contains("Blue") && !o.to_string().contains("Flitzer"));
}

#[tokio::test]
async fn validate_property_is_a_dry_run() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let path = format!("/openidm/policy/managed/user/{id}?_action=validateProperty");
    let bad: Value = idm(
        &app,
        reqwest::Method::POST,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .body(r#"{"password":"abc"}"#)
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(bad["result"], false);
    assert_eq!(bad["failedPolicyRequirements"][0]["property"], "password");
    assert_eq!(
        bad["failedPolicyRequirements"][0]["policyRequirements"][0],
        json!({ "policyRequirement": "MIN_LENGTH", "params": { "minLength": 8 } })
    );
    let good: Value = idm(
        &app,
        reqwest::Method::POST,
        &path,
        "jdoe",
        "Mellow-Trout-41",
    )
    .body(r#"{"password":"Glacier-Poppy-77"}"#)
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        good,
        json!({ "result": true, "failedPolicyRequirements": [] })
    );
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

async fn submit(app: &TestApp, body: Value) -> Value {
    let r = app
        .client
        .post(app.url("/openidm/selfservice/reset?_action=submitRequirements"))
        .header("X-OpenIDM-Username", "anonymous")
        .header("X-OpenIDM-Password", "anonymous")
        .header("Accept-Language", "en-US,en;q=0.8")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn self_service_reset_example_1_mails_a_code() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let first: Value = app
        .client
        .get(app.url("/openidm/selfservice/reset"))
        .header("X-OpenIDM-Username", "anonymous")
        .header("X-OpenIDM-Password", "anonymous")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["type"], "userQuery");
    let s1 = submit(&app, json!({ "input": {} })).await;
    assert_eq!(
        (s1["type"].as_str(), s1["tag"].as_str()),
        (Some("userQuery"), Some("initial"))
    );
    assert_eq!(s1["requirements"]["required"], json!(["queryFilter"]));
    let bad = app
        .client
        .post(app.url("/openidm/selfservice/reset?_action=submitRequirements"))
        .json(&json!({ "token": s1["token"], "input": { "queryFilter": "userName eq" } }))
        .send()
        .await
        .unwrap();
    assert!(
        idm_error(bad, 400).await["message"]
            .as_str()
            .unwrap()
            .contains("queryFilter")
    );
    let s2 = submit(
        &app,
        json!({ "token": s1["token"], "input": { "queryFilter": "userName eq \"jdoe\"" } }),
    )
    .await;
    assert_eq!(
        (s2["type"].as_str(), s2["tag"].as_str()),
        (Some("emailValidation"), Some("validateCode"))
    );
    assert_eq!(s2["requirements"]["required"], json!(["code"]));
    let code = code_in(&sink.wait_for("jdoe@example.com", 1).await);
    let s3 = submit(
        &app,
        json!({ "token": s2["token"], "input": { "code": code } }),
    )
    .await;
    assert_eq!(s3["type"], "resetStage");
    let end = submit(
        &app,
        json!({ "token": s3["token"], "input": { "password": "newPassw0rd-Xy" } }),
    )
    .await;
    assert_eq!(
        end,
        json!({ "type": "resetStage", "tag": "end", "status": { "success": true }, "additions": {} })
    );
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
}

#[tokio::test]
async fn self_service_reset_example_2_uses_security_questions_without_email_when_allowed() {
    let app = spawn_with(|c| {
        c.recovery.stages = serde_json::from_value(json!([
            "userQuery",
            "kbaSecurityAnswerVerificationStage",
            "resetStage"
        ]))
        .unwrap();
        c.recovery.allow_kba_without_email = true;
    })
    .await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = idm(&app, reqwest::Method::PATCH, &format!("/openidm/managed/user/{id}"), "jdoe", "Mellow-Trout-41")
        .header("X-OpenIDM-Reauth-Password", "Mellow-Trout-41")
        .body(r#"[{"operation":"replace","field":"kbaInfo","value":[{"questionId":"1","answer":"Blue"}]}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s1 = submit(&app, json!({ "input": {} })).await;
    let s2 = submit(
        &app,
        json!({ "token": s1["token"], "input": { "queryFilter": "userName eq \"jdoe\"" } }),
    )
    .await;
    assert_eq!(s2["type"], "kbaSecurityAnswerVerificationStage");
    assert_eq!(
        s2["requirements"]["properties"]["answer1"],
        json!({ "systemQuestion": { "en": "What's your favorite color?" }, "type": "string" })
    );
    let s3 = submit(
        &app,
        json!({ "token": s2["token"], "input": { "answer1": "Blue" } }),
    )
    .await;
    assert_eq!(s3["type"], "resetStage");
    let end = submit(
        &app,
        json!({ "token": s3["token"], "input": { "password": "newPassw0rd-Xy" } }),
    )
    .await;
    assert_eq!(end["tag"], "end");
    app.sign_in("jdoe", "newPassw0rd-Xy").await;
    let replay = app
        .client
        .post(app.url("/openidm/selfservice/reset?_action=submitRequirements"))
        .json(&json!({ "token": s3["token"], "input": { "password": "Velvet-Canyon-58" } }))
        .send()
        .await
        .unwrap();
    idm_error(replay, 400).await;
}

#[tokio::test]
async fn the_surface_can_be_switched_off() {
    let app = spawn_with(|c| c.idm.enabled = false).await;
    assert_eq!(
        app.client
            .get(app.url("/openidm/info/login"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
