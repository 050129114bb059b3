//! Queries run in the store over every account: with 20,000 accounts, SCIM's filters and
//! IDM's `_queryFilter` find the last one, and paging walks through all of them.

use crate::helpers::spawn_app;
use latchkey_core::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use latchkey_core::clock::Clock as _;
use latchkey_core::domain::{Dn, Profile, Roles, UserName};
use latchkey_core::ports::NewAccount;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

const ACCOUNTS: usize = 20_000;

/// `user00000` … `user19999`, written through the store's own insert in parallel.
async fn populate(app: &crate::helpers::TestApp) {
    let store = app.store().await;
    let now = app.clock.now();
    let tasks: Vec<_> = (0..8)
        .map(|worker| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in (worker..ACCOUNTS).step_by(8) {
                    let name = format!("user{i:05}");
                    let id = uuid::Uuid::new_v4();
                    let new = NewAccount {
                        id,
                        user_name: UserName::parse(&name).unwrap(),
                        dn: Dn::from_template("uid={userName},ou=People,dc=example,dc=com", &name)
                            .unwrap(),
                        profile: Profile {
                            email: Some(format!("{name}@Mail{}.example", i % 7)),
                            external_id: Some(format!("ext-{i}")),
                            ..Default::default()
                        },
                        roles: Roles::new(vec![]),
                        federated: false,
                        hash: None,
                        plain: None,
                        provisioned: false,
                        disabled: false,
                        must_change_password: false,
                        password_never_expires: false,
                        cannot_change_password: false,
                        created_at: now,
                        sid: None,
                        password_changed_at: None,
                        audit: AuditEvent::new(
                            &RequestContext::cli(),
                            now,
                            AuditType::AccountCreate,
                            Some("cli".into()),
                            Some(id),
                            Outcome::Success,
                            None,
                        ),
                    };
                    store.insert_account(new, [1, 2, 3]).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

async fn scim_list(app: &crate::helpers::TestApp, query: &str) -> Value {
    let r = app
        .get(&format!("/scim/v2/Users?{query}"), Some(&app.admin_token))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    r.json().await.unwrap()
}

fn user_names(resources: &Value) -> Vec<String> {
    resources
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn twenty_thousand_accounts_are_queried_in_the_store_not_in_memory() {
    let app = spawn_app().await;
    populate(&app).await;
    let all = ACCOUNTS as u64 + 1; // and the admin

    // SCIM: the last account by userName eq, emails co and externalId eq.
    for filter in [
        r#"userName eq "USER19999""#,
        r#"emails co "user19999@""#,
        r#"externalId eq "ext-19999""#,
    ] {
        let body = scim_list(&app, &format!("filter={}", urlencode(filter))).await;
        assert_eq!(body["totalResults"], 1, "{filter}: {body}");
        assert_eq!(user_names(&body["Resources"]), ["user19999"], "{filter}");
    }
    // A filter over many: the count is exact, the page is the first by user name.
    let body = scim_list(
        &app,
        &format!(
            "filter={}&count=3",
            urlencode(r#"emails ew "@mail6.example""#)
        ),
    )
    .await;
    assert_eq!(body["totalResults"], 2857);
    assert_eq!(
        user_names(&body["Resources"]),
        ["user00006", "user00013", "user00020"]
    );
    // Sorted descending by userName, the last account comes first.
    let body = scim_list(&app, "sortBy=userName&sortOrder=descending&count=2").await;
    assert_eq!(user_names(&body["Resources"]), ["user19999", "user19998"]);
    // count=0 answers the total alone.
    let body = scim_list(&app, "count=0").await;
    assert_eq!(
        (body["totalResults"].as_u64(), body["itemsPerPage"].as_u64()),
        (Some(all), Some(0))
    );

    // SCIM paging visits every account exactly once.
    let mut seen = HashSet::new();
    let mut start = 1;
    loop {
        let body = scim_list(&app, &format!("startIndex={start}&count=500")).await;
        assert_eq!(body["totalResults"].as_u64(), Some(all));
        let names = user_names(&body["Resources"]);
        if names.is_empty() {
            break;
        }
        start += names.len();
        seen.extend(names);
    }
    assert_eq!(seen.len() as u64, all);

    // IDM: the collection query finds the last one, and pages through all of them.
    let idm = |query: String| {
        let app = &app;
        async move {
            let r = app
                .get(
                    &format!("/openidm/managed/user?{query}"),
                    Some(&app.admin_token),
                )
                .await;
            assert_eq!(r.status(), StatusCode::OK, "{query}");
            r.json::<Value>().await.unwrap()
        }
    };
    let body = idm(format!(
        "_queryFilter={}",
        urlencode(r#"userName eq "user19999""#)
    ))
    .await;
    assert_eq!(body["resultCount"], 1);
    assert_eq!(body["totalPagedResults"], 1);
    assert_eq!(body["totalPagedResultsPolicy"], "EXACT");
    assert_eq!(body["remainingPagedResults"], -1);
    assert!(body["pagedResultsCookie"].is_null());
    let one = &body["result"][0];
    assert_eq!(one["userName"], "user19999");
    let single = app
        .get(
            &format!("/openidm/managed/user/{}", one["_id"].as_str().unwrap()),
            Some(&app.admin_token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(one, &single, "the same object as a GET of one user");
    let mut seen = HashSet::new();
    let mut offset = 0;
    loop {
        let body = idm(format!(
            "_queryFilter=true&_pageSize=1000&_pagedResultsOffset={offset}&_sortKeys=-userName"
        ))
        .await;
        assert_eq!(body["totalPagedResults"].as_u64(), Some(all));
        let names = user_names(&body["result"]);
        if offset == 0 {
            assert_eq!(names.first().map(String::as_str), Some("user19999"));
        }
        if names.is_empty() {
            break;
        }
        offset += names.len();
        seen.extend(names);
    }
    assert_eq!(seen.len() as u64, all);
}

#[tokio::test]
async fn the_idm_collection_query_shows_others_only_themselves_and_refuses_bad_input() {
    let app = spawn_app().await;
    app.create_user("jdoe", "a perfectly fine passphrase").await;
    app.create_user("asmith", "a perfectly fine passphrase")
        .await;
    let token = app.sign_in("jdoe", "a perfectly fine passphrase").await;
    let get = |query: &'static str, token: String| {
        let app = &app;
        async move {
            app.get(&format!("/openidm/managed/user?{query}"), Some(&token))
                .await
        }
    };
    let r = get("_queryFilter=true", token.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(user_names(&body["result"]), ["jdoe"]);
    assert_eq!(body["totalPagedResults"], 1);
    let body: Value = get("_queryFilter=userName%20eq%20%22asmith%22", token.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["resultCount"], 0, "another account stays invisible");
    for bad in [
        "",
        "_queryFilter=userName%20eq",
        "_queryFilter=true&_sortKeys=shoeSize",
        "_queryFilter=true&_pageSize=many",
        "_queryFilter=meta.created%20co%20%222026%22",
    ] {
        let r = get(bad, app.admin_token.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], 400, "IDM's error shape for {bad}: {body}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
