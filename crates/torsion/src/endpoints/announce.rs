//! [`Announced`]: the protocol an endpoint's connection runs, which fires the endpoint's
//! Deferred with a handle to the user's protocol once it is connected.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use crate::defer::Deferred;
use crate::error::NoProtocol;
use crate::time::ReactorTime;
use crate::{
    Address, ClientFactory, Connector, Cx, Factory, Failure, Hosted, Protocol, ProtocolHandle,
};

/// Called with the reason when an endpoint's connection is lost.
pub(crate) type OnLost = Rc<dyn Fn(&Failure)>;

/// What the attempts of one `connect` share.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    /// Set by the first attempt that gets a protocol; later ones are refused.
    pub(crate) won: Rc<Cell<bool>>,
    /// Told when the connection that won is lost (a `ClientService` reconnects then).
    pub(crate) on_lost: Option<OnLost>,
}

/// Hosts the user's protocol and announces it.
pub(crate) struct Announced<P: Protocol> {
    inner: Hosted<P>,
    ready: Option<Deferred<ProtocolHandle<P>>>,
    on_lost: Option<OnLost>,
}

impl<P: Protocol> Announced<P> {
    /// Hosts `protocol` and fires `ready` with a handle to it once it is connected (for an
    /// endpoint that builds its protocols itself, as the TLS client endpoint does).
    pub(crate) fn new(protocol: P, ready: Deferred<ProtocolHandle<P>>) -> Announced<P> {
        Announced {
            inner: Hosted::new(protocol),
            ready: Some(ready),
            on_lost: None,
        }
    }
}

impl<P: Protocol> Protocol for Announced<P> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.inner
            .connection_made(cx, cx.transport().clone(), |me: &mut Self| &mut me.inner);
        let (Some(ready), Some(handle)) = (self.ready.take(), self.inner.with(|_, cx| cx.handle()))
        else {
            return;
        };
        // From the loop, outside this protocol's callbacks, so the Deferred's callbacks can
        // use the handle. It fires even if the connection is lost first (with a handle
        // to a closed connection), as Twisted's fires at `connectionMade`.
        cx.scheduler().call_later(Duration::ZERO, move || {
            let _ = ready.callback(handle);
        });
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.inner.data_received(data);
    }

    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.read_connection_lost();
    }

    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.write_connection_lost();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.inner.connection_lost(reason);
        if let Some(on_lost) = self.on_lost.take() {
            on_lost(reason);
        }
    }
}

/// The client factory an endpoint connects with: builds the user's protocol (once, for
/// the attempt that wins) and settles the endpoint's Deferred.
pub(crate) struct Announcer<F: Factory> {
    factory: Rc<RefCell<F>>,
    ready: Deferred<ProtocolHandle<F::Protocol>>,
    hooks: Hooks,
}

impl<F: Factory> Announcer<F> {
    pub(crate) fn new(
        factory: Rc<RefCell<F>>,
        ready: Deferred<ProtocolHandle<F::Protocol>>,
        hooks: Hooks,
    ) -> Announcer<F> {
        Announcer {
            factory,
            ready,
            hooks,
        }
    }
}

impl<F: Factory> ClientFactory for Announcer<F> {
    type Protocol = Announced<F::Protocol>;

    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol> {
        if self.hooks.won.replace(true) {
            return None;
        }
        match self.factory.borrow_mut().build_protocol(addr) {
            Some(protocol) => Some(Announced {
                inner: Hosted::new(protocol),
                ready: Some(self.ready.clone()),
                on_lost: self.hooks.on_lost.clone(),
            }),
            None => {
                let _ = self.ready.errback(Failure::new(NoProtocol));
                None
            }
        }
    }

    fn client_connection_failed(&mut self, _connector: &Connector, reason: &Failure) {
        // Ignored when the Deferred already has a result (cancelled, or refused above).
        let _ = self.ready.errback(reason.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Quiet;
    impl Protocol for Quiet {}

    #[test]
    fn only_the_first_attempt_to_connect_gets_a_protocol() {
        let built = Rc::new(Cell::new(0));
        let b = built.clone();
        let factory = Rc::new(RefCell::new(move |_addr: Address| {
            b.set(b.get() + 1);
            Some(Quiet)
        }));
        let hooks = Hooks::default();
        let peer: Address = std::net::SocketAddr::from(([127, 0, 0, 1], 1)).into();
        let mut first = Announcer::new(factory.clone(), Deferred::new(), hooks.clone());
        let mut second = Announcer::new(factory, Deferred::new(), hooks);
        assert!(first.build_protocol(peer.clone()).is_some());
        assert!(second.build_protocol(peer).is_none());
        assert_eq!(built.get(), 1);
    }
}
