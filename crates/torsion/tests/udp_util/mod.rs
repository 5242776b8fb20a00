//! Helpers for the datagram tests: a protocol that records what it hears, and a std socket
//! on the other side.
#![allow(dead_code)]

use std::cell::RefCell;
use std::net::{SocketAddr, UdpSocket};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use torsion::{Address, DatagramCx, DatagramProtocol, DatagramTransport};

/// What a [`Recorder`] heard, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    Started,
    Datagram(Vec<u8>, Address),
    Refused,
    Stopped,
}

/// Shared log of a [`Recorder`].
pub type Log = Rc<RefCell<Vec<Heard>>>;

/// Records every callback; echoes each datagram back when `echo` is set; panics on a
/// datagram equal to `panic_on`.
pub struct Recorder {
    pub log: Log,
    pub echo: bool,
    pub panic_on: Option<Vec<u8>>,
}

impl Recorder {
    pub fn new() -> (Recorder, Log) {
        let log = Log::default();
        let recorder = Recorder {
            log: log.clone(),
            echo: false,
            panic_on: None,
        };
        (recorder, log)
    }

    pub fn echo() -> (Recorder, Log) {
        let (mut recorder, log) = Recorder::new();
        recorder.echo = true;
        (recorder, log)
    }
}

impl DatagramProtocol for Recorder {
    fn start_protocol(&mut self, _cx: &mut DatagramCx<Self>) {
        self.log.borrow_mut().push(Heard::Started);
    }

    fn stop_protocol(&mut self, _cx: &mut DatagramCx<Self>) {
        self.log.borrow_mut().push(Heard::Stopped);
    }

    fn datagram_received(&mut self, cx: &mut DatagramCx<Self>, data: &[u8], from: Address) {
        if self.panic_on.as_deref() == Some(data) {
            panic!("this datagram is poison");
        }
        self.log
            .borrow_mut()
            .push(Heard::Datagram(data.to_vec(), from.clone()));
        if self.echo {
            cx.transport().write(data, from).expect("echo");
        }
    }

    fn connection_refused(&mut self, _cx: &mut DatagramCx<Self>) {
        self.log.borrow_mut().push(Heard::Refused);
    }
}

/// The datagrams in `log`.
pub fn datagrams(log: &Log) -> Vec<Vec<u8>> {
    log.borrow()
        .iter()
        .filter_map(|h| match h {
            Heard::Datagram(data, _) => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// The socket address of a UDP port.
pub fn addr_of(port: &DatagramTransport) -> SocketAddr {
    port.get_host().socket_addr().expect("a UDP port")
}

/// A std UDP socket bound to a free port of `ip`, with a read timeout as a guard.
pub fn peer(ip: &str) -> UdpSocket {
    let socket = UdpSocket::bind((ip, 0)).expect("bind a peer");
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

/// Receives one datagram (up to 64 KiB) or fails the test after the read timeout.
pub fn recv(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0; 65536];
    let (n, from) = socket.recv_from(&mut buf).expect("a datagram back");
    buf.truncate(n);
    (buf, from)
}

/// A `tracing` writer collecting every log line, to check what was reported.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Runs `f` with every log line of this thread captured.
    pub fn during<T>(&self, f: impl FnOnce() -> T) -> T {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, f)
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
