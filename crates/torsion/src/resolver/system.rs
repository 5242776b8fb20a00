//! [`SystemResolver`]: the system's `getaddrinfo`, run on a bounded pool of threads.

use std::cell::Cell;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::{Rc, Weak};
use std::sync::OnceLock;

use super::pool::{Pool, MAX_THREADS};
use super::{literal, HostnameResolver};
use crate::defer::Deferred;
use crate::error::DnsLookupError;
use crate::reactor::{ReactorCore, RemoteCall};
use crate::{Failure, Reactor};

/// The pool every reactor's system resolver shares.
static POOL: OnceLock<Pool> = OnceLock::new();

/// Resolves names with the system's resolver (`getaddrinfo`: `/etc/hosts`, then DNS as
/// the system is set up), off the loop: lookups run on a pool of at most four threads
/// shared by the process (a burst queues), and the result comes back through the
/// reactor's [`call_from_thread`](crate::ThreadHandle::call_from_thread) path. An IP
/// address literal (`"::1"`, `"[::1]"`, `"10.0.0.1"`) answers at once, with no thread.
///
/// Cancelling a lookup forgets it: the thread finishes it into nothing. A lookup that
/// outlives its reactor, or a reactor's `run`, is forgotten the same way.
///
/// # Examples
///
/// ```
/// use torsion::resolver::{HostnameResolver, SystemResolver};
/// use torsion::Reactor;
///
/// let reactor = Reactor::new()?;
/// let resolver = SystemResolver::new(&reactor);
/// let addrs = resolver.resolve_host_name("127.0.0.1", 80).take_result().unwrap()?;
/// assert_eq!(addrs[0].port(), 80);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone)]
pub struct SystemResolver {
    core: Weak<ReactorCore>,
}

impl SystemResolver {
    /// The system resolver delivering to `reactor`'s loop.
    pub fn new(reactor: &Reactor) -> SystemResolver {
        SystemResolver {
            core: Rc::downgrade(&reactor.core),
        }
    }
}

fn lookup_failed(host: &str, detail: impl ToString) -> Failure {
    Failure::new(DnsLookupError {
        host: host.to_string(),
        detail: detail.to_string(),
    })
}

impl HostnameResolver for SystemResolver {
    #[track_caller]
    fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>> {
        if let Some(addr) = literal(host, port) {
            return Deferred::succeed(vec![addr]);
        }
        let Some(core) = self.core.upgrade() else {
            return Deferred::fail(lookup_failed(host, "the reactor is gone"));
        };
        let key_cell = Rc::new(Cell::new(None));
        let (weak, key_for_cancel) = (self.core.clone(), key_cell.clone());
        let d = Deferred::with_canceller(move |_| {
            if let (Some(core), Some(key)) = (weak.upgrade(), key_for_cancel.take()) {
                drop(core.lookups.borrow_mut().remove(key));
            }
        });
        let (fire, name) = (d.clone(), host.to_string());
        let key = core.lookups.borrow_mut().insert(Box::new(
            move |result: io::Result<Vec<SocketAddr>>| {
                let _ = match result {
                    Ok(addrs) => fire.callback(addrs),
                    Err(err) => fire.errback(lookup_failed(&name, err)),
                };
            },
        ));
        key_cell.set(Some(key));
        let remote = core.remote.clone();
        let name = host.to_string();
        let pool = POOL.get_or_init(|| Pool::new(MAX_THREADS));
        let submitted = pool.submit(Box::new(move || {
            let result = (name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect);
            remote.send(RemoteCall::Lookup(key, result));
        }));
        if let Err(err) = submitted {
            drop(core.lookups.borrow_mut().remove(key));
            key_cell.set(None);
            let _ = d.errback(lookup_failed(host, err));
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_answers_at_once_even_in_brackets() {
        let reactor = Reactor::new().unwrap();
        let resolver = SystemResolver::new(&reactor);
        for (host, expected) in [
            ("127.0.0.1", "127.0.0.1:80"),
            ("::1", "[::1]:80"),
            ("[::1]", "[::1]:80"),
        ] {
            let addrs = resolver
                .resolve_host_name(host, 80)
                .take_result()
                .expect("no thread for a literal")
                .unwrap();
            assert_eq!(addrs, [expected.parse::<SocketAddr>().unwrap()]);
        }
    }

    #[test]
    fn a_lookup_after_its_reactor_is_gone_fails_clearly() {
        let reactor = Reactor::new().unwrap();
        let resolver = SystemResolver::new(&reactor);
        drop(reactor);
        let failure = resolver
            .resolve_host_name("localhost", 80)
            .take_result()
            .unwrap()
            .unwrap_err();
        assert!(failure.check::<DnsLookupError>());
        assert!(failure.to_string().contains("reactor is gone"), "{failure}");
    }
}
