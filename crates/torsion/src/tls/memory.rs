//! [`MemoryTls`]: TLS made in memory over a transport that cannot carry it itself, and
//! the transport the protocol under it writes to.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::time::Duration;

use super::session::TlsSession;
use super::{TlsHandshakeTimeout, TlsOptions, TlsTruncated};
use crate::error::ConnectionDone;
use crate::producer::SharedProducer;
use crate::{
    Address, Failure, Hosted, PeerCredentials, Protocol, Reactor, Transport, TransportBackend,
};

/// One connection's TLS over the transport `below`; its records are written to `below`
/// as soon as they are made.
pub(crate) struct MemoryTls {
    below: Transport,
    session: RefCell<TlsSession>,
    /// The protocol closed (or aborted) its transport.
    closing: Cell<bool>,
    /// `lose_connection` came during the handshake: it takes effect when it ends.
    close_after_handshake: Cell<bool>,
    /// `lose_write_connection` was called: `close_notify` is owed or sent.
    write_closed: Cell<bool>,
    /// The half-close of `below` waits for the `close_notify` to be sent.
    shutdown_after_handshake: Cell<bool>,
    /// Why TLS ended, for `connection_lost` (the transport below knows only that it
    /// closed).
    reason: RefCell<Option<Failure>>,
}

impl MemoryTls {
    /// Starts a session over `below`; a client's hello is written at once.
    pub(crate) fn start(
        below: Transport,
        options: &TlsOptions,
    ) -> Result<Rc<MemoryTls>, super::TlsError> {
        let session = TlsSession::new(options)?;
        let me = Rc::new(MemoryTls {
            below,
            session: RefCell::new(session),
            closing: Cell::new(false),
            close_after_handshake: Cell::new(false),
            write_closed: Cell::new(false),
            shutdown_after_handshake: Cell::new(false),
            reason: RefCell::new(None),
        });
        me.flush();
        Ok(me)
    }

    /// Writes every record made so far to the transport below.
    fn flush(&self) {
        let below = &self.below;
        self.session
            .borrow_mut()
            .drain_records(&mut |record| below.write(record));
    }

    /// Feeds records from below; the plaintext, and the peer's `close_notify` as its EOF,
    /// reach `inner`.
    pub(crate) fn receive<P: Protocol>(self: Rc<Self>, inner: &mut Hosted<P>, data: &[u8]) {
        if self.reason.borrow().is_some() {
            return;
        }
        let mut plain = Vec::new();
        let result = self.session.borrow_mut().receive(data, &mut plain);
        self.flush();
        let received = match result {
            Ok(received) => received,
            Err(err) => {
                // What came before the bad record is the peer's: it is delivered first.
                if !plain.is_empty() && !self.closing.get() {
                    inner.data_received(&plain);
                }
                tracing::warn!(peer = %self.below.get_peer(), reason = %err, "closing the TLS connection");
                return self.fail(Failure::new(err), false);
            }
        };
        if received.handshake_done {
            if self.close_after_handshake.get() {
                self.close_now();
            } else if self.shutdown_after_handshake.get() {
                self.below.lose_write_connection();
            }
        }
        if !plain.is_empty() && !self.closing.get() {
            inner.data_received(&plain);
        }
        if received.peer_closed {
            if self.write_closed.get() {
                self.below.lose_connection();
            } else {
                inner.read_connection_lost();
            }
        }
    }

    /// The transport below reached its EOF: the end if the peer sent `close_notify`
    /// first, a truncation if not.
    pub(crate) fn read_eof<P: Protocol>(&self, inner: &mut Hosted<P>) {
        let _ = inner;
        if self.session.borrow().peer_closed() {
            if self.write_closed.get() || self.closing.get() {
                self.below.lose_connection();
            }
            return;
        }
        tracing::debug!(peer = %self.below.get_peer(), "the peer closed without a TLS close_notify");
        self.fail(Failure::new(TlsTruncated), false);
    }

    /// The handshake's deadline passed: if it has not ended, the connection is aborted.
    pub(crate) fn deadline_passed(&self, after: Duration) {
        if self.session.borrow().is_handshaking() && self.reason.borrow().is_none() {
            let reason = TlsHandshakeTimeout { after };
            tracing::warn!(peer = %self.below.get_peer(), %reason, "closing the connection");
            self.fail(Failure::new(reason), true);
        }
    }

    /// Why TLS ended, for the protocol's `connection_lost`, given why the transport below
    /// closed: the reason TLS itself failed with, if it did; a truncation if the transport
    /// below closed cleanly though neither side closed TLS; else `below`'s reason.
    pub(crate) fn lost_reason(&self, below: &Failure) -> Failure {
        if let Some(reason) = self.reason.borrow_mut().take() {
            return reason;
        }
        let closed_by_us = self.closing.get() || self.write_closed.get();
        if below.check::<ConnectionDone>() && !closed_by_us && !self.session.borrow().peer_closed()
        {
            return Failure::new(TlsTruncated);
        }
        below.clone()
    }

    fn fail(&self, reason: Failure, abort: bool) {
        self.reason.borrow_mut().get_or_insert(reason);
        self.closing.set(true);
        if abort {
            self.below.abort_connection();
        } else {
            self.below.lose_connection();
        }
    }

    fn close_now(&self) {
        self.session.borrow_mut().close();
        self.flush();
        self.below.lose_connection();
    }
}

impl TransportBackend for MemoryTls {
    fn write(&self, data: &[u8]) {
        if self.closing.get() || self.write_closed.get() {
            return;
        }
        self.session.borrow_mut().write_plain(data);
        self.flush();
    }

    fn lose_connection(&self) {
        if self.closing.replace(true) {
            return;
        }
        let (handshaking, held) = {
            let session = self.session.borrow();
            (session.is_handshaking(), session.held_back())
        };
        if !handshaking {
            return self.close_now();
        }
        if held == 0 {
            // Nothing to say and no session to close: as Twisted, abort.
            self.below.abort_connection();
        } else {
            self.close_after_handshake.set(true);
        }
    }

    fn abort_connection(&self) {
        self.closing.set(true);
        self.below.abort_connection();
    }

    fn lose_write_connection(&self) {
        if self.write_closed.replace(true) || self.closing.get() {
            return;
        }
        self.session.borrow_mut().close();
        self.flush();
        if self.session.borrow().close_sent() {
            self.below.lose_write_connection();
        } else {
            self.shutdown_after_handshake.set(true);
        }
    }

    fn get_peer(&self) -> Address {
        self.below.get_peer()
    }

    fn get_host(&self) -> Address {
        self.below.get_host()
    }

    fn connected(&self) -> bool {
        self.below.connected()
    }

    fn disconnecting(&self) -> bool {
        self.closing.get() || self.below.disconnecting()
    }

    fn buffered(&self) -> usize {
        self.below.buffered() + self.session.borrow().held_back()
    }

    fn set_tcp_nodelay(&self, enabled: bool) -> io::Result<()> {
        self.below.set_tcp_nodelay(enabled)
    }

    fn set_tcp_keepalive(&self, enabled: bool) -> io::Result<()> {
        self.below.set_tcp_keepalive(enabled)
    }

    fn send_file_descriptor(&self, fd: OwnedFd) -> io::Result<()> {
        self.below.send_file_descriptor(fd)
    }

    fn get_peer_credentials(&self) -> io::Result<PeerCredentials> {
        self.below.get_peer_credentials()
    }

    fn set_write_watermarks(&self, high: usize, low: usize) {
        self.below.set_write_watermarks(high, low);
    }

    fn set_write_buffer_limit(&self, limit: usize) {
        self.below.set_write_buffer_limit(limit);
    }

    fn pause_producing(&self) {
        self.below.pause_producing();
    }

    fn resume_producing(&self) {
        self.below.resume_producing();
    }

    fn stop_producing(&self) {
        self.lose_connection();
    }

    fn register_producer(&self, producer: SharedProducer, streaming: bool) -> Result<(), Failure> {
        self.below.register_producer(producer, streaming)
    }

    fn unregister_producer(&self) {
        self.below.unregister_producer();
    }

    fn reactor(&self) -> Option<Reactor> {
        self.below.reactor()
    }

    fn start_tls(&self, options: TlsOptions) -> io::Result<()> {
        let _ = options;
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "TLS was already started on this connection",
        ))
    }

    fn negotiated_protocol(&self) -> Option<Vec<u8>> {
        self.session.borrow().alpn_protocol()
    }

    fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        self.session.borrow().peer_certificates()
    }

    fn tls_version(&self) -> Option<&'static str> {
        self.session.borrow().protocol_version()
    }
}
