//! [`Cx`]: what a protocol may use while it is called, and how its timers find it again.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::bound::{BoundProtocol, DynProtocol};
use super::Protocol;
use crate::time::{DelayedCall, ReactorTime, Scheduler};
use crate::transport::unsupported;
use crate::{Failure, Transport};

/// What a protocol may use while it is called: its transport and its own timers.
///
/// A `Cx` lives as long as its connection's protocol. A protocol hosted by another (see
/// [`Hosted`](crate::Hosted)) has a `Cx` of its own, whose transport is whatever its host
/// presents and whose timers call back into the hosted protocol.
pub struct Cx<P: Protocol> {
    transport: Transport,
    scheduler: Scheduler,
    route: Route<P>,
    timers: Vec<DelayedCall>,
}

/// How a timer finds its protocol again: through the connection's protocol cell, or
/// through the protocol that hosts it.
pub(crate) enum Route<P: Protocol> {
    /// The connection's own protocol.
    Root(Weak<RefCell<BoundProtocol<P>>>),
    /// A protocol hosted by another; the call goes through the host (a dynamic call, paid
    /// only when a timer fires).
    Hosted(Rc<dyn Reenter<P>>),
}

impl<P: Protocol> Clone for Route<P> {
    fn clone(&self) -> Self {
        match self {
            Route::Root(me) => Route::Root(me.clone()),
            Route::Hosted(host) => Route::Hosted(host.clone()),
        }
    }
}

/// Calls back into a hosted protocol with its context.
pub(crate) trait Reenter<P: Protocol> {
    /// Runs `f` on the protocol unless its connection is gone or it is busy.
    fn reenter(&self, f: &mut dyn FnMut(&mut P, &mut Cx<P>));
}

impl<P: Protocol> Route<P> {
    /// Runs `f` on the protocol this route leads to, with panics caught at the connection's
    /// protocol: a panic aborts the connection.
    pub(crate) fn reenter(&self, f: &mut dyn FnMut(&mut P, &mut Cx<P>)) {
        match self {
            Route::Root(me) => {
                if let Some(cell) = me.upgrade() {
                    fire_root(&cell, f);
                }
            }
            Route::Hosted(host) => host.reenter(f),
        }
    }
}

fn fire_root<P: Protocol>(cell: &RefCell<BoundProtocol<P>>, f: &mut dyn FnMut(&mut P, &mut Cx<P>)) {
    let result = match cell.try_borrow_mut() {
        Ok(mut bound) => {
            let (protocol, cx) = bound.parts();
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
        let transport = cell.borrow_mut().parts().1.transport.clone();
        transport.abort_for_panic(Failure::from_panic("call_later", payload));
    }
}

impl<P: Protocol> Cx<P> {
    pub(crate) fn new(transport: Transport, scheduler: Scheduler, route: Route<P>) -> Cx<P> {
        Cx {
            transport,
            scheduler,
            route,
            timers: Vec::new(),
        }
    }

    /// This connection's transport. Clone it to keep it (another protocol may write to it).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// A handle to this protocol for code outside its callbacks (a Deferred's callback, a
    /// task): see [`ProtocolHandle`](super::ProtocolHandle).
    pub fn handle(&self) -> super::ProtocolHandle<P> {
        super::ProtocolHandle::new(self.route.clone(), self.transport.clone())
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
    /// A hosted protocol's calls reach it through its host, and die with its `Cx`.
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
        let route = self.route.clone();
        let call = self.scheduler.call_later(delay, move || {
            let mut f = Some(f);
            route.reenter(&mut |protocol, cx| {
                if let Some(f) = f.take() {
                    f(protocol, cx);
                }
            });
        });
        self.timers.retain(DelayedCall::active);
        self.timers.push(call.clone());
        call
    }

    /// Replaces this connection's protocol with `next` once the current callback returns
    /// (HTTP's `Upgrade`, a protocol that hands the connection to a raw mode).
    ///
    /// This protocol's timers are cancelled at once and no byte reaches it after the
    /// current callback; it is dropped without `connection_lost` (the connection goes on).
    /// `next` gets `connection_made`, then `unprocessed` (the bytes this protocol received
    /// but leaves to `next`) as one `data_received`, then whatever arrives later.
    ///
    /// # Errors
    ///
    /// `Unsupported` on a transport that is not one of the reactor's connections (a test
    /// transport, the transport a wrapper presents: a wrapper switches its hosted protocol
    /// itself); `NotConnected` once the connection is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Cx, Protocol};
    ///
    /// struct Raw;
    /// impl Protocol for Raw {
    ///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
    ///         cx.transport().write(data);
    ///     }
    /// }
    ///
    /// /// Waits for "UPGRADE\n", then echoes everything after it.
    /// struct Greeting;
    /// impl Protocol for Greeting {
    ///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
    ///         if let Some(rest) = data.strip_prefix(b"UPGRADE\n") {
    ///             if let Err(err) = cx.switch_protocol(Raw, rest) {
    ///                 eprintln!("cannot switch: {err}");
    ///             }
    ///         }
    ///     }
    /// }
    /// ```
    pub fn switch_protocol<Q: Protocol>(&mut self, next: Q, unprocessed: &[u8]) -> io::Result<()> {
        let Some(stream) = self.transport.as_stream() else {
            return Err(unsupported("switching protocols"));
        };
        let build = Box::new(move |transport: Transport, scheduler: Scheduler| {
            Box::new(BoundProtocol::new(next, transport, scheduler)) as Box<dyn DynProtocol>
        });
        stream.switch_protocol(build, unprocessed.to_vec())?;
        self.cancel_timers();
        Ok(())
    }

    /// A context for a protocol hosted by this one: its transport is `transport`, its
    /// timers come back through `route`.
    pub(crate) fn hosted<U: Protocol>(&self, transport: Transport, route: Route<U>) -> Cx<U> {
        Cx::new(transport, self.scheduler.clone(), route)
    }

    pub(crate) fn route(&self) -> &Route<P> {
        &self.route
    }

    pub(crate) fn cancel_timers(&mut self) {
        for call in self.timers.drain(..) {
            let _ = call.cancel();
        }
    }
}

impl<P: Protocol> Drop for Cx<P> {
    /// A context's timers die with it: a hosted protocol dropped by its host, or a
    /// protocol switched away, never hears from them again.
    fn drop(&mut self) {
        self.cancel_timers();
    }
}

impl<P: Protocol> fmt::Debug for Cx<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cx")
            .field("transport", &self.transport)
            .finish()
    }
}
