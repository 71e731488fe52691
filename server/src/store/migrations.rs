//! Schema migrations, applied in order at start-up and tracked by SQLite's `user_version`.

use rusqlite::Connection;

use super::StoreError;

/// Migration scripts in order; `user_version` N means the first N have been applied.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/0001_initial.sql")];

/// Applies every migration newer than the database's `user_version`, each in its own transaction.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > known {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known,
        });
    }

    for (index, script) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(script)?;
        tx.pragma_update(None, "user_version", version as i64)?;
        tx.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

/// The schema version this build writes.
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}
