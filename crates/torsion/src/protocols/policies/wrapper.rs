//! [`ProtocolWrapper`]: a protocol that hosts another and runs a [`Policy`] on the
//! traffic between it and the connection (Twisted's `policies.ProtocolWrapper`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::rc::Rc;

use super::live::LiveToken;
use super::policy::{Link, Policy};
use crate::producer::SharedProducer;
use crate::{
    Address, Cx, Failure, Hosted, PeerCredentials, Protocol, Reactor, Transport, TransportBackend,
};

/// Hosts protocol `U` and passes every callback on to it, through policy `P`.
///
/// `U` gets a transport of the wrapper's own: its writes and its `lose_connection` go to
/// the policy ([`Policy::on_write`], [`Policy::on_lose_connection`]), everything else
/// (aborting, addresses, producers, flow control, socket options) goes straight to the
/// transport below. Bytes received go through [`Policy::on_data_in`] first. Wrappers
/// stack: `U` may itself be a `ProtocolWrapper`.
///
/// Usually built by a [`WrappingFactory`](super::WrappingFactory); [`new`](Self::new)
/// wraps one protocol by hand.
///
/// # Examples
///
/// ```
/// use torsion::protocols::policies::ProtocolWrapper;
/// use torsion::testing::{Clock, ProtocolHarness, StringTransport};
/// use torsion::{Cx, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let st = StringTransport::new();
/// let h = ProtocolHarness::connect(ProtocolWrapper::new(Echo, ()), &st, &Clock::new())?;
/// h.data_received(b"ping")?;
/// assert_eq!(st.value(), b"ping");
/// assert!(h.protocol().hosted().is_connected());
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct ProtocolWrapper<U: Protocol, P: Policy> {
    inner: Hosted<U>,
    stage: Stage<P>,
    /// Counts this connection in its factory while it is open.
    live: Option<LiveToken>,
}

/// Where the policy is: held until the connection is made, then shared with the
/// transport the hosted protocol writes to.
enum Stage<P: Policy> {
    Waiting(P),
    Connected(Rc<Shared<P>>),
    /// Only while `connection_made` moves the policy.
    Moving,
}

/// The policy and its link, shared by the wrapper and its transport.
struct Shared<P> {
    link: Link,
    policy: RefCell<P>,
    /// Whether the hosted protocol closed its transport (what it sees as `disconnecting`).
    closing: Cell<bool>,
}

impl<U: Protocol, P: Policy> ProtocolWrapper<U, P> {
    /// Wraps `protocol` with `policy`; nothing reaches either before `connection_made`.
    pub fn new(protocol: U, policy: P) -> ProtocolWrapper<U, P> {
        ProtocolWrapper {
            inner: Hosted::new(protocol),
            stage: Stage::Waiting(policy),
            live: None,
        }
    }

    pub(super) fn counted(mut self, live: LiveToken) -> ProtocolWrapper<U, P> {
        self.live = Some(live);
        self
    }

    /// The hosted protocol, with its context once connected.
    pub fn hosted(&self) -> &Hosted<U> {
        &self.inner
    }

    /// The hosted protocol, to change its state or call it with its context.
    pub fn hosted_mut(&mut self) -> &mut Hosted<U> {
        &mut self.inner
    }

    /// Runs `f` on the policy. Panics if called from inside one of the policy's own
    /// methods (it is borrowed then).
    pub fn with_policy<R>(&self, f: impl FnOnce(&P) -> R) -> R {
        match &self.stage {
            Stage::Waiting(policy) => f(policy),
            Stage::Connected(shared) => f(&shared.policy.borrow()),
            Stage::Moving => unreachable!("the policy is only moved inside connection_made"),
        }
    }
}

impl<U: Protocol, P: Policy> Protocol for ProtocolWrapper<U, P> {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        if !matches!(self.stage, Stage::Waiting(_)) {
            tracing::error!("a protocol wrapper was connected twice; ignored");
            return;
        }
        let Stage::Waiting(policy) = std::mem::replace(&mut self.stage, Stage::Moving) else {
            unreachable!("checked just above");
        };
        let link = Link::new(cx.transport().clone(), cx.scheduler().clone());
        let shared = Rc::new(Shared {
            link,
            policy: RefCell::new(policy),
            closing: Cell::new(false),
        });
        shared.policy.borrow_mut().on_connection_made(&shared.link);
        self.stage = Stage::Connected(shared.clone());
        let transport = Transport::new(Rc::new(WrapperTransport(shared)));
        self.inner
            .connection_made(cx, transport, |me: &mut Self| &mut me.inner);
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        let Stage::Connected(shared) = &self.stage else {
            return;
        };
        let data = shared.policy.borrow_mut().on_data_in(&shared.link, data);
        if !data.is_empty() {
            self.inner.data_received(&data);
        }
    }

    fn file_descriptor_received(&mut self, _cx: &mut Cx<Self>, fd: OwnedFd) {
        self.inner.file_descriptor_received(fd);
    }

    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.read_connection_lost();
    }

    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.write_connection_lost();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.inner.connection_lost(reason);
        if let Stage::Connected(shared) = &self.stage {
            shared
                .policy
                .borrow_mut()
                .on_connection_lost(&shared.link, reason);
        }
        self.live = None;
    }
}

impl<U: Protocol, P: Policy> fmt::Debug for ProtocolWrapper<U, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProtocolWrapper")
            .field("hosted", &self.inner)
            .field("policy", &std::any::type_name::<P>())
            .finish()
    }
}

/// The transport a wrapper presents to its hosted protocol.
struct WrapperTransport<P>(Rc<Shared<P>>);

impl<P: Policy> WrapperTransport<P> {
    fn below(&self) -> &Transport {
        self.0.link.below()
    }
}

impl<P: Policy> TransportBackend for WrapperTransport<P> {
    fn write(&self, data: &[u8]) {
        if !self.below().connected() {
            return;
        }
        self.0.policy.borrow_mut().on_write(&self.0.link, data);
    }

    fn lose_connection(&self) {
        if self.0.closing.replace(true) {
            return;
        }
        self.0.policy.borrow_mut().on_lose_connection(&self.0.link);
    }

    fn abort_connection(&self) {
        self.0.closing.set(true);
        self.below().abort_connection();
    }

    fn lose_write_connection(&self) {
        self.below().lose_write_connection();
    }

    fn get_peer(&self) -> Address {
        self.below().get_peer()
    }

    fn get_host(&self) -> Address {
        self.below().get_host()
    }

    fn connected(&self) -> bool {
        self.below().connected()
    }

    fn disconnecting(&self) -> bool {
        self.0.closing.get() || self.below().disconnecting()
    }

    fn buffered(&self) -> usize {
        self.below().buffered()
    }

    fn set_tcp_nodelay(&self, enabled: bool) -> io::Result<()> {
        self.below().set_tcp_nodelay(enabled)
    }

    fn set_tcp_keepalive(&self, enabled: bool) -> io::Result<()> {
        self.below().set_tcp_keepalive(enabled)
    }

    fn send_file_descriptor(&self, fd: OwnedFd) -> io::Result<()> {
        self.below().send_file_descriptor(fd)
    }

    fn get_peer_credentials(&self) -> io::Result<PeerCredentials> {
        self.below().get_peer_credentials()
    }

    fn set_write_watermarks(&self, high: usize, low: usize) {
        self.below().set_write_watermarks(high, low);
    }

    fn set_write_buffer_limit(&self, limit: usize) {
        self.below().set_write_buffer_limit(limit);
    }

    fn pause_producing(&self) {
        self.below().pause_producing();
    }

    fn resume_producing(&self) {
        self.below().resume_producing();
    }

    fn stop_producing(&self) {
        self.below().stop_producing();
    }

    fn register_producer(&self, producer: SharedProducer, streaming: bool) -> Result<(), Failure> {
        self.below().register_producer(producer, streaming)
    }

    fn unregister_producer(&self) {
        self.below().unregister_producer();
    }

    fn reactor(&self) -> Option<Reactor> {
        self.below().reactor()
    }
}
