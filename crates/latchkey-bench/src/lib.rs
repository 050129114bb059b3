//! What the benchmarks share: a server on a database, throttle lifted, with the first
//! admin's password.

use anyhow::Context as _;
use latchkey_core::secret::ExposeSecret as _;
use latchkey_server::config::{Config, DatabaseUrl};
use latchkey_server::startup::Application;

/// Builds (does not yet run) a server on `database_url` on a free loopback port.
pub async fn build_server(
    database_url: String,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<(Application, String)> {
    let mut config = Config {
        listen: "127.0.0.1:0".parse()?,
        ..Default::default()
    };
    config.database.url = DatabaseUrl(database_url);
    config.throttle.per_ip_per_minute = 0;
    adjust(&mut config);
    let mut app = Application::build(config).await?;
    let admin_pw = app
        .initial_admin_password
        .take()
        .context("first admin")?
        .expose_secret()
        .to_owned();
    Ok((app, admin_pw))
}
