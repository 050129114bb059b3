//! Latchkey's server: configuration, start-up, CLI and the HTTP surfaces, each a thin
//! translator over `latchkey_core`.

pub mod breached;
pub mod cli;
pub mod client_ip;
pub mod config;
mod config_errors;
pub mod directory;
pub mod http;
pub mod import;
mod locale;
mod metrics_catalog;
pub mod notify;
pub mod policy_files;
pub mod progress;
pub mod startup;
pub mod telemetry;
pub mod throttle;
