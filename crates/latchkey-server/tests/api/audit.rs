//! `GET /api/v1/audit`: newest first, a cursor that survives new events, the filters.

use crate::helpers::{problem, spawn_app};
use serde_json::Value;

#[tokio::test]
async fn audit_pages_newest_first_and_the_cursor_survives_new_events() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    for _ in 0..3 {
        problem(app.try_sign_in("jdoe", "wrong guess 1").await, 401).await;
    }
    let page = |query: String| {
        let app = &app;
        async move {
            let r = app
                .get(&format!("/api/v1/audit?{query}"), Some(&app.admin_token))
                .await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let all = page("limit=100".into()).await;
    let every: Vec<String> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(all["next"].is_null(), "one page holds them all");
    let times: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let first = page("limit=2".into()).await;
    let cursor = first["next"].as_str().unwrap().to_owned();
    // New events arrive between pages: the next page goes on where the first stopped.
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    let second = page(format!("limit=2&before={cursor}")).await;
    let got: Vec<&str> = first["events"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["events"].as_array().unwrap())
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        every[..4].iter().map(String::as_str).collect::<Vec<_>>()
    );

    let failures = page("outcome=failure&surface=native&type=login.failure".into()).await;
    assert_eq!(failures["events"].as_array().unwrap().len(), 3);
    let none = page("until=2000-01-01T00:00:00Z".into()).await;
    assert!(none["events"].as_array().unwrap().is_empty());
    for bad in ["outcome=maybe", "until=yesterday", "before=not-a-uuid"] {
        problem(
            app.get(&format!("/api/v1/audit?{bad}"), Some(&app.admin_token))
                .await,
            400,
        )
        .await;
    }
}
