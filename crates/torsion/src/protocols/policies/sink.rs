//! [`LogSink`]: where the logging policies write their lines.

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::rc::Rc;

/// Where [`TrafficLogging`](super::TrafficLogging) and [`Spewing`](super::Spewing) send
/// their lines: `tracing` events at INFO level (the default), or a [`Write`] shared with
/// the caller, one `\n`-terminated line per event. A write error is reported through
/// `tracing` and the line is lost; the connection goes on.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use torsion::protocols::policies::LogSink;
///
/// let buffer = Rc::new(RefCell::new(Vec::<u8>::new()));
/// let sink = LogSink::writer(buffer.clone());
/// sink.line(format_args!("hello {}", 1));
/// assert_eq!(buffer.borrow().as_slice(), b"hello 1\n");
/// ```
#[derive(Clone, Default)]
pub struct LogSink {
    writer: Option<Rc<RefCell<dyn Write>>>,
}

impl LogSink {
    /// Lines become `tracing` events.
    pub fn tracing() -> LogSink {
        LogSink::default()
    }

    /// Lines are written to `writer`.
    pub fn writer(writer: Rc<RefCell<dyn Write>>) -> LogSink {
        LogSink {
            writer: Some(writer),
        }
    }

    /// Writes one line.
    pub fn line(&self, text: fmt::Arguments<'_>) {
        match &self.writer {
            None => tracing::info!(target: "torsion::policies", "{text}"),
            Some(writer) => {
                if let Err(err) = writeln!(writer.borrow_mut(), "{text}") {
                    tracing::error!(%err, "a policy's log line was lost");
                }
            }
        }
    }
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to = if self.writer.is_some() {
            "writer"
        } else {
            "tracing"
        };
        f.debug_struct("LogSink").field("to", &to).finish()
    }
}
