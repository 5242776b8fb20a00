//! The reactor's state: one per thread, reached through [`Reactor`](super::Reactor) handles.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;

use mio::{Events, Poll, Registry};

use super::fdset::FdSet;
use super::remote::Remote;
use super::signals::SignalWatch;
use super::timer_fd::TimerFd;
use super::token::WAKER;
use super::triggers::Triggers;
use crate::slab::{Key, Slab};
use crate::tcp::{ConnCell, Listener};
use crate::time::Scheduler;

/// The size of the one read buffer every connection of a reactor reads into.
pub(crate) const READ_BUFFER: usize = 64 * 1024;

pub(crate) type LookupDone = Box<dyn FnOnce(io::Result<Vec<SocketAddr>>)>;

pub(crate) struct Inner {
    pub(crate) poll: RefCell<Poll>,
    pub(crate) registry: Registry,
    pub(crate) events: RefCell<Events>,
    pub(crate) scheduler: Scheduler,
    pub(crate) timer_fd: TimerFd,
    pub(crate) conns: RefCell<Slab<Rc<ConnCell>>>,
    pub(crate) listeners: RefCell<Slab<Listener>>,
    pub(crate) fds: RefCell<FdSet>,
    /// Connections with something to write, shut down or close, in the order they asked.
    pub(crate) dirty: RefCell<Vec<Rc<ConnCell>>>,
    /// A spare dirty list: swapped with `dirty` at each flush, so neither reallocates.
    pub(crate) flushing: RefCell<Vec<Rc<ConnCell>>>,
    /// The flush's list of connections that need its slow path.
    pub(crate) flushing_slow: RefCell<Vec<Rc<ConnCell>>>,
    /// Connections to read from without waiting for an event (resumed, or cut short).
    pub(crate) resumed: RefCell<Vec<Key>>,
    pub(crate) read_buf: RefCell<Vec<u8>>,
    pub(crate) remote: Arc<Remote>,
    pub(crate) lookups: RefCell<Slab<LookupDone>>,
    pub(crate) triggers: RefCell<Triggers>,
    pub(crate) signals: RefCell<Option<SignalWatch>>,
    pub(crate) running: Cell<bool>,
    pub(crate) stop_requested: Cell<bool>,
    pub(crate) install_signal_handlers: Cell<bool>,
}

impl Inner {
    pub(crate) fn new() -> io::Result<Inner> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        let timer_fd = TimerFd::new(poll.registry())?;
        Ok(Inner {
            poll: RefCell::new(poll),
            registry,
            events: RefCell::new(Events::with_capacity(1024)),
            scheduler: Scheduler::real(),
            timer_fd,
            conns: RefCell::default(),
            listeners: RefCell::default(),
            fds: RefCell::default(),
            dirty: RefCell::default(),
            flushing: RefCell::default(),
            flushing_slow: RefCell::default(),
            resumed: RefCell::default(),
            read_buf: RefCell::new(vec![0; READ_BUFFER]),
            remote: Arc::new(Remote::new(waker)),
            lookups: RefCell::default(),
            triggers: RefCell::default(),
            signals: RefCell::new(None),
            running: Cell::new(false),
            stop_requested: Cell::new(false),
            install_signal_handlers: Cell::new(true),
        })
    }

    /// Whether the next poll must not block: there is work queued already.
    pub(crate) fn has_queued_work(&self) -> bool {
        !self.dirty.borrow().is_empty()
            || !self.resumed.borrow().is_empty()
            || self.stop_requested.get()
    }
}
