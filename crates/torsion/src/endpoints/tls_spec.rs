//! The TLS endpoint types: [`TlsServerSpec`] (`ssl:` servers, Twisted's
//! `SSL4ServerEndpoint`) and [`TlsClientSpec`] (`tls:` clients, Twisted's `wrapClientTLS`
//! parser, and `ssl:` clients, Twisted's `connectSSL` form), plain data built from
//! descriptions. The files they name are read when an endpoint is built from them
//! ([`TlsServerSpec::server_options`], [`TlsClientSpec::client_options`]).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::tcp_spec::{take_bind_address, take_host, DEFAULT_BACKLOG, DEFAULT_TIMEOUT};
use super::{client_spec_from_string, Arguments, ClientSpec, Description, DescriptionError};

/// Where a TLS server listens and the files of its certificate, as an `ssl:` description
/// says (Twisted's `SSL4ServerEndpoint` from `serverFromString`).
///
/// `ssl:PORT[:PRIVATEKEY[:CERTKEY]]`, each also as a keyword (`port`, `privateKey`,
/// `certKey`), and as keywords only:
///
/// - `interface`: an IP address to listen on (default: every IPv4 interface);
/// - `backlog`: the `listen` backlog (default 50);
/// - `extraCertChain`: a PEM file of the certificates between the server's and the
///   root, sent after it;
/// - `caCertsDir`: a directory whose `*.pem` files hold certificate authorities; with it
///   a client must present a certificate signed by one of them, or is refused.
///
/// `privateKey` is the PEM file of the key; `certKey` the PEM file of the certificate (the
/// server's first, then any chain), by default the same file as `privateKey`, as in
/// Twisted. Unlike Twisted, `privateKey` has no default (Twisted reads `server.pem` from
/// the working directory), and `sslmethod` and `dhParameters` are not taken: only TLS 1.2
/// and 1.3 are spoken, with ECDHE key exchange.
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{server_spec_from_string, ServerSpec};
///
/// let ServerSpec::Tls(spec) =
///     server_spec_from_string("ssl:8443:privateKey=key.pem:interface=127.0.0.1")?
/// else {
///     unreachable!()
/// };
/// assert_eq!((spec.port(), spec.interface()), (8443, "127.0.0.1"));
/// assert_eq!(spec.private_key().to_str(), Some("key.pem"));
/// assert_eq!(spec.cert_key(), spec.private_key(), "certKey defaults to privateKey");
///
/// let err = server_spec_from_string("ssl:8443").unwrap_err();
/// assert_eq!(err.to_string(), r#"missing privateKey in "ssl:8443""#);
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsServerSpec {
    text: String,
    port: u16,
    interface: String,
    backlog: i32,
    private_key: PathBuf,
    cert_key: PathBuf,
    extra_cert_chain: Option<PathBuf>,
    ca_certs_dir: Option<PathBuf>,
}

impl TlsServerSpec {
    /// Builds a spec from an `ssl:` description (the type name itself is not checked).
    ///
    /// # Errors
    ///
    /// Fails when the port or `privateKey` is missing, the port is not a port number, the
    /// interface is not an IP address, the backlog is not an `i32`, a path is empty, or
    /// any other argument is given.
    pub fn parse_ssl(description: &Description) -> Result<TlsServerSpec, DescriptionError> {
        let mut args = description.arguments();
        let port = args.port(0)?;
        let private_key = path(&mut args, "privateKey", Some(1))?
            .ok_or_else(|| DescriptionError::new(description.text(), "missing privateKey", ""))?;
        let cert_key = path(&mut args, "certKey", Some(2))?.unwrap_or_else(|| private_key.clone());
        let interface = match args.take_kw("interface") {
            None => String::new(),
            Some(text) if text.is_empty() || text.parse::<IpAddr>().is_ok() => text.to_string(),
            Some(text) => return Err(args.invalid("interface", text, "is not an IP address")),
        };
        let backlog = args.i32("backlog", None)?.unwrap_or(DEFAULT_BACKLOG);
        let extra_cert_chain = path(&mut args, "extraCertChain", None)?;
        let ca_certs_dir = path(&mut args, "caCertsDir", None)?;
        args.finish()?;
        Ok(TlsServerSpec {
            text: description.text().to_string(),
            port,
            interface,
            backlog,
            private_key,
            cert_key,
            extra_cert_chain,
            ca_certs_dir,
        })
    }

    /// The description this spec was read from.
    pub fn text(&self) -> &str {
        &self.text
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

    /// The PEM file holding the private key.
    pub fn private_key(&self) -> &Path {
        &self.private_key
    }

    /// The PEM file holding the certificate (then any chain): `privateKey` unless
    /// `certKey` was given.
    pub fn cert_key(&self) -> &Path {
        &self.cert_key
    }

    /// The PEM file of chain certificates sent after the certificate, if any.
    pub fn extra_cert_chain(&self) -> Option<&Path> {
        self.extra_cert_chain.as_deref()
    }

    /// The directory of `*.pem` authorities a client certificate must be signed by; `None`:
    /// clients are not asked for one.
    pub fn ca_certs_dir(&self) -> Option<&Path> {
        self.ca_certs_dir.as_deref()
    }
}

/// Where a TLS client connects and how it checks the server, as a `tls:` description says
/// (Twisted's `wrapClientTLS` parser), or an `ssl:` one (Twisted's `connectSSL` form: see
/// [`parse_ssl`](TlsClientSpec::parse_ssl)).
///
/// `tls:HOST:PORT`, or `tls:host=HOST:port=PORT` (with `host=`, a lone positional argument
/// is the port), with keywords:
///
/// - `timeout`: seconds per connection attempt (default 30);
/// - `bindAddress`: a local IP or socket address to connect from (colons escaped);
/// - `trustRoots`: a directory whose `*.pem` files hold the certificate authorities
///   trusted *instead of* the system's;
/// - `certificate`: a PEM file with a client certificate to present when asked, and
///   `privateKey`: the PEM file of its key (default: the `certificate` file);
/// - `endpoint`: the description of the endpoint to connect through (`tcp:...`,
///   `unix:...`, escaped as one argument: `endpoint=tcp\:10.0.0.1\:443`); `HOST` is then
///   only the name the server must prove, and `PORT` may be left out. It may not be
///   `tls:` itself (TLS inside TLS is not supported).
///
/// The server's certificate is always verified for `HOST`. Without `endpoint=`, the
/// connection races `HOST`'s addresses ([`HostnameEndpoint`](super::HostnameEndpoint)),
/// or, with `bindAddress`, connects to the first ([`TcpClientEndpoint`](super::TcpClientEndpoint)).
/// Stricter than Twisted: `timeout` and `bindAddress` with `endpoint=` are errors (they
/// belong in the inner description; Twisted ignores them).
///
/// # Examples
///
/// ```
/// use torsion::endpoints::{client_spec_from_string, ClientSpec};
///
/// let ClientSpec::Tls(spec) = client_spec_from_string("tls:example.org:443:trustRoots=/etc/ca")?
/// else {
///     unreachable!()
/// };
/// assert_eq!((spec.host(), spec.port()), ("example.org", Some(443)));
/// assert_eq!(spec.trust_roots().and_then(|p| p.to_str()), Some("/etc/ca"));
///
/// let ClientSpec::Tls(spec) =
///     client_spec_from_string(r"tls:example.org:endpoint=tcp\:10.0.0.1\:8443")?
/// else {
///     unreachable!()
/// };
/// assert!(matches!(spec.endpoint(), Some(ClientSpec::Tcp(tcp)) if tcp.port() == 8443));
/// # Ok::<(), torsion::endpoints::DescriptionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClientSpec {
    text: String,
    host: String,
    server_name: String,
    port: Option<u16>,
    timeout: Duration,
    bind_address: Option<SocketAddr>,
    certificate: Option<PathBuf>,
    private_key: Option<PathBuf>,
    trust_roots: Option<PathBuf>,
    endpoint: Option<Box<ClientSpec>>,
}

impl TlsClientSpec {
    /// Builds a spec from a `tls:` description (the type name itself is not checked).
    ///
    /// # Errors
    ///
    /// Fails when the host is missing or empty, the port is missing (without `endpoint=`)
    /// or not a port number, the timeout or bind address does not parse, `timeout` or
    /// `bindAddress` comes with `endpoint=`, `privateKey` comes without `certificate`, a
    /// path is empty, the inner endpoint's description does not parse, or any other
    /// argument is given.
    pub fn parse_tls(description: &Description) -> Result<TlsClientSpec, DescriptionError> {
        let mut args = description.arguments();
        let (host, port_index) = take_host(description, &mut args)?;
        let endpoint = match args.take_kw("endpoint") {
            None => None,
            Some(inner) => match client_spec_from_string(inner) {
                Ok(ClientSpec::Tls(_)) => {
                    return Err(args.invalid(
                        "endpoint",
                        inner,
                        "is TLS: TLS inside TLS is not supported",
                    ));
                }
                Ok(spec) => Some(Box::new(spec)),
                Err(err) => {
                    let why = format!("is not a client endpoint: {err}");
                    return Err(args.invalid("endpoint", inner, why));
                }
            },
        };
        let port = match endpoint {
            Some(_) => args.u16("port", Some(port_index))?,
            None => Some(args.port(port_index)?),
        };
        let timeout = args.seconds("timeout", None)?;
        let bind_address = take_bind_address(&mut args)?;
        if endpoint.is_some() {
            for name in ["timeout", "bindAddress"] {
                if let Some(value) = description.kwarg(name) {
                    return Err(args.invalid(
                        name,
                        value,
                        "belongs in the endpoint= description, not beside it",
                    ));
                }
            }
        }
        let certificate = path(&mut args, "certificate", None)?;
        let private_key = path(&mut args, "privateKey", None)?;
        if let (None, Some(key)) = (&certificate, &private_key) {
            let key = key.display().to_string();
            return Err(args.invalid("privateKey", &key, "needs certificate= beside it"));
        }
        let trust_roots = path(&mut args, "trustRoots", None)?;
        args.finish()?;
        Ok(TlsClientSpec {
            text: description.text().to_string(),
            host: host.to_string(),
            server_name: host.to_string(),
            port,
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
            bind_address,
            certificate,
            private_key,
            trust_roots,
            endpoint,
        })
    }

    /// The description this spec was read from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The host to connect to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The name the server's certificate must be valid for: the host, unless an `ssl:`
    /// description's `hostname=` says otherwise.
    pub fn server_name(&self) -> &str {
        &self.server_name
    }

    /// The port to connect to; `None` only with [`endpoint`](Self::endpoint), which then
    /// says where to connect.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// How long each connection attempt may take (30 s unless `timeout=` says otherwise).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The local address to bind before connecting, if any.
    pub fn bind_address(&self) -> Option<SocketAddr> {
        self.bind_address
    }

    /// The PEM file of the client certificate (chain) to present when asked, if any.
    pub fn certificate(&self) -> Option<&Path> {
        self.certificate.as_deref()
    }

    /// The PEM file of the client certificate's key: `privateKey`, or else the
    /// `certificate` file; `None` without a certificate.
    pub fn private_key(&self) -> Option<&Path> {
        self.private_key.as_deref().or(self.certificate())
    }

    /// The directory of `*.pem` authorities trusted instead of the system's, if any.
    pub fn trust_roots(&self) -> Option<&Path> {
        self.trust_roots.as_deref()
    }

    /// The endpoint to connect through, when `endpoint=` named one.
    pub fn endpoint(&self) -> Option<&ClientSpec> {
        self.endpoint.as_deref()
    }
}

impl TlsClientSpec {
    /// Builds a spec from an `ssl:` client description (Twisted's `connectSSL` form):
    /// `ssl:HOST:PORT` or `ssl:host=HOST:port=PORT`, with `timeout` and `bindAddress` as
    /// `tcp:` has them, `certKey` (a client certificate's PEM file) and `privateKey` (its
    /// key, by default the `certKey` file), `caCertsDir` (a directory of `*.pem`
    /// authorities trusted instead of the system's) and `hostname` (the name the
    /// certificate must be valid for; default `HOST`).
    ///
    /// Unlike Twisted, which verifies nothing unless `caCertsDir` or `hostname` is given,
    /// the server is **always verified**: for `hostname` (or `HOST`), by `caCertsDir`'s
    /// authorities or else the system's.
    ///
    /// # Errors
    ///
    /// As [`parse_tls`](Self::parse_tls), for these arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::endpoints::{client_spec_from_string, ClientSpec};
    ///
    /// let ClientSpec::Tls(spec) =
    ///     client_spec_from_string("ssl:host=127.0.0.1:port=8443:hostname=localhost")?
    /// else {
    ///     unreachable!()
    /// };
    /// assert_eq!((spec.host(), spec.server_name()), ("127.0.0.1", "localhost"));
    /// # Ok::<(), torsion::endpoints::DescriptionError>(())
    /// ```
    pub fn parse_ssl(description: &Description) -> Result<TlsClientSpec, DescriptionError> {
        let mut args = description.arguments();
        let (host, port_index) = take_host(description, &mut args)?;
        let port = args.port(port_index)?;
        let timeout = args.seconds("timeout", None)?;
        let bind_address = take_bind_address(&mut args)?;
        let certificate = path(&mut args, "certKey", None)?;
        let private_key = path(&mut args, "privateKey", None)?;
        if let (None, Some(key)) = (&certificate, &private_key) {
            let key = key.display().to_string();
            return Err(args.invalid("privateKey", &key, "needs certKey= beside it"));
        }
        let trust_roots = path(&mut args, "caCertsDir", None)?;
        let server_name = match args.take_kw("hostname") {
            Some("") => return Err(args.invalid("hostname", "", "is empty")),
            Some(name) => name,
            None => host,
        };
        args.finish()?;
        Ok(TlsClientSpec {
            text: description.text().to_string(),
            host: host.to_string(),
            server_name: server_name.to_string(),
            port: Some(port),
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
            bind_address,
            certificate,
            private_key,
            trust_roots,
            endpoint: None,
        })
    }
}

/// Takes argument `name` as a non-empty path, or `None` if it was not given.
fn path(
    args: &mut Arguments<'_>,
    name: &str,
    index: Option<usize>,
) -> Result<Option<PathBuf>, DescriptionError> {
    let text = match index {
        Some(index) => args.take_positional_or_kw(name, index)?,
        None => args.take_kw(name),
    };
    match text {
        Some("") => Err(args.invalid(name, "", "is empty")),
        Some(text) => Ok(Some(PathBuf::from(text))),
        None => Ok(None),
    }
}
