use crate::helpers::{problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn an_admin_creates_reads_patches_and_deletes_an_account() {
    let app = spawn_app().await;
    let a = app
        .create_account(json!({
            "userName": "JDoe", "password": "Mellow-Trout-41", "email": "JDoe@Example.com",
            "givenName": "John", "sn": "Doe", "displayName": "John Doe", "telephoneNumber": "+1 555", "locale": "en-GB"
        }))
        .await;
    let id = a["id"].as_str().unwrap();
    for key in [
        "id",
        "userName",
        "dn",
        "sid",
        "email",
        "givenName",
        "sn",
        "displayName",
        "telephoneNumber",
        "locale",
        "roles",
        "status",
        "federated",
        "mustChangePassword",
        "passwordNeverExpires",
        "cannotChangePassword",
        "passwordChangedAt",
        "_rev",
    ] {
        assert!(a.get(key).is_some(), "account JSON lacks {key}: {a}");
    }
    assert_eq!(a["status"], "active");
    assert_eq!(a["_rev"], "1");
    problem(
        app.post(
            "/api/v1/accounts",
            Some(&app.admin_token),
            &json!({ "userName": "jdoe" }),
        )
        .await,
        409,
    )
    .await;

    let url = app.url(&format!("/api/v1/accounts/{id}"));
    let r = app
        .client
        .get(&url)
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["etag"], "\"1\"");
    let patch = json!({ "email": null, "displayName": "Johnny", "roles": ["helpdesk"] });
    let r = app
        .client
        .patch(&url)
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", "\"1\"")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["email"], Value::Null);
    assert_eq!(b["displayName"], "Johnny");
    assert_eq!(b["givenName"], "John", "untouched fields stay");
    assert_eq!(b["roles"], json!(["helpdesk"]));
    let stale = app
        .client
        .patch(&url)
        .bearer_auth(&app.admin_token)
        .header("if-match", "\"1\"")
        .json(&json!({ "sn": "X" }))
        .send()
        .await
        .unwrap();
    problem(stale, 409).await;
    for bad in [
        json!({ "sid": "S-1-5-21-1-2-3-4" }),
        json!({ "_rev": "9" }),
        json!({ "password": "sneaky pass 1" }),
        json!({ "status": "locked" }),
        json!({ "userName": "" }),
    ] {
        let r = app
            .client
            .patch(&url)
            .bearer_auth(&app.admin_token)
            .json(&bad)
            .send()
            .await
            .unwrap();
        problem(r, 400).await;
    }
    let stale_delete = app
        .client
        .delete(&url)
        .bearer_auth(&app.admin_token)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    problem(stale_delete, 409).await;
    assert_eq!(
        app.client
            .delete(&url)
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    problem(
        app.get(&format!("/api/v1/accounts/{id}"), Some(&app.admin_token))
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn lists_page_and_filter() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.create_user(&format!("user{i}"), "user password 1")
            .await;
    }
    let page: Value = app
        .get("/api/v1/accounts?offset=2&limit=3", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 8);
    assert_eq!(page["offset"], 2);
    assert_eq!(page["limit"], 3);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["user1", "user2", "user3"]);
    let by_name: Value = app
        .get("/api/v1/accounts?userName=USER4", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_name["total"], 1);
    let by_mail: Value = app
        .get(
            "/api/v1/accounts?email=user5@EXAMPLE.com",
            Some(&app.admin_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_mail["items"][0]["userName"], "user5");
    let capped: Value = app
        .get("/api/v1/accounts?limit=100000", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(capped["limit"], 500);
    let default: Value = app
        .get("/api/v1/accounts", Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(default["limit"], 50);
    problem(
        app.get("/api/v1/accounts?limit=-1", Some(&app.admin_token))
            .await,
        400,
    )
    .await;
    problem(
        app.get("/api/v1/accounts?colour=red", Some(&app.admin_token))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn a_user_learns_nothing_about_other_accounts() {
    let app = spawn_app().await;
    let other = app.create_user("other", "Amber-Meadow-96").await;
    let me = app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(
        app.get(&format!("/api/v1/accounts/{me}"), Some(&t))
            .await
            .status(),
        200,
        "its own account"
    );
    let existing = problem(
        app.get(&format!("/api/v1/accounts/{other}"), Some(&t))
            .await,
        403,
    )
    .await;
    let missing = problem(
        app.get(
            "/api/v1/accounts/00000000-0000-4000-8000-000000000000",
            Some(&t),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(existing, missing);
    problem(app.get("/api/v1/accounts/not-a-uuid", Some(&t)).await, 403).await;
    problem(app.get("/api/v1/accounts", Some(&t)).await, 403).await;
    problem(app.get("/api/v1/audit", Some(&t)).await, 403).await;
    problem(
        app.post("/api/v1/accounts", Some(&t), &json!({ "userName": "x" }))
            .await,
        403,
    )
    .await;
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/accounts/{me}")))
        .bearer_auth(&t)
        .json(&json!({ "roles": ["admin"] }))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    // Admins are told what does not exist.
    problem(
        app.get(
            "/api/v1/accounts/00000000-0000-4000-8000-000000000000",
            Some(&app.admin_token),
        )
        .await,
        404,
    )
    .await;
}
