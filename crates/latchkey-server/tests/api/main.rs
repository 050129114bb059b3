//! The native API, black-box over HTTP: one binary, so it links once.

mod accounts;
mod active_directory;
mod adaxes;
mod audit;
mod bad_input;
mod change;
mod clients;
mod directory;
mod fronted;
mod hardening;
mod helpers;
mod housekeeping;
#[path = "../support/http.rs"]
mod http;
mod ibm;
mod idm;
mod imports;
mod lockout;
mod ops;
mod outage;
mod overload;
mod ping;
mod policy;
mod queries;
mod recovery;
mod reset;
mod scim;
mod sessions;
mod smtp;
mod throttle;
mod ui;
