//! The read path: a readiness event → `read` → the protocol's `data_received`.

use std::rc::Rc;

use mio::event::Event;

use super::conn::{ReadOutcome, StreamCell, StreamConn};
use super::flags;
use crate::error::ConnectionDone;
use crate::slab::Key;
use crate::{Failure, Reactor};

/// Reads per readiness event before yielding to other connections.
const MAX_READS_PER_EVENT: usize = 16;

impl Reactor {
    /// Handles a readiness event for stream `key`; the first read happens under the same
    /// borrow that records the event, as it is the common case. `buf` is the reactor's
    /// read buffer. An event for a connection that closed (and whose slot was reused) in
    /// the same batch finds no connection: the key carries the slot's generation.
    #[inline(always)]
    pub(crate) fn stream_ready(&self, key: Key, event: &Event, buf: &mut [u8]) {
        let Some(cell) = self.core.streams.get(key) else {
            return;
        };
        let got = {
            let mut conn = cell.conn().borrow_mut();
            // The common edge: data arrived on an open, writable connection of a kind that
            // reads with `read(2)` into its protocol. The mask also sends a kind that passes
            // descriptors, and a TLS stream, to the other branch, which reads them on their
            // own path: the common one carries no test of its own for them.
            if event.is_readable()
                && !(event.is_read_closed() || event.is_error())
                && conn.flags()
                    & (flags::WRITABLE | flags::PRODUCER | flags::PASSES_FDS | flags::TLS)
                    == flags::WRITABLE
            {
                conn.set(flags::READ_READY);
            } else if self.note_event(&cell, &mut conn, event) {
                drop(conn);
                return self.read_special_kind(cell, buf);
            }
            if !conn.may_read() {
                if conn.has(flags::CONNECTING) {
                    drop(conn);
                    self.connect_ready(&cell, buf);
                }
                return;
            }
            conn.read_into(buf)
        };
        if self.deliver(&cell, got, buf) {
            self.read_loop(&cell, buf, MAX_READS_PER_EVENT - 1);
        }
        self.reads_ended(cell);
    }

    /// A connecting stream's descriptor became ready: its opener finds out whether it
    /// connected; if it did, whatever arrived with the connect is read.
    #[cold]
    fn connect_ready(&self, cell: &Rc<StreamCell>, buf: &mut [u8]) {
        let opener = cell.conn().borrow().opener();
        if let Some(opener) = opener {
            opener.connect_ready(self, cell);
        }
        self.do_read(cell.key(), buf);
    }

    /// Records what any other readiness event says; returns whether the connection passes
    /// descriptors or carries TLS (it is then read by
    /// [`read_special_kind`](Reactor::read_special_kind)).
    #[inline(never)]
    fn note_event(&self, cell: &Rc<StreamCell>, conn: &mut StreamConn, event: &Event) -> bool {
        let hup = event.is_read_closed() || event.is_error();
        if event.is_readable() || hup {
            conn.set(flags::READ_READY);
        }
        if hup {
            conn.set(flags::READ_HUP);
        }
        // Every edge reports writability; only a change (or a pull producer waiting for
        // it) needs the flush.
        if (event.is_writable() || event.is_error())
            && (!conn.has(flags::WRITABLE) || conn.has(flags::PRODUCER))
        {
            conn.set(flags::WRITABLE);
            if conn.buffered() > 0 || conn.has(flags::PRODUCER) {
                self.mark_dirty(cell, conn);
            }
        }
        conn.has(flags::PASSES_FDS | flags::TLS)
    }

    /// The readiness event of a kind that passes descriptors or carries TLS: as the common
    /// path, with `recvmsg` or the TLS session (through [`read_loop`](Reactor::read_loop)).
    #[cold]
    #[inline(never)]
    fn read_special_kind(&self, cell: Rc<StreamCell>, buf: &mut [u8]) {
        let (may_read, connecting) = {
            let conn = cell.conn().borrow();
            (conn.may_read(), conn.has(flags::CONNECTING))
        };
        if !may_read {
            if connecting {
                self.connect_ready(&cell, buf);
            }
            return;
        }
        self.read_loop(&cell, buf, MAX_READS_PER_EVENT);
        self.reads_ended(cell);
    }

    /// Reads until the descriptor is drained (or a fair share is read), handing each
    /// chunk to the protocol.
    pub(crate) fn do_read(&self, key: Key, buf: &mut [u8]) {
        let Some(cell) = self.core.streams.get(key) else {
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
    fn reads_ended(&self, cell: Rc<StreamCell>) {
        let dirty = {
            let mut conn = cell.conn().borrow_mut();
            conn.clear(flags::READING);
            let dirty = conn.has(flags::IN_DIRTY) || conn.has_unsent();
            if dirty {
                conn.set(flags::IN_DIRTY);
            }
            dirty
        };
        if dirty {
            self.core.streams.push_dirty(cell);
        }
    }

    fn read_loop(&self, cell: &StreamCell, buf: &mut [u8], budget: usize) {
        for _ in 0..budget {
            let got = {
                let mut conn = cell.conn().borrow_mut();
                if !conn.may_read() {
                    return;
                }
                conn.read_any(buf)
            };
            if !self.deliver(cell, got, buf) {
                return;
            }
        }
        // Still readable after a fair share (or always ready): come back next iteration.
        if cell.conn().borrow().may_read() {
            self.core.streams.push_resumed(cell.key());
        }
    }

    /// Hands one read's outcome to the protocol; returns whether to read again.
    #[inline(always)]
    fn deliver(&self, cell: &StreamCell, got: ReadOutcome, buf: &[u8]) -> bool {
        match got {
            ReadOutcome::Bytes { n, more } => {
                if let Err(reason) = cell.with_protocol(|p| p.data_received(&buf[..n])) {
                    self.abort_for_panic(cell.key(), reason);
                    return false;
                }
                more
            }
            ReadOutcome::BytesWithFds { n, more } => self.deliver_with_fds(cell, &buf[..n]) && more,
            ReadOutcome::Sealed { n, more } => self.deliver_sealed(cell, &buf[..n]) && more,
            ReadOutcome::Eof => {
                self.read_eof(cell);
                false
            }
            ReadOutcome::Nothing { retry } => retry,
            ReadOutcome::Failed(err) => {
                self.close_stream(cell.key(), super::lost(err));
                false
            }
        }
    }

    /// Hands the descriptors that came with a read to the protocol, then the bytes they
    /// came with; returns whether to go on. After a panic the rest are closed (dropped).
    #[cold]
    #[inline(never)]
    fn deliver_with_fds(&self, cell: &StreamCell, data: &[u8]) -> bool {
        let fds = cell.conn().borrow_mut().take_received_fds();
        for fd in fds {
            if let Err(reason) = cell.with_protocol(|p| p.file_descriptor_received(fd)) {
                self.abort_for_panic(cell.key(), reason);
                return false;
            }
        }
        if cell.conn().borrow().has(flags::TLS) {
            return self.deliver_sealed(cell, data);
        }
        if let Err(reason) = cell.with_protocol(|p| p.data_received(data)) {
            self.abort_for_panic(cell.key(), reason);
            return false;
        }
        true
    }

    /// The peer's EOF (once per connection: out of the read path's line).
    #[cold]
    #[inline(never)]
    pub(crate) fn read_eof(&self, cell: &StreamCell) {
        if cell.conn().borrow().has(flags::TLS) && self.sealed_eof(cell) {
            return;
        }
        let write_shut = {
            let mut conn = cell.conn().borrow_mut();
            conn.set(flags::READ_EOF);
            conn.clear(flags::READ_READY);
            conn.has(flags::WRITE_SHUT)
        };
        if write_shut {
            return self.close_stream(cell.key(), Failure::new(ConnectionDone));
        }
        if let Err(reason) = cell.with_protocol(|p| p.read_connection_lost()) {
            self.abort_for_panic(cell.key(), reason);
        }
    }

    /// Reads the connections that need no event: resumed, cut short, always ready.
    pub(crate) fn read_resumed(&self) {
        let keys = self.core.streams.take_resumed();
        if keys.is_empty() {
            return;
        }
        let mut buf = self.core.streams.read_buf();
        for key in keys {
            self.do_read(key, &mut buf);
        }
    }
}
