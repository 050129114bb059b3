//! Sign-in, bearer-token authentication and sign-out.

use super::Latchkey;
use crate::CoreError;
use crate::audit::{AuditEvent, AuditType, Outcome, RequestContext};
use crate::auth::Principal;
use crate::domain::{AccountId, UserName};
use crate::ports::SessionRecord;
use crate::secret::{SecretString, random_token, token_digest};
use time::OffsetDateTime;
use uuid::Uuid;

/// A new session. The token is shown to the caller once and stored only as a digest.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SecretString,
    pub expires_at: OffsetDateTime,
    pub account_id: AccountId,
    /// True after a reset, or when the password has expired: then this session may only
    /// change the password.
    pub must_change_password: bool,
    /// Why, when the session may only change the password.
    pub change_required: Option<super::ChangeRequired>,
    pub password_expires_at: Option<OffsetDateTime>,
}

impl Latchkey {
    /// Every failure is the same `InvalidCredentials`: unknown, wrong, locked, disabled.
    pub async fn sign_in(
        &self,
        ctx: &RequestContext,
        user_name: &str,
        password: &str,
    ) -> Result<SignedIn, CoreError> {
        let account = self.verify_credentials(ctx, user_name, password).await?;
        let now = self.clock.now();
        let password_expires_at = self.password_expires_at(&account);
        let change_required = self.change_required(&account);
        let token = random_token(32);
        let expires_at = now + self.settings.session_ttl;
        self.records
            .insert_session(SessionRecord {
                id: Uuid::new_v4(),
                token_digest: token_digest(&token),
                account_id: Some(account.id),
                client_id: None,
                scopes: vec![],
                created_at: now,
                expires_at,
                change_only: change_required.is_some(),
            })
            .await?;
        Ok(SignedIn {
            token: SecretString::from(token),
            expires_at,
            account_id: account.id,
            must_change_password: change_required.is_some(),
            change_required,
            password_expires_at,
        })
    }

    /// Checks a login name (a user name, or a DN) and password, with lockout, hash
    /// upgrade and audit, without opening a session. Every failure is `InvalidCredentials`.
    pub async fn verify_credentials(
        &self,
        ctx: &RequestContext,
        login: &str,
        password: &str,
    ) -> Result<crate::domain::Account, CoreError> {
        let record = if login.contains('=') {
            match crate::domain::Dn::parse(login) {
                Ok(dn) => self.accounts.account_by_dn(&dn).await?,
                Err(_) => None,
            }
        } else {
            match UserName::parse(login) {
                Ok(name) => {
                    self.accounts
                        .account_by_user_name(&name.lookup_key())
                        .await?
                }
                Err(_) => None,
            }
        };
        let target = record.as_ref().map(|r| r.account.id);
        let outcome = self
            .prove(ctx, record.as_ref(), login.trim(), password, true)
            .await?;
        let now = self.clock.now();
        let (record, proved) = match (record, outcome) {
            (Some(r), Ok(proved)) => (r, proved),
            (_, Err(why)) => {
                metrics::counter!("latchkey_sign_ins_total", "outcome" => "failure").increment(1);
                self.audit(AuditEvent::new(
                    ctx,
                    now,
                    AuditType::LoginFailure,
                    None,
                    target,
                    Outcome::Failure,
                    Some(why.reason()),
                ))
                .await;
                return Err(CoreError::InvalidCredentials);
            }
            (None, Ok(_)) => return Err(CoreError::InvalidCredentials),
        };
        let mut account = record.account;
        // The source allows only a change now (its expired password's grace binds).
        account.must_change_password |= proved.change_only;
        let actor = Some(account.id.to_string());
        metrics::counter!("latchkey_sign_ins_total", "outcome" => "success").increment(1);
        self.audit(AuditEvent::new(
            ctx,
            now,
            AuditType::LoginSuccess,
            actor,
            Some(account.id),
            Outcome::Success,
            None,
        ))
        .await;
        Ok(account)
    }

    /// The principal of a request authenticated by user name (or DN) and password on
    /// every request (IDM's `X-OpenIDM-*` headers, HTTP Basic): no session is stored.
    pub async fn authenticate_password(
        &self,
        ctx: &RequestContext,
        login: &str,
        password: &str,
    ) -> Result<Principal, CoreError> {
        let account = self.verify_credentials(ctx, login, password).await?;
        Ok(Principal::User {
            change_only: self.change_required(&account).is_some(),
            account_id: account.id,
            roles: account.roles,
            session_id: Uuid::nil(),
        })
    }

    /// The principal behind a bearer token, or `InvalidCredentials` for any unusable one.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, CoreError> {
        let session = self
            .records
            .session_by_digest(&token_digest(token))
            .await?
            .ok_or(CoreError::InvalidCredentials)?;
        if session.expires_at <= self.clock.now() {
            return Err(CoreError::InvalidCredentials);
        }
        match (session.account_id, session.client_id) {
            (Some(account_id), _) => {
                let record = self
                    .accounts
                    .account_by_id(account_id)
                    .await?
                    .ok_or(CoreError::InvalidCredentials)?;
                if record.account.disabled {
                    return Err(CoreError::InvalidCredentials);
                }
                // An admin may set must-change on an account with live sessions, and a
                // password may expire during one.
                let change_only =
                    session.change_only || self.change_required(&record.account).is_some();
                Ok(Principal::User {
                    account_id,
                    roles: record.account.roles,
                    session_id: session.id,
                    change_only,
                })
            }
            (None, Some(client_id)) => {
                // A deleted client's tokens stop working with it.
                self.records
                    .client_by_id(client_id)
                    .await?
                    .ok_or(CoreError::InvalidCredentials)?;
                Ok(Principal::Client {
                    client_id,
                    scopes: session.scopes,
                })
            }
            (None, None) => Err(CoreError::InvalidCredentials),
        }
    }

    /// Ends the caller's session (a client token ends the same way).
    pub async fn sign_out(&self, token: &str) -> Result<(), CoreError> {
        if let Some(s) = self.records.session_by_digest(&token_digest(token)).await? {
            self.records.revoke_session(s.id).await?;
        }
        Ok(())
    }
}

impl Latchkey {
    /// When a valid token's session ends (Adaxes `auth` answers with it).
    pub async fn session_expiry(&self, token: &str) -> Result<OffsetDateTime, CoreError> {
        self.authenticate(token).await?;
        let session = self
            .records
            .session_by_digest(&token_digest(token))
            .await?
            .ok_or(CoreError::InvalidCredentials)?;
        Ok(session.expires_at)
    }
}
