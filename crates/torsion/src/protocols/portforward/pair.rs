//! [`Pair`]: what the two sides of a forwarded connection share, and [`Gate`], how one
//! side's reading waits for the other side's write buffer.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::{Failure, Producer, Transport};

/// How many bytes one side's write buffer may hold before the other side stops being
/// read (the engine's default high watermark).
pub(super) const HIGH_WATER: usize = 64 * 1024;

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
    /// Connected.
    Connected(Link),
}

/// A connected pair's destination and its two gates.
struct Link {
    destination: Transport,
    /// Stops reading the client while the destination's buffer is full; registered on
    /// the destination's transport.
    client_reading: Rc<RefCell<Gate>>,
    /// Stops reading the destination while the client's buffer is full; registered on
    /// the client's transport.
    destination_reading: Rc<RefCell<Gate>>,
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
            Dialing::Connected(link) => Some(link.destination.clone()),
        }
    }

    /// Sends the client's `data` to the destination (and stops reading the client if
    /// that fills the destination's buffer), or holds it until the destination is
    /// connected.
    pub(super) fn forward_from_client(&self, data: &[u8]) {
        match &mut *self.state.borrow_mut() {
            Dialing::Pending(held) => held.extend_from_slice(data),
            Dialing::Connected(link) => {
                link.destination.write(data);
                link.client_reading
                    .borrow_mut()
                    .hold_if_full(&link.destination);
            }
        }
    }

    /// Sends the destination's `data` to the client, and stops reading the destination
    /// if that fills the client's buffer.
    pub(super) fn forward_from_destination(&self, data: &[u8]) {
        self.client.write(data);
        if let Dialing::Connected(link) = &*self.state.borrow() {
            link.destination_reading
                .borrow_mut()
                .hold_if_full(&self.client);
        }
    }

    /// The outgoing connection is up on `destination`: what the client sent so far is
    /// written to it, each side's reading is tied to the other side's write buffer, and
    /// the client is read again. Returns `false`, touching nothing, if the client is gone.
    ///
    /// Each side stops being read only because the *other* side's buffer is full, never
    /// because of its own: the engine's own rule (a connection whose buffer is above its
    /// high watermark is not read) is turned off on both, as it would deadlock a peer that
    /// itself reads only once what it wrote is read (the side towards it would stop
    /// reading it because of the bytes it cannot take, and it would stop reading because
    /// of the bytes that side does not read).
    ///
    /// # Errors
    ///
    /// A side that already has a producer: the flow could not be controlled, so the
    /// caller closes the pair.
    pub(super) fn connected(&self, destination: Transport) -> Result<bool, Failure> {
        if !self.client.connected() {
            return Ok(false);
        }
        let link = Link {
            destination: destination.clone(),
            client_reading: Gate::shared(&self.client),
            destination_reading: Gate::shared(&destination),
        };
        for side in [&self.client, &destination] {
            side.set_write_watermarks(usize::MAX, usize::MAX);
        }
        destination.register_producer(link.client_reading.clone(), false)?;
        self.client
            .register_producer(link.destination_reading.clone(), false)?;
        let held = std::mem::replace(&mut *self.state.borrow_mut(), Dialing::Connected(link));
        if let Dialing::Pending(held) = held {
            if !held.is_empty() {
                self.forward_from_client(&held);
            }
        }
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

/// Stops reading one side (the reader) while the other side's write buffer is above
/// [`HIGH_WATER`], and reads it again once that buffer is empty: a pull producer on the
/// other side's transport, which asks it each time its buffer has drained. When the
/// other side is gone, the reader is closed (after its own buffer is written).
pub(super) struct Gate {
    reader: Transport,
    holding: bool,
}

impl Gate {
    pub(super) fn shared(reader: &Transport) -> Rc<RefCell<Gate>> {
        Rc::new(RefCell::new(Gate {
            reader: reader.clone(),
            holding: false,
        }))
    }

    /// Stops reading the reader if `writer`'s buffer is above [`HIGH_WATER`].
    pub(super) fn hold_if_full(&mut self, writer: &Transport) {
        if !self.holding && writer.buffered() > HIGH_WATER {
            self.holding = true;
            self.reader.pause_producing();
        }
    }
}

impl Producer for Gate {
    fn resume_producing(&mut self) {
        if self.holding {
            self.holding = false;
            self.reader.resume_producing();
        }
    }

    fn stop_producing(&mut self) {
        self.reader.lose_connection();
    }
}
