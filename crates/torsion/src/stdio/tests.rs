//! [`StandardIO`] over real descriptors: pipes, regular files and a pseudo-terminal.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::rc::Rc;

use super::mode_guard::ModeGuard;
use super::StandardIO;
use crate::{Cx, Failure, Producer, Protocol, Reactor, ReactorTime};

fn quiet_reactor() -> Reactor {
    let reactor = Reactor::new().unwrap();
    reactor.set_install_signal_handlers(false);
    reactor
}

fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe2` writes.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}

/// A pseudo-terminal: (master, slave).
fn pty() -> (File, File) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: the two out-pointers are valid; null name, termios and window size ask for
    // the defaults.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) }
}

fn nonblocking(fd: BorrowedFd<'_>) -> bool {
    // SAFETY: `fd` is open for the borrow; F_GETFL only reads its flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0, "F_GETFL: {}", std::io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

fn local_flags(fd: BorrowedFd<'_>) -> libc::tcflag_t {
    // SAFETY: `termios` is plain data; `tcgetattr` fills it for the open terminal `fd`.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(fd.as_raw_fd(), &mut t), 0);
        t.c_lflag
    }
}

fn set_local_flags(fd: BorrowedFd<'_>, lflag: libc::tcflag_t) {
    // SAFETY: as in `local_flags`; `tcsetattr` only changes the terminal's settings.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(fd.as_raw_fd(), &mut t), 0);
        t.c_lflag = lflag;
        assert_eq!(libc::tcsetattr(fd.as_raw_fd(), libc::TCSANOW, &t), 0);
    }
}

/// A file under the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn with(contents: &[u8]) -> TempFile {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("torsion-stdio-{}-{n}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What the test protocols saw.
#[derive(Default)]
struct Seen {
    data: RefCell<Vec<u8>>,
    events: RefCell<Vec<String>>,
    nonblocking_while_open: Cell<Option<bool>>,
}

/// Echoes standard input; `half_close` also answers the end of input itself.
struct Echo {
    reactor: Reactor,
    seen: Rc<Seen>,
    half_close: bool,
}

impl Protocol for Echo {
    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.seen.data.borrow_mut().extend_from_slice(data);
        cx.transport().write(data);
    }

    fn read_connection_lost(&mut self, cx: &mut Cx<Self>) {
        self.seen.events.borrow_mut().push("eof".into());
        if self.half_close {
            let n = self.seen.data.borrow().len();
            cx.transport().write(format!("read {n} bytes\n"));
        }
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.seen
            .events
            .borrow_mut()
            .push(format!("lost {}", reason.type_name()));
        self.reactor.stop();
    }
}

fn echo(reactor: &Reactor, half_close: bool) -> (Echo, Rc<Seen>) {
    let seen = Rc::new(Seen::default());
    let protocol = Echo {
        reactor: reactor.clone(),
        seen: seen.clone(),
        half_close,
    };
    (protocol, seen)
}

fn read_to_end(mut file: File) -> Vec<u8> {
    let mut out = Vec::new();
    file.read_to_end(&mut out).unwrap();
    out
}

#[test]
fn pipes_carry_data_both_ways_and_end_of_input_closes_after_the_flush() {
    let reactor = quiet_reactor();
    let (in_read, mut in_write) = pipe();
    let (out_read, out_write) = pipe();
    in_write.write_all(b"hello\nworld\n").unwrap();
    drop(in_write);
    let (protocol, seen) = echo(&reactor, false);
    StandardIO::with_descriptors(&reactor, protocol, in_read.as_fd(), out_write.as_fd()).unwrap();
    // The transport works on duplicates: ours can go, and the reader of the output pipe
    // sees its end once the transport closed its duplicate.
    drop((in_read, out_write));
    reactor.run().unwrap();
    assert_eq!(read_to_end(out_read), b"hello\nworld\n");
    assert_eq!(*seen.events.borrow(), ["eof", "lost ConnectionDone"]);
}

/// Writes `size` bytes at once, then asks to close.
struct WriteAndClose {
    reactor: Reactor,
    size: usize,
}

impl Protocol for WriteAndClose {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(vec![b'w'; self.size]);
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, _reason: &Failure) {
        self.reactor.stop();
    }
}

#[test]
fn lose_connection_flushes_standard_output_first() {
    let reactor = quiet_reactor();
    let (in_read, _in_write) = pipe();
    let (out_read, out_write) = pipe();
    // Far more than a pipe holds: most of it waits in the write buffer at the close.
    let size = 4 << 20;
    let reader = std::thread::spawn(move || read_to_end(out_read).len());
    let protocol = WriteAndClose {
        reactor: reactor.clone(),
        size,
    };
    StandardIO::with_descriptors(&reactor, protocol, in_read.as_fd(), out_write.as_fd()).unwrap();
    drop(out_write);
    reactor.run().unwrap();
    assert_eq!(
        reader.join().unwrap(),
        size,
        "every byte reached the reader"
    );
}

#[test]
fn a_half_closing_protocol_writes_after_the_end_of_input() {
    let reactor = quiet_reactor();
    let (in_read, mut in_write) = pipe();
    let (out_read, out_write) = pipe();
    in_write.write_all(b"abc").unwrap();
    drop(in_write);
    let (protocol, seen) = echo(&reactor, true);
    StandardIO::with_descriptors(&reactor, protocol, in_read.as_fd(), out_write.as_fd()).unwrap();
    drop(out_write);
    reactor.run().unwrap();
    assert_eq!(read_to_end(out_read), b"abcread 3 bytes\n");
    assert!(seen.events.borrow()[1].ends_with("ConnectionDone"));
}

#[test]
fn the_callers_descriptors_stay_open_and_blocking_after_the_close() {
    let reactor = quiet_reactor();
    let (in_read, mut in_write) = pipe();
    let (mut out_read, mut out_write) = pipe();
    in_write.write_all(b"x").unwrap();
    drop(in_write);
    let (protocol, _seen) = echo(&reactor, false);
    StandardIO::with_descriptors(&reactor, protocol, in_read.as_fd(), out_write.as_fd()).unwrap();
    assert!(nonblocking(in_read.as_fd()) && nonblocking(out_write.as_fd()));
    reactor.run().unwrap();
    assert!(!nonblocking(in_read.as_fd()), "stdin left non-blocking");
    assert!(!nonblocking(out_write.as_fd()), "stdout left non-blocking");
    out_write.write_all(b"y").unwrap();
    drop(out_write);
    let mut got = Vec::new();
    out_read.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"xy", "our own descriptor still writes to the pipe");
}

#[test]
fn regular_files_as_standard_input_and_output() {
    let reactor = quiet_reactor();
    let contents: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let input = TempFile::with(&contents);
    let output = TempFile::with(b"");
    let stdin = File::open(&input.0).unwrap();
    let stdout = File::options().write(true).open(&output.0).unwrap();
    let (protocol, seen) = echo(&reactor, false);
    StandardIO::with_descriptors(&reactor, protocol, stdin.as_fd(), stdout.as_fd()).unwrap();
    reactor.run().unwrap();
    assert_eq!(seen.data.borrow().len(), contents.len());
    assert!(std::fs::read(&output.0).unwrap() == contents);
    assert_eq!(*seen.events.borrow(), ["eof", "lost ConnectionDone"]);
}

/// Sees when the transport pauses its producer, and stops the reactor then.
struct PauseProbe {
    reactor: Reactor,
    paused: Rc<Cell<bool>>,
}

impl Producer for PauseProbe {
    fn pause_producing(&mut self) {
        self.paused.set(true);
        self.reactor.stop();
    }

    fn resume_producing(&mut self) {}
}

#[test]
fn output_nobody_reads_pauses_the_producer_and_reading_with_memory_bounded() {
    let reactor = quiet_reactor();
    let contents = vec![b'z'; 8 << 20];
    let input = TempFile::with(&contents);
    let stdin = File::open(&input.0).unwrap();
    let (_out_read, out_write) = pipe();
    let (protocol, seen) = echo(&reactor, false);
    let transport =
        StandardIO::with_descriptors(&reactor, protocol, stdin.as_fd(), out_write.as_fd()).unwrap();
    let paused = Rc::new(Cell::new(false));
    let probe = PauseProbe {
        reactor: reactor.clone(),
        paused: paused.clone(),
    };
    transport
        .register_producer(Rc::new(RefCell::new(probe)), true)
        .unwrap();
    let r = reactor.clone();
    let guard = reactor.call_later(std::time::Duration::from_secs(30), move || r.stop());
    reactor.run().unwrap();
    assert!(guard.active(), "stopped by the pause, not by the guard");
    assert!(paused.get(), "the producer was paused");
    let read = seen.data.borrow().len();
    assert!(read < contents.len(), "reading stopped: {read} bytes read");
    // At most one event's reads (16 buffers) beyond the high watermark.
    assert!(
        transport.buffered() <= (64 << 10) + 16 * (64 << 10),
        "buffered {}",
        transport.buffered()
    );
}

/// Reads one line from the terminal, answers, and closes; it also changes the
/// terminal's settings, as a program switching echo off would.
struct Terminal {
    reactor: Reactor,
    seen: Rc<Seen>,
    slave: OwnedFd,
}

impl Protocol for Terminal {
    fn connection_made(&mut self, _cx: &mut Cx<Self>) {
        let fd = self.slave.as_fd();
        self.seen.nonblocking_while_open.set(Some(nonblocking(fd)));
        set_local_flags(fd, local_flags(fd) & !libc::ECHO);
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.seen.data.borrow_mut().extend_from_slice(data);
        cx.transport().write(b"got: ");
        cx.transport().write(data);
        cx.transport().lose_connection();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.seen
            .events
            .borrow_mut()
            .push(format!("lost {}", reason.type_name()));
        self.reactor.stop();
    }
}

fn read_available(master: &mut File) -> Vec<u8> {
    // SAFETY: F_SETFL on our own open master only changes its status flags.
    unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = master.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[test]
fn a_terminal_carries_lines_and_gets_its_mode_and_settings_back() {
    let reactor = quiet_reactor();
    let (mut master, slave) = pty();
    let echo_before = local_flags(slave.as_fd()) & libc::ECHO;
    assert_ne!(echo_before, 0, "a new terminal echoes");
    assert!(!nonblocking(slave.as_fd()));
    master.write_all(b"hello\n").unwrap();
    let seen = Rc::new(Seen::default());
    let protocol = Terminal {
        reactor: reactor.clone(),
        seen: seen.clone(),
        slave: slave.try_clone().unwrap().into(),
    };
    StandardIO::with_descriptors(&reactor, protocol, slave.as_fd(), slave.as_fd()).unwrap();
    reactor.run().unwrap();
    assert_eq!(seen.nonblocking_while_open.get(), Some(true));
    assert_eq!(*seen.data.borrow(), b"hello\n");
    assert!(
        !nonblocking(slave.as_fd()),
        "the terminal was left non-blocking"
    );
    assert_eq!(
        local_flags(slave.as_fd()) & libc::ECHO,
        echo_before,
        "the terminal's settings were not restored"
    );
    let shown = String::from_utf8_lossy(&read_available(&mut master)).into_owned();
    assert!(
        shown.contains("got: hello\r\n"),
        "the terminal showed {shown:?}"
    );
}

#[test]
fn the_reactors_shutdown_gives_the_terminal_its_blocking_mode_back() {
    let reactor = quiet_reactor();
    let (_master, slave) = pty();
    let (protocol, seen) = echo(&reactor, false);
    StandardIO::with_descriptors(&reactor, protocol, slave.as_fd(), slave.as_fd()).unwrap();
    let during = Rc::new(Cell::new(false));
    let (d, r, fd) = (during.clone(), reactor.clone(), slave.try_clone().unwrap());
    reactor.call_when_running(move || {
        d.set(nonblocking(fd.as_fd()));
        r.stop();
    });
    reactor.run().unwrap();
    assert!(during.get(), "non-blocking while the reactor ran");
    assert!(
        !nonblocking(slave.as_fd()),
        "left non-blocking after shutdown"
    );
    let events = seen.events.borrow();
    assert_eq!(events.len(), 1);
    assert!(events[0].contains("ConnectionLost"), "{events:?}");
}

#[test]
fn the_guard_restores_on_drop_whatever_closed_the_descriptors() {
    let (_master, slave) = pty();
    let guard = ModeGuard::capture(&[slave.as_fd()]).unwrap();
    // SAFETY: F_SETFL on our open slave only changes its status flags.
    unsafe { libc::fcntl(slave.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let lflag = local_flags(slave.as_fd());
    set_local_flags(slave.as_fd(), lflag & !(libc::ECHO | libc::ICANON));
    assert!(nonblocking(slave.as_fd()));
    drop(guard);
    assert!(!nonblocking(slave.as_fd()));
    assert_eq!(local_flags(slave.as_fd()), lflag);
}
