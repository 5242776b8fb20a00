//! Child processes and pseudo-terminals (Twisted's `IReactorProcess`):
//! [`Reactor::spawn_process`](crate::Reactor::spawn_process) starts a child driven by a
//! [`ProcessProtocol`]; its pipes run on the reactor's stream engine (buffered, coalesced
//! writes; backpressure), its exit is watched through a pidfd and reaped at once; the
//! `get_process_*` helpers run a child to its end for a [`Deferred`](crate::defer::Deferred).

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
