use crate::helpers::{problem, spawn_app};
use serde_json::json;

const CHB: &str = "correct horse battery staple";

#[tokio::test]
async fn imported_bcrypt_ssha_and_pbkdf2_hashes_sign_in_and_are_upgraded_to_argon2id() {
    let app = spawn_app().await;
    let bcrypt = bcrypt::hash(CHB, 4).unwrap();
    let imports = [
        ("bc", bcrypt.clone()),
        ("bc2y", bcrypt.replacen("$2b$", "$2y$", 1)),
        ("ssha", "{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a".to_owned()),
        ("ssha256", "{SSHA256}RV7072YMjK7xtDBAO2MN9glMioV0YwbRGZTHa+1BabOWLFA5PRH8Iw==".to_owned()),
        ("ssha512", "{SSHA512}tVxatQ0qtuRJ5pkIsYMFggpk3uY/UHnaQgTpBFAuUjirJijrV6JZKEJnnyhCcKRKoTYxQX1/ufHxi9ptW+snpETJ30byAinb".to_owned()),
    ];
    let store = app.store().await;
    for (name, hash) in &imports {
        app.create_account(json!({ "userName": name, "passwordHash": hash }))
            .await;
        let before = store
            .account_by_user_name(name)
            .await
            .unwrap()
            .unwrap()
            .credential
            .hash()
            .cloned()
            .unwrap();
        assert!(!before.as_str().starts_with("$argon2id$"));
        problem(
            app.try_sign_in(name, "correct horse battery stapler").await,
            401,
        )
        .await;
        app.sign_in(name, CHB).await;
        let after = store
            .account_by_user_name(name)
            .await
            .unwrap()
            .unwrap()
            .credential
            .hash()
            .cloned()
            .unwrap();
        assert!(
            after.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{name} upgraded"
        );
        app.sign_in(name, CHB).await;
    }
}

#[tokio::test]
async fn a_malformed_import_is_refused() {
    let app = spawn_app().await;
    for bad in [
        "{MD5}X03MO1qnZdYdgyfeuILPmQ==",
        "plaintext",
        "{SSHA}AAAA",
        "$2b$04$tooshort",
    ] {
        let r = app
            .post(
                "/api/v1/accounts",
                Some(&app.admin_token),
                &json!({ "userName": "x", "passwordHash": bad }),
            )
            .await;
        let body = problem(r, 400).await;
        assert!(!body.to_string().contains(bad), "the hash is not echoed");
    }
    let r = app.post("/api/v1/accounts", Some(&app.admin_token), &json!({ "userName": "x", "password": "a b c d e f g", "passwordHash": "{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a" })).await;
    problem(r, 400).await;
}
