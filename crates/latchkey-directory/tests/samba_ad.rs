//! The directory client against a real Active Directory (Samba 4 as a domain
//! controller, one per test process, shared; each test its own users). After every
//! change `ldapwhoami` over LDAPS — a client independent of Latchkey — binds with the new
//! password and not the old one. The service account has only the rights
//! docs/directory.md asks for.

use latchkey_directory::testing::samba::{self, SambaDc};
use latchkey_directory::{BindOutcome, Directory, DirectoryKind, PasswordRefusal};

const PW: &str = "Mellow-Trout-41";
const NEW: &str = "Brisk-Otter-77";

async fn setup() -> Option<(&'static SambaDc, Directory)> {
    let dc = SambaDc::shared()?;
    let dir = Directory::connect(dc.config()).await.expect("connects");
    Some((dc, dir))
}

#[tokio::test]
async fn entries_are_found_by_sam_account_name_upn_dn_guid_and_sid() {
    let Some((dc, dir)) = setup().await else {
        return;
    };
    let (sam, dn) = dc.add_user("ad", PW);
    let e = dir.find_by_user_name(&sam).await.unwrap().expect("found");
    assert_eq!(e.dn, dn);
    assert_eq!(e.user_name, sam);
    assert_eq!(
        e.mail.as_deref(),
        Some(format!("{sam}@example.com").as_str())
    );
    let sid = e.sid.clone().expect("AD entries have a SID");
    assert!(sid.starts_with("S-1-5-21-"), "{sid}");
    assert!(!e.locked && !e.must_change && !e.disabled);
    assert!(e.usn > 0 && e.created_at.is_some() && e.password_changed_at.is_some());
    let by_upn = dir
        .find_by_user_name(&format!("{sam}@example.com"))
        .await
        .unwrap()
        .expect("found by userPrincipalName");
    assert_eq!(by_upn.id, e.id);
    assert_eq!(dir.find_by_id(e.id).await.unwrap().unwrap().dn, dn);
    assert_eq!(dir.find_by_dn(&dn).await.unwrap().unwrap().id, e.id);
    assert_eq!(dir.find_by_sid(&sid).await.unwrap().unwrap().id, e.id);
    assert_eq!(dir.find_by_user_name("*").await.unwrap(), None);
    assert_eq!(
        dir.find_by_user_name(&format!("{sam}*")).await.unwrap(),
        None
    );
    // The service account is outside the user base.
    assert_eq!(dir.find_by_dn(samba::SERVICE_DN).await.unwrap(), None);
    assert_eq!(
        dir.detect_kind().await.unwrap(),
        DirectoryKind::ActiveDirectory
    );
}

#[tokio::test]
async fn binds_map_ads_data_codes() {
    let Some((dc, dir)) = setup().await else {
        return;
    };
    let (_, dn) = dc.add_user("bind", PW);
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
    assert_eq!(
        dir.bind(Some(&dn), "Wrong-Password-1").await.unwrap(),
        BindOutcome::Wrong
    );
    assert_eq!(dir.bind(None, PW).await.unwrap(), BindOutcome::Wrong);
    assert_eq!(dir.bind(Some(&dn), "").await.unwrap(), BindOutcome::Wrong);

    dc.set(&dn, "pwdLastSet", "0");
    assert_eq!(dc.bind_code(&dn, PW).as_deref(), Some("773"));
    assert_eq!(
        dir.bind(Some(&dn), PW).await.unwrap(),
        BindOutcome::ChangeOnly { expired: false }
    );
    assert!(dir.find_by_dn(&dn).await.unwrap().unwrap().must_change);
    dc.set(&dn, "pwdLastSet", "-1");

    dc.set(&dn, "userAccountControl", "514");
    assert_eq!(
        dir.bind(Some(&dn), PW).await.unwrap(),
        BindOutcome::Disabled
    );
    assert!(dir.find_by_dn(&dn).await.unwrap().unwrap().disabled);
    dc.set(&dn, "userAccountControl", "512");

    dc.set(&dn, "accountExpires", "1");
    assert_eq!(
        dir.bind(Some(&dn), PW).await.unwrap(),
        BindOutcome::AccountExpired
    );
    dc.set(&dn, "accountExpires", "0");

    // The domain locks after 10 failures (a successful bind starts the count again);
    // then even the right password answers 775.
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
    for _ in 0..9 {
        assert_eq!(
            dir.bind(Some(&dn), "nope").await.unwrap(),
            BindOutcome::Wrong
        );
    }
    dir.bind(Some(&dn), "nope").await.unwrap();
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Locked);
    assert!(dir.find_by_dn(&dn).await.unwrap().unwrap().locked);
    dir.unlock(&dn).await.unwrap();
    assert_eq!(dir.bind(Some(&dn), PW).await.unwrap(), BindOutcome::Bound);
    assert!(dc.whoami(&dn, PW));
}

#[tokio::test]
async fn a_self_change_checks_the_old_password_and_reports_ads_refusals() {
    let Some((dc, dir)) = setup().await else {
        return;
    };
    let (_, dn) = dc.add_user("change", PW);
    assert_eq!(
        dir.change_password(&dn, "Not-The-One-9", NEW)
            .await
            .unwrap(),
        Err(PasswordRefusal::WrongOld)
    );
    assert!(matches!(
        dir.change_password(&dn, PW, "Ab1!").await.unwrap(),
        Err(PasswordRefusal::TooShort(t)) if t.contains("too short")
    ));
    assert!(matches!(
        dir.change_password(&dn, PW, "alllowercaseletters")
            .await
            .unwrap(),
        Err(PasswordRefusal::Complexity(_))
    ));
    assert!(dc.whoami(&dn, PW));
    dir.change_password(&dn, PW, NEW).await.unwrap().unwrap();
    assert!(dc.whoami(&dn, NEW));
    assert!(!dc.whoami(&dn, PW));
    assert!(matches!(
        dir.change_password(&dn, NEW, PW).await.unwrap(),
        Err(PasswordRefusal::InHistory(_))
    ));
    // A user who must change cannot bind, but changes with the old password as proof.
    dc.set(&dn, "pwdLastSet", "0");
    dir.change_password(&dn, NEW, "Quiet-Heron-52")
        .await
        .unwrap()
        .unwrap();
    assert!(dc.whoami(&dn, "Quiet-Heron-52"));
    assert!(!dir.find_by_dn(&dn).await.unwrap().unwrap().must_change);
}

#[tokio::test]
async fn a_reset_by_the_service_account_sets_or_clears_must_change() {
    let Some((dc, dir)) = setup().await else {
        return;
    };
    let (_, dn) = dc.add_user("reset", PW);
    dir.reset_password(&dn, NEW, Some(true))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dc.bind_code(&dn, NEW).as_deref(), Some("773"));
    assert_eq!(dc.bind_code(&dn, PW).as_deref(), Some("52e"));
    assert!(dir.find_by_dn(&dn).await.unwrap().unwrap().must_change);
    dir.reset_password(&dn, "Quiet-Heron-52", Some(false))
        .await
        .unwrap()
        .unwrap();
    assert!(dc.whoami(&dn, "Quiet-Heron-52"));
    assert!(!dc.whoami(&dn, NEW));
    assert!(matches!(
        dir.reset_password(&dn, "short", None).await.unwrap(),
        Err(PasswordRefusal::TooShort(_))
    ));
    // Outside the OU the service account was given rights on: refused, not an error.
    assert!(matches!(
        dir.reset_password(
            &format!("CN=Administrator,CN=Users,{}", samba::BASE),
            NEW,
            None
        )
        .await
        .unwrap(),
        Err(PasswordRefusal::NotAllowed(_))
    ));
}

#[tokio::test]
async fn roles_come_from_groups_nested_or_not() {
    let Some((dc, dir)) = setup().await else {
        return;
    };
    let (_, nested) = dc.add_user("tier", PW);
    let (_, direct) = dc.add_user("adm", PW);
    let (_, neither) = dc.add_user("plain", PW);
    dc.add_members(samba::TIER1_GROUP, &[&nested]);
    dc.add_members(samba::ADMIN_GROUP, &[&direct]);
    assert!(dir.is_member(samba::HELPDESK_GROUP, &nested).await.unwrap());
    assert!(
        !dir.is_member(samba::HELPDESK_GROUP, &neither)
            .await
            .unwrap()
    );
    assert!(dir.is_member(samba::ADMIN_GROUP, &direct).await.unwrap());
    let helpdesk = dir.members(samba::HELPDESK_GROUP).await.unwrap();
    assert!(helpdesk.contains(&nested.to_ascii_lowercase()));
    assert!(!helpdesk.contains(&neither.to_ascii_lowercase()));
}
