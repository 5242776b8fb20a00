//! [`StringTransport`]: a transport that records what is written, for unit tests.

use std::cell::RefCell;
use std::fmt;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::error::ProducerAlreadyRegistered;
use crate::producer::SharedProducer;
use crate::{Failure, Transport};

/// The state behind a memory transport.
pub(crate) struct MemoryState {
    written: Vec<u8>,
    pub(crate) connected: bool,
    pub(crate) disconnecting: bool,
    aborted: bool,
    write_shut: bool,
    pub(crate) host: SocketAddr,
    pub(crate) peer: SocketAddr,
    pub(crate) nodelay: bool,
    pub(crate) keepalive: bool,
    pub(crate) producer: Option<(SharedProducer, bool)>,
    pub(crate) producer_state: &'static str,
}

impl MemoryState {
    pub(crate) fn write(&mut self, data: &[u8]) {
        if self.connected && !self.write_shut && !self.aborted {
            self.written.extend_from_slice(data);
        }
    }

    pub(crate) fn lose_connection(&mut self) {
        self.disconnecting = true;
    }

    pub(crate) fn abort_connection(&mut self) {
        self.disconnecting = true;
        self.aborted = true;
    }

    pub(crate) fn lose_write_connection(&mut self) {
        self.write_shut = true;
    }

    pub(crate) fn buffered(&self) -> usize {
        0
    }

    pub(crate) fn register_producer(
        &mut self,
        producer: SharedProducer,
        streaming: bool,
    ) -> Result<(), Failure> {
        if self.producer.is_some() {
            return Err(Failure::new(ProducerAlreadyRegistered));
        }
        self.producer = Some((producer, streaming));
        Ok(())
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
    state: Rc<RefCell<MemoryState>>,
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
            ([127, 0, 0, 1], 12345).into(),
            ([127, 0, 0, 1], 54321).into(),
        )
    }

    /// A connected transport with the given addresses.
    pub fn with_addresses(host: SocketAddr, peer: SocketAddr) -> StringTransport {
        StringTransport {
            state: Rc::new(RefCell::new(MemoryState {
                written: Vec::new(),
                connected: true,
                disconnecting: false,
                aborted: false,
                write_shut: false,
                host,
                peer,
                nodelay: true,
                keepalive: false,
                producer: None,
                producer_state: "producing",
            })),
        }
    }

    /// The [`Transport`] a protocol writes to.
    pub fn transport(&self) -> Transport {
        Transport::memory(self.state.clone())
    }

    /// Everything written so far.
    pub fn value(&self) -> Vec<u8> {
        self.state.borrow().written.clone()
    }

    /// Everything written so far, as text (lossy UTF-8).
    pub fn value_str(&self) -> String {
        String::from_utf8_lossy(&self.state.borrow().written).into_owned()
    }

    /// Forgets what was written.
    pub fn clear(&self) {
        self.state.borrow_mut().written.clear();
    }

    /// Whether `lose_connection` or `abort_connection` was called.
    pub fn disconnecting(&self) -> bool {
        self.state.borrow().disconnecting
    }

    /// Whether `abort_connection` was called (or a callback panicked).
    pub fn aborted(&self) -> bool {
        self.state.borrow().aborted
    }

    /// Whether `lose_write_connection` was called.
    pub fn write_shut(&self) -> bool {
        self.state.borrow().write_shut
    }

    /// Whether the transport still counts as connected (until the harness delivers
    /// `connection_lost`).
    pub fn connected(&self) -> bool {
        self.state.borrow().connected
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.state.borrow_mut().connected = connected;
    }

    /// The producer registered on this transport and whether it is streaming.
    pub fn producer(&self) -> Option<(SharedProducer, bool)> {
        self.state.borrow().producer.clone()
    }

    /// `"producing"`, `"paused"` or `"stopped"`: what was last asked of the transport as a
    /// producer.
    pub fn producer_state(&self) -> &'static str {
        self.state.borrow().producer_state
    }

    /// Whether TCP_NODELAY was last set on (`true` by default).
    pub fn nodelay(&self) -> bool {
        self.state.borrow().nodelay
    }

    /// Whether keepalive was last set on.
    pub fn keepalive(&self) -> bool {
        self.state.borrow().keepalive
    }
}

impl fmt::Debug for StringTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StringTransport")
            .field("value", &self.value_str())
            .finish()
    }
}
