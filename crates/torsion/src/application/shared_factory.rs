//! [`SharedFactory`]: one factory lent to every listen of a restartable service.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::{Address, Factory};

/// A factory shared between the listens of a service started more than once: each listen
/// gets a clone, and every call goes to the one factory inside.
pub(super) struct SharedFactory<F>(Rc<RefCell<F>>);

impl<F> SharedFactory<F> {
    pub(super) fn new(factory: F) -> Self {
        SharedFactory(Rc::new(RefCell::new(factory)))
    }
}

impl<F> Clone for SharedFactory<F> {
    fn clone(&self) -> Self {
        SharedFactory(self.0.clone())
    }
}

impl<F: Factory> Factory for SharedFactory<F> {
    type Protocol = F::Protocol;

    fn build_protocol(&mut self, addr: Address) -> Option<F::Protocol> {
        self.0.borrow_mut().build_protocol(addr)
    }

    fn do_start(&mut self) {
        self.0.borrow_mut().do_start();
    }

    fn do_stop(&mut self) {
        self.0.borrow_mut().do_stop();
    }
}

impl<F> fmt::Debug for SharedFactory<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedFactory")
    }
}
