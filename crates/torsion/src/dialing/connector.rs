//! [`StreamConnector`]: the backend of the [`Connector`]s the real reactor returns, for
//! every kind of stream, and the reactor's side of its attempts.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::{classify_connect_error, Dial};
use crate::address::Address;
use crate::defer::Deferred;
use crate::error::{ConnectError, NoProtocol, TimeoutError, UserError};
use crate::factory::AnyClientFactory;
use crate::reactor::{token, ReactorCore};
use crate::slab::Key;
use crate::stream::{flags, Opener, StreamCell, StreamConn, StreamHandle, StreamSource};
use crate::tcp::{ConnectorBackend, ConnectorState, Phase};
use crate::time::{DelayedCall, ReactorTime};
use crate::{Connector, Destination, Failure, Reactor, Transport};

/// One connector on the real reactor: its attempts' bookkeeping, the attempt's timeout and
/// stream, and how its kind dials.
pub(crate) struct StreamConnector {
    reactor: Weak<ReactorCore>,
    timeout: Option<Duration>,
    state: ConnectorState,
    conn: Cell<Option<Key>>,
    /// The attempt's step under way before its socket exists (TCP's name lookup), until
    /// it answers; cancelled if the attempt is abandoned.
    pending: RefCell<Option<Deferred<()>>>,
    timeout_call: RefCell<Option<DelayedCall>>,
    dial: Box<dyn Dial>,
}

impl StreamConnector {
    fn reactor(&self) -> Option<Reactor> {
        self.reactor.upgrade().map(|core| Reactor { core })
    }

    /// The handle the factory's callbacks receive.
    fn handle(self: &Rc<Self>) -> Connector {
        Connector::new(self.clone())
    }

    /// Whether `attempt` is the attempt in progress.
    pub(crate) fn is_current(&self, attempt: u64) -> bool {
        self.state.is_current(attempt)
    }

    /// Where the connection goes, as given.
    pub(crate) fn destination(&self) -> &Destination {
        self.state.destination()
    }

    /// Keeps `step` (the attempt's name lookup) to cancel if the attempt is abandoned.
    pub(crate) fn set_pending(&self, step: Deferred<()>) {
        *self.pending.borrow_mut() = Some(step);
    }

    /// Forgets the pending step (it answered).
    pub(crate) fn take_pending(&self) -> Option<Deferred<()>> {
        self.pending.borrow_mut().take()
    }
}

impl ConnectorBackend for StreamConnector {
    fn destination(&self) -> &Destination {
        self.state.destination()
    }

    fn phase(&self) -> Phase {
        self.state.phase()
    }

    fn connect(self: Rc<Self>) {
        let Some(reactor) = self.reactor() else {
            return;
        };
        let Some(attempt) = self.state.start_attempt() else {
            return;
        };
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || r.begin_attempt(&self, attempt));
    }

    fn stop_connecting(self: Rc<Self>) {
        let Some(reactor) = self.reactor() else {
            return;
        };
        if !self.state.request_stop() {
            return;
        }
        if let Some(key) = self.conn.take() {
            reactor.discard_stream(key);
        }
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || {
            r.connect_failed(&self, Failure::new(UserError))
        });
    }

    fn transport(&self) -> Option<Transport> {
        let reactor = self.reactor()?;
        let key = self.conn.get()?;
        let cell = reactor.core.streams.get(key)?;
        if cell.conn().borrow().has(flags::CONNECTING) {
            return None;
        }
        Some(Transport::stream(StreamHandle::new(reactor, cell)))
    }
}

impl Reactor {
    /// A connector to `destination` that dials with `dial`, started at once; `factory`
    /// hears how each attempt goes, from the loop.
    pub(crate) fn start_connector(
        &self,
        destination: Destination,
        factory: Rc<dyn AnyClientFactory>,
        timeout: Option<Duration>,
        dial: Box<dyn Dial>,
    ) -> Connector {
        let connector = Rc::new(StreamConnector {
            reactor: Rc::downgrade(&self.core),
            timeout,
            state: ConnectorState::new(destination, factory),
            conn: Cell::new(None),
            pending: RefCell::new(None),
            timeout_call: RefCell::new(None),
            dial,
        });
        connector.clone().connect();
        Connector::new(connector)
    }

    fn begin_attempt(&self, c: &Rc<StreamConnector>, attempt: u64) {
        if !c.state.begin(&c.handle(), attempt) {
            return;
        }
        if let Some(timeout) = c.timeout {
            let (me, r) = (c.clone(), self.clone());
            let call = self.call_later(timeout, move || {
                if me.state.is_current(attempt) {
                    r.connect_failed(&me, Failure::new(TimeoutError));
                }
            });
            *c.timeout_call.borrow_mut() = Some(call);
        }
        c.dial.dial(self, c, attempt);
    }

    /// Attempt `attempt` opened `source` (connecting, or connected already): the stream
    /// engine drives it from here, and tells the connector when it connects.
    pub(crate) fn open_connecting(
        &self,
        c: &Rc<StreamConnector>,
        attempt: u64,
        mut source: Box<dyn StreamSource>,
        host: Address,
        peer: Address,
    ) {
        if !c.state.is_current(attempt) {
            return;
        }
        let streams = &self.core.streams;
        let key = streams.next_key();
        if let Err(err) = source.register(self.core.io.registry(), token::stream(key)) {
            drop(source);
            self.descriptor_freed();
            return self.connect_failed(c, Failure::new(ConnectError { os_error: err }));
        }
        let opener: Rc<dyn Opener> = Rc::new(Opening(c.clone()));
        streams.insert(host, peer, StreamConn::new(source, Some(opener), true));
        c.conn.set(Some(key));
    }

    fn connected(&self, c: &Rc<StreamConnector>, cell: &Rc<StreamCell>) {
        let key = cell.key();
        {
            let mut conn = cell.conn().borrow_mut();
            conn.set_connected();
            if let Ok(source) = conn.source() {
                c.dial.on_connected(source);
            }
        }
        if let Some(call) = c.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        c.state.set_connected();
        let transport = Transport::stream(StreamHandle::new(self.clone(), cell.clone()));
        let Some(protocol) = c.state.build(
            cell.peer().clone(),
            transport,
            self.core.timers.scheduler().clone(),
        ) else {
            self.discard_stream(key);
            c.state.declined();
            return self.connect_failed(c, Failure::new(NoProtocol));
        };
        cell.set_protocol(protocol);
        if let Err(reason) = cell.with_protocol(|p| p.connection_made()) {
            self.abort_for_panic(key, reason);
        }
    }

    /// The attempt failed: release what it held, tell the factory, and stop it unless it
    /// tries again.
    pub(crate) fn connect_failed(&self, c: &Rc<StreamConnector>, reason: Failure) {
        if c.state.phase() != Phase::Connecting {
            return;
        }
        if let Some(call) = c.timeout_call.borrow_mut().take() {
            let _ = call.cancel();
        }
        if let Some(key) = c.conn.take() {
            self.discard_stream(key);
        }
        let pending = c.take_pending();
        if let Some(step) = pending {
            step.cancel();
        }
        c.state.report_failed(&c.handle(), &reason);
    }

    /// An established connection closed (after its protocol heard of it).
    fn client_lost(&self, c: &Rc<StreamConnector>, reason: Failure) {
        c.conn.set(None);
        c.state.report_lost(&c.handle(), &reason);
    }
}

/// What a connecting stream reports back to: the connector of the attempt that opened it.
struct Opening(Rc<StreamConnector>);

impl Opener for Opening {
    fn connect_ready(&self, reactor: &Reactor, cell: &Rc<StreamCell>) {
        let outcome = match cell.conn().borrow().source() {
            Ok(source) => self.0.dial.connect_outcome(source),
            Err(_) => return,
        };
        match outcome {
            Ok(true) => reactor.connected(&self.0, cell),
            Ok(false) => {}
            Err(err) => reactor.connect_failed(&self.0, classify_connect_error(err)),
        }
    }

    fn closed(&self, reactor: &Reactor, reason: Failure, connecting: bool) {
        if connecting {
            reactor.connect_failed(&self.0, reason);
        } else {
            reactor.client_lost(&self.0, reason);
        }
    }
}
