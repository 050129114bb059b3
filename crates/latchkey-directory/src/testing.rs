//! A throwaway OpenLDAP `slapd` with the `ppolicy` overlay, for this and other crates'
//! tests: started on a free loopback port in a temporary folder, stopped when dropped.
//! `LK_REQUIRE_SLAPD=1` (CI) turns "slapd is not installed" into a failure.

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
    pub url: String,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    serial: std::sync::atomic::AtomicU32,
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
        if !installed() {
            assert!(
                std::env::var("LK_REQUIRE_SLAPD").as_deref() != Ok("1"),
                "LK_REQUIRE_SLAPD=1 but slapd is not installed"
            );
            eprintln!("!! SKIPPED: slapd is not installed (apt-get install slapd ldap-utils)");
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let db = dir.path().join("db");
        std::fs::create_dir(&db).expect("the database folder");
        let conf = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {pid}
database mdb
suffix \"{SUFFIX}\"
rootdn \"{ROOT_DN}\"
rootpw {ROOT_PW}
directory {db}
maxsize 104857600
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
        let mut s = Self {
            url: format!("ldap://127.0.0.1:{port}"),
            dir,
            port,
            child: None,
            serial: Default::default(),
        };
        s.run();
        s.ldap("ldapadd", BASE);
        Some(s)
    }

    /// Starts slapd (again) on the same port and data, in the foreground as a child.
    pub fn run(&mut self) {
        let child = Command::new("slapd")
            .args(["-d", "0", "-f"])
            .arg(self.dir.path().join("slapd.conf"))
            .args(["-h", &format!("ldap://127.0.0.1:{}/", self.port)])
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

    /// The service account's configuration.
    pub fn config(&self) -> DirectoryConfig {
        let mut c = DirectoryConfig::new(&self.url, SERVICE_DN, SERVICE_PW, PEOPLE);
        c.roles.helpdesk = Some(HELPDESK_GROUP.into());
        c.roles.admin = Some(ADMIN_GROUP.into());
        c
    }

    /// Runs `ldapadd`/`ldapmodify` as the root DN with `ldif` on stdin.
    pub fn ldap(&self, tool: &str, ldif: &str) {
        let mut child = Command::new(tool)
            .args(["-x", "-H", &self.url, "-D", ROOT_DN, "-w", ROOT_PW])
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
