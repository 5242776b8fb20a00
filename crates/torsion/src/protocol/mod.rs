//! [`Protocol`]: the per-connection state machine, and [`Cx`], what it may use while called.

mod bound;
mod cx;
mod handle;
mod hosted;

pub(crate) use bound::{BoundProtocol, DynProtocol, NoProtocol};
pub use cx::Cx;
pub use handle::ProtocolHandle;
pub use hosted::Hosted;

use std::os::fd::OwnedFd;

use crate::Failure;

/// The logic of one connection, driven by the reactor through callbacks (Twisted's
/// `IProtocol`).
///
/// For every connection, exactly this happens, in this order, always from the reactor's
/// loop and never from inside a call the protocol itself made:
///
/// 1. [`connection_made`](Protocol::connection_made), once;
/// 2. [`data_received`](Protocol::data_received), zero or more times, with the bytes in the
///    order they arrived, split and joined arbitrarily (a protocol must not assume one call
///    per message); over a UNIX socket,
///    [`file_descriptor_received`](Protocol::file_descriptor_received) for each descriptor
///    passed, before the bytes it came with;
/// 3. [`read_connection_lost`](Protocol::read_connection_lost) and
///    [`write_connection_lost`](Protocol::write_connection_lost), at most once each, when
///    one direction of the connection closes;
/// 4. [`connection_lost`](Protocol::connection_lost), exactly once, last; the [`Failure`]
///    says why (`ConnectionDone` for a clean close).
///
/// A panic in any of these is caught: the connection is aborted with a
/// [`CallbackPanicked`](crate::error::CallbackPanicked) reason, logged with the peer's
/// address, and `connection_lost` is still called.
///
/// # Examples
///
/// ```
/// use torsion::{Cx, Protocol};
///
/// struct Echo;
///
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
/// ```
pub trait Protocol: Sized + 'static {
    /// The connection is open; `cx.transport()` may be written to from now on.
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let _ = cx;
    }

    /// Bytes arrived. `data` is only valid during the call; copy what must be kept.
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        let _ = (cx, data);
    }

    /// A descriptor arrived from the peer over a UNIX socket (Twisted's
    /// `IFileDescriptorReceiver.fileDescriptorReceived`), before the bytes it came with.
    /// The protocol owns `fd` (received close-on-exec): keep it, or drop it to close it.
    ///
    /// The default closes it and logs that the protocol does not take descriptors, so a
    /// peer cannot make a process that did not ask for descriptors hold them open.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::OwnedFd;
    /// use torsion::{Cx, Protocol};
    ///
    /// struct Collect(Vec<OwnedFd>);
    ///
    /// impl Protocol for Collect {
    ///     fn file_descriptor_received(&mut self, _cx: &mut Cx<Self>, fd: OwnedFd) {
    ///         self.0.push(fd);
    ///     }
    /// }
    /// ```
    fn file_descriptor_received(&mut self, cx: &mut Cx<Self>, fd: OwnedFd) {
        let transport = cx.transport();
        tracing::warn!(
            protocol = std::any::type_name::<Self>(),
            host = %transport.get_host(),
            peer = %transport.get_peer(),
            "the protocol does not take descriptors; closing the one received"
        );
        drop(fd);
    }

    /// The peer closed its side for writing (EOF). The default closes the connection once
    /// the write buffer is flushed; override it, and keep writing, to support half-closed
    /// connections (Twisted's `IHalfCloseableProtocol`).
    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        cx.transport().lose_connection();
    }

    /// Our side was shut down for writing by
    /// [`lose_write_connection`](crate::Transport::lose_write_connection), after the buffer
    /// flushed. Reading goes on.
    fn write_connection_lost(&mut self, cx: &mut Cx<Self>) {
        let _ = cx;
    }

    /// The connection is closed; called once, last. Timers scheduled with
    /// [`Cx::call_later`] are cancelled right after this returns.
    fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
        let _ = (cx, reason);
    }
}
