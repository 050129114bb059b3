//! A throwaway slapd with the ppolicy overlay — the test suites' own — for the scenario
//! scripts: adds the entries of the LDIF file given as the first argument, prints the
//! directory's URL, and runs until its standard input closes (then removes everything).

#![allow(clippy::print_stdout)] // its URL on standard output is how the scripts find it

use latchkey_directory::testing::Slapd;
use std::io::Write as _;

fn main() {
    let slapd = Slapd::start().expect("slapd is installed (apt-get install slapd ldap-utils)");
    if let Some(path) = std::env::args().nth(1) {
        let ldif = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        slapd.ldap("ldapadd", &ldif);
    }
    println!("{}", slapd.url);
    std::io::stdout().flush().expect("stdout");
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}
