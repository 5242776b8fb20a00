//! Name lookups as Deferreds: [`Reactor::resolve_host_name`], through the resolver the
//! reactor has installed.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::Reactor;
use crate::defer::Deferred;
use crate::error::{DnsLookupError, TimeoutError};
use crate::resolver::{HostnameResolver, SystemResolver};
use crate::Failure;

/// How long a lookup may take by default: Twisted's `resolve` tries for 1 + 3 + 11 + 45 s.
pub(crate) const DEFAULT_LOOKUP_TIMEOUT: Duration = Duration::from_secs(60);

impl Reactor {
    /// Resolves `host` (a name or an address) to the socket addresses for `port` with the
    /// installed resolver ([`SystemResolver`] unless
    /// [`install_name_resolver`](Reactor::install_name_resolver) replaced it), never
    /// blocking the loop; the addresses come in the resolver's order.
    ///
    /// Fails with [`DnsLookupError`] when the name does not resolve, resolves to nothing,
    /// or has no answer within the lookup timeout (60 s unless
    /// [`set_lookup_timeout`](Reactor::set_lookup_timeout) says otherwise). Cancelling it
    /// cancels the lookup (the resolver forgets it). `connect_tcp` and
    /// [`HostnameEndpoint`](crate::endpoints::HostnameEndpoint) resolve names this way.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// let r = reactor.clone();
    /// let addrs = reactor.resolve_host_name("localhost", 80).add_both(move |result| {
    ///     r.stop();
    ///     result
    /// });
    /// reactor.run()?;
    /// assert_eq!(addrs.take_result().unwrap()?[0].port(), 80);
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>> {
        let lookup = self.name_resolver().resolve_host_name(host, port);
        let name = host.to_string();
        let checked = lookup.add_callback(move |addrs: Vec<SocketAddr>| {
            if addrs.is_empty() {
                Err(Failure::new(DnsLookupError {
                    host: name,
                    detail: "no addresses".into(),
                }))
            } else {
                Ok(addrs)
            }
        });
        let Some(timeout) = self.core.lookup_timeout.get() else {
            return checked;
        };
        let name = host.to_string();
        checked
            .add_timeout(timeout, self)
            .add_errback(move |failure: Failure| {
                if failure.check::<TimeoutError>() {
                    Err(Failure::new(DnsLookupError {
                        host: name,
                        detail: format!("no answer within {timeout:?}"),
                    }))
                } else {
                    Err(failure)
                }
            })
    }

    /// Makes `resolver` the one every lookup of this reactor goes through (Twisted's
    /// `installNameResolver`); returns the one it replaces. Lookups under way finish with
    /// the old one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use torsion::defer::Deferred;
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// reactor.install_name_resolver(|_host: &str, port: u16| {
    ///     Deferred::succeed(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    /// });
    /// let addrs = reactor.resolve_host_name("example.org", 80).take_result().unwrap()?;
    /// assert_eq!(addrs, [SocketAddr::from(([127, 0, 0, 1], 80))]);
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    pub fn install_name_resolver(
        &self,
        resolver: impl HostnameResolver + 'static,
    ) -> Rc<dyn HostnameResolver> {
        let previous = self.name_resolver();
        *self.core.resolver.borrow_mut() = Some(Rc::new(resolver));
        previous
    }

    /// The resolver lookups go through now (Twisted's `nameResolver`).
    pub fn name_resolver(&self) -> Rc<dyn HostnameResolver> {
        self.core
            .resolver
            .borrow_mut()
            .get_or_insert_with(|| Rc::new(SystemResolver::new(self)))
            .clone()
    }

    /// How long a lookup may go unanswered before it fails with [`DnsLookupError`] (and
    /// is cancelled); `None` waits as long as the resolver does. The default is 60 s.
    pub fn set_lookup_timeout(&self, timeout: Option<Duration>) {
        self.core.lookup_timeout.set(timeout);
    }
}
