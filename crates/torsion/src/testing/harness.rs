//! [`ProtocolHarness`]: drive a protocol's callbacks by hand, with no socket.

use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::rc::Rc;

use super::{MemoryConnector, StringTransport};
use crate::protocol::{BoundProtocol, DynProtocol};
use crate::time::{ReactorTime, Scheduler};
use crate::{Failure, Protocol, Transport};

/// A protocol connected to a [`StringTransport`] and a clock, whose callbacks a test
/// calls directly: what the reactor would do, one step at a time.
///
/// Callbacks run exactly as under the reactor: a panic is caught, returned as `Err`, and
/// aborts the transport; timers set with [`Cx::call_later`](crate::Cx::call_later) run when
/// the clock is advanced and are cancelled by [`connection_lost`](ProtocolHarness::connection_lost).
///
/// A harness comes from [`connect`](ProtocolHarness::connect), or from
/// [`MemoryConnector::connection_succeeded`] for a client connection a test plays on a
/// [`MemoryReactor`](super::MemoryReactor); the latter's `connection_lost` also tells the
/// connector's factory.
///
/// # Examples
///
/// ```
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(Echo, &st, &Clock::new()).unwrap();
/// h.data_received(b"ping").unwrap();
/// assert_eq!(st.value(), b"ping");
/// ```
pub struct ProtocolHarness<P: Protocol> {
    driver: Rc<RefCell<BoundProtocol<P>>>,
    transport: StringTransport,
    /// The connector whose connection this is, if it came from one.
    connector: Option<MemoryConnector>,
}

impl<P: Protocol> ProtocolHarness<P> {
    /// Connects `protocol` to `transport`, with timers on `clock`, and calls
    /// `connection_made`.
    ///
    /// # Errors
    ///
    /// The panic of `connection_made`, as a failure.
    pub fn connect(
        protocol: P,
        transport: &StringTransport,
        clock: &impl ReactorTime,
    ) -> Result<Self, Failure> {
        let harness = ProtocolHarness::bind(protocol, transport, clock.scheduler(), None);
        harness.connection_made()?;
        Ok(harness)
    }

    /// Binds `protocol` to `transport` and `scheduler`, the connection of `connector` if
    /// any; calls nothing.
    pub(super) fn bind(
        protocol: P,
        transport: &StringTransport,
        scheduler: Scheduler,
        connector: Option<MemoryConnector>,
    ) -> Self {
        ProtocolHarness {
            driver: BoundProtocol::new(protocol, transport.transport(), scheduler),
            transport: transport.clone(),
            connector,
        }
    }

    /// Calls `connection_made`; its panic comes back as a failure (the transport is then
    /// aborted).
    pub(super) fn connection_made(&self) -> Result<(), Failure> {
        self.check(self.driver.connection_made())
    }

    /// The protocol, as the reactor calls it.
    pub(super) fn dyn_protocol(&self) -> Box<dyn DynProtocol> {
        Box::new(self.driver.clone())
    }

    /// Delivers `data` as one `data_received` call.
    ///
    /// # Errors
    ///
    /// The callback's panic, as a failure (the transport is then aborted).
    pub fn data_received(&self, data: &[u8]) -> Result<(), Failure> {
        self.check(self.driver.data_received(data))
    }

    /// Delivers `data` in chunks of `size` bytes, one `data_received` call each.
    ///
    /// # Errors
    ///
    /// As [`data_received`](ProtocolHarness::data_received); stops at the first panic.
    pub fn data_received_in_chunks(&self, data: &[u8], size: usize) -> Result<(), Failure> {
        for chunk in data.chunks(size.max(1)) {
            self.data_received(chunk)?;
        }
        Ok(())
    }

    /// Tells the protocol the peer closed its side (EOF).
    ///
    /// # Errors
    ///
    /// As [`data_received`](ProtocolHarness::data_received).
    pub fn read_connection_lost(&self) -> Result<(), Failure> {
        self.check(self.driver.read_connection_lost())
    }

    /// Tells the protocol our writing side was shut down.
    ///
    /// # Errors
    ///
    /// As [`data_received`](ProtocolHarness::data_received).
    pub fn write_connection_lost(&self) -> Result<(), Failure> {
        self.check(self.driver.write_connection_lost())
    }

    /// Closes the connection with `reason`: the transport stops counting as connected,
    /// `connection_lost` runs, and the protocol's timers are cancelled. For a harness from
    /// [`MemoryConnector::connection_succeeded`], this is the connector's
    /// [`connection_lost`](MemoryConnector::connection_lost): its factory then hears
    /// `client_connection_lost` (and it panics if the connection was already lost).
    pub fn connection_lost(&self, reason: Failure) {
        if let Some(connector) = &self.connector {
            return connector.connection_lost(reason);
        }
        self.transport.set_connected(false);
        self.driver.connection_lost(&reason);
    }

    /// The protocol, to inspect its state.
    pub fn protocol(&self) -> Ref<'_, P> {
        Ref::map(self.driver.borrow(), |d| d.protocol())
    }

    /// The protocol, to change its state.
    pub fn protocol_mut(&self) -> RefMut<'_, P> {
        RefMut::map(self.driver.borrow_mut(), |d| d.protocol_mut())
    }

    /// The transport the protocol writes to.
    pub fn transport(&self) -> Transport {
        self.transport.transport()
    }

    fn check(&self, result: Result<(), Failure>) -> Result<(), Failure> {
        if let Err(reason) = &result {
            self.transport.transport().abort_for_panic(reason.clone());
        }
        result
    }
}

impl<P: Protocol> fmt::Debug for ProtocolHarness<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolHarness")
            .field("transport", &self.transport)
            .field("connector", &self.connector)
            .finish()
    }
}
