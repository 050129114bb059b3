//! What every adapter writes, shared: the argument lists of the statements whose values
//! are the same on both backends. Each adapter's SQL names the same columns with its own
//! placeholders in this order; `Args::encode` turns a list into the backend's arguments.

use crate::rows::{email_key, scopes_to_text, stages_to_text};
use crate::timestamp::to_ms;
use latchkey_core::audit::AuditEvent;
use latchkey_core::domain::{Account, NORMALIZATION, Sid};
use latchkey_core::ports::{
    AccountChanges, ClientRecord, FlowStep, KbaAnswer, NewAccount, OutboxMessage, PasswordWrite,
    RecoveryFlow, SessionRecord, StoreError, StoreResult,
};
use sqlx::{Arguments as _, Database, Encode, Type};

/// One value of a column type both schemas have (`pub` only because the backend
/// trait names it; the module is private).
#[derive(Clone)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
}

/// An argument list, built once and encoded for either backend.
#[derive(Default, Clone)]
pub struct Args(Vec<Arg>);

impl Args {
    pub(crate) fn push(mut self, value: Arg) -> Self {
        self.0.push(value);
        self
    }

    pub(crate) fn text(self, v: impl Into<Option<String>>) -> Self {
        self.push(Arg::Text(v.into()))
    }

    pub(crate) fn str(self, v: &str) -> Self {
        self.text(v.to_owned())
    }

    pub(crate) fn int(self, v: impl Into<Option<i64>>) -> Self {
        self.push(Arg::Int(v.into()))
    }

    pub(crate) fn bool(self, v: impl Into<Option<bool>>) -> Self {
        self.push(Arg::Bool(v.into()))
    }

    pub(crate) fn bytes(self, v: Option<Vec<u8>>) -> Self {
        self.push(Arg::Bytes(v))
    }

    pub(crate) fn encode<DB: Database>(self) -> StoreResult<DB::Arguments>
    where
        for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
        for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
        for<'t> Option<bool>: Encode<'t, DB> + Type<DB>,
        for<'t> Option<Vec<u8>>: Encode<'t, DB> + Type<DB>,
    {
        let mut out = DB::Arguments::default();
        for arg in self.0 {
            match arg {
                Arg::Text(v) => out.add(v),
                Arg::Int(v) => out.add(v),
                Arg::Bool(v) => out.add(v),
                Arg::Bytes(v) => out.add(v),
            }
            .map_err(|e| StoreError::Other(format!("encoding an argument: {e}")))?;
        }
        Ok(out)
    }
}

/// `accounts`: id, user_name, user_name_key, dn, dn_key, sid, email, email_key,
/// given_name, sn, display_name, telephone_number, locale, roles, federated,
/// password_hash, password_normalization, password_changed_at, must_change_password,
/// password_never_expires, cannot_change_password, created_at, external_id, disabled.
pub(crate) fn new_account(new: &NewAccount, sid: &Sid) -> Args {
    let p = &new.profile;
    Args::default()
        .text(new.id.to_string())
        .str(new.user_name.as_str())
        .text(new.user_name.lookup_key())
        .text(new.dn.to_string())
        .text(new.dn.normalized())
        .text(sid.to_string())
        .text(p.email.clone())
        .text(email_key(&p.email))
        .text(p.given_name.clone())
        .text(p.sn.clone())
        .text(p.display_name.clone())
        .text(p.telephone_number.clone())
        .text(p.locale.clone())
        .text(new.roles.to_csv())
        .bool(new.federated)
        .text(new.hash.as_ref().map(|h| h.as_str().to_owned()))
        .text(new.hash.as_ref().map(|_| NORMALIZATION.to_owned()))
        .int(
            new.hash
                .as_ref()
                .map(|_| to_ms(new.password_changed_at.unwrap_or(new.created_at))),
        )
        .bool(new.must_change_password)
        .bool(new.password_never_expires)
        .bool(new.cannot_change_password)
        .int(to_ms(new.created_at))
        .text(p.external_id.clone())
        .bool(new.disabled)
}

/// `UPDATE accounts SET` user_name, user_name_key, dn, dn_key, email, email_key,
/// given_name, sn, display_name, telephone_number, locale, roles, disabled, federated,
/// must_change_password, password_never_expires, cannot_change_password, external_id,
/// then `WHERE id`.
pub(crate) fn account_update(cur: &Account, c: &AccountChanges) -> Args {
    let user_name = c.user_name.as_ref().unwrap_or(&cur.user_name);
    let dn = c.dn.as_ref().unwrap_or(&cur.dn);
    let p = c.profile.as_ref().unwrap_or(&cur.profile);
    let roles = c.roles.as_ref().unwrap_or(&cur.roles);
    Args::default()
        .str(user_name.as_str())
        .text(user_name.lookup_key())
        .text(dn.to_string())
        .text(dn.normalized())
        .text(p.email.clone())
        .text(email_key(&p.email))
        .text(p.given_name.clone())
        .text(p.sn.clone())
        .text(p.display_name.clone())
        .text(p.telephone_number.clone())
        .text(p.locale.clone())
        .text(roles.to_csv())
        .bool(c.disabled.unwrap_or(cur.disabled))
        .bool(c.federated.unwrap_or(cur.federated))
        .bool(c.must_change_password.unwrap_or(cur.must_change_password))
        .bool(
            c.password_never_expires
                .unwrap_or(cur.password_never_expires),
        )
        .bool(
            c.cannot_change_password
                .unwrap_or(cur.cannot_change_password),
        )
        .text(p.external_id.clone())
        .text(cur.id.to_string())
}

/// `UPDATE accounts SET` password_hash, password_normalization, password_changed_at,
/// must_change_password, password_never_expires, cannot_change_password (each of the
/// three flags kept when absent), then `WHERE id AND rev`.
pub(crate) fn password_update(w: &PasswordWrite) -> Args {
    Args::default()
        .str(w.new.hash.as_str())
        .str(w.normalization)
        .int(to_ms(w.changed_at))
        .bool(w.must_change_password)
        .bool(w.password_never_expires)
        .bool(w.cannot_change_password)
        .text(w.account_id.to_string())
        .int(w.expected_rev)
}

/// `write_password`'s list for a hash written as imported (flags kept as they are).
pub(crate) fn imported_hash(
    id: latchkey_core::domain::AccountId,
    rev: i64,
    hash: &latchkey_core::hashing::PasswordHash,
    changed_at: time::OffsetDateTime,
) -> Args {
    Args::default()
        .str(hash.as_str())
        .str(NORMALIZATION)
        .int(to_ms(changed_at))
        .bool(None)
        .bool(None)
        .bool(None)
        .text(id.to_string())
        .int(rev)
}

/// `audit_events`: id, at, type, actor_id, target_id, surface, client_ip, request_id,
/// outcome, reason.
pub(crate) fn audit(e: &AuditEvent) -> Args {
    Args::default()
        .text(e.id.to_string())
        .int(to_ms(e.at))
        .str(e.kind.as_str())
        .text(e.actor_id.clone())
        .text(e.target_id.map(|t| t.to_string()))
        .text(e.surface.clone())
        .text(e.client_ip.clone())
        .text(e.request_id.clone())
        .str(e.outcome.as_str())
        .text(e.reason.clone())
}

/// `outbox`: id, kind, account_id, payload, created_at, next_attempt_at.
pub(crate) fn outbox(m: &OutboxMessage, held: Option<&str>) -> Args {
    Args::default()
        .text(m.id.to_string())
        .text(m.kind.clone())
        .text(m.account_id.to_string())
        .text(m.payload.to_string())
        .int(to_ms(m.created_at))
        .int(to_ms(m.created_at))
        .int(held.map(|_| to_ms(m.created_at)))
        .text(held.map(|h| format!("not sent: {h}")))
}

/// `recovery_flows`: id, stages, stage_index, step, account_id, decoy, attempts,
/// code_digest, code_expires_at, proved_email, created_at, expires_at, completed.
pub(crate) fn flow(f: &RecoveryFlow) -> Args {
    Args::default()
        .text(f.id.to_string())
        .text(stages_to_text(&f.stages))
        .int(i64::from(f.stage_index))
        .int(i64::from(f.step))
        .text(f.account_id.map(|a| a.to_string()))
        .bool(f.decoy)
        .int(i64::from(f.attempts))
        .bytes(f.code_digest.clone())
        .int(f.code_expires_at.map(to_ms))
        .bool(f.proved_email)
        .int(to_ms(f.created_at))
        .int(to_ms(f.expires_at))
        .bool(f.completed)
}

/// `UPDATE recovery_flows SET step = step + 1,` stage_index, account_id, decoy,
/// code_digest, code_expires_at, proved_email, then `WHERE id AND step`.
///
/// A step without an account (a decoy's) stores the nil id, read back as none: advancing
/// it then changes the same index entries as advancing a real flow does.
pub(crate) fn flow_step(s: &FlowStep) -> Args {
    Args::default()
        .int(i64::from(s.stage_index))
        .text(s.account_id.unwrap_or(uuid::Uuid::nil()).to_string())
        .bool(s.decoy)
        .bytes(s.code_digest.clone())
        .int(s.code_expires_at.map(to_ms))
        .bool(s.proved_email)
        .text(s.flow_id.to_string())
        .int(i64::from(s.expected_step))
}

/// `sessions`: id, token_digest, account_id, client_id, scopes, created_at, expires_at,
/// change_only.
pub(crate) fn session(s: &SessionRecord) -> Args {
    Args::default()
        .text(s.id.to_string())
        .bytes(Some(s.token_digest.clone()))
        .text(s.account_id.map(|a| a.to_string()))
        .text(s.client_id.map(|c| c.to_string()))
        .text(scopes_to_text(&s.scopes))
        .int(to_ms(s.created_at))
        .int(to_ms(s.expires_at))
        .bool(s.change_only)
}

/// `api_clients`: id, name, secret_digest, scopes, created_at.
pub(crate) fn client(c: &ClientRecord) -> Args {
    Args::default()
        .text(c.id.to_string())
        .text(c.name.clone())
        .bytes(Some(c.secret_digest.clone()))
        .text(scopes_to_text(&c.scopes))
        .int(to_ms(c.created_at))
}

/// `kba_answers`: account_id, position, question_id, custom_question, answer_hash.
pub(crate) fn kba(account: &str, position: usize, a: &KbaAnswer) -> Args {
    Args::default()
        .str(account)
        .int(i64::try_from(position).unwrap_or(i64::MAX))
        .text(a.question_id.clone())
        .text(a.custom_question.clone())
        .str(a.answer_hash.as_str())
}
