//! [`Producer`]: a source of data that a transport can pause when its peer falls behind.

use std::cell::RefCell;
use std::rc::Rc;

/// Something that writes to a transport and can be told to slow down (Twisted's
/// `IPushProducer` / `IPullProducer`).
///
/// Register one with [`Transport::register_producer`](crate::Transport::register_producer).
/// All calls come from the loop, never from inside a `write`.
///
/// - A *streaming* (push) producer writes whenever it likes; it gets
///   [`pause_producing`](Producer::pause_producing) when the transport's write buffer passes
///   its high watermark and [`resume_producing`](Producer::resume_producing) when it drains
///   below the low watermark.
/// - A *pull* producer writes only when asked: it gets `resume_producing` each time the
///   write buffer is empty, and should write one chunk each time.
///
/// [`stop_producing`](Producer::stop_producing) comes when the connection is lost: write
/// no more.
pub trait Producer {
    /// Stop writing until `resume_producing` (streaming producers only).
    fn pause_producing(&mut self) {}

    /// Write (more): the transport has room.
    fn resume_producing(&mut self);

    /// The consumer is gone; never write again.
    fn stop_producing(&mut self) {}
}

/// A registered producer, shared between its owner and the transport.
pub type SharedProducer = Rc<RefCell<dyn Producer>>;
