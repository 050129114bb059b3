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
    // Newest first: the oldest failure is the last.
    assert_eq!(failures.last().unwrap()["clientIp"], "203.0.113.5");
}

fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_surface_throttles_its_credential_checks_in_its_own_format() {
    let app = spawn_with(|c| c.throttle.per_ip_per_minute = 1).await;
    let base = app.base.clone();
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "uid=nobody,ou=People,dc=example,dc=com:whatever 1"
        )
    );
    // (address, request, the throttled status, a text the throttled body holds)
    type Send = Box<dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder>;
    let cases: Vec<(&str, Send, u16, &str)> = vec![
        (
            "127.0.0.20",
            Box::new({
                let b = base.clone();
                move |c| {
                    c.post(format!("{b}/api/v1/recovery"))
                        .json(&json!({ "input": {} }))
                }
            }),
            429,
            "throttled",
        ),
        (
            "127.0.0.21",
            Box::new({
                let b = base.clone();
                move |c| {
                    c.get(format!("{b}/openidm/info/login"))
                        .header("X-OpenIDM-Username", "nobody")
                        .header("X-OpenIDM-Password", "whatever 1")
                }
            }),
            429,
            "\"code\":429",
        ),
        (
            "127.0.0.22",
            Box::new({
                let b = base.clone();
                move |c| {
                    c.post(format!(
                        "{b}/openidm/selfservice/reset?_action=submitRequirements"
                    ))
                    .json(&json!({ "input": {} }))
                }
            }),
            429,
            "\"code\":429",
        ),
        (
            "127.0.0.23",
            Box::new({
                let (b, basic) = (base.clone(), basic.clone());
                move |c| {
                    c.post(format!(
                        "{b}/directory/v1/uid=nobody,ou=People,dc=example,dc=com/changePassword"
                    ))
                    .header("authorization", basic.clone())
                    .json(&json!({ "newPassword": "Fresh-Pass-Word-55" }))
                }
            }),
            503,
            "busy",
        ),
        (
            "127.0.0.24",
            Box::new({
                let b = base.clone();
                move |c| {
                    c.post(format!("{b}/restApi/api/authSessions/create"))
                        .json(&json!({ "username": "nobody", "password": "whatever 1" }))
                }
            }),
            429,
            "Too many attempts",
        ),
        (
            "127.0.0.25",
            Box::new({
                let b = base.clone();
                move |c| {
                    c.post(format!("{b}/v2.0/Me/password"))
                        .header("content-type", "application/scim+json")
                        .json(&json!({}))
                }
            }),
            429,
            "Too many attempts",
        ),
        (
            "127.0.0.26",
            Box::new({
                let b = base.clone();
                move |c| c.post(format!("{b}/ui/recover")).form(&[("token", "x")])
            }),
            429,
            "Too many attempts",
        ),
    ];
    for (local, send, status, text) in &cases {
        let c = client_from(local);
        let first = send(&c).send().await.unwrap();
        assert_ne!(
            first.status().as_u16(),
            *status,
            "{local}: the first is allowed"
        );
        let second = send(&c).send().await.unwrap();
        assert_eq!(second.status().as_u16(), *status, "{local}");
        let body = second.text().await.unwrap();
        assert!(body.contains(text), "{local}: {body}");
    }
    // What checks no credential is not counted: IDM with a bearer token, Ping without
    // HTTP Basic, the recovery link's page.
    let c = client_from("127.0.0.27");
    for _ in 0..3 {
        let r = c
            .get(format!("{base}/openidm/info/login"))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = c.get(format!("{base}/ui/recover")).send().await.unwrap();
        assert_ne!(r.status(), 429);
    }
}
