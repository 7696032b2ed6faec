//! Raw SQL for the reports and the lag rollup: a text with numbered
//! parameters, and the few expressions where SQLite and PostgreSQL differ.

use sea_orm::{DbBackend, Statement, Value};

/// A SQL text and its parameters, numbered `$n` (sqlx reads `$n` on SQLite
/// too), so that one value can be used in several places.
pub(crate) struct Sql {
    pub(crate) backend: DbBackend,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            values: Vec::new(),
        }
    }

    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Whole days from `earlier` to `later`, two date columns, as BIGINT.
    pub(crate) fn days(&self, later: &str, earlier: &str) -> String {
        match self.backend {
            DbBackend::Postgres => format!("CAST({later} - {earlier} AS BIGINT)"),
            _ => format!("CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"),
        }
    }

    /// The first day of the month of a date column, as a date.
    pub(crate) fn month_start(&self, column: &str) -> String {
        match self.backend {
            DbBackend::Postgres => format!("CAST(date_trunc('month', {column}) AS DATE)"),
            _ => format!("date({column}, 'start of month')"),
        }
    }

    pub(crate) fn statement(self, text: String) -> Statement {
        Statement::from_sql_and_values(self.backend, text, self.values)
    }
}
