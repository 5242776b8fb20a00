//! [`DeferredQueue`]: a queue whose `get` is a Deferred.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::rc::{Rc, Weak};

use super::errors::{QueueOverflow, QueueUnderflow};
use super::Deferred;
use crate::Failure;

/// A queue for callback code: [`get`](DeferredQueue::get) gives a Deferred that fires with
/// the next value, at once if one is there, else when one is [`put`](DeferredQueue::put)
/// (Twisted's `DeferredQueue`).
///
/// - Values come out in the order they were put; waiting gets are served in the order
///   they were made. A value put while gets wait goes straight to the oldest, whose
///   callbacks run inside `put`.
/// - `size` bounds the values held (a `put` past it fails with [`QueueOverflow`]);
///   `backlog` bounds the gets waiting (a `get` past it fails with [`QueueUnderflow`]).
///   Both unbounded by default.
/// - Cancelling a waiting get takes it out of the line and fails it with
///   [`CancelledError`](crate::error::CancelledError): the next value goes to the next get.
///
/// Clones are handles to the same queue.
///
/// # Examples
///
/// ```
/// use torsion::defer::DeferredQueue;
///
/// let lines = DeferredQueue::new();
/// let next = lines.get();
/// assert!(!next.called());
/// lines.put("HELO")?;
/// lines.put("QUIT")?;
/// assert_eq!(next.take_result().unwrap()?, "HELO");
/// assert_eq!(lines.get().take_result().unwrap()?, "QUIT");
/// # Ok::<(), torsion::Failure>(())
/// ```
pub struct DeferredQueue<T> {
    state: Rc<RefCell<State<T>>>,
}

struct State<T> {
    values: VecDeque<T>,
    /// Gets waiting for a value, oldest first. Never waiting while `values` has one.
    waiting: VecDeque<Getter<T>>,
    next_id: u64,
    size: Option<usize>,
    backlog: Option<usize>,
}

struct Getter<T> {
    id: u64,
    get: Deferred<T>,
}

impl<T: 'static> DeferredQueue<T> {
    /// An unbounded queue.
    pub fn new() -> DeferredQueue<T> {
        DeferredQueue::with_limits(None, None)
    }

    /// A queue holding at most `size` values and `backlog` waiting gets (`None`: no bound).
    pub fn with_limits(size: Option<usize>, backlog: Option<usize>) -> DeferredQueue<T> {
        DeferredQueue {
            state: Rc::new(RefCell::new(State {
                values: VecDeque::new(),
                waiting: VecDeque::new(),
                next_id: 0,
                size,
                backlog,
            })),
        }
    }

    /// Hands `value` to the oldest waiting get (running its callbacks, inside this call), or
    /// keeps it for the next get.
    ///
    /// # Errors
    ///
    /// [`QueueOverflow`] if nobody waits and the queue already holds `size` values; `value`
    /// is dropped.
    pub fn put(&self, value: T) -> Result<(), Failure> {
        let mut st = self.state.borrow_mut();
        if let Some(getter) = st.waiting.pop_front() {
            drop(st);
            // A cancelled get has left the line, so this one has no result yet.
            let _ = getter.get.callback(value);
            return Ok(());
        }
        if st.size.is_some_and(|size| st.values.len() >= size) {
            return Err(Failure::new(QueueOverflow));
        }
        st.values.push_back(value);
        Ok(())
    }

    /// A Deferred that fires with the next value: the oldest held one at once, else the one
    /// a later [`put`](DeferredQueue::put) gives once the gets made before have theirs. It
    /// fails at once with [`QueueUnderflow`] if the queue is empty and `backlog` gets wait
    /// already (Twisted raises). Cancelling a waiting get leaves the line.
    #[track_caller]
    pub fn get(&self) -> Deferred<T> {
        let mut st = self.state.borrow_mut();
        if let Some(value) = st.values.pop_front() {
            drop(st);
            return Deferred::succeed(value);
        }
        if st
            .backlog
            .is_some_and(|backlog| st.waiting.len() >= backlog)
        {
            drop(st);
            return Deferred::fail(Failure::new(QueueUnderflow));
        }
        let id = st.next_id;
        st.next_id += 1;
        // Weak: the queue holds the waiting get, which holds this canceller.
        let queue = Rc::downgrade(&self.state);
        let get = Deferred::with_canceller(move |_| leave_line(&queue, id));
        st.waiting.push_back(Getter {
            id,
            get: get.clone(),
        });
        get
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.state.borrow().values.len()
    }

    /// Whether it holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many gets wait for a value.
    pub fn waiters(&self) -> usize {
        self.state.borrow().waiting.len()
    }

    /// The most values it holds (`None`: no bound).
    pub fn size(&self) -> Option<usize> {
        self.state.borrow().size
    }

    /// The most gets that may wait (`None`: no bound).
    pub fn backlog(&self) -> Option<usize> {
        self.state.borrow().backlog
    }
}

/// A cancelled get's canceller: out of the line (Twisted's `_cancelGet`).
fn leave_line<T>(queue: &Weak<RefCell<State<T>>>, id: u64) {
    if let Some(state) = queue.upgrade() {
        state.borrow_mut().waiting.retain(|g| g.id != id);
    }
}

impl<T: 'static> Default for DeferredQueue<T> {
    fn default() -> Self {
        DeferredQueue::new()
    }
}

impl<T> Clone for DeferredQueue<T> {
    fn clone(&self) -> Self {
        DeferredQueue {
            state: self.state.clone(),
        }
    }
}

impl<T> fmt::Debug for DeferredQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("DeferredQueue")
            .field("len", &st.values.len())
            .field("waiters", &st.waiting.len())
            .field("size", &st.size)
            .field("backlog", &st.backlog)
            .finish()
    }
}
