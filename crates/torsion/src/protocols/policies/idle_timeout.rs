//! [`IdleTimeout`] and [`TimesOut`]: an idle timeout any protocol can embed (Twisted's
//! `policies.TimeoutMixin`).

use std::time::Duration;

use crate::{Cx, DelayedCall, Protocol};

/// A protocol with an [`IdleTimeout`]: says where it keeps it and what to do when it
/// fires.
pub trait TimesOut: Protocol {
    /// The protocol's idle timeout.
    fn idle_timeout(&mut self) -> &mut IdleTimeout;

    /// The connection was idle for the whole timeout. Default: closes it with
    /// `lose_connection`.
    fn timeout_connection(&mut self, cx: &mut Cx<Self>) {
        cx.transport().lose_connection();
    }
}

/// An idle timeout a protocol keeps in a field: once set, if
/// [`reset_timeout`](IdleTimeout::reset_timeout) is not called for the whole timeout, the
/// protocol's [`TimesOut::timeout_connection`] runs, once.
///
/// The timer is one of the protocol's own ([`Cx::call_later`]), so it never fires after
/// `connection_lost`, and runs on whatever clock the connection has (a test's fake one
/// included).
///
/// # Examples
///
/// A protocol that closes a connection silent for 30 seconds:
///
/// ```
/// use std::time::Duration;
/// use torsion::protocols::policies::{IdleTimeout, TimesOut};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol};
///
/// #[derive(Default)]
/// struct Patient {
///     timeout: IdleTimeout,
/// }
///
/// impl TimesOut for Patient {
///     fn idle_timeout(&mut self) -> &mut IdleTimeout {
///         &mut self.timeout
///     }
/// }
///
/// impl Protocol for Patient {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         self.timeout.set_timeout(cx, Some(Duration::from_secs(30)));
///     }
///     fn data_received(&mut self, _cx: &mut Cx<Self>, _data: &[u8]) {
///         self.timeout.reset_timeout();
///     }
/// }
///
/// let (st, clock) = (StringTransport::new(), Clock::new());
/// let h = ProtocolHarness::connect(Patient::default(), &st, &clock)?;
/// clock.advance(Duration::from_secs(20));
/// h.data_received(b"still here")?;
/// clock.advance(Duration::from_secs(20));
/// assert!(!st.disconnecting());
/// clock.advance(Duration::from_secs(10));
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Default)]
pub struct IdleTimeout {
    timeout: Option<Duration>,
    call: Option<DelayedCall>,
}

impl IdleTimeout {
    /// No timeout set.
    pub fn new() -> IdleTimeout {
        IdleTimeout::default()
    }

    /// Sets the timeout to `timeout` from now (`None` turns it off) and returns the
    /// previous one. A pending timer is moved, or cancelled; a new one is started.
    pub fn set_timeout<P: TimesOut>(
        &mut self,
        cx: &mut Cx<P>,
        timeout: Option<Duration>,
    ) -> Option<Duration> {
        let previous = std::mem::replace(&mut self.timeout, timeout);
        let pending = self.call.take().filter(DelayedCall::active);
        match (pending, timeout) {
            (Some(call), Some(delay)) => {
                let _ = call.reset(delay);
                self.call = Some(call);
            }
            (Some(call), None) => {
                let _ = call.cancel();
            }
            (None, Some(delay)) => {
                self.call = Some(cx.call_later(delay, fire::<P>));
            }
            (None, None) => {}
        }
        previous
    }

    /// There was activity: the timeout starts again from now. Does nothing if no timeout
    /// is set or it already fired.
    pub fn reset_timeout(&mut self) {
        if let (Some(call), Some(delay)) = (&self.call, self.timeout) {
            if call.active() {
                let _ = call.reset(delay);
            }
        }
    }

    /// Turns the timeout off and cancels a pending timer (as `set_timeout(cx, None)`,
    /// without a context).
    pub fn cancel_timeout(&mut self) {
        self.timeout = None;
        if let Some(call) = self.call.take() {
            let _ = call.cancel();
        }
    }

    /// The timeout set, if any.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether the timer is pending.
    pub fn pending(&self) -> bool {
        self.call.as_ref().is_some_and(DelayedCall::active)
    }
}

/// The timer's callback: the timeout is spent, then the protocol hears of it.
fn fire<P: TimesOut>(protocol: &mut P, cx: &mut Cx<P>) {
    protocol.idle_timeout().call = None;
    protocol.timeout_connection(cx);
}
