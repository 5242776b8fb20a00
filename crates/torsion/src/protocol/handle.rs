//! [`ProtocolHandle`]: a way back into a connected protocol from outside its callbacks.

use std::fmt;

use super::cx::{Cx, Route};
use super::Protocol;
use crate::Transport;

/// A handle to a connected protocol, for code outside its callbacks (what an endpoint's
/// `connect` gives: Twisted hands out the protocol object itself).
///
/// [`with`](ProtocolHandle::with) runs a closure on the protocol and its [`Cx`], as a
/// timer of the protocol would: from the loop, never while one of the protocol's own
/// callbacks runs. Cheap to clone; it does not keep the connection open.
///
/// # Examples
///
/// ```
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol, ProtocolHandle};
///
/// #[derive(Default)]
/// struct Chat {
///     handle: Option<ProtocolHandle<Chat>>,
/// }
/// impl Chat {
///     fn say(&mut self, cx: &mut Cx<Self>, text: &str) {
///         cx.transport().write(text.as_bytes());
///     }
/// }
/// impl Protocol for Chat {
///     fn connection_made(&mut self, cx: &mut Cx<Self>) {
///         self.handle = Some(cx.handle());
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(Chat::default(), &st, &Clock::new())?;
/// let handle = h.protocol().handle.clone().unwrap();
/// handle.with(|chat, cx| chat.say(cx, "hi"));
/// assert_eq!(st.value(), b"hi");
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct ProtocolHandle<P: Protocol> {
    route: Route<P>,
    transport: Transport,
}

impl<P: Protocol> ProtocolHandle<P> {
    pub(crate) fn new(route: Route<P>, transport: Transport) -> ProtocolHandle<P> {
        ProtocolHandle { route, transport }
    }

    /// Runs `f` on the protocol and its context; `None` if the connection is gone or the
    /// protocol is busy (called from inside its own callback). A panic in `f` aborts the
    /// connection, as a panic in a callback does.
    pub fn with<R>(&self, f: impl FnOnce(&mut P, &mut Cx<P>) -> R) -> Option<R> {
        let mut f = Some(f);
        let mut out = None;
        self.route.reenter(&mut |protocol, cx| {
            if let Some(f) = f.take() {
                out = Some(f(protocol, cx));
            }
        });
        out
    }

    /// The connection's transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

impl<P: Protocol> Clone for ProtocolHandle<P> {
    fn clone(&self) -> Self {
        ProtocolHandle {
            route: self.route.clone(),
            transport: self.transport.clone(),
        }
    }
}

impl<P: Protocol> fmt::Debug for ProtocolHandle<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolHandle")
            .field("transport", &self.transport)
            .finish()
    }
}
