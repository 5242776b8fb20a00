//! Unit tests of the policies, on the fake clock with a `StringTransport`.

mod limits;
mod logging;
mod stacking;
mod throttling;
mod timeouts;
mod wrapper;

use std::cell::RefCell;
use std::rc::Rc;

use crate::{Cx, Failure, Protocol};

/// Echoes what it receives; `bye` closes the connection.
struct Echo;

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        if data == b"bye" {
            cx.transport().lose_connection();
        } else {
            cx.transport().write(data);
        }
    }
}

/// Every callback a protocol got, in order.
type Events = Rc<RefCell<Vec<String>>>;

/// Records every callback into [`Events`].
struct Recorder(Events);

impl Protocol for Recorder {
    fn connection_made(&mut self, _cx: &mut Cx<Self>) {
        self.0.borrow_mut().push("made".into());
    }
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.0
            .borrow_mut()
            .push(format!("data {}", String::from_utf8_lossy(data)));
    }
    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.0.borrow_mut().push("read lost".into());
    }
    fn write_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.0.borrow_mut().push("write lost".into());
    }
    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.0.borrow_mut().push(format!("lost {reason}"));
    }
}

/// A shared buffer to log into, and its text.
fn log_buffer() -> (Rc<RefCell<Vec<u8>>>, impl Fn() -> String) {
    let buffer = Rc::new(RefCell::new(Vec::new()));
    let b = buffer.clone();
    (buffer, move || {
        String::from_utf8_lossy(&b.borrow()).into_owned()
    })
}
