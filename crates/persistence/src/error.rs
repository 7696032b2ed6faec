use sea_orm::{DbErr, RuntimeErr, SqlErr, TransactionError};

/// What can go wrong in a repository, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; the text names
    /// the constraint, never the values.
    #[error("conflict with existing data")]
    Conflict,
    #[error("the record was changed by someone else")]
    StaleVersion,
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// The database cannot be reached right now; worth retrying later.
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    #[error("database error")]
    Database(#[source] DbErr),
}

impl From<DbErr> for RepoError {
    fn from(err: DbErr) -> Self {
        if let Some(
            SqlErr::UniqueConstraintViolation(_) | SqlErr::ForeignKeyConstraintViolation(_),
        ) = err.sql_err()
        {
            return RepoError::Conflict;
        }
        if is_unavailable(&err) {
            return RepoError::Unavailable(err);
        }
        RepoError::Database(err)
    }
}

impl From<TransactionError<RepoError>> for RepoError {
    fn from(err: TransactionError<RepoError>) -> Self {
        match err {
            TransactionError::Transaction(inner) => inner,
            TransactionError::Connection(db) => db.into(),
        }
    }
}

fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match &**e {
                Sqlx::Io(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => db.code().is_some_and(|code| is_outage_state(&code)),
                _ => false,
            }
        }
        _ => false,
    }
}

/// SQLSTATEs of a server going away or not yet back: class 08 (connection
/// exception) and class 57 (operator intervention: 57P01 shut down by the
/// administrator, 57P02 crash, 57P03 still starting up). A PostgreSQL
/// restart ends every open connection with one of these.
fn is_outage_state(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("57")
}

#[cfg(test)]
mod tests {
    use super::is_outage_state;

    #[test]
    fn a_server_shutting_down_or_starting_is_an_outage() {
        for code in ["57P01", "57P02", "57P03", "08006", "08001"] {
            assert!(is_outage_state(code), "{code}");
        }
        // A constraint or a syntax error is not.
        for code in ["23505", "42601", "40001"] {
            assert!(!is_outage_state(code), "{code}");
        }
    }
}
