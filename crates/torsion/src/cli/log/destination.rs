//! Where the events of a [`LogOutput`](super::LogOutput) go.

use std::path::PathBuf;

use super::Facility;

/// The socket a syslog daemon reads on most systems (`rsyslogd`, `syslog-ng`,
/// `systemd-journald`).
pub const DEFAULT_SYSLOG_SOCKET: &str = "/dev/log";

/// Where events go (Twisted's `--logfile` and `--syslog` options of `twistd`).
///
/// # Examples
///
/// ```
/// use torsion::cli::log::{Facility, LogDestination, DEFAULT_SYSLOG_SOCKET};
///
/// let to_file = LogDestination::File("/var/log/reverse.log".into());
/// let to_syslog = LogDestination::Syslog {
///     socket: DEFAULT_SYSLOG_SOCKET.into(),
///     ident: "reverse".into(),
///     facility: Facility::Daemon,
/// };
/// # let _ = (to_file, to_syslog);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogDestination {
    /// The standard output (`--logfile -`).
    Stdout,
    /// A file, appended to; created with mode `0o640` (less the umask) if missing.
    File(PathBuf),
    /// RFC 3164 datagrams `<PRI>Mmm dd hh:mm:ss IDENT[PID]: [system#level] message` sent
    /// to the syslog daemon's UNIX datagram socket ([`DEFAULT_SYSLOG_SOCKET`] normally).
    Syslog {
        /// The daemon's socket.
        socket: PathBuf,
        /// The name shown before the process id in each message, e.g. the program's.
        ident: String,
        /// The facility of every message.
        facility: Facility,
    },
}
