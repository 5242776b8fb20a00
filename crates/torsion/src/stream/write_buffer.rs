//! [`WriteBuffer`]: a connection's unsent bytes, in two parts: the one writes append to,
//! and the one an operation in flight may be reading.
//!
//! A readiness backend (epoll) writes straight from the appendable part with a system
//! call that returns before anything else runs, so nothing is ever in flight. A completion
//! backend (io_uring) hands bytes to the kernel and learns later how many it took: it
//! moves them into the flight part with [`begin_flight`](WriteBuffer::begin_flight), where
//! no append can move them and no close can free them, and settles with
//! [`end_flight`](WriteBuffer::end_flight).

/// A connection's unsent bytes.
#[derive(Default)]
pub(crate) struct WriteBuffer {
    /// Appended bytes; `buf[pos..]` are unsent.
    buf: Vec<u8>,
    pos: usize,
    /// Bytes handed to the kernel and not yet confirmed; never touched by appends.
    flight: Vec<u8>,
}

impl WriteBuffer {
    /// Queues `data` after everything else.
    #[inline(always)]
    pub(crate) fn append(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes not yet sent, in flight or not.
    pub(crate) fn len(&self) -> usize {
        self.flight.len() + self.appended()
    }

    /// Bytes appended and not yet sent or in flight (all of them, under epoll).
    #[inline(always)]
    pub(crate) fn appended(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The appended bytes, for a write that completes at once.
    #[inline(always)]
    pub(crate) fn unsent(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Marks `n` bytes of [`unsent`](WriteBuffer::unsent) as sent; returns whether
    /// nothing appended is left (the buffer is then reset, keeping its allocation).
    #[inline(always)]
    pub(crate) fn consume(&mut self, n: usize) -> bool {
        self.pos += n;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            return true;
        }
        false
    }

    /// The appended bytes after the first `keep` of them (what a TLS layer has not sealed
    /// yet).
    pub(crate) fn appended_after(&self, keep: usize) -> &[u8] {
        &self.buf[self.pos + keep..]
    }

    /// Drops the appended bytes after the first `keep` of them (a TLS layer took them to
    /// seal).
    pub(crate) fn truncate_appended(&mut self, keep: usize) {
        self.buf.truncate(self.pos + keep);
    }

    /// Drops what was sent from the front once it is more than half the buffer, so a
    /// slow peer does not make the buffer grow without end.
    pub(crate) fn compact(&mut self) {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > self.buf.len() / 2 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Moves every appended byte into the flight part and returns it, for an operation
    /// that will read it after this returns. `None` while a flight is under way (one at a
    /// time keeps the order) or when nothing is appended.
    // Only a completion backend calls this; none is built yet (the unit tests drive it).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn begin_flight(&mut self) -> Option<&[u8]> {
        if !self.flight.is_empty() || self.appended() == 0 {
            return None;
        }
        self.compact();
        std::mem::swap(&mut self.flight, &mut self.buf);
        Some(&self.flight)
    }

    /// The flight ended with `n` bytes written: what is left of it goes back in front of
    /// the appended bytes. Returns the bytes still unsent.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn end_flight(&mut self, n: usize) -> usize {
        let n = n.min(self.flight.len());
        if n < self.flight.len() {
            let mut rest = self.flight.split_off(n);
            rest.extend_from_slice(self.unsent());
            self.buf = rest;
            self.pos = 0;
        }
        self.flight.clear();
        self.len()
    }

    /// Whether an operation in flight may still read the flight part.
    pub(crate) fn in_flight(&self) -> bool {
        !self.flight.is_empty()
    }

    /// Frees the appended part (the connection closed); the flight part stays until its
    /// operation ends, as the kernel may still read it.
    pub(crate) fn release(&mut self) {
        self.buf = Vec::new();
        self.pos = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consume_resets_once_everything_is_sent() {
        let mut b = WriteBuffer::default();
        b.append(b"hello ");
        b.append(b"world");
        assert_eq!(b.unsent(), b"hello world");
        assert!(!b.consume(6));
        assert_eq!(b.unsent(), b"world");
        assert_eq!(b.len(), 5);
        assert!(b.consume(5));
        assert_eq!(b.len(), 0);
    }

    #[test]
    fn appends_during_a_flight_leave_it_in_place() {
        let mut b = WriteBuffer::default();
        b.append(b"abc");
        let flight = b.begin_flight().unwrap();
        let (ptr, len) = (flight.as_ptr(), flight.len());
        b.append(&[b'x'; 4096]);
        assert!(b.begin_flight().is_none(), "one flight at a time");
        assert_eq!(b.len(), 3 + 4096);
        assert_eq!(b.flight.as_ptr(), ptr, "an append never moves the flight");
        assert_eq!(b.flight.len(), len);
        b.release();
        assert!(b.in_flight(), "a close keeps the flight for the kernel");
        assert_eq!(b.flight, b"abc");
        assert_eq!(b.end_flight(3), 0);
        assert!(!b.in_flight());
    }

    #[test]
    fn a_short_flight_puts_the_rest_back_in_front() {
        let mut b = WriteBuffer::default();
        b.append(b"abcdef");
        b.begin_flight();
        b.append(b"gh");
        assert_eq!(b.end_flight(2), 6);
        assert_eq!(b.unsent(), b"cdefgh");
    }

    #[test]
    fn compact_drops_the_sent_front() {
        let mut b = WriteBuffer::default();
        b.append(b"0123456789");
        b.consume(7);
        b.compact();
        assert_eq!(b.pos, 0);
        assert_eq!(b.unsent(), b"789");
    }
}
