//! [`ServerSpec`] and [`ClientSpec`]: what a description names, before a reactor makes
//! it an endpoint; the default registries that read them.

use super::{
    DefaultParsers, DescriptionError, Registry, TcpClientSpec, TcpServerSpec, TlsClientSpec,
    TlsServerSpec, UnixClientSpec, UnixServerSpec,
};

/// A server endpoint, as a description names it: what the default server registry
/// builds. More types may come, hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerSpec {
    /// A TCP server: from `tcp:` or `tcp6:` (which differ only in their defaults).
    Tcp(TcpServerSpec),
    /// A UNIX stream server: from `unix:`.
    Unix(UnixServerSpec),
    /// A TLS server over TCP: from `ssl:`.
    Tls(TlsServerSpec),
}

/// A client endpoint, as a description names it: what the default client registry builds.
/// More types are to come, hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientSpec {
    /// A TCP client: from `tcp:`.
    Tcp(TcpClientSpec),
    /// A UNIX stream client: from `unix:`.
    Unix(UnixClientSpec),
    /// A TLS client: from `tls:` (over a host name's addresses or another endpoint) or
    /// `ssl:` (Twisted's `connectSSL` form).
    Tls(TlsClientSpec),
}

impl DefaultParsers for ServerSpec {
    fn register_defaults(registry: &mut Registry<ServerSpec>) {
        registry.register("tcp", |d| TcpServerSpec::parse_tcp(d).map(ServerSpec::Tcp));
        registry.register("tcp6", |d| {
            TcpServerSpec::parse_tcp6(d).map(ServerSpec::Tcp)
        });
        registry.register("unix", |d| {
            UnixServerSpec::parse_unix(d).map(ServerSpec::Unix)
        });
        registry.register("ssl", |d| TlsServerSpec::parse_ssl(d).map(ServerSpec::Tls));
    }
}

impl DefaultParsers for ClientSpec {
    fn register_defaults(registry: &mut Registry<ClientSpec>) {
        registry.register("tcp", |d| TcpClientSpec::parse_tcp(d).map(ClientSpec::Tcp));
        registry.register("unix", |d| {
            UnixClientSpec::parse_unix(d).map(ClientSpec::Unix)
        });
        registry.register("tls", |d| TlsClientSpec::parse_tls(d).map(ClientSpec::Tls));
        registry.register("ssl", |d| TlsClientSpec::parse_ssl(d).map(ClientSpec::Tls));
    }
}

/// Parses a server endpoint description with the default server registry (`tcp`, `tcp6`, `unix`, `ssl`).
///
/// # Errors
///
/// Fails as [`Registry::parse`] does, naming the bad part.
pub fn server_spec_from_string(description: &str) -> Result<ServerSpec, DescriptionError> {
    Registry::<ServerSpec>::with_defaults().parse(description)
}

/// Parses a client endpoint description with the default client registry (`tcp`, `unix`, `tls`, `ssl`).
///
/// # Errors
///
/// Fails as [`Registry::parse`] does, naming the bad part.
pub fn client_spec_from_string(description: &str) -> Result<ClientSpec, DescriptionError> {
    Registry::<ClientSpec>::with_defaults().parse(description)
}
