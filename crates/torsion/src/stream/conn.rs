//! [`StreamConn`]: one stream connection's state (descriptors, flag word, write buffer,
//! watermarks, producer, close reason), and [`StreamCell`], how the reactor and the
//! connection's transports share it.

use std::cell::RefCell;
use std::io;
use std::os::fd::{OwnedFd, RawFd};
use std::rc::Rc;

use super::flags;
use super::source::StreamSource;
use super::tls::TlsLayer;
use super::write_buffer::WriteBuffer;
use crate::address::Address;
use crate::producer::SharedProducer;
use crate::protocol::{DynProtocol, NoProtocol};
use crate::slab::Key;
use crate::time::Scheduler;
use crate::{Failure, Reactor, Transport};

pub(crate) const DEFAULT_HIGH_WATER: usize = 64 * 1024;
pub(crate) const DEFAULT_LOW_WATER: usize = 16 * 1024;
pub(crate) const DEFAULT_HARD_LIMIT: usize = 64 * 1024 * 1024;

/// Who opened a stream and so hears when it connects or closes (a TCP connector). A
/// stream nobody waits for (accepted, adopted) has none.
pub(crate) trait Opener {
    /// A connecting stream's descriptor became ready: find out whether it connected.
    fn connect_ready(&self, reactor: &Reactor, cell: &Rc<StreamCell>);

    /// The stream closed (after its protocol heard of it); `connecting` if it never
    /// connected.
    fn closed(&self, reactor: &Reactor, reason: Failure, connecting: bool);
}

/// A registered producer and what it was last told.
pub(crate) struct ProducerSlot {
    pub(crate) producer: SharedProducer,
    pub(crate) streaming: bool,
    pub(crate) paused: bool,
}

/// Builds the protocol a connection switches to, from its transport and clock.
pub(crate) type BuildProtocol = Box<dyn FnOnce(Transport, Scheduler) -> Box<dyn DynProtocol>>;

/// A protocol switch asked for and not yet done.
pub(crate) struct PendingSwitch {
    pub(crate) build: BuildProtocol,
    pub(crate) unprocessed: Vec<u8>,
}

/// A connection as the reactor's table and the connection's transports share it: the
/// transport reaches its connection without a lookup, and the loop holds it (not the
/// table) while the protocol runs.
pub(crate) struct StreamCell {
    key: Key,
    host: Address,
    peer: Address,
    conn: RefCell<StreamConn>,
    /// The protocol once built ([`NoProtocol`] before, and after the close: the protocol
    /// holds the transport, and so this cell, so the close takes it out).
    protocol: RefCell<Box<dyn DynProtocol>>,
}

impl StreamCell {
    pub(crate) fn new(key: Key, host: Address, peer: Address, conn: StreamConn) -> Rc<StreamCell> {
        Rc::new(StreamCell {
            key,
            host,
            peer,
            conn: RefCell::new(conn),
            protocol: RefCell::new(Box::new(NoProtocol)),
        })
    }

    pub(crate) fn key(&self) -> Key {
        self.key
    }

    pub(crate) fn host(&self) -> &Address {
        &self.host
    }

    pub(crate) fn peer(&self) -> &Address {
        &self.peer
    }

    /// The connection's state. Never held across a protocol call.
    #[inline(always)]
    pub(crate) fn conn(&self) -> &RefCell<StreamConn> {
        &self.conn
    }

    /// Calls `f` with the protocol.
    #[inline(always)]
    pub(crate) fn with_protocol<R>(&self, f: impl FnOnce(&dyn DynProtocol) -> R) -> R {
        f(&**self.protocol.borrow())
    }

    /// Installs the protocol; returns the one it replaces.
    pub(crate) fn set_protocol(&self, protocol: Box<dyn DynProtocol>) -> Box<dyn DynProtocol> {
        std::mem::replace(&mut *self.protocol.borrow_mut(), protocol)
    }

    /// Takes the protocol out, leaving [`NoProtocol`].
    pub(crate) fn take_protocol(&self) -> Box<dyn DynProtocol> {
        self.set_protocol(Box::new(NoProtocol))
    }
}

/// What a closed connection hands back to be torn down.
pub(crate) struct Closed {
    pub(crate) source: Option<Box<dyn StreamSource>>,
    pub(crate) producer: Option<ProducerSlot>,
    pub(crate) opener: Option<Rc<dyn Opener>>,
}

/// One stream connection's state. The flag word's bits are in [`flags`]; the module docs
/// of [`crate::stream`] say who sets and clears each.
pub(crate) struct StreamConn {
    /// The descriptors for the calls on the hot path; valid until [`flags::CLOSED`]
    /// (`write_fd` until [`flags::WRITE_SHUT`]).
    read_fd: RawFd,
    write_fd: RawFd,
    flags: u32,
    source: Option<Box<dyn StreamSource>>,
    opener: Option<Rc<dyn Opener>>,
    wbuf: WriteBuffer,
    producer: Option<ProducerSlot>,
    high_water: usize,
    low_water: usize,
    hard_limit: usize,
    /// The most the fast flush may leave buffered: the high watermark or the hard limit,
    /// whichever is lower, so neither is passed without the slow path seeing it.
    fast_limit: usize,
    /// Why the connection closes, once [`flags::CLOSING`] is set.
    close_reason: Option<Failure>,
    switch: Option<PendingSwitch>,
    /// The TLS layer, once [`flags::TLS`] is set.
    tls: Option<Box<TlsLayer>>,
}

impl StreamConn {
    /// A connection over `source`; `connecting` for a client whose connect is under way.
    pub(crate) fn new(
        source: Box<dyn StreamSource>,
        opener: Option<Rc<dyn Opener>>,
        connecting: bool,
    ) -> StreamConn {
        let state = if connecting {
            flags::CONNECTING
        } else {
            flags::WRITABLE
        };
        StreamConn {
            read_fd: source.read_fd(),
            write_fd: source.write_fd(),
            flags: state | source.kind_flags(),
            source: Some(source),
            opener,
            wbuf: WriteBuffer::default(),
            producer: None,
            high_water: DEFAULT_HIGH_WATER,
            low_water: DEFAULT_LOW_WATER,
            hard_limit: DEFAULT_HARD_LIMIT,
            fast_limit: DEFAULT_HIGH_WATER,
            close_reason: None,
            switch: None,
            tls: None,
        }
    }

    /// The descriptors' kind-specific side, or `NotConnected` once closed.
    pub(crate) fn source(&self) -> io::Result<&dyn StreamSource> {
        self.source.as_deref().ok_or_else(closed)
    }

    pub(crate) fn source_mut(&mut self) -> Option<&mut Box<dyn StreamSource>> {
        self.source.as_mut()
    }

    pub(crate) fn opener(&self) -> Option<Rc<dyn Opener>> {
        self.opener.clone()
    }

    /// Marks the connection closed and hands back what the close must tear down; the
    /// buffer is freed, as handles may outlive the connection. While a write is in flight
    /// (a completion backend), the descriptors and the bytes the kernel may still read are
    /// kept: the source is not handed back, and closes with the connection.
    pub(crate) fn close(&mut self) -> Closed {
        self.clear(flags::READING | flags::IN_DIRTY);
        self.set(flags::CLOSED);
        self.wbuf.release();
        self.switch = None;
        self.tls = None;
        let source = if self.wbuf.in_flight() {
            None
        } else {
            self.source.take()
        };
        Closed {
            source,
            producer: self.set_producer(None),
            opener: self.opener.take(),
        }
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
            self.set(flags::PRODUCER);
        } else {
            self.clear(flags::PRODUCER);
        }
        std::mem::replace(&mut self.producer, slot)
    }

    #[inline(always)]
    pub(crate) fn flags(&self) -> u32 {
        self.flags
    }

    #[inline(always)]
    pub(crate) fn has(&self, bits: u32) -> bool {
        self.flags & bits != 0
    }

    #[inline(always)]
    pub(crate) fn set(&mut self, bits: u32) {
        self.flags |= bits;
        flags::debug_check(self.flags);
    }

    #[inline(always)]
    pub(crate) fn clear(&mut self, bits: u32) {
        self.flags &= !bits;
    }

    /// Bytes written and not yet sent (with what a TLS layer holds back).
    pub(crate) fn buffered(&self) -> usize {
        self.wbuf.len() + self.tls_held_back()
    }

    /// Bytes appended and not yet sent.
    pub(crate) fn appended(&self) -> usize {
        self.wbuf.appended()
    }

    pub(crate) fn tls(&self) -> Option<&TlsLayer> {
        self.tls.as_deref()
    }

    pub(crate) fn tls_mut(&mut self) -> Option<&mut TlsLayer> {
        self.tls.as_deref_mut()
    }

    pub(crate) fn set_tls(&mut self, layer: Option<Box<TlsLayer>>) {
        self.tls = layer;
    }

    /// The TLS layer and the write buffer, borrowed together to seal.
    pub(crate) fn tls_and_buffer(&mut self) -> (Option<&mut TlsLayer>, &mut WriteBuffer) {
        (self.tls.as_deref_mut(), &mut self.wbuf)
    }

    /// Whether anything appended waits for a write (the hot path's test).
    #[inline(always)]
    pub(crate) fn has_unsent(&self) -> bool {
        self.wbuf.appended() > 0
    }

    #[inline(always)]
    pub(crate) fn append(&mut self, data: &[u8]) {
        self.wbuf.append(data);
    }

    pub(crate) fn watermarks(&self) -> (usize, usize) {
        (self.high_water, self.low_water)
    }

    pub(crate) fn set_watermarks(&mut self, high: usize, low: usize) {
        self.high_water = high;
        self.low_water = low;
        self.fast_limit = high.min(self.hard_limit);
    }

    pub(crate) fn hard_limit(&self) -> usize {
        self.hard_limit
    }

    pub(crate) fn set_hard_limit(&mut self, limit: usize) {
        self.hard_limit = limit;
        self.fast_limit = self.high_water.min(limit);
    }

    /// The descriptor written to, for a layer that writes records straight to it: valid
    /// while [`flags::WRITABLE`] is set and neither [`flags::CLOSED`] nor
    /// [`flags::WRITE_SHUT`] is.
    pub(crate) fn write_fd(&self) -> RawFd {
        self.write_fd
    }

    /// Whether a read should be attempted now.
    #[inline(always)]
    pub(crate) fn may_read(&self) -> bool {
        self.flags & (flags::READ_READY | flags::STOPS_READING) == flags::READ_READY
    }

    /// Sets the close reason, unless one is set already.
    pub(crate) fn close_with(&mut self, reason: Failure) {
        if !self.has(flags::CLOSING) {
            self.set(flags::CLOSING);
            self.close_reason = Some(reason);
        }
    }

    pub(crate) fn take_close_reason(&mut self) -> Option<Failure> {
        self.close_reason.take()
    }

    /// Asks for the protocol to be switched at the next flush; reading waits for it.
    pub(crate) fn request_switch(&mut self, switch: PendingSwitch) {
        self.switch = Some(switch);
        self.set(flags::SWITCHING);
    }

    pub(crate) fn take_switch(&mut self) -> Option<PendingSwitch> {
        self.clear(flags::SWITCHING);
        self.switch.take()
    }

    /// The connect finished: the stream is open both ways.
    pub(crate) fn set_connected(&mut self) {
        self.clear(flags::CONNECTING);
        self.set(flags::WRITABLE);
    }

    /// Writing was shut down: no write may reach the descriptor any more.
    pub(crate) fn set_write_shut(&mut self) {
        self.set(flags::WRITE_SHUT);
        self.write_fd = -1;
    }

    /// Reads once into `buf`, with `recvmsg` for a kind that passes descriptors
    /// ([`flags::PASSES_FDS`]) and `read` otherwise. The loop's common edge calls
    /// [`read_into`](StreamConn::read_into) itself, having ruled the kind out with the
    /// mask it tests anyway; the reads after the first of an event come here.
    #[inline(always)]
    pub(crate) fn read_any(&mut self, buf: &mut [u8]) -> ReadOutcome {
        if self.has(flags::PASSES_FDS | flags::TLS) {
            return self.read_special(buf);
        }
        self.read_into(buf)
    }

    /// `read_any` for a kind that passes descriptors or carries TLS: the bytes of a TLS
    /// stream come back as [`ReadOutcome::Sealed`], for the session.
    #[cold]
    #[inline(never)]
    fn read_special(&mut self, buf: &mut [u8]) -> ReadOutcome {
        let got = if self.has(flags::PASSES_FDS) {
            self.read_passing_fds(buf)
        } else {
            self.read_into(buf)
        };
        match got {
            ReadOutcome::Bytes { n, more } if self.has(flags::TLS) => {
                ReadOutcome::Sealed { n, more }
            }
            other => other,
        }
    }

    /// Reads once into `buf` with `read(2)` and notes in the flags whether the descriptor
    /// was drained. Not for a kind that passes descriptors: see
    /// [`read_any`](StreamConn::read_any).
    #[inline(always)]
    pub(crate) fn read_into(&mut self, buf: &mut [u8]) -> ReadOutcome {
        self.set(flags::READING);
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and `read_fd` is open
        // until CLOSED (which stops every read).
        let n = unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            let n = n as usize;
            // A short read drained a socket or a pipe: Linux raises a new edge for
            // anything that arrives later, so skip the read that would only return
            // EAGAIN, unless the peer closed (read on to EOF) or the kind says a short
            // read proves nothing (a terminal gives one line per read).
            let more = n == buf.len() || self.has(flags::SHORT_READ_NOT_DRAINED);
            if !more {
                self.clear(flags::READ_READY);
            }
            return ReadOutcome::Bytes { n, more };
        }
        if n == 0 {
            return ReadOutcome::Eof;
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock => {
                self.clear(flags::READ_READY);
                ReadOutcome::Nothing { retry: false }
            }
            io::ErrorKind::Interrupted => ReadOutcome::Nothing { retry: true },
            // A terminal whose other side closed reads EIO: that is its EOF.
            _ if err.raw_os_error() == Some(libc::EIO) && self.has(flags::READ_TO_EAGAIN) => {
                ReadOutcome::Eof
            }
            _ => ReadOutcome::Failed(err),
        }
    }

    /// `read_into` for a kind that passes descriptors: one `recvmsg` through the source.
    /// The kernel ends a read after bytes that carried descriptors, so a short read proves
    /// the socket drained only when none came.
    #[cold]
    #[inline(never)]
    fn read_passing_fds(&mut self, buf: &mut [u8]) -> ReadOutcome {
        self.set(flags::READING);
        let Some(source) = self.source.as_mut() else {
            return ReadOutcome::Nothing { retry: false };
        };
        match source.recv_with_fds(buf) {
            Ok((0, _)) => ReadOutcome::Eof,
            Ok((n, fds)) => {
                let more = n == buf.len() || fds || self.has(flags::READ_HUP);
                if !more {
                    self.clear(flags::READ_READY);
                }
                if fds {
                    ReadOutcome::BytesWithFds { n, more }
                } else {
                    ReadOutcome::Bytes { n, more }
                }
            }
            Err(err) => match err.kind() {
                io::ErrorKind::WouldBlock => {
                    self.clear(flags::READ_READY);
                    ReadOutcome::Nothing { retry: false }
                }
                io::ErrorKind::Interrupted => ReadOutcome::Nothing { retry: true },
                _ => ReadOutcome::Failed(err),
            },
        }
    }

    /// The descriptors the last reads received, to hand to the protocol.
    pub(crate) fn take_received_fds(&mut self) -> Vec<OwnedFd> {
        self.source
            .as_mut()
            .map(|s| s.take_received_fds())
            .unwrap_or_default()
    }

    /// Queues `fd` to go with the next bytes sent (the flush takes the slow path until it
    /// went).
    pub(crate) fn queue_fd(&mut self, fd: OwnedFd) -> io::Result<()> {
        if self.has(flags::REFUSES_WRITES) {
            return Err(closed());
        }
        self.source.as_mut().ok_or_else(closed)?.queue_fd(fd)?;
        self.set(flags::FDS_QUEUED);
        Ok(())
    }

    /// `write_out` with descriptors queued: `sendmsg` carries them with the first unsent
    /// bytes, then the rest is written as usual. With nothing to send they wait (a
    /// descriptor needs at least one byte to travel with).
    #[cold]
    #[inline(never)]
    pub(crate) fn write_out_passing_fds(&mut self) -> io::Result<usize> {
        while self.has(flags::WRITABLE) && self.has(flags::FDS_QUEUED) && self.wbuf.appended() > 0 {
            let Some(source) = self.source.as_mut() else {
                break;
            };
            match source.send_with_fds(self.wbuf.unsent()) {
                Ok((n, still_queued)) => {
                    if !still_queued {
                        self.clear(flags::FDS_QUEUED);
                    }
                    self.wbuf.consume(n);
                }
                Err(err) => match err.kind() {
                    io::ErrorKind::WouldBlock => self.clear(flags::WRITABLE),
                    io::ErrorKind::Interrupted => {}
                    _ => return Err(err),
                },
            }
        }
        self.write_out()
    }

    /// Writes as much of the buffer as the descriptor takes and returns how much is
    /// left; `Err` only for a real error.
    #[inline(always)]
    pub(crate) fn write_out(&mut self) -> io::Result<usize> {
        while self.has(flags::WRITABLE) && self.wbuf.appended() > 0 {
            let unsent = self.wbuf.unsent();
            // SAFETY: `unsent` is valid for reads of its length, and `write_fd` is open
            // until CLOSED or WRITE_SHUT (after which nothing is appended).
            let n = unsafe { libc::write(self.write_fd, unsent.as_ptr().cast(), unsent.len()) };
            if n >= 0 {
                if self.wbuf.consume(n as usize) {
                    return Ok(0);
                }
                continue;
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::WouldBlock => self.clear(flags::WRITABLE),
                io::ErrorKind::Interrupted => {}
                _ => return Err(err),
            }
        }
        self.wbuf.compact();
        Ok(self.wbuf.len())
    }

    /// The fast flush's test: written out with no more left than the watermark and the
    /// hard limit allow.
    #[inline(always)]
    pub(crate) fn within_fast_limit(&self, pending: usize) -> bool {
        // `pending == 0` is implied, but spelled out it lets the sent-it-all return of
        // `write_out` skip the limit's load (3 instructions per message).
        pending == 0 || pending <= self.fast_limit
    }
}

/// What one read found.
pub(crate) enum ReadOutcome {
    /// `n` bytes; `more` if the descriptor may hold more.
    Bytes {
        n: usize,
        more: bool,
    },
    /// As `Bytes`, and descriptors came with them: the source holds them.
    BytesWithFds {
        n: usize,
        more: bool,
    },
    /// `n` bytes of TLS records, for the connection's session.
    Sealed {
        n: usize,
        more: bool,
    },
    Eof,
    /// Nothing to read now (EAGAIN), or a signal interrupted the call.
    Nothing {
        retry: bool,
    },
    Failed(io::Error),
}

/// The error for a call on a closed connection.
pub(crate) fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection is closed")
}

#[cfg(test)]
mod tests {
    use std::io::IoSlice;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::*;
    use crate::unix::UnixSource;

    /// A connection over one end of a UNIX socket pair, and the other end.
    fn unix_conn() -> (StreamConn, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let source = UnixSource::new(mio::net::UnixStream::from_std(ours));
        (StreamConn::new(Box::new(source), None, false), theirs)
    }

    /// Sends `data` with `fd` from a std socket (the peer's side), with libc.
    fn send_fd(socket: &UnixStream, data: &[u8], fd: RawFd) {
        let mut control = [0u64; 4];
        let payload = std::mem::size_of::<RawFd>();
        let iov = [IoSlice::new(data)];
        // SAFETY: all-zero bytes are a valid msghdr; the pointers set below stay valid for
        // the call, and `control` (32 bytes, aligned) holds one header with one fd.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = iov.as_ptr() as *mut libc::iovec;
            msg.msg_iovlen = 1;
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(payload as u32) as usize;
            let header = libc::CMSG_FIRSTHDR(&msg);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(payload as u32) as usize;
            libc::CMSG_DATA(header).cast::<RawFd>().write_unaligned(fd);
            assert_eq!(
                libc::sendmsg(socket.as_raw_fd(), &msg, 0),
                data.len() as isize
            );
        }
    }

    #[test]
    fn a_unix_stream_reads_with_recvmsg_and_keeps_the_descriptors() {
        let (mut conn, peer) = unix_conn();
        assert!(conn.has(flags::PASSES_FDS));
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        send_fd(&peer, b"xy", file.as_raw_fd());
        conn.set(flags::READ_READY);
        let mut buf = [0; 16];
        match conn.read_any(&mut buf) {
            ReadOutcome::BytesWithFds { n: 2, more: true } => {}
            _ => panic!("bytes with a descriptor, and maybe more to read"),
        }
        assert_eq!(&buf[..2], b"xy");
        assert_eq!(conn.take_received_fds().len(), 1);
        assert!(matches!(
            conn.read_any(&mut buf),
            ReadOutcome::Nothing { retry: false }
        ));
    }

    #[test]
    fn queued_descriptors_wait_for_a_byte_and_go_with_it() {
        let (mut conn, peer) = unix_conn();
        let file = std::fs::File::open("/proc/self/stat").unwrap();
        conn.queue_fd(file.try_clone().unwrap().into()).unwrap();
        assert!(conn.has(flags::FDS_QUEUED));
        assert_eq!(conn.write_out_passing_fds().unwrap(), 0);
        assert!(conn.has(flags::FDS_QUEUED), "nothing to carry it yet");
        conn.append(b"z");
        assert_eq!(conn.write_out_passing_fds().unwrap(), 0);
        assert!(!conn.has(flags::FDS_QUEUED));
        peer.set_nonblocking(true).unwrap();
        let mut fds = Vec::new();
        let mut buf = [0; 4];
        let n = crate::unix::recv_with_fds(peer.as_raw_fd(), &mut buf, &mut fds).unwrap();
        assert_eq!((&buf[..n], fds.len()), (&b"z"[..], 1));
    }
}
