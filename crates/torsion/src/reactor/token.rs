//! How a mio token names what became ready.

use mio::Token;

use crate::slab::Key;

const KIND_SHIFT: u32 = usize::BITS - 4;
const INDEX_MASK: usize = (1 << KIND_SHIFT) - 1;

/// What a poll event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A connection, by slot index (its generation is checked by the slab).
    Conn(usize),
    Listener(usize),
    Fd(usize),
    Waker,
    Signal,
    Timer,
}

pub(crate) const WAKER: Token = Token(usize::MAX);
pub(crate) const SIGNAL: Token = Token(usize::MAX - 1);
pub(crate) const TIMER: Token = Token(usize::MAX - 2);

const LISTENER: usize = 1;
const FD: usize = 2;

pub(crate) fn conn(key: Key) -> Token {
    Token(key.index as usize)
}

pub(crate) fn listener(key: Key) -> Token {
    Token((LISTENER << KIND_SHIFT) | key.index as usize)
}

pub(crate) fn fd(key: Key) -> Token {
    Token((FD << KIND_SHIFT) | key.index as usize)
}

pub(crate) fn source(token: Token) -> Source {
    let Token(t) = token;
    // Connections first: they are nearly every event.
    match t >> KIND_SHIFT {
        0 => Source::Conn(t & INDEX_MASK),
        LISTENER => Source::Listener(t & INDEX_MASK),
        FD => Source::Fd(t & INDEX_MASK),
        _ => match token {
            WAKER => Source::Waker,
            SIGNAL => Source::Signal,
            _ => Source::Timer,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        let key = Key {
            index: 7,
            generation: 3,
        };
        assert_eq!(source(conn(key)), Source::Conn(7));
        assert_eq!(source(listener(key)), Source::Listener(7));
        assert_eq!(source(fd(key)), Source::Fd(7));
        assert_eq!(source(WAKER), Source::Waker);
        assert_eq!(source(SIGNAL), Source::Signal);
        assert_eq!(source(TIMER), Source::Timer);
    }
}
