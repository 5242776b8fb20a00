//! [`TlsFactory`] and [`TlsClientFactory`]: wrap every protocol another factory builds in
//! a [`TlsProtocol`] (Twisted's `TLSMemoryBIOFactory`), for TLS over any listener or
//! connector: `listen_unix`, an endpoint, a reconnecting client.

use std::fmt;

use super::{ClientOptions, ServerOptions, TlsOptions, TlsProtocol};
use crate::{Address, ClientFactory, Connector, Factory, Failure};

/// A server factory whose connections speak TLS with `options`.
///
/// # Examples
///
/// TLS over a UNIX socket:
///
/// ```no_run
/// use torsion::tls::{ServerOptions, TlsFactory};
/// use torsion::{Cx, Protocol, Reactor};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"hello over TLS\n");
///         cx.transport().lose_connection();
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// let options = ServerOptions::from_pem_files("cert.pem", "key.pem")?;
/// reactor.listen_unix("/tmp/hello.sock", TlsFactory::new(|_peer| Some(Hello), options))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TlsFactory<F: Factory> {
    factory: F,
    options: ServerOptions,
}

impl<F: Factory> TlsFactory<F> {
    /// Wraps `factory`: each protocol it builds runs under TLS with `options`.
    pub fn new(factory: F, options: ServerOptions) -> TlsFactory<F> {
        TlsFactory { factory, options }
    }

    /// The wrapped factory.
    pub fn wrapped(&self) -> &F {
        &self.factory
    }
}

impl<F: Factory> Factory for TlsFactory<F> {
    type Protocol = TlsProtocol<F::Protocol>;

    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol> {
        let protocol = self.factory.build_protocol(addr)?;
        Some(TlsProtocol::new(
            protocol,
            TlsOptions::Server(self.options.clone()),
        ))
    }

    fn do_start(&mut self) {
        self.factory.do_start();
    }

    fn do_stop(&mut self) {
        self.factory.do_stop();
    }
}

impl<F: Factory> fmt::Debug for TlsFactory<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsFactory")
            .field("factory", &std::any::type_name::<F>())
            .field("options", &self.options)
            .finish()
    }
}

/// A client factory whose connections speak TLS with `options`; everything else it is
/// told (connecting, failed, lost) reaches the wrapped factory unchanged.
pub struct TlsClientFactory<F: ClientFactory> {
    factory: F,
    options: ClientOptions,
}

impl<F: ClientFactory> TlsClientFactory<F> {
    /// Wraps `factory`: each protocol it builds runs under TLS with `options`.
    pub fn new(factory: F, options: ClientOptions) -> TlsClientFactory<F> {
        TlsClientFactory { factory, options }
    }

    /// The wrapped factory.
    pub fn wrapped(&self) -> &F {
        &self.factory
    }
}

impl<F: ClientFactory> ClientFactory for TlsClientFactory<F> {
    type Protocol = TlsProtocol<F::Protocol>;

    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol> {
        let protocol = self.factory.build_protocol(addr)?;
        Some(TlsProtocol::new(
            protocol,
            TlsOptions::Client(self.options.clone()),
        ))
    }

    fn do_start(&mut self) {
        self.factory.do_start();
    }

    fn do_stop(&mut self) {
        self.factory.do_stop();
    }

    fn started_connecting(&mut self, connector: &Connector) {
        self.factory.started_connecting(connector);
    }

    fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
        self.factory.client_connection_failed(connector, reason);
    }

    fn client_connection_lost(&mut self, connector: &Connector, reason: &Failure) {
        self.factory.client_connection_lost(connector, reason);
    }
}

impl<F: ClientFactory> fmt::Debug for TlsClientFactory<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientFactory")
            .field("factory", &std::any::type_name::<F>())
            .field("options", &self.options)
            .finish()
    }
}
