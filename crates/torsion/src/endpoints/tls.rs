//! TLS endpoints: [`TlsServerEndpoint`] (Twisted's `SSL4ServerEndpoint`) and
//! [`TlsClientEndpoint`], made by [`wrap_client_tls`] (Twisted's `wrapClientTLS`).

use std::cell::RefCell;
use std::rc::Rc;

use super::announce::{Announced, Hooks, OnLost};
use super::{ClientEndpoint, TcpServerEndpoint};
use crate::defer::Deferred;
use crate::tls::{
    ClientOptions, ServerOptions, TlsConfigError, TlsFactory, TlsOptions, TlsProtocol,
};
use crate::{Address, Factory, Failure, ProtocolHandle, Reactor, ReactorTcp};

/// Listens on a TCP port and speaks TLS on every connection (Twisted's
/// `SSL4ServerEndpoint`): the factory's protocols run under
/// [`TlsProtocol`], as with [`Reactor::listen_tls`].
///
/// Each protocol gets `connection_made` as soon as TCP accepts; what it writes waits for
/// the handshake, and a failed handshake reaches its `connection_lost` as a
/// [`TlsError`](crate::tls::TlsError) (see the [`tls`](crate::tls) module for the close
/// semantics).
///
/// # Examples
///
/// ```no_run
/// use torsion::endpoints::{TcpServerEndpoint, TlsServerEndpoint};
/// use torsion::tls::ServerOptions;
/// use torsion::{Cx, Protocol, Reactor};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let options = ServerOptions::from_pem_files("cert.pem", "key.pem")?;
/// let tcp = TcpServerEndpoint::new(&reactor, 8443).interface("127.0.0.1");
/// let port = TlsServerEndpoint::new(tcp, options)
///     .listen(|_peer| Some(Echo))
///     .take_result()
///     .expect("listens inside the call")?;
/// println!("TLS on {}", port.get_host());
/// reactor.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TlsServerEndpoint<R = Reactor> {
    tcp: TcpServerEndpoint<R>,
    options: ServerOptions,
}

impl<R: ReactorTcp + Clone> TlsServerEndpoint<R> {
    /// Listens where `tcp` says, speaking TLS with `options`.
    pub fn new(tcp: TcpServerEndpoint<R>, options: ServerOptions) -> TlsServerEndpoint<R> {
        TlsServerEndpoint { tcp, options }
    }

    /// The TLS options every connection gets.
    pub fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// Listens with `factory`, each of its protocols under TLS; the Deferred has fired when
    /// this returns, as [`TcpServerEndpoint::listen`]'s has: with the TCP port, or why it
    /// could not listen.
    #[track_caller]
    pub fn listen<F: Factory>(&self, factory: F) -> Deferred<R::Port>
    where
        R::Port: 'static,
    {
        self.tcp
            .listen(TlsFactory::new(factory, self.options.clone()))
    }
}

/// A client endpoint that speaks TLS over the connection another endpoint makes (Twisted's
/// `wrapClientTLS`): TCP, a host name's addresses, a UNIX socket, or another wrapper.
///
/// The server is verified as `options` say: by default its certificate must be valid for
/// `options`' host name and signed by a trusted authority. The wrapped endpoint may not be
/// a `TlsClientEndpoint` itself: connecting one fails with a
/// [`TlsConfigError`](crate::tls::TlsConfigError).
#[derive(Debug, Clone)]
pub struct TlsClientEndpoint {
    inner: Box<ClientEndpoint>,
    options: ClientOptions,
}

/// Wraps `endpoint` so that its connections speak TLS with `options` (Twisted's
/// `wrapClientTLS`).
///
/// As in Twisted, the Deferred of [`connect`](TlsClientEndpoint::connect) fires once the
/// connection below is made and the protocol has had `connection_made`, **before** the
/// handshake: what the protocol writes is held until the handshake ends, and a handshake
/// that fails (a certificate that does not verify, a name mismatch) reaches the protocol's
/// `connection_lost` as a [`TlsError`](crate::tls::TlsError) saying why.
///
/// # Examples
///
/// ```no_run
/// use torsion::endpoints::{wrap_client_tls, HostnameEndpoint};
/// use torsion::tls::options_for_client_tls;
/// use torsion::{Cx, Failure, Protocol, Reactor};
///
/// struct Get;
/// impl Protocol for Get {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"GET / HTTP/1.0\r\nHost: example.org\r\n\r\n");
///     }
///     fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
///         print!("{}", String::from_utf8_lossy(data));
///     }
///     fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
///         // A certificate that does not verify ends here, as a `TlsError`.
///         eprintln!("closed: {reason}");
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let endpoint = wrap_client_tls(
///     options_for_client_tls("example.org")?,
///     HostnameEndpoint::new(&reactor, "example.org", 443),
/// );
/// endpoint.connect(|_peer| Some(Get));
/// reactor.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wrap_client_tls(
    options: ClientOptions,
    endpoint: impl Into<ClientEndpoint>,
) -> TlsClientEndpoint {
    TlsClientEndpoint {
        inner: Box::new(endpoint.into()),
        options,
    }
}

impl TlsClientEndpoint {
    /// The TLS options every connection gets.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The endpoint connected through.
    pub fn wrapped(&self) -> &ClientEndpoint {
        &self.inner
    }

    /// Connects through the wrapped endpoint and starts TLS; the Deferred fires from the
    /// loop with a handle to the protocol `factory` built once it has had
    /// `connection_made` (before the handshake, see [`wrap_client_tls`]), or fails as the
    /// wrapped endpoint's does ([`ConnectionRefused`](crate::error::ConnectionRefused),
    /// [`NoProtocol`](crate::error::NoProtocol), ...), or with why the connection was lost
    /// if TLS could not start on it. Cancelling it stops the attempt below.
    #[track_caller]
    pub fn connect<F: Factory>(&self, factory: F) -> Deferred<ProtocolHandle<F::Protocol>> {
        self.connect_hooked(Rc::new(RefCell::new(factory)), None)
    }

    /// Connects with a factory kept by the caller; `on_lost` hears when the connection
    /// that was made is lost.
    #[track_caller]
    pub(crate) fn connect_hooked<F: Factory>(
        &self,
        factory: Rc<RefCell<F>>,
        on_lost: Option<OnLost>,
    ) -> Deferred<ProtocolHandle<F::Protocol>> {
        let attempt: Rc<RefCell<Option<Deferred<()>>>> = Rc::default();
        let stop = attempt.clone();
        let ready = Deferred::with_canceller(move |_| {
            let attempt = stop.borrow_mut().take();
            if let Some(attempt) = attempt {
                attempt.cancel();
            }
        });
        let wrapper = TlsAnnouncer {
            factory,
            options: self.options.clone(),
            ready: ready.clone(),
        };
        // A connection lost before the protocol was announced (TLS could not start on it)
        // fails the Deferred with the reason; afterwards, the errback is a no-op.
        let unannounced = ready.clone();
        let lost: OnLost = Rc::new(move |reason: &Failure| {
            let _ = unannounced.errback(reason.clone());
            if let Some(on_lost) = &on_lost {
                on_lost(reason);
            }
        });
        let failed = ready.clone();
        let below = self
            .connect_below(Rc::new(RefCell::new(wrapper)), lost)
            .add_both(move |outcome| {
                if let Err(failure) = outcome {
                    let _ = failed.errback(failure);
                }
                Ok::<(), Failure>(())
            });
        *attempt.borrow_mut() = Some(below);
        // Once settled, the Deferred lets go of the attempt below (and its factory).
        ready.add_both(move |outcome| {
            attempt.borrow_mut().take();
            outcome
        })
    }
}

impl TlsClientEndpoint {
    /// Connects the wrapped endpoint. TLS inside TLS is refused: it would also make the
    /// compiler build this function for ever deeper factory types.
    #[track_caller]
    fn connect_below<F: Factory>(
        &self,
        factory: Rc<RefCell<F>>,
        on_lost: OnLost,
    ) -> Deferred<ProtocolHandle<F::Protocol>> {
        let hooks = Hooks {
            on_lost: Some(on_lost.clone()),
            ..Hooks::default()
        };
        match &*self.inner {
            ClientEndpoint::Tcp(tcp) => tcp.connect_hooked(factory, hooks),
            ClientEndpoint::Hostname(hostname) => hostname.connect_hooked(factory, Some(on_lost)),
            ClientEndpoint::Unix(unix) => unix.connect_hooked(factory, hooks),
            ClientEndpoint::Tls(_) => Deferred::fail(Failure::new(TlsConfigError::new(
                "TLS inside TLS is not supported: wrap a TCP, host name or UNIX endpoint",
            ))),
        }
    }
}

/// The factory a [`TlsClientEndpoint`] connects with: the user's protocol under TLS,
/// announced to the endpoint's Deferred once it is connected.
struct TlsAnnouncer<F: Factory> {
    factory: Rc<RefCell<F>>,
    options: ClientOptions,
    ready: Deferred<ProtocolHandle<F::Protocol>>,
}

impl<F: Factory> Factory for TlsAnnouncer<F> {
    type Protocol = TlsProtocol<Announced<F::Protocol>>;

    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol> {
        let protocol = self.factory.borrow_mut().build_protocol(addr)?;
        Some(TlsProtocol::new(
            Announced::new(protocol, self.ready.clone()),
            TlsOptions::Client(self.options.clone()),
        ))
    }
}
