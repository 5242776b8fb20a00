//! [`DatagramProtocol`] (Twisted's `DatagramProtocol`) and [`DatagramCx`], what it may use
//! while it is called.

use std::cell::RefCell;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};
use std::time::Duration;

use super::DatagramTransport;
use crate::time::{DelayedCall, ReactorTime, Scheduler};
use crate::{Address, Failure};

/// The callbacks of a datagram port: UDP, multicast or UNIX datagram (Twisted's
/// `DatagramProtocol`).
///
/// Every callback runs on the reactor's thread, one at a time, never inside another. A
/// panic in one is caught and logged: in
/// [`datagram_received`](DatagramProtocol::datagram_received) it loses only that datagram
/// and the port goes on reading.
///
/// # Examples
///
/// An echo: each datagram goes back to its sender.
///
/// ```
/// use torsion::{Address, DatagramCx, DatagramProtocol};
///
/// struct Echo;
///
/// impl DatagramProtocol for Echo {
///     fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
///         if let Err(failure) = cx.transport().write(data, from) {
///             eprintln!("echo not sent: {failure}");
///         }
///     }
/// }
/// ```
pub trait DatagramProtocol: Sized + 'static {
    /// The port is bound and reading: called once, before any datagram, from inside the
    /// `listen_*` call that made the port.
    fn start_protocol(&mut self, cx: &mut DatagramCx<Self>) {
        let _ = cx;
    }

    /// The port stopped (by [`stop_listening`](DatagramTransport::stop_listening) or the
    /// reactor's shutdown): called once, last; the socket is already closed and this
    /// protocol's timers are cancelled.
    fn stop_protocol(&mut self, cx: &mut DatagramCx<Self>) {
        let _ = cx;
    }

    /// One datagram arrived from `from`, whole: `data` is never a cut datagram (one longer
    /// than the port's `max_packet_size` is logged and dropped instead).
    fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, data: &[u8], from: Address);

    /// On a connected port, the peer refused a datagram sent earlier (its port is closed:
    /// ICMP port unreachable, seen as ECONNREFUSED). Never called on an unconnected port.
    fn connection_refused(&mut self, cx: &mut DatagramCx<Self>) {
        let _ = cx;
    }
}

/// What a [`DatagramProtocol`] may use while it is called: its transport and its own
/// timers.
pub struct DatagramCx<P: DatagramProtocol> {
    transport: DatagramTransport,
    scheduler: Scheduler,
    me: Weak<RefCell<Bound<P>>>,
    timers: Vec<DelayedCall>,
}

impl<P: DatagramProtocol> DatagramCx<P> {
    /// The port's transport. Clone it to keep it.
    pub fn transport(&self) -> &DatagramTransport {
        &self.transport
    }

    /// The clock this port's timers run on.
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// The current time, in the seconds of this port's clock.
    pub fn seconds(&self) -> f64 {
        self.scheduler.seconds()
    }

    /// Schedules `f` to be called back into this protocol `delay` from now.
    ///
    /// The call is cancelled when the port stops: it never runs after
    /// [`stop_protocol`](DatagramProtocol::stop_protocol). A panic inside `f` is logged;
    /// the port goes on.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::{Address, DatagramCx, DatagramProtocol};
    ///
    /// /// Sends "ping" to its peer every second.
    /// struct Pinger;
    ///
    /// impl Pinger {
    ///     fn ping(&mut self, cx: &mut DatagramCx<Self>) {
    ///         let _ = cx.transport().write(b"ping", None);
    ///         cx.call_later(Duration::from_secs(1), Self::ping);
    ///     }
    /// }
    ///
    /// impl DatagramProtocol for Pinger {
    ///     fn start_protocol(&mut self, cx: &mut DatagramCx<Self>) {
    ///         cx.call_later(Duration::from_secs(1), Self::ping);
    ///     }
    ///     fn datagram_received(&mut self, _cx: &mut DatagramCx<Self>, _data: &[u8], _from: Address) {}
    /// }
    /// ```
    pub fn call_later<F>(&mut self, delay: Duration, f: F) -> DelayedCall
    where
        F: FnOnce(&mut P, &mut DatagramCx<P>) + 'static,
    {
        let me = self.me.clone();
        let call = self.scheduler.call_later(delay, move || {
            let Some(cell) = me.upgrade() else { return };
            let Ok(mut bound) = cell.try_borrow_mut() else {
                return tracing::error!("a datagram port's timer fired while it was busy; skipped");
            };
            if !bound.cx.transport.listening() {
                return;
            }
            let Bound { protocol, cx } = &mut *bound;
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(protocol, cx))) {
                let failure = Failure::from_panic("call_later", payload);
                tracing::error!(%failure, "a datagram port's timer panicked");
            }
        });
        self.timers.retain(DelayedCall::active);
        self.timers.push(call.clone());
        call
    }
}

impl<P: DatagramProtocol> fmt::Debug for DatagramCx<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramCx")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// A protocol with its context, as a port holds it.
pub(crate) struct Bound<P: DatagramProtocol> {
    protocol: P,
    cx: DatagramCx<P>,
}

/// A bound protocol with its type erased: what the port calls.
pub(crate) trait AnyDatagramProtocol {
    fn start(&mut self);
    /// Cancels the timers, then calls `stop_protocol`.
    fn stop(&mut self);
    fn received(&mut self, data: &[u8], from: Address);
    fn refused(&mut self);
}

impl<P: DatagramProtocol> AnyDatagramProtocol for Bound<P> {
    fn start(&mut self) {
        self.protocol.start_protocol(&mut self.cx);
    }

    fn stop(&mut self) {
        for timer in self.cx.timers.drain(..) {
            let _ = timer.cancel();
        }
        self.protocol.stop_protocol(&mut self.cx);
    }

    fn received(&mut self, data: &[u8], from: Address) {
        self.protocol.datagram_received(&mut self.cx, data, from);
    }

    fn refused(&mut self) {
        self.protocol.connection_refused(&mut self.cx);
    }
}

/// The protocol cell a port holds.
pub(crate) type SharedProtocol = Rc<RefCell<dyn AnyDatagramProtocol>>;

/// Binds `protocol` to `transport`, its timers on `scheduler`.
pub(crate) fn bind<P: DatagramProtocol>(
    protocol: P,
    transport: DatagramTransport,
    scheduler: Scheduler,
) -> SharedProtocol {
    Rc::new_cyclic(|me| {
        RefCell::new(Bound {
            protocol,
            cx: DatagramCx {
                transport,
                scheduler,
                me: me.clone(),
                timers: Vec::new(),
            },
        })
    })
}

/// Calls `f` on the protocol, catching a panic: it is logged under `callback` and only
/// that call is lost. A protocol already busy (a call from inside its own callback) is
/// skipped with a log line.
pub(crate) fn call_protocol(
    protocol: &SharedProtocol,
    callback: &'static str,
    f: impl FnOnce(&mut dyn AnyDatagramProtocol),
) {
    let Ok(mut bound) = protocol.try_borrow_mut() else {
        return tracing::error!(callback, "datagram protocol busy; call skipped");
    };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(&mut *bound))) {
        let failure = Failure::from_panic(callback, payload);
        tracing::error!(%failure, "datagram protocol callback panicked");
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use socket2::{Domain, Socket, Type};

    use super::*;
    use crate::slab::Key;
    use crate::time::Clock;
    use crate::udp::sockaddr::to_address;
    use crate::udp::transport::PortState;

    /// A transport over a real, unpolled socket: timers need no reactor.
    fn transport() -> DatagramTransport {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
        socket
            .bind(
                &"127.0.0.1:0"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            )
            .unwrap();
        let host = to_address(&socket.local_addr().unwrap());
        let key = Key {
            index: 0,
            generation: 0,
        };
        let state = PortState::new(Weak::new(), key, socket, host, None, None);
        DatagramTransport::new(Rc::new(state))
    }

    /// Adds 1 after a second and 100 after five; panics after two when `panicky`.
    struct Ticks {
        total: Rc<Cell<u32>>,
        panicky: bool,
    }

    impl DatagramProtocol for Ticks {
        fn start_protocol(&mut self, cx: &mut DatagramCx<Self>) {
            cx.call_later(Duration::from_secs(1), |me, _| {
                me.total.set(me.total.get() + 1)
            });
            if self.panicky {
                cx.call_later(Duration::from_secs(2), |_, _| panic!("timer bug"));
            }
            cx.call_later(Duration::from_secs(5), |me, _| {
                me.total.set(me.total.get() + 100)
            });
        }

        fn datagram_received(&mut self, _: &mut DatagramCx<Self>, _: &[u8], _: Address) {}
    }

    fn started(clock: &Clock, panicky: bool) -> (SharedProtocol, Rc<Cell<u32>>) {
        let total = Rc::new(Cell::new(0));
        let ticks = Ticks {
            total: total.clone(),
            panicky,
        };
        let protocol = bind(ticks, transport(), clock.scheduler());
        call_protocol(&protocol, "start_protocol", |p| p.start());
        (protocol, total)
    }

    #[test]
    fn timers_call_back_into_the_protocol_and_die_with_the_port() {
        let clock = Clock::new();
        let (protocol, total) = started(&clock, false);
        clock.advance(Duration::from_secs(1));
        assert_eq!(total.get(), 1);
        call_protocol(&protocol, "stop_protocol", |p| p.stop());
        clock.advance(Duration::from_secs(10));
        assert_eq!(
            total.get(),
            1,
            "the five-second timer was cancelled by the stop"
        );
        assert!(clock.get_delayed_calls().is_empty());
    }

    #[test]
    fn a_panicking_timer_loses_only_itself() {
        let clock = Clock::new();
        let (_protocol, total) = started(&clock, true);
        clock.advance(Duration::from_secs(10));
        assert_eq!(total.get(), 101, "the other timers ran");
    }
}
