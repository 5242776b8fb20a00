//! Child processes and pseudo-terminals (Twisted's `IReactorProcess`):
//! [`Reactor::spawn_process`](crate::Reactor::spawn_process) starts a child driven by a
//! [`ProcessProtocol`]; its pipes run on the reactor's stream engine (buffered, coalesced
//! writes; backpressure), its exit is watched through a pidfd and reaped at once; the
//! `get_process_*` helpers run a child to its end for a [`Deferred`](crate::defer::Deferred).
//!
//! # Choices
//!
//! - Reaping: the child's pidfd (Linux 5.3+) is a raw descriptor of the reactor; when it
//!   turns readable, `waitpid(WNOHANG)` reaps the child. No `SIGCHLD` fallback: without
//!   `pidfd_open` the spawn fails with [`SpawnStage::Pidfd`] (the child is killed).
//! - `process_ended` waits for the exit **and** every pipe's close (Twisted's
//!   `maybeCallProcessEnded`): a grandchild holding the pipes delays it.
//! - A missing executable, a bad working directory or a failed `exec` is a
//!   [`ProcessSpawnFailed`] from `spawn_process` (Twisted raises for the first on POSIX,
//!   and reports the others through the child's stderr and exit code 1).
//! - A panicking callback aborts the pipes and leaves the child running; the end is
//!   still reported. Reactor shutdown closes the pipes and kills nobody; the pidfds stay
//!   watched, so a later run still reaps.

mod child_fds;
mod cx;
mod errors;
mod host;
mod options;
mod output;
mod pipe;
mod protocol;
mod pty;
mod reap;
mod signal;
mod spawn;
mod transport;

pub use cx::ProcessCx;
pub use errors::{
    ProcessDone, ProcessExitedAlready, ProcessKilledWithOutput, ProcessSpawnFailed,
    ProcessTerminated, ProcessWroteToStderr, SpawnStage,
};
pub use options::{ChildFd, ProcessOptions};
pub use output::{
    get_process_output, get_process_output_and_value, get_process_value, OutputAndValue, ProcessEnv,
};
pub use protocol::ProcessProtocol;
pub use signal::Signal;
pub use transport::ProcessTransport;

#[cfg(test)]
mod host_tests;
