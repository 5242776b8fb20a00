//! [`LimitTotalConnections`]: refuses connections beyond a total (Twisted's
//! `policies.LimitTotalConnectionsFactory`).

use super::factory::WrappingFactory;
use super::policy::PolicyFactory;
use crate::Address;

/// Refuses a connection while `limit` connections of its factory are open; the others
/// pass unchanged.
///
/// # Examples
///
/// ```
/// use torsion::protocols::policies::{LimitTotalConnections, LimitTotalConnectionsFactory};
/// use torsion::{Address, Cx, Factory, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {}
///
/// let mut factory = LimitTotalConnectionsFactory::new(|_| Some(Echo), LimitTotalConnections::new(1));
/// let first = factory.build_protocol(Address::Pipe);
/// assert!(first.is_some());
/// assert!(factory.build_protocol(Address::Pipe).is_none(), "one is the limit");
/// drop(first);
/// assert!(factory.build_protocol(Address::Pipe).is_some());
/// ```
#[derive(Debug, Clone)]
pub struct LimitTotalConnections {
    limit: usize,
}

/// A factory that refuses connections beyond a total.
pub type LimitTotalConnectionsFactory<F> = WrappingFactory<F, LimitTotalConnections>;

impl LimitTotalConnections {
    /// At most `limit` connections open at once.
    pub fn new(limit: usize) -> LimitTotalConnections {
        LimitTotalConnections { limit }
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl PolicyFactory for LimitTotalConnections {
    type Policy = ();

    fn build_policy(&mut self, _addr: &Address, live: usize) -> Option<()> {
        (live < self.limit).then_some(())
    }
}
