//! [`NetstringReceiver`]: strings framed as netstrings, and [`NetstringProtocol`], which
//! runs one.

use super::netstring_parser::{NetstringParser, Step};
use super::receive_buffer::ReceiveBuffer;
use super::string_cx::Host;
use super::{NetstringParseError, StringCx};
use crate::{Cx, Failure, Protocol};

/// The context a [`NetstringReceiver`]'s callbacks get.
pub type NetstringCx<'a, T> = StringCx<'a, NetstringProtocol<T>>;

/// A receiver of netstrings (Twisted's `NetstringReceiver`): implement it on a type of
/// yours and run it with [`NetstringProtocol::new`].
///
/// A netstring is a length in decimal, `:`, that many bytes, `,`: `12:hello world!,`
/// (see <https://cr.yp.to/proto/netstrings.txt>). Bytes that are not one (a length with a
/// leading zero or over [`MAX_LENGTH`](NetstringReceiver::MAX_LENGTH), no `:`, no `,`)
/// close the connection, and the peer counts as broken from then on.
///
/// # Examples
///
/// ```
/// use torsion::protocols::basic::{NetstringCx, NetstringProtocol, NetstringReceiver};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// /// Answers every netstring with the same one, reversed.
/// struct Reverse;
///
/// impl NetstringReceiver for Reverse {
///     fn string_received(&mut self, cx: &mut NetstringCx<'_, Self>, data: &[u8]) {
///         let reversed: Vec<u8> = data.iter().rev().copied().collect();
///         cx.send_string(&reversed);
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(NetstringProtocol::new(Reverse), &st, &Clock::new()).unwrap();
/// h.data_received(b"3:abc,2:").unwrap();
/// h.data_received(b"de,").unwrap();
/// assert_eq!(st.value(), b"3:cba,2:ed,");
/// ```
pub trait NetstringReceiver: Sized + 'static {
    /// The longest data accepted; a longer length closes the connection.
    const MAX_LENGTH: usize = 99_999;

    /// A whole netstring arrived: `data` is its data, without the framing.
    fn string_received(&mut self, cx: &mut NetstringCx<'_, Self>, data: &[u8]);

    /// The connection is open.
    fn connection_made(&mut self, cx: &mut NetstringCx<'_, Self>) {
        let _ = cx;
    }

    /// The connection is closed; called once, last.
    fn connection_lost(&mut self, cx: &mut NetstringCx<'_, Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}

/// The [`Protocol`] that runs a [`NetstringReceiver`]: it parses netstrings out of the
/// bytes received and hands each to the receiver.
#[derive(Debug)]
pub struct NetstringProtocol<T> {
    receiver: T,
    parser: NetstringParser,
    buffer: ReceiveBuffer,
    error: Option<NetstringParseError>,
}

impl<T: NetstringReceiver> NetstringProtocol<T> {
    /// A protocol running `receiver`.
    pub fn new(receiver: T) -> Self {
        NetstringProtocol {
            receiver,
            parser: NetstringParser::new(T::MAX_LENGTH),
            buffer: ReceiveBuffer::default(),
            error: None,
        }
    }

    /// The receiver.
    pub fn user(&self) -> &T {
        &self.receiver
    }

    /// The receiver, to change it.
    pub fn user_mut(&mut self) -> &mut T {
        &mut self.receiver
    }

    /// Whether the peer sent something that is not a netstring (Twisted's `brokenPeer`):
    /// the connection was then closed, and nothing it sends is parsed any more.
    pub fn broken_peer(&self) -> bool {
        self.error.is_some()
    }

    /// Why the peer is broken, if it is.
    pub fn parse_error(&self) -> Option<NetstringParseError> {
        self.error
    }
}

impl<T: NetstringReceiver> Protocol for NetstringProtocol<T> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.receiver.connection_made(&mut StringCx::new(cx));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if self.error.is_some() {
            // As Twisted: a broken peer's every read closes the connection again.
            cx.transport().lose_connection();
            return;
        }
        let NetstringProtocol {
            receiver,
            parser,
            buffer,
            error,
        } = self;
        buffer.feed(data, |input| {
            let mut pos = 0;
            loop {
                match parser.next(input, &mut pos) {
                    Step::String(string) => {
                        receiver.string_received(&mut StringCx::new(cx), string);
                    }
                    Step::NeedMore => return pos,
                    Step::Error(reason) => {
                        *error = Some(reason);
                        return pos;
                    }
                }
            }
        });
        if let Some(reason) = self.error {
            tracing::warn!(
                peer = %cx.transport().get_peer(),
                %reason,
                "closing the connection: the peer sent a malformed netstring"
            );
            self.buffer.clear();
            cx.transport().lose_connection();
        }
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        self.receiver
            .connection_lost(&mut StringCx::new(cx), reason);
    }
}

impl<T: NetstringReceiver> Host for NetstringProtocol<T> {
    type Receiver = T;

    fn receiver_mut(&mut self) -> &mut T {
        &mut self.receiver
    }
}

impl<T: NetstringReceiver> StringCx<'_, NetstringProtocol<T>> {
    /// Sends `data` as one netstring: its length, `:`, `data`, `,` (Twisted's
    /// `sendString`).
    pub fn send_string(&mut self, data: &[u8]) {
        let mut digits = [0; 21];
        self.transport()
            .write_sequence([length_prefix(data.len(), &mut digits), data, b","]);
    }
}

/// Writes `length` in decimal followed by `:` at the end of `buf`; returns what it wrote.
fn length_prefix(length: usize, buf: &mut [u8; 21]) -> &[u8] {
    let mut at = buf.len() - 1;
    buf[at] = b':';
    let mut rest = length;
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            return &buf[at..];
        }
    }
}
