//! Argon2 with its memory reused: each hashing thread owns one area of the configured size,
//! allocated once and used by every hash and verification that thread runs, so no proof
//! pays for allocating and faulting in 19 MiB. A hash with a larger memory cost (a rare
//! import) gets a one-off area; a thread that reserved none (the CLI) allocates per hash.
//!
//! What a hash leaves in the area is derived from the password, never the password; the
//! next hash overwrites it entirely (Argon2's first pass writes every block without
//! reading the old contents), and the area is zeroed when its thread ends.

use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use zeroize::Zeroize as _;

thread_local! {
    static AREA: RefCell<Area> = const { RefCell::new(Area(Vec::new())) };
}

struct Area(Vec<Block>);

impl Drop for Area {
    fn drop(&mut self) {
        for b in &mut self.0 {
            b.zeroize();
        }
    }
}

/// Gives this thread an area of `blocks` Argon2 blocks (1 KiB each), touched once so that
/// it is resident from the start: the hashing engine's memory is then a constant.
pub(crate) fn reserve(blocks: usize) {
    AREA.with(|a| {
        let mut a = a.borrow_mut();
        if a.0.len() < blocks {
            a.0 = vec![Block::new(); blocks];
        }
    });
}

/// Computes an Argon2 tag into `out`, in this thread's area when it is large enough.
pub(crate) fn argon2_into(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    AREA.with(|a| {
        let mut a = a.borrow_mut();
        match a.0.get_mut(..blocks) {
            Some(area) => argon.hash_password_into_with_memory(password, salt, out, area),
            None => {
                let mut once = Area(vec![Block::new(); blocks]);
                argon.hash_password_into_with_memory(password, salt, out, &mut once.0[..])
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_area_gives_the_tag_of_a_fresh_one() {
        let params = Params::new(64, 1, 1, Some(32)).unwrap();
        let fresh = {
            let mut out = [0u8; 32];
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
                .hash_password_into(b"password one", b"saltsaltsalt", &mut out)
                .unwrap();
            out
        };
        reserve(64);
        let mut first = [0u8; 32];
        let mut other = [0u8; 32];
        let mut again = [0u8; 32];
        let run = |pw: &[u8], out: &mut [u8]| {
            argon2_into(
                Algorithm::Argon2id,
                Version::V0x13,
                params.clone(),
                pw,
                b"saltsaltsalt",
                out,
            )
            .unwrap()
        };
        run(b"password one", &mut first);
        run(b"password two", &mut other);
        run(b"password one", &mut again);
        assert_eq!(first, fresh);
        assert_eq!(again, fresh, "what the previous hash left changes nothing");
        assert_ne!(other, fresh);
        // Larger than the area: a one-off allocation, the same result as the crate's.
        let big = Params::new(256, 1, 1, Some(32)).unwrap();
        let mut expected = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, big.clone())
            .hash_password_into(b"pw", b"saltsaltsalt", &mut expected)
            .unwrap();
        let mut out = [0u8; 32];
        argon2_into(
            Algorithm::Argon2id,
            Version::V0x13,
            big,
            b"pw",
            b"saltsaltsalt",
            &mut out,
        )
        .unwrap();
        assert_eq!(out, expected);
    }
}
