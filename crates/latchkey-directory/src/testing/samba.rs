//! A throwaway Active Directory: Samba 4 as a domain controller, provisioned into a
//! temporary folder once per test process and shared by its tests (AD's LDAP ports are
//! fixed, 389 and 636, so one runs per machine at a time). It stops when the process
//! that started it ends: Samba in interactive mode exits when its standard input closes,
//! and that input is a pipe this process holds. `LK_REQUIRE_SAMBA=1` (CI) turns "Samba
//! is not installed" into a failure.
//!
//! What it holds: `OU=People` (the user base), the service account `latchkey-svc` in
//! `OU=Services` with only the rights docs/directory.md asks for (Reset Password, write
//! `pwdLastSet` and `lockoutTime`, on users under `OU=People`), a decoy user there too,
//! and two role groups, helpdesk through a nested group. The domain's policy: at least 7
//! characters with AD's complexity rule, 24 remembered, no minimum age, locked after 10
//! failures.

use crate::{DirectoryConfig, DirectoryKind};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const BASE: &str = "DC=example,DC=com";
pub const PEOPLE: &str = "OU=People,DC=example,DC=com";
pub const ADMIN_UPN: &str = "Administrator@example.com";
pub const ADMIN_PW: &str = "Admin-Secret-2026!";
pub const SERVICE_DN: &str = "CN=latchkey-svc,OU=Services,DC=example,DC=com";
pub const SERVICE_PW: &str = "Svc-Secret-2026!";
/// The decoy user unknown names bind to (a password nobody knows).
pub const DECOY_DN: &str = "CN=latchkey-decoy,OU=People,DC=example,DC=com";
/// Members of `tier1` are helpdesk through it (a nested group).
pub const HELPDESK_GROUP: &str = "CN=helpdesk,OU=Groups,DC=example,DC=com";
pub const TIER1_GROUP: &str = "CN=tier1,OU=Groups,DC=example,DC=com";
pub const ADMIN_GROUP: &str = "CN=latchkey-admins,OU=Groups,DC=example,DC=com";

/// The schema GUIDs of the rights the service account is given.
const USER_CLASS: &str = "bf967aba-0de6-11d0-a285-00aa003049e2";
const RESET_PASSWORD: &str = "00299570-246d-11d0-a768-00aa006e0529";
const PWD_LAST_SET: &str = "bf967a0a-0de6-11d0-a285-00aa003049e2";
const LOCKOUT_TIME: &str = "28630ebf-41d5-11d1-a9c1-0000f80367c1";

pub struct SambaDc {
    /// `ldaps://127.0.0.1:636`.
    pub url: String,
    /// The CA of the DC's certificate (for `localhost`).
    pub ca_file: PathBuf,
    serial: AtomicU32,
    /// The DC's database and the service account's SID (for [`Self::grant_service_rights`]).
    sam: String,
    service_sid: String,
    /// Samba's standard input: closed when this process ends, and Samba with it.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

fn installed() -> bool {
    Command::new("samba")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A password as `unicodePwd` takes it in LDIF (base64 of the quoted UTF-16LE).
pub fn unicode_pwd_ldif(password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(crate::active_directory::unicode_pwd(password))
}

impl SambaDc {
    /// The process's domain controller, started on first use; `None` when Samba is not
    /// installed (unless required).
    pub fn shared() -> Option<&'static SambaDc> {
        static DC: OnceLock<Option<SambaDc>> = OnceLock::new();
        DC.get_or_init(|| {
            if !installed() {
                assert!(
                    std::env::var("LK_REQUIRE_SAMBA").as_deref() != Ok("1"),
                    "LK_REQUIRE_SAMBA=1 but Samba is not installed"
                );
                eprintln!("!! SKIPPED: Samba is not installed (apt-get install samba ldap-utils)");
                return None;
            }
            Some(Self::start())
        })
        .as_ref()
    }

    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("latchkey-samba-")
            .tempdir()
            .expect("a temporary folder")
            .keep();
        let d = dir.display().to_string();
        run(
            "samba-tool",
            &[
                "domain",
                "provision",
                "--realm=EXAMPLE.COM",
                "--domain=EXAMPLE",
                "--server-role=dc",
                "--dns-backend=NONE",
                "--use-rfc2307",
                &format!("--adminpass={ADMIN_PW}"),
                &format!("--targetdir={d}"),
                "--option=interfaces=lo",
                "--option=bind interfaces only=yes",
            ],
        );
        super::certificates(&dir);
        configure(&dir);
        let sam = dir.join("private/sam.ldb").display().to_string();
        let tool = |args: &[&str]| {
            let mut all = args.to_vec();
            all.extend(["-H", &sam]);
            run("samba-tool", &all)
        };
        tool(&["ou", "add", "OU=People"]);
        tool(&["ou", "add", "OU=Services"]);
        tool(&["ou", "add", "OU=Groups"]);
        tool(&[
            "user",
            "add",
            "latchkey-svc",
            SERVICE_PW,
            "--userou=OU=Services",
        ]);
        let sid = tool(&["user", "show", "latchkey-svc", "--attributes=objectSid"])
            .lines()
            .find_map(|l| l.strip_prefix("objectSid: ").map(str::to_owned))
            .expect("the service account's SID");
        grant_service_rights(&sam, &sid, PEOPLE);
        // The DC of a test process that just ended may still be letting go of the ports.
        let free_by = Instant::now() + Duration::from_secs(30);
        while listening() && Instant::now() < free_by {
            std::thread::sleep(Duration::from_millis(200));
        }
        let (mut child, stdin) = launch(&dir);
        let deadline = Instant::now() + Duration::from_secs(60);
        let url = "ldaps://127.0.0.1:636".to_owned();
        let dc = loop {
            if listening() {
                break Self {
                    url,
                    ca_file: dir.join("ca.pem"),
                    serial: AtomicU32::new(0),
                    sam: sam.clone(),
                    service_sid: sid.clone(),
                    _stdin: Mutex::new(stdin),
                    _child: Mutex::new(child),
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(dir.join("samba.log")).unwrap_or_default();
                panic!("samba ended ({status}); is another DC on ports 389/636?\n{log}");
            }
            assert!(Instant::now() < deadline, "samba did not start in 60 s");
            std::thread::sleep(Duration::from_millis(200));
        };
        dc.modify(&format!(
            "dn: {BASE}\nchangetype: modify\nreplace: minPwdAge\nminPwdAge: 0\n-\nreplace: lockoutThreshold\nlockoutThreshold: 10\n"
        ));
        dc.add_user_named(
            DECOY_DN,
            "latchkey-decoy",
            "Decoy-7f3a9c1e5b2d8f40a6c4e1b97d3f5a28!",
        );
        for group in [TIER1_GROUP, HELPDESK_GROUP, ADMIN_GROUP] {
            dc.ldap(
                "ldapadd",
                &format!(
                    "dn: {group}\nobjectClass: group\nsAMAccountName: {}\n",
                    cn(group)
                ),
            );
        }
        dc.add_members(HELPDESK_GROUP, &[TIER1_GROUP]);
        dc
    }

    /// The service account's configuration (certificate checked against the test CA).
    pub fn config(&self) -> DirectoryConfig {
        let mut c = DirectoryConfig::of(
            DirectoryKind::ActiveDirectory,
            &self.url,
            SERVICE_DN,
            SERVICE_PW,
            PEOPLE,
        );
        c.ca_file = Some(self.ca_file.clone());
        c.roles.helpdesk = Some(HELPDESK_GROUP.into());
        c.roles.admin = Some(ADMIN_GROUP.into());
        c.decoy_dn = Some(DECOY_DN.into());
        c
    }

    /// Gives the service account its rights on users under `container` too (the
    /// scenarios' users live in AD's default `CN=Users`).
    pub fn grant_service_rights(&self, container: &str) {
        grant_service_rights(&self.sam, &self.service_sid, container);
    }

    /// Runs `ldapadd`/`ldapmodify` as the domain's Administrator with `ldif`.
    pub fn ldap(&self, tool: &str, ldif: &str) {
        super::run_ldap_tool(
            tool,
            &self.url,
            (ADMIN_UPN, ADMIN_PW),
            Some(&self.ca_file),
            ldif,
        );
    }

    pub fn modify(&self, ldif: &str) {
        self.ldap("ldapmodify", ldif);
    }

    /// Adds a user at `dn` (`CN=…`) with `sam` as its `sAMAccountName` and a mail address.
    pub fn add_user_named(&self, dn: &str, sam: &str, password: &str) {
        self.ldap(
            "ldapadd",
            &format!(
                "dn: {dn}\nobjectClass: user\nsAMAccountName: {sam}\nuserPrincipalName: {sam}@example.com\ngivenName: {sam}\nsn: Person\nmail: {sam}@example.com\nunicodePwd:: {}\nuserAccountControl: 512\n",
                unicode_pwd_ldif(password)
            ),
        );
    }

    /// A fresh user under `OU=People` (a unique `sAMAccountName` from `prefix`) with
    /// `password` and a mail address; returns `(sAMAccountName, dn)`.
    pub fn add_user(&self, prefix: &str, password: &str) -> (String, String) {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        let sam = format!("{prefix}{}{n}", std::process::id() % 1000);
        let dn = format!("CN={sam},{PEOPLE}");
        self.add_user_named(&dn, &sam, password);
        (sam, dn)
    }

    /// Adds `members` (DNs) to the group at `group`.
    pub fn add_members(&self, group: &str, members: &[&str]) {
        let mut ldif = format!("dn: {group}\nchangetype: modify\nadd: member\n");
        for m in members {
            ldif.push_str(&format!("member: {m}\n"));
        }
        self.modify(&ldif);
    }

    /// Sets one attribute of the entry at `dn`.
    pub fn set(&self, dn: &str, attribute: &str, value: &str) {
        self.modify(&format!(
            "dn: {dn}\nchangetype: modify\nreplace: {attribute}\n{attribute}: {value}\n"
        ));
    }

    /// Whether `ldapwhoami` over LDAPS — a client independent of Latchkey — binds as
    /// `dn` with `password`. Samba answers the Who-am-I operation itself with "not
    /// supported" after a successful bind; a refused bind is result 49.
    pub fn whoami(&self, dn: &str, password: &str) -> bool {
        let out = self.ldapwhoami(dn, password);
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        if out.status.success()
            || text.contains("Extended Operation(1.3.6.1.4.1.4203.1.11.3) not supported")
        {
            true
        } else if text.contains("Invalid credentials (49)") {
            false
        } else {
            panic!("ldapwhoami answered {:?}: {text}", out.status.code())
        }
    }

    /// The AD `data` code a bind as `dn` gets (`52e`, `773`, `775` …), `None` if it binds.
    pub fn bind_code(&self, dn: &str, password: &str) -> Option<String> {
        let out = self.ldapwhoami(dn, password);
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let rest = &text[text.find("data ")? + 5..];
        Some(rest.chars().take_while(char::is_ascii_hexdigit).collect())
    }

    fn ldapwhoami(&self, dn: &str, password: &str) -> std::process::Output {
        Command::new("ldapwhoami")
            .args(["-x", "-H", &self.url, "-D", dn, "-w", password])
            .env("LDAPTLS_CACERT", &self.ca_file)
            .output()
            .expect("ldapwhoami runs")
    }
}

/// The rights docs/directory.md asks for, on users under `container`: Reset Password,
/// write `pwdLastSet` and `lockoutTime` (the DC's database `sam` opened directly).
fn grant_service_rights(sam: &str, sid: &str, container: &str) {
    for (right, what) in [
        ("CR", RESET_PASSWORD),
        ("WP", PWD_LAST_SET),
        ("WP", LOCKOUT_TIME),
    ] {
        run(
            "samba-tool",
            &[
                "dsacl",
                "set",
                &format!("--objectdn={container}"),
                &format!("--sddl=(OA;CI;{right};{what};{USER_CLASS};{sid})"),
                "-H",
                sam,
            ],
        );
    }
}

/// Whether a DC answers on 127.0.0.1:389.
fn listening() -> bool {
    Command::new("ldapsearch")
        .args(["-x", "-H", "ldap://127.0.0.1", "-s", "base", "-b", ""])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn cn(dn: &str) -> &str {
    dn.split(',')
        .next()
        .and_then(|r| r.strip_prefix("CN="))
        .expect("a CN= DN")
}

/// The DC's own services only (no winbindd, file serving or DNS), its pid file and
/// certificate in `dir`; a replaced password stops binding at once (Samba's default
/// lets the previous one bind for another hour).
fn configure(dir: &Path) {
    let path = dir.join("etc/smb.conf");
    let conf = std::fs::read_to_string(&path).expect("smb.conf");
    let d = dir.display();
    let mut out = String::new();
    for line in conf.lines() {
        if line.trim_start().starts_with("server services") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if line.trim() == "[global]" {
            out.push_str(&format!(
                "\tserver services = ldap, cldap, rpc\n\told password allowed period = 0\n\tpid directory = {d}\n\ttls enabled = yes\n\ttls keyfile = {d}/server.key\n\ttls certfile = {d}/server.pem\n\ttls cafile = {d}/ca.pem\n"
            ));
        }
    }
    std::fs::write(&path, out).expect("smb.conf written");
}

/// Samba in the foreground, its input a pipe held by this process; the folder goes when
/// it ends.
fn launch(dir: &Path) -> (Child, ChildStdin) {
    let d = dir.display();
    let script =
        format!("samba -i -M single -s '{d}/etc/smb.conf' > '{d}/samba.log' 2>&1; rm -rf '{d}'");
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("samba starts");
    let stdin = child.stdin.take().expect("samba's input");
    (child, stdin)
}
