//! [`Pair`]: what the two sides of a forwarded connection share, and [`PeerProducer`],
//! one side's transport as the producer of the other.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::{Producer, Transport};

/// The two transports of a forwarded connection: the accepted one (the client's), and
/// the one to the destination once it is connected. Bytes the client sends before that
/// are held here.
pub(super) struct Pair {
    client: Transport,
    state: RefCell<Dialing>,
}

/// Where the outgoing connection is.
enum Dialing {
    /// Not connected yet; the client's bytes that arrived anyway.
    Pending(Vec<u8>),
    /// Connected: its transport.
    Connected(Transport),
}

impl Pair {
    pub(super) fn new(client: Transport) -> Rc<Pair> {
        Rc::new(Pair {
            client,
            state: RefCell::new(Dialing::Pending(Vec::new())),
        })
    }

    /// The accepted connection's transport.
    pub(super) fn client(&self) -> &Transport {
        &self.client
    }

    /// The outgoing connection's transport, once connected.
    pub(super) fn destination(&self) -> Option<Transport> {
        match &*self.state.borrow() {
            Dialing::Pending(_) => None,
            Dialing::Connected(t) => Some(t.clone()),
        }
    }

    /// Sends the client's `data` to the destination, or holds it until it is connected.
    pub(super) fn forward_from_client(&self, data: &[u8]) {
        match &mut *self.state.borrow_mut() {
            Dialing::Pending(held) => held.extend_from_slice(data),
            Dialing::Connected(t) => t.write(data),
        }
    }

    /// The outgoing connection is up on `destination`: what the client sent so far is
    /// written to it, each side becomes the other's streaming producer, and the client is
    /// read again. Returns `false`, touching nothing, if the client is gone.
    ///
    /// # Errors
    ///
    /// A side that already has a producer: the flow could not be controlled, so the
    /// caller closes the pair.
    pub(super) fn connected(&self, destination: Transport) -> Result<bool, crate::Failure> {
        if !self.client.connected() {
            return Ok(false);
        }
        let held = std::mem::replace(
            &mut *self.state.borrow_mut(),
            Dialing::Connected(destination.clone()),
        );
        if let Dialing::Pending(held) = held {
            if !held.is_empty() {
                destination.write(&held);
            }
        }
        self.client
            .register_producer(PeerProducer::shared(&destination), true)?;
        destination.register_producer(PeerProducer::shared(&self.client), true)?;
        self.client.resume_producing();
        Ok(true)
    }
}

impl fmt::Debug for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pair")
            .field("client", &self.client)
            .field("destination", &self.destination())
            .finish()
    }
}

/// A transport as the producer of another: when the other's write buffer is full, this
/// one stops reading; when the other is gone, this one is closed (after its own buffer
/// is written).
struct PeerProducer(Transport);

impl PeerProducer {
    fn shared(transport: &Transport) -> Rc<RefCell<PeerProducer>> {
        Rc::new(RefCell::new(PeerProducer(transport.clone())))
    }
}

impl Producer for PeerProducer {
    fn pause_producing(&mut self) {
        self.0.pause_producing();
    }

    fn resume_producing(&mut self) {
        self.0.resume_producing();
    }

    fn stop_producing(&mut self) {
        self.0.lose_connection();
    }
}
