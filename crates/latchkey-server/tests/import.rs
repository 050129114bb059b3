//! `latchkey import`, run as an operator would: CSV and LDIF files with every hash form
//! directories export, dry runs, refused lines, existing accounts; then the imported
//! accounts sign in to a real server.

use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;

#[path = "support/server.rs"]
mod server;

use server::{Server, latchkey};

const CHB: &str = "correct horse battery staple";

/// Runs the binary in `dir`: (success, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = latchkey(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn account(dir: &Path, name: &str) -> Value {
    let (ok, out, err) = run(dir, &["account", "show", name]);
    assert!(ok, "{name}: {err}");
    serde_json::from_str(&out).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let (ok, out, err) = run(dir, &["account", "list"]);
    assert!(ok, "{err}");
    out.lines()
        .filter_map(|l| l.split('\t').nth(1).map(str::to_owned))
        .collect()
}

async fn signs_in(base: &str, name: &str, password: &str) -> bool {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "userName": name, "password": password }))
        .send()
        .await
        .unwrap();
    r.status() == 201
}

/// A cheap Argon2id PHC string of CHB, made by `latchkey hash` (the test's parameters).
fn argon2_of_chb(dir: &Path) -> String {
    let mut c = latchkey(dir)
        .arg("hash")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    c.stdin.take().unwrap().write_all(CHB.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Every hash form of the import, each of CHB: `slappasswd`'s `{SSHA}` family, bcrypt and
/// SHA-512-crypt under `{CRYPT}`, OpenLDAP's `{ARGON2}`, passlib / 389-ds
/// `{PBKDF2-SHA256}`, and the PHC forms.
fn hash_forms(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("ssha", "{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a".into()),
        ("ssha256", "{SSHA256}RV7072YMjK7xtDBAO2MN9glMioV0YwbRGZTHa+1BabOWLFA5PRH8Iw==".into()),
        ("ssha512", "{SSHA512}tVxatQ0qtuRJ5pkIsYMFggpk3uY/UHnaQgTpBFAuUjirJijrV6JZKEJnnyhCcKRKoTYxQX1/ufHxi9ptW+snpETJ30byAinb".into()),
        ("cryptbcrypt", format!("{{CRYPT}}{}", bcrypt::hash(CHB, 4).unwrap())),
        ("crypt6", "{CRYPT}$6$jPUGHN/jokjjOpFc$N2DwjWvvRfAtO46cpTAuLJPAGat7vVGHVpRKJoKmptHUuh1qn979NHw4ln24qNriazfO6vrxNlBOx5MA4wy3e/".into()),
        ("argon2ldap", format!("{{ARGON2}}{}", argon2_of_chb(dir))),
        ("pbkdf2ldap", "{PBKDF2-SHA256}29000$FQKAUAphLKX03pvzfs.ZUw$sTo7lcbt5iQYRuBnEzrnyVyNirXyyI9M6ATEY9MtcYM".into()),
        ("phc", argon2_of_chb(dir)),
    ]
}

#[tokio::test]
async fn a_csv_import_keeps_identities_and_every_hash_form_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from(
        "userName,email,givenName,roles,status,passwordHash,id,sid,passwordChangedAt,_rev\n",
    );
    for (name, hash) in hash_forms(dir.path()) {
        // Quoted as CSV writers quote a field with commas (a PHC string's parameters).
        csv.push_str(&format!(
            "{name},{name}@example.com,{name},user,active,\"{hash}\",,,,\n"
        ));
    }
    csv.push_str("kept,kept@example.com,Kept,helpdesk;user,disabled,{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a,6f9a2c1e-1111-4a2b-9c3d-0123456789ab,S-1-5-21-11-22-33-1500,2025-01-02T03:04:05Z,7\n");
    std::fs::write(dir.path().join("people.csv"), csv).unwrap();

    let (ok, out, err) = run(dir.path(), &["import", "people.csv"]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("9 created, 0 updated, 0 skipped, 0 refused"),
        "{out}"
    );

    let kept = account(dir.path(), "kept");
    assert_eq!(kept["id"], "6f9a2c1e-1111-4a2b-9c3d-0123456789ab");
    assert_eq!(kept["sid"], "S-1-5-21-11-22-33-1500");
    assert_eq!(kept["passwordChangedAt"], "2025-01-02T03:04:05Z");
    assert_eq!(kept["status"], "disabled");
    assert_eq!(kept["roles"], json!(["user", "helpdesk"]));

    let server = Server::start(dir.path(), "info");
    for (name, _) in hash_forms(dir.path()) {
        assert!(
            !signs_in(&server.base, name, "correct horse battery stapler").await,
            "{name}"
        );
        assert!(
            signs_in(&server.base, name, CHB).await,
            "{name} signs in with its imported hash"
        );
    }
    // Disabled as imported.
    assert!(!signs_in(&server.base, "kept", CHB).await);
}

#[test]
fn a_dry_run_prints_every_line_and_its_fate_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("first.csv"),
        "userName,email,passwordHash\nold,old@example.com,{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a\n",
    )
    .unwrap();
    assert!(run(dir.path(), &["import", "first.csv"]).0);
    std::fs::write(
        dir.path().join("next.csv"),
        "userName,email\nold,changed@example.com\nnew,new@example.com\n",
    )
    .unwrap();
    for (mode, old_fate) in [("skip", "skip (exists) old"), ("update", "update old")] {
        let (ok, out, err) = run(
            dir.path(),
            &["import", "next.csv", "--dry-run", "--on-existing", mode],
        );
        assert!(ok, "{err}");
        assert!(out.contains(&format!("line 2: {old_fate}")), "{out}");
        assert!(out.contains("line 3: create new"), "{out}");
        assert!(out.contains("would be created"), "{out}");
    }
    assert_eq!(names(dir.path()), vec!["old"], "a dry run writes nothing");
    assert_eq!(account(dir.path(), "old")["email"], "old@example.com");
}

#[test]
fn refused_lines_are_named_with_their_reason_and_the_others_imported() {
    let dir = tempfile::tempdir().unwrap();
    let costly = "{CRYPT}$6$rounds=5000000$yhLCDH3igObAfk.u$Y.4XF/zlpueLtTKHtcpDBUkkdPOFM4QDFFqf.5F6NAHsCkfxqHVtcIGIzACKetGjCxRClDyQPmH.LKhe.ajYm/";
    let csv = format!(
        "userName,roles,passwordHash,id,sid,passwordChangedAt\n\
         good,user,,,,\n\
         ,user,,,,\n\
         badrole,superuser,,,,\n\
         badhash,user,{{SSHA}}not-base64!,,,\n\
         costly,user,{costly},,,\n\
         badid,user,,not-a-uuid,,\n\
         badsid,user,,,S-1-x,\n\
         badtime,user,,,,yesterday\n\
         GOOD,user,,,,\n\
         short,user\n"
    );
    std::fs::write(dir.path().join("mixed.csv"), csv).unwrap();
    let (ok, out, err) = run(dir.path(), &["import", "mixed.csv"]);
    assert!(!ok, "refused lines make the exit status 1");
    assert!(err.contains("9 lines refused"), "{err}");
    for (line, reason) in [
        (3, "userName"),
        (4, "roles: 'superuser'"),
        (5, "passwordHash: unsupported"),
        (6, "passwordHash: the hash's cost exceeds the import bound"),
        (7, "id: not a UUID"),
        (8, "sid:"),
        (9, "passwordChangedAt"),
        (10, "userName repeats line 2"),
        (11, "unreadable row"),
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("line {line}: refused: {reason}"))),
            "line {line} ({reason}) in:\n{out}"
        );
    }
    assert_eq!(names(dir.path()), vec!["good"]);

    // A column that names nothing stops the import before any line.
    std::fs::write(
        dir.path().join("typo.csv"),
        "userName,emial\nx,x@example.com\n",
    )
    .unwrap();
    let (ok, _, err) = run(dir.path(), &["import", "typo.csv"]);
    assert!(!ok && err.contains("unknown column 'emial'"), "{err}");
}

#[test]
fn existing_accounts_are_skipped_updated_or_stop_the_whole_import() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("first.csv"),
        "userName,email\nold,old@example.com\n",
    )
    .unwrap();
    assert!(run(dir.path(), &["import", "first.csv"]).0);
    std::fs::write(
        dir.path().join("next.csv"),
        "userName,email,passwordHash\nnew,new@example.com,\nold,changed@example.com,{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a\n",
    )
    .unwrap();

    // `fail` (the default) checks every line first and writes nothing.
    let (ok, _, err) = run(dir.path(), &["import", "next.csv"]);
    assert!(
        !ok && err.contains("name existing accounts (lines 3)"),
        "{err}"
    );
    assert_eq!(names(dir.path()), vec!["old"]);

    let (ok, out, err) = run(dir.path(), &["import", "next.csv", "--on-existing", "skip"]);
    assert!(ok, "{err}");
    assert!(out.contains("1 created, 0 updated, 1 skipped"), "{out}");
    assert_eq!(account(dir.path(), "old")["email"], "old@example.com");

    let (ok, out, err) = run(
        dir.path(),
        &["import", "next.csv", "--on-existing", "update"],
    );
    assert!(ok, "{err}");
    assert!(out.contains("0 created, 2 updated, 0 skipped"), "{out}");
    let old = account(dir.path(), "old");
    assert_eq!(old["email"], "changed@example.com");
    assert!(
        old["passwordChangedAt"].is_string(),
        "the imported hash was set"
    );
}

#[tokio::test]
async fn an_ldif_export_imports_accounts_and_skips_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    // As slapcat writes it: base64 values, a folded DN, operational attributes.
    let ldif = "version: 1\n\n\
        dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n\
        # lisa\n\
        dn: uid=lisa,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: lisa\ncn: Lisa Ray\nsn: Ray\n\
        mail: lisa@example.com\ntelephoneNumber: +1 555 0100\n\
        userPassword:: e1NTSEF9U0ZTTEdVVEt3M0FaeXp0UGlTbFVmMUNYV2lCeHdjNGE=\n\
        entryUUID: 0b4e8e2c-2222-4c1e-8d5e-abcdefabcdef\npwdChangedTime: 20240601120000Z\n\n\
        dn: uid=mo,ou=people,dc=exam\n ple,dc=com\nobjectClass: inetOrgPerson\nuid: mo\ncn: Mo\nsn: Mo\n\
        givenName: Maurice\ndisplayName: Mo the Third\n\
        userPassword: {PBKDF2-SHA256}29000$FQKAUAphLKX03pvzfs.ZUw$sTo7lcbt5iQYRuBnEzrnyVyNirXyyI9M6ATEY9MtcYM\n\n\
        dn: uid=broken,ou=people,dc=example,dc=com\nuid: broken\nuserPassword: {SSHA}short\n";
    std::fs::write(dir.path().join("export.ldif"), ldif).unwrap();
    let (ok, out, _) = run(dir.path(), &["import", "export.ldif"]);
    assert!(!ok);
    assert!(out.contains("line 29: refused: passwordHash"), "{out}");
    assert!(
        out.contains("2 created, 0 updated, 0 skipped, 1 refused"),
        "{out}"
    );

    let lisa = account(dir.path(), "lisa");
    assert_eq!(lisa["id"], "0b4e8e2c-2222-4c1e-8d5e-abcdefabcdef");
    assert_eq!(lisa["dn"], "uid=lisa,ou=people,dc=example,dc=com");
    assert_eq!(lisa["displayName"], "Lisa Ray");
    assert_eq!(lisa["telephoneNumber"], "+1 555 0100");
    assert_eq!(lisa["passwordChangedAt"], "2024-06-01T12:00:00Z");
    let mo = account(dir.path(), "mo");
    assert_eq!(mo["dn"], "uid=mo,ou=people,dc=example,dc=com");
    assert_eq!(mo["displayName"], "Mo the Third");
    assert_eq!(mo["givenName"], "Maurice");

    let server = Server::start(dir.path(), "info");
    assert!(signs_in(&server.base, "lisa", CHB).await);
    assert!(signs_in(&server.base, "mo", CHB).await);
}

#[test]
fn a_gzip_file_imports_as_its_inner_name_says() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"userName,email\nzipped,zipped@example.com\n")
        .unwrap();
    std::fs::write(dir.path().join("people.csv.gz"), gz.finish().unwrap()).unwrap();
    let (ok, out, err) = run(dir.path(), &["import", "people.csv.gz"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 created"), "{out}");
    assert_eq!(names(dir.path()), vec!["zipped"]);
}
