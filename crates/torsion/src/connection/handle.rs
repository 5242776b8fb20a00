//! [`Connection`] and [`serve`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::rc::Rc;

use super::protocol::StreamProtocol;
use super::shared::Shared;
use crate::defer::Deferred;
use crate::endpoints::ClientEndpoint;
use crate::{Address, Factory, Failure, Reactor, Transport};

/// One connection, used from `async` code (see the [module docs](crate::connection)).
///
/// Clones are handles to the same connection: one task may read while another writes.
///
/// # Cancel safety
///
/// [`read`](Connection::read) is cancel-safe: dropped before it is ready, it has taken
/// nothing. [`write`](Connection::write) hands its bytes to the transport all at once when
/// it completes; dropped before, it wrote nothing. [`read_exact`](Connection::read_exact)
/// and [`read_to_end`](Connection::read_to_end) are not: bytes read before the drop are
/// lost to the caller. [`close`](Connection::close) is: dropped, the close it asked for
/// goes on.
#[derive(Clone)]
pub struct Connection {
    shared: Rc<Shared>,
}

impl Connection {
    /// A connection and the protocol to run it on: hand the protocol to a factory, keep
    /// the connection. Reads wait for `connection_made`, and writes too.
    pub fn new() -> (StreamProtocol, Connection) {
        let shared = Rc::new(Shared::default());
        (StreamProtocol::new(shared.clone()), Connection { shared })
    }

    /// Connects `endpoint`; the Deferred (awaitable) has the connection once connected, or
    /// fails as the endpoint's `connect` does. Cancelling it stops the attempt.
    #[track_caller]
    pub fn connect(endpoint: &ClientEndpoint) -> Deferred<Connection> {
        let (protocol, connection) = Connection::new();
        let mut protocol = Some(protocol);
        endpoint
            .connect(move |_addr| protocol.take())
            .add_callback(move |_handle| Ok(connection))
    }

    /// Reads what has arrived into `buf` (waiting for at least one byte): the count, `Ok(0)`
    /// once the peer closed cleanly (or for an empty `buf`), or an error wrapping the
    /// [`Failure`] when the connection was lost (see
    /// [`close_reason`](Connection::close_reason)).
    ///
    /// # Errors
    ///
    /// As above: the connection ended in a non-clean way.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.shared.poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the connection closed first; as [`read`](Connection::read).
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Reads until the peer closes cleanly, and returns it all.
    ///
    /// # Errors
    ///
    /// As [`read`](Connection::read): what arrived before a non-clean end is dropped.
    pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
        let mut all = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = self.read(&mut buf).await?;
            if n == 0 {
                return Ok(all);
            }
            all.extend_from_slice(&buf[..n]);
        }
    }

    /// Writes all of `data` (to the transport's buffer: the loop sends it), waiting first
    /// while the transport's buffer is over its high watermark.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` wrapping the [`Failure`] once the connection is gone.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        poll_fn(|cx| self.shared.poll_write(cx, data))
            .await
            .map(drop)
    }

    /// Closes the connection once what was written is sent, and waits until it is closed:
    /// `Ok` for a clean close, the reason otherwise.
    ///
    /// # Errors
    ///
    /// The [`Failure`] the connection ended with, unless it was `ConnectionDone`.
    pub fn close(&mut self) -> impl Future<Output = Result<(), Failure>> + '_ {
        poll_fn(|cx| self.shared.poll_close(cx)).then_clean()
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<Failure> {
        self.shared.close_reason()
    }

    /// The transport, once connected.
    pub fn transport(&self) -> Option<Transport> {
        self.shared.transport()
    }

    /// The other side's address, once connected.
    pub fn peer(&self) -> Option<Address> {
        self.transport().map(|t| t.get_peer())
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}

/// Maps a close reason to `Ok` when it is a clean close.
trait ThenClean: Future<Output = Failure> + Sized {
    async fn then_clean(self) -> Result<(), Failure> {
        let reason = self.await;
        if reason.check::<crate::error::ConnectionDone>() {
            Ok(())
        } else {
            Err(reason)
        }
    }
}

impl<F: Future<Output = Failure>> ThenClean for F {}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("transport", &self.transport())
            .finish()
    }
}

/// A server factory that runs `handler` as a task for each accepted connection, on
/// `reactor`'s loop. A handler's error is logged with the peer's address.
///
/// # Examples
///
/// See the [module docs](crate::connection).
pub fn serve<H, Fut>(reactor: &Reactor, handler: H) -> impl Factory
where
    H: Fn(Connection) -> Fut + 'static,
    Fut: Future<Output = Result<(), Failure>> + 'static,
{
    let reactor = reactor.clone();
    move |peer: Address| {
        let (protocol, connection) = Connection::new();
        let task = handler(connection);
        drop(reactor.spawn_local(async move {
            if let Err(failure) = task.await {
                tracing::warn!(%peer, %failure, "connection handler failed");
            }
        }));
        Some(protocol)
    }
}
