//! [`Chargen`]: the Character Generator service (RFC 864), a pull producer.

use std::cell::RefCell;
use std::rc::Rc;

use crate::{Cx, Failure, Producer, Protocol, Transport};

/// Sends lines of characters for as long as the peer reads them, and ignores what it
/// receives (RFC 864; Twisted's `wire.Chargen`).
///
/// The lines are RFC 864's: 72 printable ASCII characters (`' '` to `'~'`) and `\r\n`,
/// each line starting one character later in that 95-character sequence than the one
/// before. Chargen is a *pull* producer on its transport: it writes one chunk of lines
/// each time the transport's write buffer has drained, so however slowly the peer reads,
/// the server holds at most one chunk ([`Chargen::CHUNK_LINES`] lines). The peer's EOF
/// closes the connection.
///
/// # Examples
///
/// ```
/// use torsion::protocols::wire::Chargen;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
///
/// let st = StringTransport::new();
/// let _h = ProtocolHarness::connect(Chargen::default(), &st, &Clock::new())?;
/// // The reactor asks the producer for more each time the buffer is empty; here the
/// // test asks once.
/// let (producer, streaming) = st.producer().expect("chargen registers itself");
/// assert!(!streaming);
/// producer.borrow_mut().resume_producing();
/// let text = st.value_str();
/// assert!(text.starts_with(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n!\"#"));
/// assert_eq!(text.len(), Chargen::CHUNK_LINES * Chargen::LINE_LEN);
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Debug, Default)]
pub struct Chargen {
    producer: Option<Rc<RefCell<LineSource>>>,
}

impl Chargen {
    /// The length of a line, `\r\n` included.
    pub const LINE_LEN: usize = CHARS_PER_LINE + 2;

    /// How many lines are written each time the transport asks for more.
    pub const CHUNK_LINES: usize = 128;

    /// The characters of the line that comes `index` lines after the first (without its
    /// `\r\n`): what a client can check what it read against.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::protocols::wire::Chargen;
    ///
    /// assert!(Chargen::line(0).starts_with(b" !\"#"));
    /// assert!(Chargen::line(1).starts_with(b"!\"#$"));
    /// assert_eq!(Chargen::line(95), Chargen::line(0));
    /// ```
    pub fn line(index: usize) -> [u8; CHARS_PER_LINE] {
        let start = index % PRINTABLE;
        std::array::from_fn(|i| FIRST + ((start + i) % PRINTABLE) as u8)
    }
}

/// Printable ASCII: 95 characters from `' '`.
const FIRST: u8 = b' ';
const PRINTABLE: usize = 95;
const CHARS_PER_LINE: usize = 72;

/// The pull producer: writes the next chunk of lines when asked.
#[derive(Debug)]
struct LineSource {
    transport: Transport,
    next_line: usize,
    stopped: bool,
}

impl Producer for LineSource {
    fn resume_producing(&mut self) {
        if self.stopped {
            return;
        }
        let mut chunk = Vec::with_capacity(Chargen::CHUNK_LINES * Chargen::LINE_LEN);
        for _ in 0..Chargen::CHUNK_LINES {
            chunk.extend_from_slice(&Chargen::line(self.next_line));
            chunk.extend_from_slice(b"\r\n");
            self.next_line = (self.next_line + 1) % PRINTABLE;
        }
        self.transport.write(&chunk);
    }

    fn stop_producing(&mut self) {
        self.stopped = true;
    }
}

impl Protocol for Chargen {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let source = Rc::new(RefCell::new(LineSource {
            transport: cx.transport().clone(),
            next_line: 0,
            stopped: false,
        }));
        match cx.transport().register_producer(source.clone(), false) {
            Ok(()) => self.producer = Some(source),
            Err(failure) => {
                tracing::warn!(%failure, peer = %cx.transport().get_peer(), "chargen cannot produce; closing");
                cx.transport().lose_connection();
            }
        }
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        if let Some(source) = self.producer.take() {
            source.borrow_mut().stopped = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConnectionDone;
    use crate::testing::{Clock, ProtocolHarness, StringTransport};

    fn resume(st: &StringTransport) {
        let (producer, _) = st.producer().expect("a producer is registered");
        producer.borrow_mut().resume_producing();
    }

    #[test]
    fn each_resume_writes_one_chunk_of_rotating_lines() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Chargen::default(), &st, &Clock::new()).unwrap();
        assert!(st.value().is_empty(), "nothing before the transport asks");
        resume(&st);
        resume(&st);
        let all = st.value();
        assert_eq!(all.len(), 2 * Chargen::CHUNK_LINES * Chargen::LINE_LEN);
        for (i, line) in all.chunks(Chargen::LINE_LEN).enumerate() {
            assert_eq!(&line[..CHARS_PER_LINE], &Chargen::line(i)[..], "line {i}");
            assert_eq!(&line[CHARS_PER_LINE..], b"\r\n");
        }
        h.data_received(b"ignored").unwrap();
        assert_eq!(st.value().len(), all.len());
    }

    #[test]
    fn lines_cover_every_printable_character_in_turn() {
        let line = Chargen::line(0);
        assert_eq!(line[0], b' ');
        assert_eq!(line[71], b' ' + 71);
        assert_eq!(Chargen::line(94)[0], b'~');
        assert_eq!(Chargen::line(94)[1], b' ');
    }

    #[test]
    fn writes_nothing_after_the_connection_is_lost() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Chargen::default(), &st, &Clock::new()).unwrap();
        let (producer, _) = st.producer().unwrap();
        h.connection_lost(Failure::new(ConnectionDone));
        producer.borrow_mut().resume_producing();
        assert!(st.value().is_empty());
    }

    #[test]
    fn closes_on_eof() {
        let st = StringTransport::new();
        let h = ProtocolHarness::connect(Chargen::default(), &st, &Clock::new()).unwrap();
        h.read_connection_lost().unwrap();
        assert!(st.disconnecting());
    }
}
