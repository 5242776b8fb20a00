//! TLS on rustls (Twisted's `twisted.internet.ssl`): [`ServerOptions`] and
//! [`ClientOptions`] (verified by default), `listen_tls` / `connect_tls` on the reactor,
//! [`Transport::start_tls`](crate::Transport::start_tls) on a live connection, and
//! [`TlsProtocol`] for TLS over any transport.
//!
//! A protocol under TLS sees the same [`Transport`](crate::Transport) as over TCP: it
//! writes plaintext, producers and backpressure work on the encrypted bytes (a peer that
//! does not read pushes back), and its callbacks keep their meaning:
//!
//! - writes made before the handshake ends are held and sent once it does;
//! - `lose_connection` sends the pending data, then `close_notify`, then closes:
//!   `connection_lost` gets [`ConnectionDone`](crate::error::ConnectionDone);
//! - `lose_write_connection` sends `close_notify` and keeps reading (a TLS half-close);
//! - the peer's `close_notify` is its EOF: `read_connection_lost`, as over TCP;
//! - the peer closing without `close_notify` gives [`TlsTruncated`], an abort
//!   [`ConnectionAborted`](crate::error::ConnectionAborted), a failed handshake a
//!   [`TlsError`] that says why (logged once with the peer's address), and a handshake
//!   past its deadline [`TlsHandshakeTimeout`].
//!
//! Only TLS 1.2 and 1.3 are spoken, with rustls's ring provider.
//!
//! # Examples
//!
//! A TLS echo server and a client that trusts its certificate:
//!
//! ```no_run
//! use torsion::tls::{options_for_client_tls, ServerOptions};
//! use torsion::{Address, ClientFactory, Cx, Protocol, Reactor};
//!
//! struct Echo;
//! impl Protocol for Echo {
//!     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
//!         cx.transport().write(data);
//!     }
//! }
//!
//! struct Hello;
//! impl Protocol for Hello {
//!     fn connection_made(&mut self, cx: &mut Cx<Self>) {
//!         cx.transport().write(b"hello");
//!     }
//! }
//!
//! struct HelloFactory;
//! impl ClientFactory for HelloFactory {
//!     type Protocol = Hello;
//!     fn build_protocol(&mut self, _addr: Address) -> Option<Hello> {
//!         Some(Hello)
//!     }
//! }
//!
//! let reactor = Reactor::new()?;
//! let server = ServerOptions::from_pem_files("cert.pem", "key.pem")?;
//! reactor.listen_tls(8443, |_peer| Some(Echo), server)?;
//!
//! let client = options_for_client_tls("localhost")?.with_trust_root_file("cert.pem")?;
//! reactor.connect_tls("localhost", 8443, HelloFactory, client);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client_options;
mod errors;
mod factory;
mod memory;
#[cfg(test)]
mod memory_tests;
mod no_verify;
mod pem;
mod protocol;
mod provider;
mod reactor;
mod roots;
mod server_options;
pub(crate) mod session;

use std::time::Duration;

pub use client_options::{options_for_client_tls, ClientOptions};
pub use errors::{TlsConfigError, TlsError, TlsErrorKind, TlsHandshakeTimeout, TlsTruncated};
pub use factory::{TlsClientFactory, TlsFactory};
pub use protocol::TlsProtocol;
pub use server_options::ServerOptions;

/// How long a handshake may take unless the options say otherwise.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which side of TLS to speak, with its options: what
/// [`Transport::start_tls`](crate::Transport::start_tls) takes.
#[derive(Clone, Debug)]
pub enum TlsOptions {
    /// Answer a client's hello with these options.
    Server(ServerOptions),
    /// Send a hello and verify the server with these options.
    Client(ClientOptions),
}

impl TlsOptions {
    /// The handshake's deadline.
    pub fn handshake_timeout(&self) -> Duration {
        match self {
            TlsOptions::Server(o) => o.get_handshake_timeout(),
            TlsOptions::Client(o) => o.get_handshake_timeout(),
        }
    }
}

impl From<ServerOptions> for TlsOptions {
    fn from(options: ServerOptions) -> TlsOptions {
        TlsOptions::Server(options)
    }
}

impl From<ClientOptions> for TlsOptions {
    fn from(options: ClientOptions) -> TlsOptions {
        TlsOptions::Client(options)
    }
}
