//! Password hashes: new ones are Argon2id (PHC); imported ones of older schemes verify
//! and are upgraded after the next successful proof.

mod legacy;
mod pool;

pub use pool::{HashPool, Overloaded};

use crate::domain::Password;
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use password_hash::phc;
use serde::{Deserialize, Serialize};

/// Argon2id cost parameters (`hashing.memory_kib`, `.iterations`, `.parallelism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashingParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashingParams {
    /// The OWASP baseline: m=19456 KiB, t=2, p=1.
    fn default() -> Self {
        Self {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashingParams {
    /// Cheap parameters for tests only: never for stored production hashes.
    pub const TESTING: Self = Self {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(&self) -> Result<Argon2<'static>, HashFormatError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|_| HashFormatError::Parameters)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashFormatError {
    #[error(
        "unsupported or malformed password hash (expected PHC argon2/pbkdf2, bcrypt or {{SSHA}})"
    )]
    Unsupported,
    #[error("invalid hashing parameters")]
    Parameters,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Argon2,
    Pbkdf2,
    Bcrypt,
    Ssha(legacy::ShaKind),
}

/// A stored password hash. Its `Debug` never shows the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    encoded: String,
    scheme: Scheme,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasswordHash({:?}, [redacted])", self.scheme)
    }
}

impl PasswordHash {
    /// Accepts PHC Argon2i/d/id and PBKDF2-SHA256/512, bcrypt `$2a$/$2b$/$2y$`,
    /// `{SSHA}`, `{SSHA256}`, `{SSHA512}`, and `{CRYPT}` around a bcrypt hash.
    pub fn parse(raw: &str) -> Result<Self, HashFormatError> {
        let raw = raw.trim();
        let inner = strip_prefix_ignore_case(raw, "{CRYPT}").unwrap_or(raw);
        if let Some(kind) = legacy::ShaKind::detect(inner) {
            legacy::parse_ssha(inner, kind)?;
            return Ok(Self {
                encoded: inner.to_owned(),
                scheme: Scheme::Ssha(kind),
            });
        }
        if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|p| inner.starts_with(p))
        {
            inner
                .parse::<bcrypt::HashParts>()
                .map_err(|_| HashFormatError::Unsupported)?;
            return Ok(Self {
                encoded: inner.to_owned(),
                scheme: Scheme::Bcrypt,
            });
        }
        let phc = phc::PasswordHash::new(inner).map_err(|_| HashFormatError::Unsupported)?;
        let scheme = match phc.algorithm.as_str() {
            "argon2id" | "argon2i" | "argon2d" => {
                Params::try_from(&phc).map_err(|_| HashFormatError::Unsupported)?;
                Scheme::Argon2
            }
            "pbkdf2-sha256" | "pbkdf2-sha512" => Scheme::Pbkdf2,
            _ => return Err(HashFormatError::Unsupported),
        };
        if phc.salt.is_none() || phc.hash.is_none() {
            return Err(HashFormatError::Unsupported);
        }
        Ok(Self {
            encoded: inner.to_owned(),
            scheme,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// Whether `password` matches. Runs the full hash: call it off the async executor.
    pub fn verify(&self, password: &Password) -> bool {
        let pw = password.as_bytes();
        match self.scheme {
            Scheme::Argon2 => phc::PasswordHash::new(&self.encoded)
                .is_ok_and(|h| Argon2::default().verify_password(pw, &h).is_ok()),
            Scheme::Pbkdf2 => phc::PasswordHash::new(&self.encoded)
                .is_ok_and(|h| pbkdf2::Pbkdf2::default().verify_password(pw, &h).is_ok()),
            Scheme::Bcrypt => bcrypt::verify(pw, &self.encoded).unwrap_or(false),
            Scheme::Ssha(kind) => legacy::verify_ssha(&self.encoded, kind, pw),
        }
    }

    /// Whether this hash should be replaced by one with the current scheme and parameters.
    pub fn needs_upgrade(&self, current: &HashingParams) -> bool {
        if self.scheme != Scheme::Argon2 {
            return true;
        }
        let Ok(phc) = phc::PasswordHash::new(&self.encoded) else {
            return true;
        };
        let Ok(p) = Params::try_from(&phc) else {
            return true;
        };
        phc.algorithm.as_str() != "argon2id"
            || phc.version != Some(0x13)
            || p.m_cost() != current.memory_kib
            || p.t_cost() != current.iterations
            || p.p_cost() != current.parallelism
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Makes new Argon2id hashes with the configured parameters.
#[derive(Clone)]
pub struct Hasher {
    params: HashingParams,
    argon2: Argon2<'static>,
}

impl Hasher {
    pub fn new(params: HashingParams) -> Result<Self, HashFormatError> {
        Ok(Self {
            argon2: params.argon2()?,
            params,
        })
    }

    pub fn params(&self) -> &HashingParams {
        &self.params
    }

    /// Hashes with a fresh random salt. Runs the full hash: call it off the executor.
    pub fn hash(&self, password: &Password) -> PasswordHash {
        let hash = self
            .argon2
            .hash_password(password.as_bytes())
            .expect("Argon2id with validated parameters and a generated salt cannot fail");
        PasswordHash {
            encoded: hash.to_string(),
            scheme: Scheme::Argon2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse(s).unwrap()
    }

    const CHB: &str = "correct horse battery staple";

    #[test]
    fn a_new_hash_is_argon2id_and_verifies() {
        let h = Hasher::new(HashingParams::TESTING)
            .unwrap()
            .hash(&pw("s3cret pass"));
        assert!(h.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert!(h.verify(&pw("s3cret pass")));
        assert!(!h.verify(&pw("s3cret pasS")));
        assert!(!h.needs_upgrade(&HashingParams::TESTING));
        assert!(h.needs_upgrade(&HashingParams::default()));
        assert_eq!(PasswordHash::parse(h.as_str()).unwrap(), h);
    }

    #[test]
    fn slappasswd_ssha_fixtures_verify() {
        for f in [
            "{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a",
            "{SSHA256}RV7072YMjK7xtDBAO2MN9glMioV0YwbRGZTHa+1BabOWLFA5PRH8Iw==",
            "{SSHA512}tVxatQ0qtuRJ5pkIsYMFggpk3uY/UHnaQgTpBFAuUjirJijrV6JZKEJnnyhCcKRKoTYxQX1/ufHxi9ptW+snpETJ30byAinb",
        ] {
            let h = PasswordHash::parse(f).unwrap();
            assert!(h.verify(&pw(CHB)), "{f}");
            assert!(!h.verify(&pw("correct horse battery stapler")), "{f}");
            assert!(h.needs_upgrade(&HashingParams::TESTING));
        }
    }

    #[test]
    fn bcrypt_pbkdf2_and_argon2i_imports_verify() {
        let bc = bcrypt::hash(CHB, 4).unwrap();
        for variant in [
            bc.clone(),
            bc.replacen("$2b$", "$2y$", 1),
            bc.replacen("$2b$", "$2a$", 1),
            format!("{{CRYPT}}{bc}"),
        ] {
            let h = PasswordHash::parse(&variant).unwrap();
            assert!(h.verify(&pw(CHB)), "{variant}");
            assert!(!h.verify(&pw("nope nope nope")));
        }
        use password_hash::PasswordHasher as _;
        let pb = pbkdf2::Pbkdf2::default()
            .hash_password(CHB.as_bytes())
            .unwrap()
            .to_string();
        assert!(pb.starts_with("$pbkdf2-sha256$"));
        assert!(PasswordHash::parse(&pb).unwrap().verify(&pw(CHB)));
        let a2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        )
        .hash_password(CHB.as_bytes())
        .unwrap()
        .to_string();
        let h = PasswordHash::parse(&a2i).unwrap();
        assert!(h.verify(&pw(CHB)));
        assert!(h.needs_upgrade(&HashingParams::TESTING));
    }

    #[test]
    fn garbage_is_not_a_hash() {
        for bad in [
            "",
            "plain",
            "{SSHA}",
            "{SSHA}!!!!",
            "{MD5}abc",
            "$2b$04$short",
            "$scrypt$ln=1$a$b",
            "$argon2id$v=19$m=64,t=1,p=1$",
        ] {
            assert!(PasswordHash::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_input_never_panics(s in "\\PC{0,80}") {
            let _ = PasswordHash::parse(&s);
            let _ = PasswordHash::parse(&format!("{{SSHA}}{s}"));
            let _ = PasswordHash::parse(&format!("$argon2id$v=19${s}"));
        }
    }

    #[test]
    fn a_multibyte_prefix_is_not_a_hash() {
        assert!(PasswordHash::parse("{SSH\u{e9}}abc").is_err());
        assert!(PasswordHash::parse("\u{1F600}\u{1F600}\u{1F600}").is_err());
    }

    #[test]
    fn debug_hides_the_hash() {
        let h = PasswordHash::parse("{SSHA}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a").unwrap();
        assert!(!format!("{h:?}").contains("SFSL"));
    }
}
