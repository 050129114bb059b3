//! The filter file format and lookups.
//!
//! Layout (little-endian): magic `LKBF`, version `u32` (1), shard bits `u32`, minimum
//! count `u32`, keys `u64`; then per shard: seed `u64`, segment length `u32`, segment
//! length mask `u32`, segment count length `u32`, fingerprint count `u64`, fingerprints
//! `u16`…; then the CRC-32 of everything before it.

use latchkey_core::policy::BreachedCorpus;
use std::io::{self, Read, Write};
use std::path::Path;
use xorf::{BinaryFuse16, Filter as _};

pub(super) const MAGIC: &[u8; 4] = b"LKBF";
pub(super) const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error(
        "{0} is not a Latchkey breached-password filter (build one with `latchkey breached build`)"
    )]
    NotAFilter(String),
    #[error("{path} is a filter of format version {found}; this Latchkey reads version {VERSION}")]
    Version { path: String, found: u32 },
    #[error("{0} is truncated: rebuild it")]
    Truncated(String),
    #[error("{0} is corrupt (checksum mismatch): rebuild it")]
    Corrupt(String),
    #[error(
        "{path} was built with --min-count {built}, but policy.breached.min_count is {configured}: rebuild it or change the setting"
    )]
    MinCount {
        path: String,
        built: u32,
        configured: u32,
    },
}

/// One shard: `None` when no key fell into it.
type Shard = Option<BinaryFuse16>;

/// A loaded filter.
pub struct BreachedFilter {
    shard_bits: u32,
    min_count: u32,
    keys: u64,
    shards: Vec<Shard>,
}

impl std::fmt::Debug for BreachedFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "BreachedFilter({} keys, {} shards, min count {})",
            self.keys,
            self.shards.len(),
            self.min_count
        )
    }
}

/// A reader that keeps a running CRC-32 of what passed through it.
struct Crc<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> Read for Crc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

pub(super) fn shard_of(key: u64, shard_bits: u32) -> usize {
    if shard_bits == 0 {
        0
    } else {
        (key >> (64 - shard_bits)) as usize
    }
}

/// The 64-bit key of a SHA-1 digest.
pub(super) fn key_of(digest: &[u8; 20]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

impl BreachedFilter {
    /// Reads and checks a filter file; `min_count` must be the one it was built with.
    pub fn load(path: &Path, min_count: u32) -> Result<Self, FilterError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| FilterError::Io {
            path: name.clone(),
            source,
        })?;
        let mut r = Crc {
            inner: io::BufReader::with_capacity(1 << 20, file),
            crc: crc32fast::Hasher::new(),
        };
        let eof = |e: io::Error| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                FilterError::Truncated(name.clone())
            } else {
                FilterError::Io {
                    path: name.clone(),
                    source: e,
                }
            }
        };
        let mut magic = [0u8; 4];
        r.read_exact(&mut magic)
            .map_err(|_| FilterError::NotAFilter(name.clone()))?;
        if &magic != MAGIC {
            return Err(FilterError::NotAFilter(name));
        }
        let version = read_u32(&mut r).map_err(eof)?;
        if version != VERSION {
            return Err(FilterError::Version {
                path: name,
                found: version,
            });
        }
        let shard_bits = read_u32(&mut r).map_err(eof)?;
        let built_min_count = read_u32(&mut r).map_err(eof)?;
        let keys = read_u64(&mut r).map_err(eof)?;
        if shard_bits > 24 {
            return Err(FilterError::Corrupt(name));
        }
        let mut shards = Vec::with_capacity(1 << shard_bits);
        for _ in 0..(1usize << shard_bits) {
            let seed = read_u64(&mut r).map_err(eof)?;
            let segment_length = read_u32(&mut r).map_err(eof)?;
            let segment_length_mask = read_u32(&mut r).map_err(eof)?;
            let segment_count_length = read_u32(&mut r).map_err(eof)?;
            let count = read_u64(&mut r).map_err(eof)?;
            if count > keys.saturating_mul(2).saturating_add(1 << 20) {
                return Err(FilterError::Corrupt(name));
            }
            if count == 0 {
                shards.push(None);
                continue;
            }
            let mut bytes = vec![0u8; count as usize * 2];
            r.read_exact(&mut bytes).map_err(eof)?;
            let fingerprints: Box<[u16]> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let descriptor = xorf::Descriptor {
                seed,
                segment_length,
                segment_length_mask,
                segment_count_length,
            };
            shards.push(Some(BinaryFuse16 {
                descriptor,
                fingerprints,
            }));
        }
        let computed = r.crc.clone().finalize();
        let stored = read_u32(&mut r.inner).map_err(eof)?;
        if computed != stored {
            return Err(FilterError::Corrupt(name));
        }
        let mut rest = [0u8; 1];
        if r.inner.read(&mut rest).map_err(eof)? != 0 {
            return Err(FilterError::Corrupt(name));
        }
        if built_min_count != min_count {
            return Err(FilterError::MinCount {
                path: name,
                built: built_min_count,
                configured: min_count,
            });
        }
        Ok(Self {
            shard_bits,
            min_count,
            keys,
            shards,
        })
    }

    pub fn keys(&self) -> u64 {
        self.keys
    }

    /// Bytes of fingerprints held in memory.
    pub fn size_bytes(&self) -> usize {
        self.shards
            .iter()
            .flatten()
            .map(|s| s.fingerprints.len() * 2)
            .sum()
    }

    pub fn contains_key(&self, key: u64) -> bool {
        self.shards[shard_of(key, self.shard_bits)]
            .as_ref()
            .is_some_and(|s| s.contains(&key))
    }
}

impl BreachedCorpus for BreachedFilter {
    fn contains_sha1(&self, digest: &[u8; 20]) -> bool {
        self.contains_key(key_of(digest))
    }

    fn min_count(&self) -> u32 {
        self.min_count
    }
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Writes one shard's section.
pub(super) fn write_shard(w: &mut impl Write, shard: Option<&BinaryFuse16>) -> io::Result<()> {
    match shard {
        None => {
            w.write_all(&[0u8; 8 + 4 + 4 + 4])?;
            w.write_all(&0u64.to_le_bytes())
        }
        Some(f) => {
            let d = &f.descriptor;
            w.write_all(&d.seed.to_le_bytes())?;
            w.write_all(&d.segment_length.to_le_bytes())?;
            w.write_all(&d.segment_length_mask.to_le_bytes())?;
            w.write_all(&d.segment_count_length.to_le_bytes())?;
            w.write_all(&(f.fingerprints.len() as u64).to_le_bytes())?;
            let mut buf = Vec::with_capacity(f.fingerprints.len() * 2);
            for fp in f.fingerprints.iter() {
                buf.extend_from_slice(&fp.to_le_bytes());
            }
            w.write_all(&buf)
        }
    }
}
