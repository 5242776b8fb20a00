//! Listening TCP ports: `listen_tcp`, accepting, and [`ListeningPort`].

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use mio::Interest;
use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::TcpSource;
use crate::address::Address;
use crate::defer::Deferred;
use crate::error::{CannotListenError, InvalidAddress};
use crate::factory::AnyFactory;
use crate::reactor::token;
use crate::slab::{Key, Slab};
use crate::stream::{StreamConn, StreamHandle, StreamSource};
use crate::time::{DelayedCall, ReactorTime};
use crate::{Factory, Failure, Reactor, Transport};

const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Connections accepted per readiness event before the other connections get their turn
/// (a connect flood must not starve them); the rest are accepted next iteration. Twisted
/// starts at 100 per event.
pub(crate) const MAX_ACCEPTS_PER_EVENT: usize = 128;

struct Listener {
    socket: mio::net::TcpListener,
    factory: Rc<dyn AnyFactory>,
    backoff: Duration,
    /// The retry after an accept failed; `None` while accepting normally.
    retry: Option<DelayedCall>,
}

/// A reactor's listening TCP ports and the accepts they have queued.
///
/// Invariants: a port is in `ports` from `listen_tcp` until `stop_listening` (or the
/// reactor's shutdown), registered with the poller under its key's token; a key in
/// `again` is accepted on the next iteration; a port with a `retry` is backing off and is
/// not accepted from events until the retry runs or a descriptor is freed.
#[derive(Default)]
pub(crate) struct Listeners {
    ports: RefCell<Slab<Listener>>,
    /// Ports to accept from next iteration without waiting for an event: cut short after
    /// their fair share, or retried because a descriptor was freed.
    again: RefCell<Vec<Key>>,
    /// Ports backing off after a failed accept, to retry as soon as a descriptor is freed.
    starved: RefCell<Vec<Key>>,
}

impl Listeners {
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

/// How to listen: which interface, how long a backlog, whether to share the port.
#[derive(Debug, Clone)]
pub struct ListenOptions {
    /// The address to bind: `""` (the default) for every IPv4 interface, `"::"` for every
    /// IPv6 one, or one address such as `"127.0.0.1"`.
    pub interface: String,
    /// The `listen` backlog (default 50, as Twisted).
    pub backlog: i32,
    /// Sets `SO_REUSEPORT`, so several reactors (threads or processes) may listen on the
    /// same port and the kernel spreads connections among them.
    pub reuse_port: bool,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            interface: String::new(),
            backlog: 50,
            reuse_port: false,
        }
    }
}

/// A port the reactor listens on (Twisted's `IListeningPort`).
///
/// A handle: dropping it does not stop the port (the reactor keeps listening until
/// [`stop_listening`](ListeningPort::stop_listening) or its own shutdown), and clones
/// stand for the same port.
///
/// # Examples
///
/// ```
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let port = reactor.listen_tcp(0, |_peer| Some(Quiet))?;
/// assert_ne!(port.get_host().port(), 0, "port 0 picks a free port");
/// assert!(port.listening());
/// port.stop_listening();
/// assert!(!port.listening());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct ListeningPort {
    reactor: Reactor,
    key: Key,
    addr: SocketAddr,
}

impl ListeningPort {
    /// The address actually bound (with the real port when 0 was asked for).
    pub fn get_host(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting: the socket is closed before this returns, so the port is free
    /// for a new listener at once. Connections already accepted stay open. The factory's
    /// `do_stop` runs from the loop soon after. Stopping twice does nothing.
    ///
    /// The returned Deferred fires once the socket is closed and `do_stop` has run
    /// (Twisted's `stopListening` Deferred); stopping a port that is not listening gives a
    /// fired one.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Protocol, Reactor};
    ///
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    ///
    /// let reactor = Reactor::new()?;
    /// let port = reactor.listen_tcp(0, |_peer| Some(Quiet))?;
    /// let r = reactor.clone();
    /// port.stop_listening().add_callback(move |()| {
    ///     r.stop();
    ///     Ok(())
    /// });
    /// reactor.run()?;
    /// assert!(!port.listening());
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn stop_listening(&self) -> Deferred<()> {
        self.reactor
            .stop_listener(self.key, false)
            .unwrap_or_else(|| Deferred::succeed(()))
    }

    /// Whether the port still listens.
    pub fn listening(&self) -> bool {
        self.reactor.core.listeners.contains(self.key)
    }
}

impl fmt::Debug for ListeningPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListeningPort")
            .field("host", &self.addr)
            .finish()
    }
}

fn bind_listener(addr: SocketAddr, options: &ListenOptions) -> io::Result<std::net::TcpListener> {
    let socket = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    if options.reuse_port {
        socket.set_reuse_port(true)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(options.backlog)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// The address of `interface`: `""` is every IPv4 interface.
pub(crate) fn interface_ip(interface: &str) -> Result<IpAddr, Failure> {
    if interface.is_empty() {
        return Ok(Ipv4Addr::UNSPECIFIED.into());
    }
    interface.parse().map_err(|_| {
        Failure::new(InvalidAddress {
            address: interface.to_string(),
        })
    })
}

/// `accept` errors that mean the process or system ran out of something (descriptors,
/// buffers, memory) and will pass: ENFILE, EMFILE, ENOBUFS, ENOMEM on Linux.
fn is_resource_exhaustion(err: &io::Error) -> bool {
    const ENOMEM: i32 = 12;
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    const ENOBUFS: i32 = 105;
    matches!(err.raw_os_error(), Some(ENOMEM | ENFILE | EMFILE | ENOBUFS))
}

impl Reactor {
    /// Listens on `port` of every IPv4 interface; each accepted connection gets a
    /// protocol from `factory` (0 picks a free port: see [`ListeningPort::get_host`]).
    ///
    /// # Errors
    ///
    /// [`CannotListenError`] if the port cannot be bound.
    pub fn listen_tcp<F: Factory>(&self, port: u16, factory: F) -> Result<ListeningPort, Failure> {
        self.listen_tcp_with(port, factory, ListenOptions::default())
    }

    /// Listens as [`listen_tcp`](Reactor::listen_tcp) does, with explicit options.
    ///
    /// # Errors
    ///
    /// [`InvalidAddress`] for an interface that is not an IP address;
    /// [`CannotListenError`] if the port cannot be bound.
    pub fn listen_tcp_with<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ListenOptions,
    ) -> Result<ListeningPort, Failure> {
        let ip = interface_ip(&options.interface)?;
        let cannot = |os_error| CannotListenError {
            interface: options.interface.clone(),
            port,
            os_error,
        };
        let std_listener = bind_listener(SocketAddr::new(ip, port), &options)
            .map_err(|e| Failure::new(cannot(e)))?;
        let addr = std_listener.local_addr()?;
        let mut socket = mio::net::TcpListener::from_std(std_listener);
        let factory: Rc<dyn AnyFactory> = Rc::new(RefCell::new(factory));
        let key = {
            let mut ports = self.core.listeners.ports.borrow_mut();
            let key = ports.next_key();
            self.core
                .io
                .registry()
                .register(&mut socket, token::listener(key), Interest::READABLE)
                .map_err(|e| Failure::new(cannot(e)))?;
            ports.insert(Listener {
                socket,
                factory: factory.clone(),
                backoff: Duration::ZERO,
                retry: None,
            })
        };
        factory.do_start();
        tracing::info!(%addr, "listening");
        Ok(ListeningPort {
            reactor: self.clone(),
            key,
            addr,
        })
    }

    /// Closes the listening socket. The factory's `do_stop` runs from the loop: at once
    /// when the reactor itself stops the port (`from_loop`), soon after otherwise.
    ///
    /// `None` if the port was not listening; else a Deferred fired after `do_stop`.
    #[track_caller]
    pub(crate) fn stop_listener(&self, key: Key, from_loop: bool) -> Option<Deferred<()>> {
        let mut listener = self.core.listeners.ports.borrow_mut().remove(key)?;
        let _ = self.core.io.registry().deregister(&mut listener.socket);
        if let Some(retry) = listener.retry.take() {
            let _ = retry.cancel();
        }
        let Listener {
            socket, factory, ..
        } = listener;
        drop(socket);
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
                (listener.socket.accept(), listener.factory.clone())
            };
            match result {
                Ok((stream, peer)) => {
                    if let Some(l) = self.core.listeners.ports.borrow_mut().get_mut(key) {
                        l.backoff = Duration::ZERO;
                    }
                    self.accept_one(stream, peer, &*factory);
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
        let addr = listener.socket.local_addr().ok();
        if is_resource_exhaustion(&err) {
            tracing::error!(addr = ?addr, %err, retry_in = ?listener.backoff, "accept failed: out of resources");
        } else {
            tracing::error!(addr = ?addr, %err, retry_in = ?listener.backoff, "accept failed");
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

    /// Registers an accepted socket, then builds its protocol: a protocol exists only for
    /// a connection the loop will drive, so it always gets `connection_made` first.
    fn accept_one(&self, stream: mio::net::TcpStream, peer: SocketAddr, factory: &dyn AnyFactory) {
        let _ = stream.set_nodelay(true);
        let host = match stream.local_addr() {
            Ok(host) => host,
            Err(err) => {
                return tracing::warn!(%peer, %err, "accepted a socket that is already gone")
            }
        };
        let streams = &self.core.streams;
        let key = streams.next_key();
        let mut source = Box::new(TcpSource::new(stream));
        if let Err(err) = source.register(self.core.io.registry(), token::stream(key)) {
            tracing::error!(%peer, %err, "could not poll an accepted connection");
            drop(source);
            return self.descriptor_freed();
        }
        let cell = streams.insert(
            host.into(),
            peer.into(),
            StreamConn::new(source, None, false),
        );
        let transport = Transport::stream(StreamHandle::new(self.clone(), cell.clone()));
        let Some(protocol) = factory.build(
            Address::Tcp(peer),
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
    use super::*;
    use crate::{Cx, Protocol};

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
        reactor.accept_one(stream, peer, &factory);
        reactor.flush_dirty();
        assert_eq!(*calls.borrow(), Vec::<&str>::new(), "no protocol for it");
        assert_eq!(reactor.connection_count(), 0);
    }
}
