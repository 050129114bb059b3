//! SCIM 2.0 (`/scim/v2`): the negative cases; scim2-tester covers the rest in CI.

use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn scim_error(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], status.to_string(), "{v}");
    v
}

async fn create(app: &TestApp) -> Value {
    let body = json!({ "schemas": [USER], "userName": "bjensen", "password": "Mellow-Trout-41", "name": { "givenName": "Barbara", "familyName": "Jensen" },
        "emails": [{ "value": "bjensen@example.com", "type": "work", "primary": true }], "externalId": "ext-1" });
    let r = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/scim+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/scim/v2/Users/")
    );
    r.json().await.unwrap()
}

#[tokio::test]
async fn users_are_created_read_filtered_patched_and_never_show_a_password() {
    let app = spawn_app().await;
    let u = create(&app).await;
    let id = u["id"].as_str().unwrap();
    assert!(u.get("password").is_none());
    app.sign_in("bjensen", "Mellow-Trout-41").await;
    let list: Value = app.client.get(app.url("/scim/v2/Users?filter=userName%20eq%20%22BJENSEN%22%20and%20meta.created%20gt%20%222000-01-01T00:00:00Z%22")).bearer_auth(&app.admin_token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["totalResults"], 1);
    assert_eq!(
        list["Resources"][0]["emails"][0]["value"],
        "bjensen@example.com"
    );
    let patch = json!({ "schemas": [PATCH], "Operations": [
        { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "barbara@example.com" },
        { "op": "replace", "path": "password", "value": "Velvet-Canyon-58" },
        { "op": "add", "value": { "displayName": "Babs" } }
    ] });
    let r = app
        .client
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&app.admin_token)
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["emails"][0]["value"], "barbara@example.com");
    assert_eq!(v["displayName"], "Babs");
    assert!(v.get("password").is_none());
    app.sign_in("bjensen", "Velvet-Canyon-58").await;
    let me = app.sign_in("bjensen", "Velvet-Canyon-58").await;
    let mine: Value = app
        .client
        .get(app.url("/scim/v2/Me"))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["id"], id);
}

#[tokio::test]
async fn malformed_filters_patches_read_only_writes_and_stale_versions_are_refused() {
    let app = spawn_app().await;
    let u = create(&app).await;
    let id = u["id"].as_str().unwrap();
    let url = app.url(&format!("/scim/v2/Users/{id}"));
    let r = app
        .client
        .get(app.url("/scim/v2/Users?filter=userName%20eq"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(scim_error(r, 400).await["scimType"], "invalidFilter");
    for bad in [
        json!({ "Operations": [] }),
        json!({ "schemas": [PATCH], "Operations": [{ "op": "move", "path": "displayName" }] }),
        json!({ "schemas": [PATCH] }),
    ] {
        scim_error(
            app.client
                .patch(&url)
                .bearer_auth(&app.admin_token)
                .json(&bad)
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
    }
    let read_only = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "id", "value": "x" }] });
    assert_eq!(
        scim_error(
            app.client
                .patch(&url)
                .bearer_auth(&app.admin_token)
                .json(&read_only)
                .send()
                .await
                .unwrap(),
            400
        )
        .await["scimType"],
        "mutability"
    );
    let stale = json!({ "schemas": [PATCH], "Operations": [{ "op": "replace", "path": "displayName", "value": "x" }] });
    let r = app
        .client
        .patch(&url)
        .bearer_auth(&app.admin_token)
        .header("If-Match", "W/\"99\"")
        .json(&stale)
        .send()
        .await
        .unwrap();
    scim_error(r, 412).await;
    let dup = json!({ "schemas": [USER], "userName": "BJensen" });
    assert_eq!(
        scim_error(
            app.client
                .post(app.url("/scim/v2/Users"))
                .bearer_auth(&app.admin_token)
                .json(&dup)
                .send()
                .await
                .unwrap(),
            409
        )
        .await["scimType"],
        "uniqueness"
    );
    scim_error(
        app.client
            .get(app.url("/scim/v2/Users/00000000-0000-4000-8000-000000000000"))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    scim_error(
        app.client
            .get(app.url("/scim/v2/Nothing"))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    scim_error(
        app.client
            .get(app.url("/scim/v2/Users"))
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let user = app.sign_in("bjensen", "Mellow-Trout-41").await;
    scim_error(
        app.client
            .get(app.url("/scim/v2/Users"))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let r = app
        .client
        .delete(&url)
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

async fn scim_send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: &Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/scim+json")
        .body(body.to_string());
    if let Some(v) = if_match {
        r = r.header("If-Match", v);
    }
    r.send().await.unwrap()
}

async fn put_user(app: &TestApp, id: &str, body: &Value, version: &str) -> reqwest::Response {
    let path = format!("/scim/v2/Users/{id}");
    scim_send(app, reqwest::Method::PUT, &path, body, Some(version)).await
}

#[tokio::test]
async fn each_write_is_one_write_all_or_nothing() {
    let app = spawn_app().await;
    // Created inactive in the same write: one account.create, no update after it.
    let body = json!({ "schemas": [USER], "userName": "inactive", "active": false, "password": "Mellow-Trout-41" });
    let r = scim_send(&app, reqwest::Method::POST, "/scim/v2/Users", &body, None).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["active"], false);
    let id = created["id"].as_str().unwrap().to_owned();
    let events = app.audit(&format!("accountId={id}")).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["account.create"], "{events:?}");
    assert_eq!(
        app.try_sign_in("inactive", "Mellow-Trout-41")
            .await
            .status(),
        401
    );

    // A PUT whose password the policy refuses changes nothing, profile included.
    let u = create(&app).await;
    let uid = u["id"].as_str().unwrap();
    let version = u["meta"]["version"].as_str().unwrap().to_owned();
    let put = json!({ "schemas": [USER], "userName": "bjensen", "displayName": "Changed", "password": "password" });
    let r = put_user(&app, uid, &put, &version).await;
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap());
    let now: Value = app
        .client
        .get(app.url(&format!("/scim/v2/Users/{uid}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(now.get("displayName").is_none(), "{now}");
    assert_eq!(now["meta"]["version"], version.as_str());
    app.sign_in("bjensen", "Mellow-Trout-41").await;

    // With an acceptable password: profile and password in one write, one revision.
    let put = json!({ "schemas": [USER], "userName": "bjensen", "displayName": "Changed", "password": "Velvet-Canyon-58" });
    let r = put_user(&app, uid, &put, &version).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["displayName"], "Changed");
    app.sign_in("bjensen", "Velvet-Canyon-58").await;
    // The old version is stale now: a second PUT under it writes nothing.
    let put = json!({ "schemas": [USER], "userName": "bjensen", "displayName": "Again", "password": "Orbit-Saffron-13" });
    let r = put_user(&app, uid, &put, &version).await;
    assert_eq!(r.status(), 412);
    app.sign_in("bjensen", "Velvet-Canyon-58").await;
}
