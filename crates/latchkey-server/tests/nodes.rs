//! Several `latchkey serve` processes on one PostgreSQL database, as behind a load
//! balancer: everything shared lives in the database. Runs under
//! `LK_TEST_STORE=postgres` (scripts/test.sh); on SQLite there is one node by design.

use latchkey_store::testing::{TestDb, selected_store};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

#[path = "support/http.rs"]
mod http;
#[path = "support/server.rs"]
mod server;
#[path = "api/smtp.rs"]
mod smtp;

use http::Http;
use server::Server;
use smtp::{SmtpSink, code_in};

struct Node {
    server: Server,
    http: Http,
}

impl std::ops::Deref for Node {
    type Target = Http;

    fn deref(&self) -> &Http {
        &self.http
    }
}

/// Starts `n` nodes at once on one empty database: migrations and the first
/// administrator race, as they do when a fleet is first deployed.
fn start_nodes(db: &TestDb, smtp_port: u16, n: usize) -> Vec<Node> {
    let env = vec![
        ("LATCHKEY_DATABASE__URL", db.url().to_owned()),
        ("LATCHKEY_SMTP__HOST", "127.0.0.1".to_owned()),
        ("LATCHKEY_SMTP__PORT", smtp_port.to_string()),
        ("LATCHKEY_SMTP__TLS", "none".to_owned()),
        ("LATCHKEY_SMTP__RETRY_INITIAL", "100ms".to_owned()),
    ];
    let dirs: Vec<_> = (0..n).map(|_| tempfile::tempdir().unwrap()).collect();
    std::thread::scope(|s| {
        let started: Vec<_> = dirs
            .iter()
            .map(|d| {
                let env = env.clone();
                s.spawn(move || Server::start_with(d.path(), "info", &env))
            })
            .collect();
        started
            .into_iter()
            .map(|h| {
                let server = h.join().unwrap();
                let http = Http::new(server.base.clone());
                Node { server, http }
            })
            .collect()
    })
}

/// The first administrator's password, announced by exactly one node.
fn announced_admin_password(nodes: &[Node]) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let announced: Vec<String> = nodes
            .iter()
            .filter_map(|n| {
                let (_, err) = n.server.output();
                let after = err.split("password:").nth(1)?;
                after.split_whitespace().next().map(str::to_owned)
            })
            .collect();
        if !announced.is_empty() {
            assert_eq!(announced.len(), 1, "one node creates the first admin");
            return announced[0].clone();
        }
        assert!(std::time::Instant::now() < deadline, "no admin announced");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_nodes_share_sessions_lockout_recovery_and_notifications() {
    if selected_store() != "postgres" {
        eprintln!("skipped: the multi-node test needs LK_TEST_STORE=postgres");
        return;
    }
    let db = TestDb::new().await;
    let sink = SmtpSink::start();
    let nodes = start_nodes(&db, sink.port, 3);
    let (a, b, c) = (&nodes[0], &nodes[1], &nodes[2]);
    let admin = a.sign_in("admin", &announced_admin_password(&nodes)).await;
    let mut ids = vec![];
    for user in ["jdoe", "mallory", "rsmith"] {
        let r = b
            .post(
                "/api/v1/accounts",
                Some(&admin),
                &json!({ "userName": user, "password": "Mellow-Trout-41", "email": format!("{user}@example.com") }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    // A session made on A works on B.
    let on_a = a.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(
        b.get("/api/v1/me", Some(&on_a)).await.status(),
        StatusCode::OK
    );

    // A change on A: the old password fails everywhere, the other sessions end.
    let on_b = b.sign_in("jdoe", "Mellow-Trout-41").await;
    let on_c = c.sign_in("jdoe", "Mellow-Trout-41").await;
    let r = a
        .post(
            "/api/v1/me/password",
            Some(&on_a),
            &json!({ "currentPassword": "Mellow-Trout-41", "newPassword": "Velvet-Canyon-58" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        b.try_sign_in("jdoe", "Mellow-Trout-41").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.get("/api/v1/me", Some(&on_b)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.get("/api/v1/me", Some(&on_c)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.get("/api/v1/me", Some(&on_a)).await.status(),
        StatusCode::OK
    );
    c.sign_in("jdoe", "Velvet-Canyon-58").await;

    // Five wrong passwords spread over A, B and C lock the account for all three.
    for (i, node) in [a, b, c, a, b].into_iter().enumerate() {
        let r = node
            .try_sign_in("mallory", &format!("wrong guess {i}"))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    for node in [a, b, c] {
        assert_eq!(
            node.try_sign_in("mallory", "Mellow-Trout-41")
                .await
                .status(),
            StatusCode::UNAUTHORIZED,
            "locked on every node"
        );
    }
    let shown: Value = c
        .get(&format!("/api/v1/accounts/{}", ids[1]), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], "locked");

    // A recovery token issued on A advances on B; its replay on C fails.
    let (_, t1) = a.recover_ok(None, json!({ "userName": "rsmith" })).await;
    let code = code_in(&sink.wait_for("rsmith@example.com", 1).await);
    let (_, t2) = b.recover_ok(Some(&t1), json!({ "code": code })).await;
    assert_eq!(
        c.recover(Some(&t1), json!({ "code": code })).await.status(),
        StatusCode::BAD_REQUEST
    );
    // The same token sent to A and B at once succeeds exactly once.
    let input = json!({ "password": "Quartz-Meadow-73" });
    let (ra, rb) = tokio::join!(
        a.recover(Some(&t2), input.clone()),
        b.recover(Some(&t2), input.clone())
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
    c.sign_in("rsmith", "Quartz-Meadow-73").await;

    // Each notification is sent exactly once, though three workers poll the outbox.
    sink.wait_for("jdoe@example.com", 1).await;
    sink.wait_for("rsmith@example.com", 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = sink.messages();
    let count = |to: &str| mails.iter().filter(|m| m["to"][0] == to).count();
    assert_eq!(count("jdoe@example.com"), 1, "{mails:?}");
    assert_eq!(count("rsmith@example.com"), 2, "{mails:?}");
    assert_eq!(count("mallory@example.com"), 0, "{mails:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_nodes_allow_one_address_the_configured_rate_not_three_times_it() {
    if selected_store() != "postgres" {
        eprintln!("skipped: several nodes need PostgreSQL (LK_TEST_STORE=postgres)");
        return;
    }
    let db = TestDb::new().await;
    let sink = SmtpSink::start();
    let nodes = start_nodes(&db, sink.port, 3);
    // One client address, spread over the nodes as a balancer would.
    let client = reqwest::Client::builder()
        .local_address("127.0.0.9".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut throttled = 0;
    for i in 0..70 {
        let r = client
            .post(nodes[i % 3].url("/api/v1/sessions"))
            .json(&json!({ "userName": "nobody", "password": "wrong guess 1" }))
            .send()
            .await
            .unwrap();
        match r.status() {
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            StatusCode::UNAUTHORIZED => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        throttled, 10,
        "60 a minute for the address across all nodes"
    );
    // Another address has its own budget.
    let r = reqwest::Client::new()
        .post(nodes[0].url("/api/v1/sessions"))
        .json(&json!({ "userName": "nobody", "password": "wrong guess 1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
