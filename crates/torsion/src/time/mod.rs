//! Time: scheduling calls, cancelling them, and a clock tests can drive.

mod clock;
mod delayed_call;
mod looping_call;
pub(crate) mod scheduler;

pub use clock::Clock;
pub use delayed_call::DelayedCall;
pub use looping_call::LoopingCall;
pub use scheduler::{ReactorTime, Scheduler};
