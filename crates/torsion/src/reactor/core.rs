//! [`ReactorCore`]: the reactor's parts, one per thread, reached through
//! [`Reactor`](super::Reactor) handles.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::fdset::FdSet;
use super::io_driver::IoDriver;
use super::remote::{Remote, RemoteCall};
use super::signals::SignalWatch;
use super::timer_driver::TimerDriver;
use super::token::WAKER;
use super::triggers::Triggers;
use crate::defer::executor::{self, Executor};
use crate::listening::Listeners;
use crate::resolver::HostnameResolver;
use crate::slab::Slab;
use crate::stream::Streams;
use crate::udp::Datagrams;

pub(crate) type LookupDone = Box<dyn FnOnce(io::Result<Vec<SocketAddr>>)>;

/// Everything a reactor owns. Each part keeps its own invariants behind its methods: the
/// poller ([`IoDriver`]), the timers ([`TimerDriver`]), the stream connections
/// ([`Streams`]), the listening ports ([`Listeners`]), the raw descriptors ([`FdSet`]).
pub(crate) struct ReactorCore {
    pub(crate) io: IoDriver,
    pub(crate) timers: TimerDriver,
    pub(crate) streams: Streams,
    pub(crate) listeners: Listeners,
    pub(crate) datagrams: Datagrams,
    pub(crate) fds: RefCell<FdSet>,
    pub(crate) remote: Arc<Remote>,
    /// The thread's tasks, run on every pass.
    pub(crate) tasks: Rc<Executor>,
    /// Name lookups under way on the system resolver's threads, by the key their
    /// answer comes back with.
    pub(crate) lookups: RefCell<Slab<LookupDone>>,
    /// The installed resolver; the system's until one is installed (made on first use).
    pub(crate) resolver: RefCell<Option<Rc<dyn HostnameResolver>>>,
    pub(crate) lookup_timeout: Cell<Option<Duration>>,
    pub(crate) triggers: RefCell<Triggers>,
    pub(crate) signals: RefCell<Option<SignalWatch>>,
    pub(crate) signal_handlers: RefCell<super::SignalHandlers>,
    pub(crate) running: Cell<bool>,
    pub(crate) stop_requested: Cell<bool>,
    pub(crate) install_signal_handlers: Cell<bool>,
    pub(crate) threads: crate::threads::ReactorThreads,
}

impl ReactorCore {
    pub(crate) fn new() -> io::Result<ReactorCore> {
        ignore_sigpipe();
        let io = IoDriver::new()?;
        let waker = mio::Waker::new(io.registry(), WAKER)?;
        let timers = TimerDriver::new(io.registry())?;
        let remote = Arc::new(Remote::new(waker));
        let tasks = executor::current();
        let weak = Arc::downgrade(&remote);
        tasks.set_notify(Box::new(move || {
            if let Some(remote) = weak.upgrade() {
                // An empty call: the loop wakes and runs the tasks woken from afar.
                remote.send(RemoteCall::Call(Box::new(|| {})));
            }
        }));
        Ok(ReactorCore {
            io,
            timers,
            streams: Streams::new(),
            listeners: Listeners::default(),
            datagrams: Datagrams::default(),
            fds: RefCell::default(),
            remote,
            tasks,
            lookups: RefCell::default(),
            resolver: RefCell::new(None),
            lookup_timeout: Cell::new(Some(super::lookup::DEFAULT_LOOKUP_TIMEOUT)),
            triggers: RefCell::default(),
            signals: RefCell::new(None),
            signal_handlers: RefCell::default(),
            running: Cell::new(false),
            stop_requested: Cell::new(false),
            install_signal_handlers: Cell::new(true),
            threads: crate::threads::ReactorThreads::default(),
        })
    }

    /// Whether the next poll must not block: there is work queued already.
    pub(crate) fn has_queued_work(&self) -> bool {
        self.streams.has_queued_work()
            || self.listeners.has_queued_work()
            || self.datagrams.has_queued_work()
            || self.tasks.has_work()
            || self.stop_requested.get()
    }
}

/// Writes to a closed socket or pipe must fail with EPIPE, not kill the process: streams
/// use `write(2)`, which has no `MSG_NOSIGNAL`. Twisted's process ignores SIGPIPE too.
fn ignore_sigpipe() {
    static IGNORED: std::sync::Once = std::sync::Once::new();
    IGNORED.call_once(|| {
        // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code; it
        // is process-wide, which is the intent.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
    });
}
