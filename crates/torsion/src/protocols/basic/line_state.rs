//! [`LineState`]: what a [`LineProtocol`](super::LineProtocol) keeps between reads, and
//! the delimiter search.

use std::fmt;
use std::mem;

/// The framing state of a line receiver: buffered bytes, mode, delimiter, limits.
///
/// During delivery the buffer is lent out to the delivery loop; what callbacks add then
/// (`set_line_mode(extra)`) waits in `pending` until the callback returns.
pub(super) struct LineState {
    /// Bytes received and not yet delivered.
    buffer: Vec<u8>,
    /// How far into `buffer` the delimiter was already searched for.
    scan: usize,
    /// Raw mode: whole chunks go to `raw_data_received`.
    raw: bool,
    /// Paused: nothing is delivered until resumed.
    paused: bool,
    delimiter: Vec<u8>,
    max_length: usize,
    /// Bytes a callback handed back (`set_line_mode(extra)`), joined after it returns.
    pending: Vec<u8>,
    /// `clear_line_buffer` was called by the current callback.
    cleared: bool,
}

impl LineState {
    /// An empty state in line mode.
    ///
    /// # Panics
    ///
    /// If `delimiter` is empty.
    pub(super) fn new(delimiter: &[u8], max_length: usize) -> LineState {
        assert!(!delimiter.is_empty(), "a line delimiter cannot be empty");
        LineState {
            buffer: Vec::new(),
            scan: 0,
            raw: false,
            paused: false,
            delimiter: delimiter.to_vec(),
            max_length,
            pending: Vec::new(),
            cleared: false,
        }
    }

    /// Appends received bytes.
    pub(super) fn push(&mut self, data: &[u8]) {
        self.buffer.extend_from_slice(data);
    }

    /// Lends the buffer to the delivery loop, with how far it was searched.
    pub(super) fn lend(&mut self) -> (Vec<u8>, usize) {
        self.cleared = false;
        let mut buffer = mem::take(&mut self.buffer);
        buffer.append(&mut self.pending);
        (buffer, mem::take(&mut self.scan))
    }

    /// Takes the buffer back from the delivery loop, once per read: the first `consumed`
    /// bytes are dropped, `scan` bytes after them were searched.
    pub(super) fn restore(&mut self, mut buffer: Vec<u8>, consumed: usize, scan: usize) {
        buffer.drain(..consumed);
        buffer.append(&mut self.pending);
        self.buffer = buffer;
        self.scan = scan;
    }

    /// Whether the callback that just returned cleared the buffer (then the lent
    /// buffer's unread part is dropped).
    pub(super) fn take_cleared(&mut self) -> bool {
        mem::take(&mut self.cleared)
    }

    /// Appends to the lent buffer what the callback that just returned handed back.
    pub(super) fn join_pending(&mut self, buffer: &mut Vec<u8>) {
        buffer.append(&mut self.pending);
    }

    /// Everything not yet delivered: `rest` (the lent buffer's unread part, during
    /// delivery), the stored buffer, and bytes handed back.
    pub(super) fn clear(&mut self, rest: &[u8]) -> Vec<u8> {
        let mut out = if self.cleared {
            Vec::new()
        } else {
            rest.to_vec()
        };
        self.cleared = true;
        out.append(&mut self.buffer);
        out.append(&mut self.pending);
        self.scan = 0;
        out
    }

    pub(super) fn is_raw(&self) -> bool {
        self.raw
    }

    pub(super) fn set_raw(&mut self, raw: bool) {
        self.raw = raw;
    }

    /// Hands `extra` back, to be read in line mode after the current callback.
    pub(super) fn give_back(&mut self, extra: &[u8]) {
        self.pending.extend_from_slice(extra);
    }

    pub(super) fn is_paused(&self) -> bool {
        self.paused
    }

    pub(super) fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    pub(super) fn delimiter(&self) -> &[u8] {
        &self.delimiter
    }

    /// # Panics
    ///
    /// If `delimiter` is empty.
    pub(super) fn set_delimiter(&mut self, delimiter: &[u8]) {
        assert!(!delimiter.is_empty(), "a line delimiter cannot be empty");
        self.delimiter = delimiter.to_vec();
        self.scan = 0;
    }

    pub(super) fn max_length(&self) -> usize {
        self.max_length
    }

    pub(super) fn set_max_length(&mut self, max_length: usize) {
        self.max_length = max_length;
    }

    /// Where the delimiter first starts in `buffer[from..]`, searched from `scan` (bytes
    /// between `from` and `scan` were already searched). `Err` holds where the next search
    /// may start: a delimiter can only end among the bytes not yet received.
    pub(super) fn find(&self, buffer: &[u8], from: usize, scan: usize) -> Result<usize, usize> {
        let delimiter = &self.delimiter[..];
        let start = scan.max(from);
        let [first, tail @ ..] = delimiter else {
            unreachable!("the delimiter is never empty");
        };
        let mut at = start;
        while let Some(offset) = memchr::memchr(*first, &buffer[at..]) {
            let found = at + offset;
            match buffer.get(found + 1..found + delimiter.len()) {
                Some(next) if next == tail => return Ok(found),
                Some(_) => at = found + 1,
                None => break,
            }
        }
        let resume = buffer.len().saturating_sub(delimiter.len() - 1);
        Err(resume.max(start))
    }
}

impl fmt::Debug for LineState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineState")
            .field("buffered", &self.buffer.len())
            .field("raw", &self.raw)
            .field("paused", &self.paused)
            .field("delimiter", &self.delimiter)
            .field("max_length", &self.max_length)
            .finish()
    }
}
