//! What every adapter reads, shared: the column lists, the row types (sqlx's `FromRow`
//! derive is generic over the backend's row) and their checked conversion to the
//! port's types. Each adapter keeps its own SQL; the two schemas use the same column
//! names and the same value forms (ids as text, times as Unix milliseconds).

use crate::timestamp::from_ms;
use latchkey_core::audit::{AuditEvent, AuditType, Outcome};
use latchkey_core::auth::Scope;
use latchkey_core::domain::{Account, Dn, Profile, Roles, Sid, UserName};
use latchkey_core::hashing::PasswordHash;
use latchkey_core::ports::{
    AccountRecord, ClientRecord, Credential, KbaAnswer, OutboxMessage, PendingMessage,
    RecoveryFlow, SessionRecord, StoreError, StoreResult,
};
use latchkey_core::recovery::Stage;
use uuid::Uuid;

/// The columns every account read selects (`a` = accounts, `l` = lockout_counters).
macro_rules! account_columns {
    () => {
        concat!(
            "a.id, a.user_name, a.dn, a.sid, a.email, a.given_name, a.sn, a.display_name, ",
            "a.telephone_number, a.locale, a.external_id, a.roles, a.disabled, a.federated, a.password_hash, ",
            "a.password_changed_at, a.must_change_password, a.password_never_expires, ",
            "a.cannot_change_password, a.created_at, a.rev, l.locked_until, a.source"
        )
    };
}

macro_rules! account_from {
    () => {
        " FROM accounts a LEFT JOIN lockout_counters l ON l.account_id = a.id "
    };
}

/// An account read: its columns, then the adapter's own `WHERE …` tail.
macro_rules! account_select {
    ($tail:literal) => {
        concat!(
            "SELECT ",
            $crate::rows::account_columns!(),
            $crate::rows::account_from!(),
            $tail
        )
    };
}

/// A lookup of an account by a name someone gave, which reads and decodes one account
/// row whether or not the name matches: the match (`found` true) and a stand-in, the
/// account with the smallest id (`found` false), ordered so that the match comes first;
/// the store decodes the first row and discards it when it is the stand-in — so that an
/// unknown name costs what a known one does. `$cond` selects by the first parameter;
/// `$yes`/`$no` are the backend's boolean literals.
macro_rules! account_lookup {
    ($cond:literal, $yes:literal, $no:literal) => {
        concat!(
            "SELECT ",
            $crate::rows::account_columns!(),
            ", ",
            $yes,
            " AS found",
            $crate::rows::account_from!(),
            "WHERE ",
            $cond,
            " UNION ALL SELECT ",
            $crate::rows::account_columns!(),
            ", ",
            $no,
            " AS found",
            $crate::rows::account_from!(),
            "WHERE a.id = (SELECT MIN(id) FROM accounts) ORDER BY found DESC LIMIT 1"
        )
    };
}
pub(crate) use account_columns;
pub(crate) use account_from;
pub(crate) use account_lookup;
pub(crate) use account_select;

/// `SELECT` of an audit event's columns, then the adapter's tail.
macro_rules! audit_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, at, type, actor_id, target_id, surface, client_ip, request_id, outcome, reason ",
            "FROM audit_events ",
            $tail
        )
    };
}
pub(crate) use audit_select;

/// `SELECT` of a session's columns, then the adapter's tail.
macro_rules! session_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, token_digest, account_id, client_id, scopes, created_at, expires_at, change_only ",
            "FROM sessions ",
            $tail
        )
    };
}
pub(crate) use session_select;

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("corrupt stored {what}"))
}

pub(crate) fn parse_uuid(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(|_| corrupt("id"))
}

fn parse_opt_uuid(s: Option<String>) -> StoreResult<Option<Uuid>> {
    s.as_deref().map(parse_uuid).transpose()
}

fn parse_hash(s: &str) -> StoreResult<PasswordHash> {
    PasswordHash::parse(s).map_err(|_| corrupt("hash"))
}

fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The lookup form of an e-mail address.
pub(crate) fn email_key(email: &Option<String>) -> Option<String> {
    email.as_ref().map(|e| e.to_lowercase())
}

pub(crate) fn scopes_to_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn scopes_from_text(s: &str) -> StoreResult<Vec<Scope>> {
    s.split_whitespace()
        .map(|p| p.parse().map_err(|_| corrupt("scope")))
        .collect()
}

pub(crate) fn stages_to_text(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn stages_from_text(s: &str) -> StoreResult<Vec<Stage>> {
    s.split(',')
        .map(|n| Stage::parse(n).ok_or_else(|| corrupt("stage")))
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: String,
    user_name: String,
    dn: String,
    sid: String,
    email: Option<String>,
    given_name: Option<String>,
    sn: Option<String>,
    display_name: Option<String>,
    telephone_number: Option<String>,
    locale: Option<String>,
    external_id: Option<String>,
    roles: String,
    disabled: bool,
    federated: bool,
    password_hash: Option<String>,
    password_changed_at: Option<i64>,
    must_change_password: bool,
    password_never_expires: bool,
    cannot_change_password: bool,
    created_at: i64,
    rev: i64,
    locked_until: Option<i64>,
    /// `local`, or `directory` for Latchkey's row of a directory account (no SID).
    source: String,
}

/// A row of [`account_lookup!`]: an account, and whether it is the match or the stand-in.
#[derive(sqlx::FromRow)]
pub(crate) struct LookupRow {
    #[sqlx(flatten)]
    pub(crate) account: AccountRow,
    pub(crate) found: bool,
}

impl TryFrom<AccountRow> for AccountRecord {
    type Error = StoreError;

    fn try_from(r: AccountRow) -> StoreResult<Self> {
        let hash = r.password_hash.as_deref().map(parse_hash).transpose()?;
        let account = Account {
            id: parse_uuid(&r.id)?,
            user_name: UserName::parse(&r.user_name).map_err(|_| corrupt("userName"))?,
            dn: Dn::parse(&r.dn).map_err(|_| corrupt("dn"))?,
            sid: match r.source.as_str() {
                "directory" => None,
                _ => Some(Sid::parse(&r.sid).map_err(|_| corrupt("sid"))?),
            },
            profile: Profile {
                email: r.email,
                given_name: r.given_name,
                sn: r.sn,
                display_name: r.display_name,
                telephone_number: r.telephone_number,
                locale: r.locale,
                external_id: r.external_id,
            },
            roles: Roles::from_csv(&r.roles).map_err(|_| corrupt("roles"))?,
            disabled: r.disabled,
            locked_until: r.locked_until.map(from_ms),
            federated: r.federated,
            has_password: hash.is_some(),
            must_change_password: r.must_change_password,
            password_never_expires: r.password_never_expires,
            cannot_change_password: r.cannot_change_password,
            password_changed_at: r.password_changed_at.map(from_ms),
            created_at: from_ms(r.created_at),
            rev: r.rev,
        };
        Ok(AccountRecord {
            account,
            credential: Credential::from_hash(hash),
        })
    }
}

/// Converts every row, failing on the first corrupt one.
pub(crate) fn accounts(rows: Vec<AccountRow>) -> StoreResult<Vec<Account>> {
    rows.into_iter()
        .map(|r| AccountRecord::try_from(r).map(|r| r.account))
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: String,
    at: i64,
    #[sqlx(rename = "type")]
    kind: String,
    actor_id: Option<String>,
    target_id: Option<String>,
    surface: String,
    client_ip: Option<String>,
    request_id: String,
    outcome: String,
    reason: Option<String>,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> StoreResult<Self> {
        Ok(AuditEvent {
            id: parse_uuid(&r.id)?,
            at: from_ms(r.at),
            kind: AuditType::parse(&r.kind).ok_or_else(|| corrupt("audit type"))?,
            actor_id: r.actor_id,
            target_id: parse_opt_uuid(r.target_id)?,
            surface: r.surface,
            client_ip: r.client_ip,
            request_id: r.request_id,
            outcome: if r.outcome == "success" {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            reason: r.reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: String,
    kind: String,
    account_id: String,
    payload: String,
    created_at: i64,
    #[sqlx(default)]
    attempts: i64,
    #[sqlx(default)]
    pub(crate) seq: i64,
}

impl TryFrom<OutboxRow> for OutboxMessage {
    type Error = StoreError;

    fn try_from(r: OutboxRow) -> StoreResult<Self> {
        Ok(OutboxMessage {
            id: parse_uuid(&r.id)?,
            kind: r.kind,
            account_id: parse_uuid(&r.account_id)?,
            created_at: from_ms(r.created_at),
            payload: serde_json::from_str(&r.payload).map_err(|_| corrupt("outbox payload"))?,
        })
    }
}

/// Claimed messages in the order they were written.
pub(crate) fn pending(mut rows: Vec<OutboxRow>) -> StoreResult<Vec<PendingMessage>> {
    rows.sort_by_key(|r| r.seq);
    rows.into_iter()
        .map(|r| {
            let attempts = count(r.attempts);
            Ok(PendingMessage {
                message: r.try_into()?,
                attempts,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct FlowRow {
    id: String,
    stages: String,
    stage_index: i64,
    step: i64,
    account_id: Option<String>,
    decoy: bool,
    attempts: i64,
    code_digest: Option<Vec<u8>>,
    code_expires_at: Option<i64>,
    proved_email: bool,
    created_at: i64,
    expires_at: i64,
    completed: bool,
    ended_reason: Option<String>,
}

impl TryFrom<FlowRow> for RecoveryFlow {
    type Error = StoreError;

    fn try_from(r: FlowRow) -> StoreResult<Self> {
        Ok(RecoveryFlow {
            id: parse_uuid(&r.id)?,
            stages: stages_from_text(&r.stages)?,
            stage_index: count(r.stage_index),
            step: count(r.step),
            // The nil id is how a decoy's step stores "no account" (see `args::flow_step`).
            account_id: parse_opt_uuid(r.account_id)?.filter(|id| !id.is_nil()),
            decoy: r.decoy,
            attempts: count(r.attempts),
            code_digest: r.code_digest,
            code_expires_at: r.code_expires_at.map(from_ms),
            proved_email: r.proved_email,
            created_at: from_ms(r.created_at),
            expires_at: from_ms(r.expires_at),
            completed: r.completed,
            ended: r.ended_reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: String,
    token_digest: Vec<u8>,
    account_id: Option<String>,
    client_id: Option<String>,
    scopes: String,
    created_at: i64,
    expires_at: i64,
    change_only: bool,
}

impl TryFrom<SessionRow> for SessionRecord {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> StoreResult<Self> {
        Ok(SessionRecord {
            id: parse_uuid(&r.id)?,
            token_digest: r.token_digest,
            account_id: parse_opt_uuid(r.account_id)?,
            client_id: parse_opt_uuid(r.client_id)?,
            scopes: scopes_from_text(&r.scopes)?,
            created_at: from_ms(r.created_at),
            expires_at: from_ms(r.expires_at),
            change_only: r.change_only,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    id: String,
    name: String,
    secret_digest: Vec<u8>,
    scopes: String,
    created_at: i64,
}

impl TryFrom<ClientRow> for ClientRecord {
    type Error = StoreError;

    fn try_from(r: ClientRow) -> StoreResult<Self> {
        Ok(ClientRecord {
            id: parse_uuid(&r.id)?,
            name: r.name,
            secret_digest: r.secret_digest,
            scopes: scopes_from_text(&r.scopes)?,
            created_at: from_ms(r.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KbaRow {
    question_id: Option<String>,
    custom_question: Option<String>,
    answer_hash: String,
}

impl TryFrom<KbaRow> for KbaAnswer {
    type Error = StoreError;

    fn try_from(r: KbaRow) -> StoreResult<Self> {
        Ok(KbaAnswer {
            question_id: r.question_id,
            custom_question: r.custom_question,
            answer_hash: parse_hash(&r.answer_hash)?,
        })
    }
}

/// Converts a list of rows to the port's type.
pub(crate) fn convert<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> StoreResult<Vec<T>> {
    rows.into_iter().map(T::try_from).collect()
}

/// Converts a row that may be absent.
pub(crate) fn convert_opt<R, T: TryFrom<R, Error = StoreError>>(
    row: Option<R>,
) -> StoreResult<Option<T>> {
    row.map(T::try_from).transpose()
}

pub(crate) fn history(rows: Vec<String>) -> StoreResult<Vec<PasswordHash>> {
    rows.iter().map(|h| parse_hash(h)).collect()
}
