use std::path::Path;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(db: &DatabaseConnection) -> Backend {
        match db.get_database_backend() {
            DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// Opens a pool on `url` (`sqlite://…` or `postgres://…`). For SQLite the
/// file and its folder are created when missing, and the database runs in
/// WAL mode with a busy timeout so that readers never block the writer.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file(url)
        && let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // Statements can carry personal data; they are never logged.
        .sqlx_logging(false)
        // A PostgreSQL connection is pinged before it is handed out when
        // it idled or the database was lately away, not on every acquire
        // (ADR 0023). SQLite's connections are files of this process.
        .test_before_acquire(false)
        .map_sqlx_postgres_before_acquire(|connection, meta| {
            Box::pin(async move {
                if crate::outages::ping_due(meta.idle_for) {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        // PostgreSQL's JIT compiles any statement it costs above 100,000
        // and spends up to 100 ms on it: the census counts paid more for
        // compiling than for reading (ADR 0023).
        .map_sqlx_postgres_opts(|o| o.options([("jit", "off")]))
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Applies every pending migration, then fills what a migration left for
/// the repositories to fill (the lag rollup, the member census and the
/// members' city keys,
/// whose definitions live here and in the domain).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    crate::rollup::rebuild_if_stale(db)
        .await
        .map_err(|e| DbErr::Custom(format!("filling the lag rollup failed: {e}")))?;
    crate::integration_rollup::rebuild_if_stale(db)
        .await
        .map_err(|e| DbErr::Custom(format!("filling the integration rollup failed: {e}")))?;
    crate::census::rebuild_if_stale(db)
        .await
        .map_err(|e| DbErr::Custom(format!("filling the member census failed: {e}")))?;
    let filled = crate::person_columns::fill_city_keys_if_stale(db)
        .await
        .map_err(|e| DbErr::Custom(format!("filling the city keys failed: {e}")))?;
    // The planner would otherwise judge the new city indexes by a column
    // it last saw blank.
    if filled {
        crate::members::refresh_statistics(db)
            .await
            .map_err(|e| DbErr::Custom(format!("analysing members failed: {e}")))?;
    }
    Ok(())
}

/// A cheap round trip, for the readiness check.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// The file path of a SQLite URL (`sqlite://data/kartei.db?mode=rwc`), or
/// `None` for other databases and in-memory SQLite.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(
            sqlite_file("sqlite://data/kartei.db?mode=rwc"),
            Some("data/kartei.db")
        );
        assert_eq!(sqlite_file("sqlite:///tmp/x.db"), Some("/tmp/x.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/kartei"), None);
    }
}
