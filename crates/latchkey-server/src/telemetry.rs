//! Logging: `tracing`, pretty on a terminal, JSON otherwise (`log.format`), filter from
//! `RUST_LOG` (default `info`; audit events, target `audit`, at INFO whatever the level). Secrets never reach a log line: no handler or core
//! operation logs a request body, and secret types print as `[redacted]`.

use crate::config::LogFormat;
use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Audit events reach the log stream at INFO whatever the level (unless RUST_LOG
    // says otherwise for the `audit` target itself).
    let names_audit = std::env::var("RUST_LOG").is_ok_and(|v| v.contains("audit"));
    let filter = match "audit=info".parse() {
        Ok(directive) if !names_audit => filter.add_directive(directive),
        _ => filter,
    };
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// Installs the Prometheus recorder once per process (every metric described and present
/// at zero: `metrics_catalog`) and returns its handle.
pub fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = crate::metrics_catalog::builder().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed; then our handle still renders ours.
            let _ = metrics::set_global_recorder(recorder);
            crate::metrics_catalog::register(process_metrics());
            handle
        })
        .clone()
}

/// The process metrics (CPU, memory, file descriptors, start time), collected at scrape.
pub fn process_metrics() -> &'static metrics_process::Collector {
    static COLLECTOR: std::sync::OnceLock<metrics_process::Collector> = std::sync::OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}
