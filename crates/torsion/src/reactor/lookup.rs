//! Name lookups as Deferreds: [`Reactor::resolve_host_name`].

use std::net::SocketAddr;

use super::{Reactor, RemoteCall};
use crate::defer::Deferred;
use crate::error::DnsLookupError;
use crate::Failure;

impl Reactor {
    /// Resolves `host` (a name or an address) to the socket addresses for `port`, on a
    /// helper thread so the loop never blocks; the Deferred fires from the loop, with the
    /// addresses in the order the system resolver gave them (Twisted's
    /// `IHostnameResolver.resolveHostName`).
    ///
    /// Fails with [`DnsLookupError`] when the name does not resolve or resolves to nothing.
    /// Cancelling it forgets the lookup (the helper thread finishes it into nothing).
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::Reactor;
    ///
    /// let reactor = Reactor::new()?;
    /// let r = reactor.clone();
    /// let addrs = reactor.resolve_host_name("127.0.0.1", 80).add_both(move |result| {
    ///     r.stop();
    ///     result
    /// });
    /// reactor.run()?;
    /// assert_eq!(addrs.take_result().unwrap()?[0].port(), 80);
    /// # Ok::<(), torsion::Failure>(())
    /// ```
    #[track_caller]
    pub fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>> {
        let lookups = std::rc::Rc::downgrade(&self.core);
        let key_cell = std::rc::Rc::new(std::cell::Cell::new(None));
        let key_for_cancel = key_cell.clone();
        let d = Deferred::with_canceller(move |_| {
            if let (Some(core), Some(key)) = (lookups.upgrade(), key_for_cancel.take()) {
                drop(core.lookups.borrow_mut().remove(key));
            }
        });
        let fire = d.clone();
        let name = host.to_string();
        let key = self
            .core
            .lookups
            .borrow_mut()
            .insert(Box::new(move |result| {
                let outcome = match result {
                    Ok(addrs) if !addrs.is_empty() => Ok(addrs),
                    Ok(_) => Err(Failure::new(DnsLookupError {
                        host: name,
                        detail: "no addresses".into(),
                    })),
                    Err(err) => Err(Failure::new(DnsLookupError {
                        host: name,
                        detail: err.to_string(),
                    })),
                };
                let _ = match outcome {
                    Ok(addrs) => fire.callback(addrs),
                    Err(failure) => fire.errback(failure),
                };
            }));
        key_cell.set(Some(key));
        let remote = self.core.remote.clone();
        let submitted = crate::resolver::resolve(host.to_string(), port, move |result| {
            remote.send(RemoteCall::Lookup(key, result));
        });
        if let Err(err) = submitted {
            drop(self.core.lookups.borrow_mut().remove(key));
            let _ = d.errback(Failure::new(DnsLookupError {
                host: host.to_string(),
                detail: err.to_string(),
            }));
        }
        d
    }
}
