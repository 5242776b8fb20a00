//! One TCP connection inside the reactor: its socket, write buffer and state flags.
//! The paths that drive it are in `io.rs`; the handle transports use is in
//! `stream_handle.rs`.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use mio::net::TcpStream;

use crate::producer::SharedProducer;
use crate::protocol::{NoProtocol, ProtocolDriver};
use crate::slab::Key;
use crate::tcp::Connector;
use crate::Failure;

pub(crate) const DEFAULT_HIGH_WATER: usize = 64 * 1024;
pub(crate) const DEFAULT_LOW_WATER: usize = 16 * 1024;
pub(crate) const DEFAULT_HARD_LIMIT: usize = 64 * 1024 * 1024;

/// The bits of [`Conn::flags`]: the connection's state, tested together on the hot path.
pub(crate) mod flag {
    /// Still connecting (client side): no protocol yet.
    pub(crate) const CONNECTING: u16 = 1;
    /// The socket may have unread data (an edge was seen and not read to the end).
    pub(crate) const READ_READY: u16 = 1 << 1;
    /// The last event said the peer closed or errored: read on to the end.
    pub(crate) const READ_HUP: u16 = 1 << 2;
    /// The peer's EOF was read.
    pub(crate) const READ_EOF: u16 = 1 << 3;
    /// The last write did not meet EAGAIN.
    pub(crate) const WRITABLE: u16 = 1 << 4;
    /// The protocol (or whoever holds the transport) paused reading.
    pub(crate) const USER_PAUSED: u16 = 1 << 5;
    /// The write buffer passed its high watermark: reading waits for it to drain.
    pub(crate) const BACKPRESSURE: u16 = 1 << 6;
    /// `lose_connection` was called: close once the buffer is flushed.
    pub(crate) const DISCONNECTING: u16 = 1 << 7;
    /// `lose_write_connection` was called: shut down writing once flushed.
    pub(crate) const SHUTDOWN_REQUESTED: u16 = 1 << 8;
    /// Writing was shut down.
    pub(crate) const WRITE_SHUT: u16 = 1 << 9;
    /// The connection has something to flush: it is in the reactor's dirty list, or
    /// [`READING`] and listed when its reads end.
    pub(crate) const IN_DIRTY: u16 = 1 << 10;
    /// A close reason is set: the next flush closes the connection.
    pub(crate) const CLOSING: u16 = 1 << 11;
    /// The loop is handing this connection's reads to its protocol and lists it for the
    /// flush when they end if anything is buffered, so writes meanwhile only append.
    pub(crate) const READING: u16 = 1 << 12;
    /// The connection is closed and out of the reactor; only handles still point at it.
    pub(crate) const CLOSED: u16 = 1 << 13;
    /// A producer is registered: flushes must tell it when to pause or resume.
    pub(crate) const PRODUCER: u16 = 1 << 14;

    /// Any of these stops reading.
    pub(crate) const STOPS_READING: u16 =
        CONNECTING | USER_PAUSED | BACKPRESSURE | READ_EOF | DISCONNECTING | CLOSING | CLOSED;
    /// Any of these makes a flush more than writing the buffer out.
    pub(crate) const FLUSH_SLOW: u16 = CONNECTING
        | BACKPRESSURE
        | DISCONNECTING
        | SHUTDOWN_REQUESTED
        | CLOSING
        | CLOSED
        | PRODUCER;
    /// Any of these refuses new writes.
    pub(crate) const REFUSES_WRITES: u16 = SHUTDOWN_REQUESTED | WRITE_SHUT | CLOSING | CLOSED;
}

/// Who opened the connection, and so who hears when it closes.
pub(crate) enum Owner {
    Server,
    Client(Connector),
}

/// A registered producer and what it was last told.
pub(crate) struct ProducerSlot {
    pub(crate) producer: SharedProducer,
    pub(crate) streaming: bool,
    pub(crate) paused: bool,
}

/// A connection as the reactor's slab and the connection's transports share it: the
/// transport reaches its connection without a lookup, and the loop holds it (not the slab)
/// while the protocol runs.
pub(crate) struct ConnCell {
    pub(crate) key: Key,
    pub(crate) conn: RefCell<Conn>,
    /// The protocol once built ([`NoProtocol`] before, and after the close: the protocol
    /// holds the transport, and so this cell, so the close takes it out).
    pub(crate) driver: RefCell<Box<dyn ProtocolDriver>>,
}

impl ConnCell {
    pub(crate) fn new(key: Key, conn: Conn) -> Rc<ConnCell> {
        Rc::new(ConnCell {
            key,
            conn: RefCell::new(conn),
            driver: RefCell::new(Box::new(NoProtocol)),
        })
    }

    /// Calls `f` with the protocol.
    pub(crate) fn with_driver<R>(&self, f: impl FnOnce(&dyn ProtocolDriver) -> R) -> R {
        f(&**self.driver.borrow())
    }

    /// Takes the protocol out, leaving [`NoProtocol`].
    pub(crate) fn take_driver(&self) -> Box<dyn ProtocolDriver> {
        std::mem::replace(&mut *self.driver.borrow_mut(), Box::new(NoProtocol))
    }
}

pub(crate) struct Conn {
    /// The socket's descriptor, for the calls on the hot path; valid until [`flag::CLOSED`].
    pub(crate) fd: RawFd,
    /// The socket; `None` once closed.
    pub(crate) stream: Option<TcpStream>,
    pub(crate) flags: u16,
    /// The remote address, once known (for log lines).
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) owner: Owner,
    wbuf: Vec<u8>,
    wpos: usize,
    producer: Option<ProducerSlot>,
    pub(crate) high_water: usize,
    pub(crate) low_water: usize,
    pub(crate) hard_limit: usize,
    /// Why the connection closes, once [`flag::CLOSING`] is set.
    close_reason: Option<Failure>,
}

impl Conn {
    pub(crate) fn new(
        stream: TcpStream,
        peer: Option<SocketAddr>,
        owner: Owner,
        connecting: bool,
    ) -> Conn {
        Conn {
            fd: stream.as_raw_fd(),
            stream: Some(stream),
            flags: if connecting {
                flag::CONNECTING
            } else {
                flag::WRITABLE
            },
            peer,
            owner,
            wbuf: Vec::new(),
            wpos: 0,
            producer: None,
            high_water: DEFAULT_HIGH_WATER,
            low_water: DEFAULT_LOW_WATER,
            hard_limit: DEFAULT_HARD_LIMIT,
            close_reason: None,
        }
    }

    /// The socket, or `NotConnected` once it is closed.
    pub(crate) fn socket(&self) -> io::Result<&TcpStream> {
        self.stream.as_ref().ok_or_else(closed)
    }

    /// Marks the connection closed and hands back what the close must tear down; the
    /// buffer is freed, as handles may outlive the connection.
    pub(crate) fn close(&mut self) -> (Option<TcpStream>, Option<ProducerSlot>, Owner) {
        self.set(flag::CLOSED);
        self.wbuf = Vec::new();
        self.wpos = 0;
        (
            self.stream.take(),
            self.set_producer(None),
            std::mem::replace(&mut self.owner, Owner::Server),
        )
    }

    /// The registered producer, if any.
    pub(crate) fn producer(&self) -> Option<&ProducerSlot> {
        self.producer.as_ref()
    }

    pub(crate) fn producer_mut(&mut self) -> Option<&mut ProducerSlot> {
        self.producer.as_mut()
    }

    /// Registers (or, with `None`, unregisters) a producer; returns the one it replaces.
    pub(crate) fn set_producer(&mut self, slot: Option<ProducerSlot>) -> Option<ProducerSlot> {
        if slot.is_some() {
            self.set(flag::PRODUCER);
        } else {
            self.clear(flag::PRODUCER);
        }
        std::mem::replace(&mut self.producer, slot)
    }

    pub(crate) fn has(&self, bits: u16) -> bool {
        self.flags & bits != 0
    }

    pub(crate) fn set(&mut self, bits: u16) {
        self.flags |= bits;
    }

    pub(crate) fn clear(&mut self, bits: u16) {
        self.flags &= !bits;
    }

    pub(crate) fn buffered(&self) -> usize {
        self.wbuf.len() - self.wpos
    }

    pub(crate) fn append(&mut self, data: &[u8]) {
        self.wbuf.extend_from_slice(data);
    }

    /// Whether a read should be attempted now.
    pub(crate) fn may_read(&self) -> bool {
        self.flags & (flag::READ_READY | flag::STOPS_READING) == flag::READ_READY
    }

    /// Sets the close reason, unless one is set already.
    pub(crate) fn close_with(&mut self, reason: Failure) {
        if !self.has(flag::CLOSING) {
            self.set(flag::CLOSING);
            self.close_reason = Some(reason);
        }
    }

    pub(crate) fn take_close_reason(&mut self) -> Option<Failure> {
        self.close_reason.take()
    }

    /// The connect finished: the socket is open both ways.
    pub(crate) fn set_connected(&mut self) {
        self.clear(flag::CONNECTING);
        self.set(flag::WRITABLE);
    }

    /// Writes as much of the buffer as the socket takes and returns how much is left;
    /// `Err` only for a real error.
    #[inline(always)]
    pub(crate) fn write_out(&mut self) -> io::Result<usize> {
        while self.has(flag::WRITABLE) && self.wpos < self.wbuf.len() {
            let pending = &self.wbuf[self.wpos..];
            // SAFETY: `pending` is valid for reads of its length, and `fd` is open until
            // CLOSED (which stops every flush).
            let n = unsafe {
                libc::send(
                    self.fd,
                    pending.as_ptr().cast(),
                    pending.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if n >= 0 {
                self.wpos += n as usize;
                if self.wpos == self.wbuf.len() {
                    self.wbuf.clear();
                    self.wpos = 0;
                    return Ok(0);
                }
                continue;
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::WouldBlock => self.clear(flag::WRITABLE),
                io::ErrorKind::Interrupted => {}
                _ => return Err(err),
            }
        }
        if self.wpos == self.wbuf.len() {
            self.wbuf.clear();
            self.wpos = 0;
        } else if self.wpos > self.wbuf.len() / 2 {
            self.wbuf.drain(..self.wpos);
            self.wpos = 0;
        }
        Ok(self.buffered())
    }
}

/// The error for a socket call on a closed connection.
pub(crate) fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection is closed")
}
