//! [`HostnameEndpoint`]: resolve a name, then race its addresses (happy eyeballs).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::announce::{Hooks, OnLost};
use super::TcpClientEndpoint;
use crate::defer::Deferred;
use crate::resolver::HostnameResolver;
use crate::time::{DelayedCall, ReactorTime};
use crate::{Factory, Failure, Protocol, ProtocolHandle, Reactor};

/// How long an attempt has before the next address is tried too (Twisted's 0.3 s).
const ATTEMPT_DELAY: Duration = Duration::from_millis(300);

/// Connects to a host name over TCP, trying each of its addresses (Twisted's
/// `HostnameEndpoint`, RFC 8305's "happy eyeballs").
///
/// The name is resolved off the loop, and its addresses ordered with the families
/// alternating (RFC 8305). The first address is tried at once; each next one
/// when the previous attempt failed or after a short stagger (300 ms) with no answer,
/// so a slow or black-holed address does not hold up the others. The first attempt to
/// connect wins: the protocol is built for it alone and every other attempt is cancelled
/// (its socket closed). When every attempt failed, the Deferred fails with the last
/// failure; when the name does not resolve, with
/// [`DnsLookupError`](crate::error::DnsLookupError).
///
/// # Examples
///
/// ```no_run
/// use torsion::endpoints::HostnameEndpoint;
/// use torsion::{Protocol, Reactor};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let reactor = Reactor::new()?;
/// let d = HostnameEndpoint::new(&reactor, "localhost", 8000).connect(|_addr| Some(Quiet));
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct HostnameEndpoint {
    reactor: Reactor,
    host: String,
    port: u16,
    timeout: Option<Duration>,
    attempt_delay: Duration,
    resolver: Option<Resolver>,
}

/// Resolves a host name and port to the addresses to try, in order: any
/// [`HostnameResolver`], shared.
pub type Resolver = Rc<dyn HostnameResolver>;

impl std::fmt::Debug for HostnameEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostnameEndpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("timeout", &self.timeout)
            .field("attempt_delay", &self.attempt_delay)
            .finish_non_exhaustive()
    }
}

/// The race under way, until the result is settled.
type RaceSlot<P> = Rc<RefCell<Option<Rc<Race<P>>>>>;

struct Race<P: Protocol> {
    reactor: Reactor,
    port: u16,
    timeout: Option<Duration>,
    attempt_delay: Duration,
    result: Deferred<ProtocolHandle<P>>,
    addrs: RefCell<VecDeque<SocketAddr>>,
    pending: RefCell<Vec<Deferred<ProtocolHandle<P>>>>,
    next_timer: RefCell<Option<DelayedCall>>,
    last_failure: RefCell<Option<Failure>>,
    settled: Cell<bool>,
    hooks: Hooks,
}

impl HostnameEndpoint {
    /// `host` and `port`, with a 30 s timeout per attempt.
    pub fn new(reactor: &Reactor, host: &str, port: u16) -> HostnameEndpoint {
        HostnameEndpoint {
            reactor: reactor.clone(),
            host: host.to_string(),
            port,
            timeout: Some(Duration::from_secs(30)),
            attempt_delay: ATTEMPT_DELAY,
            resolver: None,
        }
    }

    /// Resolves names with `resolver` instead of the reactor's (through
    /// [`Reactor::resolve_host_name`], which uses the resolver
    /// [`installed`](Reactor::install_name_resolver) on the reactor): a fixed table, a DNS
    /// client, a test's answer.
    pub fn resolver(mut self, resolver: Resolver) -> HostnameEndpoint {
        self.resolver = Some(resolver);
        self
    }

    /// Each attempt gives up after `timeout`.
    pub fn timeout(mut self, timeout: Option<Duration>) -> HostnameEndpoint {
        self.timeout = timeout;
        self
    }

    /// How long an attempt runs alone before the next address is tried too.
    pub fn attempt_delay(mut self, delay: Duration) -> HostnameEndpoint {
        self.attempt_delay = delay;
        self
    }

    /// Resolves and connects; the Deferred fires as [`TcpClientEndpoint::connect`]'s does,
    /// for the winning attempt. Cancelling it cancels the lookup or every attempt in
    /// flight.
    #[track_caller]
    pub fn connect<F: Factory>(&self, factory: F) -> Deferred<ProtocolHandle<F::Protocol>> {
        self.connect_hooked(Rc::new(RefCell::new(factory)), None)
    }

    #[track_caller]
    pub(crate) fn connect_hooked<F: Factory>(
        &self,
        factory: Rc<RefCell<F>>,
        on_lost: Option<OnLost>,
    ) -> Deferred<ProtocolHandle<F::Protocol>> {
        let lookup = match &self.resolver {
            Some(resolver) => resolver.resolve_host_name(&self.host, self.port),
            None => self.reactor.resolve_host_name(&self.host, self.port),
        };
        let race: RaceSlot<F::Protocol> = Rc::default();
        let (for_cancel, lookup_for_cancel) = (race.clone(), lookup.clone());
        let result = Deferred::with_canceller(move |_| {
            lookup_for_cancel.cancel();
            if let Some(race) = for_cancel.borrow_mut().take() {
                race.cancel_all();
            }
        });
        let state = Rc::new(Race {
            reactor: self.reactor.clone(),
            port: self.port,
            timeout: self.timeout,
            attempt_delay: self.attempt_delay,
            result: result.clone(),
            addrs: RefCell::default(),
            pending: RefCell::default(),
            next_timer: RefCell::default(),
            last_failure: RefCell::default(),
            settled: Cell::new(false),
            hooks: Hooks {
                won: Rc::default(),
                on_lost,
            },
        });
        *race.borrow_mut() = Some(state.clone());
        let on_failure = state.clone();
        drop(lookup.add_callbacks(
            move |addrs| {
                state.addrs.borrow_mut().extend(interleave_families(addrs));
                Race::start_next(&state, &factory);
                Ok(())
            },
            move |failure| {
                let _ = on_failure.result.errback(failure);
                Ok(())
            },
        ));
        // Settled either way: drop what the race holds.
        result.add_both(move |outcome| {
            race.borrow_mut().take();
            outcome
        })
    }
}

impl<P: Protocol> Race<P> {
    fn start_next<F: Factory<Protocol = P>>(me: &Rc<Self>, factory: &Rc<RefCell<F>>) {
        if me.settled.get() {
            return;
        }
        if let Some(timer) = me.next_timer.borrow_mut().take() {
            let _ = timer.cancel();
        }
        let next = me.addrs.borrow_mut().pop_front();
        let Some(addr) = next else {
            if me.pending.borrow().is_empty() {
                me.settled.set(true);
                let failure = me.last_failure.borrow_mut().take();
                let _ = me.result.errback(failure.unwrap_or_else(|| {
                    Failure::new(crate::error::InvalidAddress {
                        address: "no address to connect to".into(),
                    })
                }));
            }
            return;
        };
        let endpoint = TcpClientEndpoint::new(&me.reactor, &addr.ip().to_string(), me.port)
            .timeout(me.timeout);
        let attempt = endpoint.connect_hooked(factory.clone(), me.hooks.clone());
        me.pending.borrow_mut().push(attempt.clone());
        let (state, f) = (me.clone(), factory.clone());
        drop(attempt.add_both(move |outcome| {
            state.settle_attempt(outcome, &f);
            Ok(())
        }));
        if !me.addrs.borrow().is_empty() && !me.settled.get() {
            let (state, f) = (me.clone(), factory.clone());
            let timer = me.reactor.call_later(me.attempt_delay, move || {
                state.next_timer.borrow_mut().take();
                Race::start_next(&state, &f);
            });
            *me.next_timer.borrow_mut() = Some(timer);
        }
    }

    fn settle_attempt<F: Factory<Protocol = P>>(
        self: &Rc<Self>,
        outcome: Result<ProtocolHandle<P>, Failure>,
        factory: &Rc<RefCell<F>>,
    ) {
        if self.settled.get() {
            return;
        }
        match outcome {
            Ok(handle) => {
                self.settled.set(true);
                self.cancel_all();
                let _ = self.result.callback(handle);
            }
            Err(failure) => {
                self.pending.borrow_mut().retain(|d| !d.called());
                *self.last_failure.borrow_mut() = Some(failure);
                Race::start_next(self, factory);
            }
        }
    }

    /// Stops the stagger timer and every attempt still in flight.
    fn cancel_all(&self) {
        if let Some(timer) = self.next_timer.borrow_mut().take() {
            let _ = timer.cancel();
        }
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for attempt in pending {
            attempt.cancel();
        }
        self.addrs.borrow_mut().clear();
    }
}

/// Orders addresses as RFC 8305 asks: alternating families, starting with the family of
/// the first address, each family in the resolver's order.
fn interleave_families(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_is_v6 = first.is_ipv6();
    let (mut lead, mut other): (VecDeque<SocketAddr>, VecDeque<SocketAddr>) =
        addrs.iter().partition(|a| a.is_ipv6() == first_is_v6);
    let mut ordered = Vec::with_capacity(addrs.len());
    while !lead.is_empty() || !other.is_empty() {
        ordered.extend(lead.pop_front());
        ordered.extend(other.pop_front());
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_alternate_from_the_first_address_on() {
        let v6a: SocketAddr = "[::1]:80".parse().unwrap();
        let v6b: SocketAddr = "[::2]:80".parse().unwrap();
        let v4a: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v4b: SocketAddr = "127.0.0.2:80".parse().unwrap();
        assert_eq!(
            interleave_families(vec![v6a, v6b, v4a, v4b]),
            [v6a, v4a, v6b, v4b]
        );
        assert_eq!(interleave_families(vec![v4a, v4b, v6a]), [v4a, v6a, v4b]);
        assert!(interleave_families(Vec::new()).is_empty());
    }
}
