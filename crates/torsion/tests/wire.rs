//! The standard services of `protocols::wire` over loopback: echo, discard, chargen,
//! quote of the day, daytime and time, each served by the reactor to a std client.

mod util;

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::net::Shutdown;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use torsion::protocols::wire::{Chargen, Daytime, Discard, Echo, Qotd, Time};
use torsion::{
    Cx, Factory, Failure, Hosted, ListeningPort, LoopingCall, Protocol, Reactor, Transport,
};

/// Serves `factory` on a free port; runs the reactor until `client` (given the port's
/// address) has finished and every connection is closed; returns what the client
/// returned.
fn serve<F: Factory, T: Send + 'static>(
    factory: F,
    client: impl FnOnce(std::net::TcpStream) -> T + Send + 'static,
) -> T {
    let reactor = util::reactor();
    let port: ListeningPort = util::listen(&reactor, factory);
    let client = util::client(port.get_host(), client);
    run_until_done(&reactor, &client);
    client.join()
}

fn run_until_done<T>(reactor: &Reactor, client: &util::Client<T>) {
    let (done, r) = (client.done_flag(), reactor.clone());
    util::run_until(reactor, move || {
        done.load(Ordering::SeqCst) && r.connection_count() == 0
    });
}

#[test]
fn echo_sends_back_every_byte() {
    let data = util::pattern(256 * 1024);
    let expected = data.clone();
    let back = serve(
        |_| Some(Echo),
        move |mut stream| {
            let mut writer = stream.try_clone().unwrap();
            let sending = std::thread::spawn(move || {
                writer.write_all(&data).unwrap();
                writer.shutdown(Shutdown::Write).unwrap();
            });
            let back = util::read_to_eof(&mut stream);
            sending.join().unwrap();
            back
        },
    );
    assert!(back == expected, "the echo differs");
}

#[test]
fn discard_reads_everything_and_sends_nothing() {
    let back = serve(
        |_| Some(Discard),
        |mut stream| {
            stream.write_all(&util::pattern(1 << 20)).unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
            util::read_to_eof(&mut stream)
        },
    );
    assert!(back.is_empty());
}

#[test]
fn qotd_sends_its_quote_line_then_closes() {
    let back = serve(
        |_| Some(Qotd::default()),
        |mut stream| util::read_to_eof(&mut stream),
    );
    assert_eq!(back, b"A quiet loop serves many voices.\r\n");
    let back = serve(
        |_| Some(Qotd::new("Small steps still move you.")),
        |mut stream| util::read_to_eof(&mut stream),
    );
    assert_eq!(back, b"Small steps still move you.\r\n");
}

#[test]
fn daytime_sends_the_time_in_utc_then_closes() {
    let back = serve(
        |_| Some(Daytime),
        |mut stream| util::read_to_eof(&mut stream),
    );
    let text = String::from_utf8(back).unwrap();
    let line = text.strip_suffix("\r\n").expect("a CRLF-terminated line");
    let sent = chrono::NaiveDateTime::parse_from_str(line, "%a %b %e %H:%M:%S %Y")
        .unwrap_or_else(|err| panic!("{line:?} is not in asctime form: {err}"));
    let now = chrono::Utc::now().naive_utc();
    assert!(
        (now - sent).num_seconds().abs() < 120,
        "{line} is not now ({now})"
    );
}

#[test]
fn time_sends_the_seconds_since_1900_then_closes() {
    let back = serve(|_| Some(Time), |mut stream| util::read_to_eof(&mut stream));
    let sent = u32::from_be_bytes(back.try_into().expect("exactly four bytes"));
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let now = (unix + 2_208_988_800).rem_euclid(1 << 32);
    assert!(
        (now - i64::from(sent)).abs() < 120,
        "{sent} is not now ({now})"
    );
}

/// Hosts a [`Chargen`] on its own transport, keeping that transport for the test to look
/// at.
struct Watched {
    inner: Hosted<Chargen>,
    transport: Rc<RefCell<Option<Transport>>>,
}

impl Protocol for Watched {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        *self.transport.borrow_mut() = Some(cx.transport().clone());
        let transport = cx.transport().clone();
        self.inner
            .connection_made(cx, transport, |host: &mut Self| &mut host.inner);
    }

    fn read_connection_lost(&mut self, _cx: &mut Cx<Self>) {
        self.inner.read_connection_lost();
    }

    fn connection_lost(&mut self, _cx: &mut Cx<Self>, reason: &Failure) {
        self.inner.connection_lost(reason);
    }
}

#[test]
fn chargen_sends_rotating_lines_no_faster_than_they_are_read() {
    const LINES: usize = 30_000;
    let reactor = util::reactor();
    let transport = Rc::new(RefCell::new(None));
    let t = transport.clone();
    let port = util::listen(&reactor, move |_| {
        Some(Watched {
            inner: Hosted::new(Chargen::default()),
            transport: t.clone(),
        })
    });
    // The client reads nothing until the kernel's buffers are full and the server holds
    // bytes it cannot send (seen 200 samples in a row), then reads and checks the lines.
    let (go, wait) = mpsc::channel::<()>();
    let client = util::thread({
        let addr = port.get_host();
        move || {
            let mut stream = util::connect_std_small_rcvbuf(addr);
            wait.recv().unwrap();
            let data = util::read_exact(&mut stream, LINES * Chargen::LINE_LEN);
            for (i, line) in data.chunks(Chargen::LINE_LEN).enumerate() {
                assert_eq!(&line[..72], &Chargen::line(i)[..], "line {i}");
                assert_eq!(&line[72..], b"\r\n", "line {i}");
            }
        }
    });
    let most_buffered = Rc::new(Cell::new(0));
    let (t, m) = (transport.clone(), most_buffered.clone());
    let mut held_for = 0;
    let mut go = Some(go);
    let sample = LoopingCall::new(&reactor, move || {
        let Some(buffered) = t.borrow().as_ref().map(Transport::buffered) else {
            return;
        };
        m.set(m.get().max(buffered));
        held_for = if buffered > 0 { held_for + 1 } else { 0 };
        if held_for >= 200 {
            if let Some(go) = go.take() {
                go.send(()).unwrap();
            }
        }
    });
    sample.start(Duration::from_millis(1), true);
    run_until_done(&reactor, &client);
    sample.stop();
    client.join();
    assert!(most_buffered.get() > 0, "the server never held bytes back");
    assert!(
        most_buffered.get() <= Chargen::CHUNK_LINES * Chargen::LINE_LEN,
        "chargen buffered {} bytes: it wrote without being asked",
        most_buffered.get()
    );
}
