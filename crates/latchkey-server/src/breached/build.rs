//! `latchkey breached build`: HIBP-format lines (`SHA1HEX:count` or `SHA1HEX`, any case)
//! in, filter file out, in two streaming passes with memory bounded by one shard.

use super::filter::{MAGIC, VERSION, shard_of, write_shard};
use std::fs::File;
use std::io::{self, BufRead as _, BufReader, BufWriter, Read as _, Seek as _, Write};
use std::path::Path;
use xorf::BinaryFuse16;

/// Keys per shard the build aims for: a `BinaryFuse16` build needs about 30 bytes per
/// key, so 4 M keys keep one shard's build near 120 MiB.
const TARGET_KEYS_PER_SHARD: u64 = 4 << 20;
/// The shortest line that can hold a key ("<40 hex>\n").
const MIN_LINE_BYTES: u64 = 41;

#[derive(Debug, Clone)]
pub struct BuildReport {
    pub lines: u64,
    pub skipped_below_min_count: u64,
    pub keys: u64,
    pub shards: usize,
    pub bytes: u64,
}

fn invalid(line: u64, what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("line {line}: {what}"))
}

/// Parses one line into (key, count); `None` for a blank line.
fn parse_line(line: &str, n: u64) -> io::Result<Option<(u64, u64)>> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(None);
    }
    let (hex, count) = match line.split_once(':') {
        Some((h, c)) => (
            h,
            c.trim()
                .parse::<u64>()
                .map_err(|_| invalid(n, "the count after ':' is not a number"))?,
        ),
        None => (line, 1),
    };
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(
            n,
            "expected a SHA-1 in 40 hexadecimal digits, optionally followed by :count",
        ));
    }
    let key = u64::from_str_radix(&hex[..16], 16).map_err(|_| invalid(n, "bad hexadecimal"))?;
    Ok(Some((key, count)))
}

/// How much bigger than its gzip file a HIBP text file is, about (for sizing shards).
const GZIP_RATIO: u64 = 2;

/// Builds `output` from `input` (plain or gzip), keeping entries seen at least
/// `min_count` times, showing progress on stderr. Spill files go to a temporary directory
/// beside `output` and are removed.
pub fn build(input: &Path, output: &Path, min_count: u32) -> io::Result<BuildReport> {
    let input_len = std::fs::metadata(input)?.len();
    let mut progress = crate::progress::Progress::new("breached build", input_len);
    let (source, gzip) = crate::progress::open_maybe_gzip(input, &progress)?;
    let text_len = if gzip {
        input_len * GZIP_RATIO
    } else {
        input_len
    };
    let estimated_keys = text_len / MIN_LINE_BYTES + 1;
    let shard_bits = (estimated_keys / TARGET_KEYS_PER_SHARD)
        .max(1)
        .next_power_of_two()
        .trailing_zeros()
        .clamp(4, 16);
    let shards = 1usize << shard_bits;
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let spill_dir = tempfile::Builder::new()
        .prefix(".latchkey-breached-")
        .tempdir_in(dir)?;

    // Pass 1: stream the input into one spill file of raw keys per shard.
    let mut spills: Vec<BufWriter<File>> = (0..shards)
        .map(|i| {
            File::create(spill_dir.path().join(format!("{i:05}")))
                .map(|f| BufWriter::with_capacity(64 << 10, f))
        })
        .collect::<io::Result<_>>()?;
    let mut reader = BufReader::with_capacity(1 << 20, source);
    let (mut lines, mut skipped) = (0u64, 0u64);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        lines += 1;
        if lines % 65_536 == 0 {
            progress.tick(lines, "lines");
        }
        let Some((key, count)) = parse_line(&line, lines)? else {
            continue;
        };
        if count < u64::from(min_count) {
            skipped += 1;
            continue;
        }
        spills[shard_of(key, shard_bits)].write_all(&key.to_le_bytes())?;
    }
    for s in &mut spills {
        s.flush()?;
    }
    drop(spills);
    progress.finish();

    // Pass 2: one shard at a time: sort, deduplicate, build, append.
    let tmp_out = output.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp_out)?);
    out.write_all(MAGIC)?;
    out.write_all(&VERSION.to_le_bytes())?;
    out.write_all(&shard_bits.to_le_bytes())?;
    out.write_all(&min_count.to_le_bytes())?;
    out.write_all(&0u64.to_le_bytes())?; // the key count, known at the end
    let mut total = 0u64;
    for i in 0..shards {
        let path = spill_dir.path().join(format!("{i:05}"));
        let mut raw = Vec::new();
        File::open(&path)?.read_to_end(&mut raw)?;
        std::fs::remove_file(&path)?;
        let mut keys: Vec<u64> = raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        drop(raw);
        keys.sort_unstable();
        keys.dedup();
        total += keys.len() as u64;
        let filter = if keys.is_empty() {
            None
        } else {
            Some(
                BinaryFuse16::try_from(&keys)
                    .map_err(|e| io::Error::other(format!("building shard {i}: {e}")))?,
            )
        };
        drop(keys);
        write_shard(&mut out, filter.as_ref())?;
    }
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    file.seek(io::SeekFrom::Start(KEY_COUNT_OFFSET))?;
    file.write_all(&total.to_le_bytes())?;
    file.seek(io::SeekFrom::End(0))?;
    let crc = crc_of(&tmp_out)?;
    file.write_all(&crc.to_le_bytes())?;
    file.sync_all()?;
    let bytes = file.metadata()?.len();
    drop(file);
    std::fs::rename(&tmp_out, output)?;
    Ok(BuildReport {
        lines,
        skipped_below_min_count: skipped,
        keys: total,
        shards,
        bytes,
    })
}

/// Where the header keeps the key count: after magic, version, shard bits, min count.
const KEY_COUNT_OFFSET: u64 = 16;

fn crc_of(path: &Path) -> io::Result<u32> {
    let mut r = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(crc.finalize());
        }
        crc.update(&buf[..n]);
    }
}
