//! Calls into a reactor from other threads: a queue and a mio waker.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::slab::Key;

pub(crate) enum RemoteCall {
    Call(Box<dyn FnOnce() + Send>),
    /// A call that needs the reactor (the thread pool's results and blocking calls).
    OnReactor(Box<dyn FnOnce(&crate::Reactor) + Send>),
    Lookup(Key, io::Result<Vec<SocketAddr>>),
    Stop,
}

pub(crate) struct Remote {
    queue: Mutex<Vec<RemoteCall>>,
    waker: mio::Waker,
    /// The reactor's thread: the one that made it (a reactor never moves).
    owner: std::thread::ThreadId,
}

impl Remote {
    pub(crate) fn new(waker: mio::Waker) -> Remote {
        Remote {
            queue: Mutex::new(Vec::new()),
            waker,
            owner: std::thread::current().id(),
        }
    }

    /// Whether the calling thread is the reactor's own.
    pub(crate) fn on_owner_thread(&self) -> bool {
        std::thread::current().id() == self.owner
    }

    pub(crate) fn send(&self, call: RemoteCall) {
        let first = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.push(call);
            q.len() == 1
        };
        if first {
            if let Err(err) = self.waker.wake() {
                tracing::error!(%err, "could not wake the reactor");
            }
        }
    }

    pub(crate) fn drain(&self) -> Vec<RemoteCall> {
        std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A handle to a reactor that other threads may hold (it is `Send` and `Sync`).
///
/// # Examples
///
/// ```
/// use torsion::Reactor;
///
/// let reactor = Reactor::new()?;
/// let handle = reactor.thread_handle();
/// let r = reactor.clone();
/// reactor.call_when_running(move || {
///     let stop = r.clone();
///     std::thread::spawn(move || handle.call_from_thread(|| println!("from a thread")));
///     r.call_later(std::time::Duration::from_millis(50), move || stop.stop());
/// });
/// # use torsion::ReactorTime;
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct ThreadHandle {
    pub(crate) remote: Arc<Remote>,
}

impl ThreadHandle {
    /// Runs `f` on the reactor's thread, from its loop, soon. Calls from one thread run in
    /// the order they were made. A panic in `f` is logged.
    pub fn call_from_thread(&self, f: impl FnOnce() + Send + 'static) {
        self.remote.send(RemoteCall::Call(Box::new(f)));
    }

    /// Asks the reactor to stop, as [`Reactor::stop`](crate::Reactor::stop) does, from
    /// any thread. Does nothing if it is not running when the request arrives.
    pub fn stop(&self) {
        self.remote.send(RemoteCall::Stop);
    }
}

impl std::fmt::Debug for ThreadHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ThreadHandle")
    }
}
