//! CSV import files: a header row naming columns as the native account JSON does
//! (`userName`, `email`, `givenName`, `sn`, `displayName`, `telephoneNumber`, `locale`,
//! `externalId`, `dn`, `id`, `sid`, `roles` separated by `;` or spaces, `status` active or
//! disabled, `federated`, `mustChangePassword`, `passwordNeverExpires`,
//! `cannotChangePassword`, `passwordChangedAt`) plus `passwordHash`. Read-only columns of
//! an account read (`_rev`, `passwordExpiresAt`, `lockedUntil`) are ignored; any other
//! column is refused before anything is read.

use super::Parsed;
use latchkey_core::domain::Role;
use latchkey_core::ops::ImportRecord;
use std::io::Read;

const IGNORED: [&str; 3] = ["_rev", "passwordExpiresAt", "lockedUntil"];
const KNOWN: [&str; 18] = [
    "userName",
    "email",
    "givenName",
    "sn",
    "displayName",
    "telephoneNumber",
    "locale",
    "externalId",
    "dn",
    "id",
    "sid",
    "roles",
    "status",
    "federated",
    "mustChangePassword",
    "passwordNeverExpires",
    "cannotChangePassword",
    "passwordChangedAt",
];

pub struct CsvRecords<R: Read> {
    reader: csv::Reader<R>,
    header: Vec<String>,
}

impl<R: Read> CsvRecords<R> {
    pub fn new(input: R) -> anyhow::Result<Self> {
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| anyhow::anyhow!("reading the header row: {e}"))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        for h in &header {
            if !KNOWN.contains(&h.as_str()) && !IGNORED.contains(&h.as_str()) && h != "passwordHash"
            {
                anyhow::bail!(
                    "line 1: unknown column '{h}' (known: {}, passwordHash)",
                    KNOWN.join(", ")
                );
            }
        }
        if !header.iter().any(|h| h == "userName") {
            anyhow::bail!("line 1: the header has no 'userName' column");
        }
        Ok(CsvRecords { reader, header })
    }
}

impl<R: Read> Iterator for CsvRecords<R> {
    type Item = Parsed;

    fn next(&mut self) -> Option<Parsed> {
        let mut row = csv::StringRecord::new();
        match self.reader.read_record(&mut row) {
            Ok(false) => None,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                // A malformed row (wrong field count, bad UTF-8): refused, reading goes on.
                Some(Err((line, format!("unreadable row: {e}"))))
            }
            Ok(true) => {
                let line = row.position().map_or(0, csv::Position::line);
                Some(record(&self.header, &row, line).map_err(|why| (line, why)))
            }
        }
    }
}

fn flag(name: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        _ => Err(format!("{name}: '{v}' is not true or false")),
    }
}

fn record(header: &[String], row: &csv::StringRecord, line: u64) -> Result<ImportRecord, String> {
    let mut r = ImportRecord {
        line,
        ..Default::default()
    };
    for (name, value) in header.iter().zip(row.iter()) {
        let value = value.trim();
        let text = || (!value.is_empty()).then(|| value.to_owned());
        match name.as_str() {
            "userName" => r.user_name = value.to_owned(),
            "email" => r.profile.email = text(),
            "givenName" => r.profile.given_name = text(),
            "sn" => r.profile.sn = text(),
            "displayName" => r.profile.display_name = text(),
            "telephoneNumber" => r.profile.telephone_number = text(),
            "locale" => r.profile.locale = text(),
            "externalId" => r.profile.external_id = text(),
            "dn" => r.dn = text(),
            "id" => r.id = text(),
            "sid" => r.sid = text(),
            "passwordHash" => r.password_hash = text(),
            "passwordChangedAt" => r.password_changed_at = text(),
            "roles" => {
                r.roles = value
                    .split([';', ' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse::<Role>()
                            .map_err(|_| format!("roles: '{s}' is not user, helpdesk or admin"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "status" => {
                r.disabled = match value {
                    "" | "active" => false,
                    "disabled" => true,
                    other => return Err(format!("status: '{other}' is not active or disabled")),
                }
            }
            "federated" => r.federated = flag(name, value)?,
            "mustChangePassword" => r.must_change_password = flag(name, value)?,
            "passwordNeverExpires" => r.password_never_expires = flag(name, value)?,
            "cannotChangePassword" => r.cannot_change_password = flag(name, value)?,
            _ => {} // an ignored read-only column
        }
    }
    Ok(r)
}
