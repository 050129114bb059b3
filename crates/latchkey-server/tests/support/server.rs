//! `latchkey` processes for the binary tests: a command with cheap hashing and JSON
//! logs, and a running `serve` whose address is read from its "listening" log line.
#![allow(dead_code)] // shared by the cli and nodes test binaries, each using part of it

use serde_json::Value;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_latchkey");

pub fn latchkey(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("RUST_LOG")
        .env("LATCHKEY_HASHING__MEMORY_KIB", "64")
        .env("LATCHKEY_HASHING__ITERATIONS", "1")
        .env("LATCHKEY_LISTEN", "127.0.0.1:0")
        .env("LATCHKEY_LOG__FORMAT", "json");
    c
}

/// A running `latchkey serve`, its output collected as it comes.
pub struct Server {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pub base: String,
}

impl Server {
    pub fn start(dir: &Path, rust_log: &str) -> Self {
        Self::start_with(dir, rust_log, &[])
    }

    pub fn start_with(dir: &Path, rust_log: &str, env: &[(&str, String)]) -> Self {
        let mut child = latchkey(dir)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .arg("serve")
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        for (pipe, sink) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
                stdout.clone(),
            ),
            (Box::new(child.stderr.take().unwrap()), stderr.clone()),
        ] {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut s = sink.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let found = stdout
                .lock()
                .unwrap()
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|l| l["message"] == "listening")
                .and_then(|l| l["address"].as_str().map(str::to_owned));
            if let Some(addr) = found {
                break format!("http://{addr}");
            }
            assert!(
                Instant::now() < deadline,
                "server did not start: {}",
                stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Self {
            child,
            stdout,
            stderr,
            base,
        }
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit: its exit status,
    /// or `None` if it is still running then.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn output(&self) -> (String, String) {
        (
            self.stdout.lock().unwrap().clone(),
            self.stderr.lock().unwrap().clone(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `run` with extra environment (configuration keys).
pub fn run_with(
    dir: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut child = latchkey(dir)
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
