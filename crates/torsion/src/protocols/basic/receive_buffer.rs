//! [`ReceiveBuffer`]: the bytes a string receiver holds between reads, copied once.

/// Above this, an emptied buffer gives its memory back.
const KEEP_CAPACITY: usize = 64 * 1024;

/// The unparsed bytes of a connection: a parser sees them followed by each new read as one
/// slice, and what it does not consume stays for the next read.
///
/// A read that finds the buffer empty is parsed in place and only its unconsumed tail is
/// copied; otherwise it is appended, parsed, and the consumed front is dropped once. Every
/// byte is thus copied at most once into the buffer and moved at most once within it.
#[derive(Debug, Default)]
pub(super) struct ReceiveBuffer {
    pending: Vec<u8>,
}

impl ReceiveBuffer {
    /// Runs `parse` over the held bytes followed by `data`; `parse` returns how many bytes
    /// from the front it consumed, and the rest is kept.
    pub(super) fn feed(&mut self, data: &[u8], parse: impl FnOnce(&[u8]) -> usize) {
        if self.pending.is_empty() {
            let used = parse(data);
            self.pending.extend_from_slice(&data[used..]);
        } else {
            self.pending.extend_from_slice(data);
            let used = parse(&self.pending);
            self.pending.drain(..used);
        }
        if self.pending.is_empty() && self.pending.capacity() > KEEP_CAPACITY {
            self.pending = Vec::new();
        }
    }

    /// Forgets the held bytes (the connection is broken: they will never be parsed).
    pub(super) fn clear(&mut self) {
        self.pending = Vec::new();
    }
}
