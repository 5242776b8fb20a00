//! [`IoDriver`]: the poller (epoll through mio) and its event buffer.

use std::cell::{Ref, RefCell};
use std::io;
use std::time::Duration;

use mio::{Events, Poll, Registry};

/// How many events one poll returns at most.
const EVENTS_PER_POLL: usize = 1024;

/// The reactor's poller: every descriptor is registered through its
/// [`registry`](IoDriver::registry), and [`poll`](IoDriver::poll) waits for them.
///
/// Invariant: the event buffer is filled only by `poll` and read only between two polls
/// (the loop holds [`events`](IoDriver::events) for one pass).
pub(crate) struct IoDriver {
    poll: RefCell<Poll>,
    registry: Registry,
    events: RefCell<Events>,
}

impl IoDriver {
    /// A new poller.
    ///
    /// # Errors
    ///
    /// The OS error if epoll cannot be created.
    pub(crate) fn new() -> io::Result<IoDriver> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        Ok(IoDriver {
            poll: RefCell::new(poll),
            registry,
            events: RefCell::new(Events::with_capacity(EVENTS_PER_POLL)),
        })
    }

    /// Where descriptors are registered.
    #[inline(always)]
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits up to `timeout` (`None`: until an event) and keeps the events for
    /// [`events`](IoDriver::events). A signal interrupting the wait is no error.
    ///
    /// # Errors
    ///
    /// The OS error if polling fails.
    pub(crate) fn poll(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = self.events.borrow_mut();
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Err(err) if err.kind() != io::ErrorKind::Interrupted => Err(err),
            _ => Ok(()),
        }
    }

    /// The events of the last poll.
    pub(crate) fn events(&self) -> Ref<'_, Events> {
        self.events.borrow()
    }
}
