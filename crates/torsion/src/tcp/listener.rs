//! Listening TCP ports: `listen_tcp`, accepting, and [`ListeningPort`].

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use mio::Interest;
use socket2::{Domain, Protocol as SockProtocol, Socket, Type};

use super::conn::{Conn, ConnCell, Owner};
use super::StreamHandle;
use crate::error::{CannotListenError, InvalidAddress};
use crate::factory::AnyFactory;
use crate::reactor::token;
use crate::slab::Key;
use crate::time::{DelayedCall, ReactorTime};
use crate::{Factory, Failure, Reactor, Transport};

const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

pub(crate) struct Listener {
    socket: mio::net::TcpListener,
    factory: Rc<dyn AnyFactory>,
    backoff: Duration,
    retry: Option<DelayedCall>,
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
    pub fn stop_listening(&self) {
        self.reactor.stop_listener(self.key, false);
    }

    /// Whether the port still listens.
    pub fn listening(&self) -> bool {
        self.reactor
            .inner
            .listeners
            .borrow()
            .get(self.key)
            .is_some()
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
            let mut listeners = self.inner.listeners.borrow_mut();
            let key = listeners.next_key();
            self.inner
                .registry
                .register(&mut socket, token::listener(key), Interest::READABLE)
                .map_err(|e| Failure::new(cannot(e)))?;
            listeners.insert(Listener {
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
    pub(crate) fn stop_listener(&self, key: Key, from_loop: bool) {
        let Some(mut listener) = self.inner.listeners.borrow_mut().remove(key) else {
            return;
        };
        let _ = self.inner.registry.deregister(&mut listener.socket);
        if let Some(retry) = listener.retry.take() {
            let _ = retry.cancel();
        }
        let Listener {
            socket, factory, ..
        } = listener;
        drop(socket);
        if from_loop {
            factory.do_stop();
        } else {
            self.call_later(Duration::ZERO, move || factory.do_stop());
        }
    }

    pub(crate) fn accept_ready(&self, index: usize) {
        let key = match self.inner.listeners.borrow().get_by_index(index) {
            // While backing off, new connections wait in the backlog for the retry.
            Some((key, listener)) if listener.retry.is_none() => key,
            _ => return,
        };
        self.accept_all(key);
    }

    fn accept_all(&self, key: Key) {
        loop {
            let (result, factory) = {
                let listeners = self.inner.listeners.borrow();
                let Some(listener) = listeners.get(key) else {
                    return;
                };
                (listener.socket.accept(), listener.factory.clone())
            };
            match result {
                Ok((stream, peer)) => {
                    if let Some(l) = self.inner.listeners.borrow_mut().get_mut(key) {
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
    }

    /// Logs the error and tries again later, backing off while it keeps failing: never
    /// spins on EMFILE.
    fn accept_failed(&self, key: Key, err: io::Error) {
        let mut listeners = self.inner.listeners.borrow_mut();
        let Some(listener) = listeners.get_mut(key) else {
            return;
        };
        listener.backoff = (listener.backoff * 2).clamp(MIN_ACCEPT_BACKOFF, MAX_ACCEPT_BACKOFF);
        let addr = listener.socket.local_addr().ok();
        if is_resource_exhaustion(&err) {
            tracing::error!(addr = ?addr, %err, retry_in = ?listener.backoff, "accept failed: out of resources");
        } else {
            tracing::error!(addr = ?addr, %err, retry_in = ?listener.backoff, "accept failed");
        }
        let me = self.clone();
        listener.retry = Some(self.call_later(listener.backoff, move || {
            if let Some(l) = me.inner.listeners.borrow_mut().get_mut(key) {
                l.retry = None;
            }
            me.accept_all(key);
        }));
    }

    fn accept_one(&self, stream: mio::net::TcpStream, peer: SocketAddr, factory: &dyn AnyFactory) {
        let _ = stream.set_nodelay(true);
        let host = match stream.local_addr() {
            Ok(host) => host,
            Err(err) => {
                return tracing::warn!(%peer, %err, "accepted a socket that is already gone")
            }
        };
        let conn = Conn::new(stream, Some(peer), Owner::Server, false);
        let key = self
            .inner
            .conns
            .borrow_mut()
            .insert_with(|key| ConnCell::new(key, conn));
        let Some(cell) = self.cell(key) else {
            return;
        };
        let transport =
            Transport::stream(StreamHandle::new(self.clone(), cell.clone(), host, peer));
        let Some(driver) = factory.build(peer, transport, self.inner.scheduler.clone()) else {
            tracing::debug!(%peer, "factory refused the connection");
            self.discard_conn(key);
            return;
        };
        *cell.driver.borrow_mut() = driver;
        let registered = self.register_conn(key, &mut cell.conn.borrow_mut());
        if let Err(err) = registered {
            tracing::error!(%peer, %err, "could not poll an accepted connection");
            return self.finalize(
                key,
                Failure::new(crate::error::ConnectionLost {
                    os_error: Some(err),
                }),
            );
        }
        if let Err(reason) = cell.with_driver(|d| d.connection_made()) {
            self.abort_for_panic(key, reason);
        }
    }
}
