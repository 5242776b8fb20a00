//! Outgoing UNIX stream connections: `connect_unix` and [`UnixDial`], UNIX's side of
//! the connector every stream kind shares ([`crate::dialing`]).

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::lock::PidLock;
use super::source::UnixSource;
use super::BadFileError;
use crate::address::{Address, UnixAddress};
use crate::dialing::{classify_connect_error, Dial, StreamConnector};
use crate::stream::StreamSource;
use crate::{ClientFactory, Connector, Destination, Failure, Reactor};

/// How to connect to a UNIX socket (the arguments of Twisted's `connectUNIX`).
#[derive(Debug, Clone)]
pub struct UnixConnectOptions {
    /// Give up with [`TimeoutError`](crate::error::TimeoutError) after this long (default
    /// 30 s, as Twisted; `None` waits as long as the OS does).
    pub timeout: Option<Duration>,
    /// Fail with [`BadFileError`] unless a live process holds the lock file `PATH.lock`
    /// (a listener with `want_pid`). Default `false`.
    pub check_pid: bool,
}

impl Default for UnixConnectOptions {
    fn default() -> Self {
        UnixConnectOptions {
            timeout: Some(Duration::from_secs(30)),
            check_pid: false,
        }
    }
}

/// How a UNIX connector dials: check the lock if asked, then connect at once (a UNIX
/// connect never waits for the network).
struct UnixDial {
    address: UnixAddress,
    check_pid: bool,
}

impl UnixDial {
    fn open(&self) -> io::Result<mio::net::UnixStream> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.set_nonblocking(true)?;
        socket.connect(&self.address.to_sockaddr()?)?;
        let std_stream: std::os::unix::net::UnixStream = socket.into();
        Ok(mio::net::UnixStream::from_std(std_stream))
    }
}

impl Dial for UnixDial {
    fn dial(&self, reactor: &Reactor, connector: &Rc<StreamConnector>, attempt: u64) {
        if self.check_pid {
            if let Some(path) = self.address.path() {
                let mut lock = path.as_os_str().to_owned();
                lock.push(".lock");
                if !PidLock::is_held(lock.as_ref()) {
                    let reason = Failure::new(BadFileError {
                        address: self.address.clone(),
                    });
                    return reactor.connect_failed(connector, reason);
                }
            }
        }
        let socket = match self.open() {
            Ok(socket) => socket,
            Err(err) => return reactor.connect_failed(connector, classify_connect_error(err)),
        };
        let host = socket
            .local_addr()
            .map(|a| UnixAddress::from_std(&a))
            .unwrap_or(UnixAddress::Unnamed);
        reactor.open_connecting(
            connector,
            attempt,
            Box::new(UnixSource::new(socket)),
            Address::Unix(host),
            Address::Unix(self.address.clone()),
        );
    }

    fn connect_outcome(&self, source: &dyn StreamSource) -> io::Result<bool> {
        let Some(unix) = source.as_any().downcast_ref::<UnixSource>() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a UNIX socket",
            ));
        };
        let socket = unix.socket();
        if let Some(err) = socket.take_error()? {
            return Err(err);
        }
        match socket.peer_addr() {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl Reactor {
    /// Connects to the UNIX socket `address` (a path, or `"\0name"` for Linux's abstract
    /// namespace) with default options, and returns at once; `factory` hears how it goes,
    /// from the loop, as with [`connect_tcp`](Reactor::connect_tcp): the same
    /// [`Connector`] (whose [`Destination`] has the socket's name as `host` and port 0),
    /// the same `client_connection_failed` / `client_connection_lost`, and `connect()`
    /// again to retry.
    ///
    /// No file, or a stale file nobody listens on, fails the attempt with
    /// [`ConnectError`](crate::error::ConnectError) or
    /// [`ConnectionRefused`](crate::error::ConnectionRefused); a listener whose backlog
    /// is full also fails it (`EAGAIN`), as a UNIX connect cannot wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Address, ClientFactory, Connector, Failure, Protocol, Reactor};
    ///
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    ///
    /// struct Once(Reactor);
    /// impl ClientFactory for Once {
    ///     type Protocol = Quiet;
    ///     fn build_protocol(&mut self, _addr: Address) -> Option<Quiet> {
    ///         Some(Quiet)
    ///     }
    ///     fn client_connection_failed(&mut self, _c: &Connector, reason: &Failure) {
    ///         println!("nobody listens: {reason}");
    ///         self.0.stop();
    ///     }
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// reactor.connect_unix("/nonexistent/torsion.sock", Once(reactor.clone()));
    /// reactor.run()?;
    /// # Ok::<(), Failure>(())
    /// ```
    pub fn connect_unix<F: ClientFactory>(
        &self,
        address: impl Into<UnixAddress>,
        factory: F,
    ) -> Connector {
        self.connect_unix_with(address, factory, UnixConnectOptions::default())
    }

    /// Connects as [`connect_unix`](Reactor::connect_unix) does, with explicit options.
    pub fn connect_unix_with<F: ClientFactory>(
        &self,
        address: impl Into<UnixAddress>,
        factory: F,
        options: UnixConnectOptions,
    ) -> Connector {
        let address = address.into();
        let destination = Destination {
            host: Address::Unix(address.clone()).to_string(),
            port: 0,
        };
        self.start_connector(
            destination,
            Rc::new(RefCell::new(factory)),
            options.timeout,
            Box::new(UnixDial {
                address,
                check_pid: options.check_pid,
            }),
        )
    }
}
