//! The paths that drive a TCP connection from the loop: readiness → read →
//! `data_received`; the flush of dirty connections; and the close.

use std::io;
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use mio::event::Event;
use mio::Interest;

use super::conn::{flag, Conn, Owner};
use crate::error::{ConnectionDone, ConnectionLost, WriteBufferOverflow};
use crate::producer::SharedProducer;
use crate::protocol::ProtocolDriver;
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

/// Reads once from `conn` into `buf`, while the reactor's borrow is held, and notes in
/// its flags whether the socket was drained.
#[inline(always)]
fn read_once(conn: &mut Conn, buf: &mut [u8]) -> Got {
    conn.set(flag::READING);
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and the descriptor stays
    // open while `conn` (which owns it) is borrowed.
    let n = unsafe {
        libc::recv(
            conn.stream.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
        )
    };
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
    if conn.has(flag::FLUSH_SLOW) || conn.producer.is_some() {
        return false;
    }
    match conn.write_out() {
        Ok(()) if conn.buffered() <= conn.high_water => {
            conn.clear(flag::IN_DIRTY);
            true
        }
        Ok(()) => false,
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
    /// Puts `key` in the dirty list for the next flush, once (unless its reads are being
    /// delivered: then it is flushed when they end).
    pub(crate) fn mark_dirty(&self, key: Key, conn: &mut Conn) {
        if !conn.has(flag::IN_DIRTY) {
            conn.set(flag::IN_DIRTY);
            if !conn.has(flag::READING) {
                self.inner.dirty.borrow_mut().push(key);
            }
        }
    }

    /// Closes `key` with `reason` at the next flush (from the loop).
    pub(crate) fn close_key(&self, key: Key, reason: Failure) {
        let mut conns = self.inner.conns.borrow_mut();
        if let Some(conn) = conns.get_mut(key) {
            conn.close_with(reason);
            self.mark_dirty(key, conn);
        }
    }

    /// Handles a readiness event; the first read happens under the same borrow that
    /// records the event, as it is the common case.
    pub(crate) fn conn_ready(&self, index: usize, event: &Event) {
        let mut buf = self.inner.read_buf.borrow_mut();
        let (key, got, driver) = {
            let mut conns = self.inner.conns.borrow_mut();
            let Some((key, conn)) = conns.get_by_index_mut(index) else {
                return;
            };
            let hup = event.is_read_closed() || event.is_error();
            if event.is_readable() || hup {
                conn.set(flag::READ_READY);
            }
            if hup {
                conn.set(flag::READ_HUP);
            }
            // Every edge reports writability; only a change (or a pull producer waiting
            // for it) needs the flush.
            if (event.is_writable() || event.is_error())
                && (!conn.has(flag::WRITABLE) || conn.producer.is_some())
            {
                conn.set(flag::WRITABLE);
                if conn.buffered() > 0 || conn.producer.is_some() {
                    self.mark_dirty(key, conn);
                }
            }
            if conn.has(flag::CONNECTING) {
                drop((conns, buf));
                self.connect_ready(key);
                return self.do_read(key);
            }
            if !conn.may_read() {
                return;
            }
            (key, read_once(conn, &mut buf), conn.driver.clone())
        };
        if self.deliver(key, got, driver, &buf) {
            self.read_loop(key, &mut buf, MAX_READS_PER_EVENT - 1);
        }
        self.reads_ended(key);
    }

    /// Reads until the socket is drained (or a fair share is read), handing each chunk
    /// to the protocol.
    pub(crate) fn do_read(&self, key: Key) {
        let mut buf = self.inner.read_buf.borrow_mut();
        self.read_loop(key, &mut buf, MAX_READS_PER_EVENT);
        self.reads_ended(key);
    }

    /// Flushes what the protocol wrote while its reads were delivered (the common case:
    /// one `send` right away), or queues the connection for the loop's flush.
    #[inline(always)]
    fn reads_ended(&self, key: Key) {
        let mut conns = self.inner.conns.borrow_mut();
        let Some(conn) = conns.get_mut(key) else {
            return;
        };
        conn.clear(flag::READING);
        if conn.has(flag::IN_DIRTY) && !flush_fast(conn) {
            self.inner.dirty.borrow_mut().push(key);
        }
    }

    fn read_loop(&self, key: Key, buf: &mut [u8], budget: usize) {
        for _ in 0..budget {
            let (got, driver) = {
                let mut conns = self.inner.conns.borrow_mut();
                match conns.get_mut(key) {
                    Some(conn) if conn.may_read() => (read_once(conn, buf), conn.driver.clone()),
                    _ => return,
                }
            };
            if !self.deliver(key, got, driver, buf) {
                return;
            }
        }
        // Still readable after a fair share: come back next iteration.
        let mut conns = self.inner.conns.borrow_mut();
        if conns.get_mut(key).is_some_and(|c| c.may_read()) {
            self.inner.resumed.borrow_mut().push(key);
        }
    }

    /// Hands one read's outcome to the protocol; returns whether to read again.
    #[inline(always)]
    fn deliver(
        &self,
        key: Key,
        got: Got,
        driver: Option<Rc<dyn ProtocolDriver>>,
        buf: &[u8],
    ) -> bool {
        match got {
            Got::Bytes { n, more } => {
                if let Some(driver) = driver {
                    if let Err(reason) = driver.data_received(&buf[..n]) {
                        self.abort_for_panic(key, reason);
                        return false;
                    }
                }
                more
            }
            Got::Eof => {
                self.read_eof(key, driver);
                false
            }
            Got::Nothing { retry } => retry,
            Got::Failed(err) => {
                self.close_key(key, lost(err));
                false
            }
        }
    }

    fn read_eof(&self, key: Key, driver: Option<Rc<dyn ProtocolDriver>>) {
        let write_shut = {
            let mut conns = self.inner.conns.borrow_mut();
            let Some(conn) = conns.get_mut(key) else {
                return;
            };
            conn.set(flag::READ_EOF);
            conn.clear(flag::READ_READY);
            conn.has(flag::WRITE_SHUT)
        };
        if write_shut {
            return self.close_key(key, Failure::new(ConnectionDone));
        }
        if let Some(driver) = driver {
            if let Err(reason) = driver.read_connection_lost() {
                self.abort_for_panic(key, reason);
            }
        }
    }

    pub(crate) fn abort_for_panic(&self, key: Key, reason: Failure) {
        let peer = self.inner.conns.borrow().get(key).and_then(|c| c.peer);
        tracing::error!(peer = %crate::error::describe(peer), %reason, "closing the connection");
        self.close_key(key, reason);
    }

    /// Flushes every dirty connection: the common case (open, no producer, under the
    /// high watermark after writing) for all of them under one borrow, then the rest one
    /// by one, as those may call back into user code.
    pub(crate) fn flush_dirty(&self) {
        let inner = &self.inner;
        let mut keys = std::mem::take(&mut *inner.flushing.borrow_mut());
        std::mem::swap(&mut *inner.dirty.borrow_mut(), &mut keys);
        let mut slow = 0;
        {
            let mut conns = inner.conns.borrow_mut();
            for i in 0..keys.len() {
                let key = keys[i];
                let Some(conn) = conns.get_mut(key) else {
                    continue;
                };
                // Flushed already when its reads ended, or listed twice.
                if !conn.has(flag::IN_DIRTY) || flush_fast(conn) {
                    continue;
                }
                conn.clear(flag::IN_DIRTY);
                keys[slow] = key;
                slow += 1;
            }
        }
        for key in keys.drain(..slow) {
            self.flush_slow(key);
        }
        keys.clear();
        *inner.flushing.borrow_mut() = keys;
    }

    /// Closes, half-closes, applies watermarks and tells producers, as needed.
    fn flush_slow(&self, key: Key) {
        let mut after = AfterFlush::default();
        {
            let mut conns = self.inner.conns.borrow_mut();
            let Some(conn) = conns.get_mut(key) else {
                return;
            };
            if let Some(reason) = conn.take_close_reason() {
                drop(conns);
                return self.finalize(key, reason);
            }
            if conn.has(flag::CONNECTING) {
                return;
            }
            if let Err(err) = conn.write_out() {
                drop(conns);
                return self.finalize(key, lost(err));
            }
            let pending = conn.buffered();
            if pending > conn.hard_limit {
                let limit = conn.hard_limit;
                drop(conns);
                return self.finalize(key, Failure::new(WriteBufferOverflow { limit }));
            }
            if pending == 0 {
                if conn.has(flag::DISCONNECTING) {
                    drop(conns);
                    return self.finalize(key, Failure::new(ConnectionDone));
                }
                if conn.has(flag::SHUTDOWN_REQUESTED) && !conn.has(flag::WRITE_SHUT) {
                    conn.set(flag::WRITE_SHUT);
                    let _ = conn.stream.shutdown(Shutdown::Write);
                    after.write_lost = Some(conn.has(flag::READ_EOF));
                }
            }
            self.apply_watermarks(key, conn, pending, &mut after);
        }
        if after.write_lost.is_some() || after.producer.is_some() {
            self.run_after_flush(key, after);
        }
    }

    fn apply_watermarks(&self, key: Key, conn: &mut Conn, pending: usize, after: &mut AfterFlush) {
        if pending > conn.high_water && !conn.has(flag::BACKPRESSURE) {
            conn.set(flag::BACKPRESSURE);
            if let Some(slot) = conn.producer.as_mut().filter(|p| p.streaming && !p.paused) {
                slot.paused = true;
                after.producer = Some((slot.producer.clone(), ProducerCall::Pause));
            }
        } else if pending <= conn.low_water && conn.has(flag::BACKPRESSURE) {
            conn.clear(flag::BACKPRESSURE);
            if conn.may_read() {
                self.inner.resumed.borrow_mut().push(key);
            }
            if let Some(slot) = conn.producer.as_mut().filter(|p| p.streaming && p.paused) {
                slot.paused = false;
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
        if pending == 0 && conn.has(flag::WRITABLE) {
            if let Some(slot) = conn.producer.as_ref().filter(|p| !p.streaming) {
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
    }

    fn run_after_flush(&self, key: Key, after: AfterFlush) {
        if let Some(then_close) = after.write_lost {
            let driver = self
                .inner
                .conns
                .borrow()
                .get(key)
                .and_then(|c| c.driver.clone());
            if let Some(driver) = driver {
                if let Err(reason) = driver.write_connection_lost() {
                    return self.abort_for_panic(key, reason);
                }
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
        let Some(mut conn) = self.inner.conns.borrow_mut().remove(key) else {
            return;
        };
        let _ = self.inner.registry.deregister(&mut conn.stream);
        let connecting = conn.has(flag::CONNECTING);
        let Conn {
            stream,
            peer,
            driver,
            owner,
            producer,
            ..
        } = conn;
        // An abort (or a panic, or an overflow) resets the connection, as Twisted does, so
        // the peer knows data was lost; a clean close or a dead peer closes normally.
        if !(reason.check::<ConnectionDone>() || reason.check::<ConnectionLost>()) {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
        drop(stream);
        tracing::debug!(peer = %crate::error::describe(peer), %reason, "connection closed");
        if let Some(slot) = producer {
            if let Ok(mut p) = slot.producer.try_borrow_mut() {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| p.stop_producing())) {
                    let failure = Failure::from_panic("stop_producing", payload);
                    tracing::error!(%failure, "a producer panicked");
                }
            }
        }
        if let Some(driver) = driver {
            driver.connection_lost(&reason);
        }
        if let Owner::Client(connector) = owner {
            if connecting {
                self.connect_failed(&connector, reason);
            } else {
                self.client_lost(&connector, reason);
            }
        }
    }

    pub(crate) fn register_conn(&self, key: Key, conn: &mut Conn) -> io::Result<()> {
        self.inner.registry.register(
            &mut conn.stream,
            token::conn(key),
            Interest::READABLE | Interest::WRITABLE,
        )
    }
}
