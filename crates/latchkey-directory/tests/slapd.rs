//! The directory client against a real OpenLDAP slapd with ppolicy; after every change
//! `ldapwhoami`, a client independent of Latchkey, binds with the new password and not
//! the old one. Each test has its own slapd and fresh entries.

use latchkey_directory::testing::{ADMIN_GROUP, HELPDESK_GROUP, PEOPLE, Slapd};
use latchkey_directory::{BindOutcome, Directory, DirectoryError, DirectoryKind, PasswordRefusal};

const PW: &str = "Mellow-Trout-41";

async fn setup() -> Option<(Slapd, Directory)> {
    let slapd = Slapd::start()?;
    let dir = Directory::connect(slapd.config()).await.expect("connects");
    Some((slapd, dir))
}

#[tokio::test]
async fn entries_are_found_by_user_name_dn_and_stable_id_and_a_value_cannot_widen_a_search() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (uid, dn) = slapd.add_person("jdoe", PW);
    let by_name = dir.find_by_user_name(&uid).await.unwrap().expect("found");
    assert_eq!(by_name.dn, dn);
    assert_eq!(
        by_name.mail.as_deref(),
        Some(format!("{uid}@example.com").as_str())
    );
    assert!(!by_name.locked && !by_name.must_change);
    assert!(by_name.created_at.is_some());
    assert_eq!(dir.find_by_dn(&dn).await.unwrap().unwrap().id, by_name.id);
    assert_eq!(dir.find_by_id(by_name.id).await.unwrap().unwrap().dn, dn);
    assert_eq!(dir.find_by_user_name("nobody").await.unwrap(), None);
    assert_eq!(dir.find_by_user_name("*").await.unwrap(), None);
    assert_eq!(dir.find_by_user_name("jdoe*").await.unwrap(), None);
    assert_eq!(
        dir.find_by_dn(&format!("uid=nobody,{PEOPLE}"))
            .await
            .unwrap(),
        None
    );
    // The service account is not a person; an entry outside the user base is not found.
    assert_eq!(
        dir.find_by_dn("cn=latchkey,ou=services,dc=example,dc=com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(dir.detect_kind().await.unwrap(), DirectoryKind::OpenLdap);
}

#[tokio::test]
async fn a_bind_proves_the_password_and_an_unknown_name_binds_to_a_decoy() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (_, dn) = slapd.add_person("jdoe", PW);
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
    assert_eq!(
        dir.bind(Some(&dn), "Wrong-Password-1").await.unwrap(),
        BindOutcome::Wrong
    );
    assert_eq!(dir.bind(Some(&dn), "").await.unwrap(), BindOutcome::Wrong);
    assert_eq!(dir.bind(None, PW).await.unwrap(), BindOutcome::Wrong);
    assert_eq!(dir.bind(None, "").await.unwrap(), BindOutcome::Wrong);
}

#[tokio::test]
async fn a_self_change_sets_the_password_in_the_directory() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (_, dn) = slapd.add_person("jdoe", PW);
    let new = "Velvet-Canyon-58";
    assert_eq!(
        dir.change_password(&dn, "Wrong-Password-1", new)
            .await
            .unwrap(),
        Err(PasswordRefusal::WrongOld)
    );
    assert!(
        slapd.whoami(&dn, PW),
        "a refused change leaves the password"
    );
    dir.change_password(&dn, PW, new).await.unwrap().unwrap();
    assert!(slapd.whoami(&dn, new));
    assert!(!slapd.whoami(&dn, PW));
    let e = dir.find_by_dn(&dn).await.unwrap().unwrap();
    assert!(e.password_changed_at.is_some());
}

#[tokio::test]
async fn the_directorys_own_refusals_are_typed() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (_, dn) = slapd.add_person("jdoe", PW);
    match dir.change_password(&dn, PW, "short").await.unwrap() {
        Err(PasswordRefusal::TooShort(_)) => {}
        other => panic!("{other:?}"),
    }
    dir.change_password(&dn, PW, "Velvet-Canyon-58")
        .await
        .unwrap()
        .unwrap();
    match dir
        .change_password(&dn, "Velvet-Canyon-58", PW)
        .await
        .unwrap()
    {
        Err(PasswordRefusal::InHistory(_)) => {}
        other => panic!("{other:?}"),
    }
    assert!(slapd.whoami(&dn, "Velvet-Canyon-58"));
}

#[tokio::test]
async fn a_reset_by_the_service_account_can_require_a_change() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (_, dn) = slapd.add_person("jdoe", PW);
    let temp = "Tempor-Ary-Pass-77";
    dir.reset_password(&dn, temp, Some(true))
        .await
        .unwrap()
        .unwrap();
    assert!(slapd.whoami(&dn, temp) && !slapd.whoami(&dn, PW));
    assert!(dir.find_by_dn(&dn).await.unwrap().unwrap().must_change);
    assert_eq!(
        dir.bind(Some(&dn), temp).await.unwrap(),
        BindOutcome::ChangeOnly { expired: false }
    );
    dir.change_password(&dn, temp, "Granite-Harbor-93")
        .await
        .unwrap()
        .unwrap();
    assert!(!dir.find_by_dn(&dn).await.unwrap().unwrap().must_change);
    assert_eq!(
        dir.bind(Some(&dn), "Granite-Harbor-93").await.unwrap(),
        BindOutcome::Bound
    );
    // Without must-change, the flag the overlay sets on a reset is cleared.
    dir.reset_password(&dn, "Amber-Lantern-27", Some(false))
        .await
        .unwrap()
        .unwrap();
    assert!(!dir.find_by_dn(&dn).await.unwrap().unwrap().must_change);
    assert_eq!(
        dir.bind(Some(&dn), "Amber-Lantern-27").await.unwrap(),
        BindOutcome::Bound
    );
}

#[tokio::test]
async fn the_directorys_lock_is_seen_and_lifted() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (_, dn) = slapd.add_person("jdoe", PW);
    for _ in 0..5 {
        assert_eq!(
            dir.bind(Some(&dn), "Wrong-Password-1").await.unwrap(),
            BindOutcome::Wrong
        );
    }
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Locked);
    assert!(dir.find_by_dn(&dn).await.unwrap().unwrap().locked);
    dir.unlock(&dn).await.unwrap();
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
}

#[tokio::test]
async fn group_membership_is_read_from_the_groups() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (_, helper) = slapd.add_person("helper", PW);
    let (_, boss) = slapd.add_person("boss", PW);
    slapd.add_group(HELPDESK_GROUP, &[&helper]);
    slapd.add_group(ADMIN_GROUP, &[&boss]);
    assert!(dir.is_member(HELPDESK_GROUP, &helper).await.unwrap());
    assert!(!dir.is_member(ADMIN_GROUP, &helper).await.unwrap());
    assert!(dir.is_member(ADMIN_GROUP, &boss).await.unwrap());
}

#[tokio::test]
async fn an_outage_is_unavailable_and_the_client_recovers_without_a_restart() {
    let Some((mut slapd, dir)) = setup().await else {
        return;
    };
    let (uid, dn) = slapd.add_person("jdoe", PW);
    assert!(dir.find_by_user_name(&uid).await.unwrap().is_some());
    slapd.stop();
    assert!(matches!(
        dir.find_by_user_name(&uid).await,
        Err(DirectoryError::Unavailable(_))
    ));
    assert!(matches!(
        dir.bind(Some(&dn), PW).await,
        Err(DirectoryError::Unavailable(_))
    ));
    slapd.run();
    // The first use after the outage may still meet a connection that died with it.
    let mut found = None;
    for _ in 0..3 {
        if let Ok(f) = dir.find_by_user_name(&uid).await {
            found = f;
            break;
        }
    }
    assert!(found.is_some());
    let mut bound = None;
    for _ in 0..3 {
        if let Ok(b) = dir.bind(Some(&dn), PW).await {
            bound = Some(b);
            break;
        }
    }
    assert_eq!(bound, Some(BindOutcome::Bound));
}

#[tokio::test]
async fn query_filters_run_in_the_directory() {
    use latchkey_core::recovery::filter::Filter;
    use latchkey_directory::filter::translate;
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    let (a, _) = slapd.add_person("alpha", PW);
    let (b, _) = slapd.add_person("alpine", PW);
    let (c, _) = slapd.add_person("beta", PW);
    let names = |f: &str| {
        let ldap = translate(&Filter::parse(f).unwrap(), &dir.config().attributes).unwrap();
        let dir = &dir;
        async move {
            let mut n: Vec<String> = dir
                .search(&ldap, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.user_name)
                .collect();
            n.sort();
            n
        }
    };
    assert_eq!(
        names(r#"userName sw "ALP""#).await,
        [a.as_str(), b.as_str()]
    );
    assert_eq!(
        names(r#"userName sw "alp" and not (userName eq "alpine1")"#).await,
        [a.as_str()]
    );
    assert_eq!(
        names(&format!(r#"mail eq "{c}@example.com""#)).await,
        [c.as_str()]
    );
    assert_eq!(names(r#"userName eq "*""#).await, Vec::<String>::new());
    assert_eq!(names("true").await.len(), 3);
}

#[tokio::test]
async fn tls_by_ldaps_and_starttls_trusts_the_configured_ca_only() {
    let Some(slapd) = Slapd::start_with_tls() else {
        return;
    };
    let (ldaps, ca) = slapd.ldaps.clone().expect("started with TLS");
    let (uid, dn) = slapd.add_person("jdoe", PW);
    // ldaps:// with the CA file.
    let mut c = slapd.config();
    c.url = ldaps.clone();
    c.ca_file = Some(ca.clone());
    let dir = Directory::connect(c).await.expect("ldaps with the CA");
    assert!(dir.find_by_user_name(&uid).await.unwrap().is_some());
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
    // StartTLS on ldap:// with the CA file (the name in the certificate is localhost).
    let mut c = slapd.config();
    c.url = slapd.url.replace("127.0.0.1", "localhost");
    c.starttls = true;
    c.ca_file = Some(ca.clone());
    let dir = Directory::connect(c).await.expect("StartTLS with the CA");
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
    // A certificate no trusted CA signed is refused; `tls_insecure` takes it anyway.
    let mut c = slapd.config();
    c.url = ldaps.clone();
    assert!(
        Directory::connect(c.clone()).await.is_err(),
        "the system's CAs did not sign it"
    );
    c.tls_insecure = true;
    assert!(Directory::connect(c).await.is_ok());
    // A CA file without a certificate is a configuration error naming the key.
    let empty = tempfile::NamedTempFile::new().unwrap();
    let mut c = slapd.config();
    c.url = ldaps;
    c.ca_file = Some(empty.path().to_owned());
    match Directory::connect(c).await {
        Err(DirectoryError::Config(m)) => assert!(m.starts_with("directory.ca_file:"), "{m}"),
        other => panic!("{:?}", other.err()),
    }
}

#[tokio::test]
async fn a_directory_that_stops_answering_times_out_and_is_used_again_when_it_answers() {
    let Some(slapd) = Slapd::start() else { return };
    let mut c = slapd.config();
    c.timeout = std::time::Duration::from_millis(500);
    let dir = Directory::connect(c).await.unwrap();
    let (uid, dn) = slapd.add_person("jdoe", PW);
    assert!(dir.find_by_user_name(&uid).await.unwrap().is_some());
    slapd.freeze(true);
    let started = std::time::Instant::now();
    assert!(matches!(
        dir.find_by_user_name(&uid).await,
        Err(DirectoryError::Unavailable(_))
    ));
    assert!(matches!(
        dir.bind(Some(&dn), PW).await,
        Err(DirectoryError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    slapd.freeze(false);
    assert!(dir.find_by_user_name(&uid).await.unwrap().is_some());
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
}

#[tokio::test]
async fn a_list_longer_than_the_directorys_size_limit_is_read_in_pages() {
    let Some((slapd, dir)) = setup().await else {
        return;
    };
    // 650 people in one LDIF: past slapd's default limit of 500 entries per answer.
    let mut ldif = String::new();
    for n in 0..650 {
        ldif.push_str(&format!(
            "dn: uid=many{n},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: many{n}\ncn: Many {n}\nsn: Many\n\n"
        ));
    }
    slapd.ldap("ldapadd", &ldif);
    let all = dir.search("(uid=many*)", usize::MAX).await.unwrap();
    assert_eq!(all.len(), 650);
    let some = dir.search("(uid=many*)", 10).await.unwrap();
    assert_eq!(some.len(), 10);
}
