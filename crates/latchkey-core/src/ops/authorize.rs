//! Who may ask for what, decided here for every surface — also the checks a surface makes
//! before it reads a target (so that a refused caller learns nothing about the target, not
//! even whether its id is well-formed): the surface asks, the core answers.

use super::Latchkey;
use crate::CoreError;
use crate::auth::{Permission, Principal};

impl Latchkey {
    /// Whether `principal` may change accounts other than its own through a surface that
    /// gives that to administrators only (IDM's managed-user PATCH).
    pub fn authorize_administration(&self, principal: &Principal) -> Result<(), CoreError> {
        if principal.has_admin_power() {
            Ok(())
        } else {
            Err(CoreError::Forbidden(crate::error::NOT_ALLOWED))
        }
    }

    /// The answer to a request that names an account by a malformed id: not found for
    /// account readers, forbidden for anyone else (as for an id they may not read).
    pub fn malformed_account_id(&self, principal: &Principal) -> CoreError {
        if principal.may(Permission::ReadAccounts) {
            CoreError::NotFound
        } else {
            CoreError::Forbidden(crate::error::NOT_ALLOWED)
        }
    }
}
