//! Protocol wrappers that apply a policy to any protocol (Twisted's
//! `twisted.protocols.policies`).
//!
//! A [`ProtocolWrapper`] hosts a protocol and passes everything between it and the
//! connection through a [`Policy`]; a [`WrappingFactory`] wraps every protocol another
//! factory builds, with a policy per connection from a [`PolicyFactory`], and counts the
//! connections that are open. The ready-made policies:
//!
//! | Twisted | here |
//! |---|---|
//! | `WrappingFactory`, `ProtocolWrapper` | [`WrappingFactory::new(factory, ())`](WrappingFactory), [`ProtocolWrapper`] |
//! | `ThrottlingFactory` | [`ThrottlingFactory`] with [`Throttling`] |
//! | `LimitTotalConnectionsFactory` | [`LimitTotalConnectionsFactory`] with [`LimitTotalConnections`] |
//! | `LimitConnectionsByPeer` | [`LimitConnectionsByPeerFactory`] with [`LimitConnectionsByPeer`] |
//! | `TimeoutFactory` | [`TimeoutFactory`] with [`IdleClose`] |
//! | `TimeoutMixin` | [`IdleTimeout`] in a field, and [`TimesOut`] |
//! | `TrafficLoggingFactory` | [`TrafficLoggingFactory`] with [`TrafficLogging`] |
//! | `SpewingFactory` | [`SpewingFactory`] with [`Spewing`] |
//!
//! Every wrapping factory is a [`Factory`](crate::Factory) over any other, so they stack:
//!
//! ```
//! use std::time::Duration;
//! use torsion::protocols::policies::{
//!     LimitTotalConnections, LimitTotalConnectionsFactory, LogSink, Throttling,
//!     ThrottlingFactory, TrafficLogging, TrafficLoggingFactory,
//! };
//! use torsion::testing::Clock;
//! use torsion::{Cx, Protocol};
//!
//! struct Echo;
//! impl Protocol for Echo {
//!     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
//!         cx.transport().write(data);
//!     }
//! }
//!
//! let clock = Clock::new();
//! let limited = LimitTotalConnectionsFactory::new(|_| Some(Echo), LimitTotalConnections::new(100));
//! let throttled = ThrottlingFactory::new(limited, Throttling::new(&clock).read_limit(1 << 20));
//! let logged = TrafficLoggingFactory::new(throttled, TrafficLogging::new(LogSink::tracing()));
//! # let _ = logged;
//! ```

mod factory;
mod idle_timeout;
mod limit_by_peer;
mod limit_total;
mod live;
mod policy;
mod sink;
mod spewing;
mod throttling;
mod timeout;
mod traffic_logging;
mod wrapper;

#[cfg(test)]
mod tests;

pub use factory::WrappingFactory;
pub use idle_timeout::{IdleTimeout, TimesOut};
pub use limit_by_peer::{LimitConnectionsByPeer, LimitConnectionsByPeerFactory, PeerSlot};
pub use limit_total::{LimitTotalConnections, LimitTotalConnectionsFactory};
pub use policy::{Link, Policy, PolicyFactory};
pub use sink::LogSink;
pub use spewing::{Spewing, SpewingFactory};
pub use throttling::{Throttled, Throttling, ThrottlingFactory};
pub use timeout::{IdleClose, TimeoutFactory};
pub use traffic_logging::{TrafficLog, TrafficLogging, TrafficLoggingFactory};
pub use wrapper::ProtocolWrapper;
