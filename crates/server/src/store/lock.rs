//! [`DataLock`]: one server per data directory.
//!
//! Two servers on one directory would share the database but not their memory: live updates,
//! rate limits and the identical-body rule would each see half of the traffic. So the first
//! server holds an exclusive lock on `hookpit.lock` (with its process id inside, for the
//! message the second one prints), and the second refuses to start. The lock is the operating
//! system's (`flock`), so it goes away with the process, however it ends: a stale file left by
//! a kill -9 never blocks the next start.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::StoreError;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "hookpit.lock";

/// Held while the store is open; released when dropped.
#[derive(Debug)]
pub struct DataLock {
    // Held for its lock; the kernel releases it when the file is closed.
    _file: File,
}

impl DataLock {
    /// Locks `dir` for this process.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process (or another server in this one) holds it,
    /// naming that process when its id can be read.
    pub fn acquire(dir: &Path) -> Result<DataLock, StoreError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0)?;
                file.rewind()?;
                write!(file, "{}", std::process::id())?;
                file.flush()?;
                Ok(DataLock { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                Err(StoreError::Locked {
                    dir: dir.to_owned(),
                    pid: holder.trim().parse().ok(),
                })
            }
            Err(TryLockError::Error(error)) => Err(StoreError::Io(error)),
        }
    }
}

/// The message of [`StoreError::Locked`].
pub(super) fn locked_message(dir: &Path, pid: Option<u32>) -> String {
    let holder = match pid {
        Some(pid) if pid == std::process::id() => "another server in this process".to_owned(),
        Some(pid) => format!("another hookpit (process {pid})"),
        None => "another hookpit".to_owned(),
    };
    format!(
        "the data directory {} is in use by {holder}; stop it, or give this server its own --data",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        let error = DataLock::acquire(dir.path()).unwrap_err();
        let StoreError::Locked { pid, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*pid, Some(std::process::id()));
        assert!(
            error
                .to_string()
                .contains("in use by another server in this process"),
            "{error}"
        );
        drop(first);
        DataLock::acquire(dir.path()).expect("free again once released");
    }
}
