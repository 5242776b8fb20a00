//! [`Transport`]: the handle a protocol writes to and closes its connection with.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use crate::producer::SharedProducer;
use crate::tcp::StreamHandle;
use crate::testing::MemoryState;
use crate::{Failure, Reactor};

/// One connection's byte pipe, as its protocol sees it (Twisted's `ITransport`).
///
/// A `Transport` is a cheap handle: clone it to keep it, or to give it to another protocol
/// (a chat room keeps its members' transports). It may outlive its connection: once the
/// connection is gone every call is a no-op and [`connected`](Transport::connected) is
/// `false`; it never reaches a newer connection.
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
#[derive(Clone)]
pub struct Transport {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Stream(StreamHandle),
    Memory(Rc<RefCell<MemoryState>>),
}

impl Transport {
    pub(crate) fn stream(handle: StreamHandle) -> Transport {
        Transport {
            backend: Backend::Stream(handle),
        }
    }

    pub(crate) fn memory(state: Rc<RefCell<MemoryState>>) -> Transport {
        Transport {
            backend: Backend::Memory(state),
        }
    }

    /// Queues `data` to be sent. Ignored once the connection is lost or its writing side
    /// was shut down.
    pub fn write(&self, data: impl AsRef<[u8]>) {
        let data = data.as_ref();
        match &self.backend {
            Backend::Stream(h) => h.write(data),
            Backend::Memory(m) => m.borrow_mut().write(data),
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
            Backend::Memory(m) => m.borrow_mut().lose_connection(),
        }
    }

    /// Closes the connection now, discarding unsent data; the protocol then gets
    /// `connection_lost` with [`ConnectionAborted`](crate::error::ConnectionAborted).
    pub fn abort_connection(&self) {
        match &self.backend {
            Backend::Stream(h) => h.abort(Failure::new(crate::error::ConnectionAborted)),
            Backend::Memory(m) => m.borrow_mut().abort_connection(),
        }
    }

    pub(crate) fn abort_for_panic(&self, reason: Failure) {
        tracing::error!(peer = %self.get_peer(), %reason, "closing the connection");
        match &self.backend {
            Backend::Stream(h) => h.abort(reason),
            Backend::Memory(m) => m.borrow_mut().abort_connection(),
        }
    }

    /// Shuts down the writing side once the buffer is flushed (a TCP half-close): the peer
    /// reads EOF, this side can still read. The protocol gets `write_connection_lost`.
    pub fn lose_write_connection(&self) {
        match &self.backend {
            Backend::Stream(h) => h.lose_write_connection(),
            Backend::Memory(m) => m.borrow_mut().lose_write_connection(),
        }
    }

    /// Another name for [`lose_write_connection`](Transport::lose_write_connection).
    pub fn half_close(&self) {
        self.lose_write_connection();
    }

    /// The remote end's address.
    pub fn get_peer(&self) -> SocketAddr {
        match &self.backend {
            Backend::Stream(h) => h.addresses().1,
            Backend::Memory(m) => m.borrow().peer,
        }
    }

    /// This end's address.
    pub fn get_host(&self) -> SocketAddr {
        match &self.backend {
            Backend::Stream(h) => h.addresses().0,
            Backend::Memory(m) => m.borrow().host,
        }
    }

    /// Whether the connection is open (`connection_lost` has not been called yet).
    pub fn connected(&self) -> bool {
        match &self.backend {
            Backend::Stream(h) => h.connected(),
            Backend::Memory(m) => m.borrow().connected,
        }
    }

    /// Whether `lose_connection` (or an abort) was called and the close is under way.
    pub fn disconnecting(&self) -> bool {
        match &self.backend {
            Backend::Stream(h) => h.disconnecting(),
            Backend::Memory(m) => m.borrow().disconnecting,
        }
    }

    /// Bytes written but not yet handed to the kernel.
    pub fn buffered(&self) -> usize {
        match &self.backend {
            Backend::Stream(h) => h.buffered(),
            Backend::Memory(m) => m.borrow().buffered(),
        }
    }

    /// Turns Nagle's algorithm off (`true`, the default) or on.
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt`, or `NotConnected` once the connection is gone.
    pub fn set_tcp_nodelay(&self, enabled: bool) -> io::Result<()> {
        match &self.backend {
            Backend::Stream(h) => h.set_nodelay(enabled),
            Backend::Memory(m) => {
                m.borrow_mut().nodelay = enabled;
                Ok(())
            }
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
            Backend::Memory(m) => {
                m.borrow_mut().keepalive = enabled;
                Ok(())
            }
        }
    }

    /// Sets the write buffer's watermarks: above `high` reading stops and a streaming
    /// producer is paused; at or below `low` both resume. Defaults: 64 KiB and 16 KiB.
    pub fn set_write_watermarks(&self, high: usize, low: usize) {
        if let Backend::Stream(h) = &self.backend {
            h.set_watermarks(high, low.min(high));
        }
    }

    /// Sets the hard limit of the write buffer (default 64 MiB): past it, the connection
    /// is aborted with [`WriteBufferOverflow`](crate::error::WriteBufferOverflow).
    pub fn set_write_buffer_limit(&self, limit: usize) {
        if let Backend::Stream(h) = &self.backend {
            h.set_hard_limit(limit);
        }
    }

    /// Stops reading from this connection until [`resume_producing`](Transport::resume_producing)
    /// (the transport as a producer, for flow control from the other side).
    pub fn pause_producing(&self) {
        match &self.backend {
            Backend::Stream(h) => h.set_user_paused(true),
            Backend::Memory(m) => m.borrow_mut().producer_state = "paused",
        }
    }

    /// Resumes reading after [`pause_producing`](Transport::pause_producing).
    pub fn resume_producing(&self) {
        match &self.backend {
            Backend::Stream(h) => h.set_user_paused(false),
            Backend::Memory(m) => m.borrow_mut().producer_state = "producing",
        }
    }

    /// Stops producing for good: the connection is closed (as `lose_connection`).
    pub fn stop_producing(&self) {
        match &self.backend {
            Backend::Stream(_) => self.lose_connection(),
            Backend::Memory(m) => {
                m.borrow_mut().producer_state = "stopped";
                m.borrow_mut().lose_connection();
            }
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
            Backend::Memory(m) => m.borrow_mut().register_producer(producer, streaming),
        }
    }

    /// Forgets the registered producer, if any.
    pub fn unregister_producer(&self) {
        match &self.backend {
            Backend::Stream(h) => h.unregister_producer(),
            Backend::Memory(m) => m.borrow_mut().producer = None,
        }
    }

    /// The reactor this transport belongs to (`None` for a test transport).
    pub fn reactor(&self) -> Option<Reactor> {
        match &self.backend {
            Backend::Stream(h) => Some(h.reactor()),
            Backend::Memory(_) => None,
        }
    }

    /// Whether `other` is a handle to the same connection.
    pub fn is(&self, other: &Transport) -> bool {
        match (&self.backend, &other.backend) {
            (Backend::Stream(a), Backend::Stream(b)) => a.same(b),
            (Backend::Memory(a), Backend::Memory(b)) => Rc::ptr_eq(a, b),
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
