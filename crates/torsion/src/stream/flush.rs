//! The write path: the loop's flush of dirty connections, and what follows a write
//! (close, half-close, watermarks, producers, a protocol switch).
//!
//! [`Reactor::after_write`] is the part a completion backend calls when its write
//! completes: it does not care how the bytes left.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use super::conn::{StreamCell, StreamConn};
use super::{flags, lost};
use crate::error::{ConnectionDone, WriteBufferOverflow};
use crate::producer::SharedProducer;
use crate::slab::Key;
use crate::{Failure, Reactor, Transport};

/// What a flush found to do once the connection's borrow is released.
#[derive(Default)]
struct AfterFlush {
    /// The write side was shut down: tell the protocol, then close if reading ended too.
    write_lost: Option<bool>,
    producer: Option<(SharedProducer, ProducerCall)>,
}

#[derive(Clone, Copy)]
enum ProducerCall {
    Pause,
    Resume,
}

/// The common flush: an open connection with no producer writes its buffer out. Returns
/// whether that was all (and clears [`flags::IN_DIRTY`]); if not, the slow path must run.
#[inline(always)]
fn flush_fast(conn: &mut StreamConn) -> bool {
    if conn.has(flags::FLUSH_SLOW) {
        return false;
    }
    match conn.write_out() {
        Ok(pending) if conn.within_fast_limit(pending) => {
            conn.clear(flags::IN_DIRTY);
            true
        }
        Ok(_) => false,
        Err(err) => {
            conn.close_with(lost(err));
            false
        }
    }
}

impl Reactor {
    /// Puts the connection in the dirty list for the loop's flush, once. While its reads
    /// are delivered it is only marked: the loop lists it when they end.
    #[inline(always)]
    pub(crate) fn mark_dirty(&self, cell: &Rc<StreamCell>, conn: &mut StreamConn) {
        if !conn.has(flags::IN_DIRTY) {
            conn.set(flags::IN_DIRTY);
            if !conn.has(flags::READING) {
                self.core.streams.push_dirty(cell.clone());
            }
        }
    }

    /// Closes stream `key` with `reason` at the next flush (from the loop).
    pub(crate) fn close_stream(&self, key: Key, reason: Failure) {
        if let Some(cell) = self.core.streams.get(key) {
            let mut conn = cell.conn().borrow_mut();
            conn.close_with(reason);
            self.mark_dirty(&cell, &mut conn);
        }
    }

    /// Closes stream `key` after a callback panicked, logging why.
    #[cold]
    pub(crate) fn abort_for_panic(&self, key: Key, reason: Failure) {
        let peer = self.core.streams.get(key).map(|c| c.peer().clone());
        tracing::error!(peer = %crate::error::describe(peer), %reason, "closing the connection");
        self.close_stream(key, reason);
    }

    /// Flushes every dirty connection: the common case (open, no producer, under the
    /// high watermark after writing) for all of them under one borrow each, then the rest
    /// one by one, as those may call back into user code.
    pub(crate) fn flush_dirty(&self) {
        let streams = &self.core.streams;
        let (mut cells, mut slow) = streams.take_dirty();
        for cell in cells.drain(..) {
            let mut conn = cell.conn().borrow_mut();
            // Not dirty: listed twice (or closed), and flushed already.
            if !conn.has(flags::IN_DIRTY) || flush_fast(&mut conn) {
                continue;
            }
            conn.clear(flags::IN_DIRTY);
            drop(conn);
            slow.push(cell);
        }
        for cell in slow.drain(..) {
            self.flush_slow(&cell);
        }
        streams.return_lists(cells, slow);
    }

    /// Closes, switches protocols, or writes out and then does what follows the write.
    fn flush_slow(&self, cell: &Rc<StreamCell>) {
        let key = cell.key();
        let pending = {
            let mut conn = cell.conn().borrow_mut();
            if conn.has(flags::CLOSED) {
                return;
            }
            if let Some(reason) = conn.take_close_reason() {
                drop(conn);
                return self.finalize(key, reason);
            }
            if conn.has(flags::CONNECTING) {
                return;
            }
            if conn.has(flags::SWITCHING) {
                drop(conn);
                self.switch_protocol(cell);
                conn = cell.conn().borrow_mut();
            }
            if conn.has(flags::TLS) {
                conn.seal();
            }
            let written = if conn.has(flags::FDS_QUEUED) {
                conn.write_out_passing_fds()
            } else {
                conn.write_out()
            };
            match written {
                Ok(pending) if conn.has(flags::TLS) => {
                    conn.after_sealed_write();
                    // What the layer holds back (plaintext waiting for the handshake, a
                    // close_notify owed) keeps a close waiting, but counts as one byte
                    // against the watermarks: were it to stop reading, the handshake that
                    // releases it could never end.
                    pending + conn.tls_held_back().min(1)
                }
                Ok(pending) => pending,
                Err(err) => {
                    drop(conn);
                    return self.finalize(key, lost(err));
                }
            }
        };
        self.after_write(cell, pending);
    }

    /// What follows a write that left `pending` bytes unsent: the hard limit, a close or
    /// half-close that waited for the buffer to drain, the watermarks and the producer.
    /// A completion backend calls this when its write completes.
    pub(crate) fn after_write(&self, cell: &Rc<StreamCell>, pending: usize) {
        let key = cell.key();
        let mut after = AfterFlush::default();
        {
            let mut conn = cell.conn().borrow_mut();
            if conn.has(flags::CLOSED) {
                return;
            }
            if pending > conn.hard_limit() {
                let limit = conn.hard_limit();
                drop(conn);
                return self.finalize(key, Failure::new(WriteBufferOverflow { limit }));
            }
            if pending == 0 {
                if conn.has(flags::DISCONNECTING) {
                    drop(conn);
                    return self.finalize(key, Failure::new(ConnectionDone));
                }
                if conn.has(flags::SHUTDOWN_REQUESTED) && !conn.has(flags::WRITE_SHUT) {
                    if let Some(source) = conn.source_mut() {
                        if let Err(err) = source.shutdown_write(self.core.io.registry()) {
                            tracing::debug!(peer = %cell.peer(), %err, "could not shut down writing");
                        }
                    }
                    conn.set_write_shut();
                    after.write_lost = Some(conn.has(flags::READ_EOF));
                }
            }
            self.apply_watermarks(key, &mut conn, pending, &mut after);
        }
        if after.write_lost.is_some() || after.producer.is_some() {
            self.run_after_flush(key, after);
        }
    }

    fn apply_watermarks(
        &self,
        key: Key,
        conn: &mut StreamConn,
        pending: usize,
        after: &mut AfterFlush,
    ) {
        let (high, low) = conn.watermarks();
        if pending > high && !conn.has(flags::BACKPRESSURE) {
            conn.set(flags::BACKPRESSURE);
            if let Some(slot) = conn.producer_mut().filter(|p| p.streaming && !p.paused) {
                slot.paused = true;
                after.producer = Some((slot.producer.clone(), ProducerCall::Pause));
            }
        } else if pending <= low && conn.has(flags::BACKPRESSURE) {
            conn.clear(flags::BACKPRESSURE);
            if conn.may_read() {
                self.core.streams.push_resumed(key);
            }
            if let Some(slot) = conn.producer_mut().filter(|p| p.streaming && p.paused) {
                slot.paused = false;
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
        if pending == 0 && conn.has(flags::WRITABLE) {
            if let Some(slot) = conn.producer().filter(|p| !p.streaming) {
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
    }

    fn run_after_flush(&self, key: Key, after: AfterFlush) {
        if let Some(then_close) = after.write_lost {
            let lost = self
                .core
                .streams
                .get(key)
                .map(|c| c.with_protocol(|p| p.write_connection_lost()));
            if let Some(Err(reason)) = lost {
                return self.abort_for_panic(key, reason);
            }
            if then_close {
                self.close_stream(key, Failure::new(ConnectionDone));
            }
        }
        if let Some((producer, call)) = after.producer {
            let result = match producer.try_borrow_mut() {
                Ok(mut p) => catch_unwind(AssertUnwindSafe(|| match call {
                    ProducerCall::Pause => p.pause_producing(),
                    ProducerCall::Resume => p.resume_producing(),
                })),
                Err(_) => Ok(()),
            };
            if let Err(payload) = result {
                self.abort_for_panic(key, Failure::from_panic("producer", payload));
            }
        }
    }

    /// Replaces the connection's protocol as its old protocol asked: the new one is
    /// built and gets `connection_made`, then the bytes the old one left, then reading
    /// resumes. The old protocol is dropped (panics in its `Drop` are logged).
    fn switch_protocol(&self, cell: &Rc<StreamCell>) {
        let key = cell.key();
        let Some(switch) = cell.conn().borrow_mut().take_switch() else {
            return;
        };
        let transport = Transport::stream(super::StreamHandle::new(self.clone(), cell.clone()));
        let next = (switch.build)(transport, self.core.timers.scheduler().clone());
        let old = cell.set_protocol(next);
        super::drop_guarded(old);
        if let Err(reason) = cell.with_protocol(|p| p.connection_made()) {
            return self.abort_for_panic(key, reason);
        }
        if !switch.unprocessed.is_empty() {
            if let Err(reason) = cell.with_protocol(|p| p.data_received(&switch.unprocessed)) {
                return self.abort_for_panic(key, reason);
            }
        }
        if cell.conn().borrow().may_read() {
            self.core.streams.push_resumed(key);
        }
    }
}
