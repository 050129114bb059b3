use crate::helpers::{problem, spawn_with};
use serde_json::json;

async fn sign_in_from(base: &str, local: &str, xff: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "userName": "nobody", "password": "whatever 1" }));
    if let Some(x) = xff {
        r = r.header("x-forwarded-for", x);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn an_address_over_its_allowance_is_throttled_and_others_are_not() {
    let app = spawn_with(|c| c.throttle.per_ip_per_minute = 3).await;
    for _ in 0..3 {
        problem(sign_in_from(&app.base, "127.0.0.2", None).await, 401).await;
    }
    let r = sign_in_from(&app.base, "127.0.0.2", Some("198.51.100.1")).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    problem(r, 429).await;
    problem(sign_in_from(&app.base, "127.0.0.3", None).await, 401).await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    let app = spawn_with(|c| {
        c.throttle.per_ip_per_minute = 2;
        c.trusted_proxies = vec!["127.0.0.4/32".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        problem(
            sign_in_from(&app.base, "127.0.0.4", Some("203.0.113.5")).await,
            401,
        )
        .await;
    }
    problem(
        sign_in_from(&app.base, "127.0.0.4", Some("203.0.113.5")).await,
        429,
    )
    .await;
    problem(
        sign_in_from(&app.base, "127.0.0.4", Some("203.0.113.6")).await,
        401,
    )
    .await;
    let failures = app.audit("type=login.failure").await;
    assert_eq!(failures[0]["clientIp"], "203.0.113.5");
}
