//! [`TlsProtocol`]: a protocol run under TLS (Twisted's `TLSMemoryBIOProtocol`).

use std::fmt;
use std::os::fd::OwnedFd;
use std::rc::Rc;

use super::memory::MemoryTls;
use super::{TlsError, TlsOptions};
use crate::{Cx, Failure, Hosted, Protocol, Transport};

/// Runs protocol `P` under TLS over whatever transport this protocol is given.
///
/// Over one of the reactor's own connections (TCP, UNIX, a pipe) TLS is started on the
/// connection itself ([`Transport::start_tls`]) and `P` sees that transport; over any
/// other (a [`StringTransport`](crate::testing::StringTransport), the transport a wrapper
/// presents) records are made in memory and `P` gets a transport of this wrapper's own,
/// with the same contract. Either way `P` gets `connection_made` at once and the rest as
/// the module docs of [`tls`](super) say.
///
/// Usually built by [`TlsFactory`](super::TlsFactory) or
/// [`TlsClientFactory`](super::TlsClientFactory); `listen_tls` and `connect_tls` use them.
///
/// # Examples
///
/// TLS in memory, over a test transport: the client's hello is the first thing written.
///
/// ```
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::tls::{options_for_client_tls, TlsProtocol};
/// use torsion::Protocol;
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let options = options_for_client_tls("example.org")?;
/// let st = StringTransport::new();
/// ProtocolHarness::connect(TlsProtocol::new(Quiet, options.into()), &st, &Clock::new())?;
/// assert_eq!(st.value()[0], 0x16, "a TLS handshake record");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TlsProtocol<P: Protocol> {
    inner: Hosted<P>,
    options: TlsOptions,
    mode: Mode,
}

enum Mode {
    /// Not connected yet.
    Waiting,
    /// TLS runs in the connection below; bytes reach this protocol in clear.
    Stream,
    /// TLS runs here, over a transport that cannot carry it itself.
    Memory(Rc<MemoryTls>),
    /// TLS could not start; the connection is being closed.
    Failed,
}

impl<P: Protocol> TlsProtocol<P> {
    /// Runs `protocol` under TLS with `options` (a server's or a client's).
    pub fn new(protocol: P, options: TlsOptions) -> TlsProtocol<P> {
        TlsProtocol {
            inner: Hosted::new(protocol),
            options,
            mode: Mode::Waiting,
        }
    }

    /// The protocol run under TLS, with its context once connected.
    pub fn hosted(&self) -> &Hosted<P> {
        &self.inner
    }

    /// The protocol run under TLS, to change its state or call it with its context.
    pub fn hosted_mut(&mut self) -> &mut Hosted<P> {
        &mut self.inner
    }

    fn deadline_passed(&mut self, _cx: &mut Cx<Self>) {
        if let Mode::Memory(memory) = &self.mode {
            memory.deadline_passed(self.options.handshake_timeout());
        }
    }
}

impl<P: Protocol> Protocol for TlsProtocol<P> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let below = cx.transport().clone();
        let transport = match below.start_tls(self.options.clone()) {
            Ok(()) => {
                self.mode = Mode::Stream;
                below
            }
            Err(err) if err.kind() == std::io::ErrorKind::Unsupported => {
                match MemoryTls::start(below.clone(), &self.options) {
                    Ok(memory) => {
                        cx.call_later(self.options.handshake_timeout(), Self::deadline_passed);
                        self.mode = Mode::Memory(memory.clone());
                        Transport::new(memory)
                    }
                    Err(err) => return self.failed(&below, err.to_string()),
                }
            }
            Err(err) => return self.failed(&below, err.to_string()),
        };
        self.inner
            .connection_made(cx, transport, |me: &mut Self| &mut me.inner);
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        match &self.mode {
            Mode::Stream => self.inner.data_received(data),
            Mode::Memory(memory) => memory.clone().receive(&mut self.inner, data),
            Mode::Waiting | Mode::Failed => {}
        }
    }

    fn file_descriptor_received(&mut self, _cx: &mut Cx<Self>, fd: OwnedFd) {
        self.inner.file_descriptor_received(fd);
    }

    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        match &self.mode {
            Mode::Memory(memory) => memory.clone().read_eof(&mut self.inner),
            _ => self.inner.read_connection_lost(),
        }
    }

    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.write_connection_lost();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        let reason = match &self.mode {
            Mode::Memory(memory) => memory.lost_reason(reason),
            _ => reason.clone(),
        };
        self.inner.connection_lost(&reason);
    }
}

impl<P: Protocol> TlsProtocol<P> {
    fn failed(&mut self, below: &Transport, why: String) {
        tracing::warn!(peer = %below.get_peer(), reason = %why, "cannot start TLS; closing the connection");
        self.mode = Mode::Failed;
        below.abort_connection();
    }
}

impl<P: Protocol> fmt::Debug for TlsProtocol<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::Waiting => "waiting",
            Mode::Stream => "stream",
            Mode::Memory(_) => "memory",
            Mode::Failed => "failed",
        };
        f.debug_struct("TlsProtocol")
            .field("protocol", &std::any::type_name::<P>())
            .field("mode", &mode)
            .finish()
    }
}

/// Why a session could not start, for the log.
impl From<TlsError> for std::io::Error {
    fn from(err: TlsError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, err)
    }
}
