//! Accepting, for every kind of listening port: a fair share of connections per event,
//! a backoff when accepting fails (never a spin on EMFILE), and the stop.

use std::io;
use std::time::Duration;

use super::Accepted;
use crate::defer::Deferred;
use crate::factory::AnyFactory;
use crate::reactor::token;
use crate::slab::Key;
use crate::stream::{StreamConn, StreamHandle};
use crate::time::ReactorTime;
use crate::{Reactor, Transport};

const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Connections accepted per readiness event before the other connections get their turn
/// (a connect flood must not starve them); the rest are accepted next iteration. Twisted
/// starts at 100 per event.
pub(crate) const MAX_ACCEPTS_PER_EVENT: usize = 128;

/// `accept` errors that mean the process or system ran out of something (descriptors,
/// buffers, memory) and will pass: ENFILE, EMFILE, ENOBUFS, ENOMEM on Linux.
fn is_resource_exhaustion(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::ENOMEM | libc::ENFILE | libc::EMFILE | libc::ENOBUFS)
    )
}

impl Reactor {
    /// Stops polling and closes the listening socket (undoing what its kind set up). The
    /// factory's `do_stop` runs from the loop: at once when the reactor itself stops the
    /// port (`from_loop`), soon after otherwise.
    ///
    /// `None` if the port was not listening; else a Deferred fired after `do_stop`.
    #[track_caller]
    pub(crate) fn stop_listener(&self, key: Key, from_loop: bool) -> Option<Deferred<()>> {
        let mut listener = self.core.listeners.ports.borrow_mut().remove(key)?;
        listener.source.deregister(self.core.io.registry());
        if let Some(retry) = listener.retry.take() {
            let _ = retry.cancel();
        }
        let factory = listener.factory;
        listener.source.close();
        let stopped = Deferred::new();
        if from_loop {
            factory.do_stop();
            let _ = stopped.callback(());
        } else {
            let fire = stopped.clone();
            self.call_later(Duration::ZERO, move || {
                factory.do_stop();
                let _ = fire.callback(());
            });
        }
        Some(stopped)
    }

    /// A listening port is readable: accept its fair share of connections.
    pub(crate) fn accept_ready(&self, key: Key) {
        match self.core.listeners.ports.borrow().get(key) {
            // While backing off, new connections wait in the backlog for the retry.
            Some(listener) if listener.retry.is_none() => {}
            _ => return,
        }
        self.accept_some(key);
    }

    /// Accepts from the ports queued for another round.
    pub(crate) fn accept_again(&self) {
        let keys = std::mem::take(&mut *self.core.listeners.again.borrow_mut());
        for key in keys {
            self.accept_some(key);
        }
    }

    fn accept_some(&self, key: Key) {
        for _ in 0..MAX_ACCEPTS_PER_EVENT {
            let (result, factory) = {
                let ports = self.core.listeners.ports.borrow();
                let Some(listener) = ports.get(key) else {
                    return;
                };
                (listener.source.accept(), listener.factory.clone())
            };
            match result {
                Ok(accepted) => {
                    if let Some(l) = self.core.listeners.ports.borrow_mut().get_mut(key) {
                        l.backoff = Duration::ZERO;
                    }
                    self.accept_one(accepted, &*factory);
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return,
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(err) => return self.accept_failed(key, err),
            }
        }
        // A fair share accepted and maybe more waiting: the edge will not come again.
        self.core.listeners.again.borrow_mut().push(key);
    }

    /// Logs the error and tries again later, backing off while it keeps failing (never
    /// spins on EMFILE), or as soon as a descriptor is freed.
    fn accept_failed(&self, key: Key, err: io::Error) {
        let mut ports = self.core.listeners.ports.borrow_mut();
        let Some(listener) = ports.get_mut(key) else {
            return;
        };
        listener.backoff = (listener.backoff * 2).clamp(MIN_ACCEPT_BACKOFF, MAX_ACCEPT_BACKOFF);
        let addr = listener.source.local();
        if is_resource_exhaustion(&err) {
            tracing::error!(%addr, %err, retry_in = ?listener.backoff, "accept failed: out of resources");
        } else {
            tracing::error!(%addr, %err, retry_in = ?listener.backoff, "accept failed");
        }
        let mut starved = self.core.listeners.starved.borrow_mut();
        if !starved.contains(&key) {
            starved.push(key);
        }
        let me = self.clone();
        listener.retry = Some(self.call_later(listener.backoff, move || {
            if let Some(l) = me.core.listeners.ports.borrow_mut().get_mut(key) {
                l.retry = None;
            }
            me.accept_some(key);
        }));
    }

    /// Registers an accepted connection, then builds its protocol: a protocol exists only
    /// for a connection the loop will drive, so it always gets `connection_made` first.
    pub(super) fn accept_one(&self, accepted: Accepted, factory: &dyn AnyFactory) {
        let Accepted {
            mut source,
            host,
            peer,
        } = accepted;
        let streams = &self.core.streams;
        let key = streams.next_key();
        if let Err(err) = source.register(self.core.io.registry(), token::stream(key)) {
            tracing::error!(%peer, %err, "could not poll an accepted connection");
            drop(source);
            return self.descriptor_freed();
        }
        let cell = streams.insert(host, peer.clone(), StreamConn::new(source, None, false));
        let transport = Transport::stream(StreamHandle::new(self.clone(), cell.clone()));
        let Some(protocol) = factory.build(
            peer.clone(),
            transport,
            self.core.timers.scheduler().clone(),
        ) else {
            tracing::debug!(%peer, "factory refused the connection");
            return self.discard_stream(key);
        };
        cell.set_protocol(protocol);
        if let Err(reason) = cell.with_protocol(|p| p.connection_made()) {
            self.abort_for_panic(key, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use mio::Interest;

    use super::*;
    use crate::address::Address;
    use crate::tcp::TcpSource;
    use crate::{Cx, Failure, Protocol};

    /// Records its callbacks.
    struct Recorder(Rc<RefCell<Vec<&'static str>>>);

    impl Protocol for Recorder {
        fn connection_made(&mut self, _cx: &mut Cx<Self>) {
            self.0.borrow_mut().push("made");
        }
        fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
            self.0.borrow_mut().push("lost");
        }
    }

    #[test]
    fn an_accepted_socket_that_cannot_be_polled_never_reaches_a_protocol() {
        let reactor = Reactor::new().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, peer) = listener.accept().unwrap();
        accepted.set_nonblocking(true).unwrap();
        let host = accepted.local_addr().unwrap();
        let mut stream = mio::net::TcpStream::from_std(accepted);
        // Polled already: registering it again fails (EEXIST), as a full epoll set would.
        reactor
            .core
            .io
            .registry()
            .register(&mut stream, mio::Token(7), Interest::READABLE)
            .unwrap();
        let calls = Rc::new(RefCell::new(Vec::new()));
        let c = calls.clone();
        let factory = RefCell::new(move |_peer: Address| {
            c.borrow_mut().push("built");
            Some(Recorder(c.clone()))
        });
        let accepted = Accepted {
            source: Box::new(TcpSource::new(stream)),
            host: Address::Tcp(host),
            peer: Address::Tcp(peer),
        };
        reactor.accept_one(accepted, &factory);
        reactor.flush_dirty();
        assert_eq!(*calls.borrow(), Vec::<&str>::new(), "no protocol for it");
        assert_eq!(reactor.connection_count(), 0);
    }
}
