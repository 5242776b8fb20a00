//! [`LineReceiver`], the user's side of a line-oriented protocol, and [`LineProtocol`],
//! the [`Protocol`] that splits the stream into lines for it (Twisted's
//! `basic.LineReceiver`).

use std::fmt;

use super::line_cx::LineCx;
use super::line_state::LineState;
use crate::{Cx, Failure, Protocol};

/// A line-oriented protocol: the stream is split at [`DELIMITER`](LineReceiver::DELIMITER)
/// and each line, without its delimiter, goes to
/// [`line_received`](LineReceiver::line_received) (Twisted's `basic.LineReceiver`).
///
/// Implement it on a plain type and run it in a [`LineProtocol`]. Its callbacks get a
/// [`LineCx`], through which they send lines, switch between line and raw mode, pause,
/// and schedule calls back into `self`.
///
/// The splitting rules, for bytes arriving split and joined in any way (the sequence of
/// callbacks depends only on the bytes, not on how reads cut them):
///
/// - in line mode, a line ends at the first delimiter; with the default `\r\n`, a lone
///   `\n` (or `\r`) stays inside the line. A peer or proxy that ends lines at a bare `\n`
///   sees different lines than this receiver does: do not let two such parsers frame the
///   same stream (the request smuggling risk Netty's line decoder documents);
/// - a line longer than [`MAX_LENGTH`](LineReceiver::MAX_LENGTH) bytes gives
///   [`line_length_exceeded`](LineReceiver::line_length_exceeded) the line, its delimiter
///   and everything buffered after it; so does a buffer without a delimiter once it holds
///   `MAX_LENGTH` plus the delimiter's length bytes. The buffer is then emptied, and
///   nothing else is delivered from that read;
/// - nothing is delivered while the transport is disconnecting: the lines after one that
///   asked to close, even in the same read, are never seen;
/// - in raw mode, everything buffered goes to
///   [`raw_data_received`](LineReceiver::raw_data_received) in one call;
/// - a mode switch, a new delimiter or a new limit set by a callback applies from the next
///   byte after what that callback was given, even within the same read.
///
/// # Examples
///
/// ```
/// use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// struct Shout;
///
/// impl LineReceiver for Shout {
///     fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
///         cx.send_line(&line.to_ascii_uppercase());
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(LineProtocol::new(Shout), &st, &Clock::new()).unwrap();
/// h.data_received(b"hello\r\nwor").unwrap();
/// h.data_received(b"ld\r\n").unwrap();
/// assert_eq!(st.value(), b"HELLO\r\nWORLD\r\n");
/// ```
pub trait LineReceiver: Sized + 'static {
    /// What ends a line, initially (change it with [`LineCx::set_delimiter`]); never
    /// empty.
    const DELIMITER: &'static [u8] = b"\r\n";

    /// The longest line accepted, in bytes, delimiter excluded, initially (change it with
    /// [`LineCx::set_max_length`]).
    const MAX_LENGTH: usize = 16384;

    /// A line arrived, without its delimiter. `line` is only valid during the call.
    fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]);

    /// The connection is open.
    fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
        let _ = cx;
    }

    /// Bytes arrived in raw mode (see [`LineCx::set_raw_mode`]). The default drops them.
    fn raw_data_received(&mut self, cx: &mut LineCx<'_, Self>, data: &[u8]) {
        let _ = (cx, data);
    }

    /// A line was too long. `line` holds the buffered bytes from the start of that line
    /// on: possibly more than one line, possibly only its beginning. The buffer is
    /// already empty. The default closes the connection.
    fn line_length_exceeded(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
        let _ = line;
        cx.transport().lose_connection();
    }

    /// The connection is closed; called once, last. Timers set with
    /// [`LineCx::call_later`] are cancelled right after.
    fn connection_lost(&mut self, cx: &mut LineCx<'_, Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}

/// The [`Protocol`] that runs a [`LineReceiver`]: give `LineProtocol::new(user)` to a
/// factory or an endpoint.
///
/// Each received byte is copied once, into its buffer; lines are handed out as slices of
/// it, and each byte is searched for the delimiter once, however the reads cut the
/// stream.
///
/// # Examples
///
/// ```no_run
/// use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
/// use torsion::Reactor;
///
/// struct Echo;
///
/// impl LineReceiver for Echo {
///     fn line_received(&mut self, cx: &mut LineCx<'_, Self>, line: &[u8]) {
///         cx.send_line(line);
///     }
/// }
///
/// fn main() -> torsion::Result<()> {
///     let reactor = Reactor::new()?;
///     reactor.listen_tcp(8000, |_peer| Some(LineProtocol::new(Echo)))?;
///     reactor.run()
/// }
/// ```
pub struct LineProtocol<T: LineReceiver> {
    user: T,
    state: LineState,
}

impl<T: LineReceiver> LineProtocol<T> {
    /// Runs `user`, in line mode, with its type's delimiter and line limit.
    ///
    /// # Panics
    ///
    /// If `T::DELIMITER` is empty.
    pub fn new(user: T) -> LineProtocol<T> {
        LineProtocol {
            user,
            state: LineState::new(T::DELIMITER, T::MAX_LENGTH),
        }
    }

    /// The user's value.
    pub fn user(&self) -> &T {
        &self.user
    }

    /// The user's value, to change its state.
    pub fn user_mut(&mut self) -> &mut T {
        &mut self.user
    }

    /// Calls `f` with the user's value and its [`LineCx`], from outside the receiver's
    /// callbacks (a [`ProtocolHandle`](crate::ProtocolHandle)'s `with`, a Deferred's
    /// callback holding one); then delivers what `f` made deliverable (by resuming, by
    /// handing bytes back), as after any callback.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
    /// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
    /// use torsion::ProtocolHandle;
    ///
    /// #[derive(Default)]
    /// struct Chat {
    ///     handle: Option<ProtocolHandle<LineProtocol<Chat>>>,
    /// }
    ///
    /// impl LineReceiver for Chat {
    ///     fn connection_made(&mut self, cx: &mut LineCx<'_, Self>) {
    ///         self.handle = Some(cx.handle());
    ///     }
    ///     fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, _line: &[u8]) {}
    /// }
    ///
    /// let st = StringTransport::new();
    /// let h = ProtocolHarness::connect(LineProtocol::new(Chat::default()), &st, &Clock::new())
    ///     .unwrap();
    /// let handle = h.protocol().user().handle.clone().unwrap();
    /// handle.with(|p, cx| p.call(cx, |_chat, lcx| lcx.send_line(b"news")));
    /// assert_eq!(st.value(), b"news\r\n");
    /// ```
    pub fn call<R>(
        &mut self,
        cx: &mut Cx<Self>,
        f: impl FnOnce(&mut T, &mut LineCx<'_, T>) -> R,
    ) -> R {
        let out = f(&mut self.user, &mut LineCx::new(cx, &mut self.state, &[]));
        self.deliver(cx);
        out
    }

    /// Delivers the buffer as lines or raw data, following the rules on [`LineReceiver`],
    /// until it is used up, paused, or delivery must stop.
    fn deliver(&mut self, cx: &mut Cx<Self>) {
        let (mut buffer, mut scan) = self.state.lend();
        let mut pos = 0;
        while pos < buffer.len() && !self.state.is_paused() && !cx.transport().disconnecting() {
            let mut stop = false;
            if self.state.is_raw() {
                let data = &buffer[pos..];
                pos = buffer.len();
                let mut lcx = LineCx::new(cx, &mut self.state, &[]);
                self.user.raw_data_received(&mut lcx, data);
            } else {
                let delimiter_len = self.state.delimiter().len();
                let max_length = self.state.max_length();
                let found = self.state.find(&buffer, pos, scan);
                let over_long = match found {
                    Ok(end) => end - pos > max_length,
                    Err(_) => buffer.len() - pos >= max_length.saturating_add(delimiter_len),
                };
                if over_long {
                    let line = &buffer[pos..];
                    pos = buffer.len();
                    let mut lcx = LineCx::new(cx, &mut self.state, &[]);
                    self.user.line_length_exceeded(&mut lcx, line);
                    stop = true;
                } else if let Ok(end) = found {
                    let (line, rest) = (&buffer[pos..end], &buffer[end + delimiter_len..]);
                    pos = end + delimiter_len;
                    let mut lcx = LineCx::new(cx, &mut self.state, rest);
                    self.user.line_received(&mut lcx, line);
                } else if let Err(resume) = found {
                    scan = resume;
                    break;
                }
            }
            if self.state.take_cleared() {
                pos = buffer.len();
            }
            self.state.join_pending(&mut buffer);
            scan = pos;
            if stop {
                break;
            }
        }
        let scan = scan.max(pos) - pos;
        self.state.restore(buffer, pos, scan);
    }
}

impl<T: LineReceiver> Protocol for LineProtocol<T> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.call(cx, T::connection_made);
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.state.push(data);
        self.deliver(cx);
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        let mut lcx = LineCx::new(cx, &mut self.state, &[]);
        self.user.connection_lost(&mut lcx, reason);
    }
}

impl<T: LineReceiver> fmt::Debug for LineProtocol<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineProtocol")
            .field("user", &std::any::type_name::<T>())
            .field("state", &self.state)
            .finish()
    }
}
