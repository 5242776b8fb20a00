//! Endpoints: where to listen and where to connect, as values (Twisted's
//! `twisted.internet.endpoints`), and the one line of text that names one.
//!
//! An endpoint says *where*; [`ServerEndpoint::listen`] and [`ClientEndpoint::connect`] say
//! *what runs there*, and give a [`Deferred`](crate::defer::Deferred) of the result.
//! [`server_from_string`] and [`client_from_string`] build one from a description, as
//! Twisted's `serverFromString` and `clientFromString` do:
//!
//! ```
//! use torsion::endpoints::server_from_string;
//! use torsion::{Protocol, Reactor};
//!
//! struct Quiet;
//! impl Protocol for Quiet {}
//!
//! let reactor = Reactor::new()?;
//! let endpoint = server_from_string(&reactor, "tcp:0:interface=127.0.0.1")?;
//! let port = endpoint.listen(|_peer| Some(Quiet)).take_result().unwrap()?;
//! assert_eq!(port.get_host().ip().unwrap().to_string(), "127.0.0.1");
//! # Ok::<(), torsion::Failure>(())
//! ```
//!
//! # Syntax
//!
//! A description is parts separated by `:`. The first part names the endpoint type
//! (`tcp`, `tcp6`, ...); each later part is a keyword argument `key=value`, split at its
//! first `=`, or else a positional argument:
//!
//! ```text
//! tcp:8000:interface=127.0.0.1      type "tcp", positional "8000", keyword interface
//! tcp:host=example.org:port=80      type "tcp", keywords host and port
//! unix:/var/run/app\:1.sock         type "unix", positional "/var/run/app:1.sock"
//! ```
//!
//! A backslash makes the next character literal: `\:` is a colon, `\=` an equals sign,
//! `\\` a backslash (and, as in Twisted, `\x` is `x` for any other character). A value
//! after `=` may hold more `=` unescaped; positional text needs `\=`. [`quote_argument`]
//! escapes a string for either place. An IPv6 address in a value needs its colons
//! escaped: `tcp6:80:interface=\:\:1`.
//!
//! Where torsion is stricter than Twisted, it is so to report mistakes Twisted reports
//! late or not at all: the type must come first (Twisted takes the first positional part,
//! wherever it is); a keyword may be given once (Twisted keeps the last); a keyword name
//! may not be empty; an argument given both by position and by keyword, a keyword the
//! type does not take, or an extra positional argument is an error naming it. An empty
//! description, or a type that is not registered, is an error too. A bare port
//! (`"8080"`), which old Twisted read as TCP with a deprecation warning and Twisted today
//! rejects, is rejected with a hint: `did you mean "tcp:8080"?`.
//!
//! # Types
//!
//! [`Description::parse`] checks the syntax; a [`Registry`] maps type names to parsers
//! that turn a [`Description`] into a value, reading its arguments through [`Arguments`].
//! The default registries build plain specs: [`ServerSpec`] (`tcp`, `tcp6`, `unix`, and
//! `ssl` for TLS over TCP) and [`ClientSpec`] (`tcp`, `unix`, and `tls` and `ssl` for TLS
//! over a host name's addresses or another endpoint). [`server_from_string`] and
//! [`client_from_string`] make endpoints of them, reading the PEM files a TLS spec names:
//!
//! ```text
//! ssl:8443:privateKey=key.pem:certKey=cert.pem      TLS server (Twisted's SSL4ServerEndpoint)
//! tls:example.org:443                               TLS client, verified by the system's CAs
//! tls:localhost:8443:trustRoots=/etc/my-ca          ... by the CAs in that directory instead
//! tls:example.org:endpoint=unix\:/run/tls.sock      ... over another endpoint
//! ssl:127.0.0.1:8443:hostname=localhost             TLS client, Twisted's connectSSL form
//! ```
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use torsion::endpoints::{client_spec_from_string, server_spec_from_string};
//! use torsion::endpoints::{ClientSpec, ServerSpec};
//!
//! let ServerSpec::Tcp(server) = server_spec_from_string("tcp:8000:interface=127.0.0.1")?
//! else {
//!     unreachable!()
//! };
//! assert_eq!((server.port(), server.interface()), (8000, "127.0.0.1"));
//!
//! let ClientSpec::Tcp(client) = client_spec_from_string("tcp:example.org:80:timeout=10")?
//! else {
//!     unreachable!()
//! };
//! assert_eq!((client.host(), client.port()), ("example.org", 80));
//! assert_eq!(client.timeout(), Some(Duration::from_secs(10)));
//!
//! let err = server_spec_from_string("tpc:80").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     r#"unknown endpoint type "tpc" in "tpc:80" (known: tcp, tcp6, unix, ssl)"#
//! );
//! # Ok::<(), torsion::endpoints::DescriptionError>(())
//! ```

mod announce;
mod arguments;
mod connect;
mod description;
mod from_string;
mod hostname;
mod registry;
mod server_port;
mod spec;
mod tcp;
mod tcp_spec;
#[cfg(test)]
mod tests;
mod tls;
mod tls_files;
mod tls_spec;
mod unix;
mod unix_spec;

pub use arguments::Arguments;
pub use connect::{connect_protocol, ClientEndpoint, ServerEndpoint};
pub use description::{quote_argument, Description, DescriptionError};
pub use from_string::{client_from_string, server_from_string, unix_server_from_string};
pub use hostname::{HostnameEndpoint, Resolver};
pub use registry::{DefaultParsers, Parser, Registry};
pub use server_port::ServerPort;
pub use spec::{client_spec_from_string, server_spec_from_string, ClientSpec, ServerSpec};
pub use tcp::{TcpClientEndpoint, TcpServerEndpoint};
pub use tcp_spec::{TcpClientSpec, TcpServerSpec};
pub use tls::{wrap_client_tls, TlsClientEndpoint, TlsServerEndpoint};
pub use tls_spec::{TlsClientSpec, TlsServerSpec};
pub use unix::{UnixClientEndpoint, UnixServerEndpoint};
pub use unix_spec::{UnixClientSpec, UnixServerSpec};
