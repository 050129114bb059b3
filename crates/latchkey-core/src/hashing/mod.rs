//! Password hashes: new ones are Argon2id (PHC); imported ones of older schemes verify
//! and are upgraded after the next successful proof.

mod engine;
mod ldap_forms;
mod legacy;
mod memory;
mod pad;

pub use engine::{HashEngine, Overloaded};
pub use pad::CostPad;

use crate::domain::Password;
use argon2::{Algorithm, Params, Version};
use password_hash::PasswordVerifier as _;
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

    fn argon2(&self) -> Result<Params, HashFormatError> {
        Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(Params::DEFAULT_OUTPUT_LEN),
        )
        .map_err(|_| HashFormatError::Parameters)
    }

    /// Argon2 blocks (1 KiB each) one hash with these parameters uses.
    pub fn memory_blocks(&self) -> usize {
        self.argon2().map_or(0, |p| p.block_count())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashFormatError {
    #[error(
        "unsupported or malformed password hash (expected PHC argon2/pbkdf2, bcrypt, SHA-crypt, {{SSHA}}, {{ARGON2}} or {{PBKDF2-SHA256}})"
    )]
    Unsupported,
    #[error("invalid hashing parameters")]
    Parameters,
    /// An imported hash so costly that one proof against it would take seconds or
    /// gigabytes; names the bound it exceeds.
    #[error("the hash's cost exceeds the import bound: {0}")]
    TooCostly(String),
}

/// The most an imported hash may cost (one proof must not take seconds or gigabytes).
const MAX_ARGON2_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_ARGON2_ITERATIONS: u32 = 16;
const MAX_BCRYPT_COST: u32 = 14;
const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
const MAX_SHA_CRYPT_ROUNDS: u32 = 1_000_000;
/// SHA-crypt's rounds when the hash names none.
const SHA_CRYPT_DEFAULT_ROUNDS: u32 = 5_000;

/// bcrypt reads at most this many bytes of a password; anything longer never verifies.
const BCRYPT_MAX_BYTES: usize = 72;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Argon2,
    Pbkdf2,
    Bcrypt,
    /// `$5$` / `$6$` (SHA-256/512-crypt), as `/etc/shadow` and `{CRYPT}` keep them.
    ShaCrypt,
    Ssha(legacy::ShaKind),
}

/// What one verification against a hash costs, by scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cost {
    Argon2 {
        m: u32,
        t: u32,
    },
    Bcrypt(u32),
    Pbkdf2(u32),
    ShaCrypt(u32),
    /// A salted SHA: microseconds.
    Salted,
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
    /// SHA-crypt `$5$`/`$6$`, `{SSHA}`, `{SSHA256}`, `{SSHA512}`, and the LDAP wrappers
    /// `{CRYPT}` (bcrypt or SHA-crypt), `{ARGON2}` and `{PBKDF2-SHA256}`/`{PBKDF2-SHA512}`
    /// (passlib / 389-ds; kept as the equivalent PHC string).
    pub fn parse(raw: &str) -> Result<Self, HashFormatError> {
        let unwrapped = ldap_forms::unwrap(raw.trim())?;
        let inner: &str = &unwrapped;
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
        if ["$5$", "$6$"].iter().any(|p| inner.starts_with(p)) {
            sha_crypt::PasswordHashRef::new(inner).map_err(|_| HashFormatError::Unsupported)?;
            let hash = Self {
                encoded: inner.to_owned(),
                scheme: Scheme::ShaCrypt,
            };
            hash.cost()?;
            return Ok(hash);
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

    /// An imported hash: parsed as [`PasswordHash::parse`], and refused when its cost
    /// exceeds the import bounds (Argon2 memory over 4 × `configured` or 1 GiB, over 16
    /// iterations; bcrypt cost over 14; PBKDF2 over 2,000,000 iterations).
    pub fn parse_imported(raw: &str, configured: &HashingParams) -> Result<Self, HashFormatError> {
        let hash = Self::parse(raw)?;
        let max_m = configured
            .memory_kib
            .saturating_mul(4)
            .min(MAX_ARGON2_MEMORY_KIB);
        let too = match hash.cost()? {
            Cost::Argon2 { m, .. } if m > max_m => format!(
                "Argon2 memory m={m} KiB is over {max_m} KiB (4 × hashing.memory_kib, at most 1 GiB)"
            ),
            Cost::Argon2 { t, .. } if t > MAX_ARGON2_ITERATIONS => {
                format!("Argon2 iterations t={t} is over {MAX_ARGON2_ITERATIONS}")
            }
            Cost::Bcrypt(c) if c > MAX_BCRYPT_COST => {
                format!("bcrypt cost {c} is over {MAX_BCRYPT_COST}")
            }
            Cost::Pbkdf2(i) if i > MAX_PBKDF2_ITERATIONS => {
                format!("PBKDF2 iterations i={i} is over {MAX_PBKDF2_ITERATIONS}")
            }
            Cost::ShaCrypt(r) if r > MAX_SHA_CRYPT_ROUNDS => {
                format!("SHA-crypt rounds={r} is over {MAX_SHA_CRYPT_ROUNDS}")
            }
            _ => return Ok(hash),
        };
        Err(HashFormatError::TooCostly(too))
    }

    /// The cost parameters of this hash, read from its encoding.
    fn cost(&self) -> Result<Cost, HashFormatError> {
        let phc =
            || phc::PasswordHash::new(&self.encoded).map_err(|_| HashFormatError::Unsupported);
        Ok(match self.scheme {
            Scheme::Ssha(_) => Cost::Salted,
            Scheme::ShaCrypt => {
                let field = self.encoded.split('$').nth(2).unwrap_or_default();
                Cost::ShaCrypt(match field.strip_prefix("rounds=") {
                    Some(r) => r.parse().map_err(|_| HashFormatError::Unsupported)?,
                    None => SHA_CRYPT_DEFAULT_ROUNDS,
                })
            }
            Scheme::Bcrypt => Cost::Bcrypt(
                self.encoded
                    .parse::<bcrypt::HashParts>()
                    .map_err(|_| HashFormatError::Unsupported)?
                    .get_cost(),
            ),
            Scheme::Pbkdf2 => Cost::Pbkdf2(
                phc()?
                    .params
                    .get_decimal("i")
                    .ok_or(HashFormatError::Unsupported)?,
            ),
            Scheme::Argon2 => {
                let p = Params::try_from(&phc()?).map_err(|_| HashFormatError::Unsupported)?;
                Cost::Argon2 {
                    m: p.m_cost(),
                    t: p.t_cost(),
                }
            }
        })
    }

    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// Whether `password` matches. Runs the full hash: call it in the hashing engine,
    /// whose threads reuse their Argon2 memory.
    pub fn verify(&self, password: &Password) -> bool {
        let pw = password.as_bytes();
        match self.scheme {
            Scheme::Argon2 => verify_argon2(&self.encoded, pw),
            Scheme::Pbkdf2 => phc::PasswordHash::new(&self.encoded)
                .is_ok_and(|h| pbkdf2::Pbkdf2::default().verify_password(pw, &h).is_ok()),
            // bcrypt itself would compare only the first 72 bytes: a longer password is
            // refused, after the same work, so that it never matches its prefix.
            Scheme::Bcrypt => {
                bcrypt::verify(pw, &self.encoded).unwrap_or(false) && pw.len() <= BCRYPT_MAX_BYTES
            }
            Scheme::ShaCrypt => {
                use sha_crypt::PasswordVerifier as _;
                sha_crypt::ShaCrypt::default()
                    .verify_password(pw, self.encoded.as_str())
                    .is_ok()
            }
            Scheme::Ssha(kind) => legacy::verify_ssha(&self.encoded, kind, pw),
        }
    }

    /// Whether one verification against this hash costs less than one Argon2id at the
    /// `current` parameters (then a proof is padded up to one, so that accounts with
    /// cheap imported hashes answer no faster than unknown names: see [`CostPad`]). The thresholds are
    /// rough equivalents of the OWASP baseline: bcrypt cost 10, PBKDF2 600,000 rounds.
    pub fn costs_less_than(&self, current: &HashingParams) -> bool {
        match self.cost() {
            Ok(Cost::Salted) => true,
            Ok(Cost::Bcrypt(c)) => c < 10,
            Ok(Cost::Pbkdf2(i)) => i < 600_000,
            Ok(Cost::ShaCrypt(r)) => r < 100_000,
            Ok(Cost::Argon2 { m, t }) => {
                u64::from(m) * u64::from(t)
                    < u64::from(current.memory_kib) * u64::from(current.iterations)
            }
            Err(_) => false,
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

/// Recomputes an Argon2 tag (in the thread's reused memory) and compares in constant time.
fn verify_argon2(encoded: &str, password: &[u8]) -> bool {
    let Ok(phc) = phc::PasswordHash::new(encoded) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm.as_str()) else {
        return false;
    };
    let version = match phc.version {
        None | Some(0x13) => Version::V0x13,
        Some(0x10) => Version::V0x10,
        Some(_) => return false,
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let Ok(params) = Params::new(
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Some(expected.len()),
    ) else {
        return false;
    };
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    memory::argon2_into(algorithm, version, params, password, salt.as_ref(), out).is_ok()
        && crate::secret::constant_time_eq(out, expected.as_bytes())
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
    argon2: Params,
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

    /// Hashes with a fresh random salt. Runs the full hash: call it in the hashing
    /// engine, whose threads reuse their Argon2 memory.
    pub fn hash(&self, password: &Password) -> PasswordHash {
        const INVARIANT: &str =
            "Argon2id with validated parameters and a generated salt cannot fail";
        let salt = phc::Salt::generate();
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        memory::argon2_into(
            Algorithm::Argon2id,
            Version::V0x13,
            self.argon2.clone(),
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
        )
        .expect(INVARIANT);
        let encoded = phc::PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: phc::ParamsString::try_from(&self.argon2).expect(INVARIANT),
            salt: Some(salt),
            hash: Some(phc::Output::new(&out).expect(INVARIANT)),
        };
        PasswordHash {
            encoded: encoded.to_string(),
            scheme: Scheme::Argon2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{Argon2, PasswordHasher as _};

    fn pw(s: &str) -> Password {
        Password::parse(s).unwrap()
    }

    const CHB: &str = "correct horse battery staple";

    #[test]
    fn new_hashes_verify_with_the_argon2_crate_and_its_hashes_verify_here() {
        use password_hash::PasswordVerifier as _;
        let ours = Hasher::new(HashingParams::TESTING).unwrap().hash(&pw(CHB));
        let parsed = phc::PasswordHash::new(ours.as_str()).unwrap();
        assert!(
            Argon2::default()
                .verify_password(CHB.as_bytes(), &parsed)
                .is_ok()
        );
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 1, 1, None).unwrap(),
        )
        .hash_password(CHB.as_bytes())
        .unwrap()
        .to_string();
        let h = PasswordHash::parse(&theirs).unwrap();
        assert!(h.verify(&pw(CHB)));
        assert!(!h.verify(&pw("correct horse battery stapler")));
    }

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
    fn directory_export_forms_verify_and_keep_their_cost() {
        // Made by passlib (`ldap_pbkdf2_sha256/512`, `sha512_crypt`), `openssl passwd -6`
        // and OpenLDAP's argon2 module form, for the password CHB.
        for (f, upgrade) in [
            (
                "{PBKDF2-SHA256}29000$FQKAUAphLKX03pvzfs.ZUw$sTo7lcbt5iQYRuBnEzrnyVyNirXyyI9M6ATEY9MtcYM",
                true,
            ),
            (
                "{PBKDF2-SHA512}25000$4jwHoBRiTEkJQSglhPAeAw$OHuECfbTBP9Ysy3.IbaXifkon2sREVaTRCV4SARa2MZA5ubGbg8qzbphZqsw53WgBmSXdi1qkqn8JbwZAAXa5Q",
                true,
            ),
            (
                "{CRYPT}$6$jPUGHN/jokjjOpFc$N2DwjWvvRfAtO46cpTAuLJPAGat7vVGHVpRKJoKmptHUuh1qn979NHw4ln24qNriazfO6vrxNlBOx5MA4wy3e/",
                true,
            ),
            (
                "$6$SaltSalt$lhjkv5FRF3xFbnHzrl/bOXJ/uoHHduDfMNvQdbuECczRWpcummE9R2U/66/EZqBgs3UhnJ/kt4aeB1RKozDqW/",
                true,
            ),
        ] {
            let h = PasswordHash::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
            assert!(h.verify(&pw(CHB)), "{f}");
            assert!(!h.verify(&pw("correct horse battery stapler")), "{f}");
            assert_eq!(h.needs_upgrade(&HashingParams::TESTING), upgrade);
        }
        let ours = Hasher::new(HashingParams::TESTING).unwrap().hash(&pw(CHB));
        let wrapped = PasswordHash::parse(&format!("{{ARGON2}}{}", ours.as_str())).unwrap();
        assert!(wrapped.verify(&pw(CHB)));
        assert!(!wrapped.needs_upgrade(&HashingParams::TESTING));
        let slow = "{CRYPT}$6$rounds=5000000$yhLCDH3igObAfk.u$Y.4XF/zlpueLtTKHtcpDBUkkdPOFM4QDFFqf.5F6NAHsCkfxqHVtcIGIzACKetGjCxRClDyQPmH.LKhe.ajYm/";
        assert!(matches!(
            PasswordHash::parse_imported(slow, &HashingParams::default()),
            Err(HashFormatError::TooCostly(_))
        ));
        for bad in [
            "{PBKDF2-SHA256}29000$only-two",
            "{CRYPT}$6$",
            "{ARGON2}nonsense",
        ] {
            assert!(PasswordHash::parse(bad).is_err(), "{bad}");
        }
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
    fn bcrypt_never_matches_a_longer_password_by_its_first_72_bytes() {
        let long = "a".repeat(72);
        let h = PasswordHash::parse(&bcrypt::hash(&long, 4).unwrap()).unwrap();
        assert!(h.verify(&pw(&long)));
        assert!(!h.verify(&pw(&format!("{long}b"))));
        assert!(!h.verify(&pw(&format!("{long}{}", "x".repeat(100)))));
    }

    #[test]
    fn imported_hashes_over_the_cost_bounds_are_refused_naming_the_bound() {
        let cfg = HashingParams::TESTING;
        let bc4 = bcrypt::hash(CHB, 4).unwrap();
        let bc15 = bc4.replacen("$04$", "$15$", 1);
        let e = PasswordHash::parse_imported(&bc15, &cfg).unwrap_err();
        assert!(e.to_string().contains("bcrypt cost 15 is over 14"), "{e}");
        assert!(PasswordHash::parse_imported(&bc4, &cfg).is_ok());
        let argon = |m: u32, t: u32| {
            Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(m, t, 1, None).unwrap(),
            )
            .hash_password(CHB.as_bytes())
            .unwrap()
            .to_string()
        };
        assert!(PasswordHash::parse_imported(&argon(256, 1), &cfg).is_ok());
        let e = PasswordHash::parse_imported(&argon(257, 1), &cfg).unwrap_err();
        assert!(
            e.to_string().contains("memory m=257 KiB is over 256 KiB"),
            "{e}"
        );
        let e = PasswordHash::parse_imported(&argon(64, 17), &cfg).unwrap_err();
        assert!(e.to_string().contains("iterations t=17 is over 16"), "{e}");
        let pb = |i: u32| {
            format!("$pbkdf2-sha256$i={i}$c2FsdHNhbHQ$ZmFrZWhhc2hmYWtlaGFzaGZha2VoYXNoZmFrZWhhc2g")
        };
        assert!(PasswordHash::parse_imported(&pb(2_000_000), &cfg).is_ok());
        let e = PasswordHash::parse_imported(&pb(2_000_001), &cfg).unwrap_err();
        assert!(e.to_string().contains("PBKDF2 iterations i=2000001"), "{e}");
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
