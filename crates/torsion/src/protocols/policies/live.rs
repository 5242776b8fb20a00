//! [`LiveToken`]: one open connection, counted in its factory until it closes.

use std::cell::Cell;
use std::rc::Rc;

/// Counts one connection in a shared counter; dropping it (when the connection is lost,
/// or when a built protocol is never connected) takes the count back.
#[derive(Debug)]
pub(super) struct LiveToken(Rc<Cell<usize>>);

impl LiveToken {
    /// Counts one more connection in `count`.
    pub(super) fn new(count: &Rc<Cell<usize>>) -> LiveToken {
        count.set(count.get() + 1);
        LiveToken(count.clone())
    }
}

impl Drop for LiveToken {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}
