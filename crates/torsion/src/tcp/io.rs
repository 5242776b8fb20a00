//! The paths that drive a TCP connection from the loop: readiness → read →
//! `data_received`; the flush of dirty connections; and the close.

use std::io;
use std::net::Shutdown;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use mio::event::Event;
use mio::Interest;

use super::conn::{flag, Conn, ConnCell, Owner};
use crate::error::{ConnectionDone, ConnectionLost, WriteBufferOverflow};
use crate::producer::SharedProducer;
use crate::reactor::token;
use crate::slab::Key;
use crate::{Failure, Reactor};

/// Reads per readiness event before yielding to other connections.
const MAX_READS_PER_EVENT: usize = 16;

/// What a flush found to do once the reactor's borrows are released.
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

/// What one `recv` found.
enum Got {
    /// `n` bytes; `more` if the socket may hold more.
    Bytes {
        n: usize,
        more: bool,
    },
    Eof,
    /// Nothing to read now (EAGAIN), or a signal interrupted the call.
    Nothing {
        retry: bool,
    },
    Failed(io::Error),
}

/// Reads once from `conn` into `buf` (the caller holds the connection's borrow), and notes
/// in its flags whether the socket was drained.
#[inline(always)]
fn read_once(conn: &mut Conn, buf: &mut [u8]) -> Got {
    conn.set(flag::READING);
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and `fd` is open until
    // CLOSED (which stops every read).
    let n = unsafe { libc::recv(conn.fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n > 0 {
        let n = n as usize;
        // A short read drained the socket: Linux raises a new edge for anything that
        // arrives later, so skip the read that would only return EAGAIN, unless the peer
        // closed (then read on to EOF).
        let more = n == buf.len() || conn.has(flag::READ_HUP);
        if !more {
            conn.clear(flag::READ_READY);
        }
        return Got::Bytes { n, more };
    }
    if n == 0 {
        return Got::Eof;
    }
    let err = io::Error::last_os_error();
    match err.kind() {
        io::ErrorKind::WouldBlock => {
            conn.clear(flag::READ_READY);
            Got::Nothing { retry: false }
        }
        io::ErrorKind::Interrupted => Got::Nothing { retry: true },
        _ => Got::Failed(err),
    }
}

/// The common flush: an open connection with no producer writes its buffer out. Returns
/// whether that was all (and clears [`flag::IN_DIRTY`]); if not, the slow path must run.
#[inline(always)]
fn flush_fast(conn: &mut Conn) -> bool {
    if conn.has(flag::FLUSH_SLOW) {
        return false;
    }
    match conn.write_out() {
        // `pending == 0` is implied, but spelled out it lets the sent-it-all return of
        // `write_out` skip the watermark load (3 instructions per message).
        Ok(pending) if pending == 0 || pending <= conn.high_water => {
            conn.clear(flag::IN_DIRTY);
            true
        }
        Ok(_) => false,
        Err(err) => {
            conn.close_with(lost(err));
            false
        }
    }
}

fn lost(err: io::Error) -> Failure {
    Failure::new(ConnectionLost {
        os_error: Some(err),
    })
}

impl Reactor {
    /// Puts the connection in the dirty list for the loop's flush, once. While its reads
    /// are delivered it is only marked: the loop lists it when they end.
    #[inline(always)]
    pub(crate) fn mark_dirty(&self, cell: &Rc<ConnCell>, conn: &mut Conn) {
        if !conn.has(flag::IN_DIRTY) {
            conn.set(flag::IN_DIRTY);
            if !conn.has(flag::READING) {
                self.inner.dirty.borrow_mut().push(cell.clone());
            }
        }
    }

    /// Closes `key` with `reason` at the next flush (from the loop).
    pub(crate) fn close_key(&self, key: Key, reason: Failure) {
        if let Some(cell) = self.cell(key) {
            let mut conn = cell.conn.borrow_mut();
            conn.close_with(reason);
            self.mark_dirty(&cell, &mut conn);
        }
    }

    /// The connection in slot `index`, whatever its generation.
    fn cell_at(&self, index: usize) -> Option<Rc<ConnCell>> {
        let conns = self.inner.conns.borrow();
        conns.get_by_index(index).map(|(_, cell)| cell.clone())
    }

    /// The connection `key`, if it is still open.
    pub(crate) fn cell(&self, key: Key) -> Option<Rc<ConnCell>> {
        self.inner.conns.borrow().get(key).cloned()
    }

    /// Handles a readiness event; the first read happens under the same borrow that
    /// records the event, as it is the common case.
    /// `buf` is the reactor's read buffer.
    pub(crate) fn conn_ready(&self, index: usize, event: &Event, buf: &mut [u8]) {
        let Some(cell) = self.cell_at(index) else {
            return;
        };
        let got = {
            let mut conn = cell.conn.borrow_mut();
            // The common edge: data arrived on an open, writable connection.
            if event.is_readable()
                && !(event.is_read_closed() || event.is_error())
                && conn.flags & (flag::WRITABLE | flag::PRODUCER) == flag::WRITABLE
            {
                conn.set(flag::READ_READY);
            } else {
                self.note_event(&cell, &mut conn, event);
            }
            if !conn.may_read() {
                if conn.has(flag::CONNECTING) {
                    drop(conn);
                    self.connect_ready(cell.key);
                    self.do_read(cell.key, buf);
                }
                return;
            }
            read_once(&mut conn, buf)
        };
        if self.deliver(&cell, got, buf) {
            self.read_loop(&cell, buf, MAX_READS_PER_EVENT - 1);
        }
        self.reads_ended(cell);
    }

    /// Records what any other readiness event says.
    #[inline(never)]
    fn note_event(&self, cell: &Rc<ConnCell>, conn: &mut Conn, event: &Event) {
        let hup = event.is_read_closed() || event.is_error();
        if event.is_readable() || hup {
            conn.set(flag::READ_READY);
        }
        if hup {
            conn.set(flag::READ_HUP);
        }
        // Every edge reports writability; only a change (or a pull producer waiting for
        // it) needs the flush.
        if (event.is_writable() || event.is_error())
            && (!conn.has(flag::WRITABLE) || conn.has(flag::PRODUCER))
        {
            conn.set(flag::WRITABLE);
            if conn.buffered() > 0 || conn.has(flag::PRODUCER) {
                self.mark_dirty(cell, conn);
            }
        }
    }

    /// Reads until the socket is drained (or a fair share is read), handing each chunk
    /// to the protocol.
    pub(crate) fn do_read(&self, key: Key, buf: &mut [u8]) {
        let Some(cell) = self.cell(key) else {
            return;
        };
        self.read_loop(&cell, buf, MAX_READS_PER_EVENT);
        self.reads_ended(cell);
    }

    /// Lists the connection for the loop's flush if its protocol wrote (or closed) while
    /// its reads were delivered. The flush waits for the end of the iteration, with every
    /// other connection's: sending as each connection is read costs the kernel a wake-up
    /// of the peer per send, and more than it saves here.
    #[inline(always)]
    fn reads_ended(&self, cell: Rc<ConnCell>) {
        let dirty = {
            let mut conn = cell.conn.borrow_mut();
            conn.clear(flag::READING);
            let dirty = conn.has(flag::IN_DIRTY) || conn.buffered() > 0;
            if dirty {
                conn.set(flag::IN_DIRTY);
            }
            dirty
        };
        if dirty {
            self.inner.dirty.borrow_mut().push(cell);
        }
    }

    fn read_loop(&self, cell: &ConnCell, buf: &mut [u8], budget: usize) {
        for _ in 0..budget {
            let got = {
                let mut conn = cell.conn.borrow_mut();
                if !conn.may_read() {
                    return;
                }
                read_once(&mut conn, buf)
            };
            if !self.deliver(cell, got, buf) {
                return;
            }
        }
        // Still readable after a fair share: come back next iteration.
        if cell.conn.borrow().may_read() {
            self.inner.resumed.borrow_mut().push(cell.key);
        }
    }

    /// Hands one read's outcome to the protocol; returns whether to read again.
    #[inline(always)]
    fn deliver(&self, cell: &ConnCell, got: Got, buf: &[u8]) -> bool {
        match got {
            Got::Bytes { n, more } => {
                let driver = cell.driver.borrow();
                if let Err(reason) = driver.data_received(&buf[..n]) {
                    drop(driver);
                    self.abort_for_panic(cell.key, reason);
                    return false;
                }
                more
            }
            Got::Eof => {
                self.read_eof(cell);
                false
            }
            Got::Nothing { retry } => retry,
            Got::Failed(err) => {
                self.close_key(cell.key, lost(err));
                false
            }
        }
    }

    fn read_eof(&self, cell: &ConnCell) {
        let write_shut = {
            let mut conn = cell.conn.borrow_mut();
            conn.set(flag::READ_EOF);
            conn.clear(flag::READ_READY);
            conn.has(flag::WRITE_SHUT)
        };
        if write_shut {
            return self.close_key(cell.key, Failure::new(ConnectionDone));
        }
        if let Err(reason) = cell.with_driver(|d| d.read_connection_lost()) {
            self.abort_for_panic(cell.key, reason);
        }
    }

    pub(crate) fn abort_for_panic(&self, key: Key, reason: Failure) {
        let peer = self.cell(key).and_then(|c| c.conn.borrow().peer);
        tracing::error!(peer = %crate::error::describe(peer), %reason, "closing the connection");
        self.close_key(key, reason);
    }

    /// Flushes every dirty connection: the common case (open, no producer, under the
    /// high watermark after writing) for all of them under one borrow, then the rest one
    /// by one, as those may call back into user code.
    pub(crate) fn flush_dirty(&self) {
        let inner = &self.inner;
        let mut cells = std::mem::take(&mut *inner.flushing.borrow_mut());
        std::mem::swap(&mut *inner.dirty.borrow_mut(), &mut cells);
        let mut slow = std::mem::take(&mut *inner.flushing_slow.borrow_mut());
        for cell in cells.drain(..) {
            let mut conn = cell.conn.borrow_mut();
            // Not dirty: listed twice (or closed), and flushed already.
            if !conn.has(flag::IN_DIRTY) || flush_fast(&mut conn) {
                continue;
            }
            conn.clear(flag::IN_DIRTY);
            drop(conn);
            slow.push(cell);
        }
        *inner.flushing.borrow_mut() = cells;
        for cell in slow.drain(..) {
            self.flush_slow(&cell);
        }
        *inner.flushing_slow.borrow_mut() = slow;
    }

    /// Closes, half-closes, applies watermarks and tells producers, as needed.
    fn flush_slow(&self, cell: &Rc<ConnCell>) {
        let key = cell.key;
        let mut after = AfterFlush::default();
        {
            let mut conn = cell.conn.borrow_mut();
            if conn.has(flag::CLOSED) {
                return;
            }
            if let Some(reason) = conn.take_close_reason() {
                drop(conn);
                return self.finalize(key, reason);
            }
            if conn.has(flag::CONNECTING) {
                return;
            }
            let pending = match conn.write_out() {
                Ok(pending) => pending,
                Err(err) => {
                    drop(conn);
                    return self.finalize(key, lost(err));
                }
            };
            if pending > conn.hard_limit {
                let limit = conn.hard_limit;
                drop(conn);
                return self.finalize(key, Failure::new(WriteBufferOverflow { limit }));
            }
            if pending == 0 {
                if conn.has(flag::DISCONNECTING) {
                    drop(conn);
                    return self.finalize(key, Failure::new(ConnectionDone));
                }
                if conn.has(flag::SHUTDOWN_REQUESTED) && !conn.has(flag::WRITE_SHUT) {
                    conn.set(flag::WRITE_SHUT);
                    if let Some(stream) = &conn.stream {
                        let _ = stream.shutdown(Shutdown::Write);
                    }
                    after.write_lost = Some(conn.has(flag::READ_EOF));
                }
            }
            self.apply_watermarks(key, &mut conn, pending, &mut after);
        }
        if after.write_lost.is_some() || after.producer.is_some() {
            self.run_after_flush(key, after);
        }
    }

    fn apply_watermarks(&self, key: Key, conn: &mut Conn, pending: usize, after: &mut AfterFlush) {
        if pending > conn.high_water && !conn.has(flag::BACKPRESSURE) {
            conn.set(flag::BACKPRESSURE);
            if let Some(slot) = conn.producer_mut().filter(|p| p.streaming && !p.paused) {
                slot.paused = true;
                after.producer = Some((slot.producer.clone(), ProducerCall::Pause));
            }
        } else if pending <= conn.low_water && conn.has(flag::BACKPRESSURE) {
            conn.clear(flag::BACKPRESSURE);
            if conn.may_read() {
                self.inner.resumed.borrow_mut().push(key);
            }
            if let Some(slot) = conn.producer_mut().filter(|p| p.streaming && p.paused) {
                slot.paused = false;
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
        if pending == 0 && conn.has(flag::WRITABLE) {
            if let Some(slot) = conn.producer().filter(|p| !p.streaming) {
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
    }

    fn run_after_flush(&self, key: Key, after: AfterFlush) {
        if let Some(then_close) = after.write_lost {
            let lost = self
                .cell(key)
                .map(|c| c.with_driver(|d| d.write_connection_lost()));
            if let Some(Err(reason)) = lost {
                return self.abort_for_panic(key, reason);
            }
            if then_close {
                self.close_key(key, Failure::new(ConnectionDone));
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

    /// Removes the connection and tells everyone: producer, protocol, then the client
    /// factory. Runs only from the loop.
    pub(crate) fn finalize(&self, key: Key, reason: Failure) {
        let Some(cell) = self.inner.conns.borrow_mut().remove(key) else {
            return;
        };
        let (connecting, peer, (stream, producer, owner)) = {
            let mut conn = cell.conn.borrow_mut();
            (conn.has(flag::CONNECTING), conn.peer, conn.close())
        };
        let driver = cell.take_driver();
        if let Some(mut stream) = stream {
            let _ = self.inner.registry.deregister(&mut stream);
            // An abort (or a panic, or an overflow) resets the connection, as Twisted
            // does, so the peer knows data was lost; a clean close or a dead peer closes
            // normally.
            if !(reason.check::<ConnectionDone>() || reason.check::<ConnectionLost>()) {
                let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            }
        }
        tracing::debug!(peer = %crate::error::describe(peer), %reason, "connection closed");
        if let Some(slot) = producer {
            if let Ok(mut p) = slot.producer.try_borrow_mut() {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| p.stop_producing())) {
                    let failure = Failure::from_panic("stop_producing", payload);
                    tracing::error!(%failure, "a producer panicked");
                }
            }
        }
        driver.connection_lost(&reason);
        if let Owner::Client(connector) = owner {
            if connecting {
                self.connect_failed(&connector, reason);
            } else {
                self.client_lost(&connector, reason);
            }
        }
    }

    pub(crate) fn register_conn(&self, key: Key, conn: &mut Conn) -> io::Result<()> {
        let Some(stream) = conn.stream.as_mut() else {
            return Err(io::ErrorKind::NotConnected.into());
        };
        self.inner.registry.register(
            stream,
            token::conn(key),
            Interest::READABLE | Interest::WRITABLE,
        )
    }
}
