//! The Adaxes surface, with the vendor's cURL request replayed (trailing comma included).

use crate::helpers::{TestApp, spawn_app, spawn_with};
use serde_json::{Value, json};

pub async fn token(app: &TestApp, user: &str, password: &str) -> String {
    let s: Value = app
        .client
        .post(app.url("/restApi/api/authSessions/create"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["totpState"], Value::Null);
    let t: Value = app
        .client
        .post(app.url("/restApi/api/auth"))
        .json(&json!({ "sessionId": s["sessionId"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(t["expiresAtUtc"].is_string());
    t["token"].as_str().unwrap().to_owned()
}

async fn adaxes_error(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["resultType"], 2, "{v}");
    assert!(v["exception"]["message"].is_string());
    v
}

#[tokio::test]
async fn the_vendor_curl_changes_a_password_when_enabled_and_is_refused_otherwise() {
    let app = spawn_with(|c| c.adaxes.allow_change_password = true).await;
    app.create_account(json!({ "userName": "jsmith", "password": "MyCurrentPassword-1", "dn": "CN=John Smith,CN=Users,DC=example,DC=com" })).await;
    let t = token(&app, "EXAMPLE\\jsmith", "MyCurrentPassword-1").await;
    // Literally the reference's cURL body, trailing comma and all; the path as its Node example spells it.
    let body = "{ \"directoryObject\": \"CN=John Smith,CN=Users,DC=example,DC=com\", \"oldPassword\": \"MyCurrentPassword-1\", \"newPassword\": \"MyNewPassword-2\", }";
    let r = app
        .client
        .post(app.url("/restapi/api/directoryObjects/changePassword"))
        .header("Adm-Authorization", &t)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v,
        json!({ "resultType": 0, "innerMessages": [], "exception": null, "actualObjectDN": "CN=John Smith,CN=Users,DC=example,DC=com", "extraInfo": {} })
    );
    app.sign_in("jsmith", "MyNewPassword-2").await;

    let off = spawn_app().await;
    off.create_user("jdoe", "Mellow-Trout-41").await;
    let t = token(&off, "jdoe@example.com", "Mellow-Trout-41").await;
    let r = off.client.post(off.url("/restApi/api/directoryObjects/changePassword")).header("Adm-Authorization", &t).json(&json!({ "directoryObject": "uid=jdoe,ou=People,dc=example,dc=com", "oldPassword": "Mellow-Trout-41", "newPassword": "Velvet-Canyon-58" })).send().await.unwrap();
    let v = adaxes_error(r, 403).await;
    assert!(
        v["exception"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled")
    );
}

#[tokio::test]
async fn a_helpdesk_resets_by_guid_sid_or_dn_and_options_follow_adaxes() {
    let app = spawn_app().await;
    app.create_account(
        json!({ "userName": "help", "password": "Silver-Lantern-74", "roles": ["helpdesk"] }),
    )
    .await;
    let a = app.create_user("jdoe", "Mellow-Trout-41").await;
    let account: Value = app
        .get(&format!("/api/v1/accounts/{a}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    let t = token(&app, "help", "Silver-Lantern-74").await;
    let reset = |object: String, password: &str, must: Value| {
        let body = json!({ "directoryObject": object, "password": password, "options": { "mustChangePassword": must, "passwordNeverExpires": null, "cannotChangePassword": null }, "unlockAccount": true });
        app.client
            .post(app.url("/RESTAPI/API/directoryobjects/resetPassword"))
            .header("Adm-Authorization", &t)
            .json(&body)
            .send()
    };
    let r = reset(
        account["sid"].as_str().unwrap().to_owned(),
        "First-Reset-11",
        json!(false),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["actualObjectDN"],
        "uid=jdoe,ou=People,dc=example,dc=com"
    );
    let s: Value = app
        .try_sign_in("jdoe", "First-Reset-11")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["mustChangePassword"], false);
    assert_eq!(
        reset(a.clone(), "Second-Reset-22", Value::Null)
            .await
            .unwrap()
            .status(),
        200
    );
    let s: Value = app
        .try_sign_in("jdoe", "Second-Reset-22")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        s["mustChangePassword"], false,
        "null leaves the flag as it was"
    );
    assert_eq!(
        reset(
            "UID=JDoe, OU=People, DC=example, DC=com".into(),
            "Third-Reset-33",
            json!(true)
        )
        .await
        .unwrap()
        .status(),
        200
    );
    let s: Value = app
        .try_sign_in("jdoe", "Third-Reset-33")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["mustChangePassword"], true);
    let weak = adaxes_error(reset(a.clone(), "short", Value::Null).await.unwrap(), 400).await;
    assert!(
        weak["innerMessages"][0]["text"]
            .as_str()
            .unwrap()
            .contains("min-length")
    );
    // A helpdesk learns nothing from an unknown id: the same 403, byte for byte, as for
    // an administrator's account it may not touch.
    let unknown = adaxes_error(
        reset(
            "00000000-0000-4000-8000-000000000000".into(),
            "Fourth-Reset-44",
            Value::Null,
        )
        .await
        .unwrap(),
        403,
    )
    .await;
    let admin_id = app
        .get("/api/v1/me", Some(&app.admin_token))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = adaxes_error(
        reset(admin_id, "Fourth-Reset-44", Value::Null)
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(unknown, admin);
    for bad in ["S-1-5-x", "7a4267ce-d354", "not a dn"] {
        adaxes_error(
            reset(bad.into(), "Fourth-Reset-44", Value::Null)
                .await
                .unwrap(),
            400,
        )
        .await;
    }
}

#[tokio::test]
async fn a_user_may_not_reset_and_generation_follows_the_target_policy() {
    let app = spawn_with(|c| {
        c.policy.roles.insert(
            latchkey_core::domain::Role::Admin,
            json!({ "generate_length": 32 }),
        );
    })
    .await;
    let a = app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_user("asmith", "Amber-Meadow-96").await;
    let t = token(&app, "asmith", "Amber-Meadow-96").await;
    let body = json!({ "directoryObject": a, "password": "Pwned-Pwned-99" });
    adaxes_error(
        app.client
            .post(app.url("/restApi/api/directoryObjects/resetPassword"))
            .header("Adm-Authorization", &t)
            .json(&body)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let g: Value = app
        .client
        .post(app.url("/restApi/api/directoryObjects/passwordUtils/generate"))
        .header("Adm-Authorization", &t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(g.as_str().unwrap().chars().count(), 20);
    let admin = app
        .get("/api/v1/me", Some(&app.admin_token))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let g: Value = app
        .client
        .post(app.url("/restApi/api/directoryObjects/passwordUtils/generate"))
        .header("Adm-Authorization", &app.admin_token)
        .json(&json!({ "directoryObject": admin }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(g.as_str().unwrap().chars().count(), 32);
    adaxes_error(
        app.client
            .post(app.url("/restApi/api/directoryObjects/passwordUtils/generate"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let r = app
        .client
        .delete(app.url("/restApi/api/auth"))
        .header("Adm-Authorization", &t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    adaxes_error(
        app.client
            .post(app.url("/restApi/api/directoryObjects/passwordUtils/generate"))
            .header("Adm-Authorization", &t)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
}
