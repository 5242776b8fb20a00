//! The stream engine over descriptors that are not TCP sockets: a pair of pipes, a
//! regular file (which epoll refuses), a terminal in canonical mode, a UNIX socket used
//! both ways. Same protocol contract, same buffering, real descriptors.

mod util;

use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::Duration;

use torsion::error::ConnectionDone;
use torsion::{Address, Cx, Failure, Protocol, Reactor};

type Shared<T> = Rc<RefCell<T>>;

/// Records what it is told and echoes what it reads; stops the reactor when lost.
struct Probe {
    got: Rc<RefCell<Vec<u8>>>,
    events: Rc<RefCell<Vec<String>>>,
    echo: bool,
    reactor: Reactor,
}

impl Probe {
    fn new(reactor: &Reactor, echo: bool) -> (Probe, Shared<Vec<u8>>, Shared<Vec<String>>) {
        let got: Rc<RefCell<Vec<u8>>> = Rc::default();
        let events: Rc<RefCell<Vec<String>>> = Rc::default();
        let probe = Probe {
            got: got.clone(),
            events: events.clone(),
            echo,
            reactor: reactor.clone(),
        };
        (probe, got, events)
    }
}

impl Protocol for Probe {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        let t = cx.transport();
        self.events
            .borrow_mut()
            .push(format!("made {} {}", t.get_host(), t.get_peer()));
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.got.borrow_mut().extend_from_slice(data);
        if self.echo {
            cx.transport().write(data);
        }
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.events.borrow_mut().push("read_connection_lost".into());
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.events
            .borrow_mut()
            .push(format!("lost {}", reason.type_name()));
        self.reactor.stop();
    }
}

fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}

#[test]
fn a_pair_of_pipes_is_one_connection_read_on_one_and_written_on_the_other() {
    let reactor = util::reactor();
    let (in_read, mut in_write) = pipe();
    let (mut out_read, out_write) = pipe();
    let (probe, got, events) = Probe::new(&reactor, true);
    let transport = reactor
        .adopt_stream(
            OwnedFd::from(in_read),
            Some(OwnedFd::from(out_write)),
            probe,
        )
        .unwrap();
    assert_eq!(transport.get_peer(), Address::Pipe);
    let err = transport.set_tcp_nodelay(true).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
    let writer = util::thread(move || {
        in_write.write_all(b"over the pipes").unwrap();
        drop(in_write);
        let mut echoed = Vec::new();
        out_read.read_to_end(&mut echoed).unwrap();
        echoed
    });
    util::run(&reactor);
    assert_eq!(writer.join(), b"over the pipes", "echoed, then EOF");
    assert_eq!(&*got.borrow(), b"over the pipes");
    assert_eq!(
        *events.borrow(),
        [
            "made pipe pipe",
            "read_connection_lost",
            "lost ConnectionDone"
        ]
    );
}

#[test]
fn a_regular_file_as_input_is_read_to_its_end() {
    let reactor = util::reactor();
    let dir = std::env::temp_dir().join(format!("torsion-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("input.txt");
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let file = File::open(&path).unwrap();
    let (_out_read, out_write) = pipe();
    let (probe, got, events) = Probe::new(&reactor, false);
    reactor
        .adopt_stream(OwnedFd::from(file), Some(OwnedFd::from(out_write)), probe)
        .unwrap();
    util::run(&reactor);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(got.borrow().len(), content.len());
    assert!(*got.borrow() == content, "every byte, in order");
    assert_eq!(events.borrow().last().unwrap(), "lost ConnectionDone");
}

/// A pseudo-terminal: the controlling side and the terminal side, in canonical mode.
fn pty() -> (File, File) {
    // SAFETY: plain libc calls on descriptors we create; `ptsname_r` writes at most
    // `name.len()` bytes into `name`.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(
            master >= 0,
            "posix_openpt: {}",
            std::io::Error::last_os_error()
        );
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(slave >= 0, "open pts: {}", std::io::Error::last_os_error());
        (File::from_raw_fd(master), File::from_raw_fd(slave))
    }
}

/// Stops the reactor once three lines arrived.
struct ThreeLines {
    got: Rc<RefCell<Vec<u8>>>,
    reactor: Reactor,
}

impl Protocol for ThreeLines {
    fn data_received(&mut self, _cx: &mut Cx<Self>, data: &[u8]) {
        self.got.borrow_mut().extend_from_slice(data);
        if self.got.borrow().iter().filter(|&&b| b == b'\n').count() == 3 {
            self.reactor.stop();
        }
    }
}

#[test]
fn a_terminal_giving_one_line_per_read_does_not_stall() {
    let reactor = util::reactor();
    let (mut master, slave) = pty();
    // Canonical mode hands out one line per read: three lines wait in the terminal,
    // with no further input to raise another edge.
    master.write_all(b"one\ntwo\nthree\n").unwrap();
    let got: Rc<RefCell<Vec<u8>>> = Rc::default();
    let protocol = ThreeLines {
        got: got.clone(),
        reactor: reactor.clone(),
    };
    reactor
        .adopt_stream(OwnedFd::from(slave), None, protocol)
        .unwrap();
    util::run_for(&reactor, Duration::from_secs(5));
    assert_eq!(String::from_utf8_lossy(&got.borrow()), "one\ntwo\nthree\n");
}

#[test]
fn a_socket_used_both_ways_half_closes_with_shutdown() {
    let reactor = util::reactor();
    let (ours, mut theirs) = UnixStream::pair().unwrap();

    struct HalfCloser;
    impl Protocol for HalfCloser {
        fn connection_made(&mut self, cx: &mut Cx<Self>) {
            cx.transport().write(b"all of it");
            cx.transport().lose_write_connection();
        }
        fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
            if data == b"done" {
                cx.transport().lose_connection();
            }
        }
        fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {}
        fn connection_lost(&mut self, cx: &mut Cx<Self>, reason: &Failure) {
            assert!(reason.check::<ConnectionDone>(), "{reason}");
            cx.transport().reactor().unwrap().stop();
        }
    }

    reactor
        .adopt_stream(OwnedFd::from(ours), None, HalfCloser)
        .unwrap();
    let peer = util::thread(move || {
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).unwrap();
        theirs.write_all(b"done").unwrap();
        got
    });
    util::run(&reactor);
    assert_eq!(
        peer.join(),
        b"all of it",
        "EOF after the data, and still readable"
    );
}
