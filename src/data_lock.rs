//! One server per data directory: `serve` holds an exclusive lock on its database, index and models
//! for as long as it runs, so a second server on the same files stops at start-up, naming the first,
//! instead of writing to the shared database behind the first server's back.
//!
//! The lock is the operating system's advisory file lock on a `<path>.lock` file beside each path; it
//! goes with the process, so a server killed with `kill -9` leaves nothing to clean up. The lock file
//! holds who took it (process id, address, time), for the message the second server prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{path} is in use by another shuanggao server ({holder}); stop it, or give this one other --db, --index and --models"
    )]
    Held { path: String, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Exclusive locks on a server's data paths, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    files: Vec<(PathBuf, File)>,
}

/// The lock file of `path`: `<path>.lock` beside it.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl DataLock {
    /// Locks every path of `paths` (creating their parent folders), recording `holder` in each lock
    /// file; fails on the first path another process holds.
    pub fn acquire(paths: &[&Path], holder: &str) -> Result<DataLock, LockError> {
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            let lock = lock_path(path);
            let io = |source| LockError::Io {
                path: lock.display().to_string(),
                source,
            };
            if let Some(parent) = lock.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    let holder = text.trim();
                    return Err(LockError::Held {
                        path: path.display().to_string(),
                        holder: if holder.is_empty() {
                            "holder unknown".to_owned()
                        } else {
                            holder.to_owned()
                        },
                    });
                }
                Err(TryLockError::Error(err)) => return Err(io(err)),
            }
            files.push((lock, file));
        }
        let mut lock = DataLock { files };
        lock.describe(holder)?;
        Ok(lock)
    }

    /// Replaces what the lock files say about their holder (e.g. once the address is known).
    pub fn describe(&mut self, holder: &str) -> Result<(), LockError> {
        for (path, file) in &mut self.files {
            let write = |file: &mut File| -> std::io::Result<()> {
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                file.write_all(holder.as_bytes())?;
                file.sync_all()
            };
            write(file).map_err(|source| LockError::Io {
                path: path.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }
}
