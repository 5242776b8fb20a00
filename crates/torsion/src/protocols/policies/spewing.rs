//! [`Spewing`]: a debugging policy that shows every byte in and out (Twisted's
//! `policies.SpewingFactory`).

use std::borrow::Cow;

use super::factory::WrappingFactory;
use super::policy::{Link, Policy, PolicyFactory};
use super::sink::LogSink;
use crate::Address;

/// Shows each chunk received as a line `< "BYTES"` and each chunk written by the hosted
/// protocol as `> "BYTES"`, non-printable bytes escaped. The same value is the factory
/// side and the per-connection policy.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use torsion::protocols::policies::{LogSink, ProtocolWrapper, Spewing};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let out = Rc::new(RefCell::new(Vec::<u8>::new()));
/// let spew = Spewing::new(LogSink::writer(out.clone()));
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(ProtocolWrapper::new(Echo, spew), &st, &Clock::new())?;
/// h.data_received(b"ok")?;
/// assert_eq!(out.borrow().as_slice(), b"< \"ok\"\n> \"ok\"\n");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Spewing {
    sink: LogSink,
}

/// A factory that shows every byte its protocols receive and write.
pub type SpewingFactory<F> = WrappingFactory<F, Spewing>;

impl Spewing {
    /// Shows the bytes on `sink`.
    pub fn new(sink: LogSink) -> Spewing {
        Spewing { sink }
    }
}

impl PolicyFactory for Spewing {
    type Policy = Spewing;

    fn build_policy(&mut self, _addr: &Address, _live: usize) -> Option<Spewing> {
        Some(self.clone())
    }
}

impl Policy for Spewing {
    fn on_data_in<'d>(&mut self, _link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        self.sink
            .line(format_args!("< \"{}\"", data.escape_ascii()));
        Cow::Borrowed(data)
    }

    fn on_write(&mut self, link: &Link, data: &[u8]) {
        self.sink
            .line(format_args!("> \"{}\"", data.escape_ascii()));
        link.below().write(data);
    }
}
