//! `listen_tls` and `connect_tls` on the reactor (Twisted's `listenSSL`, `connectSSL`).

use super::{ClientOptions, ServerOptions, TlsClientFactory, TlsFactory};
use crate::{
    ClientFactory, ConnectOptions, Connector, Factory, Failure, ListenOptions, ListeningPort,
    Reactor,
};

impl Reactor {
    /// Listens on TCP `port` of every interface; each connection speaks TLS with
    /// `options` before its protocol's bytes (Twisted's `listenSSL`). The protocol gets
    /// `connection_made` at once, as over TCP; what it writes waits for the handshake.
    ///
    /// # Errors
    ///
    /// As [`listen_tcp`](Reactor::listen_tcp).
    ///
    /// # Examples
    ///
    /// ```no_run
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
    /// reactor.listen_tls(8443, |_peer| Some(Echo), options)?;
    /// reactor.run()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "listen_ssl")]
    #[doc(alias = "listenSSL")]
    pub fn listen_tls<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ServerOptions,
    ) -> Result<ListeningPort, Failure> {
        self.listen_tcp(port, TlsFactory::new(factory, options))
    }

    /// [`listen_tls`](Reactor::listen_tls) with explicit listening options.
    ///
    /// # Errors
    ///
    /// As [`listen_tcp_with`](Reactor::listen_tcp_with).
    pub fn listen_tls_with<F: Factory>(
        &self,
        port: u16,
        factory: F,
        options: ServerOptions,
        listen: ListenOptions,
    ) -> Result<ListeningPort, Failure> {
        self.listen_tcp_with(port, TlsFactory::new(factory, options), listen)
    }

    /// Connects to `host:port` over TCP and speaks TLS with `options` (Twisted's
    /// `connectSSL`): the server must prove it is `options`' host name unless
    /// verification was turned off. The protocol gets `connection_made` once TCP
    /// connects; a failed handshake reaches its `connection_lost` (and the factory's
    /// `client_connection_lost`) as a [`TlsError`](super::TlsError) that says why.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use torsion::tls::options_for_client_tls;
    /// use torsion::{Address, ClientFactory, Cx, Protocol, Reactor};
    ///
    /// struct Get;
    /// impl Protocol for Get {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         cx.transport().write(b"GET / HTTP/1.0\r\nHost: example.org\r\n\r\n");
    ///     }
    /// }
    ///
    /// struct GetFactory;
    /// impl ClientFactory for GetFactory {
    ///     type Protocol = Get;
    ///     fn build_protocol(&mut self, _addr: Address) -> Option<Get> {
    ///         Some(Get)
    ///     }
    /// }
    ///
    /// let reactor = Reactor::new()?;
    /// let options = options_for_client_tls("example.org")?;
    /// reactor.connect_tls("example.org", 443, GetFactory, options);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "connect_ssl")]
    #[doc(alias = "connectSSL")]
    pub fn connect_tls<F: ClientFactory>(
        &self,
        host: &str,
        port: u16,
        factory: F,
        options: ClientOptions,
    ) -> Connector {
        self.connect_tcp(host, port, TlsClientFactory::new(factory, options))
    }

    /// [`connect_tls`](Reactor::connect_tls) with explicit connection options.
    pub fn connect_tls_with<F: ClientFactory>(
        &self,
        host: &str,
        port: u16,
        factory: F,
        options: ClientOptions,
        connect: ConnectOptions,
    ) -> Connector {
        self.connect_tcp_with(host, port, TlsClientFactory::new(factory, options), connect)
    }
}
