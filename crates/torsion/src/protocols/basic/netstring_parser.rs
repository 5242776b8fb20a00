//! [`NetstringParser`]: netstrings found in bytes, one step at a time.

use super::NetstringParseError;

/// What the parser found next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Step<'d> {
    /// A whole netstring: its data.
    String(&'d [u8]),
    /// Every byte given so far is parsed, save a netstring's data waiting for the rest.
    NeedMore,
    /// The bytes are not a netstring.
    Error(NetstringParseError),
}

/// Where the parser is within a netstring.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Reading the length: its value once a digit came.
    Length(Option<usize>),
    /// A `\n` came right after the digits. Twisted accepts it as long as nothing follows
    /// (its pattern for a partial length ends in `$`, which matches before a final
    /// newline), so this waits for the next byte to refuse it.
    Newline,
    /// The length was read: its data, then a comma, are next.
    Payload(usize),
}

/// Parses netstrings (`12:hello world!,`) as Twisted's `NetstringReceiver` does: a
/// length in decimal with no leading zero, `:`, the data, `,`.
///
/// The length is parsed as its digits arrive and never read again; the data is handed out
/// as a slice of the input once it is all there, so a parser waiting for it consumes
/// nothing (the caller keeps those bytes contiguous).
#[derive(Debug)]
pub(super) struct NetstringParser {
    max_length: usize,
    state: State,
}

impl NetstringParser {
    /// A parser refusing lengths over `max_length`.
    pub(super) fn new(max_length: usize) -> Self {
        NetstringParser {
            max_length,
            state: State::Length(None),
        }
    }

    /// Parses `input` from `*pos`, advancing `*pos` past what it consumed, up to the next
    /// netstring, the need for more bytes, or an error. After an error the parser must not
    /// be used again.
    pub(super) fn next<'d>(&mut self, input: &'d [u8], pos: &mut usize) -> Step<'d> {
        loop {
            if let State::Payload(length) = self.state {
                let rest = &input[*pos..];
                if rest.len() <= length {
                    return Step::NeedMore;
                }
                if rest[length] != b',' {
                    return Step::Error(NetstringParseError::MissingComma);
                }
                *pos += length + 1;
                self.state = State::Length(None);
                return Step::String(&rest[..length]);
            }
            let Some(&byte) = input.get(*pos) else {
                return Step::NeedMore;
            };
            *pos += 1;
            match self.after_length_byte(byte) {
                Ok(state) => self.state = state,
                Err(error) => return Step::Error(error),
            }
        }
    }

    /// The state after `byte`, read while the length is parsed.
    fn after_length_byte(&self, byte: u8) -> Result<State, NetstringParseError> {
        match (self.state, byte) {
            (State::Length(Some(length)), b':') => Ok(State::Payload(length)),
            (State::Length(Some(0)), b'0'..=b'9') => Err(NetstringParseError::MissingLength),
            (State::Length(value), b'0'..=b'9') => value
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|v| v.checked_add(usize::from(byte - b'0')))
                .filter(|&v| v <= self.max_length)
                .map(|v| State::Length(Some(v)))
                .ok_or(NetstringParseError::TooLong {
                    max_length: self.max_length,
                }),
            (State::Length(Some(_)), b'\n') => Ok(State::Newline),
            _ => Err(NetstringParseError::MissingLength),
        }
    }
}
