//! The pid file: refused while a live process holds it, replaced when stale, removed on
//! exit.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// What was found at the pid file's path before starting.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found {
    /// No file.
    Nothing,
    /// A file naming a process that is gone; it was removed.
    Stale(u32),
}

/// Looks at `path` before starting: refuses when it names a live process, removes it when
/// the process is gone. As root, refuses a pid file anyone may write (or one in a
/// directory anyone may write without the sticky bit): another user could make root
/// write, or later signal, what they chose.
pub(super) fn check(path: &Path) -> Result<Found, String> {
    if is_root() {
        refuse_world_writable(path)?;
    }
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(err) => {
            return Err(format!(
                "cannot read the pid file {}: {err}",
                path.display()
            ))
        }
    };
    let pid: u32 = text.trim().parse().map_err(|_| {
        format!(
            "the pid file {} holds no process id ({:?}); remove it if no server runs",
            path.display(),
            text.trim()
        )
    })?;
    if pid != std::process::id() && is_alive(pid) {
        return Err(format!(
            "another server is running with pid {pid} (pid file {}); stop it first, or \
             remove the file if that process is not the server",
            path.display()
        ));
    }
    fs::remove_file(path)
        .map_err(|err| format!("cannot remove the stale pid file {}: {err}", path.display()))?;
    Ok(Found::Stale(pid))
}

/// Whether process `pid` runs (a process of another user counts; a zombie, dead but not
/// yet reaped by whoever adopted it, does not).
fn is_alive(pid: u32) -> bool {
    if is_zombie(pid) {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled; it
    // sends nothing.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether `/proc` shows `pid` as a zombie (state `Z`).
fn is_zombie(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn refuse_world_writable(path: &Path) -> Result<(), String> {
    const WORLD_WRITABLE: u32 = 0o002;
    const STICKY: u32 = 0o1000;
    if let Ok(meta) = fs::symlink_metadata(path) {
        if meta.mode() & WORLD_WRITABLE != 0 || meta.file_type().is_symlink() {
            return Err(format!(
                "refusing to run as root with the pid file {}: it is world-writable or a \
                 symbolic link",
                path.display()
            ));
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    if let Ok(meta) = fs::metadata(dir) {
        let mode = meta.permissions().mode();
        if mode & WORLD_WRITABLE != 0 && mode & STICKY == 0 {
            return Err(format!(
                "refusing to run as root with the pid file {}: its directory is \
                 world-writable",
                path.display()
            ));
        }
    }
    Ok(())
}

/// The pid file this process wrote; dropping it removes the file if it still holds this
/// process's id.
#[derive(Debug)]
pub(super) struct PidFile {
    path: PathBuf,
    pid: u32,
}

impl PidFile {
    /// Writes this process's id to `path`, which must not exist (it was checked).
    pub(super) fn write(path: &Path) -> Result<PidFile, String> {
        let pid = std::process::id();
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(path)
            .map_err(|err| format!("cannot write the pid file {}: {err}", path.display()))?;
        writeln!(file, "{pid}")
            .map_err(|err| format!("cannot write the pid file {}: {err}", path.display()))?;
        Ok(PidFile {
            path: path.to_owned(),
            pid,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // A file that names another process is not ours to remove; one that cannot be
        // read (privileges were dropped) is tried all the same.
        let another =
            fs::read_to_string(&self.path).is_ok_and(|text| text.trim().parse() != Ok(self.pid));
        if another {
            return;
        }
        if let Err(err) = fs::remove_file(&self.path) {
            tracing::warn!(
                "could not remove the pid file {}: {err} (the next start replaces it as stale)",
                self.path.display()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("torsion-pidfile-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    #[test]
    fn nothing_then_written_then_removed_on_drop() {
        let dir = temp_dir("cycle");
        let path = dir.join("a.pid");
        assert_eq!(check(&path), Ok(Found::Nothing));
        let pidfile = PidFile::write(&path).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{}\n", std::process::id())
        );
        drop(pidfile);
        assert!(!path.exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_live_process_is_refused_and_a_dead_one_replaced() {
        let dir = temp_dir("live");
        let path = dir.join("b.pid");
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        fs::write(&path, format!("{}\n", child.id())).unwrap();
        let refused = check(&path).unwrap_err();
        assert!(
            refused.contains(&format!("pid {}", child.id())),
            "{refused}"
        );
        assert!(path.exists());
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(check(&path), Ok(Found::Stale(child.id())));
        assert!(!path.exists());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_zombie_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !is_zombie(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "the child never exited"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!is_alive(pid), "exited but not reaped: gone all the same");
        child.wait().unwrap();
        assert!(is_alive(std::process::id()));
    }

    #[test]
    fn garbage_is_refused_and_a_file_rewritten_by_another_is_kept() {
        let dir = temp_dir("garbage");
        let path = dir.join("c.pid");
        fs::write(&path, "not a pid\n").unwrap();
        assert!(check(&path).unwrap_err().contains("holds no process id"));
        fs::remove_file(&path).unwrap();
        let pidfile = PidFile::write(&path).unwrap();
        fs::write(&path, "1\n").unwrap();
        drop(pidfile);
        assert!(
            path.exists(),
            "a pid file that names another process is left alone"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn root_refuses_a_world_writable_pid_file() {
        if !is_root() {
            return;
        }
        let dir = temp_dir("world");
        let path = dir.join("d.pid");
        fs::write(&path, "").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(check(&path).unwrap_err().contains("world-writable"));
        fs::remove_file(&path).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(check(&path)
            .unwrap_err()
            .contains("directory is world-writable"));
        fs::remove_dir_all(dir).unwrap();
    }
}
