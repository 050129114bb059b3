use crate::helpers::{problem, spawn_with, use_smtp};
use crate::smtp::{SmtpSink, code_in, free_port, link_in};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn the_default_flow_resets_the_password_with_the_mailed_code() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let session = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let r: Value = app.recover(None, json!({})).await.json().await.unwrap();
    assert_eq!(r["stage"], "userQuery");
    assert_eq!(r["requirements"]["type"], "object");
    let t0 = r["token"].as_str().unwrap().to_owned();
    let (stage, t1) = app
        .recover_ok(Some(&t0), json!({ "userName": "JDOE" }))
        .await;
    assert_eq!(stage, "emailValidation");
    let mail = sink.wait_for("jdoe@example.com", 1).await;
    assert!(mail["subject"].as_str().unwrap().contains("reset code"));
    let (stage, t2) = app
        .recover_ok(Some(&t1), json!({ "code": code_in(&mail) }))
        .await;
    assert_eq!(stage, "resetStage");
    let weak = problem(
        app.recover(Some(&t2), json!({ "password": "password123" }))
            .await,
        422,
    )
    .await;
    assert_eq!(weak["report"]["valid"], false);
    let done: Value = app
        .recover(Some(&t2), json!({ "password": "Velvet-Canyon-58" }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        done,
        json!({ "stage": "end", "status": { "success": true } })
    );
    app.sign_in("jdoe", "Velvet-Canyon-58").await;
    problem(app.try_sign_in("jdoe", "Mellow-Trout-41").await, 401).await;
    problem(app.get("/api/v1/me", Some(&session)).await, 401).await;
    let changed = sink.wait_for("jdoe@example.com", 2).await;
    assert!(
        changed["subject"].as_str().unwrap().contains("changed"),
        "{changed}"
    );
    let kinds: Vec<String> = app
        .audit(&format!("accountId={id}"))
        .await
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"recovery.complete".to_owned())
            && kinds.contains(&"recovery.advance".to_owned()),
        "{kinds:?}"
    );
    // Every earlier token is spent, and all answer alike.
    let mut bodies = vec![];
    for t in [&t0, &t1, &t2] {
        bodies.push(
            problem(
                app.recover(Some(t), json!({ "code": "00000000" })).await,
                400,
            )
            .await,
        );
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(bodies[0]["type"], "/problems/recovery-failed");
    let mails = sink.messages();
    assert!(
        mails
            .iter()
            .all(|m| !m["body"].as_str().unwrap().contains("Velvet-Canyon-58")),
        "no password in any mail"
    );
}

#[tokio::test]
async fn a_wrong_code_keeps_the_token_until_the_attempts_run_out() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| {
        use_smtp(c, sink.port);
        c.recovery.max_attempts = 3;
    })
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let (_, t1) = app
        .recover_ok(None, json!({ "email": "JDOE@example.com" }))
        .await;
    let code = code_in(&sink.wait_for("jdoe@example.com", 1).await);
    let refused = problem(
        app.recover(Some(&t1), json!({ "code": "12345678" })).await,
        400,
    )
    .await;
    assert_eq!(refused["type"], "/problems/recovery-input-refused");
    let (stage, _) = app.recover_ok(Some(&t1), json!({ "code": code })).await;
    assert_eq!(stage, "resetStage");

    let (_, t) = app.recover_ok(None, json!({ "userName": "jdoe" })).await;
    let code = code_in(&sink.wait_for("jdoe@example.com", 2).await);
    for _ in 0..2 {
        problem(
            app.recover(Some(&t), json!({ "code": "87654321" })).await,
            400,
        )
        .await;
    }
    let dead = problem(app.recover(Some(&t), json!({ "code": code })).await, 400).await;
    assert_eq!(
        dead["type"], "/problems/recovery-failed",
        "the account's attempts are used up across flows"
    );
}

#[tokio::test]
async fn unknown_and_ineligible_accounts_get_decoys_that_answer_alike() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    app.create_account(json!({ "userName": "nomail", "password": "Quiet-Harbor-63" }))
        .await;
    app.create_account(json!({ "userName": "fed", "federated": true, "email": "fed@example.com" }))
        .await;
    let mut shapes = vec![];
    for input in [
        json!({ "userName": "jdoe" }),
        json!({ "userName": "nobody" }),
        json!({ "userName": "nomail" }),
        json!({ "userName": "fed" }),
        json!({ "queryFilter": "userName eq \"ghost\"" }),
    ] {
        let r = app.recover(None, input).await;
        assert_eq!(r.status(), 200);
        let mut v: Value = r.json().await.unwrap();
        let token = v["token"].take();
        assert!(token.as_str().unwrap().len() > 40);
        shapes.push(v);
    }
    assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{shapes:?}");
    let (_, decoy) = app.recover_ok(None, json!({ "userName": "nobody" })).await;
    let (_, real) = app.recover_ok(None, json!({ "userName": "jdoe" })).await;
    let d = problem(
        app.recover(Some(&decoy), json!({ "code": "11111111" }))
            .await,
        400,
    )
    .await;
    let r = problem(
        app.recover(Some(&real), json!({ "code": "11111111" }))
            .await,
        400,
    )
    .await;
    assert_eq!(d, r);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| m["to"][0].as_str().unwrap().to_owned())
        .collect();
    assert!(
        to.iter().all(|t| t == "jdoe@example.com"),
        "only the real account gets mail: {to:?}"
    );
}

#[tokio::test]
async fn parallel_submissions_of_one_token_succeed_once() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let (_, t1) = app.recover_ok(None, json!({ "userName": "jdoe" })).await;
    let code = code_in(&sink.wait_for("jdoe@example.com", 1).await);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/api/v1/recovery"));
            let body = json!({ "token": t1, "input": { "code": code } });
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 200 || s == 400, "{s}");
        ok += usize::from(s == 200);
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn skipped_tampered_expired_and_foreign_tokens_fail_uniformly() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| use_smtp(c, sink.port)).await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let (_, t1) = app.recover_ok(None, json!({ "userName": "jdoe" })).await;
    // Skipping the e-mail stage: a password at the code stage is not its input.
    problem(
        app.recover(Some(&t1), json!({ "password": "Velvet-Canyon-58" }))
            .await,
        400,
    )
    .await;
    problem(
        app.recover(Some(&t1), json!({ "code": ["1", "2"] })).await,
        400,
    )
    .await;
    let dup = app
        .client
        .post(app.url("/api/v1/recovery"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"token":"{t1}","input":{{"code":"1","code":"2"}}}}"#
        ))
        .send()
        .await
        .unwrap();
    problem(dup, 400).await;
    let mut tampered = t1.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let other = spawn_with(|c| use_smtp(c, sink.port)).await;
    other.create_user("jdoe", "Mellow-Trout-41").await;
    let (_, foreign) = other.recover_ok(None, json!({ "userName": "jdoe" })).await;
    let mut bodies = vec![];
    for t in [tampered.as_str(), foreign.as_str(), "garbage"] {
        bodies.push(
            problem(
                app.recover(Some(t), json!({ "code": "12345678" })).await,
                400,
            )
            .await,
        );
    }
    app.clock.advance(Duration::from_secs(31 * 60));
    bodies.push(
        problem(
            app.recover(Some(&t1), json!({ "code": "12345678" })).await,
            400,
        )
        .await,
    );
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    let reasons: Vec<String> = app
        .audit("type=recovery.failure")
        .await
        .iter()
        .filter_map(|e| e["reason"].as_str().map(str::to_owned))
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("tampered"))
            && reasons.iter().any(|r| r.contains("expired")),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn the_four_stage_flow_asks_the_enrolled_security_questions() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| {
        use_smtp(c, sink.port);
        c.recovery.stages = serde_json::from_value(json!([
            "userQuery",
            "emailValidation",
            "kbaSecurityAnswerVerificationStage",
            "resetStage"
        ]))
        .unwrap();
    })
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    let enrol = json!({ "currentPassword": "Mellow-Trout-41", "answers": [
        { "questionId": "1", "answer": "  Dark   BLUE " },
        { "question": "Name of my first bicycle?", "answer": "Flitzer" }
    ] });
    let r = app
        .client
        .put(app.url("/api/v1/me/security-questions"))
        .bearer_auth(&t)
        .json(&enrol)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let listed: Value = app
        .get("/api/v1/me/security-questions", Some(&t))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["questions"],
        json!([{ "questionId": "1" }, { "question": "Name of my first bicycle?" }])
    );
    assert!(
        !listed.to_string().to_lowercase().contains("blue"),
        "answers are never returned"
    );
    let wrong = json!({ "currentPassword": "nope-nope-nope", "answers": [{ "questionId": "1", "answer": "x" }] });
    problem(
        app.client
            .put(app.url("/api/v1/me/security-questions"))
            .bearer_auth(&t)
            .json(&wrong)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;

    let (_, t1) = app.recover_ok(None, json!({ "userName": "jdoe" })).await;
    let code = code_in(&sink.wait_for("jdoe@example.com", 1).await);
    let r: Value = app
        .recover(Some(&t1), json!({ "code": code }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["stage"], "kbaSecurityAnswerVerificationStage");
    assert_eq!(
        r["requirements"]["properties"]["answer1"]["description"],
        "What's your favorite color?"
    );
    assert_eq!(
        r["requirements"]["properties"]["answer2"]["description"],
        "Name of my first bicycle?"
    );
    let t2 = r["token"].as_str().unwrap();
    problem(
        app.recover(Some(t2), json!({ "answer1": "red", "answer2": "flitzer" }))
            .await,
        400,
    )
    .await;
    let (stage, t3) = app
        .recover_ok(
            Some(t2),
            json!({ "answer1": "dark blue", "answer2": "FLITZER" }),
        )
        .await;
    assert_eq!(stage, "resetStage");
    app.recover_ok(Some(&t3), json!({ "password": "Velvet-Canyon-58" }))
        .await;
    app.sign_in("jdoe", "Velvet-Canyon-58").await;
}

#[tokio::test]
async fn an_admin_sends_a_link_whose_page_consumes_nothing_until_submitted() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| {
        use_smtp(c, sink.port);
        c.public_url = "https://passwords.example.com/".into();
    })
    .await;
    let id = app.create_user("jdoe", "Mellow-Trout-41").await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/accounts/{id}/recovery")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let mail = sink.wait_for("jdoe@example.com", 1).await;
    let link = link_in(&mail);
    assert!(
        link.starts_with("https://passwords.example.com/ui/recover?token="),
        "{link}"
    );
    let local = link.replace("https://passwords.example.com", "");
    let mut b = crate::ui::Browser::new(&app);
    for _ in 0..3 {
        let page = b.get(&local).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("<form method=\"post\""));
    }
    let query: std::collections::HashMap<String, String> =
        reqwest::Url::parse(&format!("http://x{local}"))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
    let page = b.get(&local).await;
    assert_eq!(page.hidden("token").unwrap(), query["token"]);
    assert!(page.body.contains(&format!("value=\"{}\"", query["code"])));
    let r = b
        .post(
            "/ui/recover",
            &[
                ("token", query["token"].as_str()),
                ("code", query["code"].as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("name=\"new-password\""), "{}", r.body);
    let token = r.hidden("token").unwrap();
    let r = b
        .post(
            "/ui/recover",
            &[
                ("token", token.as_str()),
                ("new-password", "Velvet-Canyon-58"),
                ("confirm-password", "Velvet-Canyon-58"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Password changed"));
    app.sign_in("jdoe", "Velvet-Canyon-58").await;
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_when_it_returns() {
    let port = free_port();
    let app = spawn_with(|c| use_smtp(c, port)).await;
    app.create_account(json!({ "userName": "jdoe", "password": "Mellow-Trout-41", "email": "jdoe@example.com", "locale": "de-DE" })).await;
    let t = app.sign_in("jdoe", "Mellow-Trout-41").await;
    assert_eq!(
        app.change_password(&t, "Mellow-Trout-41", "Velvet-Canyon-58")
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let sink = SmtpSink::start_on(port);
    // The retry is due by the server's clock, which the test moves.
    app.clock.advance(Duration::from_secs(10));
    let mail = sink.wait_for("jdoe@example.com", 1).await;
    assert_eq!(
        mail["subject"], "Ihr Passwort wurde geändert",
        "in the account's locale"
    );
    let id = app
        .get("/api/v1/me", Some(&t))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reset = app
        .post(
            &format!("/api/v1/accounts/{id}/password/reset"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(reset.status(), 200);
    let mail = sink.wait_for("jdoe@example.com", 2).await;
    assert_eq!(mail["subject"], "Ihr Passwort wurde zurückgesetzt");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 2, "each message once");
}

#[tokio::test]
async fn a_password_entering_its_warning_window_gets_one_expiry_notice() {
    let sink = SmtpSink::start();
    let app = spawn_with(|c| {
        use_smtp(c, sink.port);
        c.policy.max_age = Some(Duration::from_secs(30 * 86_400));
        c.policy.expiry_warning = Duration::from_secs(7 * 86_400);
    })
    .await;
    app.create_user("jdoe", "Mellow-Trout-41").await;
    assert_eq!(
        app.core.queue_expiry_warnings().await.unwrap(),
        0,
        "not yet in the window"
    );
    app.clock.advance(Duration::from_secs(24 * 86_400));
    assert_eq!(
        app.core.queue_expiry_warnings().await.unwrap(),
        2,
        "the first admin's and jdoe's"
    );
    assert_eq!(
        app.core.queue_expiry_warnings().await.unwrap(),
        0,
        "once per password"
    );
    let mail = sink.wait_for("jdoe@example.com", 1).await;
    assert!(
        mail["subject"].as_str().unwrap().contains("expires soon"),
        "{mail}"
    );
    assert!(mail["body"].as_str().unwrap().contains("expires on"));
}
