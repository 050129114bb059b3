//! `ServiceProviderConfig`, `ResourceTypes` and `Schemas`: what this server really supports.

use super::{LIST, ScimError, USER, base, scim};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

pub async fn service_provider_config(State(state): State<AppState>) -> Response {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/latchkey/latchkey/blob/main/docs/surfaces.md",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": 500 },
        "changePassword": { "supported": true },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A session token (POST /api/v1/sessions) or an API-client token (POST /api/v1/token)",
            "primary": true
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base(&state)) }
    });
    scim(StatusCode::OK, &body, None, None)
}

fn user_resource_type(state: &AppState) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User accounts",
        "schema": USER,
        "schemaExtensions": [],
        "meta": { "resourceType": "ResourceType", "location": format!("{}/ResourceTypes/User", base(state)) }
    })
}

fn list(items: Vec<Value>) -> Value {
    json!({ "schemas": [LIST], "totalResults": items.len(), "startIndex": 1, "itemsPerPage": items.len(), "Resources": items })
}

pub async fn resource_types(State(state): State<AppState>) -> Response {
    scim(
        StatusCode::OK,
        &list(vec![user_resource_type(&state)]),
        None,
        None,
    )
}

pub async fn resource_type(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    if id != "User" {
        return Err(ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            "No such resource type.",
        ));
    }
    Ok(scim(
        StatusCode::OK,
        &user_resource_type(&state),
        None,
        None,
    ))
}

fn attr(
    name: &str,
    kind: &str,
    required: bool,
    mutability: &str,
    returned: &str,
    description: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description, "required": required,
        "caseExact": false, "mutability": mutability, "returned": returned, "uniqueness": "none"
    })
}

fn multi(name: &str, description: &str) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": true, "description": description, "required": false,
        "mutability": "readWrite", "returned": "default", "uniqueness": "none",
        "subAttributes": [attr("value", "string", false, "readWrite", "default", "The value (one per account)")]
    })
}

fn user_schema(state: &AppState) -> Value {
    let mut user_name = attr(
        "userName",
        "string",
        true,
        "readWrite",
        "default",
        "Unique user name, matched case-insensitively",
    );
    user_name["uniqueness"] = json!("server");
    let mut password = attr(
        "password",
        "string",
        false,
        "writeOnly",
        "never",
        "The password; never returned",
    );
    password["caseExact"] = json!(true);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER,
        "name": "User",
        "description": "User account",
        "attributes": [
            user_name,
            { "name": "name", "type": "complex", "multiValued": false, "description": "The user's name", "required": false,
              "mutability": "readWrite", "returned": "default", "uniqueness": "none",
              "subAttributes": [
                  attr("givenName", "string", false, "readWrite", "default", "Given name"),
                  attr("familyName", "string", false, "readWrite", "default", "Family name"),
              ] },
            attr("displayName", "string", false, "readWrite", "default", "Display name"),
            attr("locale", "string", false, "readWrite", "default", "Locale of notifications"),
            // An account is always either active or disabled: it cannot be unassigned.
            attr("active", "boolean", true, "readWrite", "default", "false: disabled (absent on create: true)"),
            password,
            multi("emails", "E-mail addresses (the primary one receives notifications)"),
            multi("phoneNumbers", "Telephone numbers"),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{}/Schemas/{USER}", base(state)) }
    })
}

pub async fn schemas(State(state): State<AppState>) -> Response {
    scim(StatusCode::OK, &list(vec![user_schema(&state)]), None, None)
}

pub async fn schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    if id != USER {
        return Err(ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            "No such schema.",
        ));
    }
    Ok(scim(StatusCode::OK, &user_schema(&state), None, None))
}
