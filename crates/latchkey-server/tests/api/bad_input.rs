use crate::helpers::{TestApp, problem, spawn_app};
use serde_json::{Value, json};

async fn raw_post(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn malformed_bodies_get_a_clear_4xx_and_change_nothing() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let p = "/api/v1/me/password";
    problem(
        raw_post(
            &app,
            p,
            Some(&t),
            "application/json",
            b"{\"currentPassword\":".to_vec(),
        )
        .await,
        400,
    )
    .await;
    problem(
        raw_post(&app, p, Some(&t), "application/json", b"[1,2]".to_vec()).await,
        400,
    )
    .await;
    let unknown = json!({ "currentPassword": "Mellow-Trout-41", "newPassword": "other password 2", "admin": true });
    problem(
        raw_post(
            &app,
            p,
            Some(&t),
            "application/json",
            unknown.to_string().into_bytes(),
        )
        .await,
        400,
    )
    .await;
    let ok_body =
        json!({ "currentPassword": "Mellow-Trout-41", "newPassword": "other password 2" })
            .to_string();
    problem(
        raw_post(
            &app,
            p,
            Some(&t),
            "text/plain",
            ok_body.clone().into_bytes(),
        )
        .await,
        415,
    )
    .await;
    problem(
        app.client
            .post(app.url(p))
            .bearer_auth(&t)
            .body(ok_body.clone())
            .send()
            .await
            .unwrap(),
        415,
    )
    .await;
    let mut invalid_utf8 =
        b"{\"currentPassword\":\"jdoe password 1\",\"newPassword\":\"ab".to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe]);
    invalid_utf8.extend_from_slice(b"cdefghij\"}");
    problem(
        raw_post(&app, p, Some(&t), "application/json", invalid_utf8).await,
        400,
    )
    .await;
    let huge = json!({ "currentPassword": "Mellow-Trout-41", "newPassword": "x".repeat(1 << 20) })
        .to_string();
    problem(
        raw_post(&app, p, Some(&t), "application/json", huge.into_bytes()).await,
        413,
    )
    .await;
    // Nothing changed through all of that.
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

#[tokio::test]
async fn unusable_new_passwords_are_policy_refusals_decided_before_hashing() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    for (new, failing) in [
        ("", "min-length"),
        ("abc\u{0}defghij", "deny-pattern"),
        (&*"y".repeat(5000), "max-length"),
        (&*"z".repeat(300), "max-length"),
    ] {
        let body = problem(app.change_password(&t, "Mellow-Trout-41", new).await, 422).await;
        let failed: Vec<&str> = body["report"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["satisfied"] == false)
            .map(|r| r["rule"].as_str().unwrap())
            .collect();
        assert_eq!(failed, [failing], "{}", new.len());
    }
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

#[tokio::test]
async fn missing_or_wrong_auth_is_401_and_unknown_paths_404() {
    let app = spawn_app().await;
    problem(app.get("/api/v1/me", None).await, 401).await;
    problem(app.get("/api/v1/me", Some("not-a-token")).await, 401).await;
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic YWRtaW46eA==")
        .send()
        .await
        .unwrap();
    problem(r, 401).await;
    problem(app.get("/api/v1/nothing-here", None).await, 404).await;
    problem(
        app.client.put(app.url("/api/v1/me")).send().await.unwrap(),
        405,
    )
    .await;
}

#[tokio::test]
async fn an_api_client_has_no_password_of_its_own() {
    let app = spawn_app().await;
    let c: Value = app
        .post(
            "/api/v1/clients",
            Some(&app.admin_token),
            &json!({ "name": "sync", "scopes": ["*"] }),
        )
        .await
        .json()
        .await
        .unwrap();
    let tok: Value = app.post("/api/v1/token", None, &json!({ "grant_type": "client_credentials", "client_id": c["clientId"], "client_secret": c["clientSecret"] })).await.json().await.unwrap();
    let t = tok["access_token"].as_str().unwrap();
    problem(
        app.change_password(t, "anything 1", "anything 2").await,
        403,
    )
    .await;
    problem(app.get("/api/v1/me", Some(t)).await, 403).await;
}
