//! [`Hosted`]: a protocol that another protocol runs inside itself (Twisted's wrapped
//! protocol), with a real context of its own.

use std::fmt;
use std::os::fd::OwnedFd;
use std::rc::Rc;

use super::cx::{Cx, Reenter, Route};
use super::Protocol;
use crate::{Failure, Transport};

/// A protocol run by another one, its host: a policy wrapper, a line splitter over a user
/// type, TLS over a connection (Twisted's `ProtocolWrapper.wrappedProtocol`).
///
/// The host keeps a `Hosted<U>` in a field and forwards the callbacks it wants `U` to see.
/// `U` gets a [`Cx<U>`](Cx) of its own: its [`transport`](Cx::transport) is the one the
/// host chose in [`connection_made`](Hosted::connection_made) (the host's own transport, or
/// one the host implements with [`TransportBackend`](crate::TransportBackend) to see or
/// change what `U` writes), and its [`call_later`](Cx::call_later) calls back into `U` with
/// `&mut U`, through the host. `U`'s timers die with it: when the connection is lost, when
/// the host calls [`connection_lost`](Hosted::connection_lost), or when the `Hosted` is
/// dropped. Forwarding a callback is a plain method call: only a timer firing goes through
/// a dynamic call.
///
/// A panic in `U` unwinds through the host like a panic of the host's own.
///
/// # Examples
///
/// A host that upper-cases what it receives before its hosted protocol sees it:
///
/// ```
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Failure, Hosted, Protocol};
///
/// struct Shout<U: Protocol> {
///     inner: Hosted<U>,
/// }
///
/// impl<U: Protocol> Protocol for Shout<U> {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         let transport = cx.transport().clone();
///         self.inner.connection_made(cx, transport, |host: &mut Self| &mut host.inner);
///     }
///     fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
///         self.inner.data_received(&data.to_ascii_uppercase());
///     }
///     fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
///         self.inner.connection_lost(reason);
///     }
/// }
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(Shout { inner: Hosted::new(Echo) }, &st, &Clock::new())?;
/// h.data_received(b"hello")?;
/// assert_eq!(st.value(), b"HELLO");
/// # Ok::<(), Failure>(())
/// ```
pub struct Hosted<U: Protocol> {
    protocol: U,
    /// `None` until `connection_made`.
    cx: Option<Cx<U>>,
}

/// Finds a hosted protocol inside its host.
pub type Locate<W, U> = for<'a> fn(&'a mut W) -> &'a mut Hosted<U>;

/// The way back into a hosted protocol: through the host's own route, then `locate`.
struct HostRoute<W: Protocol, U: Protocol> {
    host: Route<W>,
    locate: Locate<W, U>,
}

impl<W: Protocol, U: Protocol> Reenter<U> for HostRoute<W, U> {
    fn reenter(&self, f: &mut dyn FnMut(&mut U, &mut Cx<U>)) {
        let locate = self.locate;
        self.host.reenter(&mut |host, _| {
            let hosted = locate(host);
            if let Some(cx) = hosted.cx.as_mut() {
                if cx.transport().connected() {
                    f(&mut hosted.protocol, cx);
                }
            }
        });
    }
}

impl<U: Protocol> Hosted<U> {
    /// Holds `protocol`, not yet connected: no callback reaches it before
    /// [`connection_made`](Hosted::connection_made).
    pub fn new(protocol: U) -> Hosted<U> {
        Hosted { protocol, cx: None }
    }

    /// Connects the hosted protocol and calls its `connection_made`. `host` is the host's
    /// context; `transport` is what the hosted protocol will write to; `locate` finds this
    /// `Hosted` inside the host (`|host: &mut MyHost<U>| &mut host.inner`), for its timers.
    /// Connecting twice replaces the first context (and cancels its timers).
    pub fn connection_made<W: Protocol>(
        &mut self,
        host: &Cx<W>,
        transport: Transport,
        locate: Locate<W, U>,
    ) {
        let route = Route::Hosted(Rc::new(HostRoute {
            host: host.route().clone(),
            locate,
        }));
        let cx = self.cx.insert(host.hosted(transport, route));
        self.protocol.connection_made(cx);
    }

    /// Forwards bytes to the hosted protocol's `data_received` (nothing before
    /// `connection_made`).
    pub fn data_received(&mut self, data: &[u8]) {
        self.with(|p, cx| p.data_received(cx, data));
    }

    /// Forwards a descriptor the peer passed (dropped, so closed, before
    /// `connection_made`).
    pub fn file_descriptor_received(&mut self, fd: OwnedFd) {
        self.with(|p, cx| p.file_descriptor_received(cx, fd));
    }

    /// Forwards the peer's EOF.
    pub fn read_connection_lost(&mut self) {
        self.with(|p, cx| p.read_connection_lost(cx));
    }

    /// Forwards the end of the writing side.
    pub fn write_connection_lost(&mut self) {
        self.with(|p, cx| p.write_connection_lost(cx));
    }

    /// Forwards the end of the connection, then cancels the hosted protocol's timers.
    pub fn connection_lost(&mut self, reason: &Failure) {
        self.with(|p, cx| {
            p.connection_lost(cx, reason);
            cx.cancel_timers();
        });
    }

    /// Runs `f` with the hosted protocol and its context; `None` before `connection_made`.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut U, &mut Cx<U>) -> R) -> Option<R> {
        let cx = self.cx.as_mut()?;
        Some(f(&mut self.protocol, cx))
    }

    /// The hosted protocol.
    pub fn protocol(&self) -> &U {
        &self.protocol
    }

    /// The hosted protocol, to change its state.
    pub fn protocol_mut(&mut self) -> &mut U {
        &mut self.protocol
    }

    /// Whether `connection_made` was called.
    pub fn is_connected(&self) -> bool {
        self.cx.is_some()
    }

    /// The hosted protocol, taken out; its timers are cancelled.
    pub fn into_protocol(self) -> U {
        self.protocol
    }
}

impl<U: Protocol> fmt::Debug for Hosted<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hosted")
            .field("protocol", &std::any::type_name::<U>())
            .field("connected", &self.is_connected())
            .finish()
    }
}
