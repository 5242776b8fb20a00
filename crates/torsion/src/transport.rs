//! [`Transport`]: the handle a protocol writes to and closes its connection with, and
//! [`TransportBackend`]: what any other code implements to provide one.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;

use crate::address::Address;
use crate::producer::SharedProducer;
use crate::stream::StreamHandle;
use crate::tls::TlsOptions;
use crate::unix::PeerCredentials;
use crate::{Failure, Reactor};

/// One connection's byte pipe, as its protocol sees it (Twisted's `ITransport`).
///
/// A `Transport` is a cheap handle: clone it to keep it, or to give it to another protocol
/// (a chat room keeps its members' transports). It may outlive its connection: once the
/// connection is gone every call is a no-op and [`connected`](Transport::connected) is
/// `false`; it never reaches a newer connection.
///
/// The reactor's own connections (TCP, pipes) are served directly; anything else
/// implements [`TransportBackend`] and is wrapped with [`Transport::new`]: test doubles such
/// as [`StringTransport`](crate::testing::StringTransport), a protocol wrapper that presents
/// its own transport to the protocol it hosts, TLS over another transport.
///
/// No call here runs a protocol callback before it returns: `write` on a dead peer,
/// `lose_connection` and `abort_connection` are reported through `connection_lost`, later,
/// from the loop.
///
/// # Writing
///
/// [`write`](Transport::write) appends to the connection's write buffer; the reactor writes
/// every connection's buffer once per loop iteration, so ten writes in one callback cost one
/// system call. No byte is lost, though the connection may close before all of it is sent.
/// A write buffer above the high watermark stops reading from this connection (and pauses a
/// streaming producer) until it drains below the low watermark; one above the hard limit
/// aborts the connection with [`WriteBufferOverflow`](crate::error::WriteBufferOverflow).
///
/// # Examples
///
/// A protocol that answers, then closes once the answer is sent:
///
/// ```
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol};
///
/// struct Quote;
///
/// impl Protocol for Quote {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         let transport = cx.transport();
///         transport.write(b"An apple a day keeps the doctor away\r\n");
///         transport.lose_connection();
///     }
/// }
///
/// let st = StringTransport::new();
/// ProtocolHarness::connect(Quote, &st, &Clock::new())?;
/// assert!(st.value_str().starts_with("An apple"));
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
#[derive(Clone)]
pub struct Transport {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    /// The reactor's own byte streams: concrete, so a write is a direct call.
    Stream(StreamHandle),
    Custom(Rc<dyn TransportBackend>),
}

/// What a transport does, for code that provides one (Twisted's `ITransport`, plus the
/// producer and TCP interfaces with defaults).
///
/// Every method takes `&self`: a backend keeps its state in cells, since protocols and
/// their wrappers hold clones of the same [`Transport`]. The contract of each method is the
/// one of the [`Transport`] method of the same name; the defaults do what a transport
/// without that feature should: socket options fail with `Unsupported`, watermarks and
/// limits are ignored, `stop_producing` closes the connection.
///
/// # Examples
///
/// A transport that counts what it is given and passes it on:
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use torsion::testing::StringTransport;
/// use torsion::{Address, Transport, TransportBackend};
///
/// struct Counting {
///     below: Transport,
///     bytes: Cell<usize>,
/// }
///
/// impl TransportBackend for Counting {
///     fn write(&self, data: &[u8]) {
///         self.bytes.set(self.bytes.get() + data.len());
///         self.below.write(data);
///     }
///     fn lose_connection(&self) { self.below.lose_connection() }
///     fn abort_connection(&self) { self.below.abort_connection() }
///     fn get_peer(&self) -> Address { self.below.get_peer() }
///     fn get_host(&self) -> Address { self.below.get_host() }
///     fn connected(&self) -> bool { self.below.connected() }
///     fn disconnecting(&self) -> bool { self.below.disconnecting() }
/// }
///
/// let st = StringTransport::new();
/// let counting = Rc::new(Counting { below: st.transport(), bytes: Cell::new(0) });
/// let transport = Transport::new(counting.clone());
/// transport.write(b"hello");
/// assert_eq!(counting.bytes.get(), 5);
/// assert_eq!(st.value(), b"hello");
/// assert!(transport.set_tcp_nodelay(true).is_err());
/// ```
pub trait TransportBackend {
    /// See [`Transport::write`].
    fn write(&self, data: &[u8]);

    /// See [`Transport::lose_connection`].
    fn lose_connection(&self);

    /// See [`Transport::abort_connection`].
    fn abort_connection(&self);

    /// See [`Transport::lose_write_connection`]. The default closes the whole connection,
    /// as a transport that cannot half-close must.
    fn lose_write_connection(&self) {
        self.lose_connection();
    }

    /// See [`Transport::get_peer`].
    fn get_peer(&self) -> Address;

    /// See [`Transport::get_host`].
    fn get_host(&self) -> Address;

    /// See [`Transport::connected`].
    fn connected(&self) -> bool;

    /// See [`Transport::disconnecting`].
    fn disconnecting(&self) -> bool;

    /// See [`Transport::buffered`]. Default: 0.
    fn buffered(&self) -> usize {
        0
    }

    /// See [`Transport::set_tcp_nodelay`]. Default: `Unsupported`.
    ///
    /// # Errors
    ///
    /// `Unsupported` unless the backend has a TCP socket under it.
    fn set_tcp_nodelay(&self, enabled: bool) -> io::Result<()> {
        let _ = enabled;
        Err(unsupported("TCP_NODELAY"))
    }

    /// See [`Transport::set_tcp_keepalive`]. Default: `Unsupported`.
    ///
    /// # Errors
    ///
    /// `Unsupported` unless the backend has a TCP socket under it.
    fn set_tcp_keepalive(&self, enabled: bool) -> io::Result<()> {
        let _ = enabled;
        Err(unsupported("SO_KEEPALIVE"))
    }

    /// See [`Transport::send_file_descriptor`] (`fd` is the transport's own copy). Default:
    /// `Unsupported`, and `fd` is closed.
    ///
    /// # Errors
    ///
    /// `Unsupported` unless the backend has a UNIX socket under it.
    fn send_file_descriptor(&self, fd: OwnedFd) -> io::Result<()> {
        drop(fd);
        Err(unsupported("passing descriptors"))
    }

    /// See [`Transport::get_peer_credentials`]. Default: `Unsupported`.
    ///
    /// # Errors
    ///
    /// `Unsupported` unless the backend has a UNIX socket under it.
    fn get_peer_credentials(&self) -> io::Result<PeerCredentials> {
        Err(unsupported("peer credentials"))
    }

    /// See [`Transport::set_write_watermarks`]. Default: ignored.
    fn set_write_watermarks(&self, high: usize, low: usize) {
        let _ = (high, low);
    }

    /// See [`Transport::set_write_buffer_limit`]. Default: ignored.
    fn set_write_buffer_limit(&self, limit: usize) {
        let _ = limit;
    }

    /// See [`Transport::pause_producing`]. Default: ignored.
    fn pause_producing(&self) {}

    /// See [`Transport::resume_producing`]. Default: ignored.
    fn resume_producing(&self) {}

    /// See [`Transport::stop_producing`]. Default: `lose_connection`.
    fn stop_producing(&self) {
        self.lose_connection();
    }

    /// See [`Transport::register_producer`]. Default: refused with `Unsupported`.
    ///
    /// # Errors
    ///
    /// As [`Transport::register_producer`].
    fn register_producer(&self, producer: SharedProducer, streaming: bool) -> Result<(), Failure> {
        let _ = (producer, streaming);
        Err(Failure::new(unsupported("producers")))
    }

    /// See [`Transport::unregister_producer`]. Default: nothing.
    fn unregister_producer(&self) {}

    /// See [`Transport::reactor`]. Default: `None`.
    fn reactor(&self) -> Option<Reactor> {
        None
    }

    /// See [`Transport::start_tls`]. Default: `Unsupported`.
    ///
    /// # Errors
    ///
    /// As [`Transport::start_tls`].
    fn start_tls(&self, options: TlsOptions) -> io::Result<()> {
        let _ = options;
        Err(unsupported("TLS"))
    }

    /// See [`Transport::negotiated_protocol`]. Default: `None`.
    fn negotiated_protocol(&self) -> Option<Vec<u8>> {
        None
    }

    /// See [`Transport::peer_certificates`]. Default: `None`.
    fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        None
    }

    /// See [`Transport::tls_version`]. Default: `None`.
    fn tls_version(&self) -> Option<&'static str> {
        None
    }
}

/// The error for a feature a transport does not have (a TCP option on a pipe).
pub(crate) fn unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{what} is not supported by this transport"),
    )
}

impl Transport {
    /// A transport served by `backend`.
    pub fn new<B: TransportBackend + 'static>(backend: Rc<B>) -> Transport {
        Transport {
            backend: Backend::Custom(backend),
        }
    }

    pub(crate) fn stream(handle: StreamHandle) -> Transport {
        Transport {
            backend: Backend::Stream(handle),
        }
    }

    /// The reactor's stream connection behind this transport, if that is what it is.
    pub(crate) fn as_stream(&self) -> Option<&StreamHandle> {
        match &self.backend {
            Backend::Stream(h) => Some(h),
            Backend::Custom(_) => None,
        }
    }

    /// Queues `data` to be sent. Ignored once the connection is lost or its writing side
    /// was shut down.
    #[inline]
    pub fn write(&self, data: impl AsRef<[u8]>) {
        let data = data.as_ref();
        match &self.backend {
            Backend::Stream(h) => h.write(data),
            Backend::Custom(b) => b.write(data),
        }
    }

    /// Queues each buffer in turn, as one write each.
    pub fn write_sequence<I>(&self, parts: I)
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        for part in parts {
            self.write(part);
        }
    }

    /// Closes the connection once everything written so far is sent; the protocol then
    /// gets `connection_lost` with [`ConnectionDone`](crate::error::ConnectionDone).
    /// Reading stops at once.
    pub fn lose_connection(&self) {
        match &self.backend {
            Backend::Stream(h) => h.lose_connection(),
            Backend::Custom(b) => b.lose_connection(),
        }
    }

    /// Closes the connection now, discarding unsent data; the protocol then gets
    /// `connection_lost` with [`ConnectionAborted`](crate::error::ConnectionAborted).
    pub fn abort_connection(&self) {
        match &self.backend {
            Backend::Stream(h) => h.abort(Failure::new(crate::error::ConnectionAborted)),
            Backend::Custom(b) => b.abort_connection(),
        }
    }

    /// Aborts after a callback panicked, logging why.
    pub(crate) fn abort_for_panic(&self, reason: Failure) {
        tracing::error!(peer = %self.get_peer(), %reason, "closing the connection");
        match &self.backend {
            Backend::Stream(h) => h.abort(reason),
            Backend::Custom(b) => b.abort_connection(),
        }
    }

    /// Shuts down the writing side once the buffer is flushed (a TCP half-close; the
    /// write end of a pipe is closed): the peer reads EOF, this side can still read. The
    /// protocol gets `write_connection_lost`.
    pub fn lose_write_connection(&self) {
        match &self.backend {
            Backend::Stream(h) => h.lose_write_connection(),
            Backend::Custom(b) => b.lose_write_connection(),
        }
    }

    /// Another name for [`lose_write_connection`](Transport::lose_write_connection).
    pub fn half_close(&self) {
        self.lose_write_connection();
    }

    /// The remote end's address.
    pub fn get_peer(&self) -> Address {
        match &self.backend {
            Backend::Stream(h) => h.peer(),
            Backend::Custom(b) => b.get_peer(),
        }
    }

    /// This end's address.
    pub fn get_host(&self) -> Address {
        match &self.backend {
            Backend::Stream(h) => h.host(),
            Backend::Custom(b) => b.get_host(),
        }
    }

    /// Whether the connection is open (`connection_lost` has not been called yet).
    pub fn connected(&self) -> bool {
        match &self.backend {
            Backend::Stream(h) => h.connected(),
            Backend::Custom(b) => b.connected(),
        }
    }

    /// Whether `lose_connection` (or an abort) was called and the close is under way.
    pub fn disconnecting(&self) -> bool {
        match &self.backend {
            Backend::Stream(h) => h.disconnecting(),
            Backend::Custom(b) => b.disconnecting(),
        }
    }

    /// Bytes written but not yet handed to the kernel.
    pub fn buffered(&self) -> usize {
        match &self.backend {
            Backend::Stream(h) => h.buffered(),
            Backend::Custom(b) => b.buffered(),
        }
    }

    /// Queues a copy of `fd` to be passed to the peer with the next bytes sent (Twisted's
    /// `IUNIXTransport.sendFileDescriptor`): `SCM_RIGHTS` over a UNIX socket. The caller
    /// keeps `fd`; the transport's copy is closed once sent, or when the connection ends
    /// if it never was. A descriptor travels with bytes: it waits until something is
    /// written (bytes already buffered count), so write at least one byte after it. The
    /// peer's protocol gets it in
    /// [`file_descriptor_received`](crate::Protocol::file_descriptor_received), before
    /// those bytes.
    ///
    /// # Errors
    ///
    /// `Unsupported` on a transport that cannot pass descriptors (TCP, a pipe);
    /// `NotConnected` once the connection is closed or its writing side shut down; the OS
    /// error if `fd` cannot be duplicated.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use torsion::{Cx, Protocol};
    ///
    /// /// Hands its peer our standard output.
    /// struct GiveStdout;
    ///
    /// impl Protocol for GiveStdout {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         match cx.transport().send_file_descriptor(std::io::stdout()) {
    ///             Ok(()) => cx.transport().write(b"here it is"),
    ///             Err(err) => eprintln!("cannot pass descriptors here: {err}"),
    ///         }
    ///     }
    /// }
    /// ```
    pub fn send_file_descriptor(&self, fd: impl AsFd) -> io::Result<()> {
        let copy = fd.as_fd().try_clone_to_owned()?;
        match &self.backend {
            Backend::Stream(h) => h.send_file_descriptor(copy),
            Backend::Custom(b) => b.send_file_descriptor(copy),
        }
    }

    /// The process, user and group of the peer (`SO_PEERCRED`, as the peer was when it
    /// connected).
    ///
    /// # Errors
    ///
    /// `Unsupported` on a transport that is not a UNIX socket; `NotConnected` once the
    /// connection is gone; the OS error from `getsockopt`.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::{Cx, Protocol};
    ///
    /// struct OnlyMe;
    ///
    /// impl Protocol for OnlyMe {
    ///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
    ///         let me = std::process::id();
    ///         match cx.transport().get_peer_credentials() {
    ///             Ok(peer) if peer.pid == me => {}
    ///             _ => cx.transport().lose_connection(),
    ///         }
    ///     }
    /// }
    /// ```
    pub fn get_peer_credentials(&self) -> io::Result<PeerCredentials> {
        match &self.backend {
            Backend::Stream(h) => h.peer_credentials(),
            Backend::Custom(b) => b.get_peer_credentials(),
        }
    }

    /// Turns Nagle's algorithm off (`true`, the default) or on.
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt`; `NotConnected` once the connection is gone;
    /// `Unsupported` on a transport that is not TCP.
    pub fn set_tcp_nodelay(&self, enabled: bool) -> io::Result<()> {
        match &self.backend {
            Backend::Stream(h) => h.set_nodelay(enabled),
            Backend::Custom(b) => b.set_tcp_nodelay(enabled),
        }
    }

    /// Turns TCP keepalive probes on or off.
    ///
    /// # Errors
    ///
    /// As [`set_tcp_nodelay`](Transport::set_tcp_nodelay).
    pub fn set_tcp_keepalive(&self, enabled: bool) -> io::Result<()> {
        match &self.backend {
            Backend::Stream(h) => h.set_keepalive(enabled),
            Backend::Custom(b) => b.set_tcp_keepalive(enabled),
        }
    }

    /// Sets the write buffer's watermarks: above `high` reading stops and a streaming
    /// producer is paused; at or below `low` both resume. Defaults: 64 KiB and 16 KiB.
    pub fn set_write_watermarks(&self, high: usize, low: usize) {
        match &self.backend {
            Backend::Stream(h) => h.set_watermarks(high, low.min(high)),
            Backend::Custom(b) => b.set_write_watermarks(high, low.min(high)),
        }
    }

    /// Sets the hard limit of the write buffer (default 64 MiB): past it, the connection
    /// is aborted with [`WriteBufferOverflow`](crate::error::WriteBufferOverflow), whatever
    /// the watermarks.
    pub fn set_write_buffer_limit(&self, limit: usize) {
        match &self.backend {
            Backend::Stream(h) => h.set_hard_limit(limit),
            Backend::Custom(b) => b.set_write_buffer_limit(limit),
        }
    }

    /// Stops reading from this connection until [`resume_producing`](Transport::resume_producing)
    /// (the transport as a producer, for flow control from the other side).
    pub fn pause_producing(&self) {
        match &self.backend {
            Backend::Stream(h) => h.set_user_paused(true),
            Backend::Custom(b) => b.pause_producing(),
        }
    }

    /// Resumes reading after [`pause_producing`](Transport::pause_producing).
    pub fn resume_producing(&self) {
        match &self.backend {
            Backend::Stream(h) => h.set_user_paused(false),
            Backend::Custom(b) => b.resume_producing(),
        }
    }

    /// Stops producing for good: the connection is closed (as `lose_connection`).
    pub fn stop_producing(&self) {
        match &self.backend {
            Backend::Stream(h) => h.lose_connection(),
            Backend::Custom(b) => b.stop_producing(),
        }
    }

    /// Registers `producer` to write to this transport; see [`Producer`](crate::Producer)
    /// for what it is told and when. A pull producer (`streaming == false`) gets its first
    /// `resume_producing` from the loop soon after. If the connection is already gone the
    /// producer gets `stop_producing` instead.
    ///
    /// # Errors
    ///
    /// Fails if a producer is already registered.
    pub fn register_producer(
        &self,
        producer: SharedProducer,
        streaming: bool,
    ) -> Result<(), Failure> {
        match &self.backend {
            Backend::Stream(h) => h.register_producer(producer, streaming),
            Backend::Custom(b) => b.register_producer(producer, streaming),
        }
    }

    /// Forgets the registered producer, if any.
    pub fn unregister_producer(&self) {
        match &self.backend {
            Backend::Stream(h) => h.unregister_producer(),
            Backend::Custom(b) => b.unregister_producer(),
        }
    }

    /// The reactor this transport belongs to (`None` for a test transport).
    pub fn reactor(&self) -> Option<Reactor> {
        match &self.backend {
            Backend::Stream(h) => Some(h.reactor()),
            Backend::Custom(b) => b.reactor(),
        }
    }

    /// Starts TLS on this live connection (Twisted's `ITLSTransport.startTLS`), as a
    /// server or a client as `options` says: bytes written before this call go out in
    /// clear, bytes written after it encrypted (held until the handshake ends), and every
    /// clone of this transport, and the protocol's own, now speaks TLS. For STARTTLS
    /// protocols (SMTP, IMAP, XMPP): answer "go ahead", then call this; the client calls
    /// it once it has read that answer.
    ///
    /// # Errors
    ///
    /// `AlreadyExists` if TLS is already on; `NotConnected` once the connection is closed
    /// or closing; `InvalidInput` if the options cannot start a session; `Unsupported` on
    /// a transport that cannot carry TLS.
    ///
    /// # Examples
    ///
    /// ```
    /// use torsion::tls::ServerOptions;
    /// use torsion::{Cx, Protocol};
    ///
    /// /// Answers "STARTTLS" in clear, then speaks TLS.
    /// struct Starter(ServerOptions);
    ///
    /// impl Protocol for Starter {
    ///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
    ///         if data == b"STARTTLS\r\n" {
    ///             cx.transport().write(b"READY\r\n");
    ///             if let Err(err) = cx.transport().start_tls(self.0.clone()) {
    ///                 eprintln!("cannot start TLS: {err}");
    ///                 cx.transport().lose_connection();
    ///             }
    ///         }
    ///     }
    /// }
    /// ```
    pub fn start_tls(&self, options: impl Into<TlsOptions>) -> io::Result<()> {
        let options = options.into();
        match &self.backend {
            Backend::Stream(h) => h.start_tls(&options),
            Backend::Custom(b) => b.start_tls(options),
        }
    }

    /// The protocol ALPN agreed on (`b"h2"`), once a TLS handshake ended; `None` without
    /// TLS, before the handshake ends, or if none was agreed.
    pub fn negotiated_protocol(&self) -> Option<Vec<u8>> {
        match &self.backend {
            Backend::Stream(h) => h.negotiated_protocol(),
            Backend::Custom(b) => b.negotiated_protocol(),
        }
    }

    /// The certificate chain the TLS peer presented (DER, its own first), once the
    /// handshake ended; `None` without TLS or if it presented none (a client not asked).
    pub fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        match &self.backend {
            Backend::Stream(h) => h.peer_certificates(),
            Backend::Custom(b) => b.peer_certificates(),
        }
    }

    /// The TLS version agreed on (`"TLSv1.3"`), once the handshake ended; `None` without
    /// TLS.
    pub fn tls_version(&self) -> Option<&'static str> {
        match &self.backend {
            Backend::Stream(h) => h.tls_version(),
            Backend::Custom(b) => b.tls_version(),
        }
    }

    /// Whether `other` is a handle to the same connection.
    pub fn is(&self, other: &Transport) -> bool {
        match (&self.backend, &other.backend) {
            (Backend::Stream(a), Backend::Stream(b)) => a.same(b),
            (Backend::Custom(a), Backend::Custom(b)) => {
                std::ptr::addr_eq(Rc::as_ptr(a), Rc::as_ptr(b))
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("peer", &self.get_peer())
            .field("connected", &self.connected())
            .finish()
    }
}
