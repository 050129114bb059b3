//! `spawn_app()`: the real server on a random port, a fresh database per test (SQLite,
//! or PostgreSQL under `LK_TEST_STORE=postgres`), cheap hashing, and a signed-in admin.

use crate::http::Http;
use latchkey_core::clock::{Clock, ManualClock, SystemClock};
use latchkey_core::hashing::HashingParams;
use latchkey_core::ports::Store;
use latchkey_core::secret::ExposeSecret as _;
use latchkey_server::config::{Config, DatabaseUrl};
use latchkey_server::startup::Application;
use latchkey_store::testing::TestDb;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestApp {
    pub http: Http,
    pub admin_token: String,
    pub clock: Arc<ManualClock>,
    pub core: Arc<latchkey_core::Latchkey>,
    pub db_url: String,
    _db: TestDb,
}

pub fn test_config(db: &TestDb) -> Config {
    let mut c = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    c.database.url = DatabaseUrl(db.url().to_owned());
    let cheap = HashingParams::TESTING;
    c.hashing.memory_kib = cheap.memory_kib;
    c.hashing.iterations = cheap.iterations;
    c.hashing.parallelism = cheap.parallelism;
    c.throttle.per_ip_per_minute = 0;
    c
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let db = TestDb::new().await;
    let mut config = test_config(&db);
    adjust(&mut config);
    let db_url = config.database.url.expose().to_owned();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let mut app = Application::build_with_clock(config, clock.clone())
        .await
        .expect("the app builds");
    let admin_password = app
        .initial_admin_password
        .take()
        .expect("a first admin")
        .expose_secret()
        .to_owned();
    let base = format!("http://{}", app.local_addr());
    let core = app.core();
    tokio::spawn(app.run_until_stopped());
    let mut t = TestApp {
        http: Http::new(base),
        admin_token: String::new(),
        clock,
        core,
        db_url,
        _db: db,
    };
    t.admin_token = t.sign_in("admin", &admin_password).await;
    t
}

/// Every `Http` request is a `TestApp` request.
impl std::ops::Deref for TestApp {
    type Target = Http;

    fn deref(&self) -> &Http {
        &self.http
    }
}

impl TestApp {
    /// Creates an account as admin and returns its JSON.
    pub async fn create_account(&self, body: Value) -> Value {
        let r = self
            .post("/api/v1/accounts", Some(&self.admin_token), &body)
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "create {body}");
        r.json().await.unwrap()
    }

    pub async fn create_user(&self, name: &str, password: &str) -> String {
        let a = self.create_account(json!({ "userName": name, "password": password, "email": format!("{name}@example.com") })).await;
        a["id"].as_str().unwrap().to_owned()
    }

    pub async fn change_password(&self, token: &str, current: &str, new: &str) -> Response {
        self.post(
            "/api/v1/me/password",
            Some(token),
            &json!({ "currentPassword": current, "newPassword": new }),
        )
        .await
    }

    /// A second handle on the same database, to look behind the API (stored hashes).
    pub async fn store(&self) -> Arc<dyn Store> {
        latchkey_store::open(&self.db_url, &Default::default())
            .await
            .unwrap()
    }

    pub async fn audit(&self, query: &str) -> Vec<Value> {
        let r = self
            .get(&format!("/api/v1/audit?{query}"), Some(&self.admin_token))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<Value>().await.unwrap()["events"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// Asserts a problem+json answer with `status` and returns its body.
pub async fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// Points the app's mail at a local SMTP server, retrying quickly.
pub fn use_smtp(c: &mut Config, port: u16) {
    c.smtp.host = Some("127.0.0.1".into());
    c.smtp.port = port;
    c.smtp.tls = latchkey_server::config::SmtpTls::None;
    c.smtp.retry_initial = std::time::Duration::from_millis(100);
}
