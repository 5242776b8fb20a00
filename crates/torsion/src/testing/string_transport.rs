//! [`StringTransport`]: a transport that records what is written, for unit tests.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::error::ProducerAlreadyRegistered;
use crate::producer::SharedProducer;
use crate::{Address, Failure, Transport, TransportBackend};

/// The state behind a memory transport.
struct MemoryState {
    written: Vec<u8>,
    connected: bool,
    disconnecting: bool,
    aborted: bool,
    write_shut: bool,
    host: Address,
    peer: Address,
    nodelay: bool,
    keepalive: bool,
    producer: Option<(SharedProducer, bool)>,
    producer_state: &'static str,
}

/// The [`TransportBackend`] of a [`StringTransport`]: it is served like any transport a
/// user could write.
struct MemoryBackend {
    state: RefCell<MemoryState>,
}

impl TransportBackend for MemoryBackend {
    fn write(&self, data: &[u8]) {
        let mut st = self.state.borrow_mut();
        if st.connected && !st.write_shut && !st.aborted {
            st.written.extend_from_slice(data);
        }
    }

    fn lose_connection(&self) {
        self.state.borrow_mut().disconnecting = true;
    }

    fn abort_connection(&self) {
        let mut st = self.state.borrow_mut();
        st.disconnecting = true;
        st.aborted = true;
    }

    fn lose_write_connection(&self) {
        self.state.borrow_mut().write_shut = true;
    }

    fn get_peer(&self) -> Address {
        self.state.borrow().peer.clone()
    }

    fn get_host(&self) -> Address {
        self.state.borrow().host.clone()
    }

    fn connected(&self) -> bool {
        self.state.borrow().connected
    }

    fn disconnecting(&self) -> bool {
        self.state.borrow().disconnecting
    }

    fn set_tcp_nodelay(&self, enabled: bool) -> io::Result<()> {
        self.state.borrow_mut().nodelay = enabled;
        Ok(())
    }

    fn set_tcp_keepalive(&self, enabled: bool) -> io::Result<()> {
        self.state.borrow_mut().keepalive = enabled;
        Ok(())
    }

    fn pause_producing(&self) {
        self.state.borrow_mut().producer_state = "paused";
    }

    fn resume_producing(&self) {
        self.state.borrow_mut().producer_state = "producing";
    }

    fn stop_producing(&self) {
        let mut st = self.state.borrow_mut();
        st.producer_state = "stopped";
        st.disconnecting = true;
    }

    fn register_producer(&self, producer: SharedProducer, streaming: bool) -> Result<(), Failure> {
        let mut st = self.state.borrow_mut();
        if st.producer.is_some() {
            return Err(Failure::new(ProducerAlreadyRegistered));
        }
        st.producer = Some((producer, streaming));
        Ok(())
    }

    fn unregister_producer(&self) {
        self.state.borrow_mut().producer = None;
    }
}

/// A transport that keeps everything written to it in memory (Twisted's
/// `proto_helpers.StringTransport`).
///
/// Nothing is sent anywhere and nothing closes by itself: a test reads
/// [`value`](StringTransport::value) and checks flags such as
/// [`disconnecting`](StringTransport::disconnecting). Drive a protocol on it with
/// [`ProtocolHarness`](super::ProtocolHarness).
///
/// # Examples
///
/// ```
/// use torsion::testing::StringTransport;
///
/// let st = StringTransport::new();
/// let t = st.transport();
/// t.write(b"hello ");
/// t.write_sequence([&b"wor"[..], b"ld"]);
/// t.lose_connection();
/// assert_eq!(st.value(), b"hello world");
/// assert!(st.disconnecting());
/// ```
#[derive(Clone)]
pub struct StringTransport {
    backend: Rc<MemoryBackend>,
}

impl Default for StringTransport {
    fn default() -> Self {
        StringTransport::new()
    }
}

impl StringTransport {
    /// A connected transport between 127.0.0.1:12345 (host) and 127.0.0.1:54321 (peer).
    pub fn new() -> StringTransport {
        StringTransport::with_addresses(
            SocketAddr::from(([127, 0, 0, 1], 12345)),
            SocketAddr::from(([127, 0, 0, 1], 54321)),
        )
    }

    /// A connected transport with the given addresses (a `SocketAddr` is a TCP address).
    pub fn with_addresses(host: impl Into<Address>, peer: impl Into<Address>) -> StringTransport {
        StringTransport {
            backend: Rc::new(MemoryBackend {
                state: RefCell::new(MemoryState {
                    written: Vec::new(),
                    connected: true,
                    disconnecting: false,
                    aborted: false,
                    write_shut: false,
                    host: host.into(),
                    peer: peer.into(),
                    nodelay: true,
                    keepalive: false,
                    producer: None,
                    producer_state: "producing",
                }),
            }),
        }
    }

    fn state(&self) -> std::cell::Ref<'_, MemoryState> {
        self.backend.state.borrow()
    }

    /// The [`Transport`] a protocol writes to.
    pub fn transport(&self) -> Transport {
        Transport::new(self.backend.clone())
    }

    /// Everything written so far.
    pub fn value(&self) -> Vec<u8> {
        self.state().written.clone()
    }

    /// Everything written so far, as text (lossy UTF-8).
    pub fn value_str(&self) -> String {
        String::from_utf8_lossy(&self.state().written).into_owned()
    }

    /// Forgets what was written.
    pub fn clear(&self) {
        self.backend.state.borrow_mut().written.clear();
    }

    /// Whether `lose_connection` or `abort_connection` was called.
    pub fn disconnecting(&self) -> bool {
        self.state().disconnecting
    }

    /// Whether `abort_connection` was called (or a callback panicked).
    pub fn aborted(&self) -> bool {
        self.state().aborted
    }

    /// Whether `lose_write_connection` was called.
    pub fn write_shut(&self) -> bool {
        self.state().write_shut
    }

    /// Whether the transport still counts as connected (until the harness delivers
    /// `connection_lost`).
    pub fn connected(&self) -> bool {
        self.state().connected
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.backend.state.borrow_mut().connected = connected;
    }

    /// The producer registered on this transport and whether it is streaming.
    pub fn producer(&self) -> Option<(SharedProducer, bool)> {
        self.state().producer.clone()
    }

    /// `"producing"`, `"paused"` or `"stopped"`: what was last asked of the transport as a
    /// producer.
    pub fn producer_state(&self) -> &'static str {
        self.state().producer_state
    }

    /// Whether TCP_NODELAY was last set on (`true` by default).
    pub fn nodelay(&self) -> bool {
        self.state().nodelay
    }

    /// Whether keepalive was last set on.
    pub fn keepalive(&self) -> bool {
        self.state().keepalive
    }
}

impl fmt::Debug for StringTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringTransport")
            .field("value", &self.value_str())
            .finish()
    }
}
