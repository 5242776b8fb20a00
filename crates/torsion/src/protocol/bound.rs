//! [`BoundProtocol`]: a protocol with its context, and [`DynProtocol`], how the reactor
//! (or a test harness) calls it whatever its type.

use std::cell::RefCell;
use std::os::fd::OwnedFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use super::cx::{Cx, Route};
use super::Protocol;
use crate::time::Scheduler;
use crate::{Failure, Transport};

/// A protocol bound to its connection: the protocol and its [`Cx`].
pub(crate) struct BoundProtocol<P: Protocol> {
    protocol: P,
    cx: Cx<P>,
}

impl<P: Protocol> BoundProtocol<P> {
    /// Binds `protocol` to a connection's transport and clock; its timers find it through
    /// the returned cell.
    pub(crate) fn new(
        protocol: P,
        transport: Transport,
        scheduler: Scheduler,
    ) -> Rc<RefCell<BoundProtocol<P>>> {
        Rc::new_cyclic(|me| {
            RefCell::new(BoundProtocol {
                protocol,
                cx: Cx::new(transport, scheduler, Route::Root(me.clone())),
            })
        })
    }

    pub(crate) fn protocol(&self) -> &P {
        &self.protocol
    }

    pub(crate) fn protocol_mut(&mut self) -> &mut P {
        &mut self.protocol
    }

    pub(crate) fn parts(&mut self) -> (&mut P, &mut Cx<P>) {
        (&mut self.protocol, &mut self.cx)
    }
}

/// The reactor's view of a connection's protocol, whatever its type.
///
/// Each call catches panics and reports them as `Err`, so the caller can abort the
/// connection. None may be called while another is running for the same protocol.
pub(crate) trait DynProtocol {
    fn connection_made(&self) -> Result<(), Failure>;
    fn data_received(&self, data: &[u8]) -> Result<(), Failure>;
    fn file_descriptor_received(&self, fd: OwnedFd) -> Result<(), Failure>;
    fn read_connection_lost(&self) -> Result<(), Failure>;
    fn write_connection_lost(&self) -> Result<(), Failure>;
    /// Calls `connection_lost` and cancels the connection's timers; a panic is logged.
    fn connection_lost(&self, reason: &Failure);
}

/// The protocol of a connection that has none: still connecting, or closed. Every call
/// does nothing.
pub(crate) struct NoProtocol;

impl DynProtocol for NoProtocol {
    fn connection_made(&self) -> Result<(), Failure> {
        Ok(())
    }

    fn data_received(&self, _data: &[u8]) -> Result<(), Failure> {
        Ok(())
    }

    fn file_descriptor_received(&self, fd: OwnedFd) -> Result<(), Failure> {
        drop(fd);
        Ok(())
    }

    fn read_connection_lost(&self) -> Result<(), Failure> {
        Ok(())
    }

    fn write_connection_lost(&self) -> Result<(), Failure> {
        Ok(())
    }

    fn connection_lost(&self, _reason: &Failure) {}
}

/// Runs `f` on the protocol, catching a panic; `name` is the callback, for the error.
#[inline(always)]
fn call<P: Protocol>(
    cell: &RefCell<BoundProtocol<P>>,
    name: &'static str,
    f: impl FnOnce(&mut P, &mut Cx<P>),
) -> Result<(), Failure> {
    let Ok(mut bound) = cell.try_borrow_mut() else {
        reentered(name);
        return Ok(());
    };
    let BoundProtocol { protocol, cx } = &mut *bound;
    match catch_unwind(AssertUnwindSafe(|| f(protocol, cx))) {
        Ok(()) => Ok(()),
        Err(payload) => Err(panicked(name, payload)),
    }
}

#[cold]
fn reentered(name: &'static str) {
    tracing::error!(
        callback = name,
        "protocol called while already running; skipped"
    );
}

#[cold]
#[inline(never)]
fn panicked(name: &'static str, payload: Box<dyn std::any::Any + Send>) -> Failure {
    Failure::from_panic(name, payload)
}

impl<P: Protocol> DynProtocol for Rc<RefCell<BoundProtocol<P>>> {
    fn connection_made(&self) -> Result<(), Failure> {
        call(self, "connection_made", |p, cx| p.connection_made(cx))
    }

    fn data_received(&self, data: &[u8]) -> Result<(), Failure> {
        call(self, "data_received", |p, cx| p.data_received(cx, data))
    }

    fn file_descriptor_received(&self, fd: OwnedFd) -> Result<(), Failure> {
        call(self, "file_descriptor_received", |p, cx| {
            p.file_descriptor_received(cx, fd)
        })
    }

    fn read_connection_lost(&self) -> Result<(), Failure> {
        call(self, "read_connection_lost", |p, cx| {
            p.read_connection_lost(cx)
        })
    }

    fn write_connection_lost(&self) -> Result<(), Failure> {
        call(self, "write_connection_lost", |p, cx| {
            p.write_connection_lost(cx)
        })
    }

    fn connection_lost(&self, reason: &Failure) {
        if let Err(failure) = call(self, "connection_lost", |p, cx| {
            p.connection_lost(cx, reason)
        }) {
            tracing::error!(%failure, "connection_lost panicked");
        }
        if let Ok(mut bound) = self.try_borrow_mut() {
            bound.cx.cancel_timers();
        }
    }
}
