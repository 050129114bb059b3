//! Recovery state tokens: XChaCha20-Poly1305 under a server key. They carry the flow, the
//! step reached, the account (or none, for a decoy) and the expiry, and reveal nothing —
//! not even by their length: the payload has one fixed size, so a decoy's token looks
//! exactly like a real one. Several keys may be configured: the first seals, all open
//! (rotation).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::Aead as _;
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};
use hmac::Mac as _;
use rand::Rng as _;
use uuid::Uuid;

const VERSION: u8 = 2;
const AAD: &[u8] = b"latchkey-recovery-token-v2";
/// flow (16) · step (4) · account, nil for none (16) · expiry (8), big-endian.
const PAYLOAD_LEN: usize = 16 + 4 + 16 + 8;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub flow: Uuid,
    pub step: u32,
    pub account: Option<Uuid>,
    /// Unix seconds.
    pub expires: i64,
}

impl Claims {
    fn to_bytes(&self) -> [u8; PAYLOAD_LEN] {
        let mut out = [0u8; PAYLOAD_LEN];
        out[..16].copy_from_slice(self.flow.as_bytes());
        out[16..20].copy_from_slice(&self.step.to_be_bytes());
        out[20..36].copy_from_slice(self.account.unwrap_or(Uuid::nil()).as_bytes());
        out[36..].copy_from_slice(&self.expires.to_be_bytes());
        out
    }

    fn from_bytes(b: &[u8]) -> Option<Self> {
        let b: &[u8; PAYLOAD_LEN] = b.try_into().ok()?;
        let account = Uuid::from_slice(&b[20..36]).ok()?;
        Some(Self {
            flow: Uuid::from_slice(&b[..16]).ok()?,
            step: u32::from_be_bytes(b[16..20].try_into().ok()?),
            account: (!account.is_nil()).then_some(account),
            expires: i64::from_be_bytes(b[36..].try_into().ok()?),
        })
    }
}

/// The 32-byte keys; the first seals.
#[derive(Clone)]
pub struct TokenKeys(Vec<[u8; 32]>);

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKeys({} keys, [redacted])", self.0.len())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recovery.token_keys[{0}]: expected 32 bytes in base64")]
pub struct KeyError(pub usize);

impl TokenKeys {
    /// Keys in base64 (standard or URL-safe), each 32 bytes.
    pub fn parse(encoded: &[impl AsRef<str>]) -> Result<Self, KeyError> {
        let keys = encoded
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let k = k.as_ref().trim();
                let bytes = URL_SAFE_NO_PAD
                    .decode(k.trim_end_matches('='))
                    .or_else(|_| base64::engine::general_purpose::STANDARD.decode(k))
                    .map_err(|_| KeyError(i))?;
                <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError(i))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(KeyError(0));
        }
        Ok(Self(keys))
    }

    /// A new random key, base64url (kept in the store when none is configured).
    pub fn generate() -> String {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        URL_SAFE_NO_PAD.encode(k)
    }

    pub fn seal(&self, claims: &Claims) -> String {
        let plain = claims.to_bytes();
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new_from_slice(&self.0[0]).expect("32-byte key");
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                chacha20poly1305::aead::Payload {
                    msg: &plain,
                    aad: AAD,
                },
            )
            .expect("in-memory encryption of a small message cannot fail");
        let mut out = Vec::with_capacity(1 + 24 + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The claims of an authentic token under any key; `None` for anything else.
    pub fn open(&self, token: &str) -> Option<Claims> {
        let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
        if raw.len() < 1 + 24 + 16 || raw[0] != VERSION {
            return None;
        }
        let nonce = XNonce::try_from(&raw[1..25]).ok()?;
        self.0.iter().find_map(|k| {
            let cipher = XChaCha20Poly1305::new_from_slice(k).ok()?;
            let plain = cipher
                .decrypt(
                    &nonce,
                    chacha20poly1305::aead::Payload {
                        msg: &raw[25..],
                        aad: AAD,
                    },
                )
                .ok()?;
            Claims::from_bytes(&plain)
        })
    }

    /// A keyed digest of a flow's code, so the store never holds a usable code.
    pub fn code_digest(&self, flow: Uuid, code: &str) -> Vec<u8> {
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0[0]).expect("any key length");
        mac.update(flow.as_bytes());
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A keyed digest of `data` for `purpose` under the sealing key (a web form's CSRF
    /// token over its cookie).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> Vec<u8> {
        Self::keyed(&self.0[0], purpose, data)
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// Whether `tag` is `mac(purpose, data)` under any key, compared in constant time.
    pub fn verify_mac(&self, purpose: &str, data: &[u8], tag: &[u8]) -> bool {
        self.0
            .iter()
            .any(|k| Self::keyed(k, purpose, data).verify_slice(tag).is_ok())
    }

    fn keyed(key: &[u8; 32], purpose: &str, data: &[u8]) -> hmac::Hmac<sha2::Sha256> {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac
    }

    /// Seals arbitrary bytes (a recovery code waiting in the outbox).
    pub fn seal_bytes(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new_from_slice(&self.0[0]).expect("32-byte key");
        let sealed = cipher
            .encrypt(&XNonce::from(nonce), plain)
            .expect("in-memory encryption cannot fail");
        URL_SAFE_NO_PAD.encode([&nonce[..], &sealed].concat())
    }

    pub fn open_bytes(&self, sealed: &str) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 24 + 16 {
            return None;
        }
        let nonce = XNonce::try_from(&raw[..24]).ok()?;
        self.0.iter().find_map(|k| {
            XChaCha20Poly1305::new_from_slice(k)
                .ok()?
                .decrypt(&nonce, &raw[24..])
                .ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> TokenKeys {
        TokenKeys::parse(&(0..n).map(|_| TokenKeys::generate()).collect::<Vec<_>>()).unwrap()
    }

    fn claims() -> Claims {
        Claims {
            flow: Uuid::new_v4(),
            step: 2,
            account: Some(Uuid::new_v4()),
            expires: 1_800_000_000,
        }
    }

    #[test]
    fn a_sealed_token_opens_and_reveals_nothing() {
        let k = keys(1);
        let c = claims();
        let t = k.seal(&c);
        assert_eq!(k.open(&t), Some(c.clone()));
        assert!(!t.contains(&c.flow.simple().to_string()));
        assert_ne!(k.seal(&c), t, "a fresh nonce each time");
    }

    #[test]
    fn a_decoy_token_has_the_length_of_a_real_one() {
        let k = keys(1);
        let real = k.seal(&claims());
        let decoy = k.seal(&Claims {
            account: None,
            ..claims()
        });
        assert_eq!(real.len(), decoy.len());
        assert_eq!(k.open(&decoy).unwrap().account, None);
    }

    #[test]
    fn tampered_or_foreign_tokens_do_not_open() {
        let k = keys(1);
        let t = k.seal(&claims());
        let mut raw = URL_SAFE_NO_PAD.decode(&t).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert_eq!(k.open(&URL_SAFE_NO_PAD.encode(&raw)), None);
        assert_eq!(keys(1).open(&t), None);
        for junk in ["", "abc", "!!!", &"A".repeat(200)] {
            assert_eq!(k.open(junk), None);
        }
    }

    #[test]
    fn rotation_opens_tokens_of_older_keys() {
        let old = TokenKeys::generate();
        let new = TokenKeys::generate();
        let before = TokenKeys::parse(&[&old]).unwrap().seal(&claims());
        let rotated = TokenKeys::parse(&[&new, &old]).unwrap();
        assert!(rotated.open(&before).is_some());
        assert!(TokenKeys::parse(&[&new]).unwrap().open(&before).is_none());
        assert_eq!(TokenKeys::parse(&["short"]).unwrap_err(), KeyError(0));
    }

    #[test]
    fn sealed_bytes_round_trip() {
        let k = keys(2);
        let s = k.seal_bytes(b"12345678");
        assert_eq!(k.open_bytes(&s).unwrap(), b"12345678");
        assert!(!s.contains("12345678"));
    }
}
