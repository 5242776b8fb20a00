//! [`LimitConnectionsByPeer`]: refuses a peer's connections beyond a number (Twisted's
//! `policies.LimitConnectionsByPeer`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;

use super::factory::WrappingFactory;
use super::policy::{Link, Policy, PolicyFactory};
use crate::{Address, Failure};

/// Open connections per peer host.
type Counts = Rc<RefCell<HashMap<Address, usize>>>;

/// Refuses a connection while `limit` connections from the same peer host are open. The
/// peer is its IP address for TCP and UDP (any port), the whole address otherwise.
///
/// # Examples
///
/// ```
/// use torsion::protocols::policies::{LimitConnectionsByPeer, LimitConnectionsByPeerFactory};
/// use torsion::{Address, Factory, Protocol};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let peer = |ip: [u8; 4], port| Address::Tcp((ip, port).into());
/// let mut factory =
///     LimitConnectionsByPeerFactory::new(|_| Some(Quiet), LimitConnectionsByPeer::new(1));
/// let first = factory.build_protocol(peer([10, 0, 0, 1], 1000));
/// assert!(first.is_some());
/// assert!(factory.build_protocol(peer([10, 0, 0, 1], 1001)).is_none());
/// assert!(factory.build_protocol(peer([10, 0, 0, 2], 1000)).is_some());
/// assert_eq!(factory.policies().open(&peer([10, 0, 0, 1], 0)), 1);
/// ```
#[derive(Debug, Clone)]
pub struct LimitConnectionsByPeer {
    limit: usize,
    counts: Counts,
}

/// A factory that refuses a peer's connections beyond a number.
pub type LimitConnectionsByPeerFactory<F> = WrappingFactory<F, LimitConnectionsByPeer>;

/// One connection counted for its peer until it is lost (or its protocol dropped).
#[derive(Debug)]
pub struct PeerSlot {
    peer: Address,
    /// `None` once released.
    counts: Option<Counts>,
}

impl LimitConnectionsByPeer {
    /// At most `limit` connections open at once from one peer host (Twisted's default
    /// is 5).
    pub fn new(limit: usize) -> LimitConnectionsByPeer {
        LimitConnectionsByPeer {
            limit,
            counts: Rc::default(),
        }
    }

    /// How many connections from `peer`'s host are open.
    pub fn open(&self, peer: &Address) -> usize {
        self.counts
            .borrow()
            .get(&host_of(peer))
            .copied()
            .unwrap_or(0)
    }
}

/// The peer host `addr` counts for.
fn host_of(addr: &Address) -> Address {
    match addr {
        Address::Tcp(a) => Address::Tcp(SocketAddr::new(a.ip(), 0)),
        Address::Udp(a) => Address::Udp(SocketAddr::new(a.ip(), 0)),
        other => other.clone(),
    }
}

impl PolicyFactory for LimitConnectionsByPeer {
    type Policy = PeerSlot;

    fn build_policy(&mut self, addr: &Address, _live: usize) -> Option<PeerSlot> {
        let peer = host_of(addr);
        let mut counts = self.counts.borrow_mut();
        if counts.get(&peer).copied().unwrap_or(0) >= self.limit {
            return None;
        }
        *counts.entry(peer.clone()).or_insert(0) += 1;
        Some(PeerSlot {
            peer,
            counts: Some(self.counts.clone()),
        })
    }
}

impl PeerSlot {
    /// Takes this connection out of its peer's count (once).
    fn release(&mut self) {
        let Some(counts) = self.counts.take() else {
            return;
        };
        let mut counts = counts.borrow_mut();
        if let Some(open) = counts.get_mut(&self.peer) {
            *open -= 1;
            if *open == 0 {
                counts.remove(&self.peer);
            }
        }
    }
}

impl Policy for PeerSlot {
    fn on_connection_lost(&mut self, _link: &Link, _reason: &Failure) {
        self.release();
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        self.release();
    }
}
