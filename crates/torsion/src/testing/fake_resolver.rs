//! [`FakeResolver`]: a name resolver a test programs, for code that looks names up.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

use crate::defer::Deferred;
use crate::error::DnsLookupError;
use crate::resolver::HostnameResolver;
use crate::Failure;

/// A [`HostnameResolver`] that answers from a table the test fills, records every
/// question, and can hold lookups unanswered so a test decides when (or whether) they
/// answer: for timeouts and cancellation (Twisted's tests use a deterministic resolver the
/// same way).
///
/// A name in the table answers at once with its addresses (with the port asked for); a
/// name that is held waits for [`answer`](FakeResolver::answer); any other name fails with
/// [`DnsLookupError`]. Clones share the table: install one on a reactor with
/// [`Reactor::install_name_resolver`](crate::Reactor::install_name_resolver) and keep
/// another to program it.
///
/// # Examples
///
/// ```
/// use std::net::IpAddr;
/// use torsion::resolver::HostnameResolver;
/// use torsion::testing::FakeResolver;
///
/// let resolver = FakeResolver::new();
/// resolver.add("db.example", &["10.0.0.7".parse::<IpAddr>().unwrap()]);
/// resolver.hold("slow.example");
///
/// let db = resolver.resolve_host_name("db.example", 5432).take_result().unwrap()?;
/// assert_eq!(db[0].to_string(), "10.0.0.7:5432");
///
/// let slow = resolver.resolve_host_name("slow.example", 80);
/// assert!(!slow.called());
/// resolver.answer("slow.example", &["10.0.0.8".parse::<IpAddr>().unwrap()]);
/// assert_eq!(slow.take_result().unwrap()?[0].to_string(), "10.0.0.8:80");
/// assert_eq!(resolver.queries(), [("db.example".to_string(), 5432), ("slow.example".to_string(), 80)]);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone, Default)]
pub struct FakeResolver {
    state: Rc<RefCell<State>>,
}

/// A lookup waiting for its answer: the port asked for and the Deferred to fire.
type Waiting = (u16, Deferred<Vec<SocketAddr>>);

#[derive(Default)]
struct State {
    table: HashMap<String, Vec<IpAddr>>,
    held: HashMap<String, Vec<Waiting>>,
    queries: Vec<(String, u16)>,
    cancelled: usize,
}

impl FakeResolver {
    /// A resolver that knows no name.
    pub fn new() -> FakeResolver {
        FakeResolver::default()
    }

    /// `host` resolves at once to `ips` (none: to nothing, which the reactor reports as
    /// a failed lookup).
    pub fn add(&self, host: &str, ips: &[IpAddr]) {
        self.state
            .borrow_mut()
            .table
            .insert(host.to_string(), ips.to_vec());
    }

    /// Lookups of `host` wait until [`answer`](FakeResolver::answer) or
    /// [`fail`](FakeResolver::fail).
    pub fn hold(&self, host: &str) {
        self.state
            .borrow_mut()
            .held
            .entry(host.to_string())
            .or_default();
    }

    /// Answers the held lookups of `host` with `ips`; later lookups of it answer at once.
    pub fn answer(&self, host: &str, ips: &[IpAddr]) {
        let waiting = {
            let mut state = self.state.borrow_mut();
            state.table.insert(host.to_string(), ips.to_vec());
            state.held.remove(host).unwrap_or_default()
        };
        for (port, d) in waiting {
            let addrs = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
            let _ = d.callback(addrs);
        }
    }

    /// Fails the held lookups of `host` with `detail`; later lookups of it fail at once.
    pub fn fail(&self, host: &str, detail: &str) {
        let waiting = {
            let mut state = self.state.borrow_mut();
            state.table.remove(host);
            state.held.remove(host).unwrap_or_default()
        };
        for (_, d) in waiting {
            let _ = d.errback(not_found(host, detail));
        }
    }

    /// Every `(host, port)` asked for, in order.
    pub fn queries(&self) -> Vec<(String, u16)> {
        self.state.borrow().queries.clone()
    }

    /// How many held lookups were cancelled.
    pub fn cancelled(&self) -> usize {
        self.state.borrow().cancelled
    }
}

fn not_found(host: &str, detail: &str) -> Failure {
    Failure::new(DnsLookupError {
        host: host.to_string(),
        detail: detail.to_string(),
    })
}

impl HostnameResolver for FakeResolver {
    fn resolve_host_name(&self, host: &str, port: u16) -> Deferred<Vec<SocketAddr>> {
        let mut state = self.state.borrow_mut();
        state.queries.push((host.to_string(), port));
        if let Some(held) = state.held.get_mut(host) {
            let weak = Rc::downgrade(&self.state);
            let d = Deferred::with_canceller(move |_| {
                if let Some(state) = weak.upgrade() {
                    state.borrow_mut().cancelled += 1;
                }
            });
            held.push((port, d.clone()));
            return d;
        }
        match state.table.get(host) {
            Some(ips) => {
                Deferred::succeed(ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
            }
            None => Deferred::fail(not_found(host, "not in the fake resolver")),
        }
    }
}

impl std::fmt::Debug for FakeResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.borrow();
        f.debug_struct("FakeResolver")
            .field("names", &state.table.len())
            .field("held", &state.held.len())
            .field("queries", &state.queries.len())
            .finish()
    }
}
