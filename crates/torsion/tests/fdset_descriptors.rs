//! Raw descriptors on the reactor (`add_reader`, `add_writer` and friends) with UNIX
//! socket pairs.

mod util;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::{Rc, Weak};
use std::time::Duration;

use torsion::error::{CallbackPanicked, ConnectionDone, ConnectionLost};
use torsion::{Descriptor, Failure, FileDescriptor, Reactor};
use util::Record;

/// A socket pair: the reactor's end (non-blocking) and the test's end.
fn pair() -> (UnixStream, UnixStream) {
    let (ours, theirs) = UnixStream::pair().expect("socketpair");
    ours.set_nonblocking(true).unwrap();
    theirs.set_read_timeout(Some(util::IO_TIMEOUT)).unwrap();
    (ours, theirs)
}

/// Reads one byte per `do_read`; EOF ends it with `ConnectionDone`.
struct ByteReader {
    sock: UnixStream,
    got: Vec<u8>,
    calls: usize,
    record: Rc<Record>,
    panic_on: Option<u8>,
}

impl ByteReader {
    fn new(sock: UnixStream, record: &Rc<Record>) -> Rc<RefCell<ByteReader>> {
        Rc::new(RefCell::new(ByteReader {
            sock,
            got: Vec::new(),
            calls: 0,
            record: record.clone(),
            panic_on: None,
        }))
    }
}

impl FileDescriptor for ByteReader {
    fn fileno(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    fn do_read(&mut self) -> Result<(), Failure> {
        self.calls += 1;
        let mut byte = [0u8; 1];
        match (&self.sock).read(&mut byte) {
            Ok(0) => Err(Failure::new(ConnectionDone)),
            Ok(_) => {
                if Some(byte[0]) == self.panic_on {
                    panic!("do_read got the poison byte");
                }
                self.got.push(byte[0]);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(Failure::from(e)),
        }
    }

    fn connection_lost(&mut self, reason: &Failure) {
        self.record.lost(reason);
    }
}

#[test]
fn do_read_is_called_again_while_data_is_left_and_eof_ends_it() {
    let reactor = util::reactor();
    let record = Record::new();
    let (ours, mut theirs) = pair();
    let reader = ByteReader::new(ours, &record);
    reactor.add_reader(reader.clone()).unwrap();
    assert_eq!(reactor.get_readers().len(), 1);
    theirs.write_all(b"hello, level triggered").unwrap();
    drop(theirs);
    let rec = record.clone();
    util::run_until(&reactor, move || !rec.events().is_empty());
    assert_eq!(reader.borrow().got, b"hello, level triggered");
    assert_eq!(record.events(), ["connection_lost:ConnectionDone"]);
    assert!(
        reactor.get_readers().is_empty(),
        "a failed descriptor is removed"
    );
}

#[test]
fn remove_reader_stops_do_read_and_add_reader_resumes_it() {
    const TOTAL: usize = 64 * 1024;
    let reactor = util::reactor();
    let record = Record::new();
    let (ours, mut theirs) = pair();
    let reader = ByteReader::new(ours, &record);
    let descriptor: Descriptor = reader.clone();
    reactor.add_reader(descriptor.clone()).unwrap();
    theirs.write_all(&util::pattern(TOTAL)).unwrap();
    let (r, d, rd) = (reactor.clone(), descriptor.clone(), reader.clone());
    util::run_until(&reactor, move || {
        let started = !rd.borrow().got.is_empty();
        if started {
            r.remove_reader(&d);
        }
        started
    });
    let at_removal = reader.borrow().got.len();
    assert!(at_removal < TOTAL, "removed while data was left");
    assert!(reactor.get_readers().is_empty());
    util::run_span(&reactor, Duration::from_millis(30));
    assert_eq!(
        reader.borrow().got.len(),
        at_removal,
        "no do_read after remove_reader"
    );

    reactor.add_reader(descriptor).unwrap();
    let rd = reader.clone();
    util::run_until(&reactor, move || rd.borrow().got.len() == TOTAL);
    assert!(reader.borrow().got == util::pattern(TOTAL));
    assert!(record.events().is_empty(), "{:?}", record.events());
}

/// Reads one byte, then removes itself from the reactor from inside `do_read`.
struct SelfRemover {
    sock: UnixStream,
    reactor: Reactor,
    me: Weak<RefCell<SelfRemover>>,
    got: Vec<u8>,
    record: Rc<Record>,
}

impl FileDescriptor for SelfRemover {
    fn fileno(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    fn do_read(&mut self) -> Result<(), Failure> {
        let mut byte = [0u8; 1];
        if (&self.sock).read(&mut byte)? == 1 {
            self.got.push(byte[0]);
        }
        let me: Descriptor = self.me.upgrade().expect("registered");
        self.reactor.remove_reader(&me);
        self.record.push("removed itself");
        Ok(())
    }

    fn connection_lost(&mut self, reason: &Failure) {
        self.record.push(format!("connection_lost:{reason}"));
    }
}

#[test]
fn a_descriptor_can_remove_itself_from_do_read() {
    let reactor = util::reactor();
    let record = Record::new();
    let (ours, mut theirs) = pair();
    let (r, rec) = (reactor.clone(), record.clone());
    let remover = Rc::new_cyclic(|me| {
        RefCell::new(SelfRemover {
            sock: ours,
            reactor: r,
            me: me.clone(),
            got: Vec::new(),
            record: rec,
        })
    });
    reactor.add_reader(remover.clone()).unwrap();
    theirs.write_all(b"xyz").unwrap();
    let rec = record.clone();
    util::run_until(&reactor, move || !rec.events().is_empty());
    util::run_span(&reactor, Duration::from_millis(30));
    assert_eq!(
        record.events(),
        ["removed itself"],
        "remove_reader(self) inside do_read works"
    );
    assert_eq!(remover.borrow().got, b"x");
    assert!(reactor.get_readers().is_empty());
}

/// Writes one byte per `do_write`.
struct ByteWriter {
    sock: UnixStream,
    writes: usize,
    fail_after: Option<usize>,
    record: Rc<Record>,
}

impl FileDescriptor for ByteWriter {
    fn fileno(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    fn do_write(&mut self) -> Result<(), Failure> {
        if self.fail_after == Some(self.writes) {
            return Err(Failure::new(ConnectionLost { os_error: None }));
        }
        self.writes += (&self.sock).write(b"w")?;
        Ok(())
    }

    fn connection_lost(&mut self, reason: &Failure) {
        self.record
            .push(format!("connection_lost:{}", reason.type_name()));
    }
}

#[test]
fn add_writer_calls_do_write_while_writable_until_remove_writer() {
    let reactor = util::reactor();
    let record = Record::new();
    let (ours, mut theirs) = pair();
    let writer = Rc::new(RefCell::new(ByteWriter {
        sock: ours,
        writes: 0,
        fail_after: None,
        record: record.clone(),
    }));
    let descriptor: Descriptor = writer.clone();
    reactor.add_writer(descriptor.clone()).unwrap();
    assert_eq!(reactor.get_writers().len(), 1);
    assert!(reactor.get_readers().is_empty());
    let (r, w) = (reactor.clone(), writer.clone());
    util::run_until(&reactor, move || {
        let enough = w.borrow().writes >= 3;
        if enough {
            r.remove_writer(&descriptor);
        }
        enough
    });
    let written = writer.borrow().writes;
    assert!(reactor.get_writers().is_empty());
    util::run_span(&reactor, Duration::from_millis(30));
    assert_eq!(
        writer.borrow().writes,
        written,
        "no do_write after remove_writer"
    );
    assert_eq!(util_read(&mut theirs, written), vec![b'w'; written]);
    assert!(record.events().is_empty());
}

fn util_read(s: &mut UnixStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn an_error_from_do_write_removes_the_descriptor() {
    let reactor = util::reactor();
    let record = Record::new();
    let (ours, _theirs) = pair();
    let writer = Rc::new(RefCell::new(ByteWriter {
        sock: ours,
        writes: 0,
        fail_after: Some(2),
        record: record.clone(),
    }));
    reactor.add_writer(writer.clone()).unwrap();
    let rec = record.clone();
    util::run_until(&reactor, move || !rec.events().is_empty());
    assert_eq!(record.events(), ["connection_lost:ConnectionLost"]);
    assert_eq!(writer.borrow().writes, 2);
    assert!(reactor.get_writers().is_empty());
}

#[test]
fn a_panicking_do_read_removes_the_descriptor_with_callback_panicked() {
    let reactor = util::reactor();
    let record = Record::new();
    let (ours, mut theirs) = pair();
    let reader = ByteReader::new(ours, &record);
    reader.borrow_mut().panic_on = Some(b'!');
    reactor.add_reader(reader.clone()).unwrap();
    theirs.write_all(b"ok!more").unwrap();
    let rec = record.clone();
    util::run_until(&reactor, move || !rec.events().is_empty());
    assert_eq!(reader.borrow().got, b"ok");
    assert_eq!(record.events(), ["connection_lost:CallbackPanicked"]);
    let reason = record.last_reason();
    assert_eq!(
        reason
            .downcast_ref::<CallbackPanicked>()
            .map(|p| p.callback),
        Some("do_read")
    );
    assert!(reactor.get_readers().is_empty());
}

#[test]
fn remove_all_returns_every_registered_descriptor_once() {
    let reactor = util::reactor();
    let record = Record::new();
    let (a, mut a_peer) = pair();
    let (b, _b_peer) = pair();
    let (c, _c_peer) = pair();
    let fds = [a.as_raw_fd(), b.as_raw_fd(), c.as_raw_fd()];
    let reader = ByteReader::new(a, &record);
    let writer = Rc::new(RefCell::new(ByteWriter {
        sock: b,
        writes: 0,
        fail_after: None,
        record: record.clone(),
    }));
    let both = ByteReader::new(c, &record);
    reactor.add_reader(reader.clone()).unwrap();
    reactor.add_writer(writer.clone()).unwrap();
    reactor.add_reader(both.clone()).unwrap();
    reactor.add_writer(both.clone()).unwrap();
    assert_eq!(reactor.get_readers().len(), 2);
    assert_eq!(reactor.get_writers().len(), 2);

    let removed = reactor.remove_all();
    let mut removed_fds: Vec<RawFd> = removed.iter().map(|d| d.borrow().fileno()).collect();
    removed_fds.sort_unstable();
    let mut expected = fds.to_vec();
    expected.sort_unstable();
    assert_eq!(removed_fds, expected);
    assert!(reactor.get_readers().is_empty());
    assert!(reactor.get_writers().is_empty());
    assert!(reactor.remove_all().is_empty());

    a_peer.write_all(b"unheard").unwrap();
    util::run_span(&reactor, Duration::from_millis(30));
    assert_eq!(reader.borrow().calls, 0, "a removed reader is not called");
    assert_eq!(writer.borrow().writes, 0, "a removed writer is not called");
}
