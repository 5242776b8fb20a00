//! [`StreamProtocol`]: the protocol under a [`Connection`](super::Connection).

use std::cell::RefCell;
use std::rc::Rc;

use super::shared::Shared;
use crate::{Cx, Failure, Producer, Protocol};

/// The protocol a [`Connection`](super::Connection) runs on: it queues what arrives for
/// the reader (pausing the socket when 64 KiB wait unread) and pauses writers when the
/// transport's buffer is full. Build one with [`Connection::new`](super::Connection::new).
pub struct StreamProtocol {
    shared: Rc<Shared>,
}

impl std::fmt::Debug for StreamProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamProtocol").finish_non_exhaustive()
    }
}

impl StreamProtocol {
    pub(crate) fn new(shared: Rc<Shared>) -> StreamProtocol {
        StreamProtocol { shared }
    }
}

/// Hears the transport's "stop writing" / "write again".
struct WriteGate(Rc<Shared>);

impl Producer for WriteGate {
    fn pause_producing(&mut self) {
        self.0.set_writing_paused(true);
    }

    fn resume_producing(&mut self) {
        self.0.set_writing_paused(false);
    }
}

impl Protocol for StreamProtocol {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let gate = Rc::new(RefCell::new(WriteGate(self.shared.clone())));
        if let Err(failure) = cx.transport().register_producer(gate, true) {
            tracing::warn!(%failure, "connection writes will not be paused");
        }
        self.shared.connected(cx.transport().clone());
    }

    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.shared.received(data);
    }

    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.shared.read_ended();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.shared.lost(reason);
    }
}
