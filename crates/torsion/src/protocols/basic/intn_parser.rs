//! [`IntNParser`]: length-prefixed strings found in bytes, one step at a time.

use super::prefix::decode;

/// What the parser found next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step<'d> {
    /// A whole string.
    String(&'d [u8]),
    /// Every byte given so far is parsed, save a prefix or a string waiting for the rest.
    NeedMore,
    /// A prefix announced this length, over the limit. Every later call says so again
    /// (the prefix stays first in line, as in Twisted) and discards what it is given.
    TooLong(usize),
}

/// Where the parser is.
#[derive(Debug, Clone, Copy)]
enum State {
    /// A prefix is next.
    Prefix,
    /// A prefix announced this length; the string is next.
    Body(usize),
    /// A prefix announced this length, over the limit: the parser is stuck on it.
    Exceeded(usize),
}

/// Parses strings each prefixed by its length, a big-endian integer of `prefix_bytes`
/// bytes, as Twisted's `IntNStringReceiver` does.
///
/// A prefix is read once whole, and a string is handed out as a slice of the input once it
/// is all there; until then nothing of it is consumed (the caller keeps those bytes
/// contiguous) and nothing is scanned.
#[derive(Debug)]
pub(super) struct IntNParser {
    prefix_bytes: usize,
    max_length: usize,
    state: State,
}

impl IntNParser {
    /// A parser of `prefix_bytes`-byte prefixes refusing lengths over `max_length`.
    pub(super) fn new(prefix_bytes: usize, max_length: usize) -> Self {
        IntNParser {
            prefix_bytes,
            max_length,
            state: State::Prefix,
        }
    }

    /// Parses `input` from `*pos`, advancing `*pos` past what it consumed, up to the next
    /// string, the need for more bytes, or a length over the limit.
    pub(super) fn next<'d>(&mut self, input: &'d [u8], pos: &mut usize) -> Step<'d> {
        loop {
            let rest = &input[*pos..];
            match self.state {
                State::Prefix => {
                    let Some(prefix) = rest.get(..self.prefix_bytes) else {
                        return Step::NeedMore;
                    };
                    let length = decode(prefix);
                    if length > self.max_length {
                        self.state = State::Exceeded(length);
                        *pos = input.len();
                        return Step::TooLong(length);
                    }
                    *pos += self.prefix_bytes;
                    self.state = State::Body(length);
                }
                State::Body(length) => {
                    let Some(string) = rest.get(..length) else {
                        return Step::NeedMore;
                    };
                    *pos += length;
                    self.state = State::Prefix;
                    return Step::String(string);
                }
                State::Exceeded(length) => {
                    *pos = input.len();
                    return Step::TooLong(length);
                }
            }
        }
    }
}
