//! [`IntNStringReceiver`]: strings each prefixed by its length, and [`IntNProtocol`],
//! which runs one.

use super::intn_parser::{IntNParser, Step};
use super::prefix::{encode, LengthPrefix};
use super::receive_buffer::ReceiveBuffer;
use super::string_cx::Host;
use super::{StringCx, StringTooLong};
use crate::{Cx, Failure, Protocol};

/// The context an [`IntNStringReceiver`]'s callbacks get.
pub type IntNCx<'a, T> = StringCx<'a, IntNProtocol<T>>;

/// A receiver of strings each prefixed by its length, a big-endian integer of
/// [`Prefix`](IntNStringReceiver::Prefix) (Twisted's `IntNStringReceiver`; with
/// [`Int8`](super::Int8), [`Int16`](super::Int16) or [`Int32`](super::Int32), its
/// `Int8StringReceiver`, `Int16StringReceiver` or `Int32StringReceiver`). Implement it on
/// a type of yours and run it with [`IntNProtocol::new`].
///
/// # Examples
///
/// ```
/// use torsion::protocols::basic::{Int16, IntNCx, IntNProtocol, IntNStringReceiver};
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// /// Answers every string with its length, as a string.
/// struct Measure;
///
/// impl IntNStringReceiver for Measure {
///     type Prefix = Int16;
///
///     fn string_received(&mut self, cx: &mut IntNCx<'_, Self>, data: &[u8]) {
///         cx.send_string(data.len().to_string().as_bytes()).unwrap();
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(IntNProtocol::new(Measure), &st, &Clock::new()).unwrap();
/// h.data_received(b"\x00\x0bhello").unwrap();
/// h.data_received(b" world").unwrap();
/// assert_eq!(st.value(), b"\x00\x0211");
/// ```
pub trait IntNStringReceiver: Sized + 'static {
    /// The width of the length prefix.
    type Prefix: LengthPrefix;

    /// The longest string accepted; a longer announced length calls
    /// [`length_limit_exceeded`](IntNStringReceiver::length_limit_exceeded).
    const MAX_LENGTH: usize = 99_999;

    /// A whole string arrived: `data`, without its prefix.
    fn string_received(&mut self, cx: &mut IntNCx<'_, Self>, data: &[u8]);

    /// A prefix announced `length`, over [`MAX_LENGTH`](IntNStringReceiver::MAX_LENGTH).
    /// Nothing more is parsed: every later read calls this again with the same length.
    /// (Twisted also hands the strings that came before the prefix in the same read to
    /// `stringReceived` again, on each later read; torsion delivers a string once.) The
    /// default closes the connection.
    fn length_limit_exceeded(&mut self, cx: &mut IntNCx<'_, Self>, length: usize) {
        tracing::warn!(
            peer = %cx.transport().get_peer(),
            length,
            max_length = Self::MAX_LENGTH,
            "closing the connection: the peer announced a string over the length limit"
        );
        cx.transport().lose_connection();
    }

    /// The connection is open.
    fn connection_made(&mut self, cx: &mut IntNCx<'_, Self>) {
        let _ = cx;
    }

    /// The connection is closed; called once, last.
    fn connection_lost(&mut self, cx: &mut IntNCx<'_, Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}

/// The [`Protocol`] that runs an [`IntNStringReceiver`]: it parses length-prefixed
/// strings out of the bytes received and hands each to the receiver.
#[derive(Debug)]
pub struct IntNProtocol<T> {
    receiver: T,
    parser: IntNParser,
    buffer: ReceiveBuffer,
}

impl<T: IntNStringReceiver> IntNProtocol<T> {
    /// A protocol running `receiver`.
    pub fn new(receiver: T) -> Self {
        IntNProtocol {
            receiver,
            parser: IntNParser::new(T::Prefix::BYTES, T::MAX_LENGTH),
            buffer: ReceiveBuffer::default(),
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
}

impl<T: IntNStringReceiver> Protocol for IntNProtocol<T> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        self.receiver.connection_made(&mut StringCx::new(cx));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let IntNProtocol {
            receiver,
            parser,
            buffer,
        } = self;
        buffer.feed(data, |input| {
            let mut pos = 0;
            loop {
                match parser.next(input, &mut pos) {
                    Step::String(string) => {
                        receiver.string_received(&mut StringCx::new(cx), string);
                    }
                    Step::NeedMore => return pos,
                    Step::TooLong(length) => {
                        receiver.length_limit_exceeded(&mut StringCx::new(cx), length);
                        return pos;
                    }
                }
            }
        });
    }

    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        self.receiver
            .connection_lost(&mut StringCx::new(cx), reason);
    }
}

impl<T: IntNStringReceiver> Host for IntNProtocol<T> {
    type Receiver = T;

    fn receiver_mut(&mut self) -> &mut T {
        &mut self.receiver
    }
}

impl<T: IntNStringReceiver> StringCx<'_, IntNProtocol<T>> {
    /// Sends `data` prefixed by its length (Twisted's `sendString`).
    ///
    /// # Errors
    ///
    /// [`StringTooLong`], and nothing is sent, if the prefix cannot hold `data`'s length.
    pub fn send_string(&mut self, data: &[u8]) -> Result<(), StringTooLong> {
        let bytes = T::Prefix::BYTES;
        let prefix =
            encode::<T::Prefix>(data.len()).ok_or(StringTooLong::new(data.len(), bytes))?;
        self.transport()
            .write_sequence([&prefix[prefix.len() - bytes..], data]);
        Ok(())
    }
}
