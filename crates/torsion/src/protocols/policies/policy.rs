//! [`Policy`]: what a [`ProtocolWrapper`](super::ProtocolWrapper) does with the traffic of
//! the protocol it hosts, and [`PolicyFactory`]: what builds one policy per connection.

use std::borrow::Cow;

use crate::time::Scheduler;
use crate::{Address, Failure, Transport};

/// What a policy works with: the transport below the wrapper (the real connection, or
/// the transport of an outer wrapper) and the connection's clock.
#[derive(Debug, Clone)]
pub struct Link {
    below: Transport,
    scheduler: Scheduler,
}

impl Link {
    pub(super) fn new(below: Transport, scheduler: Scheduler) -> Link {
        Link { below, scheduler }
    }

    /// The transport under the wrapper: what the hosted protocol's writes reach once the
    /// policy lets them through.
    pub fn below(&self) -> &Transport {
        &self.below
    }

    /// The clock of the connection (the reactor's, or a test's fake clock).
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }
}

/// The per-connection behaviour of a [`ProtocolWrapper`](super::ProtocolWrapper): it sees,
/// and may change, everything that passes between the connection and the hosted protocol.
///
/// Every method has a default that lets traffic through unchanged, so a policy overrides
/// only what it cares about. The calls come in the order of the connection's life:
/// [`on_connection_made`](Policy::on_connection_made) once, before the hosted protocol's
/// `connection_made`; then [`on_data_in`](Policy::on_data_in) for each `data_received`,
/// before the hosted protocol sees the bytes; [`on_write`](Policy::on_write) and
/// [`on_lose_connection`](Policy::on_lose_connection) when the hosted protocol writes or
/// closes through its transport; and [`on_connection_lost`](Policy::on_connection_lost)
/// once, after the hosted protocol's `connection_lost`.
///
/// A policy must not write to the wrapper's own transport from these methods (it has no
/// handle to it): it talks to [`Link::below`].
///
/// # Examples
///
/// A policy that upper-cases what the hosted protocol writes:
///
/// ```
/// use torsion::protocols::policies::{Link, Policy, ProtocolWrapper};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol};
///
/// struct Shout;
/// impl Policy for Shout {
///     fn on_write(&mut self, link: &Link, data: &[u8]) {
///         link.below().write(data.to_ascii_uppercase());
///     }
/// }
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(ProtocolWrapper::new(Echo, Shout), &st, &Clock::new())?;
/// h.data_received(b"hi")?;
/// assert_eq!(st.value(), b"HI");
/// # Ok::<(), torsion::Failure>(())
/// ```
pub trait Policy: 'static {
    /// The connection is open, before the hosted protocol hears of it.
    fn on_connection_made(&mut self, link: &Link) {
        let _ = link;
    }

    /// Bytes arrived; what is returned is what the hosted protocol receives (nothing is
    /// delivered if it is empty). Default: `data` unchanged.
    fn on_data_in<'d>(&mut self, link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        let _ = link;
        Cow::Borrowed(data)
    }

    /// The hosted protocol wrote `data`. The policy passes it on (or not, or changed) to
    /// [`Link::below`]. Default: writes it below unchanged.
    fn on_write(&mut self, link: &Link, data: &[u8]) {
        link.below().write(data);
    }

    /// The hosted protocol asked to close the connection. Default: closes it below.
    fn on_lose_connection(&mut self, link: &Link) {
        link.below().lose_connection();
    }

    /// The connection is closed; called after the hosted protocol's `connection_lost`.
    fn on_connection_lost(&mut self, link: &Link, reason: &Failure) {
        let _ = (link, reason);
    }
}

/// The policy that changes nothing: a wrapper with it is Twisted's plain
/// `ProtocolWrapper`.
impl Policy for () {}

/// Builds a [`Policy`] for each connection a [`WrappingFactory`](super::WrappingFactory)
/// accepts, and may refuse the connection.
pub trait PolicyFactory: 'static {
    /// The per-connection policy.
    type Policy: Policy;

    /// A policy for a connection from `addr`, or `None` to refuse it. `live` is the number
    /// of connections the wrapping factory has open now, not counting this one.
    fn build_policy(&mut self, addr: &Address, live: usize) -> Option<Self::Policy>;

    /// The port started listening (before the wrapped factory's `do_start`).
    fn do_start(&mut self) {}

    /// The port stopped listening (after the wrapped factory's `do_stop`).
    fn do_stop(&mut self) {}
}

/// Builds the policy that changes nothing, for every connection.
impl PolicyFactory for () {
    type Policy = ();

    fn build_policy(&mut self, _addr: &Address, _live: usize) -> Option<()> {
        Some(())
    }
}
