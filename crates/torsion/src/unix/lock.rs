//! [`PidLock`]: the lock file beside a UNIX socket that says which process listens on it
//! (Twisted's `FilesystemLock`: a symbolic link whose target is the holder's pid, so
//! taking it is one atomic `symlink`).

use std::io;
use std::path::{Path, PathBuf};

/// A held lock; [`release`](PidLock::release) removes it.
#[derive(Debug)]
pub(super) struct PidLock {
    path: PathBuf,
}

/// Whether a lock was taken.
pub(super) enum Taken {
    /// Ours now; `clean` unless a dead process's lock had to be broken first (its socket
    /// file is then stale).
    Held { lock: PidLock, clean: bool },
    /// A live process holds it.
    Busy,
}

impl PidLock {
    /// Takes the lock at `path` for this process, breaking a lock whose holder is dead.
    ///
    /// # Errors
    ///
    /// The OS error from `symlink`, `readlink` or removing a stale lock.
    pub(super) fn take(path: &Path) -> io::Result<Taken> {
        let me = std::process::id().to_string();
        let mut clean = true;
        loop {
            match std::os::unix::fs::symlink(&me, path) {
                Ok(()) => {
                    return Ok(Taken::Held {
                        lock: PidLock {
                            path: path.to_path_buf(),
                        },
                        clean,
                    })
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
                Err(err) => return Err(err),
            }
            let holder = match std::fs::read_link(path) {
                Ok(target) => target.to_str().and_then(|t| t.parse::<i32>().ok()),
                // Released between our symlink and readlink: try again.
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            if holder.is_some_and(is_alive) {
                return Ok(Taken::Busy);
            }
            clean = false;
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Whether a live process holds the lock at `path` (Twisted's `isLocked`).
    pub(super) fn is_held(path: &Path) -> bool {
        match PidLock::take(path) {
            Ok(Taken::Held { lock, .. }) => {
                lock.release();
                false
            }
            Ok(Taken::Busy) => true,
            Err(_) => false,
        }
    }

    /// Removes the lock, if it is still ours.
    pub(super) fn release(self) {
        let ours = std::fs::read_link(&self.path)
            .ok()
            .is_some_and(|t| t.to_str() == Some(&std::process::id().to_string()));
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether process `pid` exists (signal 0: no signal is sent; EPERM means it exists
/// under another user).
fn is_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_lock(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("torsion-lock-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    #[test]
    fn a_live_holder_keeps_the_lock_and_release_frees_it() {
        let path = temp_lock("live");
        let Taken::Held { lock, clean } = PidLock::take(&path).unwrap() else {
            panic!("a free lock is taken");
        };
        assert!(clean);
        assert!(matches!(PidLock::take(&path).unwrap(), Taken::Busy));
        assert!(PidLock::is_held(&path));
        lock.release();
        assert!(!path.exists());
        assert!(!PidLock::is_held(&path));
    }

    #[test]
    fn a_dead_holders_lock_is_broken_and_not_clean() {
        let path = temp_lock("dead");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::os::unix::fs::symlink(dead.to_string(), &path).unwrap();
        assert!(!PidLock::is_held(&path), "a dead holder holds nothing");
        std::os::unix::fs::symlink(dead.to_string(), &path).unwrap();
        let Taken::Held { lock, clean } = PidLock::take(&path).unwrap() else {
            panic!("a dead holder's lock is taken over");
        };
        assert!(!clean);
        lock.release();
    }
}
