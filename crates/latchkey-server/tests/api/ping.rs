//! The PingDirectory surface, with the vendor's example request replayed.

use crate::helpers::{TestApp, spawn_app, spawn_with};
use serde_json::{Value, json};

const DN: &str = "uid=jdoe,ou=People,dc=example,dc=com";

pub(crate) fn url(app: &TestApp, dn: &str, suffix: &str) -> String {
    // Clients send the DN URL-encoded; the server matches it after RFC 4514 normalisation.
    let encoded: String = dn
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    app.url(&format!("/directory/v1/{encoded}{suffix}"))
}

async fn ldap_error(r: reqwest::Response, http: u16, code: u16) -> Value {
    assert_eq!(r.status().as_u16(), http);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["resultCode"]["value"], code, "{v}");
    assert!(v["diagnosticMessage"].is_string());
    v
}

#[tokio::test]
async fn the_vendor_example_changes_the_password_and_returns_validation_details() {
    let app = spawn_with(|c| c.public_url = "https://localhost:1443".into()).await;
    app.create_user("jdoe", "oldPasswordExample-1").await;
    let token = app.sign_in("jdoe", "oldPasswordExample-1").await;
    let body = json!({
        "oldPassword": "oldPasswordExample-1",
        "newPassword": "newPasswordExample-2",
        "_controls": [{ "oid": "1.3.6.1.4.1.30221.2.5.40", "control-name": "Password Validation Details Request Control", "criticality": false }]
    });
    let r = app
        .client
        .post(url(&app, DN, "/changePassword"))
        .header("Content-Type", "application/json")
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/hal+json");
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["_links"]["entry"]["href"],
        format!("https://localhost:1443/directory/v1/{DN}")
    );
    assert_eq!(v["resultCode"], json!({ "value": 0, "name": "success" }));
    let control = &v["_controls"][0];
    assert_eq!(control["oid"], "1.3.6.1.4.1.30221.2.5.41");
    assert_eq!(
        control["value-json"]["response-type"],
        "validation-performed"
    );
    assert_eq!(control["value-json"]["missing-current-password"], false);
    let details = control["value-json"]["validation-details"]
        .as_array()
        .unwrap();
    assert!(details.iter().any(
        |d| d["password-quality-requirement"]["client-side-validation-type"]
            == "not-current-password"
            && d["requirement-satisfied"] == true
    ));
    app.sign_in("jdoe", "newPasswordExample-2").await;
}

#[tokio::test]
async fn a_policy_refusal_is_a_constraint_violation_with_the_details() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let body = json!({ "oldPassword": "Mellow-Trout-41", "newPassword": "short", "_controls": [
        { "oid": "1.3.6.1.4.1.30221.2.5.40" }, { "oid": "1.3.6.1.4.1.42.2.27.8.5.1" }
    ] });
    let v = ldap_error(
        app.client
            .post(url(
                &app,
                "UID=JDoe, ou=people,DC=example,dc=com",
                "/changePassword",
            ))
            .bearer_auth(&t)
            .json(&body)
            .send()
            .await
            .unwrap(),
        400,
        19,
    )
    .await;
    insta::assert_json_snapshot!("ping_policy_refusal", v);
    assert_eq!(v["resultCode"]["name"], "constraintViolation");
    let details = &v["_controls"][0]["value-json"]["validation-details"];
    assert!(
        details
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["requirement-satisfied"] == false
                && d["password-quality-requirement"]["client-side-validation-type"] == "length")
    );
    assert_eq!(v["_controls"][1]["value-json"]["error"], "passwordTooShort");
}

#[tokio::test]
async fn generation_resets_and_authorisation_follow_ping_semantics() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_user("asmith", "Amber-Meadow-96").await;
    // Basic authentication with a user name proves the password: a self change needs no oldPassword.
    let r = app
        .client
        .post(url(&app, "me", "/changePassword"))
        .basic_auth("jdoe", Some("Mellow-Trout-41"))
        .json(&json!({ "_controls": [{ "oid": "1.3.6.1.4.1.30221.2.5.40" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let generated = v["generatedPassword"].as_str().unwrap().to_owned();
    assert_eq!(
        v["_controls"][0]["value-json"]["response-type"],
        "no-password-provided"
    );
    let t = app.sign_in("jdoe", &generated).await;
    // A session proves nothing: a self change over it needs oldPassword.
    let v = ldap_error(
        app.client
            .post(url(&app, DN, "/changePassword"))
            .bearer_auth(&t)
            .json(&json!({ "newPassword": "Velvet-Canyon-58" }))
            .send()
            .await
            .unwrap(),
        400,
        19,
    )
    .await;
    assert!(
        v["diagnosticMessage"]
            .as_str()
            .unwrap()
            .contains("oldPassword")
    );
    // Someone else's password: an administrative reset, refused to a user.
    let other = "uid=asmith,ou=People,dc=example,dc=com";
    ldap_error(
        app.client
            .post(url(&app, other, "/changePassword"))
            .bearer_auth(&t)
            .json(&json!({ "newPassword": "Velvet-Canyon-58" }))
            .send()
            .await
            .unwrap(),
        403,
        50,
    )
    .await;
    let r = app
        .client
        .post(url(&app, other, "/changePassword"))
        .bearer_auth(&app.admin_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let reset = r.json::<Value>().await.unwrap()["generatedPassword"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sign_in("asmith", &reset).await;
    // A wrong oldPassword, and an unknown DN, are both invalidCredentials.
    let wrong = app
        .client
        .post(url(&app, other, "/changePassword"))
        .bearer_auth(&t)
        .json(&json!({ "oldPassword": "guess-guess-1", "newPassword": "Velvet-Canyon-58" }))
        .send()
        .await
        .unwrap();
    let a = ldap_error(wrong, 401, 49).await;
    let unknown = app
        .client
        .post(url(
            &app,
            "uid=ghost,ou=People,dc=example,dc=com",
            "/changePassword",
        ))
        .bearer_auth(&t)
        .json(&json!({ "oldPassword": "guess-guess-1", "newPassword": "Velvet-Canyon-58" }))
        .send()
        .await
        .unwrap();
    assert_eq!(ldap_error(unknown, 401, 49).await, a);
}

#[tokio::test]
async fn entries_read_in_hal_form_and_hide_what_the_caller_may_not_see() {
    let app = spawn_app().await;
    app.create_account(json!({ "userName": "jdoe", "password": "Mellow-Trout-41", "email": "j@example.com", "givenName": "John" })).await;
    app.create_user("asmith", "Amber-Meadow-96").await;
    let r = app
        .client
        .get(url(&app, "me", ""))
        .basic_auth("jdoe", Some("Mellow-Trout-41"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/hal+json");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["_dn"], DN);
    assert_eq!(e["uid"], json!(["jdoe"]));
    assert_eq!(e["mail"], json!(["j@example.com"]));
    assert!(!e.to_string().contains("Mellow") && !e.to_string().contains("argon2"));
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let hidden = ldap_error(
        app.client
            .get(url(&app, "uid=asmith,ou=People,dc=example,dc=com", ""))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap(),
        403,
        50,
    )
    .await;
    let missing = ldap_error(
        app.client
            .get(url(&app, "uid=ghost,ou=People,dc=example,dc=com", ""))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap(),
        403,
        50,
    )
    .await;
    assert_eq!(hidden, missing);
    let v = ldap_error(
        app.client
            .get(url(&app, "uid=ghost,ou=People,dc=example,dc=com", ""))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap(),
        404,
        32,
    )
    .await;
    assert_eq!(v["matchedDN"], "ou=People,dc=example,dc=com");
    ldap_error(
        app.client
            .get(url(&app, "not a dn", ""))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap(),
        400,
        34,
    )
    .await;
    ldap_error(
        app.client.get(url(&app, "me", "")).send().await.unwrap(),
        401,
        49,
    )
    .await;
}

#[tokio::test]
async fn controls_are_checked() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let critical = json!({ "oldPassword": "Mellow-Trout-41", "newPassword": "Velvet-Canyon-58", "_controls": [{ "oid": "1.2.3.4", "criticality": true }] });
    ldap_error(
        app.client
            .post(url(&app, DN, "/changePassword"))
            .bearer_auth(&t)
            .json(&critical)
            .send()
            .await
            .unwrap(),
        400,
        12,
    )
    .await;
    let malformed =
        json!({ "oldPassword": "Mellow-Trout-41", "_controls": [{ "criticality": true }] });
    ldap_error(
        app.client
            .post(url(&app, DN, "/changePassword"))
            .bearer_auth(&t)
            .json(&malformed)
            .send()
            .await
            .unwrap(),
        400,
        2,
    )
    .await;
    let ignored = json!({ "oldPassword": "Mellow-Trout-41", "newPassword": "Velvet-Canyon-58", "_controls": [{ "oid": "1.2.3.4", "criticality": false }] });
    let r = app
        .client
        .post(url(&app, DN, "/changePassword"))
        .bearer_auth(&t)
        .json(&ignored)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap().get("_controls").is_none());
    let off = spawn_with(|c| c.ping.enabled = false).await;
    assert_eq!(
        off.client
            .get(off.url("/directory/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
