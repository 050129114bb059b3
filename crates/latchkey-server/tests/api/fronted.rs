//! What the API suite asks of a server in front of a directory, written once for every
//! kind of directory (`directory.rs`: OpenLDAP; `active_directory.rs`: AD): the flows,
//! each checked afterwards by `ldapwhoami`, a client independent of Latchkey.

use crate::helpers::{TestApp, problem};
use crate::smtp::{SmtpSink, code_in};
use latchkey_directory::testing::Slapd;
use latchkey_directory::testing::samba::SambaDc;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const FIRST: &str = "Amber-Lantern-73";
pub const SECOND: &str = "Copper-Meadow-19";
pub const THIRD: &str = "Silver-Orchard-46";

/// A real directory the tests make users in and check passwords against.
pub trait Peer {
    /// A fresh user (a unique name from `prefix`) with `password` and the mail address
    /// `<name>@example.com`; returns `(name, dn)`.
    fn add_user(&self, prefix: &str, password: &str) -> (String, String);
    /// Whether an independent client binds as `dn` with `password`.
    fn whoami(&self, dn: &str, password: &str) -> bool;
}

impl Peer for Slapd {
    fn add_user(&self, prefix: &str, password: &str) -> (String, String) {
        self.add_person(prefix, password)
    }
    fn whoami(&self, dn: &str, password: &str) -> bool {
        Slapd::whoami(self, dn, password)
    }
}

impl Peer for SambaDc {
    fn add_user(&self, prefix: &str, password: &str) -> (String, String) {
        SambaDc::add_user(self, prefix, password)
    }
    fn whoami(&self, dn: &str, password: &str) -> bool {
        SambaDc::whoami(self, dn, password)
    }
}

pub async fn json(r: reqwest::Response) -> Value {
    r.json().await.unwrap()
}

/// The id of the account named `name`, as an admin finds it.
pub async fn id_of(app: &TestApp, name: &str) -> String {
    let found = json(
        app.get(
            &format!("/api/v1/accounts?userName={name}"),
            Some(&app.admin_token),
        )
        .await,
    )
    .await;
    found["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {found}"))
        .to_owned()
}

/// An admin unlocks the account named `name` (Latchkey's lock and the directory's).
pub async fn unlock(app: &TestApp, name: &str) {
    let id = id_of(app, name).await;
    let r = app
        .post(
            &format!("/api/v1/accounts/{id}/unlock"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

/// Each sign-in of `attempts` (name, password) gets, status and body byte for byte, what
/// a name the directory does not have gets.
pub async fn assert_answer_as_unknown(app: &TestApp, attempts: &[(&str, &str)]) {
    let unknown = app.try_sign_in("nobody-here", FIRST).await;
    let (status, body) = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for (who, pw) in attempts {
        let r = app.try_sign_in(who, pw).await;
        assert_eq!(
            (r.status(), r.text().await.unwrap()),
            (status, body.clone()),
            "{who} answers as an unknown name does"
        );
    }
}

/// The directory has `new` for `dn`, and no longer `old`.
pub fn assert_changed(peer: &dyn Peer, dn: &str, old: &str, new: &str, what: &str) {
    assert!(peer.whoami(dn, new), "{what}: the new password binds");
    assert!(!peer.whoami(dn, old), "{what}: the old one does not");
}

/// Signs `who` in with `old` into a change-only session (nothing else allowed), changes
/// to `new` with it, and checks the directory has `new` and not `old`.
pub async fn change_only_then_change(
    app: &TestApp,
    peer: &dyn Peer,
    (name, dn): (&str, &str),
    old: &str,
    new: &str,
) {
    let signed = app.try_sign_in(name, old).await;
    assert_eq!(signed.status(), StatusCode::CREATED);
    let signed = json(signed).await;
    assert_eq!(signed["mustChangePassword"], true, "{signed}");
    let token = signed["token"].as_str().unwrap();
    problem(app.get("/api/v1/accounts", Some(token)).await, 403).await;
    let r = app.change_password(token, old, new).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_changed(peer, dn, old, new, "change-only session");
}

/// A helpdesk reset of `who` to `reset` that the owner must change: the directory has it
/// (and not `old`), the owner's sign-in is change-only, the change to `new` works, and a
/// sign-in after it is a full one.
pub async fn reset_must_be_changed(
    app: &TestApp,
    peer: &dyn Peer,
    helpdesk: &str,
    (name, dn): (&str, &str),
    [old, reset, new]: [&str; 3],
) {
    let target = id_of(app, name).await;
    let r = app
        .post(
            &format!("/api/v1/accounts/{target}/password/reset"),
            Some(helpdesk),
            &json!({ "newPassword": reset, "mustChangePassword": true }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert!(
        !peer.whoami(dn, old),
        "reset: the old password no longer binds"
    );
    change_only_then_change(app, peer, (name, dn), reset, new).await;
    let again = json(app.try_sign_in(name, new).await).await;
    assert_eq!(again["mustChangePassword"], false, "{again}");
}

/// A change back to a password the directory remembers (Latchkey never kept it) is
/// refused by the directory, in the one report under `history`, and audited.
pub async fn the_directorys_history_refusal_is_in_the_one_report(app: &TestApp, peer: &dyn Peer) {
    let (name, dn) = peer.add_user("fa", FIRST);
    let token = app.sign_in(&name, FIRST).await;
    let r = app.change_password(&token, FIRST, SECOND).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let body = problem(app.change_password(&token, SECOND, FIRST).await, 422).await;
    let rules = body["report"]["rules"]
        .as_array()
        .or_else(|| body["rules"].as_array())
        .unwrap_or_else(|| panic!("a report in {body}"));
    let history = rules
        .iter()
        .find(|r| r["rule"] == "history")
        .unwrap_or_else(|| panic!("the history rule in {body}"));
    assert_eq!(history["satisfied"], false, "{body}");
    assert!(
        !history["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "the directory's own words: {body}"
    );
    assert!(peer.whoami(&dn, SECOND), "nothing changed in the directory");
    let id = json(app.get("/api/v1/me", Some(&token)).await).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = app
        .audit(&format!("accountId={id}&type=password.change"))
        .await;
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["failure", "success"], "{events:?}");
}

/// Ping (`{dn}` the directory's DN), IBM's `/Me/password`, SCIM (a filter the directory
/// evaluates, then a PATCH of the password by an admin) and IDM (a read by id) each work
/// on a directory user, their changes made in the directory.
pub async fn every_surface_changes_a_password_in_the_directory(app: &TestApp, peer: &dyn Peer) {
    let (name, dn) = peer.add_user("pi", FIRST);
    let token = app.sign_in(&name, FIRST).await;
    let r = app
        .client
        .post(crate::ping::url(app, &dn, "/changePassword"))
        .bearer_auth(&token)
        .json(&json!({ "oldPassword": FIRST, "newPassword": SECOND }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_changed(peer, &dn, FIRST, SECOND, "ping");

    let (name, dn) = peer.add_user("ib", FIRST);
    let token = app.sign_in(&name, FIRST).await;
    let r = app
        .client
        .post(app.url("/v2.0/Me/password"))
        .bearer_auth(&token)
        .header("Content-Type", "application/scim+json")
        .body(
            json!({ "schemas": [crate::ibm::CHANGE], "oldPassword": FIRST, "password": SECOND })
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "{}",
        r.text().await.unwrap()
    );
    assert_changed(peer, &dn, FIRST, SECOND, "ibm");

    let (name, dn) = peer.add_user("sc", FIRST);
    let list = json(
        app.client
            .get(app.url(&format!(
                "/scim/v2/Users?filter=userName%20eq%20%22{name}%22"
            )))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["totalResults"], 1, "{list}");
    let id = list["Resources"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .client
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/scim+json")
        .body(json!({ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "replace", "path": "password", "value": SECOND }] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_changed(peer, &dn, FIRST, SECOND, "scim");

    let user = json(
        app.get(
            &format!("/openidm/managed/user/{id}"),
            Some(&app.admin_token),
        )
        .await,
    )
    .await;
    assert_eq!(user["userName"], name.as_str(), "{user}");
    assert_eq!(user["mail"], format!("{name}@example.com"), "{user}");
}

/// Forgot password: the code mailed to the directory's address (a real SMTP server), the
/// reset made in the directory, the notice mailed there too.
pub async fn recovery_mails_the_directorys_address_and_resets_there(
    app: &TestApp,
    peer: &dyn Peer,
    sink: &SmtpSink,
) {
    let (name, dn) = peer.add_user("re", FIRST);
    let (_, t0) = app.recover_ok(None, json!({})).await;
    let (stage, t1) = app.recover_ok(Some(&t0), json!({ "userName": name })).await;
    assert_eq!(stage, "emailValidation");
    let mail = sink.wait_for(&format!("{name}@example.com"), 1).await;
    let (stage, t2) = app
        .recover_ok(Some(&t1), json!({ "code": code_in(&mail) }))
        .await;
    assert_eq!(stage, "resetStage");
    let r = app.recover(Some(&t2), json!({ "password": SECOND })).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_changed(peer, &dn, FIRST, SECOND, "recovery");
    let signed = json(app.try_sign_in(&name, SECOND).await).await;
    assert_eq!(signed["mustChangePassword"], false, "{signed}");
    sink.wait_for(&format!("{name}@example.com"), 2).await;
}
