//! How a mio token names what became ready: the kind of source, and its table key with
//! the slot's generation, so an event for a source closed earlier in the same batch never
//! reaches the source that took its slot.

use mio::Token;

use crate::slab::{Key, GENERATION_BITS};

const _: () = assert!(
    usize::BITS == 64,
    "tokens pack a kind, a generation and an index"
);

const KIND_SHIFT: u32 = 60;
const GENERATION_SHIFT: u32 = 32;
const GENERATION_MASK: usize = (1 << GENERATION_BITS) - 1;

/// What a poll event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Listener(Key),
    Fd(Key),
    /// A datagram port (UDP, UNIX datagram).
    Datagram(Key),
    Waker,
    Signal,
    Timer,
}

pub(crate) const WAKER: Token = Token(usize::MAX);
pub(crate) const SIGNAL: Token = Token(usize::MAX - 1);
pub(crate) const TIMER: Token = Token(usize::MAX - 2);

const STREAM: usize = 0;
const LISTENER: usize = 1;
const FD: usize = 2;
const DATAGRAM: usize = 3;

fn encode(kind: usize, key: Key) -> Token {
    Token(
        (kind << KIND_SHIFT) | ((key.generation as usize) << GENERATION_SHIFT) | key.index as usize,
    )
}

#[inline(always)]
fn key_of(t: usize) -> Key {
    Key {
        index: t as u32,
        generation: ((t >> GENERATION_SHIFT) & GENERATION_MASK) as u32,
    }
}

pub(crate) fn stream(key: Key) -> Token {
    encode(STREAM, key)
}

pub(crate) fn listener(key: Key) -> Token {
    encode(LISTENER, key)
}

pub(crate) fn fd(key: Key) -> Token {
    encode(FD, key)
}

pub(crate) fn datagram(key: Key) -> Token {
    encode(DATAGRAM, key)
}

/// The stream `token` names, if it names one: the loop's test for nearly every event,
/// kept apart from [`source`] so the common case is one shift and one compare.
#[inline(always)]
pub(crate) fn stream_key(token: Token) -> Option<Key> {
    let Token(t) = token;
    (t >> KIND_SHIFT == STREAM).then(|| key_of(t))
}

/// What a token that is not a stream's names (a stream's is told by [`stream_key`]).
pub(crate) fn source(token: Token) -> Source {
    debug_assert!(stream_key(token).is_none(), "a stream's token");
    let Token(t) = token;
    match t >> KIND_SHIFT {
        LISTENER => Source::Listener(key_of(t)),
        FD => Source::Fd(key_of(t)),
        DATAGRAM => Source::Datagram(key_of(t)),
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
    fn tokens_round_trip_with_their_generation() {
        let key = Key {
            index: 7,
            generation: (1 << GENERATION_BITS) - 1,
        };
        assert_eq!(stream_key(stream(key)), Some(key));
        assert_eq!(stream_key(datagram(key)), None);
        assert_eq!(stream_key(WAKER), None);
        assert_eq!(source(listener(key)), Source::Listener(key));
        assert_eq!(source(fd(key)), Source::Fd(key));
        assert_eq!(source(datagram(key)), Source::Datagram(key));
        let older = Key {
            index: 7,
            generation: 3,
        };
        assert_ne!(stream(key), stream(older));
        assert_eq!(source(WAKER), Source::Waker);
        assert_eq!(source(SIGNAL), Source::Signal);
        assert_eq!(source(TIMER), Source::Timer);
    }
}
