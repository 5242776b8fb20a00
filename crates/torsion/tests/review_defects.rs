//! The defects a review of the core found, each over real sockets: a panic in a
//! protocol's `Drop`, the hard write-buffer limit under a high watermark, and a raw
//! descriptor that swaps its own interest from inside its callback.

mod util;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::{Rc, Weak};

use torsion::error::{ConnectionDone, WriteBufferOverflow};
use torsion::{Cx, Descriptor, Failure, FileDescriptor, Protocol, Reactor};

/// Closes at once, and panics when dropped.
struct PanicsOnDrop {
    reactor: Reactor,
}

impl Protocol for PanicsOnDrop {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.reactor.stop();
    }
}

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("a protocol's Drop panicked");
    }
}

#[test]
fn a_panic_in_a_protocols_drop_stays_inside_the_reactor() {
    let reactor = util::reactor();
    let r = reactor.clone();
    let port = util::listen(&reactor, move |_peer| {
        Some(PanicsOnDrop { reactor: r.clone() })
    });
    let client = util::client(port.get_host(), |mut s| util::read_all(&mut s).0);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reactor.run()));
    assert!(
        matches!(outcome, Ok(Ok(()))),
        "run returned normally, not by unwinding"
    );
    assert!(client.join().is_empty());
    // The reactor is usable again: `running` was cleared.
    let r = reactor.clone();
    reactor.call_when_running(move || r.stop());
    reactor.run().expect("a second run is not refused");
}

/// Raises its high watermark above its hard limit, then writes past the limit to a peer
/// that does not read.
struct Flood {
    lost: Rc<RefCell<Option<Failure>>>,
    reactor: Reactor,
}

impl Protocol for Flood {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let t = cx.transport();
        t.set_write_watermarks(64 * 1024 * 1024, 32 * 1024 * 1024);
        t.set_write_buffer_limit(1024 * 1024);
        t.write(vec![b'x'; 8 * 1024 * 1024]);
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        *self.lost.borrow_mut() = Some(reason.clone());
        self.reactor.stop();
    }
}

#[test]
fn the_hard_limit_holds_under_a_higher_watermark() {
    let reactor = util::reactor();
    let lost: Rc<RefCell<Option<Failure>>> = Rc::default();
    let (l, r) = (lost.clone(), reactor.clone());
    let port = util::listen(&reactor, move |_peer| {
        Some(Flood {
            lost: l.clone(),
            reactor: r.clone(),
        })
    });
    // Connects and reads nothing until the server gave up on it.
    let peer = util::connect_std_small_rcvbuf(port.get_host());
    util::run(&reactor);
    drop(peer);
    let reason = lost.borrow().clone().expect("the connection was closed");
    let overflow = reason
        .downcast_ref::<WriteBufferOverflow>()
        .unwrap_or_else(|| panic!("closed for overflow, not {reason}"));
    assert_eq!(overflow.limit, 1024 * 1024);
}

/// Reads `ping`, then swaps its own interest from reading to writing inside `do_read`;
/// writes `pong` from `do_write`.
struct Swapper {
    sock: UnixStream,
    reactor: Reactor,
    me: Weak<RefCell<Swapper>>,
    log: Rc<RefCell<Vec<String>>>,
}

impl FileDescriptor for Swapper {
    fn fileno(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    fn do_read(&mut self) -> Result<(), Failure> {
        let mut buf = [0; 16];
        let n = (&self.sock)
            .read(&mut buf)
            .map_err(|_| Failure::new(ConnectionDone))?;
        self.log
            .borrow_mut()
            .push(format!("read {}", String::from_utf8_lossy(&buf[..n])));
        let me: Descriptor = self.me.upgrade().expect("registered");
        self.reactor.remove_reader(&me);
        self.reactor
            .add_writer(me)
            .map_err(|e| Failure::new(torsion::error::ConnectionLost { os_error: Some(e) }))?;
        Ok(())
    }

    fn do_write(&mut self) -> Result<(), Failure> {
        (&self.sock).write_all(b"pong").unwrap();
        self.log.borrow_mut().push("wrote pong".into());
        let me: Descriptor = self.me.upgrade().expect("registered");
        self.reactor.remove_writer(&me);
        self.reactor.stop();
        Ok(())
    }

    fn connection_lost(&mut self, reason: &Failure) {
        self.log.borrow_mut().push(format!("lost {reason}"));
    }
}

#[test]
fn a_descriptor_swaps_reading_for_writing_inside_do_read() {
    let reactor = util::reactor();
    let (ours, mut theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    theirs.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let swapper = Rc::new_cyclic(|me| {
        RefCell::new(Swapper {
            sock: ours,
            reactor: reactor.clone(),
            me: me.clone(),
            log: log.clone(),
        })
    });
    reactor.add_reader(swapper.clone()).unwrap();
    theirs.write_all(b"ping").unwrap();
    util::run(&reactor);
    let mut got = [0; 4];
    theirs.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"pong");
    assert_eq!(*log.borrow(), ["read ping", "wrote pong"]);
    assert!(reactor.get_readers().is_empty() && reactor.get_writers().is_empty());
}
