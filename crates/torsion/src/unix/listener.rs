//! Listening UNIX stream sockets: `listen_unix`, the stale socket file, and
//! [`UnixListeningPort`].

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use mio::{Interest, Registry, Token};
use socket2::{Domain, Socket, Type};

use super::lock::{PidLock, Taken};
use super::source::UnixSource;
use super::CannotListenUnixError;
use crate::address::{Address, UnixAddress};
use crate::defer::Deferred;
use crate::factory::AnyFactory;
use crate::listening::{AcceptSource, Accepted};
use crate::slab::Key;
use crate::{Factory, Failure, Reactor};

/// How to listen on a UNIX socket (the arguments of Twisted's `listenUNIX`).
#[derive(Debug, Clone)]
pub struct UnixListenOptions {
    /// The socket file's permissions (default `0o666`, as Twisted); not used for an
    /// abstract name.
    pub mode: u32,
    /// Keep a lock file `PATH.lock` naming this process while listening (Twisted's
    /// `wantPID`): a live holder makes `listen_unix` fail, a dead one's socket file is
    /// removed as stale first. Default `false`.
    pub want_pid: bool,
    /// The `listen` backlog (default 50, as Twisted).
    pub backlog: i32,
}

impl Default for UnixListenOptions {
    fn default() -> Self {
        UnixListenOptions {
            mode: 0o666,
            want_pid: false,
            backlog: 50,
        }
    }
}

/// A UNIX socket the reactor listens on (Twisted's `IListeningPort` from `listenUNIX`).
///
/// A handle, as [`ListeningPort`](crate::ListeningPort): dropping it does not stop the
/// port, and clones stand for the same one.
///
/// # Examples
///
/// ```
/// use torsion::{Protocol, Reactor, UnixAddress};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let path = std::env::temp_dir().join(format!("torsion-doc-{}.sock", std::process::id()));
/// let reactor = Reactor::new()?;
/// let port = reactor.listen_unix(&path, |_peer| Some(Quiet))?;
/// assert_eq!(port.get_host(), UnixAddress::Path(path.clone()));
/// assert!(path.exists());
/// port.stop_listening();
/// assert!(!path.exists(), "the socket file goes with the port");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct UnixListeningPort {
    reactor: Reactor,
    key: Key,
    address: UnixAddress,
}

impl UnixListeningPort {
    /// The name listened on.
    pub fn get_host(&self) -> UnixAddress {
        self.address.clone()
    }

    /// Stops accepting: the socket is closed, and its file and lock file removed, before
    /// this returns. Connections already accepted stay open. The returned Deferred fires
    /// once the factory's `do_stop` has run, from the loop; stopping twice gives a fired
    /// one.
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

impl fmt::Debug for UnixListeningPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListeningPort")
            .field("host", &self.address)
            .finish()
    }
}

/// A listening UNIX socket, with the file and lock it removes when it stops.
struct UnixAcceptSource {
    socket: mio::net::UnixListener,
    address: UnixAddress,
    lock: Option<PidLock>,
}

impl AcceptSource for UnixAcceptSource {
    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        registry.register(&mut self.socket, token, Interest::READABLE)
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.socket);
    }

    fn accept(&self) -> io::Result<Accepted> {
        let (stream, peer) = self.socket.accept()?;
        Ok(Accepted {
            source: Box::new(UnixSource::new(stream)),
            host: Address::Unix(self.address.clone()),
            peer: Address::Unix(UnixAddress::from_std(&peer)),
        })
    }

    fn local(&self) -> Address {
        Address::Unix(self.address.clone())
    }

    fn close(self: Box<Self>) {
        let UnixAcceptSource {
            socket,
            address,
            lock,
        } = *self;
        drop(socket);
        if let Some(path) = address.path() {
            if let Err(err) = std::fs::remove_file(path) {
                tracing::warn!(path = %path.display(), %err, "could not remove the socket file");
            }
        }
        if let Some(lock) = lock {
            lock.release();
        }
    }
}

/// The lock file's path: the socket's path with `.lock` added.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// With `want_pid`: takes the lock, and after breaking a dead listener's lock removes its
/// socket file if it is a socket (a best effort, as Twisted's: if it fails, `bind` says
/// why).
fn take_lock(address: &UnixAddress, path: &Path) -> Result<PidLock, Failure> {
    match PidLock::take(&lock_path(path)) {
        Ok(Taken::Held { lock, clean }) => {
            if !clean {
                let is_socket = std::fs::symlink_metadata(path)
                    .map(|m| m.file_type().is_socket())
                    .unwrap_or(false);
                if is_socket {
                    let _ = std::fs::remove_file(path);
                    tracing::info!(path = %path.display(), "removed a dead listener's socket file");
                }
            }
            Ok(lock)
        }
        Ok(Taken::Busy) => Err(CannotListenUnixError::failure(
            address,
            "Cannot acquire lock",
        )),
        Err(err) => Err(CannotListenUnixError::failure(address, err)),
    }
}

fn bind_listener(address: &UnixAddress, options: &UnixListenOptions) -> io::Result<Socket> {
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.bind(&address.to_sockaddr()?)?;
    if let Some(path) = address.path() {
        let bound = std::fs::set_permissions(path, std::fs::Permissions::from_mode(options.mode))
            .and_then(|()| socket.listen(options.backlog));
        if let Err(err) = bound {
            let _ = std::fs::remove_file(path);
            return Err(err);
        }
    } else {
        socket.listen(options.backlog)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

impl Reactor {
    /// Listens on the UNIX socket `address` (a path, or `"\0name"` for Linux's abstract
    /// namespace: see [`UnixAddress::from_name`]) with default options; each accepted
    /// connection gets a protocol from `factory`, on the same stream engine as TCP.
    ///
    /// As Twisted's `listenUNIX`, without `want_pid` an existing file at the path is
    /// never removed: `bind` fails with `EADDRINUSE`, stale socket or not (use
    /// [`UnixListenOptions::want_pid`] to have stale sockets taken over). The socket
    /// file (and lock file) are removed when the port stops, or the reactor does.
    ///
    /// # Errors
    ///
    /// [`CannotListenUnixError`] (a [`CannotListenError`](crate::error::CannotListenError))
    /// if the socket cannot be bound or listened on, or its lock is held.
    pub fn listen_unix<F: Factory>(
        &self,
        address: impl Into<UnixAddress>,
        factory: F,
    ) -> Result<UnixListeningPort, Failure> {
        self.listen_unix_with(address, factory, UnixListenOptions::default())
    }

    /// Listens as [`listen_unix`](Reactor::listen_unix) does, with explicit options.
    ///
    /// # Errors
    ///
    /// As [`listen_unix`](Reactor::listen_unix).
    pub fn listen_unix_with<F: Factory>(
        &self,
        address: impl Into<UnixAddress>,
        factory: F,
        options: UnixListenOptions,
    ) -> Result<UnixListeningPort, Failure> {
        let address = address.into();
        let lock = match address.path() {
            Some(path) if options.want_pid => Some(take_lock(&address, path)?),
            _ => None,
        };
        let socket = match bind_listener(&address, &options) {
            Ok(socket) => socket,
            Err(err) => {
                if let Some(lock) = lock {
                    lock.release();
                }
                return Err(CannotListenUnixError::failure(
                    &address,
                    crate::error::os_error_text(&err),
                ));
            }
        };
        let std_listener: std::os::unix::net::UnixListener = socket.into();
        let source = Box::new(UnixAcceptSource {
            socket: mio::net::UnixListener::from_std(std_listener),
            address: address.clone(),
            lock,
        });
        let factory: Rc<dyn AnyFactory> = Rc::new(RefCell::new(factory));
        let key = self
            .core
            .listeners
            .add(self.core.io.registry(), source, factory.clone())
            .map_err(|err| CannotListenUnixError::failure(&address, err))?;
        factory.do_start();
        tracing::info!(address = %Address::Unix(address.clone()), "listening");
        Ok(UnixListeningPort {
            reactor: self.clone(),
            key,
            address,
        })
    }
}
