//! The end of a stream connection: `finalize` tears it down and tells everyone.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::conn::Closed;
use super::flags;
use super::source::StreamSource;
use crate::error::{ConnectionDone, ConnectionLost};
use crate::slab::Key;
use crate::tls::{TlsError, TlsTruncated};
use crate::{Failure, Reactor};

impl Reactor {
    /// Removes the connection and tells everyone: producer, protocol, then its opener.
    /// Runs only from the loop. Nothing user code does here can escape: a panic in
    /// `stop_producing`, `connection_lost` or the protocol's `Drop` is logged.
    pub(crate) fn finalize(&self, key: Key, reason: Failure) {
        let Some(cell) = self.core.streams.remove(key) else {
            return;
        };
        let (connecting, closed) = {
            let mut conn = cell.conn().borrow_mut();
            (conn.has(flags::CONNECTING), conn.close())
        };
        let Closed {
            source,
            producer,
            opener,
        } = closed;
        let protocol = cell.take_protocol();
        if let Some(source) = source {
            // An abort (or a panic, or an overflow) resets a TCP connection, as Twisted
            // does, so the peer knows data was lost; a clean close or a dead peer closes
            // normally. Exact types: `check::<ConnectionLost>()` would also take in
            // `ConnectionAborted`, its subkind. A TLS failure closes normally too, so the
            // alert sent just before reaches the peer (a reset may discard it there).
            let reset = reason.downcast_ref::<ConnectionDone>().is_none()
                && reason.downcast_ref::<ConnectionLost>().is_none()
                && !reason.check::<TlsError>()
                && !reason.check::<TlsTruncated>();
            self.release_source(source, reset);
        }
        tracing::debug!(peer = %cell.peer(), %reason, "connection closed");
        if let Some(slot) = producer {
            if let Ok(mut p) = slot.producer.try_borrow_mut() {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| p.stop_producing())) {
                    let failure = Failure::from_panic("stop_producing", payload);
                    tracing::error!(%failure, "a producer panicked");
                }
            }
        }
        protocol.connection_lost(&reason);
        super::drop_guarded(protocol);
        if let Some(opener) = opener {
            opener.closed(self, reason, connecting);
        }
    }

    /// Drops a connection that never reached its protocol.
    pub(crate) fn discard_stream(&self, key: Key) {
        let removed = self.core.streams.remove(key);
        if let Some(cell) = removed {
            let closed = cell.conn().borrow_mut().close();
            if let Some(source) = closed.source {
                self.release_source(source, false);
            }
        }
    }

    /// Stops polling a closed connection's descriptors, closes them, and lets whatever
    /// waits for a free descriptor try again.
    fn release_source(&self, mut source: Box<dyn StreamSource>, reset: bool) {
        source.deregister(self.core.io.registry());
        source.close(reset);
        self.descriptor_freed();
    }
}
