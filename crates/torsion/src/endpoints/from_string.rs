//! [`server_from_string`] and [`client_from_string`]: an endpoint from its description.

use super::{
    client_spec_from_string, server_spec_from_string, wrap_client_tls, ClientEndpoint, ClientSpec,
    DescriptionError, HostnameEndpoint, ServerEndpoint, ServerSpec, TcpClientEndpoint,
    TcpServerEndpoint, TlsClientSpec, TlsServerEndpoint, UnixClientEndpoint, UnixServerEndpoint,
};
use crate::{Failure, Reactor};

/// The server endpoint `description` names, on `reactor` (Twisted's `serverFromString`):
/// `tcp:8000`, `tcp:8000:interface=127.0.0.1:backlog=100`, `tcp6:8000`,
/// `unix:/run/app.sock:mode=660:lockfile=1`,
/// `ssl:8443:privateKey=key.pem:certKey=cert.pem` (see [`TlsServerSpec`](super::TlsServerSpec);
/// the files are read here).
///
/// # Errors
///
/// A [`DescriptionError`](super::DescriptionError) naming the bad part (`port "80x" in
/// "tcp:80x" is not a number`, an unknown type with the known ones, a TLS file that cannot
/// be read, ...).
pub fn server_from_string(reactor: &Reactor, description: &str) -> Result<ServerEndpoint, Failure> {
    let spec = server_spec_from_string(description).map_err(Failure::new)?;
    Ok(match spec {
        ServerSpec::Tcp(tcp) => TcpServerEndpoint::new(reactor, tcp.port())
            .interface(tcp.interface())
            .backlog(tcp.backlog())
            .into(),
        ServerSpec::Unix(_) => unix_server_from_string(reactor, description)?.into(),
        ServerSpec::Tls(tls) => {
            let tcp = TcpServerEndpoint::new(reactor, tls.port())
                .interface(tls.interface())
                .backlog(tls.backlog());
            TlsServerEndpoint::new(tcp, tls.server_options().map_err(Failure::new)?).into()
        }
    })
}

/// A UNIX server endpoint from a `unix:` description (Twisted's `serverFromString` for
/// `unix:ADDRESS:mode=660:backlog=50:lockfile=1`), listening on `reactor`.
///
/// [`server_from_string`] builds it too, as a [`ServerEndpoint`] whose port is a
/// [`ServerPort`](super::ServerPort); this one gives the UNIX endpoint itself, whose port
/// is a [`UnixListeningPort`](crate::UnixListeningPort).
///
/// # Errors
///
/// A [`DescriptionError`] for a description that does not parse or is not `unix:`.
///
/// # Examples
///
/// ```
/// use torsion::endpoints::unix_server_from_string;
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let path = std::env::temp_dir().join(format!("torsion-fs-doc-{}.sock", std::process::id()));
/// let endpoint = unix_server_from_string(&reactor, &format!("unix:{}:mode=600", path.display()))?;
/// let port = endpoint.listen(|_peer| Some(Quiet)).take_result().expect("at once")?;
/// port.stop_listening();
/// assert!(unix_server_from_string(&reactor, "tcp:80").is_err());
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn unix_server_from_string(
    reactor: &Reactor,
    description: &str,
) -> Result<UnixServerEndpoint, Failure> {
    match server_spec_from_string(description).map_err(Failure::new)? {
        ServerSpec::Unix(unix) => {
            let options = unix.listen_options();
            Ok(UnixServerEndpoint::new(reactor, unix.address().clone())
                .mode(options.mode)
                .backlog(options.backlog)
                .want_pid(options.want_pid))
        }
        _ => Err(Failure::new(DescriptionError::new(
            description,
            "not a unix: server",
            "",
        ))),
    }
}

/// The client endpoint `description` names, on `reactor` (Twisted's `clientFromString`):
/// `tcp:host=example.org:port=80:timeout=10`, `tcp:example.org:80`,
/// `tcp:127.0.0.1:80:bindAddress=127.0.0.2`, `tls:example.org:443`,
/// `tls:localhost:8443:trustRoots=/etc/my-ca` (see [`TlsClientSpec`](super::TlsClientSpec);
/// the files are read here).
///
/// # Errors
///
/// As [`server_from_string`].
///
/// # Examples
///
/// ```
/// use torsion::endpoints::client_from_string;
/// use torsion::Reactor;
///
/// let reactor = Reactor::new()?;
/// assert!(client_from_string(&reactor, "tcp:host=example.org:port=80").is_ok());
/// let err = client_from_string(&reactor, "tcp:example.org:http").unwrap_err();
/// assert!(err.to_string().contains("\"http\""), "{err}");
/// # Ok::<(), torsion::Failure>(())
/// ```
pub fn client_from_string(reactor: &Reactor, description: &str) -> Result<ClientEndpoint, Failure> {
    client_from_spec(
        reactor,
        client_spec_from_string(description).map_err(Failure::new)?,
    )
}

/// The client endpoint `spec` names, on `reactor`.
fn client_from_spec(reactor: &Reactor, spec: ClientSpec) -> Result<ClientEndpoint, Failure> {
    Ok(match spec {
        ClientSpec::Tcp(tcp) => {
            let mut endpoint =
                TcpClientEndpoint::new(reactor, tcp.host(), tcp.port()).timeout(tcp.timeout());
            if let Some(addr) = tcp.bind_address() {
                endpoint = endpoint.bind_address(addr);
            }
            endpoint.into()
        }
        ClientSpec::Unix(unix) => {
            let options = unix.connect_options();
            UnixClientEndpoint::new(reactor, unix.address().clone())
                .timeout(options.timeout)
                .check_pid(options.check_pid)
                .into()
        }
        ClientSpec::Tls(tls) => tls_client_from_spec(reactor, tls)?,
    })
}

/// A `tls:` client: TLS over the `endpoint=` description's endpoint, or else over a
/// [`HostnameEndpoint`] (a [`TcpClientEndpoint`] when a bind address is asked for).
fn tls_client_from_spec(reactor: &Reactor, spec: TlsClientSpec) -> Result<ClientEndpoint, Failure> {
    let options = spec.client_options().map_err(Failure::new)?;
    let inner: ClientEndpoint = match (spec.endpoint(), spec.port()) {
        (Some(inner), _) => client_from_spec(reactor, inner.clone())?,
        (None, Some(port)) => match spec.bind_address() {
            None => HostnameEndpoint::new(reactor, spec.host(), port)
                .timeout(Some(spec.timeout()))
                .into(),
            Some(bind) => TcpClientEndpoint::new(reactor, spec.host(), port)
                .timeout(Some(spec.timeout()))
                .bind_address(bind)
                .into(),
        },
        (None, None) => {
            let missing = DescriptionError::new(spec.text(), "missing port", "");
            return Err(Failure::new(missing));
        }
    };
    Ok(wrap_client_tls(options, inner).into())
}
