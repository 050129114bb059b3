//! The account list query — the user name and e-mail lookups, the IDM/SCIM query filter,
//! sort and paging — as one SQL statement on either backend, so that the filter is
//! evaluated over every account, by the database, with its indexes.
//!
//! Every condition is `TRUE` or `FALSE`, never `NULL` (a missing value is tested first),
//! so that `not` means what [`Filter::matches`] means. Strings compare ignoring case: the
//! user name and e-mail through their stored lower-case keys, the others through
//! `lower()` (which on SQLite folds ASCII letters only).

use crate::args::{Arg, Args};
use latchkey_core::domain::UserName;
use latchkey_core::ports::{AccountFilter, AccountSort};
use latchkey_core::recovery::filter::{Attr, Filter, Op};
use std::fmt::Write as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What differs between the backends' dialects here.
pub struct Dialect {
    /// `?` (SQLite: `?1`) or `$` (PostgreSQL: `$1`).
    pub param: char,
    /// Makes a text comparison or order byte-wise (PostgreSQL's default collation is the
    /// locale's; SQLite's is already binary).
    pub bytewise: &'static str,
}

/// A filter the database cannot evaluate as asked (times compared as text): a 400.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(String);

/// The statement's `WHERE` and `ORDER BY` clauses and their arguments.
pub struct ListSql {
    pub where_clause: String,
    pub order_clause: String,
    pub args: Args,
    params: usize,
    dialect: &'static Dialect,
}

impl ListSql {
    pub fn build(f: &AccountFilter, dialect: &'static Dialect) -> Result<Self, Unsupported> {
        let mut q = ListSql {
            where_clause: String::from("TRUE"),
            order_clause: String::new(),
            args: Args::default(),
            params: 0,
            dialect,
        };
        if let Some(name) = &f.user_name {
            let p = q.param(Arg::Text(Some(UserName::key_of(name))));
            let _ = write!(q.where_clause, " AND a.user_name_key = {p}");
        }
        if let Some(email) = &f.email {
            let p = q.param(Arg::Text(Some(email.to_lowercase())));
            let _ = write!(q.where_clause, " AND a.email_key = {p}");
        }
        if let Some(filter) = &f.query {
            let cond = q.condition(filter)?;
            let _ = write!(q.where_clause, " AND {cond}");
        }
        q.order_clause = q.order(f.sort);
        Ok(q)
    }

    /// The next parameter's placeholder, its value appended to the arguments.
    fn param(&mut self, value: Arg) -> String {
        self.params += 1;
        self.args = std::mem::take(&mut self.args).push(value);
        format!("{}{}", self.dialect.param, self.params)
    }

    /// Appends the `LIMIT` and `OFFSET` parameters.
    pub fn page(&mut self, limit: u32, offset: u32) -> String {
        let l = self.param(Arg::Int(Some(i64::from(limit))));
        let o = self.param(Arg::Int(Some(i64::from(offset))));
        format!("LIMIT {l} OFFSET {o}")
    }

    fn condition(&mut self, f: &Filter) -> Result<String, Unsupported> {
        Ok(match f {
            Filter::And(l, r) => format!("({} AND {})", self.condition(l)?, self.condition(r)?),
            Filter::Or(l, r) => format!("({} OR {})", self.condition(l)?, self.condition(r)?),
            Filter::Not(x) => format!("(NOT {})", self.condition(x)?),
            Filter::Literal(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            Filter::Present(attr) => match column(*attr) {
                Column::Text(c) => format!("({c} IS NOT NULL AND {c} <> '')"),
                Column::Time(_) => "TRUE".to_owned(),
            },
            Filter::Compare(attr, op, value) => match column(*attr) {
                Column::Text(c) => self.text_compare(c, *op, value),
                Column::Time(c) => self.time_compare(*attr, c, *op, value)?,
            },
        })
    }

    fn text_compare(&mut self, c: &str, op: Op, value: &str) -> String {
        let value = value.to_lowercase();
        let escaped = escape_like(&value);
        let (arg, test) = match op {
            Op::Eq => (value, "="),
            Op::Ne => (value, "<>"),
            Op::Co => (format!("%{escaped}%"), "LIKE"),
            Op::Sw => (format!("{escaped}%"), "LIKE"),
            Op::Ew => (format!("%{escaped}"), "LIKE"),
            Op::Gt => (value, ">"),
            Op::Ge => (value, ">="),
            Op::Lt => (value, "<"),
            Op::Le => (value, "<="),
        };
        let p = self.param(Arg::Text(Some(arg)));
        let b = self.dialect.bytewise;
        match op {
            // A missing value differs from every value and matches nothing else.
            Op::Ne => format!("({c} IS NULL OR {c} <> {p})"),
            Op::Co | Op::Sw | Op::Ew => {
                format!("({c} IS NOT NULL AND {c} LIKE {p} ESCAPE '\\')")
            }
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                format!("({c} IS NOT NULL AND {c}{b} {test} {p}{b})")
            }
            Op::Eq => format!("({c} IS NOT NULL AND {c} = {p})"),
        }
    }

    fn time_compare(
        &mut self,
        attr: Attr,
        c: &str,
        op: Op,
        value: &str,
    ) -> Result<String, Unsupported> {
        let sql_op = match op {
            Op::Eq => "=",
            Op::Ne => "<>",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Co | Op::Sw | Op::Ew => {
                return Err(Unsupported(format!(
                    "{} compares as a time: eq, ne, gt, ge, lt or le",
                    attr.name()
                )));
            }
        };
        let at = OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
            Unsupported(format!(
                "{} compares with an RFC 3339 time, not {value:?}",
                attr.name()
            ))
        })?;
        let ms = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let p = self.param(Arg::Int(Some(ms)));
        Ok(format!("({c} {sql_op} {p})"))
    }

    fn order(&self, sort: Option<AccountSort>) -> String {
        let Some(AccountSort { by, descending }) = sort else {
            return "a.user_name_key".to_owned();
        };
        let dir = if descending { "DESC" } else { "ASC" };
        let key = match column(by) {
            Column::Text(c) => format!("COALESCE({c}, ''){}", self.dialect.bytewise),
            Column::Time(c) => c.to_owned(),
        };
        format!("{key} {dir}, a.user_name_key {dir}")
    }
}

enum Column {
    /// Lower-case text, or `NULL`.
    Text(&'static str),
    /// Unix milliseconds, never `NULL`.
    Time(&'static str),
}

fn column(attr: Attr) -> Column {
    match attr {
        Attr::UserName => Column::Text("a.user_name_key"),
        Attr::Email => Column::Text("a.email_key"),
        Attr::GivenName => Column::Text("lower(a.given_name)"),
        Attr::Sn => Column::Text("lower(a.sn)"),
        Attr::DisplayName => Column::Text("lower(a.display_name)"),
        Attr::ExternalId => Column::Text("lower(a.external_id)"),
        Attr::Id => Column::Text("a.id"),
        Attr::Active => Column::Text("(CASE WHEN a.disabled THEN 'false' ELSE 'true' END)"),
        Attr::Created => Column::Time("a.created_at"),
        Attr::LastModified => Column::Time(
            "(CASE WHEN a.password_changed_at > a.created_at THEN a.password_changed_at ELSE a.created_at END)",
        ),
    }
}

/// `%`, `_` and the escape character itself, escaped for `LIKE … ESCAPE '\'`.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQLITE: Dialect = Dialect {
        param: '?',
        bytewise: "",
    };

    fn sql(filter: &str) -> String {
        let f = AccountFilter {
            query: Some(Filter::parse(filter).unwrap()),
            ..Default::default()
        };
        ListSql::build(&f, &SQLITE).unwrap().where_clause
    }

    #[test]
    fn filters_become_conditions_that_are_never_null() {
        assert_eq!(
            sql(r#"userName eq "JDoe""#),
            "TRUE AND (a.user_name_key IS NOT NULL AND a.user_name_key = ?1)"
        );
        assert_eq!(
            sql(r#"not (sn ne "x")"#),
            "TRUE AND (NOT (lower(a.sn) IS NULL OR lower(a.sn) <> ?1))"
        );
        assert_eq!(
            sql(r#"emails co "50%_off" or externalId pr"#),
            "TRUE AND ((a.email_key IS NOT NULL AND a.email_key LIKE ?1 ESCAPE '\\') OR (lower(a.external_id) IS NOT NULL AND lower(a.external_id) <> ''))"
        );
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn times_compare_as_times_or_not_at_all() {
        assert_eq!(
            sql(r#"meta.created gt "2026-01-01T00:00:00Z""#),
            "TRUE AND (a.created_at > ?1)"
        );
        let f = AccountFilter {
            query: Some(Filter::parse(r#"meta.created co "2026""#).unwrap()),
            ..Default::default()
        };
        assert!(ListSql::build(&f, &SQLITE).is_err());
    }
}
