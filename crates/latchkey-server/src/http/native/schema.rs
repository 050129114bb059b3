//! OpenAPI schemas derived from the core's own lists, so the document names exactly the
//! values the server accepts (scopes, roles, audit event types, user names).

use latchkey_core::audit::AuditType;
use latchkey_core::auth::Scope;
use latchkey_core::domain::Role;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};

fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
}

fn array_of(item: ObjectBuilder, min_items: Option<usize>) -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(item)
        .min_items(min_items)
        .build()
        .into()
}

pub fn scopes() -> RefOr<Schema> {
    array_of(one_of(Scope::ALL.map(Scope::as_str)), Some(1))
}

pub fn roles() -> RefOr<Schema> {
    array_of(
        one_of([Role::User, Role::Helpdesk, Role::Admin].map(Role::as_str)),
        None,
    )
}

pub fn audit_type() -> RefOr<Schema> {
    one_of(AuditType::ALL.map(AuditType::as_str)).build().into()
}

/// No control characters, no surrounding white space: what `UserName::parse` accepts.
pub const PRINTABLE_TRIMMED: &str =
    r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$";

pub fn user_name() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(latchkey_core::domain::MAX_USER_NAME_CHARS))
        .pattern(Some(PRINTABLE_TRIMMED))
        .build()
        .into()
}

pub fn client_name() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(200))
        .pattern(Some(PRINTABLE_TRIMMED))
        .build()
        .into()
}
