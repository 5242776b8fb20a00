//! [`StringCx`]: what a string receiver's callbacks may use.

use std::fmt;
use std::time::Duration;

use crate::{Cx, DelayedCall, Protocol, Transport};

/// A protocol that runs a receiver of the user's: the link [`StringCx::call_later`] needs
/// to find that receiver again. Implemented by this module's protocols only.
pub trait Host: Protocol {
    /// The user's type.
    type Receiver: 'static;

    /// The user's value.
    fn receiver_mut(&mut self) -> &mut Self::Receiver;
}

/// What a string receiver's callbacks may use while called: `send_string` (framed for the
/// protocol `P` that runs the receiver), the transport, the clock and timers.
///
/// Spelled [`NetstringCx`](super::NetstringCx) or [`IntNCx`](super::IntNCx) in
/// receivers' signatures.
pub struct StringCx<'a, P: Protocol> {
    cx: &'a mut Cx<P>,
}

impl<'a, P: Protocol> StringCx<'a, P> {
    /// Wraps the context of the protocol that runs the receiver.
    pub(super) fn new(cx: &'a mut Cx<P>) -> Self {
        StringCx { cx }
    }

    /// This connection's transport.
    pub fn transport(&self) -> &Transport {
        self.cx.transport()
    }

    /// The current time, in the seconds of this connection's clock.
    pub fn seconds(&self) -> f64 {
        self.cx.seconds()
    }
}

impl<P: Host> StringCx<'_, P> {
    /// Schedules `f` to be called back into the receiver `delay` from now, with a context
    /// like this one (Twisted's `reactor.callLater(5, self.say_hello)`).
    ///
    /// As [`Cx::call_later`]: the call never runs after the connection is lost, and a panic
    /// inside `f` aborts the connection.
    pub fn call_later<F>(&mut self, delay: Duration, f: F) -> DelayedCall
    where
        F: FnOnce(&mut P::Receiver, &mut StringCx<'_, P>) + 'static,
    {
        self.cx
            .call_later(delay, move |protocol: &mut P, cx: &mut Cx<P>| {
                f(protocol.receiver_mut(), &mut StringCx::new(cx));
            })
    }
}

impl<P: Protocol> fmt::Debug for StringCx<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringCx").field("cx", &self.cx).finish()
    }
}
