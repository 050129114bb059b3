use crate::helpers::spawn_with;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_hashing_pool_gets_quick_503s() {
    let app = spawn_with(|c| {
        // Production-cost hashes, one at a time, two waiting.
        c.hashing.memory_kib = 19456;
        c.hashing.iterations = 2;
        c.hashing.max_concurrent = 1;
        c.hashing.max_queue = 2;
    })
    .await;
    // Six accounts, four requests each: at most `lockout.max_failures` proofs of one
    // account run at once (more would be refused like a wrong password).
    for i in 0..6 {
        app.create_user(&format!("user{i}"), "Mellow-Trout-41")
            .await;
    }
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (client, url) = (app.client.clone(), app.url("/api/v1/sessions"));
            tokio::spawn(async move {
                let start = Instant::now();
                let r = client
                    .post(url)
                    .json(&serde_json::json!({ "userName": format!("user{}", i % 6), "password": "Mellow-Trout-41" }))
                    .send()
                    .await
                    .unwrap();
                let retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_owned());
                (r.status().as_u16(), retry, start.elapsed())
            })
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            (201, _, _) => ok += 1,
            (503, retry, took) => {
                busy += 1;
                assert!(retry.is_some(), "503 carries Retry-After");
                assert!(
                    took < Duration::from_secs(2),
                    "refused at once, not after queueing ({took:?})"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(ok >= 3 && busy > 0, "ok={ok} busy={busy}");
    // Still serving afterwards.
    app.sign_in("user0", "Mellow-Trout-41").await;
}
