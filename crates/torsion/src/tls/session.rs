//! [`TlsSession`]: one connection's TLS state, whatever carries its records: rustls's
//! connection, the plaintext held back until the handshake ends, and the close owed.
//!
//! A driver (the stream engine's layer, or [`TlsProtocol`](super::TlsProtocol) over any
//! transport) feeds it the records that arrive with [`receive`](TlsSession::receive),
//! gives it the protocol's plaintext with [`write_plain`](TlsSession::write_plain), and
//! sends what [`drain_records`](TlsSession::drain_records) hands out.

use std::io::{self, Read, Write};
use std::time::Duration;

use rustls::{ClientConnection, Connection, ServerConnection};

use super::{ClientOptions, ServerOptions, TlsError, TlsOptions};

/// What one [`receive`](TlsSession::receive) found besides plaintext.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Received {
    /// The handshake finished during this call.
    pub(crate) handshake_done: bool,
    /// The peer's `close_notify` arrived during this call: it sends nothing more.
    pub(crate) peer_closed: bool,
}

/// One connection's TLS state.
pub(crate) struct TlsSession {
    conn: Connection,
    /// Plaintext given to rustls before the handshake ended (it holds it until then).
    held: usize,
    /// A `close_notify` is owed: sent once the handshake ends and the plaintext is out.
    close_owed: bool,
    close_sent: bool,
    peer_closed: bool,
    handshake_timeout: Duration,
}

impl TlsSession {
    /// A session for `options`: a server's, or a client's that starts with its hello.
    pub(crate) fn new(options: &TlsOptions) -> Result<TlsSession, TlsError> {
        match options {
            TlsOptions::Server(server) => TlsSession::server(server),
            TlsOptions::Client(client) => TlsSession::client(client),
        }
    }

    pub(crate) fn server(options: &ServerOptions) -> Result<TlsSession, TlsError> {
        let conn = ServerConnection::new(options.rustls_config().clone())
            .map_err(|e| TlsError::from_rustls(&e, true))?;
        Ok(TlsSession::with(
            conn.into(),
            options.get_handshake_timeout(),
        ))
    }

    pub(crate) fn client(options: &ClientOptions) -> Result<TlsSession, TlsError> {
        if !options.verifies() {
            tracing::warn!(
                server = options.hostname(),
                "TLS certificate verification is OFF for this connection (tests only)"
            );
        }
        let conn = ClientConnection::new(options.rustls_config().clone(), options.server_name())
            .map_err(|e| TlsError::from_rustls(&e, true))?;
        Ok(TlsSession::with(
            conn.into(),
            options.get_handshake_timeout(),
        ))
    }

    fn with(mut conn: Connection, handshake_timeout: Duration) -> TlsSession {
        // Plaintext written during the handshake waits in rustls; the transport's limits
        // bound it (see `held_back`), not a silent short write.
        conn.set_buffer_limit(None);
        TlsSession {
            conn,
            held: 0,
            close_owed: false,
            close_sent: false,
            peer_closed: false,
            handshake_timeout,
        }
    }

    /// The handshake's deadline.
    pub(crate) fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Encrypts `data` into records (held until the handshake ends).
    pub(crate) fn write_plain(&mut self, data: &[u8]) {
        if data.is_empty() || self.close_sent {
            return;
        }
        if self.conn.is_handshaking() {
            self.held += data.len();
        }
        // With no buffer limit, rustls takes every byte.
        let _ = self.conn.writer().write_all(data);
    }

    /// Asks for a `close_notify` after everything written so far; it goes out as soon as
    /// the handshake allows.
    pub(crate) fn close(&mut self) {
        self.close_owed = true;
        self.send_close_if_due();
    }

    fn send_close_if_due(&mut self) {
        if self.close_owed && !self.close_sent && !self.conn.is_handshaking() {
            self.conn.send_close_notify();
            self.close_sent = true;
        }
    }

    /// Whether the `close_notify` went out (into the records to send).
    pub(crate) fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// Whether the peer's `close_notify` arrived.
    pub(crate) fn peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Bytes the session holds that are not records yet: plaintext waiting for the
    /// handshake, and one for a `close_notify` that cannot be sent yet. A flush counts
    /// them as unsent, so a close waits for them.
    pub(crate) fn held_back(&self) -> usize {
        let close = usize::from(self.close_owed && !self.close_sent);
        if self.conn.is_handshaking() {
            self.held + close
        } else {
            close
        }
    }

    /// Hands every record ready to go to `out`, in order.
    pub(crate) fn drain_records(&mut self, out: &mut dyn FnMut(&[u8])) {
        let mut sink = Sink(out);
        while self.conn.wants_write() {
            match self.conn.write_tls(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    /// Whether records wait to be sent.
    pub(crate) fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// Feeds records that arrived; appends the plaintext they carried to `plain`.
    ///
    /// # Errors
    ///
    /// The handshake or a record failed; an alert for the peer may wait in
    /// [`drain_records`](TlsSession::drain_records), and nothing more may be fed. `plain`
    /// still holds what the records before the bad one carried: deliver it first.
    pub(crate) fn receive(
        &mut self,
        mut data: &[u8],
        plain: &mut Vec<u8>,
    ) -> Result<Received, TlsError> {
        let was_handshaking = self.conn.is_handshaking();
        let mut got = Received::default();
        while !data.is_empty() && !self.peer_closed {
            if let Err(err) = self.conn.read_tls(&mut data) {
                return Err(TlsError::from_io(&err, self.conn.is_handshaking()));
            }
            let state = match self.conn.process_new_packets() {
                Ok(state) => state,
                Err(err) => {
                    self.read_plain(usize::MAX, plain);
                    return Err(TlsError::from_rustls(&err, self.conn.is_handshaking()));
                }
            };
            self.read_plain(state.plaintext_bytes_to_read(), plain);
            if state.peer_has_closed() && !self.peer_closed {
                self.peer_closed = true;
                got.peer_closed = true;
            }
        }
        if was_handshaking && !self.conn.is_handshaking() {
            got.handshake_done = true;
            self.held = 0;
            self.send_close_if_due();
        }
        Ok(got)
    }

    /// Appends up to `available` bytes of decrypted plaintext to `plain` (all there is,
    /// with `usize::MAX`).
    fn read_plain(&mut self, mut available: usize, plain: &mut Vec<u8>) {
        const CHUNK: usize = 16 * 1024;
        while available > 0 {
            let start = plain.len();
            plain.resize(start + available.min(CHUNK), 0);
            match self.conn.reader().read(&mut plain[start..]) {
                Ok(n) if n > 0 => {
                    plain.truncate(start + n);
                    available -= n.min(available);
                }
                _ => {
                    plain.truncate(start);
                    return;
                }
            }
        }
    }

    /// The ALPN protocol agreed on, once the handshake ended.
    pub(crate) fn alpn_protocol(&self) -> Option<Vec<u8>> {
        self.conn.alpn_protocol().map(<[u8]>::to_vec)
    }

    /// The peer's certificate chain (DER, leaf first), once the handshake ended.
    pub(crate) fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        self.conn
            .peer_certificates()
            .map(|chain| chain.iter().map(|c| c.as_ref().to_vec()).collect())
    }

    /// The TLS version agreed on (`"TLSv1.3"`), once the handshake ended.
    pub(crate) fn protocol_version(&self) -> Option<&'static str> {
        use rustls::ProtocolVersion as V;
        // As OpenSSL and Python spell them (rustls says `TLSv1_3`).
        self.conn.protocol_version().map(|v| match v {
            V::TLSv1_3 => "TLSv1.3",
            V::TLSv1_2 => "TLSv1.2",
            _ => "an older TLS",
        })
    }
}

/// rustls writes records through `io::Write`.
struct Sink<'a>(&'a mut dyn FnMut(&[u8]));

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (self.0)(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
