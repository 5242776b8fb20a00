//! Name resolution behind a trait (Twisted's `IHostnameResolver`): what
//! [`Reactor::connect_tcp`](crate::Reactor::connect_tcp),
//! [`HostnameEndpoint`](crate::endpoints::HostnameEndpoint) and
//! [`Reactor::resolve_host_name`](crate::Reactor::resolve_host_name) ask for addresses.
//!
//! The reactor starts with a [`SystemResolver`] (the system's `getaddrinfo` on a bounded
//! pool of threads, never one thread per lookup, never on the loop);
//! [`Reactor::install_name_resolver`](crate::Reactor::install_name_resolver) replaces it
//! with any [`HostnameResolver`]: a fixed table, a DNS client, a test's
//! [`FakeResolver`](crate::testing::FakeResolver).
//!
//! # Examples
//!
//! A resolver that knows one name:
//!
//! ```
//! use std::net::SocketAddr;
//! use torsion::defer::Deferred;
//! use torsion::error::DnsLookupError;
//! use torsion::resolver::HostnameResolver;
//! use torsion::{Failure, Reactor};
//!
//! struct OneName;
//!
//! impl HostnameResolver for OneName {
//!     fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>> {
//!         if host == "db.internal" {
//!             Deferred::succeed(vec![SocketAddr::from(([10, 0, 0, 7], port))])
//!         } else {
//!             let unknown = DnsLookupError { host: host.into(), detail: "unknown".into() };
//!             Deferred::fail(Failure::new(unknown))
//!         }
//!     }
//! }
//!
//! let reactor = Reactor::new()?;
//! reactor.install_name_resolver(OneName);
//! let addrs = reactor.resolve_host_name("db.internal", 5432);
//! assert_eq!(addrs.take_result().unwrap()?, [SocketAddr::from(([10, 0, 0, 7], 5432))]);
//! # Ok::<(), torsion::Failure>(())
//! ```

mod pool;
mod system;

pub use system::SystemResolver;

use std::net::SocketAddr;

use crate::defer::Deferred;

/// Turns a host name and a port into the socket addresses to try, in order (Twisted's
/// `IHostnameResolver.resolveHostName`).
///
/// The Deferred fires from the loop (or at once) with the addresses, or fails with
/// [`DnsLookupError`](crate::error::DnsLookupError). Cancelling it abandons the lookup: a
/// resolver should give it a canceller that forgets the work under way. A resolver must
/// never block the loop.
///
/// Any `Fn(&str, u16) -> Deferred<Vec<SocketAddr>>` is a resolver too.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use torsion::defer::Deferred;
/// use torsion::resolver::HostnameResolver;
///
/// let loopback = |_host: &str, port: u16| Deferred::succeed(vec![SocketAddr::from(([127, 0, 0, 1], port))]);
/// let addrs = loopback.resolve_host_name("anything", 80).take_result().unwrap()?;
/// assert_eq!(addrs[0].port(), 80);
/// # Ok::<(), torsion::Failure>(())
/// ```
pub trait HostnameResolver {
    /// Looks `host` up; the addresses carry `port`.
    fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>>;
}

impl<F> HostnameResolver for F
where
    F: Fn(&str, u16) -> Deferred<Vec<SocketAddr>>,
{
    fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>> {
        self(host, port)
    }
}

/// An IP address literal as the one address it names, without a lookup.
pub(crate) fn literal(host: &str, port: u16) -> Option<SocketAddr> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    unbracketed.parse().ok().map(|ip| SocketAddr::new(ip, port))
}
