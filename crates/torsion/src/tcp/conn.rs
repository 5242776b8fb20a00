//! One TCP connection inside the reactor: its socket, write buffer and flags, and the
//! read → `data_received`, flush, and close paths.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use mio::event::Event;
use mio::net::TcpStream;
use mio::Interest;

use crate::error::{ConnectionDone, ConnectionLost, WriteBufferOverflow};
use crate::producer::SharedProducer;
use crate::protocol::ProtocolDriver;
use crate::reactor::token;
use crate::slab::Key;
use crate::tcp::Connector;
use crate::{Failure, Reactor};

/// Reads per readiness event before yielding to other connections.
const MAX_READS_PER_EVENT: usize = 16;
pub(crate) const DEFAULT_HIGH_WATER: usize = 64 * 1024;
pub(crate) const DEFAULT_LOW_WATER: usize = 16 * 1024;
pub(crate) const DEFAULT_HARD_LIMIT: usize = 64 * 1024 * 1024;

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

pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    /// The remote address, once known (for log lines).
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) driver: Option<Rc<dyn ProtocolDriver>>,
    pub(crate) owner: Owner,
    wbuf: Vec<u8>,
    wpos: usize,
    pub(crate) producer: Option<ProducerSlot>,
    pub(crate) high_water: usize,
    pub(crate) low_water: usize,
    pub(crate) hard_limit: usize,
    /// Set by an abort or an I/O error: the connection closes with this reason.
    pub(crate) close_reason: Option<Failure>,
    /// Still connecting (client side): no protocol yet.
    pub(crate) connecting: bool,
    /// The socket may have unread data (an edge was seen and not read to the end).
    read_ready: bool,
    /// The last event said the peer closed or errored: read to the end.
    read_hup: bool,
    read_eof: bool,
    writable: bool,
    pub(crate) user_paused: bool,
    backpressure_paused: bool,
    pub(crate) disconnecting: bool,
    pub(crate) write_shutdown_requested: bool,
    pub(crate) write_shut: bool,
    in_dirty: bool,
}

impl Conn {
    pub(crate) fn new(
        stream: TcpStream,
        peer: Option<SocketAddr>,
        owner: Owner,
        connecting: bool,
    ) -> Conn {
        Conn {
            stream,
            peer,
            driver: None,
            owner,
            wbuf: Vec::new(),
            wpos: 0,
            producer: None,
            high_water: DEFAULT_HIGH_WATER,
            low_water: DEFAULT_LOW_WATER,
            hard_limit: DEFAULT_HARD_LIMIT,
            close_reason: None,
            connecting,
            read_ready: false,
            read_hup: false,
            read_eof: false,
            writable: !connecting,
            user_paused: false,
            backpressure_paused: false,
            disconnecting: false,
            write_shutdown_requested: false,
            write_shut: false,
            in_dirty: false,
        }
    }

    pub(crate) fn buffered(&self) -> usize {
        self.wbuf.len() - self.wpos
    }

    pub(crate) fn accepts_writes(&self) -> bool {
        self.close_reason.is_none() && !self.write_shutdown_requested && !self.write_shut
    }

    pub(crate) fn append(&mut self, data: &[u8]) {
        self.wbuf.extend_from_slice(data);
    }

    fn may_read(&self) -> bool {
        self.read_ready
            && !self.connecting
            && !self.user_paused
            && !self.backpressure_paused
            && !self.read_eof
            && !self.disconnecting
            && self.close_reason.is_none()
    }

    pub(crate) fn wants_read(&self) -> bool {
        self.may_read()
    }

    /// The connect finished: the socket is open both ways.
    pub(crate) fn set_connected(&mut self) {
        self.connecting = false;
        self.writable = true;
    }
}

/// What `flush_one` found to do once the reactor's borrows are released.
#[derive(Default)]
struct AfterFlush {
    /// The write side was shut down: tell the protocol, then close if reading ended too.
    write_lost: Option<bool>,
    producer: Option<(SharedProducer, ProducerCall)>,
}

#[derive(Clone, Copy)]
enum ProducerCall {
    Pause,
    Resume,
}

fn is_would_block(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::WouldBlock
}

impl Reactor {
    /// Marks `key` for the next flush; false if the connection is gone.
    pub(crate) fn mark_dirty(&self, key: Key, conn: &mut Conn) {
        if !conn.in_dirty {
            conn.in_dirty = true;
            self.inner.dirty.borrow_mut().push(key);
        }
    }

    /// Closes `key` with `reason` at the next flush (from the loop).
    pub(crate) fn close_key(&self, key: Key, reason: Failure) {
        let mut conns = self.inner.conns.borrow_mut();
        if let Some(conn) = conns.get_mut(key) {
            if conn.close_reason.is_none() {
                conn.close_reason = Some(reason);
            }
            self.mark_dirty(key, conn);
        }
    }

    pub(crate) fn conn_ready(&self, index: usize, event: &Event) {
        let (key, connecting) = {
            let mut conns = self.inner.conns.borrow_mut();
            let Some((key, conn)) = conns.get_by_index_mut(index) else {
                return;
            };
            if event.is_readable() || event.is_read_closed() || event.is_error() {
                conn.read_ready = true;
            }
            if event.is_read_closed() || event.is_error() {
                conn.read_hup = true;
            }
            if event.is_writable() || event.is_error() {
                conn.writable = true;
                if conn.buffered() > 0 || conn.producer.is_some() {
                    self.mark_dirty(key, conn);
                }
            }
            (key, conn.connecting)
        };
        if connecting {
            self.connect_ready(key);
        }
        self.do_read(key);
    }

    /// Reads until the socket is drained (or a fair share is read), handing each chunk
    /// to the protocol.
    pub(crate) fn do_read(&self, key: Key) {
        let inner = &self.inner;
        let mut buf = inner.read_buf.borrow_mut();
        for _ in 0..MAX_READS_PER_EVENT {
            let (result, drained, driver) = {
                let mut conns = inner.conns.borrow_mut();
                let Some(conn) = conns.get_mut(key) else {
                    return;
                };
                if !conn.may_read() {
                    return;
                }
                let result = (&conn.stream).read(&mut buf);
                // A short read drained the socket: Linux raises a new edge for anything
                // that arrives later, so skip the read that would only return EAGAIN,
                // unless the peer closed (then read on to EOF).
                let drained = match &result {
                    Ok(n) => *n > 0 && *n < buf.len() && !conn.read_hup,
                    Err(err) => is_would_block(err),
                };
                if drained {
                    conn.read_ready = false;
                }
                (result, drained, conn.driver.clone())
            };
            match result {
                Ok(0) => return self.read_eof(key, driver),
                Ok(n) => {
                    if let Some(driver) = driver {
                        if let Err(reason) = driver.data_received(&buf[..n]) {
                            drop(buf);
                            return self.abort_for_panic(key, reason);
                        }
                    }
                    if drained {
                        return;
                    }
                }
                Err(err) if is_would_block(&err) => return,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    return self.close_key(
                        key,
                        Failure::new(ConnectionLost {
                            os_error: Some(err),
                        }),
                    )
                }
            }
        }
        let mut conns = inner.conns.borrow_mut();
        if conns.get_mut(key).is_some_and(|c| c.may_read()) {
            inner.resumed.borrow_mut().push(key);
        }
    }

    fn read_eof(&self, key: Key, driver: Option<Rc<dyn ProtocolDriver>>) {
        let write_shut = {
            let mut conns = self.inner.conns.borrow_mut();
            let Some(conn) = conns.get_mut(key) else {
                return;
            };
            conn.read_eof = true;
            conn.read_ready = false;
            conn.write_shut
        };
        if write_shut {
            return self.close_key(key, Failure::new(ConnectionDone));
        }
        if let Some(driver) = driver {
            if let Err(reason) = driver.read_connection_lost() {
                self.abort_for_panic(key, reason);
            }
        }
    }

    pub(crate) fn abort_for_panic(&self, key: Key, reason: Failure) {
        let peer = self.inner.conns.borrow().get(key).and_then(|c| c.peer);
        tracing::error!(peer = %crate::error::describe(peer), %reason, "closing the connection");
        self.close_key(key, reason);
    }

    /// Writes the buffer, applies watermarks, and closes or half-closes when asked.
    pub(crate) fn flush_one(&self, key: Key) {
        let mut after = AfterFlush::default();
        {
            let mut conns = self.inner.conns.borrow_mut();
            let Some(conn) = conns.get_mut(key) else {
                return;
            };
            conn.in_dirty = false;
            if let Some(reason) = conn.close_reason.take() {
                drop(conns);
                return self.finalize(key, reason);
            }
            if conn.connecting {
                return;
            }
            if let Err(err) = write_out(conn) {
                drop(conns);
                return self.finalize(
                    key,
                    Failure::new(ConnectionLost {
                        os_error: Some(err),
                    }),
                );
            }
            let pending = conn.buffered();
            if pending > conn.hard_limit {
                let limit = conn.hard_limit;
                drop(conns);
                return self.finalize(key, Failure::new(WriteBufferOverflow { limit }));
            }
            if pending == 0 {
                if conn.disconnecting {
                    drop(conns);
                    return self.finalize(key, Failure::new(ConnectionDone));
                }
                if conn.write_shutdown_requested && !conn.write_shut {
                    conn.write_shut = true;
                    let _ = conn.stream.shutdown(Shutdown::Write);
                    after.write_lost = Some(conn.read_eof);
                }
            }
            self.apply_watermarks(key, conn, pending, &mut after);
        }
        if after.write_lost.is_some() || after.producer.is_some() {
            self.run_after_flush(key, after);
        }
    }

    fn apply_watermarks(&self, key: Key, conn: &mut Conn, pending: usize, after: &mut AfterFlush) {
        if pending > conn.high_water && !conn.backpressure_paused {
            conn.backpressure_paused = true;
            if let Some(slot) = conn.producer.as_mut().filter(|p| p.streaming && !p.paused) {
                slot.paused = true;
                after.producer = Some((slot.producer.clone(), ProducerCall::Pause));
            }
        } else if pending <= conn.low_water && conn.backpressure_paused {
            conn.backpressure_paused = false;
            if conn.may_read() {
                self.inner.resumed.borrow_mut().push(key);
            }
            if let Some(slot) = conn.producer.as_mut().filter(|p| p.streaming && p.paused) {
                slot.paused = false;
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
        if pending == 0 && conn.writable {
            if let Some(slot) = conn.producer.as_ref().filter(|p| !p.streaming) {
                after.producer = Some((slot.producer.clone(), ProducerCall::Resume));
            }
        }
    }

    fn run_after_flush(&self, key: Key, after: AfterFlush) {
        if let Some(then_close) = after.write_lost {
            let driver = self
                .inner
                .conns
                .borrow()
                .get(key)
                .and_then(|c| c.driver.clone());
            if let Some(driver) = driver {
                if let Err(reason) = driver.write_connection_lost() {
                    return self.abort_for_panic(key, reason);
                }
            }
            if then_close {
                self.close_key(key, Failure::new(ConnectionDone));
            }
        }
        if let Some((producer, call)) = after.producer {
            let result = match producer.try_borrow_mut() {
                Ok(mut p) => catch_unwind(AssertUnwindSafe(|| match call {
                    ProducerCall::Pause => p.pause_producing(),
                    ProducerCall::Resume => p.resume_producing(),
                })),
                Err(_) => Ok(()),
            };
            if let Err(payload) = result {
                self.abort_for_panic(key, Failure::from_panic("producer", payload));
            }
        }
    }

    /// Removes the connection and tells everyone: producer, protocol, then the client
    /// factory. Runs only from the loop.
    pub(crate) fn finalize(&self, key: Key, reason: Failure) {
        let Some(mut conn) = self.inner.conns.borrow_mut().remove(key) else {
            return;
        };
        let _ = self.inner.registry.deregister(&mut conn.stream);
        let Conn {
            stream,
            peer,
            driver,
            owner,
            producer,
            connecting,
            ..
        } = conn;
        // An abort (or a panic, or an overflow) resets the connection, as Twisted does, so
        // the peer knows data was lost; a clean close or a dead peer closes normally.
        if !(reason.check::<ConnectionDone>() || reason.check::<ConnectionLost>()) {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(std::time::Duration::ZERO));
        }
        drop(stream);
        tracing::debug!(peer = %crate::error::describe(peer), %reason, "connection closed");
        if let Some(slot) = producer {
            if let Ok(mut p) = slot.producer.try_borrow_mut() {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| p.stop_producing())) {
                    let failure = Failure::from_panic("stop_producing", payload);
                    tracing::error!(%failure, "a producer panicked");
                }
            }
        }
        if let Some(driver) = driver {
            driver.connection_lost(&reason);
        }
        if let Owner::Client(connector) = owner {
            if connecting {
                self.connect_failed(&connector, reason);
            } else {
                self.client_lost(&connector, reason);
            }
        }
    }

    pub(crate) fn register_conn(&self, key: Key, conn: &mut Conn) -> io::Result<()> {
        self.inner.registry.register(
            &mut conn.stream,
            token::conn(key),
            Interest::READABLE | Interest::WRITABLE,
        )
    }
}

/// Writes as much of the buffer as the socket takes; `Err` only for a real error.
fn write_out(conn: &mut Conn) -> io::Result<()> {
    while conn.writable && conn.wpos < conn.wbuf.len() {
        match (&conn.stream).write(&conn.wbuf[conn.wpos..]) {
            Ok(n) => conn.wpos += n,
            Err(err) if is_would_block(&err) => conn.writable = false,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    if conn.wpos == conn.wbuf.len() {
        conn.wbuf.clear();
        conn.wpos = 0;
    } else if conn.wpos > conn.wbuf.len() / 2 {
        conn.wbuf.drain(..conn.wpos);
        conn.wpos = 0;
    }
    Ok(())
}

/// A transport's way into its connection: the reactor and the connection's key.
#[derive(Clone)]
pub(crate) struct StreamHandle {
    reactor: Reactor,
    key: Key,
    host: SocketAddr,
    peer: SocketAddr,
}

impl StreamHandle {
    pub(crate) fn new(
        reactor: Reactor,
        key: Key,
        host: SocketAddr,
        peer: SocketAddr,
    ) -> StreamHandle {
        StreamHandle {
            reactor,
            key,
            host,
            peer,
        }
    }

    fn with_conn<R>(&self, f: impl FnOnce(&Reactor, &mut Conn) -> R) -> Option<R> {
        let Ok(mut conns) = self.reactor.inner.conns.try_borrow_mut() else {
            tracing::error!(
                "transport used while the reactor was busy with its connections; ignored"
            );
            return None;
        };
        conns.get_mut(self.key).map(|conn| f(&self.reactor, conn))
    }

    pub(crate) fn write(&self, data: &[u8]) {
        let key = self.key;
        self.with_conn(|r, conn| {
            if conn.accepts_writes() && !data.is_empty() {
                conn.append(data);
                r.mark_dirty(key, conn);
            }
        });
    }

    pub(crate) fn lose_connection(&self) {
        let key = self.key;
        self.with_conn(|r, conn| {
            conn.disconnecting = true;
            r.mark_dirty(key, conn);
        });
    }

    pub(crate) fn abort(&self, reason: Failure) {
        let key = self.key;
        self.with_conn(|r, conn| {
            if conn.close_reason.is_none() {
                conn.close_reason = Some(reason);
            }
            r.mark_dirty(key, conn);
        });
    }

    pub(crate) fn lose_write_connection(&self) {
        let key = self.key;
        self.with_conn(|r, conn| {
            conn.write_shutdown_requested = true;
            r.mark_dirty(key, conn);
        });
    }

    pub(crate) fn addresses(&self) -> (SocketAddr, SocketAddr) {
        (self.host, self.peer)
    }

    pub(crate) fn connected(&self) -> bool {
        self.with_conn(|_, conn| !conn.connecting).unwrap_or(false)
    }

    pub(crate) fn disconnecting(&self) -> bool {
        self.with_conn(|_, conn| conn.disconnecting || conn.close_reason.is_some())
            .unwrap_or(false)
    }

    pub(crate) fn buffered(&self) -> usize {
        self.with_conn(|_, conn| conn.buffered()).unwrap_or(0)
    }

    pub(crate) fn set_nodelay(&self, enabled: bool) -> io::Result<()> {
        self.with_conn(|_, conn| conn.stream.set_nodelay(enabled))
            .unwrap_or_else(not_connected)
    }

    pub(crate) fn set_keepalive(&self, enabled: bool) -> io::Result<()> {
        self.with_conn(|_, conn| socket2::SockRef::from(&conn.stream).set_keepalive(enabled))
            .unwrap_or_else(not_connected)
    }

    pub(crate) fn set_watermarks(&self, high: usize, low: usize) {
        let key = self.key;
        self.with_conn(|r, conn| {
            conn.high_water = high;
            conn.low_water = low;
            r.mark_dirty(key, conn);
        });
    }

    pub(crate) fn set_hard_limit(&self, limit: usize) {
        self.with_conn(|_, conn| conn.hard_limit = limit);
    }

    pub(crate) fn set_user_paused(&self, paused: bool) {
        let key = self.key;
        self.with_conn(|r, conn| {
            conn.user_paused = paused;
            if conn.wants_read() {
                r.inner.resumed.borrow_mut().push(key);
            }
        });
    }

    pub(crate) fn register_producer(
        &self,
        producer: SharedProducer,
        streaming: bool,
    ) -> Result<(), Failure> {
        let key = self.key;
        let registered = self.with_conn(|r, conn| {
            if conn.producer.is_some() {
                return Err(Failure::new(crate::error::ProducerAlreadyRegistered));
            }
            conn.producer = Some(ProducerSlot {
                producer: producer.clone(),
                streaming,
                paused: false,
            });
            r.mark_dirty(key, conn);
            Ok(())
        });
        match registered {
            Some(result) => result,
            None => {
                let p = producer.clone();
                crate::ReactorTime::call_later(
                    &self.reactor,
                    std::time::Duration::ZERO,
                    move || {
                        if let Ok(mut p) = p.try_borrow_mut() {
                            p.stop_producing();
                        }
                    },
                );
                Ok(())
            }
        }
    }

    pub(crate) fn unregister_producer(&self) {
        self.with_conn(|_, conn| conn.producer = None);
    }

    pub(crate) fn reactor(&self) -> Reactor {
        self.reactor.clone()
    }

    pub(crate) fn same(&self, other: &StreamHandle) -> bool {
        self.key == other.key && self.reactor.same(&other.reactor)
    }
}

fn not_connected<T>() -> io::Result<T> {
    Err(io::Error::new(
        io::ErrorKind::NotConnected,
        "the connection is closed",
    ))
}
