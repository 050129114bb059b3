//! `latchkey import FILE`: accounts with their existing hashes from CSV or LDIF, checked
//! and written by the core (`Latchkey::import_accounts`) in batches of one transaction
//! each. A dry run, and any import under `--on-existing fail`, reads the whole file first
//! and writes nothing if it would meet an existing account; refused lines are reported
//! with their number and reason, the others imported, and the exit status is 1 if any
//! line was refused.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI prints

mod csv;
mod ldif;

use crate::progress::Progress;
use latchkey_core::Latchkey;
use latchkey_core::audit::RequestContext;
use latchkey_core::auth::Principal;
use latchkey_core::ops::{ImportAction, ImportLine, ImportRecord, ImportSeen, OnExisting};
use std::io::BufReader;
use std::path::Path;

/// A record read from the file, or the line and why it could not be read.
pub type Parsed = Result<ImportRecord, (u64, String)>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Ldif,
}

impl Format {
    /// From the file name: `.csv`, or `.ldif` / `.ldf` (either with `.gz` after it).
    fn of(path: &Path) -> anyhow::Result<Self> {
        let named = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("gz") => path.with_extension(""),
            _ => path.to_path_buf(),
        };
        match named
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Format::Csv),
            Some("ldif" | "ldf") => Ok(Format::Ldif),
            _ => anyhow::bail!(
                "cannot tell the format of {} from its name: give --format csv or --format ldif",
                path.display()
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Existing {
    Skip,
    Update,
    Fail,
}

pub struct Options {
    pub format: Option<Format>,
    pub dry_run: bool,
    pub on_existing: Existing,
    pub batch: usize,
}

/// Which lines a pass prints: every one (a dry run), the refused (an import), or none
/// (the check before an import under `--on-existing fail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Print {
    Every,
    Refused,
    Nothing,
}

#[derive(Default)]
struct Tally {
    created: u64,
    updated: u64,
    skipped: u64,
    exists: Vec<u64>,
    refused: u64,
}

impl Tally {
    /// Counts a line; prints it as `print` says.
    fn add(&mut self, l: &ImportLine, print: Print) {
        let verb = match &l.action {
            ImportAction::Create => {
                self.created += 1;
                "create"
            }
            ImportAction::Update => {
                self.updated += 1;
                "update"
            }
            ImportAction::Skip => {
                self.skipped += 1;
                "skip (exists)"
            }
            ImportAction::Exists => {
                self.exists.push(l.line);
                "exists"
            }
            ImportAction::Refused(why) => {
                self.refused += 1;
                if print != Print::Nothing {
                    println!("line {}: refused: {why}", l.line);
                }
                return;
            }
        };
        if print == Print::Every {
            println!("line {}: {verb} {}", l.line, l.user_name);
        }
    }
}

pub async fn run(core: &Latchkey, path: &Path, o: Options) -> anyhow::Result<()> {
    let format = match o.format {
        Some(f) => f,
        None => Format::of(path)?,
    };
    let check_first = o.dry_run || o.on_existing == Existing::Fail;
    if check_first {
        let print = if o.dry_run {
            Print::Every
        } else {
            Print::Nothing
        };
        let tally = pass(core, path, format, &o, true, print).await?;
        if o.dry_run || !tally.exists.is_empty() {
            return conclude(&tally, o.dry_run, path);
        }
    }
    let tally = pass(core, path, format, &o, false, Print::Refused).await?;
    conclude(&tally, false, path)
}

fn conclude(t: &Tally, dry_run: bool, path: &Path) -> anyhow::Result<()> {
    let would = if dry_run { "would be " } else { "" };
    println!(
        "{}: {} {would}created, {} {would}updated, {} {would}skipped, {} refused",
        path.display(),
        t.created,
        t.updated,
        t.skipped,
        t.refused
    );
    if !t.exists.is_empty() {
        let lines: Vec<String> = t.exists.iter().take(20).map(u64::to_string).collect();
        anyhow::bail!(
            "{} lines name existing accounts (lines {}{}); with --on-existing fail nothing was written",
            t.exists.len(),
            lines.join(", "),
            if t.exists.len() > 20 { ", …" } else { "" }
        );
    }
    if t.refused > 0 {
        anyhow::bail!("{} lines refused", t.refused);
    }
    Ok(())
}

/// Reads the whole file once, in batches: checks only (`dry_run`), or checks and writes.
async fn pass(
    core: &Latchkey,
    path: &Path,
    format: Format,
    o: &Options,
    dry_run: bool,
    print: Print,
) -> anyhow::Result<Tally> {
    let total = std::fs::metadata(path)?.len();
    let mut progress = Progress::new(if dry_run { "checking" } else { "importing" }, total);
    let (input, _) = crate::progress::open_maybe_gzip(path, &progress)?;
    let records: Box<dyn Iterator<Item = Parsed>> = match format {
        Format::Csv => Box::new(csv::CsvRecords::new(input)?),
        Format::Ldif => Box::new(ldif::LdifRecords::new(BufReader::with_capacity(
            1 << 20,
            input,
        ))),
    };
    let on_existing = match o.on_existing {
        Existing::Skip => OnExisting::Skip,
        Existing::Update => OnExisting::Update,
        Existing::Fail => OnExisting::Fail,
    };
    let (ctx, me) = (RequestContext::cli(), Principal::System);
    let mut seen = ImportSeen::default();
    let mut tally = Tally::default();
    let mut batch = Vec::with_capacity(o.batch);
    let mut records = records.peekable();
    let mut lines = 0u64;
    while records.peek().is_some() {
        let mut unreadable = Vec::new();
        for parsed in records.by_ref().take(o.batch) {
            lines += 1;
            match parsed {
                Ok(r) => batch.push(r),
                Err((line, why)) => unreadable.push(ImportLine {
                    line,
                    user_name: String::new(),
                    action: ImportAction::Refused(why),
                }),
            }
        }
        let mut done = core
            .import_accounts(
                &ctx,
                &me,
                std::mem::take(&mut batch),
                on_existing,
                dry_run,
                &mut seen,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        done.append(&mut unreadable);
        done.sort_by_key(|l| l.line);
        for l in &done {
            tally.add(l, print);
        }
        progress.tick(lines, "lines");
    }
    progress.finish();
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::Format;
    use std::path::Path;

    #[test]
    fn the_format_comes_from_the_name_gzip_or_not() {
        for (name, format) in [
            ("people.csv", Format::Csv),
            ("People.CSV.gz", Format::Csv),
            ("export.ldif", Format::Ldif),
            ("export.ldif.gz", Format::Ldif),
            ("export.ldf", Format::Ldif),
        ] {
            assert_eq!(Format::of(Path::new(name)).unwrap(), format, "{name}");
        }
        for name in ["people.txt", "people.gz", "people"] {
            assert!(Format::of(Path::new(name)).is_err(), "{name}");
        }
    }
}
