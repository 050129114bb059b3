//! Every adapter implements the store port the same way: by forwarding each method to
//! an inherent method that holds the adapter's own SQL. This macro writes that
//! forwarding once, so the adapters differ only in their SQL.

macro_rules! forward_store {
    ($store:ty) => {
        const _: () = {
            use latchkey_core::audit::{AuditEvent, AuditQuery};
            use latchkey_core::domain::{Account, AccountId, Dn, Sid};
            use latchkey_core::hashing::PasswordHash;
            use latchkey_core::ports::{
                AccountChanges, AccountFilter, AccountRecord, ClientRecord, FlowStep, KbaAnswer,
                NewAccount, OutboxMessage, PasswordWrite, PendingMessage, ProofSlot, RecoveryFlow,
                SessionRecord, Store, StoreResult,
            };
            use std::time::Duration;
            use time::OffsetDateTime;
            use uuid::Uuid;

            #[async_trait::async_trait]
            impl Store for $store {
                async fn ping(&self) -> StoreResult<()> {
                    self.ping_db().await
                }

                async fn setting_or_init(&self, key: &str, candidate: &str) -> StoreResult<String> {
                    self.setting_or_init_row(key, candidate).await
                }

                async fn count_accounts(&self) -> StoreResult<u64> {
                    self.count_account_rows().await
                }

                async fn insert_account(
                    &self,
                    new: NewAccount,
                    domain: [u32; 3],
                ) -> StoreResult<Account> {
                    self.insert_account_tx(new, domain).await
                }

                async fn account_by_id(&self, id: AccountId) -> StoreResult<Option<AccountRecord>> {
                    self.account_where_id(id).await
                }

                async fn account_by_user_name(
                    &self,
                    key: &str,
                ) -> StoreResult<Option<AccountRecord>> {
                    self.account_where("user_name_key", key).await
                }

                async fn account_by_dn(&self, dn: &Dn) -> StoreResult<Option<AccountRecord>> {
                    self.account_where("dn_key", &dn.normalized()).await
                }

                async fn account_by_sid(&self, sid: &Sid) -> StoreResult<Option<AccountRecord>> {
                    self.account_where("sid", &sid.to_string()).await
                }

                async fn list_accounts(
                    &self,
                    filter: &AccountFilter,
                ) -> StoreResult<(Vec<Account>, u64)> {
                    self.list(filter).await
                }

                async fn update_account(
                    &self,
                    id: AccountId,
                    expected_rev: Option<i64>,
                    changes: &AccountChanges,
                    revoke_sessions: bool,
                    audit: AuditEvent,
                ) -> StoreResult<Account> {
                    self.update(id, expected_rev, changes, revoke_sessions, audit)
                        .await
                }

                async fn delete_account(
                    &self,
                    id: AccountId,
                    expected_rev: Option<i64>,
                    audit: AuditEvent,
                ) -> StoreResult<()> {
                    self.delete(id, expected_rev, audit).await
                }

                async fn begin_proof(
                    &self,
                    id: AccountId,
                    now: OffsetDateTime,
                    window: Duration,
                    max: u32,
                ) -> StoreResult<ProofSlot> {
                    self.reserve_proof(id, now, window, max).await
                }

                async fn fail_proof(
                    &self,
                    id: AccountId,
                    now: OffsetDateTime,
                    max: u32,
                    lock_for: Duration,
                ) -> StoreResult<bool> {
                    self.record_failure(id, now, max, lock_for).await
                }

                async fn succeed_proof(&self, id: AccountId) -> StoreResult<()> {
                    self.succeed_proof_row(id).await
                }

                async fn set_lock(
                    &self,
                    id: AccountId,
                    until: Option<OffsetDateTime>,
                    audit: AuditEvent,
                ) -> StoreResult<Account> {
                    self.lock(id, until, audit).await
                }

                async fn write_password(&self, write: PasswordWrite) -> StoreResult<Account> {
                    self.write_password_tx(write).await
                }

                async fn upgrade_hash(
                    &self,
                    id: AccountId,
                    old: &PasswordHash,
                    new: &PasswordHash,
                ) -> StoreResult<()> {
                    self.upgrade_hash_row(id, old, new).await
                }

                async fn password_history(
                    &self,
                    id: AccountId,
                    limit: usize,
                ) -> StoreResult<Vec<PasswordHash>> {
                    self.history(id, limit).await
                }

                async fn insert_session(&self, session: SessionRecord) -> StoreResult<()> {
                    self.insert_session_row(session).await
                }

                async fn session_by_digest(
                    &self,
                    digest: &[u8],
                ) -> StoreResult<Option<SessionRecord>> {
                    self.session_row(digest).await
                }

                async fn revoke_session(&self, id: Uuid) -> StoreResult<()> {
                    self.revoke_session_row(id).await
                }

                async fn insert_client(
                    &self,
                    client: ClientRecord,
                    audit: AuditEvent,
                ) -> StoreResult<()> {
                    self.insert_client_row(client, audit).await
                }

                async fn client_by_id(&self, id: Uuid) -> StoreResult<Option<ClientRecord>> {
                    self.client_row(id).await
                }

                async fn append_audit(&self, event: AuditEvent) -> StoreResult<()> {
                    self.append_audit_row(event).await
                }

                async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
                    self.list_audit_rows(query).await
                }

                async fn pending_outbox(
                    &self,
                    account_id: AccountId,
                ) -> StoreResult<Vec<OutboxMessage>> {
                    self.pending_outbox_rows(account_id).await
                }

                async fn claim_outbox(
                    &self,
                    now: OffsetDateTime,
                    lease: Duration,
                    limit: u32,
                ) -> StoreResult<Vec<PendingMessage>> {
                    self.claim(now, lease, limit).await
                }

                async fn outbox_delivered(&self, id: Uuid, at: OffsetDateTime) -> StoreResult<()> {
                    self.delivered(id, at).await
                }

                async fn outbox_failed(
                    &self,
                    id: Uuid,
                    attempts: u32,
                    retry_at: OffsetDateTime,
                    error: &str,
                    give_up: bool,
                ) -> StoreResult<()> {
                    self.failed(id, attempts, retry_at, error, give_up).await
                }

                async fn expiry_candidates(
                    &self,
                    changed_before: OffsetDateTime,
                    limit: u32,
                ) -> StoreResult<Vec<Account>> {
                    self.expiry_candidate_rows(changed_before, limit).await
                }

                async fn mark_expiry_warned(
                    &self,
                    id: AccountId,
                    at: OffsetDateTime,
                    outbox: OutboxMessage,
                ) -> StoreResult<()> {
                    self.expiry_warned(id, at, outbox).await
                }

                async fn insert_flow(
                    &self,
                    flow: RecoveryFlow,
                    audit: AuditEvent,
                    outbox: Option<OutboxMessage>,
                ) -> StoreResult<()> {
                    self.insert_flow_row(flow, audit, outbox).await
                }

                async fn flow(&self, id: Uuid) -> StoreResult<Option<RecoveryFlow>> {
                    self.flow_row(id).await
                }

                async fn advance_flow(&self, step: FlowStep) -> StoreResult<bool> {
                    self.advance_flow_row(step).await
                }

                async fn fail_flow(&self, id: Uuid, expected_step: u32) -> StoreResult<u32> {
                    self.fail_flow_row(id, expected_step).await
                }

                async fn recovery_failures(
                    &self,
                    account: AccountId,
                    since: OffsetDateTime,
                ) -> StoreResult<u32> {
                    self.recovery_failures_since(account, since).await
                }

                async fn kba_answers(&self, account: AccountId) -> StoreResult<Vec<KbaAnswer>> {
                    self.kba_rows(account).await
                }

                async fn set_kba_answers(
                    &self,
                    account: AccountId,
                    answers: Vec<KbaAnswer>,
                    audit: AuditEvent,
                ) -> StoreResult<()> {
                    self.set_kba_rows(account, answers, audit).await
                }
            }
        };
    };
}
pub(crate) use forward_store;
