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
/// with non-printable ones escaped; with a [`length_limit`](TrafficLogging::length_limit),
/// a longer chunk shows its first bytes then `<... N more>`.
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
    limit: Option<usize>,
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
    limit: Option<usize>,
}

impl TrafficLogging {
    /// Logs to `sink`.
    pub fn new(sink: LogSink) -> TrafficLogging {
        TrafficLogging {
            sink,
            limit: None,
            last: 0,
        }
    }

    /// Shows at most `bytes` of each chunk.
    pub fn length_limit(mut self, bytes: usize) -> TrafficLogging {
        self.limit = Some(bytes);
        self
    }
}

impl PolicyFactory for TrafficLogging {
    type Policy = TrafficLog;

    fn build_policy(&mut self, _addr: &Address, _live: usize) -> Option<TrafficLog> {
        self.last += 1;
        Some(TrafficLog {
            number: self.last,
            sink: self.sink.clone(),
            limit: self.limit,
        })
    }
}

impl TrafficLog {
    /// This connection's number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Logs a chunk going `way` (`in` or `out`), cut to the length limit.
    fn chunk(&self, way: &str, data: &[u8]) {
        let n = self.number;
        match self.limit {
            Some(limit) if data.len() > limit => self.sink.line(format_args!(
                "{n} {way}: \"{}\"<... {} more>",
                data[..limit].escape_ascii(),
                data.len() - limit
            )),
            _ => self
                .sink
                .line(format_args!("{n} {way}: \"{}\"", data.escape_ascii())),
        }
    }
}

impl Policy for TrafficLog {
    fn on_connection_made(&mut self, link: &Link) {
        let n = self.number;
        self.sink
            .line(format_args!("{n} open {}", link.below().get_peer()));
    }

    fn on_data_in<'d>(&mut self, _link: &Link, data: &'d [u8]) -> Cow<'d, [u8]> {
        self.chunk("in", data);
        Cow::Borrowed(data)
    }

    fn on_write(&mut self, link: &Link, data: &[u8]) {
        self.chunk("out", data);
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
