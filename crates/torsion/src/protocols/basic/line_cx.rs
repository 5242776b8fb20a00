//! [`LineCx`]: what a [`LineReceiver`]'s callbacks may use.

use std::fmt;
use std::time::Duration;

use super::line::{LineProtocol, LineReceiver};
use super::line_state::LineState;
use crate::{Cx, DelayedCall, ProtocolHandle, Transport};

/// What a [`LineReceiver`]'s callbacks get: the transport, line framing controls, and
/// timers that call back into the receiver.
///
/// Changes made through it (mode, delimiter, limit, pausing, bytes handed back) apply
/// from the next byte after what the current callback was given.
///
/// # Examples
///
/// A receiver that reads a `SIZE n` line, then `n` raw bytes, then lines again:
///
/// ```
/// use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// #[derive(Default)]
/// struct Upload {
///     remaining: usize,
///     body: Vec<u8>,
///     lines: Vec<Vec<u8>>,
/// }
///
/// impl LineReceiver for Upload {
///     fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
///         match line.strip_prefix(b"SIZE ") {
///             Some(n) => {
///                 self.remaining = std::str::from_utf8(n).unwrap().parse().unwrap();
///                 cx.set_raw_mode();
///             }
///             None => self.lines.push(line.to_vec()),
///         }
///     }
///
///     fn raw_data_received(&mut self, cx: &mut LineCx<'_, Self>, data: &[u8]) {
///         let take = self.remaining.min(data.len());
///         self.body.extend_from_slice(&data[..take]);
///         self.remaining -= take;
///         if self.remaining == 0 {
///             cx.set_line_mode(&data[take..]);
///         }
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(LineProtocol::new(Upload::default()), &st, &Clock::new())
///     .unwrap();
/// h.data_received(b"SIZE 5\r\nab\r\ncdone\r\n").unwrap();
/// let p = h.protocol();
/// assert_eq!(p.user().body, b"ab\r\nc");
/// assert_eq!(p.user().lines, [b"done".to_vec()]);
/// ```
pub struct LineCx<'a, T: LineReceiver> {
    cx: &'a mut Cx<LineProtocol<T>>,
    state: &'a mut LineState,
    /// What follows, in the buffer, the bytes the current callback was given.
    rest: &'a [u8],
}

impl<'a, T: LineReceiver> LineCx<'a, T> {
    pub(super) fn new(
        cx: &'a mut Cx<LineProtocol<T>>,
        state: &'a mut LineState,
        rest: &'a [u8],
    ) -> LineCx<'a, T> {
        LineCx { cx, state, rest }
    }

    /// This connection's transport.
    pub fn transport(&self) -> &Transport {
        self.cx.transport()
    }

    /// A handle to this connection's [`LineProtocol`], for code outside the receiver's
    /// callbacks; reach the receiver through it with [`LineProtocol::call`].
    pub fn handle(&self) -> ProtocolHandle<LineProtocol<T>> {
        self.cx.handle()
    }

    /// Sends `line` followed by the current delimiter.
    pub fn send_line(&self, line: &[u8]) {
        self.cx
            .transport()
            .write_sequence([line, self.state.delimiter()]);
    }

    /// From the next byte on, everything received goes to
    /// [`raw_data_received`](LineReceiver::raw_data_received), until
    /// [`set_line_mode`](LineCx::set_line_mode).
    pub fn set_raw_mode(&mut self) {
        self.state.set_raw(true);
    }

    /// From the next byte on, the stream is split into lines again. `extra` (bytes a raw
    /// callback took but did not use) is read as if it had just been received: after the
    /// current callback returns, after anything still buffered, and in line mode.
    pub fn set_line_mode(&mut self, extra: &[u8]) {
        self.state.set_raw(false);
        self.state.give_back(extra);
    }

    /// Whether the receiver is in raw mode.
    pub fn is_raw_mode(&self) -> bool {
        self.state.is_raw()
    }

    /// Empties the buffer and returns what it held: the bytes received after those the
    /// current callback was given, not yet delivered.
    pub fn clear_line_buffer(&mut self) -> Vec<u8> {
        self.state.clear(self.rest)
    }

    /// Stops delivering: what arrives is buffered, and the transport stops reading
    /// (Twisted's `pauseProducing`). Nothing after the current callback is delivered
    /// until [`resume_producing`](LineCx::resume_producing).
    pub fn pause_producing(&mut self) {
        self.state.set_paused(true);
        self.cx.transport().pause_producing();
    }

    /// Resumes delivery: what was buffered while paused is delivered once the current
    /// callback (a timer's, typically) returns, and the transport reads again.
    pub fn resume_producing(&mut self) {
        self.state.set_paused(false);
        self.cx.transport().resume_producing();
    }

    /// Whether delivery is paused.
    pub fn is_paused(&self) -> bool {
        self.state.is_paused()
    }

    /// The delimiter lines end with, received and sent.
    pub fn delimiter(&self) -> &[u8] {
        self.state.delimiter()
    }

    /// Changes the delimiter, for the lines after the current one and those sent from now.
    ///
    /// # Panics
    ///
    /// If `delimiter` is empty.
    pub fn set_delimiter(&mut self, delimiter: &[u8]) {
        self.state.set_delimiter(delimiter);
    }

    /// The longest line accepted, delimiter excluded.
    pub fn max_length(&self) -> usize {
        self.state.max_length()
    }

    /// Changes the longest line accepted, for the lines after the current one.
    pub fn set_max_length(&mut self, max_length: usize) {
        self.state.set_max_length(max_length);
    }

    /// The current time, in the seconds of this connection's clock.
    pub fn seconds(&self) -> f64 {
        self.cx.seconds()
    }

    /// Schedules `f` to be called back into this receiver `delay` from now, with
    /// `&mut self` and a fresh `LineCx` (`cx.call_later(delay, Self::tick)`).
    ///
    /// The call is cancelled when the connection is lost: it never runs after
    /// [`connection_lost`](LineReceiver::connection_lost). A panic in `f` aborts the
    /// connection. Whatever `f` makes deliverable (by resuming, by handing bytes back with
    /// [`set_line_mode`](LineCx::set_line_mode)) is delivered right after it returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use torsion::protocols::basic::{LineCx, LineReceiver};
    ///
    /// struct Greeter;
    ///
    /// impl Greeter {
    ///     fn greet(&mut self, cx: &mut LineCx<'_, Self>) {
    ///         cx.send_line(b"hello");
    ///     }
    /// }
    ///
    /// impl LineReceiver for Greeter {
    ///     fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
    ///         cx.call_later(Duration::from_secs(1), Self::greet);
    ///     }
    ///     fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, _line: &[u8]) {}
    /// }
    /// ```
    pub fn call_later<F>(&mut self, delay: Duration, f: F) -> DelayedCall
    where
        F: FnOnce(&mut T, &mut LineCx<'_, T>) + 'static,
    {
        self.cx
            .call_later(delay, |protocol: &mut LineProtocol<T>, cx| {
                protocol.call(cx, f);
            })
    }
}

impl<T: LineReceiver> fmt::Debug for LineCx<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineCx")
            .field("transport", self.cx.transport())
            .field("state", &self.state)
            .finish()
    }
}
