//! [`StreamHandle`]: how a [`Transport`](crate::Transport) reaches its stream connection.

use std::io;
use std::os::fd::OwnedFd;
use std::rc::Rc;
use std::time::Duration;

use super::conn::{closed, BuildProtocol, PendingSwitch, ProducerSlot, StreamCell, StreamConn};
use super::flags;
use crate::address::Address;
use crate::error::ProducerAlreadyRegistered;
use crate::producer::SharedProducer;
use crate::time::ReactorTime;
use crate::unix::PeerCredentials;
use crate::{Failure, Reactor};

/// A transport's way into its connection: the reactor and the connection itself.
#[derive(Clone)]
pub(crate) struct StreamHandle {
    reactor: Reactor,
    cell: Rc<StreamCell>,
}

impl StreamHandle {
    pub(crate) fn new(reactor: Reactor, cell: Rc<StreamCell>) -> StreamHandle {
        StreamHandle { reactor, cell }
    }

    /// Runs `f` on the connection unless it is closed.
    fn with_conn<R>(&self, f: impl FnOnce(&Reactor, &mut StreamConn) -> R) -> Option<R> {
        let Ok(mut conn) = self.cell.conn().try_borrow_mut() else {
            busy();
            return None;
        };
        if conn.has(flags::CLOSED) {
            return None;
        }
        Some(f(&self.reactor, &mut conn))
    }

    #[inline(always)]
    pub(crate) fn write(&self, data: &[u8]) {
        // Not `with_conn`: a closed connection refuses writes anyway.
        let Ok(mut conn) = self.cell.conn().try_borrow_mut() else {
            return busy();
        };
        if !conn.has(flags::REFUSES_WRITES) && !data.is_empty() {
            conn.append(data);
            // While its reads are delivered, the loop flushes what it finds buffered.
            if !conn.has(flags::READING) {
                self.reactor.mark_dirty(&self.cell, &mut conn);
            }
        }
    }

    pub(crate) fn lose_connection(&self) {
        self.with_conn(|r, conn| {
            if !conn.has(flags::TLS) || conn.tls_lose_connection() {
                conn.set(flags::DISCONNECTING);
            }
            r.mark_dirty(&self.cell, conn);
        });
    }

    pub(crate) fn start_tls(&self, options: &crate::tls::TlsOptions) -> io::Result<()> {
        if self.cell.conn().borrow().has(flags::CLOSED) {
            return Err(closed());
        }
        self.reactor.start_stream_tls(&self.cell, options)
    }

    pub(crate) fn negotiated_protocol(&self) -> Option<Vec<u8>> {
        self.with_conn(|_, conn| conn.negotiated_protocol())
            .flatten()
    }

    pub(crate) fn peer_certificates(&self) -> Option<Vec<Vec<u8>>> {
        self.with_conn(|_, conn| conn.peer_certificates()).flatten()
    }

    pub(crate) fn tls_version(&self) -> Option<&'static str> {
        self.with_conn(|_, conn| conn.tls_version()).flatten()
    }

    pub(crate) fn abort(&self, reason: Failure) {
        self.with_conn(|r, conn| {
            conn.close_with(reason);
            r.mark_dirty(&self.cell, conn);
        });
    }

    pub(crate) fn lose_write_connection(&self) {
        self.with_conn(|r, conn| {
            conn.set(flags::SHUTDOWN_REQUESTED);
            r.mark_dirty(&self.cell, conn);
        });
    }

    pub(crate) fn host(&self) -> Address {
        self.cell.host().clone()
    }

    pub(crate) fn peer(&self) -> Address {
        self.cell.peer().clone()
    }

    pub(crate) fn connected(&self) -> bool {
        self.with_conn(|_, conn| !conn.has(flags::CONNECTING))
            .unwrap_or(false)
    }

    pub(crate) fn disconnecting(&self) -> bool {
        self.with_conn(|_, conn| {
            conn.has(flags::DISCONNECTING | flags::CLOSING) || conn.tls_closing()
        })
        .unwrap_or(false)
    }

    pub(crate) fn buffered(&self) -> usize {
        self.with_conn(|_, conn| conn.buffered()).unwrap_or(0)
    }

    pub(crate) fn set_nodelay(&self, enabled: bool) -> io::Result<()> {
        self.with_conn(|_, conn| conn.source()?.set_nodelay(enabled))
            .unwrap_or_else(|| Err(closed()))
    }

    pub(crate) fn set_keepalive(&self, enabled: bool) -> io::Result<()> {
        self.with_conn(|_, conn| conn.source()?.set_keepalive(enabled))
            .unwrap_or_else(|| Err(closed()))
    }

    /// Queues `fd` to go with the next bytes sent.
    pub(crate) fn send_file_descriptor(&self, fd: OwnedFd) -> io::Result<()> {
        self.with_conn(|r, conn| {
            conn.queue_fd(fd)?;
            r.mark_dirty(&self.cell, conn);
            Ok(())
        })
        .unwrap_or_else(|| Err(closed()))
    }

    pub(crate) fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        self.with_conn(|_, conn| conn.source()?.peer_credentials())
            .unwrap_or_else(|| Err(closed()))
    }

    pub(crate) fn set_watermarks(&self, high: usize, low: usize) {
        self.with_conn(|r, conn| {
            conn.set_watermarks(high, low);
            r.mark_dirty(&self.cell, conn);
        });
    }

    pub(crate) fn set_hard_limit(&self, limit: usize) {
        self.with_conn(|r, conn| {
            conn.set_hard_limit(limit);
            r.mark_dirty(&self.cell, conn);
        });
    }

    pub(crate) fn set_user_paused(&self, paused: bool) {
        let key = self.cell.key();
        self.with_conn(|r, conn| {
            if paused {
                conn.set(flags::USER_PAUSED);
            } else {
                conn.clear(flags::USER_PAUSED);
            }
            if conn.may_read() {
                r.core.streams.push_resumed(key);
            }
        });
    }

    pub(crate) fn register_producer(
        &self,
        producer: SharedProducer,
        streaming: bool,
    ) -> Result<(), Failure> {
        let registered = self.with_conn(|r, conn| {
            if conn.producer().is_some() {
                return Err(Failure::new(ProducerAlreadyRegistered));
            }
            conn.set_producer(Some(ProducerSlot {
                producer: producer.clone(),
                streaming,
                paused: false,
            }));
            r.mark_dirty(&self.cell, conn);
            Ok(())
        });
        match registered {
            Some(result) => result,
            None => {
                let p = producer.clone();
                self.reactor.call_later(Duration::ZERO, move || {
                    if let Ok(mut p) = p.try_borrow_mut() {
                        p.stop_producing();
                    }
                });
                Ok(())
            }
        }
    }

    pub(crate) fn unregister_producer(&self) {
        self.with_conn(|_, conn| conn.set_producer(None));
    }

    /// Asks the loop to replace the protocol once the current callback returns.
    pub(crate) fn switch_protocol(
        &self,
        build: BuildProtocol,
        unprocessed: Vec<u8>,
    ) -> io::Result<()> {
        self.with_conn(|r, conn| {
            conn.request_switch(PendingSwitch { build, unprocessed });
            r.mark_dirty(&self.cell, conn);
        })
        .ok_or_else(closed)
    }

    pub(crate) fn reactor(&self) -> Reactor {
        self.reactor.clone()
    }

    pub(crate) fn same(&self, other: &StreamHandle) -> bool {
        Rc::ptr_eq(&self.cell, &other.cell)
    }
}

#[cold]
fn busy() {
    tracing::error!("transport used while the reactor was busy with it; ignored");
}
