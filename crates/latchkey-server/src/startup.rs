//! The composition root: config → store → core → HTTP, bound to a port (0 in tests).

use crate::config::Config;
use crate::directory::Sources;
use crate::http::{self, AppState};
use crate::throttle::Throttle;
use anyhow::Context as _;
use latchkey_core::Latchkey;
use latchkey_core::audit::RequestContext;
use latchkey_core::clock::{Clock, SystemClock};
use latchkey_core::secret::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
    /// The generated password of the `admin` account created on first start.
    pub initial_admin_password: Option<SecretString>,
    mailer: Option<crate::notify::Mailer>,
    sources: Sources,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("configuration: {e:#}"))?;
        let store = latchkey_store::open(config.database.url.expose(), &config.database.pool())
            .await
            .with_context(|| format!("opening the store {:?}", config.database.url))?;
        let sources = Sources::open(&config.directory, store, Arc::clone(&clock)).await?;
        let core = Latchkey::new(
            sources.ports.clone(),
            clock,
            config.core_settings(),
            &crate::policy_files::DiskPolicyFiles::default(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("starting the core: {e}"))?;
        if config.recovery.validate().unwrap_or(false) {
            tracing::warn!(
                "recovery.allow_kba_without_email is on: security questions are accepted without a proof of mailbox ownership; this is weaker than e-mail recovery"
            );
        }
        let mailer = crate::notify::Mailer::from_config(&config)?;
        let ui = Arc::new(crate::http::ui::Site::from_config(&config)?);
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        // Last, once nothing else can fail: a start that stops earlier creates no admin
        // whose password nobody saw.
        let initial_admin_password = core
            .ensure_initial_admin(&RequestContext::cli())
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {e}"))?;
        let core = Arc::new(core);
        let per_minute = config.throttle.per_ip_per_minute;
        // Several nodes share one PostgreSQL database: they share the budget there too.
        let throttle = if config.database.url.expose().starts_with("sqlite:") {
            Throttle::per_minute(per_minute)
        } else {
            Throttle::shared(Arc::clone(&core), per_minute)
        };
        let state = AppState {
            core,
            throttle: Arc::new(throttle),
            config: Arc::new(config),
            metrics: crate::telemetry::metrics_handle(),
            ui,
        };
        Ok(Self {
            router: http::router(state.clone()),
            listener,
            state,
            initial_admin_password,
            mailer,
            sources,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| self.state.config.listen)
    }

    pub fn core(&self) -> Arc<Latchkey> {
        Arc::clone(&self.state.core)
    }

    /// Serves until the process is asked to stop (Ctrl-C or SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        crate::notify::spawn(Arc::clone(&self.state.core), self.mailer);
        self.sources.spawn_intent_resolver();
        spawn_housekeeping(
            Arc::clone(&self.state.core),
            self.state.config.housekeeping.interval,
        );
        let throttle = Arc::clone(&self.state.throttle);
        let ui = Arc::clone(&self.state.ui);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                throttle.forget_idle();
                ui.checks.forget_idle();
            }
        });
        // Adaxes paths are case-insensitive: their prefix is lowercased before routing.
        let app = tower::ServiceBuilder::new()
            .map_request(crate::http::adaxes::lowercase_prefix)
            .service(self.router);
        if let Some(addr) = self.state.config.metrics.listen {
            let listener = TcpListener::bind(addr).await?;
            let metrics = crate::http::ops::metrics_router(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
            tracing::info!(address = %addr, "metrics listening");
        }
        let limits = crate::http::serve::Limits::from(&self.state.config.http);
        crate::http::serve::serve(self.listener, app, limits, shutdown_signal()).await;
        Ok(())
    }
}

/// Sweeps expired records every `interval` (the first sweep one interval after start; on
/// PostgreSQL one node at a time).
fn spawn_housekeeping(core: Arc<Latchkey>, interval: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        loop {
            tick.tick().await;
            match core.housekeep().await {
                Ok(Some(r)) => tracing::info!(
                    sessions = r.sessions,
                    recovery_flows = r.flows,
                    outbox = r.outbox,
                    audit_events = r.audit,
                    "housekeeping swept"
                ),
                Ok(None) => tracing::debug!("housekeeping: another node is sweeping"),
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; retried next interval"),
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
