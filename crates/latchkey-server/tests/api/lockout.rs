use crate::helpers::{problem, spawn_app};
use std::time::Duration;

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_until_the_lock_expires() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let mut bodies = vec![];
    for _ in 0..5 {
        bodies.push(problem(app.try_sign_in("jdoe", "wrong guess 1").await, 401).await);
    }
    let locked = problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
    assert_eq!(
        locked, bodies[0],
        "a locked account answers exactly like a wrong password"
    );
    let a: serde_json::Value = app
        .get(&format!("/api/v1/accounts/{id}"), Some(&app.admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["status"], "locked", "admins see the lock");
    assert!(a["lockedUntil"].is_string());
    assert_eq!(
        app.audit(&format!("accountId={id}&type=account.lock"))
            .await
            .len(),
        1
    );
    app.clock.advance(Duration::from_secs(14 * 60));
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
    app.clock.advance(Duration::from_secs(61));
    app.sign_in("jdoe", "Mellow-Trout-41").await;
}

#[tokio::test]
async fn wrong_current_passwords_on_change_count_toward_the_lock() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    for _ in 0..3 {
        problem(
            app.change_password(&t, "wrong guess 1", "new password 2")
                .await,
            401,
        )
        .await;
    }
    for _ in 0..2 {
        problem(app.try_sign_in("jdoe", "wrong guess 2").await, 401).await;
    }
    problem(
        app.change_password(&t, "Mellow-Trout-41", "new password 2")
            .await,
        401,
    )
    .await;
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_than_the_limit_checked() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    // 30 parallel attempts, one of them right: at most 5 are ever checked, so the right
    // one succeeds only if it was among the first five reserved.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (client, url) = (app.client.clone(), app.url("/api/v1/sessions"));
            let pw = if i == 29 {
                "Mellow-Trout-41".to_owned()
            } else {
                format!("guess {i} xxxxx")
            };
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&serde_json::json!({ "userName": "jdoe", "password": pw }))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for t in tasks {
        assert!([201, 401].contains(&t.await.unwrap()));
    }
    let failures = app
        .audit(&format!("accountId={id}&type=login.failure"))
        .await;
    let checked = failures
        .iter()
        .filter(|e| e["reason"] == "wrong password")
        .count();
    assert!(checked <= 5, "{checked} wrong passwords were checked");
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
}

#[tokio::test]
async fn a_helpdesk_unlocks_explicitly_and_status_active_never_pretends_to() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_account(serde_json::json!({
        "userName": "help", "password": "Silver-Lantern-74", "roles": ["helpdesk"]
    }))
    .await;
    let admin = app
        .create_account(serde_json::json!({
            "userName": "root2", "password": "Copper-Kettle-93", "roles": ["admin"]
        }))
        .await;
    for _ in 0..5 {
        problem(app.try_sign_in("jdoe", "wrong guess 1").await, 401).await;
    }
    // A 200 that leaves the lock would lie: refused, naming the way that works.
    let refused = problem(
        app.patch(
            &format!("/api/v1/accounts/{id}"),
            &app.admin_token,
            &serde_json::json!({ "status": "active" }),
        )
        .await,
        400,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().contains("/unlock"),
        "{refused}"
    );
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;

    let help = app.sign_in("help", "Silver-Lantern-74").await;
    let r = app
        .post(
            &format!("/api/v1/accounts/{id}/unlock"),
            Some(&help),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let a: serde_json::Value = r.json().await.unwrap();
    assert_eq!(a["status"], "active");
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(
        app.audit(&format!("accountId={id}&type=account.unlock"))
            .await
            .len(),
        1
    );
    // An administrator's account only by an administrator; a user not at all.
    let admin_id = admin["id"].as_str().unwrap();
    problem(
        app.post(
            &format!("/api/v1/accounts/{admin_id}/unlock"),
            Some(&help),
            &serde_json::json!({}),
        )
        .await,
        403,
    )
    .await;
    let user = app.sign_in("jdoe", "Mellow-Trout-41").await;
    problem(
        app.post(
            &format!("/api/v1/accounts/{id}/unlock"),
            Some(&user),
            &serde_json::json!({}),
        )
        .await,
        403,
    )
    .await;
}
