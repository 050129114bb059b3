//! Real databases for tests (feature `testing`): a fresh database per test on the store
//! the run selects, and throwaway PostgreSQL clusters.
//!
//! `LK_TEST_STORE=postgres` runs a suite on PostgreSQL: each [`TestDb`] is then a new
//! database on the server named by `LK_TEST_POSTGRES_URL`, dropped when the test ends.
//! Without it, each is a new SQLite file in a temporary directory. (`LATCHKEY_*` names
//! are configuration keys, hence the `LK_` prefix.)

use sqlx::AssertSqlSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Which store the test run exercises.
pub fn selected_store() -> &'static str {
    match std::env::var("LK_TEST_STORE").as_deref() {
        Ok("postgres") => "postgres",
        Ok("sqlite") | Err(_) => "sqlite",
        Ok(other) => panic!("LK_TEST_STORE={other:?}: expected sqlite or postgres"),
    }
}

/// A database of its own for one test.
pub struct TestDb {
    url: String,
    postgres: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl TestDb {
    /// A fresh database on the selected store.
    pub async fn new() -> Self {
        if selected_store() == "postgres" {
            let server = std::env::var("LK_TEST_POSTGRES_URL").expect(
                "LK_TEST_STORE=postgres needs LK_TEST_POSTGRES_URL (scripts/test.sh sets both)",
            );
            Self::postgres(&server).await
        } else {
            Self::sqlite()
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        Self {
            url,
            postgres: None,
            dir,
        }
    }

    /// A new database on the PostgreSQL server at `server` (any database URL on it).
    pub async fn postgres(server: &str) -> Self {
        let name = format!("lk_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx_connect(server).await;
        // The name is ours (a UUID's hex digits), never input.
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        Self {
            url: with_database(server, &name),
            postgres: Some((server.to_owned(), name)),
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The directory a test may write files into, next to a SQLite database.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async {
                let mut admin = sqlx_connect(&server).await;
                let _ = sqlx::raw_sql(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
            });
        })
        .join();
    }
}

async fn sqlx_connect(url: &str) -> sqlx::PgConnection {
    <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test PostgreSQL server: {e}"))
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A PostgreSQL cluster of its own (`initdb` into a temporary directory, its own port,
/// trust authentication), stopped and removed when dropped. As root, the server runs as
/// the `postgres` user, since `initdb` and `pg_ctl` refuse root.
pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    dir: tempfile::TempDir,
}

impl PgCluster {
    /// The directory of `initdb` and `pg_ctl`, if PostgreSQL's server binaries are here.
    pub fn binaries() -> Option<PathBuf> {
        let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .collect();
        candidates.sort();
        candidates
            .into_iter()
            .rev()
            .find(|b| b.join("initdb").exists())
    }

    pub fn start() -> std::io::Result<Self> {
        let bin = Self::binaries().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no PostgreSQL server binaries under /usr/lib/postgresql",
            )
        })?;
        let dir = tempfile::tempdir()?;
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let cluster = Self {
            data: dir.path().join("data"),
            bin,
            port,
            dir,
        };
        run(cluster
            .command("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&cluster.data))?;
        cluster.resume()?;
        Ok(cluster)
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once (connections are cut, as in a crash or an outage).
    pub fn pause(&self) -> std::io::Result<()> {
        run(self
            .command("pg_ctl")
            .args(["-w", "-m", "immediate", "stop", "-D"])
            .arg(&self.data))
    }

    /// Starts the server (again) on the same port and data.
    pub fn resume(&self) -> std::io::Result<()> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        run(self
            .command("pg_ctl")
            .args(["-w", "-t", "60", "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "start", "-D"])
            .arg(&self.data))
    }

    fn command(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pause();
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn run(cmd: &mut Command) -> std::io::Result<()> {
    let out = cmd.output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://u@h:5/postgres", "x"),
            "postgres://u@h:5/x"
        );
        assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
