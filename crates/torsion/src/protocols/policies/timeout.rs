//! [`IdleClose`]: a policy that closes connections idle for too long (Twisted's
//! `policies.TimeoutFactory`).

use std::borrow::Cow;
use std::time::Duration;

use super::factory::WrappingFactory;
use super::policy::{Link, Policy, PolicyFactory};
use crate::{Address, DelayedCall, Failure, ReactorTime};

/// Closes a connection (`lose_connection`) once nothing was received or written for
/// `timeout`. The same value is the factory side and the per-connection policy.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use torsion::protocols::policies::{IdleClose, TimeoutFactory};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Address, Factory, Protocol};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let mut factory = TimeoutFactory::new(|_| Some(Quiet), IdleClose::new(Duration::from_secs(5)));
/// let (st, clock) = (StringTransport::new(), Clock::new());
/// let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &clock)?;
/// clock.advance(Duration::from_secs(4));
/// h.data_received(b"x")?;
/// clock.advance(Duration::from_secs(4));
/// assert!(!st.disconnecting());
/// clock.advance(Duration::from_secs(1));
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug)]
pub struct IdleClose {
    timeout: Duration,
    /// The connection's timer, once connected.
    call: Option<DelayedCall>,
}

/// A factory whose connections close when idle.
pub type TimeoutFactory<F> = WrappingFactory<F, IdleClose>;

impl IdleClose {
    /// Closes connections idle for `timeout`.
    pub fn new(timeout: Duration) -> IdleClose {
        IdleClose {
            timeout,
            call: None,
        }
    }

    /// The timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn activity(&self) {
        if let Some(call) = self.call.as_ref().filter(|c| c.active()) {
            let _ = call.reset(self.timeout);
        }
    }

    fn cancel(&mut self) {
        if let Some(call) = self.call.take() {
            let _ = call.cancel();
        }
    }
}

impl PolicyFactory for IdleClose {
    type Policy = IdleClose;

    fn build_policy(&mut self, _addr: &Address, _live: usize) -> Option<IdleClose> {
        Some(IdleClose::new(self.timeout))
    }
}

impl Policy for IdleClose {
    fn on_connection_made(&mut self, link: &Link) {
        let below = link.below().clone();
        self.call = Some(
            link.scheduler()
                .call_later(self.timeout, move || below.lose_connection()),
        );
    }

    fn on_data_in<'d>(&mut self, _link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        self.activity();
        Cow::Borrowed(data)
    }

    fn on_write(&mut self, link: &Link, data: &[u8]) {
        self.activity();
        link.below().write(data);
    }

    fn on_connection_lost(&mut self, _link: &Link, _reason: &Failure) {
        self.cancel();
    }
}

impl Drop for IdleClose {
    fn drop(&mut self) {
        self.cancel();
    }
}
