//! [`Listeners`]: a reactor's listening ports of every kind and the accepts they queued.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use mio::Registry;

use super::AcceptSource;
use crate::factory::AnyFactory;
use crate::reactor::token;
use crate::slab::{Key, Slab};
use crate::time::DelayedCall;

/// One listening port: its socket, its factory and how its accepting is going.
pub(super) struct Listener {
    pub(super) source: Box<dyn AcceptSource>,
    pub(super) factory: Rc<dyn AnyFactory>,
    pub(super) backoff: Duration,
    /// The retry after an accept failed; `None` while accepting normally.
    pub(super) retry: Option<DelayedCall>,
}

/// A reactor's listening ports and the accepts they have queued.
///
/// Invariants: a port is in `ports` from its `listen_*` until `stop_listening` (or the
/// reactor's shutdown), registered with the poller under its key's token; a key in
/// `again` is accepted on the next iteration; a port with a `retry` is backing off and is
/// not accepted from events until the retry runs or a descriptor is freed.
#[derive(Default)]
pub(crate) struct Listeners {
    pub(super) ports: RefCell<Slab<Listener>>,
    /// Ports to accept from next iteration without waiting for an event: cut short after
    /// their fair share, or retried because a descriptor was freed.
    pub(super) again: RefCell<Vec<Key>>,
    /// Ports backing off after a failed accept, to retry as soon as a descriptor is freed.
    pub(super) starved: RefCell<Vec<Key>>,
}

impl Listeners {
    /// Polls `source` and adds it as a port whose connections `factory` builds protocols
    /// for; returns its key.
    ///
    /// # Errors
    ///
    /// The OS error if the socket cannot be polled (the source is then closed).
    pub(crate) fn add(
        &self,
        registry: &Registry,
        mut source: Box<dyn AcceptSource>,
        factory: Rc<dyn AnyFactory>,
    ) -> io::Result<Key> {
        let mut ports = self.ports.borrow_mut();
        let key = ports.next_key();
        if let Err(err) = source.register(registry, token::listener(key)) {
            source.close();
            return Err(err);
        }
        Ok(ports.insert(Listener {
            source,
            factory,
            backoff: Duration::ZERO,
            retry: None,
        }))
    }

    pub(crate) fn contains(&self, key: Key) -> bool {
        self.ports.borrow().get(key).is_some()
    }

    pub(crate) fn keys(&self) -> Vec<Key> {
        self.ports.borrow().keys()
    }

    /// Whether the next poll must not block: accepts are queued.
    pub(crate) fn has_queued_work(&self) -> bool {
        !self.again.borrow().is_empty()
    }

    /// A descriptor was freed: the ports that ran out of descriptors retry at once (on
    /// the next iteration) instead of waiting out their backoff.
    pub(crate) fn retry_starved(&self) {
        if self.starved.borrow().is_empty() {
            return;
        }
        let starved = std::mem::take(&mut *self.starved.borrow_mut());
        let mut ports = self.ports.borrow_mut();
        for key in starved {
            let Some(listener) = ports.get_mut(key) else {
                continue;
            };
            if let Some(retry) = listener.retry.take() {
                let _ = retry.cancel();
                self.again.borrow_mut().push(key);
            }
        }
    }
}
