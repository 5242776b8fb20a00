//! [`Factory`] and [`ClientFactory`]: what builds a protocol for each connection.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use crate::protocol::{BoundProtocol, DynProtocol};
use crate::time::Scheduler;
use crate::{Address, Connector, Failure, Protocol, Transport};

/// Builds a protocol for each connection a listening port accepts (Twisted's
/// `ServerFactory`).
///
/// A closure `FnMut(Address) -> Option<P>` is a factory. Implement the trait on a type
/// to also hear when the port starts and stops.
///
/// # Examples
///
/// ```no_run
/// use torsion::{Cx, Protocol, Reactor};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// reactor.listen_tcp(8000, |_peer| Some(Echo))?;
/// reactor.run()?;
/// # Ok::<(), torsion::Failure>(())
/// ```
pub trait Factory: 'static {
    /// The protocol this factory builds.
    type Protocol: Protocol;

    /// Called for each accepted connection, from the loop, with the peer's address.
    /// Returning `None` refuses the connection: it is closed at once and no protocol
    /// callback runs. A panic here refuses the connection and is logged.
    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol>;

    /// Called once when the port this factory serves starts listening, before any
    /// connection is accepted.
    fn do_start(&mut self) {}

    /// Called once after the port stopped listening (from the loop, after
    /// `stop_listening` returned, or at reactor shutdown).
    fn do_stop(&mut self) {}
}

impl<F, P> Factory for F
where
    F: FnMut(Address) -> Option<P> + 'static,
    P: Protocol,
{
    type Protocol = P;

    fn build_protocol(&mut self, addr: Address) -> Option<P> {
        self(addr)
    }
}

/// Builds protocols for outgoing connections and hears how each attempt went (Twisted's
/// `ClientFactory`).
///
/// For one [`Connector`] the calls come in this order, always from the loop (or, on a
/// [`MemoryReactor`](crate::testing::MemoryReactor), from its clock and from the test
/// playing the outcome on the [`MemoryConnector`](crate::testing::MemoryConnector)):
/// [`started_connecting`](ClientFactory::started_connecting), then either
/// [`client_connection_failed`](ClientFactory::client_connection_failed), or
/// [`build_protocol`](ClientFactory::build_protocol), the protocol's whole life, and last
/// [`client_connection_lost`](ClientFactory::client_connection_lost). Calling
/// [`Connector::connect`] from the failed or lost callback starts again.
///
/// To share one factory among several connections (as the poetry client does), pass an
/// `Rc<RefCell<F>>`: it is a `ClientFactory` too.
///
/// # Examples
///
/// A client that says hello, and stops the reactor once the connection is over or could
/// not be made:
///
/// ```no_run
/// use torsion::{Address, ClientFactory, Connector, Cx, Failure, Protocol, Reactor};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         cx.transport().write(b"hello\r\n");
///         cx.transport().lose_connection();
///     }
/// }
///
/// struct HelloFactory {
///     reactor: Reactor,
/// }
///
/// impl ClientFactory for HelloFactory {
///     type Protocol = Hello;
///     fn build_protocol(&mut self, _addr: Address) -> Option<Hello> {
///         Some(Hello)
///     }
///     fn client_connection_failed(&mut self, _c: &Connector, reason: &Failure) {
///         eprintln!("connection failed: {reason}");
///         self.reactor.stop();
///     }
///     fn client_connection_lost(&mut self, _c: &Connector, _reason: &Failure) {
///         self.reactor.stop();
///     }
/// }
///
/// let reactor = Reactor::new()?;
/// reactor.connect_tcp("127.0.0.1", 8000, HelloFactory { reactor: reactor.clone() });
/// reactor.run()?;
/// # Ok::<(), Failure>(())
/// ```
pub trait ClientFactory: 'static {
    /// The protocol this factory builds.
    type Protocol: Protocol;

    /// Called when the connection is established, with the peer's address. `None` closes
    /// it and reports [`NoProtocol`](crate::error::NoProtocol) as a failed connection.
    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol>;

    /// Called before the first connection attempt of a connector.
    fn do_start(&mut self) {}

    /// Called when a connector is done with this factory (after a failure or loss that
    /// did not lead to a new attempt).
    fn do_stop(&mut self) {}

    /// An attempt is starting (before the name lookup and `connect`).
    fn started_connecting(&mut self, connector: &Connector) {
        let _ = connector;
    }

    /// The attempt failed: refused, timed out, unresolvable, or stopped.
    fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
        let _ = (connector, reason);
    }

    /// An established connection closed; called after the protocol's `connection_lost`.
    fn client_connection_lost(&mut self, connector: &Connector, reason: &Failure) {
        let _ = (connector, reason);
    }
}

impl<F: ClientFactory> ClientFactory for Rc<RefCell<F>> {
    type Protocol = F::Protocol;

    fn build_protocol(&mut self, addr: Address) -> Option<F::Protocol> {
        self.borrow_mut().build_protocol(addr)
    }
    fn do_start(&mut self) {
        self.borrow_mut().do_start()
    }
    fn do_stop(&mut self) {
        self.borrow_mut().do_stop()
    }
    fn started_connecting(&mut self, connector: &Connector) {
        self.borrow_mut().started_connecting(connector)
    }
    fn client_connection_failed(&mut self, connector: &Connector, reason: &Failure) {
        self.borrow_mut()
            .client_connection_failed(connector, reason)
    }
    fn client_connection_lost(&mut self, connector: &Connector, reason: &Failure) {
        self.borrow_mut().client_connection_lost(connector, reason)
    }
}

/// Runs a factory callback with panics caught and logged; re-entry is refused.
fn guarded<F, R>(cell: &RefCell<F>, name: &'static str, f: impl FnOnce(&mut F) -> R) -> Option<R> {
    let Ok(mut factory) = cell.try_borrow_mut() else {
        tracing::error!(
            callback = name,
            "factory called while already running; skipped"
        );
        return None;
    };
    caught(name, || f(&mut factory))
}

/// Runs the factory callback `name`: its result, or `None` if it panicked (the panic is
/// logged).
pub(crate) fn caught<R>(name: &'static str, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(payload) => {
            let failure = Failure::from_panic(name, payload);
            tracing::error!(%failure, "a factory callback panicked");
            None
        }
    }
}

pub(crate) type BuiltProtocol = Option<Box<dyn DynProtocol>>;

/// A server factory, whatever its protocol type.
pub(crate) trait AnyFactory {
    fn build(&self, addr: Address, transport: Transport, scheduler: Scheduler) -> BuiltProtocol;
    fn do_start(&self);
    fn do_stop(&self);
}

impl<F: Factory> AnyFactory for RefCell<F> {
    fn build(&self, addr: Address, transport: Transport, scheduler: Scheduler) -> BuiltProtocol {
        let proto = guarded(self, "build_protocol", |f| f.build_protocol(addr)).flatten()?;
        Some(Box::new(BoundProtocol::new(proto, transport, scheduler)))
    }
    fn do_start(&self) {
        guarded(self, "do_start", F::do_start);
    }
    fn do_stop(&self) {
        guarded(self, "do_stop", F::do_stop);
    }
}

/// A client factory, whatever its protocol type.
pub(crate) trait AnyClientFactory {
    fn build(&self, addr: Address, transport: Transport, scheduler: Scheduler) -> BuiltProtocol;
    fn do_start(&self);
    fn do_stop(&self);
    fn started_connecting(&self, connector: &Connector);
    fn connection_failed(&self, connector: &Connector, reason: &Failure);
    fn connection_lost(&self, connector: &Connector, reason: &Failure);
}

impl<F: ClientFactory> AnyClientFactory for RefCell<F> {
    fn build(&self, addr: Address, transport: Transport, scheduler: Scheduler) -> BuiltProtocol {
        let proto = guarded(self, "build_protocol", |f| f.build_protocol(addr)).flatten()?;
        Some(Box::new(BoundProtocol::new(proto, transport, scheduler)))
    }
    fn do_start(&self) {
        guarded(self, "do_start", F::do_start);
    }
    fn do_stop(&self) {
        guarded(self, "do_stop", F::do_stop);
    }
    fn started_connecting(&self, connector: &Connector) {
        guarded(self, "started_connecting", |f| {
            f.started_connecting(connector)
        });
    }
    fn connection_failed(&self, connector: &Connector, reason: &Failure) {
        guarded(self, "client_connection_failed", |f| {
            f.client_connection_failed(connector, reason)
        });
    }
    fn connection_lost(&self, connector: &Connector, reason: &Failure) {
        guarded(self, "client_connection_lost", |f| {
            f.client_connection_lost(connector, reason)
        });
    }
}
