//! A PostgreSQL outage: requests get a quick 503 with Retry-After, readiness fails, and
//! the node recovers by itself when the database returns. The cluster is the test's own
//! (never the shared test server), stopped and started under the running node.

use crate::helpers::spawn_with;
use latchkey_server::config::DatabaseUrl;
use latchkey_store::testing::{PgCluster, TestDb, selected_store};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn an_outage_answers_503_fails_readiness_and_heals_by_itself() {
    if selected_store() != "postgres" {
        eprintln!("skipped: the outage test runs with LK_TEST_STORE=postgres");
        return;
    }
    let cluster = PgCluster::start().expect("a throwaway PostgreSQL cluster");
    let db = TestDb::postgres(&cluster.url()).await;
    let app = spawn_with(|c| {
        c.database.url = DatabaseUrl(db.url().to_owned());
        c.database.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    app.sign_in("jdoe", "Mellow-Trout-41").await;

    cluster.pause().unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let r = app.try_sign_in("jdoe", "Mellow-Trout-41").await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key("retry-after"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "answered in {:?}, not hung",
            started.elapsed()
        );
        let r = app.get("/api/v1/me", Some(&app.admin_token)).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(
        app.get("/readyz", None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);

    cluster.resume().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/readyz", None).await.status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "the node did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = app.get("/api/v1/me", Some(&app.admin_token)).await;
    assert_eq!(r.status(), StatusCode::OK, "sessions survive the outage");
}
