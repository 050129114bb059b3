//! The `{SSHA}` family of LDAP directories: salted SHA-1/256/512, base64(digest ‖ salt).

use super::HashFormatError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ShaKind {
    Sha1,
    Sha256,
    Sha512,
}

impl ShaKind {
    const ALL: [(ShaKind, &'static str); 3] = [
        (ShaKind::Sha512, "{SSHA512}"),
        (ShaKind::Sha256, "{SSHA256}"),
        (ShaKind::Sha1, "{SSHA}"),
    ];

    pub(super) fn detect(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, p)| {
                s.get(..p.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(p))
            })
            .map(|(k, _)| *k)
    }

    fn prefix_len(self) -> usize {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or(0, |(_, p)| p.len())
    }

    fn digest_len(self) -> usize {
        match self {
            ShaKind::Sha1 => 20,
            ShaKind::Sha256 => 32,
            ShaKind::Sha512 => 64,
        }
    }

    fn digest(self, password: &[u8], salt: &[u8]) -> Vec<u8> {
        fn run<D: Digest>(p: &[u8], s: &[u8]) -> Vec<u8> {
            let mut d = D::new();
            d.update(p);
            d.update(s);
            d.finalize().to_vec()
        }
        match self {
            ShaKind::Sha1 => run::<Sha1>(password, salt),
            ShaKind::Sha256 => run::<Sha256>(password, salt),
            ShaKind::Sha512 => run::<Sha512>(password, salt),
        }
    }
}

/// Decodes into (digest, salt); a salt is required.
pub(super) fn parse_ssha(s: &str, kind: ShaKind) -> Result<(Vec<u8>, Vec<u8>), HashFormatError> {
    let bytes = STANDARD
        .decode(&s[kind.prefix_len()..])
        .map_err(|_| HashFormatError::Unsupported)?;
    if bytes.len() <= kind.digest_len() {
        return Err(HashFormatError::Unsupported);
    }
    let (digest, salt) = bytes.split_at(kind.digest_len());
    Ok((digest.to_vec(), salt.to_vec()))
}

pub(super) fn verify_ssha(s: &str, kind: ShaKind, password: &[u8]) -> bool {
    let Ok((digest, salt)) = parse_ssha(s, kind) else {
        return false;
    };
    crate::secret::constant_time_eq(&kind.digest(password, &salt), &digest)
}
