//! [`TrafficLogging`]: logs each connection's traffic under a number of its own (Twisted's
//! `policies.TrafficLoggingFactory`).

use std::borrow::Cow;

use super::factory::WrappingFactory;
use super::policy::{Link, Policy, PolicyFactory};
use super::sink::LogSink;
use crate::{Address, Failure};

/// Numbers connections from 1 and logs, for each, one line per event:
/// `N open PEER`, `N in: "BYTES"` (received), `N out: "BYTES"` (written by the hosted
/// protocol), `N close` (the hosted protocol closed), `N lost: REASON`. Bytes are shown
/// with non-printable ones escaped.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use torsion::protocols::policies::{LogSink, TrafficLogging, TrafficLoggingFactory};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Address, Cx, Factory, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let log = Rc::new(RefCell::new(Vec::<u8>::new()));
/// let mut factory =
///     TrafficLoggingFactory::new(|_| Some(Echo), TrafficLogging::new(LogSink::writer(log.clone())));
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(factory.build_protocol(Address::Pipe).unwrap(), &st, &Clock::new())?;
/// h.data_received(b"hi\n")?;
/// let log = String::from_utf8(log.borrow().clone()).unwrap();
/// assert_eq!(log, "1 open 127.0.0.1:54321\n1 in: \"hi\\n\"\n1 out: \"hi\\n\"\n");
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TrafficLogging {
    sink: LogSink,
    /// The number of the last connection built.
    last: u64,
}

/// A factory that logs each connection's traffic.
pub type TrafficLoggingFactory<F> = WrappingFactory<F, TrafficLogging>;

/// The logging policy of one connection.
#[derive(Debug)]
pub struct TrafficLog {
    number: u64,
    sink: LogSink,
}

impl TrafficLogging {
    /// Logs to `sink`.
    pub fn new(sink: LogSink) -> TrafficLogging {
        TrafficLogging { sink, last: 0 }
    }
}

impl PolicyFactory for TrafficLogging {
    type Policy = TrafficLog;

    fn build_policy(&mut self, _addr: &Address, _live: usize) -> Option<TrafficLog> {
        self.last += 1;
        Some(TrafficLog {
            number: self.last,
            sink: self.sink.clone(),
        })
    }
}

impl TrafficLog {
    /// This connection's number.
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl Policy for TrafficLog {
    fn on_connection_made(&mut self, link: &Link) {
        let n = self.number;
        self.sink
            .line(format_args!("{n} open {}", link.below().get_peer()));
    }

    fn on_data_in<'d>(&mut self, _link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        let n = self.number;
        self.sink
            .line(format_args!("{n} in: \"{}\"", data.escape_ascii()));
        Cow::Borrowed(data)
    }

    fn on_write(&mut self, link: &Link, data: &[u8]) {
        let n = self.number;
        self.sink
            .line(format_args!("{n} out: \"{}\"", data.escape_ascii()));
        link.below().write(data);
    }

    fn on_lose_connection(&mut self, link: &Link) {
        self.sink.line(format_args!("{} close", self.number));
        link.below().lose_connection();
    }

    fn on_connection_lost(&mut self, _link: &Link, reason: &Failure) {
        self.sink
            .line(format_args!("{} lost: {reason}", self.number));
    }
}
