//! A throwaway Active Directory (Samba 4 as a domain controller) — the test suites' own —
//! for the scenario scripts: the Adaxes reference's user `CN=John Smith,CN=Users,…`
//! (`jsmith`, `MyCurrentPassword-1`) and a helpdesk user (`helpdesk1`, through a nested
//! group) are added, the service account is given its rights on `CN=Users` too; prints the
//! directory's URL and its CA file, and runs until its standard input closes (then the DC
//! stops and its folder goes).

#![allow(clippy::print_stdout)] // its URL on standard output is how the scripts find it

use latchkey_directory::testing::samba::{BASE, SambaDc, TIER1_GROUP};
use std::io::Write as _;

fn main() {
    let dc = SambaDc::shared().expect("Samba is installed (apt-get install samba ldap-utils)");
    dc.grant_service_rights(&format!("CN=Users,{BASE}"));
    let jsmith = format!("CN=John Smith,CN=Users,{BASE}");
    dc.add_user_named(&jsmith, "jsmith", "MyCurrentPassword-1");
    let helper = format!("CN=Help Desk,CN=Users,{BASE}");
    dc.add_user_named(&helper, "helpdesk1", "Helpdesk-Secret-1");
    dc.add_members(TIER1_GROUP, &[&helper]);
    println!("{}", dc.url);
    println!("{}", dc.ca_file.display());
    std::io::stdout().flush().expect("stdout");
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}
