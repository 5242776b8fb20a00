//! The failures of the thread pool and of calls between threads and the reactor.

use std::fmt;

/// A job was refused: its thread pool was stopped (the reactor shut down, or
/// [`ThreadPool::stop`](super::ThreadPool::stop) was called).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThreadPoolStopped;

impl fmt::Display for ThreadPoolStopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("The thread pool was stopped.")
    }
}

impl std::error::Error for ThreadPoolStopped {}

/// [`blocking_call_from_thread`](crate::ThreadHandle::blocking_call_from_thread) was
/// called on the reactor's own thread, which would wait for itself forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CalledFromReactorThread;

impl fmt::Display for CalledFromReactorThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "blocking_call_from_thread was called on the reactor's own thread, \
             which would wait for itself.",
        )
    }
}

impl std::error::Error for CalledFromReactorThread {}

/// A call made from another thread failed on the reactor's thread. A
/// [`Failure`](crate::Failure) cannot cross threads, so its kind's name and its message
/// are carried instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedOnReactorThread {
    /// The type name of the failure's kind (e.g. `"ConnectionRefused"`).
    pub kind: &'static str,
    /// The failure's message (its `get_error_message()`).
    pub message: String,
}

impl fmt::Display for FailedOnReactorThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on the reactor's thread: {}", self.kind, self.message)
    }
}

impl std::error::Error for FailedOnReactorThread {}

/// A call made from another thread got no result: the reactor dropped it, or the
/// [`Deferred`](crate::defer::Deferred) it returned was dropped without firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoResult;

impl fmt::Display for NoResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("The call on the reactor's thread was dropped without a result.")
    }
}

impl std::error::Error for NoResult {}
