//! [`UnixSource`]: what is a UNIX stream's own: half-close by `shutdown`, descriptors in
//! and out, the peer's credentials.

use std::any::Any;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use mio::net::UnixStream;
use mio::{Interest, Registry, Token};

use super::ancillary::{self, MAX_FDS_PER_MESSAGE};
use super::PeerCredentials;
use crate::stream::{flags, Polled, StreamSource};

/// A connected (or connecting) UNIX stream socket under a stream connection, with the
/// descriptors waiting to be sent and those received and not yet handed over. Both are
/// closed with the source if the connection ends first.
pub(crate) struct UnixSource {
    socket: UnixStream,
    outgoing: Vec<OwnedFd>,
    received: Vec<OwnedFd>,
}

impl UnixSource {
    pub(crate) fn new(socket: UnixStream) -> UnixSource {
        UnixSource {
            socket,
            outgoing: Vec::new(),
            received: Vec::new(),
        }
    }

    /// The socket, for the connect's checks.
    pub(crate) fn socket(&self) -> &UnixStream {
        &self.socket
    }
}

impl StreamSource for UnixSource {
    fn read_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    fn write_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    fn kind_flags(&self) -> u32 {
        flags::PASSES_FDS
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

    fn close(self: Box<Self>, _reset: bool) {}

    fn recv_with_fds(&mut self, buf: &mut [u8]) -> io::Result<(usize, bool)> {
        let before = self.received.len();
        let n = ancillary::recv_with_fds(self.socket.as_raw_fd(), buf, &mut self.received)?;
        Ok((n, self.received.len() > before))
    }

    fn take_received_fds(&mut self) -> Vec<OwnedFd> {
        std::mem::take(&mut self.received)
    }

    fn queue_fd(&mut self, fd: OwnedFd) -> io::Result<()> {
        self.outgoing.push(fd);
        Ok(())
    }

    fn send_with_fds(&mut self, data: &[u8]) -> io::Result<(usize, bool)> {
        let count = self.outgoing.len().min(MAX_FDS_PER_MESSAGE);
        // More than one message's worth: this one carries a single byte, so the next
        // descriptors ride on the bytes after it.
        let data = if self.outgoing.len() > count {
            &data[..1]
        } else {
            data
        };
        let fds: Vec<RawFd> = self.outgoing[..count]
            .iter()
            .map(AsRawFd::as_raw_fd)
            .collect();
        let sent = ancillary::send_with_fds(self.socket.as_raw_fd(), data, &fds)?;
        // The kernel holds its own references now: ours close here.
        self.outgoing.drain(..count);
        Ok((sent, !self.outgoing.is_empty()))
    }

    fn peer_credentials(&self) -> io::Result<PeerCredentials> {
        PeerCredentials::of(self.socket.as_raw_fd())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
