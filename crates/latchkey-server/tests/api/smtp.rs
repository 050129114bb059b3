//! A real SMTP server (Python aiosmtpd) on loopback; messages land as JSON files.
#![allow(dead_code)] // shared by the api and cli test binaries, each using part of it

use serde_json::Value;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn python() -> String {
    std::env::var("LK_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

impl SmtpSink {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script: PathBuf = [
            env!("CARGO_MANIFEST_DIR"),
            "tests",
            "support",
            "smtp_sink.py",
        ]
        .iter()
        .collect();
        let mut child = Command::new(python())
            .arg(&script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python for the SMTP sink (run the tests with scripts/test.sh)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "aiosmtpd did not start: is it installed? (scripts/test.sh installs it)"
        );
        Self { child, port, dir }
    }

    pub fn messages(&self) -> Vec<Value> {
        let mut out: Vec<(std::time::SystemTime, Value)> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .map(|e| {
                (
                    e.metadata().unwrap().modified().unwrap(),
                    serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap(),
                )
            })
            .collect();
        out.sort_by_key(|(t, _)| *t);
        out.into_iter().map(|(_, v)| v).collect()
    }

    /// Waits for the `n`-th message to `to` (1-based).
    pub async fn wait_for(&self, to: &str, n: usize) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mine: Vec<Value> = self
                .messages()
                .into_iter()
                .filter(|m| m["to"][0] == to)
                .collect();
            if mine.len() >= n {
                return mine[n - 1].clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message {n} to {to}; got {:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The eight-digit code in a recovery mail.
pub fn code_in(mail: &Value) -> String {
    let body = mail["body"].as_str().unwrap();
    body.split_whitespace()
        .find(|w| w.len() == 8 && w.chars().all(|c| c.is_ascii_digit()))
        .expect("a code in the mail")
        .to_owned()
}

/// The link in a recovery mail.
pub fn link_in(mail: &Value) -> String {
    let body = mail["body"].as_str().unwrap();
    body.split_whitespace()
        .find(|w| w.starts_with("http"))
        .expect("a link in the mail")
        .to_owned()
}
