//! UNIX endpoints: [`UnixServerEndpoint`] and [`UnixClientEndpoint`].

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::announce::{Announcer, Hooks};
use crate::defer::Deferred;
use crate::{
    Connector, Factory, ProtocolHandle, Reactor, UnixAddress, UnixConnectOptions,
    UnixListenOptions, UnixListeningPort,
};

/// Listens on a UNIX socket (Twisted's `UNIXServerEndpoint`).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::UnixServerEndpoint;
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let path = std::env::temp_dir().join(format!("torsion-ep-doc-{}.sock", std::process::id()));
/// let port = UnixServerEndpoint::new(&reactor, &path)
///     .mode(0o600)
///     .listen(|_peer| Some(Quiet))
///     .take_result()
///     .expect("listens inside the call")?;
/// assert!(path.exists());
/// port.stop_listening();
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone)]
pub struct UnixServerEndpoint {
    reactor: Reactor,
    address: UnixAddress,
    options: UnixListenOptions,
}

impl UnixServerEndpoint {
    /// An endpoint for `address` (a path, or `"\0name"`), with `listen_unix`'s defaults
    /// (mode `0o666`, backlog 50, no lock file).
    pub fn new(reactor: &Reactor, address: impl Into<UnixAddress>) -> UnixServerEndpoint {
        UnixServerEndpoint {
            reactor: reactor.clone(),
            address: address.into(),
            options: UnixListenOptions::default(),
        }
    }

    /// The socket file's permissions.
    pub fn mode(mut self, mode: u32) -> UnixServerEndpoint {
        self.options.mode = mode;
        self
    }

    /// The `listen` backlog.
    pub fn backlog(mut self, backlog: i32) -> UnixServerEndpoint {
        self.options.backlog = backlog;
        self
    }

    /// Keep a pid lock file beside the socket ([`UnixListenOptions::want_pid`]).
    pub fn want_pid(mut self, want_pid: bool) -> UnixServerEndpoint {
        self.options.want_pid = want_pid;
        self
    }

    /// Listens; the Deferred has fired when this returns: with the port, or with the
    /// [`CannotListenUnixError`](crate::error::CannotListenUnixError) that stopped it.
    #[track_caller]
    pub fn listen<F: Factory>(&self, factory: F) -> Deferred<UnixListeningPort> {
        match self
            .reactor
            .listen_unix_with(self.address.clone(), factory, self.options.clone())
        {
            Ok(port) => Deferred::succeed(port),
            Err(failure) => Deferred::fail(failure),
        }
    }
}

/// Connects to a UNIX socket (Twisted's `UNIXClientEndpoint`).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::UnixClientEndpoint;
/// use torsion::error::ConnectError;
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let endpoint = UnixClientEndpoint::new(&reactor, "/nonexistent/torsion.sock");
/// let r = reactor.clone();
/// endpoint.connect(|_addr| Some(Quiet)).add_both(move |outcome| {
///     assert!(outcome.unwrap_err().check::<ConnectError>());
///     r.stop();
///     Ok::<(), torsion::Failure>(())
/// });
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone)]
pub struct UnixClientEndpoint {
    reactor: Reactor,
    address: UnixAddress,
    options: UnixConnectOptions,
}

impl UnixClientEndpoint {
    /// An endpoint for `address`, with `connect_unix`'s defaults (30 s, no pid check).
    pub fn new(reactor: &Reactor, address: impl Into<UnixAddress>) -> UnixClientEndpoint {
        UnixClientEndpoint {
            reactor: reactor.clone(),
            address: address.into(),
            options: UnixConnectOptions::default(),
        }
    }

    /// How long an attempt may take (`None`: as long as the OS lets it).
    pub fn timeout(mut self, timeout: Option<Duration>) -> UnixClientEndpoint {
        self.options.timeout = timeout;
        self
    }

    /// Connect only if a live listener holds the socket's lock file
    /// ([`UnixConnectOptions::check_pid`]).
    pub fn check_pid(mut self, check_pid: bool) -> UnixClientEndpoint {
        self.options.check_pid = check_pid;
        self
    }

    /// Connects; the Deferred fires with the protocol once `connection_made` ran, or with
    /// why the attempt failed. Cancelling it abandons the attempt.
    #[track_caller]
    pub fn connect<F: Factory>(&self, factory: F) -> Deferred<ProtocolHandle<F::Protocol>> {
        self.connect_hooked(Rc::new(RefCell::new(factory)), Hooks::default())
    }

    #[track_caller]
    pub(crate) fn connect_hooked<F: Factory>(
        &self,
        factory: Rc<RefCell<F>>,
        hooks: Hooks,
    ) -> Deferred<ProtocolHandle<F::Protocol>> {
        let connector: Rc<RefCell<Option<Connector>>> = Rc::default();
        let stop = connector.clone();
        let ready = Deferred::with_canceller(move |_| {
            if let Some(connector) = stop.borrow_mut().take() {
                connector.stop_connecting();
            }
        });
        let announcer = Announcer::new(factory, ready.clone(), hooks);
        let started =
            self.reactor
                .connect_unix_with(self.address.clone(), announcer, self.options.clone());
        *connector.borrow_mut() = Some(started);
        ready.add_both(move |outcome| {
            connector.borrow_mut().take();
            outcome
        })
    }
}
