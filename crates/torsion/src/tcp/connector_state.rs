//! [`ConnectorState`]: a connector's attempts and what its factory hears of them, the
//! rules every [`Connector`] backend follows.

use std::cell::Cell;
use std::rc::Rc;

use super::{Connector, Destination};
use crate::error::UserError;
use crate::factory::{AnyClientFactory, BuiltProtocol};
use crate::time::Scheduler;
use crate::{Address, Failure, Transport};

/// Where a connector is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Disconnected,
    Connecting,
    Connected,
}

/// The bookkeeping of one connector, over its attempts: its phase, which attempt is
/// current, and the order of its factory's callbacks.
///
/// A backend does the I/O (or plays it, in a test) and calls in here at each step; the
/// factory hears `do_start` before the first `started_connecting`, then for each attempt
/// `started_connecting` and either `client_connection_failed` or (after the protocol's
/// life) `client_connection_lost`, and `do_stop` after a failure or loss that led to no
/// new attempt.
pub(crate) struct ConnectorState {
    destination: Destination,
    factory: Rc<dyn AnyClientFactory>,
    phase: Cell<Phase>,
    /// Counts attempts, so late results of an abandoned attempt are ignored.
    attempt: Cell<u64>,
    factory_started: Cell<bool>,
    /// The current attempt has told the factory it started.
    begun: Cell<bool>,
    /// `stop_connecting` was called during the current attempt.
    stop_requested: Cell<bool>,
}

impl ConnectorState {
    /// A disconnected connector to `destination` whose factory has not started.
    pub(crate) fn new(destination: Destination, factory: Rc<dyn AnyClientFactory>) -> Self {
        ConnectorState {
            destination,
            factory,
            phase: Cell::new(Phase::Disconnected),
            attempt: Cell::new(0),
            factory_started: Cell::new(false),
            begun: Cell::new(false),
            stop_requested: Cell::new(false),
        }
    }

    pub(crate) fn destination(&self) -> &Destination {
        &self.destination
    }

    pub(crate) fn phase(&self) -> Phase {
        self.phase.get()
    }

    /// `connect()`: the number of the attempt the backend must start from the loop (with
    /// [`begin`](ConnectorState::begin)), or `None`, with a warning, unless disconnected.
    pub(crate) fn start_attempt(&self) -> Option<u64> {
        if self.phase.get() != Phase::Disconnected {
            tracing::warn!(destination = %self.destination, "connect() while not disconnected; ignored");
            return None;
        }
        self.phase.set(Phase::Connecting);
        self.begun.set(false);
        self.stop_requested.set(false);
        let attempt = self.attempt.get() + 1;
        self.attempt.set(attempt);
        Some(attempt)
    }

    /// Whether `attempt` is the attempt in progress (not superseded or abandoned).
    pub(crate) fn is_current(&self, attempt: u64) -> bool {
        self.attempt.get() == attempt && self.phase.get() == Phase::Connecting
    }

    /// `stop_connecting()`: whether the backend must abandon the attempt now (release
    /// what it holds) and report [`UserError`] from the loop. `false` when there is
    /// nothing to stop, a stop is already under way, or the attempt has not begun (its
    /// [`begin`](ConnectorState::begin) reports the stop, after `started_connecting`).
    pub(crate) fn request_stop(&self) -> bool {
        if self.phase.get() != Phase::Connecting || self.stop_requested.replace(true) {
            return false;
        }
        if !self.begun.get() {
            return false;
        }
        self.attempt.set(self.attempt.get() + 1);
        true
    }

    /// Attempt `attempt` starts, from the loop: `do_start` (once per run of attempts),
    /// then `started_connecting`. Returns whether the backend goes on connecting: `false`
    /// if the attempt was superseded, or stopped (the [`UserError`] failure is then
    /// already reported; nothing was held yet).
    pub(crate) fn begin(&self, handle: &Connector, attempt: u64) -> bool {
        if !self.is_current(attempt) {
            return false;
        }
        if !self.factory_started.replace(true) {
            self.factory.do_start();
        }
        self.begun.set(true);
        self.factory.started_connecting(handle);
        if !self.is_current(attempt) {
            return false;
        }
        if self.stop_requested.get() {
            self.report_failed(handle, &Failure::new(UserError));
            return false;
        }
        true
    }

    /// The connection is up; the factory's protocol is built next.
    pub(crate) fn set_connected(&self) {
        self.phase.set(Phase::Connected);
    }

    /// Asks the factory for the connection's protocol, bound to `transport` and
    /// `scheduler`; `None` if it declined or panicked.
    pub(crate) fn build(
        &self,
        addr: Address,
        transport: Transport,
        scheduler: Scheduler,
    ) -> BuiltProtocol {
        self.factory.build(addr, transport, scheduler)
    }

    /// The factory built no protocol: the connection counts as an attempt again, to be
    /// failed with [`NoProtocol`](crate::error::NoProtocol).
    pub(crate) fn declined(&self) {
        self.phase.set(Phase::Connecting);
    }

    /// The attempt failed, and the backend released what it held: the factory hears
    /// `client_connection_failed`, and `do_stop` unless it started a new attempt. Call only
    /// while connecting.
    pub(crate) fn report_failed(&self, handle: &Connector, reason: &Failure) {
        self.phase.set(Phase::Disconnected);
        self.factory.connection_failed(handle, reason);
        self.stop_factory_unless_reconnecting();
    }

    /// The connection closed, after its protocol heard of it: the factory hears
    /// `client_connection_lost`, and `do_stop` unless it started a new attempt.
    pub(crate) fn report_lost(&self, handle: &Connector, reason: &Failure) {
        self.phase.set(Phase::Disconnected);
        self.factory.connection_lost(handle, reason);
        self.stop_factory_unless_reconnecting();
    }

    fn stop_factory_unless_reconnecting(&self) {
        if self.phase.get() == Phase::Disconnected && self.factory_started.replace(false) {
            self.factory.do_stop();
        }
    }
}
