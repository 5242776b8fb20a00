//! [`TcpSource`]: what is TCP's own in a TCP stream: half-close by `shutdown`, the reset
//! on abort, socket options.

use std::any::Any;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::stream::{Polled, StreamSource};

/// A connected (or connecting) TCP socket under a stream connection.
pub(crate) struct TcpSource {
    socket: TcpStream,
}

impl TcpSource {
    pub(crate) fn new(socket: TcpStream) -> TcpSource {
        TcpSource { socket }
    }

    /// The socket, for the connect's checks.
    pub(crate) fn socket(&self) -> &TcpStream {
        &self.socket
    }
}

impl StreamSource for TcpSource {
    fn read_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    fn write_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    fn register(&mut self, registry: &Registry, token: Token) -> io::Result<Polled> {
        registry.register(
            &mut self.socket,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(Polled::Yes)
    }

    fn deregister(&mut self, registry: &Registry) {
        let _ = registry.deregister(&mut self.socket);
    }

    fn shutdown_write(&mut self, _registry: &Registry) -> io::Result<()> {
        self.socket.shutdown(Shutdown::Write)
    }

    fn close(self: Box<Self>, reset: bool) {
        if reset {
            let _ = socket2::SockRef::from(&self.socket).set_linger(Some(Duration::ZERO));
        }
    }

    fn set_nodelay(&self, enabled: bool) -> io::Result<()> {
        self.socket.set_nodelay(enabled)
    }

    fn set_keepalive(&self, enabled: bool) -> io::Result<()> {
        socket2::SockRef::from(&self.socket).set_keepalive(enabled)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
