//! The web pages over HTTP, below the browser (the browser suite is `ui-tests/`): headers,
//! cookies, CSRF, the enumeration rules byte for byte, the must-change confinement, the
//! live check, the operator's overrides.

use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A visitor with its cookies, not following redirects.
pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The CSRF token of the last page seen.
    csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The value of the hidden input `name`.
    pub fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        Some(
            self.body
                .split(&marker)
                .nth(1)?
                .split('"')
                .next()?
                .to_owned(),
        )
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, r: reqwest::Response) -> Page {
        for c in r.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let page = Page {
            status: r.status(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        };
        if let Some(t) = page.hidden("csrf") {
            self.csrf = t;
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    /// Posts a form with the CSRF token of the last page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    pub async fn sign_in(&mut self, user: &str, password: &str) -> Page {
        self.get("/ui/sign-in").await;
        self.post("/ui/sign-in", &[("username", user), ("password", password)])
            .await
    }

    pub fn has_session(&self) -> bool {
        self.cookies.keys().any(|k| k.ends_with("latchkey-session"))
    }
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_cookie_attributes() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    for path in ["/ui/sign-in", "/ui/forgot", "/ui/signed-out"] {
        let r = b.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("style-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-content-type-options"], "nosniff");
        let cookie = h["set-cookie"].to_str().unwrap();
        assert!(cookie.starts_with("latchkey-csrf="), "{cookie}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "not over plain http: {cookie}");
        let html = r.text().await.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("style="),
            "{html}"
        );
    }
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let p = b.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/ui/account");
    let session = p
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("latchkey-session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    let page = b.get("/ui/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("jdoe"));
    // The login form asks the password manager for the right things.
    let form = Browser::new(&app).get("/ui/sign-in").await.body;
    assert!(form.contains("autocomplete=\"username\""));
    assert!(form.contains("autocomplete=\"current-password\""));
    let change = b.get("/ui/change").await.body;
    assert!(change.contains("autocomplete=\"new-password\""));
}

#[tokio::test]
async fn behind_https_the_cookies_are_host_prefixed_and_secure() {
    let app = spawn_with(|c| c.public_url = "https://passwords.example.com".into()).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let mut b = Browser::new(&app);
    let page = b.get("/ui/sign-in").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-latchkey-csrf="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    let p = b
        .post(
            "/ui/sign-in",
            &[("username", "jdoe"), ("password", "Mellow-Trout-41")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(b.cookies.contains_key("__Host-latchkey-session"));
    assert_eq!(b.get("/ui/account").await.status, 200);
}

#[tokio::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let mut b = Browser::new(&app);
    b.get("/ui/sign-in").await;
    let fields = [("username", "jdoe"), ("password", "Mellow-Trout-41")];
    let p = b.post_raw("/ui/sign-in", &fields).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!b.has_session());
    // Another visitor's token does not fit this visitor's cookie.
    let mut other = Browser::new(&app);
    other.get("/ui/sign-in").await;
    let stolen = other.csrf.clone();
    let p = b
        .post_raw("/ui/sign-in", &[("csrf", &stolen), fields[0], fields[1]])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!b.has_session());
    // Signed in, a change without the token is refused and the password stays.
    b.sign_in("jdoe", "Mellow-Trout-41").await;
    assert!(b.has_session());
    let p = b
        .post_raw(
            "/ui/change",
            &[
                ("current-password", "Mellow-Trout-41"),
                ("new-password", "Velvet-Canyon-58"),
                ("confirm-password", "Velvet-Canyon-58"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    app.sign_in("jdoe", "Mellow-Trout-41").await;
    // The live check needs it too.
    let p = b.post_raw("/ui/check", &[("password", "x")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_failed_sign_in_page_is_byte_for_byte_the_same_whoever_it_names() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let lock = app.create_user("lock", "Mellow-Trout-41").await;
    let off = app.create_user("offd", "Mellow-Trout-41").await;
    app.http
        .patch(
            &format!("/api/v1/accounts/{off}"),
            &app.admin_token,
            &json!({ "status": "disabled" }),
        )
        .await;
    let until =
        latchkey_core::clock::Clock::now(&*app.clock) + std::time::Duration::from_secs(3600);
    app.core
        .set_lock(
            &latchkey_core::audit::RequestContext::cli(),
            &latchkey_core::auth::Principal::System,
            lock.parse().unwrap(),
            Some(until),
        )
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    b.get("/ui/sign-in").await;
    let mut seen = vec![];
    // Names of one length, as the form shows the name typed back.
    for (who, pw) in [
        ("jdoe", "Wrong-Password-1"),
        ("zzzz", "Wrong-Password-1"),
        ("lock", "Mellow-Trout-41"),
        ("offd", "Mellow-Trout-41"),
    ] {
        let p = b
            .post("/ui/sign-in", &[("username", who), ("password", pw)])
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{who}");
        assert!(!b.has_session());
        assert!(!p.body.contains(pw), "the password is never written back");
        seen.push((p.status, p.body.replace(who, "NAME")));
    }
    for s in &seen[1..] {
        assert_eq!(s, &seen[0]);
    }
}

#[tokio::test]
async fn forgot_password_answers_a_known_and_an_unknown_name_alike() {
    let app = spawn_app().await;
    app.create_account(
        json!({ "userName": "jdoe", "password": "Mellow-Trout-41", "email": "jdoe@example.com" }),
    )
    .await;
    let mut answers = vec![];
    for login in ["jdoe", "zzzz", "jdoe@example.com", "zzzz@example.com"] {
        let mut b = Browser::new(&app);
        b.get("/ui/forgot").await;
        let p = b.post("/ui/recover", &[("login", login)]).await;
        assert_eq!(p.status, 200, "{login}");
        let token = p.hidden("token").unwrap();
        let csrf = p.hidden("csrf").unwrap();
        answers.push((
            p.body.len() - token.len() - csrf.len(),
            token.len(),
            p.body.replace(&token, "TOKEN").replace(&csrf, "CSRF"),
        ));
    }
    for a in &answers[1..] {
        assert_eq!(a, &answers[0]);
    }
}

#[tokio::test]
async fn a_change_only_session_reaches_only_the_change_page() {
    let app = spawn_app().await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = app
        .http
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &json!({ "newPassword": "Tempor-Ary-Pass-77", "mustChangePassword": true }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let mut b = Browser::new(&app);
    let p = b.sign_in("jdoe", "Tempor-Ary-Pass-77").await;
    assert_eq!(p.location(), "/ui/change");
    for path in ["/ui/account", "/ui/security-questions", "/ui"] {
        let p = b.get(path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(p.location(), "/ui/change", "{path}");
    }
    b.get("/ui/change").await;
    let p = b
        .post(
            "/ui/security-questions",
            &[
                ("question1", "1"),
                ("answer1", "x"),
                ("current-password", "Tempor-Ary-Pass-77"),
            ],
        )
        .await;
    assert_eq!(p.location(), "/ui/change");
    let p = b
        .post(
            "/ui/change",
            &[
                ("current-password", "Tempor-Ary-Pass-77"),
                ("new-password", "Velvet-Canyon-58"),
                ("confirm-password", "Velvet-Canyon-58"),
            ],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(!p.body.contains("Velvet-Canyon-58"));
    assert_eq!(b.get("/ui/account").await.status, 200);
}

#[tokio::test]
async fn a_refused_change_marks_the_unmet_rules_and_writes_back_no_password() {
    let app = spawn_app().await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let mut b = Browser::new(&app);
    b.sign_in("jdoe", "Mellow-Trout-41").await;
    b.get("/ui/change").await;
    let p = b
        .post(
            "/ui/change",
            &[
                ("current-password", "Mellow-Trout-41"),
                ("new-password", "password"),
                ("confirm-password", "password"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.body
            .contains("class=\"rule unmet\" data-rule=\"dictionary\""),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("class=\"rule met\" data-rule=\"min-length\"")
    );
    assert!(!p.body.contains("Mellow-Trout-41"));
    assert!(!p.body.contains("value=\"password\""));
    // A wrong current password counts as a failed proof and says so.
    let p = b
        .post(
            "/ui/change",
            &[
                ("current-password", "Not-It-At-All-1"),
                ("new-password", "Velvet-Canyon-58"),
                ("confirm-password", "Velvet-Canyon-58"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.body.contains("current password is not correct"));
    assert!(!p.body.contains("Velvet-Canyon-58"));
}

#[tokio::test]
async fn the_live_check_is_the_policy_without_the_rules_that_need_a_change() {
    let app = spawn_with(|c| {
        c.policy.history_count = 3;
        c.policy.min_strength = Some(3);
    })
    .await;
    app.create_account(
        json!({ "userName": "jdoe", "password": "Mellow-Trout-41", "givenName": "Jonathan" }),
    )
    .await;
    let mut b = Browser::new(&app);
    b.get("/ui/sign-in").await;
    let check = |b: &mut Browser, pw: &'static str| {
        let csrf = b.csrf.clone();
        let client = b.client.clone();
        let cookie = b.cookie_header();
        let url = format!("{}/ui/check", b.base);
        async move {
            let r = client
                .post(url)
                .header("cookie", cookie)
                .form(&[("csrf", csrf.as_str()), ("password", pw)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.headers()["cache-control"], "no-store");
            r.json::<Value>().await.unwrap()
        }
    };
    let anon = check(&mut b, "Jonathan-Velvet-58").await;
    let names: Vec<&str> = anon["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"min-length") && names.contains(&"min-strength"));
    for later in ["not-current", "history", "min-age"] {
        assert!(!names.contains(&later), "{later} in {names:?}");
    }
    assert!(anon["strength"].as_u64().unwrap() <= 4);
    // Signed in, the person's own details count (not-personal).
    b.sign_in("jdoe", "Mellow-Trout-41").await;
    b.get("/ui/change").await;
    let own = check(&mut b, "Jonathan-Velvet-58").await;
    let personal = own["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "not-personal")
        .unwrap();
    assert_eq!(personal["satisfied"], false);
    let weak = check(&mut b, "aaaaaaaa").await;
    assert_eq!(weak["valid"], false);
    assert!(weak["strength"].as_u64().unwrap() < 2);
    // The page lists the rules that wait for the submit, marked so.
    let page = b.get("/ui/change").await.body;
    assert!(
        page.contains("data-rule=\"history\" data-on-submit=\"1\""),
        "{page}"
    );
}

#[tokio::test]
async fn an_operator_overrides_a_template_adds_a_language_and_shows_a_logo() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("ui");
    std::fs::create_dir_all(ui.join("messages")).unwrap();
    std::fs::write(
        ui.join("messages/fr.toml"),
        "[sign_in]\ntitle = \"Connexion\"\n",
    )
    .unwrap();
    std::fs::write(
        ui.join("account.html"),
        "{% extends \"base.html\" %}{% block content %}<p>Bienvenue {{ user_name }}</p>{% endblock %}",
    )
    .unwrap();
    let logo = dir.path().join("logo.svg");
    std::fs::write(&logo, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    let templates = dir.path().to_owned();
    let app = spawn_with(move |c| {
        c.templates.dir = Some(templates);
        c.ui.logo_file = Some(logo);
        c.ui.site_name = "Exemple & Cie".into();
    })
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = app
        .client
        .get(app.url("/ui/sign-in"))
        .header("accept-language", "fr-CA, fr;q=0.9, en;q=0.5")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("<h1>Connexion</h1>"));
    assert!(
        html.contains(">Sign in</button>"),
        "missing keys fall back to English"
    );
    assert!(html.contains("Exemple &amp; Cie"), "escaped: {html}");
    assert!(html.contains("src=\"/ui/assets/logo\""));
    let logo = app
        .client
        .get(app.url("/ui/assets/logo"))
        .send()
        .await
        .unwrap();
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    assert!(
        logo.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    let mut b = Browser::new(&app);
    b.sign_in("jdoe", "Mellow-Trout-41").await;
    assert!(
        b.get("/ui/account")
            .await
            .body
            .contains("<p>Bienvenue jdoe</p>")
    );
}

#[tokio::test]
async fn an_expired_password_lands_on_the_change_page_saying_so() {
    let app = spawn_with(|c| c.policy.max_age = Some(std::time::Duration::from_secs(86_400))).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    app.clock
        .advance(std::time::Duration::from_secs(2 * 86_400));
    let mut b = Browser::new(&app);
    let p = b.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(p.location(), "/ui/change");
    let page = b.get("/ui/change").await;
    assert!(
        page.body.contains("Your password has expired"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("href=\"/ui/account\""),
        "no way around the change"
    );
    assert_eq!(b.get("/ui/account").await.location(), "/ui/change");
}

#[tokio::test]
async fn the_live_check_has_an_allowance_of_its_own_per_address() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    b.get("/ui/sign-in").await;
    // A burst of 120, then two a second: asking faster is refused soon after the burst
    // (however slowly this machine sends, as long as it sends faster than that).
    let mut answered = 0;
    let refused = loop {
        let p = b.post("/ui/check", &[("password", "Velvet")]).await;
        if p.status == StatusCode::TOO_MANY_REQUESTS {
            break p;
        }
        assert_eq!(p.status, 200);
        answered += 1;
        assert!(answered < 400, "never refused");
    };
    assert!(answered >= 120, "refused after {answered}");
    assert!(refused.headers.contains_key("retry-after"));
    // Sign-in is counted apart: the checks did not use up its allowance.
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let p = b.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_throttled_form_gets_a_page_in_the_visitors_language() {
    let app = spawn_with(|c| c.throttle.per_ip_per_minute = 1).await;
    let mut b = Browser::new(&app);
    // An address of its own (the test's set-up signs the admin in from 127.0.0.1).
    b.client = reqwest::Client::builder()
        .local_address("127.0.0.61".parse::<std::net::IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    b.get("/ui/sign-in").await;
    let csrf = b.csrf.clone();
    let send = |b: &Browser| {
        b.client
            .post(format!("{}/ui/sign-in", b.base))
            .header("cookie", b.cookie_header())
            .header("accept-language", "de-DE,de;q=0.9")
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "jdoe"),
                ("password", "x"),
            ])
            .send()
    };
    assert_ne!(send(&b).await.unwrap().status(), 429);
    let r = send(&b).await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("Zu viele Versuche"), "{html}");
}
