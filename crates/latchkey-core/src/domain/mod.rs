//! Domain types, each constructed only through `parse`, so a value that exists is valid.

mod account;
mod contact;
mod dn;
mod password;
mod role;
mod sid;
mod username;

pub use account::{Account, AccountId, AccountStatus, Profile};
pub use contact::{ContactError, MAX_EMAIL_OCTETS, check_email};
pub use dn::{Dn, DnError};
pub use password::{MAX_PASSWORD_BYTES, NORMALIZATION, Password, PasswordError};
pub use role::{Role, RoleError, Roles};
pub use sid::{Sid, SidError};
pub use username::{MAX_USER_NAME_CHARS, UserName, UserNameError};
