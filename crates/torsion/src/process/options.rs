//! [`ProcessOptions`] and [`ChildFd`]: how a child is started (Twisted's `spawnProcess`
//! keyword arguments).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::fd::RawFd;
use std::path::PathBuf;

/// What one of the child's descriptors is connected to (a value of Twisted's `childFDs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildFd {
    /// A pipe the parent reads: what the child writes there arrives in
    /// [`child_data_received`](crate::ProcessProtocol::child_data_received) (Twisted's `"r"`).
    Read,
    /// A pipe the parent writes: [`write_to_child`](crate::ProcessTransport::write_to_child)
    /// sends to it (Twisted's `"w"`).
    Write,
    /// The child gets a copy of this descriptor of the parent's (Twisted's integer value):
    /// `(1, ChildFd::Inherit(2))` makes the child's stdout our stderr. The reactor does not
    /// watch it.
    Inherit(RawFd),
}

/// How [`Reactor::spawn_process`](crate::Reactor::spawn_process) starts a child.
///
/// The defaults follow Twisted's `spawnProcess`: an empty environment, the parent's
/// working directory, the same user and group, no pseudo-terminal, and descriptors
/// `{0: Write, 1: Read, 2: Read}`.
///
/// # Examples
///
/// ```
/// use torsion::{ChildFd, ProcessOptions};
///
/// let options = ProcessOptions {
///     env: None, // inherit ours
///     path: Some("/tmp".into()),
///     ..ProcessOptions::default()
/// }
/// .child_fd(3, ChildFd::Read);
/// assert_eq!(options.child_fds.get(&0), Some(&ChildFd::Write));
/// assert_eq!(options.child_fds.get(&3), Some(&ChildFd::Read));
/// ```
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// The child's whole environment; `None` passes ours on (Twisted's `env=None`). The
    /// default is `Some(empty)`: no variable at all, as Twisted's default `env={}`. An
    /// executable named without a slash is looked up in the child's `PATH`, or in
    /// `/bin:/usr/bin` when its environment has none (as Twisted's `execvpe`).
    pub env: Option<Vec<(OsString, OsString)>>,
    /// The child's working directory (default: ours).
    pub path: Option<PathBuf>,
    /// The user id the child runs as (needs the privilege to change it).
    pub uid: Option<u32>,
    /// The group id the child runs as.
    pub gid: Option<u32>,
    /// Runs the child on a new pseudo-terminal: its stdin, stdout and stderr are the
    /// terminal (and it is its controlling terminal, in a new session); `child_fds` is
    /// ignored. Everything it writes arrives as fd 1.
    pub use_pty: bool,
    /// The child's descriptors by number; every descriptor not listed is closed in the
    /// child (descriptor 0, 1 or 2 too).
    pub child_fds: BTreeMap<RawFd, ChildFd>,
}

impl Default for ProcessOptions {
    fn default() -> ProcessOptions {
        ProcessOptions {
            env: Some(Vec::new()),
            path: None,
            uid: None,
            gid: None,
            use_pty: false,
            child_fds: BTreeMap::from([
                (0, ChildFd::Write),
                (1, ChildFd::Read),
                (2, ChildFd::Read),
            ]),
        }
    }
}

impl ProcessOptions {
    /// These options with the child's descriptor `fd` set to `what`.
    pub fn child_fd(mut self, fd: RawFd, what: ChildFd) -> ProcessOptions {
        self.child_fds.insert(fd, what);
        self
    }

    /// These options with our environment passed on to the child (`env = None`).
    pub fn inherit_env(mut self) -> ProcessOptions {
        self.env = None;
        self
    }
}
