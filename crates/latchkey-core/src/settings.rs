//! The settings the core operations obey (built by the server from its configuration).

use crate::hashing::HashingParams;
pub use crate::policy::PolicySettings;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct LockoutSettings {
    pub max_failures: u32,
    pub window: Duration,
    pub duration: Duration,
}

impl Default for LockoutSettings {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: Duration::from_secs(900),
            duration: Duration::from_secs(900),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CoreSettings {
    pub hashing: HashingParams,
    pub hash_max_concurrent: usize,
    pub hash_max_queue: usize,
    pub lockout: LockoutSettings,
    pub session_ttl: Duration,
    pub reset_strict: bool,
    pub policy: PolicySettings,
    pub dn_template: String,
    pub recovery: crate::recovery::RecoverySettings,
    /// How long delivered notifications are kept (`outbox.keep`).
    pub outbox_keep: Duration,
    /// How long audit events are kept (`audit.retention`); `None`: forever.
    pub audit_retention: Option<Duration>,
}

impl Default for CoreSettings {
    fn default() -> Self {
        Self {
            hashing: HashingParams::default(),
            hash_max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get()),
            hash_max_queue: 64,
            lockout: LockoutSettings::default(),
            session_ttl: Duration::from_secs(8 * 3600),
            reset_strict: false,
            policy: PolicySettings::default(),
            dn_template: "uid={userName},ou=People,dc=example,dc=com".to_owned(),
            recovery: crate::recovery::RecoverySettings::default(),
            outbox_keep: Duration::from_secs(7 * 86_400),
            audit_retention: Some(Duration::from_secs(400 * 86_400)),
        }
    }
}
