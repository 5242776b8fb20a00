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
///
/// # Examples
///
/// A pull producer that sends a file's worth of chunks, one each time it is asked:
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use torsion::testing::StringTransport;
/// use torsion::{Producer, Transport};
///
/// struct Chunks {
///     transport: Transport,
///     left: Vec<&'static [u8]>,
/// }
///
/// impl Producer for Chunks {
///     fn resume_producing(&mut self) {
///         match self.left.pop() {
///             Some(chunk) => self.transport.write(chunk),
///             None => {
///                 self.transport.unregister_producer();
///                 self.transport.lose_connection();
///             }
///         }
///     }
/// }
///
/// let st = StringTransport::new();
/// let chunks = Rc::new(RefCell::new(Chunks {
///     transport: st.transport(),
///     left: vec![&b"world"[..], b"hello "],
/// }));
/// st.transport().register_producer(chunks.clone(), false)?;
/// // The reactor asks each time the buffer is empty; here the test asks.
/// for _ in 0..3 {
///     chunks.borrow_mut().resume_producing();
/// }
/// assert_eq!(st.value(), b"hello world");
/// assert!(st.disconnecting());
/// # Ok::<(), torsion::Failure>(())
/// ```
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
