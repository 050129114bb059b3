//! A throwaway OpenLDAP `slapd` with the `ppolicy` overlay, for this and other crates'
//! tests: started on a free loopback port in a temporary folder, stopped when dropped.
//! `LK_REQUIRE_SLAPD=1` (CI) turns "slapd is not installed" into a failure.

pub mod samba;

use crate::DirectoryConfig;
use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=example,dc=com";
pub const PEOPLE: &str = "ou=People,dc=example,dc=com";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=com";
pub const ROOT_PW: &str = "root-secret";
pub const SERVICE_DN: &str = "cn=latchkey,ou=services,dc=example,dc=com";
pub const SERVICE_PW: &str = "service-secret";
/// The decoy entry unknown names bind to (a password nobody knows).
pub const DECOY_DN: &str = "cn=latchkey-decoy,ou=services,dc=example,dc=com";
pub const HELPDESK_GROUP: &str = "cn=helpdesk,ou=groups,dc=example,dc=com";
pub const ADMIN_GROUP: &str = "cn=admins,ou=groups,dc=example,dc=com";

/// The directory's own policy: at least 8 characters, the last 3 remembered, locked
/// after 5 failures, must change after an administrator's reset.
const BASE: &str = "dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=People,dc=example,dc=com
objectClass: organizationalUnit
ou: People

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: ou=policies,dc=example,dc=com
objectClass: organizationalUnit
ou: policies

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: cn=latchkey,ou=services,dc=example,dc=com
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: latchkey
userPassword: service-secret

dn: cn=latchkey-decoy,ou=services,dc=example,dc=com
objectClass: inetOrgPerson
cn: latchkey-decoy
sn: Decoy
uid: latchkey-decoy
givenName: latchkey-decoy
mail: latchkey-decoy@example.com
userPassword: decoy-7f3a9c1e5b2d8f40a6c4e1b97d3f5a28

dn: cn=default,ou=policies,dc=example,dc=com
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdMinLength: 8
pwdInHistory: 3
pwdLockout: TRUE
pwdMaxFailure: 5
pwdMustChange: TRUE
pwdAllowUserChange: TRUE
pwdSafeModify: FALSE
pwdCheckQuality: 1
";

pub struct Slapd {
    /// `ldap://127.0.0.1:PORT` (StartTLS offered when started with TLS).
    pub url: String,
    /// With TLS: `ldaps://localhost:PORT` and the PEM file of the CA that signed its
    /// certificate (for `localhost` and 127.0.0.1).
    pub ldaps: Option<(String, std::path::PathBuf)>,
    dir: tempfile::TempDir,
    port: u16,
    tls_port: Option<u16>,
    child: Option<Child>,
    serial: std::sync::atomic::AtomicU32,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A CA and a server certificate it signed (for `localhost` and 127.0.0.1), made with
/// the `openssl` tool: `(ca.pem, server.pem, server.key)` in `dir`.
/// Runs an OpenLDAP client tool (`ldapadd`, `ldapmodify`) bound as `who` against `url`
/// with `ldif` on its input, trusting `ca` (a PEM file) if given; panics if it fails.
pub(crate) fn run_ldap_tool(
    tool: &str,
    url: &str,
    who: (&str, &str),
    ca: Option<&std::path::Path>,
    ldif: &str,
) {
    let mut command = Command::new(tool);
    command.args(["-x", "-H", url, "-D", who.0, "-w", who.1]);
    if let Some(ca) = ca {
        command.env("LDAPTLS_CACERT", ca);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ldif.as_bytes())
        .expect("ldif written");
    let out = child.wait_with_output().expect("the tool ends");
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn certificates(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Latchkey Test CA",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .expect("ext.cnf");
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

fn installed() -> bool {
    Command::new("slapd")
        .arg("-VV")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl Slapd {
    /// A fresh directory, or `None` when slapd is not installed (unless required).
    pub fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// The same, also offering TLS: StartTLS on `url`, and `ldaps`.
    pub fn start_with_tls() -> Option<Self> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Option<Self> {
        if !installed() {
            assert!(
                std::env::var("LK_REQUIRE_SLAPD").as_deref() != Ok("1"),
                "LK_REQUIRE_SLAPD=1 but slapd is not installed"
            );
            eprintln!("!! SKIPPED: slapd is not installed (apt-get install slapd ldap-utils)");
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = free_port();
        let tls_port = tls.then(free_port);
        let tls_conf = if tls {
            certificates(dir.path());
            let p = |f: &str| dir.path().join(f).display().to_string();
            format!(
                "TLSCACertificateFile {}\nTLSCertificateFile {}\nTLSCertificateKeyFile {}\n",
                p("ca.pem"),
                p("server.pem"),
                p("server.key")
            )
        } else {
            String::new()
        };
        let db = dir.path().join("db");
        std::fs::create_dir(&db).expect("the database folder");
        let conf = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
{tls_conf}modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {pid}
database mdb
suffix \"{SUFFIX}\"
rootdn \"{ROOT_DN}\"
rootpw {ROOT_PW}
directory {db}
maxsize 104857600
limits dn.exact=\"{SERVICE_DN}\" size.prtotal=unlimited
overlay ppolicy
ppolicy_default \"cn=default,ou=policies,{SUFFIX}\"
ppolicy_use_lockout
access to attrs=userPassword by dn.exact=\"{SERVICE_DN}\" manage by self write by anonymous auth by * none
access to * by dn.exact=\"{SERVICE_DN}\" manage by self read by users read by * none
",
            pid = dir.path().join("slapd.pid").display(),
            db = db.display(),
        );
        let conf_path = dir.path().join("slapd.conf");
        std::fs::write(&conf_path, conf).expect("slapd.conf");
        let ldaps = tls_port.map(|p| (format!("ldaps://localhost:{p}"), dir.path().join("ca.pem")));
        let mut s = Self {
            url: format!("ldap://127.0.0.1:{port}"),
            ldaps,
            dir,
            port,
            tls_port,
            child: None,
            serial: Default::default(),
        };
        s.run();
        s.ldap("ldapadd", BASE);
        Some(s)
    }

    /// Starts slapd (again) on the same port and data, in the foreground as a child.
    pub fn run(&mut self) {
        let mut listen = format!("ldap://127.0.0.1:{}/", self.port);
        if let Some(p) = self.tls_port {
            listen.push_str(&format!(" ldaps://127.0.0.1:{p}/"));
        }
        let child = Command::new("slapd")
            .args(["-d", "0", "-f"])
            .arg(self.dir.path().join("slapd.conf"))
            .args(["-h", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "slapd did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops slapd (a directory outage); [`Slapd::run`] brings it back.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Freezes slapd (`SIGSTOP`): connections are accepted by the kernel, nothing answers.
    pub fn freeze(&self, frozen: bool) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let ok = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill {signal} {pid}");
        // The signal is sent, not yet taken: wait until the process state says so.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit(") ").next().and_then(|r| r.chars().next());
            if matches!(state, Some('T' | 't')) == frozen {
                return;
            }
            assert!(Instant::now() < deadline, "slapd did not take {signal}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The service account's configuration.
    pub fn config(&self) -> DirectoryConfig {
        let mut c = DirectoryConfig::new(&self.url, SERVICE_DN, SERVICE_PW, PEOPLE);
        c.roles.helpdesk = Some(HELPDESK_GROUP.into());
        c.roles.admin = Some(ADMIN_GROUP.into());
        c.decoy_dn = Some(DECOY_DN.into());
        c
    }

    /// Runs `ldapadd`/`ldapmodify` as the root DN with `ldif` on stdin.
    pub fn ldap(&self, tool: &str, ldif: &str) {
        run_ldap_tool(tool, &self.url, (ROOT_DN, ROOT_PW), None, ldif);
    }

    /// A fresh person (a unique uid from `prefix`) with `password` and a mail address;
    /// returns `(uid, dn)`.
    pub fn add_person(&self, prefix: &str, password: &str) -> (String, String) {
        let n = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let uid = format!("{prefix}{n}");
        let dn = format!("uid={uid},{PEOPLE}");
        self.ldap(
            "ldapadd",
            &format!(
                "dn: {dn}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid} Person\nsn: Person\ngivenName: {uid}\nmail: {uid}@example.com\nuserPassword: {password}\n"
            ),
        );
        (uid, dn)
    }

    /// A group of `members` at `dn` (`cn=...,ou=groups,...`).
    pub fn add_group(&self, dn: &str, members: &[&str]) {
        let cn = dn
            .split(',')
            .next()
            .and_then(|r| r.strip_prefix("cn="))
            .expect("a cn= group DN");
        let mut ldif = format!("dn: {dn}\nobjectClass: groupOfNames\ncn: {cn}\n");
        for m in members {
            ldif.push_str(&format!("member: {m}\n"));
        }
        self.ldap("ldapadd", &ldif);
    }

    /// Whether an entry is at `dn` (read as the root DN by `ldapsearch`).
    pub fn exists(&self, dn: &str) -> bool {
        Command::new("ldapsearch")
            .args(["-x", "-H", &self.url, "-D", ROOT_DN, "-w", ROOT_PW])
            .args(["-b", dn, "-s", "base", "1.1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("ldapsearch runs")
            .success()
    }

    /// Whether `ldapwhoami` — a client independent of Latchkey — binds as `dn`.
    pub fn whoami(&self, dn: &str, password: &str) -> bool {
        Command::new("ldapwhoami")
            .args(["-x", "-H", &self.url, "-D", dn, "-w", password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("ldapwhoami runs")
            .success()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
