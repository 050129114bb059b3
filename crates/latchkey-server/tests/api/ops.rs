use crate::helpers::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    assert_eq!(app.get("/readyz", None).await.status(), 200);
    app.try_sign_in("nobody", "whatever 1").await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("latchkey_sign_ins_total"), "{text}");
    assert!(
        text.contains("route=\"/api/v1/sessions\""),
        "routes are templates"
    );
    assert!(!text.contains("nobody"), "no user-identifying labels");
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_every_response() {
    let app = spawn_app().await;
    let doc: Value = app
        .get("/api/v1/openapi.json", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/sessions",
        "/api/v1/me/password",
        "/api/v1/accounts/{id}",
        "/api/v1/accounts/{id}/password/reset",
        "/api/v1/accounts/{id}/unlock",
        "/api/v1/token",
        "/api/v1/clients",
        "/api/v1/clients/{id}",
        "/api/v1/clients/{id}/secret",
        "/api/v1/audit",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(paths.contains_key(p), "{p}");
    }
    let token_body = &paths["/api/v1/token"]["post"]["requestBody"]["content"];
    for kind in ["application/json", "application/x-www-form-urlencoded"] {
        assert!(
            token_body[kind]["schema"].is_object(),
            "{kind}: {token_body}"
        );
    }
    let audit = &paths["/api/v1/audit"]["get"]["parameters"];
    for name in ["before", "until", "surface", "outcome"] {
        assert!(
            audit.as_array().unwrap().iter().any(|p| p["name"] == name),
            "{name}"
        );
    }
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                assert!(
                    resp["description"].is_string(),
                    "{method} {path} {status} lacks a description"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-me-123");
    let r = app.get("/healthz", None).await;
    assert!(!r.headers()["x-request-id"].is_empty());
}
