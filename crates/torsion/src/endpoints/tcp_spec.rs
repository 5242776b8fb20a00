//! The TCP endpoint types: [`TcpServerSpec`] (`tcp:` and `tcp6:` servers) and
//! [`TcpClientSpec`] (`tcp:` clients), plain data built from descriptions.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{Arguments, Description, DescriptionError};
use crate::{ConnectOptions, Destination, ListenOptions};

/// Where and how a TCP server listens, as a `tcp:` or `tcp6:` description says.
///
/// `tcp:PORT[:INTERFACE[:BACKLOG]]`, with `interface` (default `""`: every IPv4 interface)
/// and `backlog` (default 50) also as keywords, as Twisted's `tcp` server. `tcp6:` is the
/// same with `interface` defaulting to `"::"`, and, as Twisted's `tcp6` parser has it,
/// positions `PORT[:BACKLOG[:INTERFACE]]`. An IPv6 interface needs its colons escaped:
/// `tcp6:80:interface=\:\:1`.
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{server_spec_from_string, ServerSpec};
///
/// let ServerSpec::Tcp(spec) = server_spec_from_string("tcp:8000:interface=127.0.0.1")? else {
///     unreachable!()
/// };
/// assert_eq!((spec.port(), spec.interface(), spec.backlog()), (8000, "127.0.0.1", 50));
/// assert_eq!(spec.listen_options().interface, "127.0.0.1");
///
/// let ServerSpec::Tcp(spec) = server_spec_from_string("tcp6:8000")? else { unreachable!() };
/// assert_eq!(spec.interface(), "::");
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpServerSpec {
    port: u16,
    interface: String,
    backlog: i32,
}

impl TcpServerSpec {
    /// Builds a spec from a `tcp:` description (the type name itself is not checked).
    ///
    /// # Errors
    ///
    /// Fails when the port is missing or not a port number, the interface is not an IP
    /// address, the backlog is not an `i32`, or any other argument is given.
    pub fn parse_tcp(description: &Description) -> Result<TcpServerSpec, DescriptionError> {
        let mut args = description.arguments();
        let port = args.port(0)?;
        let interface = interface(&mut args, 1, "")?;
        let backlog = args.i32("backlog", Some(2))?.unwrap_or(DEFAULT_BACKLOG);
        args.finish()?;
        Ok(TcpServerSpec {
            port,
            interface,
            backlog,
        })
    }

    /// Builds a spec from a `tcp6:` description: as [`parse_tcp`](Self::parse_tcp), with
    /// interface `"::"` by default and the backlog before the interface by position.
    ///
    /// # Errors
    ///
    /// As [`parse_tcp`](Self::parse_tcp).
    pub fn parse_tcp6(description: &Description) -> Result<TcpServerSpec, DescriptionError> {
        let mut args = description.arguments();
        let port = args.port(0)?;
        let backlog = args.i32("backlog", Some(1))?.unwrap_or(DEFAULT_BACKLOG);
        let interface = interface(&mut args, 2, "::")?;
        args.finish()?;
        Ok(TcpServerSpec {
            port,
            interface,
            backlog,
        })
    }

    /// The port to listen on (0: any free port).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The interface to bind: an IP address, or `""` for every IPv4 interface.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The `listen` backlog.
    pub fn backlog(&self) -> i32 {
        self.backlog
    }

    /// The [`ListenOptions`] that listen as this spec says (without `SO_REUSEPORT`).
    pub fn listen_options(&self) -> ListenOptions {
        ListenOptions {
            interface: self.interface.clone(),
            backlog: self.backlog,
            ..ListenOptions::default()
        }
    }
}

/// Twisted's default `listen` backlog.
pub(super) const DEFAULT_BACKLOG: i32 = 50;

fn interface(
    args: &mut Arguments<'_>,
    index: usize,
    default: &str,
) -> Result<String, DescriptionError> {
    match args.take_positional_or_kw("interface", index)? {
        None => Ok(default.to_string()),
        Some(text) if text.is_empty() || text.parse::<IpAddr>().is_ok() => Ok(text.to_string()),
        Some(text) => Err(args.invalid("interface", text, "is not an IP address")),
    }
}

/// Where and how a TCP client connects, as a `tcp:` client description says.
///
/// `tcp:host=HOST:port=PORT[:timeout=SECONDS][:bindAddress=IP]`, or with host and port
/// by position (`tcp:HOST:PORT`); with `host=` given, a lone positional argument is the
/// port, as Twisted's `clientFromString` has it. `timeout` is in seconds, fractions
/// allowed (default 30); `bindAddress` is an IP address (port 0) or a socket address, with
/// its colons escaped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::endpoints::{client_spec_from_string, ClientSpec};
///
/// let ClientSpec::Tcp(spec) =
///     client_spec_from_string("tcp:host=example.org:port=80:timeout=2.5")?
/// else {
///     unreachable!()
/// };
/// assert_eq!((spec.host(), spec.port()), ("example.org", 80));
/// assert_eq!(spec.timeout(), Some(Duration::from_millis(2500)));
/// assert_eq!(spec.destination().to_string(), "example.org:80");
///
/// let ClientSpec::Tcp(spec) = client_spec_from_string("tcp:10.0.0.1:7:bindAddress=10.0.0.2")?
/// else {
///     unreachable!()
/// };
/// assert_eq!(spec.bind_address(), Some("10.0.0.2:0".parse().unwrap()));
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpClientSpec {
    host: String,
    port: u16,
    timeout: Option<Duration>,
    bind_address: Option<SocketAddr>,
}

impl TcpClientSpec {
    /// Builds a spec from a `tcp:` client description (the type name itself is not
    /// checked).
    ///
    /// # Errors
    ///
    /// Fails when the host or port is missing or empty, the port is not a port number, the
    /// timeout not a number of seconds, the bind address not an address, or any other
    /// argument is given.
    pub fn parse_tcp(description: &Description) -> Result<TcpClientSpec, DescriptionError> {
        let mut args = description.arguments();
        let (host, port_index) = take_host(description, &mut args)?;
        let port = args.port(port_index)?;
        let timeout = args.seconds("timeout", None)?.unwrap_or(DEFAULT_TIMEOUT);
        let bind_address = take_bind_address(&mut args)?;
        args.finish()?;
        Ok(TcpClientSpec {
            host: host.to_string(),
            port,
            timeout: Some(timeout),
            bind_address,
        })
    }

    /// The host name or IP address to connect to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How long to wait for the connection. Always `Some` when parsed (30 s unless
    /// `timeout=` says otherwise); an `Option` as [`ConnectOptions::timeout`] is.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The local address to bind before connecting, if any.
    pub fn bind_address(&self) -> Option<SocketAddr> {
        self.bind_address
    }

    /// Where to connect: host and port.
    pub fn destination(&self) -> Destination {
        Destination {
            host: self.host.clone(),
            port: self.port,
        }
    }

    /// The [`ConnectOptions`] that connect as this spec says.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            timeout: self.timeout,
            bind_address: self.bind_address,
        }
    }
}

/// Twisted's default connection timeout.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Takes a client's non-empty `host` (first positional, or `host=`); returns it with the
/// position the port then has.
pub(super) fn take_host<'a>(
    description: &Description,
    args: &mut Arguments<'a>,
) -> Result<(&'a str, usize), DescriptionError> {
    let (host_index, port_index) = match description.kwarg("host") {
        Some(_) => (None, 0),
        None => (Some(0), 1),
    };
    let host = args.required("host", host_index)?;
    if host.is_empty() {
        return Err(args.invalid("host", host, "is empty"));
    }
    Ok((host, port_index))
}

/// Takes `bindAddress=` (an IP, or an IP and port), if given.
pub(super) fn take_bind_address(
    args: &mut Arguments<'_>,
) -> Result<Option<SocketAddr>, DescriptionError> {
    let Some(text) = args.take_kw("bindAddress") else {
        return Ok(None);
    };
    let parsed = match text.parse::<IpAddr>() {
        Ok(ip) => Some(SocketAddr::new(ip, 0)),
        Err(_) => text.parse().ok(),
    };
    match parsed {
        Some(addr) => Ok(Some(addr)),
        None => Err(args.invalid("bindAddress", text, "is not an IP or socket address")),
    }
}
