//! API clients: created by an admin with scopes; exchange id + secret for a bearer token.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditQuery, AuditType, Outcome, RequestContext};
use crate::auth::{Permission, Principal, Scope};
use crate::ports::{ClientRecord, SessionRecord};
use crate::secret::{SecretString, constant_time_eq, random_token, token_digest};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// Lifetime of a client access token.
pub const CLIENT_TOKEN_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct NewClient {
    pub client_id: Uuid,
    /// Shown once.
    pub client_secret: SecretString,
}

/// An API client as it is shown: never its secret.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: OffsetDateTime,
}

impl From<ClientRecord> for ClientInfo {
    fn from(c: ClientRecord) -> Self {
        ClientInfo {
            id: c.id,
            name: c.name,
            scopes: c.scopes,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug)]
pub struct ClientToken {
    pub access_token: SecretString,
    pub expires_in: u64,
    pub expires_at: OffsetDateTime,
}

impl Latchkey {
    pub async fn create_client(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        name: &str,
        scopes: Vec<Scope>,
    ) -> Result<NewClient, CoreError> {
        self.authorize(principal, Permission::ManageClients)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(CoreError::Invalid(
                "name must be 1 to 200 printable characters".into(),
            ));
        }
        if scopes.is_empty() {
            return Err(CoreError::Invalid("scopes must not be empty".into()));
        }
        let id = Uuid::new_v4();
        let secret = random_token(32);
        let now = self.clock.now();
        let record = ClientRecord {
            id,
            name: name.to_owned(),
            secret_digest: token_digest(&secret),
            scopes,
            created_at: now,
        };
        let reason = format!("client {id} created");
        let audit = self.event(
            ctx,
            AuditType::AccountCreate,
            principal,
            None,
            Outcome::Success,
            Some(&reason),
        );
        self.stored(
            vec![audit.clone()],
            self.records.insert_client(record, audit),
        )
        .await?;
        Ok(NewClient {
            client_id: id,
            client_secret: SecretString::from(secret),
        })
    }

    pub async fn list_clients(&self, principal: &Principal) -> Result<Vec<ClientInfo>, CoreError> {
        self.authorize(principal, Permission::ManageClients)?;
        let all = self.records.list_clients().await?;
        Ok(all.into_iter().map(ClientInfo::from).collect())
    }

    pub async fn get_client(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> Result<ClientInfo, CoreError> {
        self.authorize(principal, Permission::ManageClients)?;
        let found = self.records.client_by_id(id).await?;
        Ok(found.ok_or(CoreError::NotFound)?.into())
    }

    /// Deletes the client; its tokens stop at once.
    pub async fn revoke_client(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: Uuid,
    ) -> Result<(), CoreError> {
        self.authorize(principal, Permission::ManageClients)?;
        let reason = format!("client {id} revoked");
        let audit = self.event(
            ctx,
            AuditType::AccountDelete,
            principal,
            None,
            Outcome::Success,
            Some(&reason),
        );
        self.stored(vec![audit.clone()], self.records.delete_client(id, audit))
            .await
    }

    /// A new secret, shown once; the old one and every token issued with it stop at once.
    pub async fn rotate_client_secret(
        &self,
        ctx: &RequestContext,
        principal: &Principal,
        id: Uuid,
    ) -> Result<NewClient, CoreError> {
        self.authorize(principal, Permission::ManageClients)?;
        let secret = random_token(32);
        let reason = format!("client {id} secret rotated");
        let audit = self.event(
            ctx,
            AuditType::AccountUpdate,
            principal,
            None,
            Outcome::Success,
            Some(&reason),
        );
        let events = vec![audit.clone()];
        let write = self
            .records
            .set_client_secret(id, token_digest(&secret), audit);
        self.stored(events, write).await?;
        Ok(NewClient {
            client_id: id,
            client_secret: SecretString::from(secret),
        })
    }

    /// `client_credentials`: any wrong part is the same `InvalidCredentials`.
    pub async fn issue_client_token(
        &self,
        ctx: &RequestContext,
        client_id: &str,
        secret: &str,
    ) -> Result<ClientToken, CoreError> {
        let client = match Uuid::parse_str(client_id) {
            Ok(id) => self.records.client_by_id(id).await?,
            Err(_) => None,
        };
        let given = token_digest(secret);
        let Some(client) = client.filter(|c| constant_time_eq(&c.secret_digest, &given)) else {
            let reason = format!("client credentials refused for {client_id:.64}");
            self.audit(AuditEvent::new(
                ctx,
                self.clock.now(),
                AuditType::LoginFailure,
                None,
                None,
                Outcome::Failure,
                Some(&reason),
            ))
            .await;
            return Err(CoreError::InvalidCredentials);
        };
        let now = self.clock.now();
        let token = random_token(32);
        let expires_at = now + CLIENT_TOKEN_TTL;
        self.records
            .insert_session(SessionRecord {
                id: Uuid::new_v4(),
                token_digest: token_digest(&token),
                account_id: None,
                client_id: Some(client.id),
                scopes: client.scopes,
                created_at: now,
                expires_at,
                change_only: false,
            })
            .await?;
        Ok(ClientToken {
            access_token: SecretString::from(token),
            expires_in: CLIENT_TOKEN_TTL.as_secs(),
            expires_at,
        })
    }

    /// A page of audit events, newest first (500 when no limit is asked, at most 5,000),
    /// and the cursor of the next (older) page: the last event's id when the page is
    /// full, else none.
    pub async fn audit_page(
        &self,
        principal: &Principal,
        mut query: AuditQuery,
    ) -> Result<(Vec<AuditEvent>, Option<Uuid>), CoreError> {
        self.authorize(principal, Permission::ReadAudit)?;
        query.limit = match query.limit {
            0 => 500,
            n => n.min(5000),
        };
        let events = self.records.list_audit(&query).await?;
        let next = (events.len() == query.limit as usize)
            .then(|| events.last().map(|e| e.id))
            .flatten();
        Ok((events, next))
    }
}
