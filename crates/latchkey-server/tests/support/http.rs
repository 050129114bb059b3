//! A client for one Latchkey server's base URL: the requests every black-box test
//! makes (sign-in, recovery steps), shared by the API suite and the multi-node test.
#![allow(dead_code)] // each test binary uses part of it

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub struct Http {
    pub base: String,
    pub client: reqwest::Client,
}

impl Http {
    pub fn new(base: String) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { base, client }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        let mut r = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    /// A PATCH with a JSON body (a native merge patch, a SCIM PatchOp, an IDM patch).
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut r = self.client.get(self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap()
    }

    pub async fn try_sign_in(&self, user: &str, password: &str) -> Response {
        self.post(
            "/api/v1/sessions",
            None,
            &json!({ "userName": user, "password": password }),
        )
        .await
    }

    pub async fn sign_in(&self, user: &str, password: &str) -> String {
        let r = self.try_sign_in(user, password).await;
        assert_eq!(r.status(), StatusCode::CREATED, "sign-in of {user}");
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// One recovery request.
    pub async fn recover(&self, token: Option<&str>, input: Value) -> Response {
        let mut body = json!({ "input": input });
        if let Some(t) = token {
            body["token"] = json!(t);
        }
        self.post("/api/v1/recovery", None, &body).await
    }

    /// One recovery step that must succeed: returns (stage, token).
    pub async fn recover_ok(&self, token: Option<&str>, input: Value) -> (String, String) {
        let r = self.recover(token, input).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        (
            v["stage"].as_str().unwrap().to_owned(),
            v["token"].as_str().unwrap_or_default().to_owned(),
        )
    }
}
