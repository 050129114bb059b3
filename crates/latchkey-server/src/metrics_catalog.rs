//! Every metric Latchkey exports, with its HELP text, registered at start so that each
//! counter and gauge is present at zero (an alert sees 0, not "no data"); the request
//! histogram's buckets; and the process metrics. `docs/operations.md` lists the same.

use metrics::Label;

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

struct Metric {
    name: &'static str,
    kind: Kind,
    help: &'static str,
    /// The label sets registered at zero (one empty set for an unlabelled metric).
    zero: &'static [&'static [(&'static str, &'static str)]],
}

const NONE: &[&[(&str, &str)]] = &[&[]];

const METRICS: &[Metric] = &[
    Metric {
        name: "http_requests_total",
        kind: Kind::Counter,
        help: "HTTP requests answered, by method, route template and status",
        zero: &[],
    },
    Metric {
        name: "http_request_duration_seconds",
        kind: Kind::Histogram,
        help: "Time to answer an HTTP request, by surface and status class",
        zero: &[],
    },
    Metric {
        name: "latchkey_sign_ins_total",
        kind: Kind::Counter,
        help: "Sign-ins and other password proofs, by outcome",
        zero: &[&[("outcome", "success")], &[("outcome", "failure")]],
    },
    Metric {
        name: "latchkey_password_writes_total",
        kind: Kind::Counter,
        help: "Passwords changed or reset, by kind",
        zero: &[
            &[("kind", "password.change")],
            &[("kind", "password.reset")],
        ],
    },
    Metric {
        name: "latchkey_policy_refusals_total",
        kind: Kind::Counter,
        help: "New passwords the policy refused",
        zero: NONE,
    },
    Metric {
        name: "latchkey_account_locks_total",
        kind: Kind::Counter,
        help: "Accounts locked by consecutive failed proofs",
        zero: NONE,
    },
    Metric {
        name: "latchkey_hash_pool_rejections_total",
        kind: Kind::Counter,
        help: "Requests answered 503 because the hashing queue was full",
        zero: NONE,
    },
    Metric {
        name: "latchkey_hash_queue_depth",
        kind: Kind::Gauge,
        help: "Requests waiting for a hashing thread",
        zero: NONE,
    },
    Metric {
        name: "latchkey_hash_in_flight",
        kind: Kind::Gauge,
        help: "Hashing jobs running",
        zero: NONE,
    },
    Metric {
        name: "latchkey_recovery_flows_total",
        kind: Kind::Counter,
        help: "Recovery flows started, completed and failed",
        zero: &[
            &[("outcome", "started")],
            &[("outcome", "completed")],
            &[("outcome", "failed")],
        ],
    },
    Metric {
        name: "latchkey_recovery_mails_held_total",
        kind: Kind::Counter,
        help: "Recovery code mails held back over a mail budget",
        zero: NONE,
    },
    Metric {
        name: "latchkey_notifications_sent_total",
        kind: Kind::Counter,
        help: "Notification mails delivered, by kind",
        zero: &[
            &[("kind", "password-changed")],
            &[("kind", "password-reset")],
            &[("kind", "recovery-code")],
            &[("kind", "password-expiring")],
        ],
    },
    Metric {
        name: "latchkey_notification_failures_total",
        kind: Kind::Counter,
        help: "Failed notification delivery attempts (retried with back-off)",
        zero: NONE,
    },
    Metric {
        name: "latchkey_outbox_backlog",
        kind: Kind::Gauge,
        help: "Notifications written and not yet delivered (given-up ones excluded)",
        zero: NONE,
    },
    Metric {
        name: "latchkey_outbox_oldest_age_seconds",
        kind: Kind::Gauge,
        help: "Age of the oldest undelivered notification (0 when none)",
        zero: NONE,
    },
    Metric {
        name: "latchkey_connections_refused_total",
        kind: Kind::Counter,
        help: "Connections closed on arrival over http.max_connections or http.max_connections_per_ip",
        zero: &[
            &[("reason", "max_connections")],
            &[("reason", "max_connections_per_ip")],
        ],
    },
    Metric {
        name: "latchkey_build_info",
        kind: Kind::Gauge,
        help: "Always 1, labelled with the running version",
        zero: &[],
    },
];

/// Request-duration buckets, in seconds: from a cached page to a queued hash.
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The recorder's configuration: real histogram buckets for request durations.
pub fn builder() -> metrics_exporter_prometheus::PrometheusBuilder {
    let b = metrics_exporter_prometheus::PrometheusBuilder::new();
    let matcher =
        metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into());
    match b.set_buckets_for_metric(matcher, DURATION_BUCKETS) {
        Ok(b) => b,
        // Only for an empty bucket list, which this is not.
        Err(_) => metrics_exporter_prometheus::PrometheusBuilder::new(),
    }
}

/// HELP texts, every series at zero, the build info, the process metrics' HELP.
pub fn register(process: &metrics_process::Collector) {
    for m in METRICS {
        match m.kind {
            Kind::Counter => metrics::describe_counter!(m.name, m.help),
            Kind::Gauge => metrics::describe_gauge!(m.name, m.help),
            Kind::Histogram => metrics::describe_histogram!(m.name, m.help),
        }
        for labels in m.zero {
            let labels: Vec<Label> = labels.iter().map(|(k, v)| Label::new(*k, *v)).collect();
            match m.kind {
                Kind::Counter => metrics::counter!(m.name, labels).absolute(0),
                Kind::Gauge => metrics::gauge!(m.name, labels).set(0.0),
                Kind::Histogram => {}
            }
        }
    }
    metrics::gauge!("latchkey_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    process.describe();
}
