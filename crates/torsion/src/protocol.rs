//! [`Protocol`]: the per-connection state machine, and [`Cx`], what it may use while called.

use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::time::Duration;

use crate::time::{DelayedCall, ReactorTime, Scheduler};
use crate::{Failure, Transport};

/// The logic of one connection, driven by the reactor through callbacks (Twisted's
/// `IProtocol`).
///
/// For every connection, exactly this happens, in this order, always from the reactor's
/// loop and never from inside a call the protocol itself made:
///
/// 1. [`connection_made`](Protocol::connection_made), once;
/// 2. [`data_received`](Protocol::data_received), zero or more times, with the bytes in the
///    order they arrived, split and joined arbitrarily (a protocol must not assume one call
///    per message);
/// 3. [`read_connection_lost`](Protocol::read_connection_lost) and
///    [`write_connection_lost`](Protocol::write_connection_lost), at most once each, when
///    one direction of the connection closes;
/// 4. [`connection_lost`](Protocol::connection_lost), exactly once, last; the [`Failure`]
///    says why (`ConnectionDone` for a clean close).
///
/// A panic in any of these is caught: the connection is aborted with a
/// [`CallbackPanicked`](crate::error::CallbackPanicked) reason, logged with the peer's
/// address, and `connection_lost` is still called.
///
/// # Examples
///
/// ```
/// use torsion::{Cx, Protocol};
///
/// struct Echo;
///
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
/// ```
pub trait Protocol: Sized + 'static {
    /// The connection is open; `cx.transport()` may be written to from now on.
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let _ = cx;
    }

    /// Bytes arrived. `data` is only valid during the call; copy what must be kept.
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let _ = (cx, data);
    }

    /// The peer closed its side for writing (EOF). The default closes the connection once
    /// the write buffer is flushed; override it, and keep writing, to support half-closed
    /// connections (Twisted's `IHalfCloseableProtocol`).
    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        cx.transport().lose_connection();
    }

    /// Our side was shut down for writing by
    /// [`lose_write_connection`](Transport::lose_write_connection), after the buffer
    /// flushed. Reading goes on.
    fn write_connection_lost(&mut self, cx: &mut Cx<Self>) {
        let _ = cx;
    }

    /// The connection is closed; called once, last. Timers scheduled with
    /// [`Cx::call_later`] are cancelled right after this returns.
    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}

/// What a protocol may use while it is called: its transport and its own timers.
///
/// A `Cx` lives as long as its connection's protocol.
pub struct Cx<P: Protocol> {
    transport: Transport,
    scheduler: Scheduler,
    me: Weak<RefCell<Driver<P>>>,
    timers: Vec<DelayedCall>,
}

impl<P: Protocol> Cx<P> {
    /// This connection's transport. Clone it to keep it (another protocol may write to it).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The clock this connection's timers run on.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// The current time, in the seconds of this connection's clock.
    pub fn seconds(&self) -> f64 {
        self.scheduler.seconds()
    }

    /// Schedules `f` to be called back into this protocol `delay` from now, with
    /// `&mut self` and this `Cx` (Twisted's `reactor.callLater(5, self.say_hello)`).
    ///
    /// The call is cancelled automatically when the connection is lost: it never runs
    /// after [`Protocol::connection_lost`]. A panic inside `f` aborts this connection.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::{Cx, Protocol};
    ///
    /// struct Greeter;
    ///
    /// impl Greeter {
    ///     fn say_hello(&mut self, cx: &mut Cx<Self>) {
    ///         cx.transport().write(b"hello\n");
    ///     }
    /// }
    ///
    /// impl Protocol for Greeter {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         cx.call_later(Duration::from_secs(5), Self::say_hello);
    ///     }
    /// }
    /// ```
    pub fn call_later<F>(&mut self, delay: Duration, f: F) -> DelayedCall
    where
        F: FnOnce(&mut P, &mut Cx<P>) + 'static,
    {
        let me = self.me.clone();
        let call = self.scheduler.call_later(delay, move || {
            if let Some(driver) = me.upgrade() {
                Driver::fire_timer(&driver, f);
            }
        });
        self.timers.retain(DelayedCall::active);
        self.timers.push(call.clone());
        call
    }

    fn cancel_timers(&mut self) {
        for call in self.timers.drain(..) {
            let _ = call.cancel();
        }
    }
}

impl<P: Protocol> fmt::Debug for Cx<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cx")
            .field("transport", &self.transport)
            .finish()
    }
}

/// A protocol and its context: what the reactor (or a test harness) drives.
pub(crate) struct Driver<P: Protocol> {
    pub(crate) protocol: P,
    cx: Cx<P>,
}

impl<P: Protocol> Driver<P> {
    pub(crate) fn new(
        protocol: P,
        transport: Transport,
        scheduler: Scheduler,
    ) -> Rc<RefCell<Driver<P>>> {
        Rc::new_cyclic(|me| {
            RefCell::new(Driver {
                protocol,
                cx: Cx {
                    transport,
                    scheduler,
                    me: me.clone(),
                    timers: Vec::new(),
                },
            })
        })
    }

    fn fire_timer<F>(this: &Rc<RefCell<Driver<P>>>, f: F)
    where
        F: FnOnce(&mut P, &mut Cx<P>),
    {
        let result = match this.try_borrow_mut() {
            Ok(mut d) => {
                let Driver { protocol, cx } = &mut *d;
                if !cx.transport.connected() {
                    return;
                }
                catch_unwind(AssertUnwindSafe(|| f(protocol, cx)))
            }
            Err(_) => {
                tracing::error!("a connection timer fired while its protocol was busy; skipped");
                return;
            }
        };
        if let Err(payload) = result {
            let transport = this.borrow().cx.transport.clone();
            transport.abort_for_panic(Failure::from_panic("call_later", payload));
        }
    }
}

/// The reactor's view of a connection's protocol, whatever its type.
///
/// Each call catches panics and reports them as `Err`, so the caller can abort the
/// connection. None may be called while another is running for the same protocol.
pub(crate) trait ProtocolDriver {
    fn connection_made(&self) -> Result<(), Failure>;
    fn data_received(&self, data: &[u8]) -> Result<(), Failure>;
    fn read_connection_lost(&self) -> Result<(), Failure>;
    fn write_connection_lost(&self) -> Result<(), Failure>;
    /// Calls `connection_lost` and cancels the connection's timers; a panic is logged.
    fn connection_lost(&self, reason: &Failure);
}

/// The protocol of a connection that has none: still connecting, or closed. Every call
/// does nothing.
pub(crate) struct NoProtocol;

impl ProtocolDriver for NoProtocol {
    fn connection_made(&self) -> Result<(), Failure> {
        Ok(())
    }

    fn data_received(&self, _data: &[u8]) -> Result<(), Failure> {
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
    cell: &RefCell<Driver<P>>,
    name: &'static str,
    f: impl FnOnce(&mut P, &mut Cx<P>),
) -> Result<(), Failure> {
    let Ok(mut d) = cell.try_borrow_mut() else {
        reentered(name);
        return Ok(());
    };
    let Driver { protocol, cx } = &mut *d;
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

impl<P: Protocol> ProtocolDriver for Rc<RefCell<Driver<P>>> {
    fn connection_made(&self) -> Result<(), Failure> {
        call(self, "connection_made", |p, cx| p.connection_made(cx))
    }

    fn data_received(&self, data: &[u8]) -> Result<(), Failure> {
        call(self, "data_received", |p, cx| p.data_received(cx, data))
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
        if let Ok(mut d) = self.try_borrow_mut() {
            d.cx.cancel_timers();
        }
    }
}
