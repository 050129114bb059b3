//! Progress of a long CLI job that reads a file (`import`, `breached build`): a bar with
//! rate and ETA on a terminal, a plain line every few seconds otherwise (logs, CI). The
//! position is the input's bytes read — of the compressed file for gzip input.
#![allow(clippy::print_stderr)] // a CLI prints

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal as _, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    what: &'static str,
    total: u64,
    bar: Option<ProgressBar>,
    read: Arc<AtomicU64>,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Progress over `total` input bytes, counted by readers made with [`Self::reader`].
    pub fn new(what: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(
                "{msg} [{bar:30}] {percent:>3}% {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            ProgressBar::new(total)
                .with_style(style)
                .with_message(what)
        });
        let now = Instant::now();
        Progress {
            what,
            total,
            bar,
            read: Arc::default(),
            started: now,
            last_line: now,
        }
    }

    /// Wraps the input so that its bytes count towards the progress.
    pub fn reader<R: Read>(&self, inner: R) -> CountingReader<R> {
        CountingReader {
            inner,
            read: Arc::clone(&self.read),
        }
    }

    /// Shows the position (call it every so often, e.g. per batch); `items` is what the
    /// job has done so far, for the plain line's rate.
    pub fn tick(&mut self, items: u64, unit: &str) {
        let read = self.read.load(Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(read);
            return;
        }
        if self.last_line.elapsed() < PLAIN_EVERY {
            return;
        }
        self.last_line = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let share = read as f64 / self.total.max(1) as f64;
        let eta = if share > 0.0 {
            format!("{:.0} s", secs / share - secs)
        } else {
            "unknown".into()
        };
        eprintln!(
            "{}: {:.0}% ({} of {} bytes), {:.0} {unit}/s, ETA {eta}",
            self.what,
            share * 100.0,
            read,
            self.total,
            items as f64 / secs
        );
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub struct CountingReader<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file for reading, decompressing gzip (recognised by its magic bytes, whatever
/// the name), counting the file's own bytes for `progress`; says whether it was gzip.
pub fn open_maybe_gzip(
    path: &std::path::Path,
    progress: &Progress,
) -> std::io::Result<(Box<dyn Read + Send>, bool)> {
    let mut head = [0u8; 2];
    let gzip = {
        let mut f = std::fs::File::open(path)?;
        f.read(&mut head)? == 2 && head == [0x1f, 0x8b]
    };
    let counted = progress.reader(std::fs::File::open(path)?);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(counted))
    } else {
        Box::new(counted)
    };
    Ok((reader, gzip))
}
