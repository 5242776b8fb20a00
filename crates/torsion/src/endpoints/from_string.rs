//! [`server_from_string`] and [`client_from_string`]: an endpoint from its description.

use super::{
    client_spec_from_string, server_spec_from_string, ClientEndpoint, ClientSpec, ServerEndpoint,
    ServerSpec, TcpClientEndpoint, TcpServerEndpoint,
};
use crate::{Failure, Reactor};

/// The server endpoint `description` names, on `reactor` (Twisted's `serverFromString`):
/// `tcp:8000`, `tcp:8000:interface=127.0.0.1:backlog=100`, `tcp6:8000`.
///
/// # Errors
///
/// A [`DescriptionError`](super::DescriptionError) naming the bad part (`port "80x" in
/// "tcp:80x" is not a number`, an unknown type with the known ones, ...).
pub fn server_from_string(reactor: &Reactor, description: &str) -> Result<ServerEndpoint, Failure> {
    let spec = server_spec_from_string(description).map_err(Failure::new)?;
    Ok(match spec {
        ServerSpec::Tcp(tcp) => TcpServerEndpoint::new(reactor, tcp.port())
            .interface(tcp.interface())
            .backlog(tcp.backlog())
            .into(),
    })
}

/// The client endpoint `description` names, on `reactor` (Twisted's `clientFromString`):
/// `tcp:host=example.org:port=80:timeout=10`, `tcp:example.org:80`,
/// `tcp:127.0.0.1:80:bindAddress=127.0.0.2`.
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
    let spec = client_spec_from_string(description).map_err(Failure::new)?;
    Ok(match spec {
        ClientSpec::Tcp(tcp) => {
            let mut endpoint =
                TcpClientEndpoint::new(reactor, tcp.host(), tcp.port()).timeout(tcp.timeout());
            if let Some(addr) = tcp.bind_address() {
                endpoint = endpoint.bind_address(addr);
            }
            endpoint.into()
        }
    })
}
