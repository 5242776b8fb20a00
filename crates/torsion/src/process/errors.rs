//! The typed failures of child processes: how a child ended ([`ProcessDone`],
//! [`ProcessTerminated`]), why one could not be started ([`ProcessSpawnFailed`]), and the
//! failures of the calls on a process and of the `get_process_*` helpers.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Once;

use crate::error::{declare_subkind, os_error_text, ConnectionDone, ConnectionLost};

/// The child exited with code 0 (Twisted's `ProcessDone`): the reason given to
/// `process_exited` and `process_ended`. A subkind of
/// [`ConnectionDone`](crate::error::ConnectionDone), as in Twisted.
///
/// # Examples
///
/// ```
/// use torsion::error::ProcessDone;
///
/// assert_eq!(ProcessDone.to_string(), "A process has ended without apparent errors: process finished with exit code 0.");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessDone;

impl fmt::Display for ProcessDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "A process has ended without apparent errors: process finished with exit code 0.",
        )
    }
}

impl StdError for ProcessDone {}

/// The child exited with a code other than 0, or was killed by a signal (Twisted's
/// `ProcessTerminated`): the reason given to `process_exited` and `process_ended`. A
/// subkind of [`ConnectionLost`](crate::error::ConnectionLost), as in Twisted.
///
/// Exactly one of `exit_code` and `signal` is set, except when the status could not be
/// read (another part of the program reaped the child first): then neither is.
///
/// # Examples
///
/// ```
/// use torsion::error::ProcessTerminated;
///
/// let killed = ProcessTerminated { exit_code: None, signal: Some(9), status: 9 };
/// assert_eq!(killed.to_string(), "A process has ended with a probable error condition: process ended by signal 9.");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessTerminated {
    /// The exit code, if the child exited.
    pub exit_code: Option<i32>,
    /// The signal that killed the child, if one did.
    pub signal: Option<i32>,
    /// The raw wait status (`waitpid`'s), `-1` if unknown.
    pub status: i32,
}

impl ProcessTerminated {
    /// Decodes a raw `waitpid` status of a child that is gone.
    pub(crate) fn from_wait_status(status: i32) -> ProcessTerminated {
        if libc::WIFEXITED(status) {
            ProcessTerminated {
                exit_code: Some(libc::WEXITSTATUS(status)),
                signal: None,
                status,
            }
        } else if libc::WIFSIGNALED(status) {
            ProcessTerminated {
                exit_code: None,
                signal: Some(libc::WTERMSIG(status)),
                status,
            }
        } else {
            ProcessTerminated {
                exit_code: None,
                signal: None,
                status,
            }
        }
    }
}

impl fmt::Display for ProcessTerminated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("A process has ended with a probable error condition: ")?;
        match (self.exit_code, self.signal) {
            (Some(code), _) => write!(f, "process ended with exit code {code}."),
            (None, Some(signal)) => write!(f, "process ended by signal {signal}."),
            (None, None) => f.write_str("process ended with an unknown status."),
        }
    }
}

impl StdError for ProcessTerminated {}

/// A signal was sent to a process that has already exited and been reaped (Twisted's
/// `ProcessExitedAlready`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessExitedAlready;

impl fmt::Display for ProcessExitedAlready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("The process has already exited.")
    }
}

impl StdError for ProcessExitedAlready {}

/// The step of starting a child that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnStage {
    /// The working directory does not exist or is not a directory.
    WorkingDirectory,
    /// The pipes for the child's descriptors could not be made.
    Pipes,
    /// The pseudo-terminal could not be opened.
    Pty,
    /// `fork`, the child's set-up or `exec` failed (a missing or non-executable file, a
    /// `uid` the program may not take).
    Exec,
    /// `pidfd_open` failed (Linux before 5.3): the child was killed and reaped.
    Pidfd,
    /// The reactor could not poll the child's pipes: the child was killed and reaped.
    Poll,
}

/// A child process could not be started; nothing was left running.
///
/// # Examples
///
/// ```
/// use torsion::error::ProcessSpawnFailed;
/// use torsion::{ProcessOptions, ProcessProtocol, Reactor};
///
/// struct Quiet;
/// impl ProcessProtocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let err = reactor
///     .spawn_process(Quiet, "/no/such/program", &["x"], ProcessOptions::default())
///     .unwrap_err();
/// assert!(err.check::<ProcessSpawnFailed>());
/// assert!(err.to_string().contains("/no/such/program"));
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug)]
pub struct ProcessSpawnFailed {
    /// The executable asked for.
    pub executable: String,
    /// The working directory asked for, if any.
    pub working_directory: Option<PathBuf>,
    /// Which step failed.
    pub stage: SpawnStage,
    /// The OS error of that step.
    pub os_error: io::Error,
}

impl fmt::Display for ProcessSpawnFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let err = os_error_text(&self.os_error);
        match (self.stage, &self.working_directory) {
            (SpawnStage::WorkingDirectory, Some(dir)) => write!(
                f,
                "Couldn't start {}: bad working directory {}: {err}.",
                self.executable,
                dir.display()
            ),
            (stage, _) => {
                let what = match stage {
                    SpawnStage::Pipes => "could not make its pipes",
                    SpawnStage::Pty => "could not open a pseudo-terminal",
                    SpawnStage::Pidfd => "pidfd_open failed (Linux 5.3 or later is needed)",
                    SpawnStage::Poll => "could not poll its pipes",
                    SpawnStage::Exec | SpawnStage::WorkingDirectory => "exec failed",
                };
                write!(f, "Couldn't start {}: {what}: {err}.", self.executable)
            }
        }
    }
}

impl StdError for ProcessSpawnFailed {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.os_error)
    }
}

/// [`get_process_output`](crate::process::get_process_output) without `errortoo`: the
/// child wrote to its standard error (Twisted fails with `IOError("got stderr: ...")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessWroteToStderr {
    /// The first bytes the child wrote to standard error.
    pub stderr: Vec<u8>,
}

impl fmt::Display for ProcessWroteToStderr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "got stderr: {:?}", String::from_utf8_lossy(&self.stderr))
    }
}

impl StdError for ProcessWroteToStderr {}

/// [`get_process_output_and_value`](crate::process::get_process_output_and_value): the
/// child was killed by a signal; what it wrote is kept (Twisted errbacks with the tuple
/// `(out, err, signal)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessKilledWithOutput {
    /// What the child wrote to standard output.
    pub stdout: Vec<u8>,
    /// What the child wrote to standard error.
    pub stderr: Vec<u8>,
    /// The signal that killed it.
    pub signal: i32,
}

impl fmt::Display for ProcessKilledWithOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "The process was killed by signal {} after writing {} bytes to stdout and {} to stderr.",
            self.signal,
            self.stdout.len(),
            self.stderr.len()
        )
    }
}

impl StdError for ProcessKilledWithOutput {}

/// Declares the process kinds' parents (as Twisted's class tree); runs before any
/// process is spawned (a `Once`), so every reason a process protocol sees checks as its parent too.
pub(crate) fn declare_families() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        declare_subkind::<ProcessDone, ConnectionDone>();
        declare_subkind::<ProcessTerminated, ConnectionLost>();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConnectionClosed;
    use crate::Failure;

    #[test]
    fn exit_reasons_belong_to_the_connection_families() {
        declare_families();
        let done = Failure::new(ProcessDone);
        assert!(done.check::<ConnectionDone>() && done.check::<ConnectionClosed>());
        let killed = Failure::new(ProcessTerminated::from_wait_status(9));
        assert!(killed.check::<ConnectionLost>() && !killed.check::<ConnectionDone>());
    }

    #[test]
    fn wait_statuses_decode() {
        let exited = ProcessTerminated::from_wait_status(3 << 8);
        assert_eq!((exited.exit_code, exited.signal), (Some(3), None));
        let killed = ProcessTerminated::from_wait_status(libc::SIGKILL);
        assert_eq!((killed.exit_code, killed.signal), (None, Some(9)));
        assert!(killed.to_string().ends_with("signal 9."));
    }
}
