//! Endpoint descriptions: one line of text that says where to listen or connect, as
//! Twisted's `serverFromString` and `clientFromString` read them.
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
//! The default registries hold the TCP types and build plain specs: [`ServerSpec`]
//! (`tcp`, `tcp6`) and [`ClientSpec`] (`tcp`).
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
//!     r#"unknown endpoint type "tpc" in "tpc:80" (known: tcp, tcp6)"#
//! );
//! # Ok::<(), torsion::endpoints::DescriptionError>(())
//! ```

mod arguments;
mod description;
mod registry;
mod tcp_spec;
#[cfg(test)]
mod tests;

pub use arguments::Arguments;
pub use description::{quote_argument, Description, DescriptionError};
pub use registry::{DefaultParsers, Parser, Registry};
pub use tcp_spec::{TcpClientSpec, TcpServerSpec};

/// A server endpoint, as a description names it: what the default server registry
/// builds. More types (`unix`, `tls`) are to come, hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerSpec {
    /// A TCP server: from `tcp:` or `tcp6:` (which differ only in their defaults).
    Tcp(TcpServerSpec),
}

/// A client endpoint, as a description names it: what the default client registry builds.
/// More types are to come, hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientSpec {
    /// A TCP client: from `tcp:`.
    Tcp(TcpClientSpec),
}

impl DefaultParsers for ServerSpec {
    fn register_defaults(registry: &mut Registry<ServerSpec>) {
        registry.register("tcp", |d| TcpServerSpec::parse_tcp(d).map(ServerSpec::Tcp));
        registry.register("tcp6", |d| {
            TcpServerSpec::parse_tcp6(d).map(ServerSpec::Tcp)
        });
    }
}

impl DefaultParsers for ClientSpec {
    fn register_defaults(registry: &mut Registry<ClientSpec>) {
        registry.register("tcp", |d| TcpClientSpec::parse_tcp(d).map(ClientSpec::Tcp));
    }
}

/// Parses a server endpoint description with the default server registry (`tcp`, `tcp6`).
///
/// # Errors
///
/// Fails as [`Registry::parse`] does, naming the bad part.
pub fn server_spec_from_string(description: &str) -> Result<ServerSpec, DescriptionError> {
    Registry::<ServerSpec>::with_defaults().parse(description)
}

/// Parses a client endpoint description with the default client registry (`tcp`).
///
/// # Errors
///
/// Fails as [`Registry::parse`] does, naming the bad part.
pub fn client_spec_from_string(description: &str) -> Result<ClientSpec, DescriptionError> {
    Registry::<ClientSpec>::with_defaults().parse(description)
}
