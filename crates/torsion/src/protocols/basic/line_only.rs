//! [`LineOnlyReceiver`]: a line receiver with no raw mode (Twisted's
//! `basic.LineOnlyReceiver`).

use super::line::LineReceiver;
use super::line_cx::LineCx;
use crate::Failure;

/// A protocol made of lines only: a [`LineReceiver`] without raw data (Twisted's
/// `basic.LineOnlyReceiver`).
///
/// Every `LineOnlyReceiver` is a [`LineReceiver`] and runs in a
/// [`LineProtocol`](super::LineProtocol), under the same splitting rules; if it switches to
/// raw mode anyway, raw data is dropped. Unlike Twisted's, whose
/// `lineLengthExceeded` gets only the long line, `line_length_exceeded` gets the buffer
/// from that line on, as [`LineReceiver`]'s does.
///
/// # Examples
///
/// ```
/// use torsion::protocols::basic::{LineCx, LineOnlyReceiver, LineProtocol};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// #[derive(Default)]
/// struct Count(usize);
///
/// impl LineOnlyReceiver for Count {
///     const DELIMITER: &'static [u8] = b"\n";
///     fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, _line: &[u8]) {
///         self.0 += 1;
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(LineProtocol::new(Count::default()), &st, &Clock::new())
///     .unwrap();
/// h.data_received(b"a\nb\nc").unwrap();
/// assert_eq!(h.protocol().user().0, 2);
/// ```
pub trait LineOnlyReceiver: Sized + 'static {
    /// What ends a line; never empty.
    const DELIMITER: &'static [u8] = b"\r\n";

    /// The longest line accepted, in bytes, delimiter excluded.
    const MAX_LENGTH: usize = 16384;

    /// A line arrived, without its delimiter.
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]);

    /// The connection is open.
    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        let _ = cx;
    }

    /// A line was too long (see [`LineReceiver::line_length_exceeded`]). The default
    /// closes the connection.
    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        let _ = line;
        cx.transport().lose_connection();
    }

    /// The connection is closed; called once, last.
    fn connection_lost(&mut self, cx: &mut LineCx<'_, Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}

impl<T: LineOnlyReceiver> LineReceiver for T {
    const DELIMITER: &'static [u8] = <T as LineOnlyReceiver>::DELIMITER;
    const MAX_LENGTH: usize = <T as LineOnlyReceiver>::MAX_LENGTH;

    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        LineOnlyReceiver::line_received(self, cx, line);
    }

    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        LineOnlyReceiver::connection_made(self, cx);
    }

    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        LineOnlyReceiver::line_length_exceeded(self, cx, line);
    }

    fn connection_lost(&mut self, cx: &mut LineCx<'_, Self>, reason: &Failure) {
        LineOnlyReceiver::connection_lost(self, cx, reason);
    }
}
