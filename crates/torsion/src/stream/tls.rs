//! The TLS layer of a stream connection: records in and out of the same descriptor, for
//! TCP and UNIX connections made with TLS and for `start_tls` on a live one.
//!
//! Writes append plaintext to the write buffer as on any stream; the flush (the slow path,
//! as [`flags::TLS`] is one of [`flags::FLUSH_SLOW`]) first seals what was appended since
//! the last flush into records, in place, so the buffer only ever sends records (or the
//! clear bytes written before `start_tls`). Reads take the slow read path, whose bytes are
//! fed to the session; the plaintext reaches the protocol. A plain TCP connection has no
//! layer and never tests for one beyond the masks it tests anyway.

use std::io;
use std::rc::Rc;

use super::conn::{closed, StreamCell, StreamConn};
use super::flags;
use crate::time::{DelayedCall, ReactorTime};
use crate::tls::session::TlsSession;
use crate::tls::{TlsError, TlsHandshakeTimeout, TlsOptions, TlsTruncated};
use crate::{Failure, Reactor};

/// A stream connection's TLS state.
pub(crate) struct TlsLayer {
    session: TlsSession,
    /// Appended bytes at the front of the write buffer that are ready to send (records,
    /// or clear bytes written before the layer started); the rest is plaintext to seal.
    sealed: usize,
    /// `lose_connection` came before the handshake ended: it takes effect when it does.
    close_after_handshake: bool,
    /// Decrypted bytes on their way to the protocol (kept for its allocation).
    plain: Vec<u8>,
    deadline: Option<DelayedCall>,
}

impl Drop for TlsLayer {
    fn drop(&mut self) {
        if let Some(deadline) = self.deadline.take() {
            let _ = deadline.cancel();
        }
    }
}

impl StreamConn {
    /// Starts TLS: what is buffered now goes out in clear, what is written from now on
    /// is sealed.
    pub(crate) fn start_tls(&mut self, session: TlsSession) -> io::Result<()> {
        if self.has(flags::REFUSES_WRITES | flags::DISCONNECTING) {
            return Err(closed());
        }
        if self.tls().is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "TLS was already started on this connection",
            ));
        }
        let sealed = self.appended();
        self.set_tls(Some(Box::new(TlsLayer {
            session,
            sealed,
            close_after_handshake: false,
            plain: Vec::new(),
            deadline: None,
        })));
        self.set(flags::TLS);
        Ok(())
    }

    /// Seals the plaintext appended since the last flush, and the `close_notify` a close
    /// or half-close owes, into records at the end of the write buffer.
    pub(crate) fn seal(&mut self) {
        let closing = self.has(flags::DISCONNECTING | flags::SHUTDOWN_REQUESTED);
        let (layer, wbuf) = self.tls_and_buffer();
        let Some(layer) = layer else {
            return;
        };
        let plain = wbuf.appended_after(layer.sealed);
        if !plain.is_empty() {
            layer.session.write_plain(plain);
            wbuf.truncate_appended(layer.sealed);
        }
        if closing && !layer.session.close_sent() {
            layer.session.close();
        }
        layer
            .session
            .drain_records(&mut |record| wbuf.append(record));
        layer.sealed = wbuf.appended();
    }

    /// After a write: the rest of the buffer is records.
    pub(crate) fn after_sealed_write(&mut self) {
        let appended = self.appended();
        if let Some(layer) = self.tls_mut() {
            layer.sealed = appended;
        }
    }

    /// Bytes the layer holds that are not records yet (see `TlsSession::held_back`).
    pub(crate) fn tls_held_back(&self) -> usize {
        self.tls().map_or(0, |l| l.session.held_back())
    }

    /// `lose_connection` on a TLS stream: before the handshake ends, it waits for it (or,
    /// with nothing written, aborts, as there is nothing to close cleanly); returns
    /// whether to set [`flags::DISCONNECTING`] now.
    pub(crate) fn tls_lose_connection(&mut self) -> bool {
        let nothing_written = self.appended() == 0;
        let Some(layer) = self.tls_mut() else {
            return true;
        };
        if !layer.session.is_handshaking() {
            return true;
        }
        if nothing_written && layer.session.held_back() == 0 {
            self.close_with(Failure::new(crate::error::ConnectionAborted));
            return false;
        }
        layer.close_after_handshake = true;
        false
    }

    /// Whether a close waits for the handshake.
    pub(crate) fn tls_closing(&self) -> bool {
        self.tls().is_some_and(|l| l.close_after_handshake)
    }

    /// The ALPN protocol agreed on.
    pub(crate) fn negotiated_protocol(&self) -> Option<Vec<u8>> {
        self.tls().and_then(|l| l.session.alpn_protocol())
    }

    /// The peer's certificate chain, DER, leaf first.
    pub(crate) fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        self.tls().and_then(|l| l.session.peer_certificates())
    }

    /// The TLS version agreed on.
    pub(crate) fn tls_version(&self) -> Option<&'static str> {
        self.tls().and_then(|l| l.session.protocol_version())
    }
}

impl Reactor {
    /// Starts TLS on stream `cell` with `options`: the client's hello goes out with the
    /// next flush, and the handshake gets its deadline.
    pub(crate) fn start_stream_tls(
        &self,
        cell: &Rc<StreamCell>,
        options: &TlsOptions,
    ) -> io::Result<()> {
        let session =
            TlsSession::new(options).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let timeout = session.handshake_timeout();
        let mut conn = cell.conn().borrow_mut();
        conn.start_tls(session)?;
        let reactor = self.clone();
        let key = cell.key();
        let deadline = self.call_later(timeout, move || reactor.tls_deadline_passed(key, timeout));
        if let Some(layer) = conn.tls_mut() {
            layer.deadline = Some(deadline);
        }
        self.mark_dirty(cell, &mut conn);
        Ok(())
    }

    fn tls_deadline_passed(&self, key: crate::slab::Key, after: std::time::Duration) {
        let Some(cell) = self.core.streams.get(key) else {
            return;
        };
        let handshaking = {
            let mut conn = cell.conn().borrow_mut();
            let Some(layer) = conn.tls_mut() else {
                return;
            };
            layer.deadline = None;
            layer.session.is_handshaking()
        };
        if handshaking {
            let reason = TlsHandshakeTimeout { after };
            tracing::warn!(peer = %cell.peer(), %reason, "closing the connection");
            self.close_stream(key, Failure::new(reason));
        }
    }

    /// Feeds the records one read brought to the session and hands the plaintext to the
    /// protocol; returns whether to read on.
    #[cold]
    #[inline(never)]
    pub(crate) fn deliver_sealed(&self, cell: &StreamCell, data: &[u8]) -> bool {
        let (mut plain, result) = {
            let mut conn = cell.conn().borrow_mut();
            let Some(layer) = conn.tls_mut() else {
                return false;
            };
            let mut plain = std::mem::take(&mut layer.plain);
            plain.clear();
            let result = layer.session.receive(data, &mut plain);
            if layer.session.wants_write() {
                // Records to answer with (the handshake's, an alert): the loop flushes
                // once the reads end.
                conn.set(flags::IN_DIRTY);
            }
            (plain, result)
        };
        let received = match result {
            Ok(received) => received,
            Err(err) => {
                // What came before the bad record is the peer's: it is delivered first.
                if !plain.is_empty() {
                    if let Err(reason) = cell.with_protocol(|p| p.data_received(&plain)) {
                        self.abort_for_panic(cell.key(), reason);
                        return false;
                    }
                }
                self.tls_failed(cell, err);
                return false;
            }
        };
        if received.handshake_done {
            let mut conn = cell.conn().borrow_mut();
            let close = conn.tls_mut().is_some_and(|l| {
                if let Some(deadline) = l.deadline.take() {
                    let _ = deadline.cancel();
                }
                std::mem::take(&mut l.close_after_handshake)
            });
            if close {
                conn.set(flags::DISCONNECTING);
            }
            conn.set(flags::IN_DIRTY);
        }
        let mut go_on = true;
        if !plain.is_empty() && !cell.conn().borrow().has(flags::CLOSING) {
            if let Err(reason) = cell.with_protocol(|p| p.data_received(&plain)) {
                self.abort_for_panic(cell.key(), reason);
                go_on = false;
            }
        }
        plain.clear();
        if let Some(layer) = cell.conn().borrow_mut().tls_mut() {
            layer.plain = plain;
        }
        if go_on && received.peer_closed {
            self.read_eof(cell);
            return false;
        }
        go_on
    }

    /// The session failed: the alert it owes the peer is sent if the socket takes it now,
    /// the failure is logged once, and the connection closes with it.
    #[cold]
    fn tls_failed(&self, cell: &StreamCell, err: TlsError) {
        tracing::warn!(peer = %cell.peer(), reason = %err, "closing the TLS connection");
        {
            let mut conn = cell.conn().borrow_mut();
            conn.seal();
            // Best effort: the connection closes whatever the socket says.
            let _ = conn.write_out();
        }
        self.close_stream(cell.key(), Failure::new(err));
    }

    /// The descriptor's EOF on a TLS stream: after the peer's `close_notify` it is the
    /// expected end; before it, the data may be truncated.
    #[cold]
    pub(crate) fn sealed_eof(&self, cell: &StreamCell) -> bool {
        let clean = cell
            .conn()
            .borrow()
            .tls()
            .map_or(true, |l| l.session.peer_closed());
        if clean {
            return false;
        }
        tracing::debug!(peer = %cell.peer(), "the peer closed without a TLS close_notify");
        self.close_stream(cell.key(), Failure::new(TlsTruncated));
        true
    }
}
