//! The state a [`Connection`](super::Connection) and its protocol share.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use crate::error::ConnectionDone;
use crate::{Failure, Transport};

/// Bytes received and not yet read before the connection stops reading from the socket
/// (the peer then slows down: TCP's flow control).
pub(crate) const READ_LIMIT: usize = 64 * 1024;

/// Buffered bytes past which a write first lets the loop flush (the transports' default
/// high watermark).
const YIELD_AT: usize = 64 * 1024;

/// What the protocol received and the reader has not taken yet, the transport, and who
/// waits for what.
#[derive(Default)]
pub(crate) struct Shared {
    inbox: RefCell<VecDeque<u8>>,
    transport: RefCell<Option<Transport>>,
    /// The peer will send no more (EOF or the connection is gone).
    read_closed: Cell<bool>,
    /// Why the connection ended, once it has.
    lost: RefCell<Option<Failure>>,
    /// A write found the transport's buffer full and yielded one pass to the loop, which
    /// flushes it (and pauses this writer if it stays over the high watermark).
    yielded: Cell<bool>,
    /// We asked the transport to stop reading: the inbox is full.
    reading_paused: Cell<bool>,
    /// The transport asked us to stop writing: its buffer is full.
    writing_paused: Cell<bool>,
    reader: RefCell<Option<Waker>>,
    writer: RefCell<Option<Waker>>,
    closer: RefCell<Option<Waker>>,
}

fn keep(slot: &RefCell<Option<Waker>>, waker: &Waker) {
    let mut slot = slot.borrow_mut();
    match &*slot {
        Some(kept) if kept.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

fn wake(slot: &RefCell<Option<Waker>>) {
    let waker = slot.borrow_mut().take();
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl Shared {
    pub(crate) fn connected(&self, transport: Transport) {
        *self.transport.borrow_mut() = Some(transport);
        wake(&self.writer);
    }

    pub(crate) fn received(&self, data: &[u8]) {
        let full = {
            let mut inbox = self.inbox.borrow_mut();
            inbox.extend(data);
            inbox.len() >= READ_LIMIT
        };
        if full && !self.reading_paused.replace(true) {
            if let Some(t) = &*self.transport.borrow() {
                t.pause_producing();
            }
        }
        wake(&self.reader);
    }

    pub(crate) fn read_ended(&self) {
        self.read_closed.set(true);
        wake(&self.reader);
    }

    pub(crate) fn lost(&self, reason: &Failure) {
        *self.lost.borrow_mut() = Some(reason.clone());
        self.read_closed.set(true);
        wake(&self.reader);
        wake(&self.writer);
        wake(&self.closer);
    }

    pub(crate) fn set_writing_paused(&self, paused: bool) {
        self.writing_paused.set(paused);
        if !paused {
            wake(&self.writer);
        }
    }

    pub(crate) fn transport(&self) -> Option<Transport> {
        self.transport.borrow().clone()
    }

    pub(crate) fn close_reason(&self) -> Option<Failure> {
        self.lost.borrow().clone()
    }

    /// Copies what is there into `buf`; `Ok(0)` at a clean end, the reason at an unclean
    /// one (once the inbox is drained).
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = {
            let mut inbox = self.inbox.borrow_mut();
            let n = inbox.len().min(buf.len());
            for (slot, byte) in buf.iter_mut().zip(inbox.drain(..n)) {
                *slot = byte;
            }
            n
        };
        if n > 0 {
            self.resume_reading_if_drained();
            return Poll::Ready(Ok(n));
        }
        if self.read_closed.get() {
            return Poll::Ready(match &*self.lost.borrow() {
                Some(reason) if !reason.check::<ConnectionDone>() => Err(io_error(reason)),
                _ => Ok(0),
            });
        }
        keep(&self.reader, cx.waker());
        Poll::Pending
    }

    fn resume_reading_if_drained(&self) {
        if self.reading_paused.get() && self.inbox.borrow().len() < READ_LIMIT / 2 {
            self.reading_paused.set(false);
            if let Some(t) = &*self.transport.borrow() {
                t.resume_producing();
            }
        }
    }

    /// Hands `data` to the transport once it has room; an error once the connection is
    /// gone.
    pub(crate) fn poll_write(
        &self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if let Some(reason) = &*self.lost.borrow() {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                reason.to_string(),
            )));
        }
        let transport = self.transport.borrow();
        match &*transport {
            Some(t) if !self.writing_paused.get() => {
                // The transport hears that its buffer is over the high watermark only from
                // the loop: a writer that never yields would fill it without end.
                if t.buffered() >= YIELD_AT && !self.yielded.replace(true) {
                    crate::defer::executor::current().wake_next_pass(cx.waker());
                    return Poll::Pending;
                }
                self.yielded.set(false);
                t.write(data);
                Poll::Ready(Ok(data.len()))
            }
            _ => {
                keep(&self.writer, cx.waker());
                Poll::Pending
            }
        }
    }

    /// Closes (once what was written is sent) and waits for the end; the reason.
    pub(crate) fn poll_close(&self, cx: &mut Context<'_>) -> Poll<Failure> {
        if let Some(reason) = &*self.lost.borrow() {
            return Poll::Ready(reason.clone());
        }
        if let Some(t) = &*self.transport.borrow() {
            t.lose_connection();
        }
        keep(&self.closer, cx.waker());
        Poll::Pending
    }
}

/// An I/O error for a connection that ended with `reason` (a `Failure` is not `Send`, so
/// the error carries its text; [`Connection::close_reason`](super::Connection::close_reason)
/// has the failure itself).
pub(crate) fn io_error(reason: &Failure) -> std::io::Error {
    use crate::error::{ConnectionAborted, ConnectionLost};
    let kind = if reason.check::<ConnectionAborted>() {
        std::io::ErrorKind::ConnectionAborted
    } else if reason.check::<ConnectionLost>() {
        std::io::ErrorKind::ConnectionReset
    } else {
        std::io::ErrorKind::Other
    };
    std::io::Error::new(kind, reason.to_string())
}
