//! Housekeeping: the server's own sweep, on its interval, removes what outlived its use
//! and records what it removed from the audit trail.

use crate::helpers::spawn_with;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn the_sweep_removes_old_audit_events_and_says_how_many() {
    let app = spawn_with(|c| {
        c.housekeeping.interval = Duration::from_millis(300);
        c.audit.retention = Duration::from_secs(30 * 86_400);
    })
    .await;
    app.create_account(
        json!({ "userName": "ops", "password": "Silver-Lantern-74", "roles": ["admin"] }),
    )
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    let before: Vec<Value> = app.audit("limit=1000").await;
    assert!(before.len() >= 5, "{before:?}");

    // A month and a day later the earlier events are past the retention.
    app.clock.advance(Duration::from_secs(31 * 86_400));
    let admin = app.sign_in("ops", "Silver-Lantern-74").await;
    let mut sweep = None;
    for _ in 0..50 {
        let r: Value = app
            .get("/api/v1/audit?type=audit.sweep", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        let events = r["events"].as_array().unwrap();
        if let Some(e) = events
            .iter()
            .find(|e| e["reason"].as_str().is_some_and(|r| !r.starts_with("0 ")))
        {
            sweep = Some(e.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sweep = sweep.expect("a sweep that removed events");
    let removed: usize = sweep["reason"]
        .as_str()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(removed >= before.len(), "{sweep}");
    assert_eq!(sweep["surface"], "system");
    let r: Value = app
        .get("/api/v1/audit?limit=1000", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for old in &before {
        assert!(
            !ids.contains(&old["id"].as_str().unwrap()),
            "{old} was swept"
        );
    }
}
