//! [`WrappingFactory`]: wraps every protocol of another factory in a
//! [`ProtocolWrapper`] with a policy of its own (Twisted's `policies.WrappingFactory`).

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::live::LiveToken;
use super::policy::PolicyFactory;
use super::wrapper::ProtocolWrapper;
use crate::{Address, Factory};

/// A factory whose protocols are those of `F`, each wrapped in a [`ProtocolWrapper`] with
/// a policy built by `S`.
///
/// For each connection, `S` is asked first ([`PolicyFactory::build_policy`], which sees
/// how many connections are open and may refuse), then `F`; if either refuses, so does
/// this factory. A connection counts in [`live`](WrappingFactory::live) from
/// `build_protocol` until its `connection_lost` (or until its protocol is dropped unused).
/// `do_start` and `do_stop` reach both `S` and `F`.
///
/// A `WrappingFactory` is a [`Factory`], so wrapping factories stack: the outermost
/// policy is the first to see bytes arriving and the last to see bytes written.
///
/// # Examples
///
/// ```
/// use torsion::protocols::policies::WrappingFactory;
/// use torsion::{Address, Cx, Factory, Protocol};
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
///         cx.transport().write(data);
///     }
/// }
///
/// let mut factory = WrappingFactory::new(|_peer| Some(Echo), ());
/// let protocol = factory.build_protocol(Address::Pipe);
/// assert!(protocol.is_some());
/// assert_eq!(factory.live(), 1);
/// drop(protocol);
/// assert_eq!(factory.live(), 0);
/// ```
pub struct WrappingFactory<F: Factory, S: PolicyFactory> {
    factory: F,
    policies: S,
    live: Rc<Cell<usize>>,
}

impl<F: Factory, S: PolicyFactory> WrappingFactory<F, S> {
    /// Wraps the protocols of `factory` with the policies `policies` builds.
    pub fn new(factory: F, policies: S) -> WrappingFactory<F, S> {
        WrappingFactory {
            factory,
            policies,
            live: Rc::default(),
        }
    }

    /// How many protocols built by this factory are connected (or built and not yet
    /// connected) now (Twisted's `len(factory.protocols)`).
    pub fn live(&self) -> usize {
        self.live.get()
    }

    /// The wrapped factory.
    pub fn wrapped(&self) -> &F {
        &self.factory
    }

    /// The wrapped factory, to change it.
    pub fn wrapped_mut(&mut self) -> &mut F {
        &mut self.factory
    }

    /// The policy factory.
    pub fn policies(&self) -> &S {
        &self.policies
    }

    /// The policy factory, to change it.
    pub fn policies_mut(&mut self) -> &mut S {
        &mut self.policies
    }
}

impl<F: Factory, S: PolicyFactory> Factory for WrappingFactory<F, S> {
    type Protocol = ProtocolWrapper<F::Protocol, S::Policy>;

    fn build_protocol(&mut self, addr: Address) -> Option<Self::Protocol> {
        let policy = self.policies.build_policy(&addr, self.live.get())?;
        let protocol = self.factory.build_protocol(addr)?;
        Some(ProtocolWrapper::new(protocol, policy).counted(LiveToken::new(&self.live)))
    }

    fn do_start(&mut self) {
        self.policies.do_start();
        self.factory.do_start();
    }

    fn do_stop(&mut self) {
        self.factory.do_stop();
        self.policies.do_stop();
    }
}

impl<F: Factory, S: PolicyFactory> fmt::Debug for WrappingFactory<F, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrappingFactory")
            .field("factory", &std::any::type_name::<F>())
            .field("policies", &std::any::type_name::<S>())
            .field("live", &self.live.get())
            .finish()
    }
}
