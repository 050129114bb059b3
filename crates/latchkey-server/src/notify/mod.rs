//! Notification delivery: a background worker claims due outbox messages, renders them
//! in the account's locale, and sends them over SMTP, retrying with back-off; an hourly
//! job queues `password-expiring` warnings.

mod templates;

pub use templates::{Templates, overridable};

use crate::config::{Config, SmtpTls};
use latchkey_core::Latchkey;
use latchkey_core::ops::Notification;
use latchkey_core::secret::ExposeSecret as _;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;

/// How long a claimed message is reserved for this worker before another may retry it.
const LEASE: Duration = Duration::from_secs(120);
const BATCH: u32 = 16;
const POLL: Duration = Duration::from_millis(250);
const EXPIRY_SCAN: Duration = Duration::from_secs(3600);

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
    templates: Templates,
    public_url: String,
    retry_initial: Duration,
    code_ttl_minutes: u64,
}

impl Mailer {
    /// `None` when no `smtp.host` is configured: then nothing is sent and the outbox keeps
    /// every message.
    pub fn from_config(config: &Config) -> anyhow::Result<Option<Self>> {
        let s = &config.smtp;
        let Some(host) = &s.host else { return Ok(None) };
        let builder = match s.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        };
        let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(20)));
        // `smtp.password_file` was read into `password` when the configuration loaded.
        let password = s.password.clone();
        if let Some(user) = &s.username {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.unwrap_or_default()));
        }
        let templates = Templates::new(config.templates.dir.clone());
        templates
            .check()
            .map_err(|e| anyhow::anyhow!("templates.dir: {e}"))?;
        Ok(Some(Self {
            transport: builder.build(),
            from: s
                .from
                .parse()
                .map_err(|e| anyhow::anyhow!("smtp.from: {e}"))?,
            templates,
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            retry_initial: s.retry_initial,
            code_ttl_minutes: config.recovery.code_ttl.as_secs().div_ceil(60),
        }))
    }

    fn compose(&self, n: &Notification) -> Result<Message, (String, bool)> {
        let account = n
            .account
            .as_ref()
            .ok_or(("the account no longer exists".to_owned(), true))?;
        // `email-changed` goes to the old address, carried in the message.
        let to = n
            .payload
            .get("to")
            .and_then(|v| v.as_str())
            .or(account.profile.email.as_deref())
            .ok_or(("the account has no e-mail address".to_owned(), true))?;
        let to: lettre::message::Mailbox = to
            .parse()
            .map_err(|e| (format!("bad address: {e}"), true))?;
        let (code, link) = match &n.recovery {
            Some((code, token)) => {
                let code = code.expose_secret().to_owned();
                let link = format!("{}/ui/recover?token={token}&code={code}", self.public_url);
                (Some(code), Some(link))
            }
            None if n.kind == "recovery-code" => {
                return Err((
                    "the sealed code cannot be opened (token keys changed?)".into(),
                    true,
                ));
            }
            None => (None, None),
        };
        let expires_at = n
            .payload
            .get("expiresAt")
            .and_then(|v| v.as_i64())
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .and_then(|t| t.format(&Rfc3339).ok());
        let ctx = minijinja::context! {
            user_name => account.user_name.as_str(),
            display_name => account.profile.display_name.clone().or_else(|| account.profile.given_name.clone()).unwrap_or_else(|| account.user_name.to_string()),
            code => code,
            link => link,
            valid_minutes => self.code_ttl_minutes,
            expires_at => expires_at,
            surface => n.payload.get("surface").and_then(|v| v.as_str()),
        };
        let theme = n.payload.get("themeId").and_then(|v| v.as_str());
        let r = self
            .templates
            .render(&n.kind, account.profile.locale.as_deref(), theme, ctx)
            .map_err(|e| (e, true))?;
        // The notification's own id: a retried delivery carries the same Message-ID, so a
        // receiver can tell a repeat from a second mail.
        let message_id = format!("<{}@{}>", n.id, self.from.email.domain());
        Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(to)
            .subject(r.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(r.body)
            .map_err(|e| (format!("cannot build the message: {e}"), true))
    }

    /// Delivers what is due; returns how many were sent.
    pub async fn deliver_due(&self, core: &Latchkey) -> anyhow::Result<usize> {
        let batch = core.claim_notifications(LEASE, BATCH).await?;
        let mut sent = 0;
        for n in &batch {
            let outcome = match self.compose(n) {
                Ok(message) => self
                    .transport
                    .send(message)
                    .await
                    .map_err(|e| (format!("SMTP: {e}"), e.is_permanent())),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(_) => {
                    core.notification_sent(n.id).await?;
                    metrics::counter!("latchkey_notifications_sent_total", "kind" => n.kind.clone()).increment(1);
                    sent += 1;
                }
                Err((error, permanent)) => {
                    tracing::warn!(kind = %n.kind, attempts = n.attempts + 1, permanent, %error, "notification not delivered");
                    metrics::counter!("latchkey_notification_failures_total").increment(1);
                    core.notification_failed(n, self.retry_initial, &error, permanent)
                        .await?;
                }
            }
        }
        Ok(sent)
    }
}

/// Runs the delivery worker (when SMTP is configured) and the expiry-warning job.
pub fn spawn(core: Arc<Latchkey>, mailer: Option<Mailer>) {
    let expiry_core = Arc::clone(&core);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EXPIRY_SCAN);
        loop {
            tick.tick().await;
            match expiry_core.queue_expiry_warnings().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(queued = n, "password-expiring warnings queued"),
                Err(e) => tracing::warn!(error = %e, "expiry warnings not queued"),
            }
        }
    });
    let Some(mailer) = mailer else {
        tracing::info!("smtp.host is not set: notifications stay in the outbox");
        return;
    };
    tokio::spawn(async move {
        loop {
            match mailer.deliver_due(&core).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notification worker"),
            }
            tokio::time::sleep(POLL).await;
        }
    });
}
