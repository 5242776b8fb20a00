//! The bits of a stream connection's flag word: its state, tested together on the hot
//! path. The module docs of [`crate::stream`] say which code sets and clears each.

/// Still connecting (client side): no protocol yet.
pub(crate) const CONNECTING: u32 = 1;
/// The read descriptor may have unread data (an edge was seen and not read to the end).
pub(crate) const READ_READY: u32 = 1 << 1;
/// The last event said the peer closed or errored: read on to the end.
pub(crate) const READ_HUP: u32 = 1 << 2;
/// The peer's EOF was read.
pub(crate) const READ_EOF: u32 = 1 << 3;
/// The last write did not meet EAGAIN.
pub(crate) const WRITABLE: u32 = 1 << 4;
/// The protocol (or whoever holds the transport) paused reading.
pub(crate) const USER_PAUSED: u32 = 1 << 5;
/// The write buffer passed its high watermark: reading waits for it to drain.
pub(crate) const BACKPRESSURE: u32 = 1 << 6;
/// `lose_connection` was called: close once the buffer is flushed.
pub(crate) const DISCONNECTING: u32 = 1 << 7;
/// `lose_write_connection` was called: shut down writing once flushed.
pub(crate) const SHUTDOWN_REQUESTED: u32 = 1 << 8;
/// Writing was shut down.
pub(crate) const WRITE_SHUT: u32 = 1 << 9;
/// The connection has something to flush: it is in the reactor's dirty list, or
/// [`READING`] and listed when its reads end.
pub(crate) const IN_DIRTY: u32 = 1 << 10;
/// A close reason is set: the next flush closes the connection.
pub(crate) const CLOSING: u32 = 1 << 11;
/// The loop is handing this connection's reads to its protocol and lists it for the
/// flush when they end if anything is buffered, so writes meanwhile only append.
pub(crate) const READING: u32 = 1 << 12;
/// The connection is closed and out of the reactor; only handles still point at it.
pub(crate) const CLOSED: u32 = 1 << 13;
/// A producer is registered: flushes must tell it when to pause or resume.
pub(crate) const PRODUCER: u32 = 1 << 14;
/// The protocol asked to be replaced: reading waits for the flush to switch.
pub(crate) const SWITCHING: u32 = 1 << 15;

/// Kind bit: a short read does not mean the descriptor is drained (a terminal in canonical
/// mode returns one line per read; a regular file is never "drained"): read until EAGAIN,
/// EOF or the fair share.
pub(crate) const READ_TO_EAGAIN: u32 = 1 << 16;
/// Kind bit: epoll refused the read descriptor (a regular file): it is always ready, and
/// the loop reads it from its resumed list instead of waiting for an event.
pub(crate) const UNPOLLED: u32 = 1 << 17;
/// Kind bit: the socket can carry descriptors (a UNIX stream): reads use `recvmsg`, so
/// descriptors that arrive are received (and never dropped by a plain `read`).
pub(crate) const PASSES_FDS: u32 = 1 << 18;
/// Descriptors wait in the source's queue to go with the next bytes sent: flushes take the
/// slow path, which writes with `sendmsg`.
pub(crate) const FDS_QUEUED: u32 = 1 << 19;
/// A TLS layer carries the connection's bytes: reads go to its session and flushes seal
/// first (both on their slow paths).
pub(crate) const TLS: u32 = 1 << 20;

/// Any of these stops reading.
pub(crate) const STOPS_READING: u32 = CONNECTING
    | USER_PAUSED
    | BACKPRESSURE
    | READ_EOF
    | DISCONNECTING
    | CLOSING
    | CLOSED
    | SWITCHING;
/// Any of these makes a flush more than writing the buffer out.
pub(crate) const FLUSH_SLOW: u32 = CONNECTING
    | BACKPRESSURE
    | DISCONNECTING
    | SHUTDOWN_REQUESTED
    | CLOSING
    | CLOSED
    | PRODUCER
    | SWITCHING
    | FDS_QUEUED
    | TLS;
/// Any of these refuses new writes.
pub(crate) const REFUSES_WRITES: u32 = SHUTDOWN_REQUESTED | WRITE_SHUT | CLOSING | CLOSED;
/// Any of these says a short read may leave data behind.
pub(crate) const SHORT_READ_NOT_DRAINED: u32 = READ_HUP | READ_TO_EAGAIN;

/// Checks the invariants that hold between the bits (debug builds only).
#[inline(always)]
pub(crate) fn debug_check(flags: u32) {
    debug_assert!(
        flags & WRITE_SHUT == 0 || flags & SHUTDOWN_REQUESTED != 0,
        "writing is shut down only on request: {flags:#x}"
    );
    debug_assert!(
        flags & CONNECTING == 0 || flags & (READ_EOF | WRITE_SHUT | READING | SWITCHING) == 0,
        "a connecting stream has no protocol to read for, switch or shut down: {flags:#x}"
    );
    debug_assert!(
        flags & CLOSED == 0 || flags & READING == 0,
        "a closed stream is not being read: {flags:#x}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [u32; 21] = [
        CONNECTING,
        READ_READY,
        READ_HUP,
        READ_EOF,
        WRITABLE,
        USER_PAUSED,
        BACKPRESSURE,
        DISCONNECTING,
        SHUTDOWN_REQUESTED,
        WRITE_SHUT,
        IN_DIRTY,
        CLOSING,
        READING,
        CLOSED,
        PRODUCER,
        SWITCHING,
        READ_TO_EAGAIN,
        UNPOLLED,
        PASSES_FDS,
        FDS_QUEUED,
        TLS,
    ];

    #[test]
    fn every_bit_is_its_own() {
        let mut seen = 0;
        for bit in ALL {
            assert_eq!(bit.count_ones(), 1, "{bit:#x}");
            assert_eq!(seen & bit, 0, "{bit:#x} used twice");
            seen |= bit;
        }
    }

    #[test]
    fn descriptor_passing_stays_off_the_common_paths() {
        // Queued descriptors make the flush slow (it sends them with sendmsg) ...
        assert_ne!(FLUSH_SLOW & FDS_QUEUED, 0);
        // ... but a UNIX stream with nothing queued flushes fast, and neither bit stops
        // reading or refuses writes.
        assert_eq!(FLUSH_SLOW & PASSES_FDS, 0);
        assert_eq!(STOPS_READING & (PASSES_FDS | FDS_QUEUED), 0);
        assert_eq!(REFUSES_WRITES & (PASSES_FDS | FDS_QUEUED), 0);
        assert_eq!(SHORT_READ_NOT_DRAINED & PASSES_FDS, 0);
    }

    #[test]
    fn tls_takes_the_slow_flush_and_stops_nothing() {
        assert_ne!(FLUSH_SLOW & TLS, 0);
        assert_eq!(STOPS_READING & TLS, 0);
        assert_eq!(REFUSES_WRITES & TLS, 0);
    }
}
