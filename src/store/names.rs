//! The names shell completion offers, read from an existing database without changing it: the
//! managed apps (not deleted) and the clusters jobs were seen on (discovered ones included).

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

/// App names and cluster names in the database at `path`, sorted. A missing database (or one
/// without the tables yet) has none; it is never created or migrated here.
pub fn completion_names(path: &Path) -> Result<(Vec<String>, Vec<String>), rusqlite::Error> {
    if !path.exists() {
        return Ok((Vec::new(), Vec::new()));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_millis(200))?;
    let column = |sql: &str| -> Result<Vec<String>, rusqlite::Error> {
        let mut stmt = match conn.prepare(sql) {
            Ok(s) => s,
            // An older or empty database: no such table yet.
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(e),
        };
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    };
    let apps = column("SELECT name FROM apps WHERE deleted_at IS NULL ORDER BY name")?;
    let clusters = column("SELECT DISTINCT cluster FROM jobs_seen ORDER BY cluster")?;
    Ok((apps, clusters))
}
