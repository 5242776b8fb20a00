//! The one client both servers get: blocking rustls over std sockets.
//!
//! - [`handshake_load`]: threads that each connect, do a full TLS 1.3 handshake, write one
//!   byte, read its echo, send `close_notify` and wait for the server's, over and over.
//! - [`bulk`]: one connection streaming bytes through the echo, a writer thread encrypting
//!   and sending while the calling thread receives, decrypts and checks every byte.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use super::pki::SERVER_NAME;

/// How long a read may wait before the run fails: a guard against a hung server, never a
/// measurement.
const GUARD: Duration = Duration::from_secs(60);
/// What the bulk writer hands rustls at a time.
const CHUNK: usize = 64 * 1024;

fn connect(config: &Arc<ClientConfig>, server: SocketAddr) -> (ClientConnection, TcpStream) {
    let socket = TcpStream::connect(server).expect("connect to the server");
    socket.set_nodelay(true).expect("TCP_NODELAY");
    socket
        .set_read_timeout(Some(GUARD))
        .expect("a read timeout");
    let name = ServerName::try_from(SERVER_NAME).expect("a server name");
    let connection = ClientConnection::new(config.clone(), name).expect("a client connection");
    (connection, socket)
}

/// `count` handshakes spread over `threads` threads; returns the wall time they took.
pub fn handshake_load(
    config: &Arc<ClientConfig>,
    server: SocketAddr,
    threads: u64,
    count: u64,
) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            let share = count / threads + u64::from(thread < count % threads);
            scope.spawn(move || {
                for _ in 0..share {
                    one_handshake(config, server);
                }
            });
        }
    });
    start.elapsed()
}

/// Connect, handshake, echo one byte, close cleanly both ways.
fn one_handshake(config: &Arc<ClientConfig>, server: SocketAddr) {
    let (connection, socket) = connect(config, server);
    let mut tls = StreamOwned::new(connection, socket);
    tls.write_all(b"x").expect("handshake and write one byte");
    let mut echo = [0u8; 1];
    tls.read_exact(&mut echo).expect("read the echo");
    assert_eq!(&echo, b"x", "the echo is the byte sent");
    tls.conn.send_close_notify();
    tls.flush().expect("send close_notify");
    let mut rest = [0u8; 16];
    let n = tls.read(&mut rest).expect("the server's close_notify");
    assert_eq!(n, 0, "nothing after the echo but the server's close_notify");
}

/// The byte at offset `at` of the bulk stream.
fn pattern_byte(at: usize) -> u8 {
    (at % 256) as u8
}

/// Streams `total` bytes through the echo on one connection; returns the time from the
/// end of the handshake to the server's `close_notify` after the last echoed byte.
pub fn bulk(config: &Arc<ClientConfig>, server: SocketAddr, total: usize) -> Duration {
    let (mut connection, mut socket) = connect(config, server);
    while connection.is_handshaking() {
        connection
            .complete_io(&mut socket)
            .expect("the handshake completes");
    }
    let reader = socket.try_clone().expect("a second handle on the socket");
    let connection = Mutex::new(connection);
    let start = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| send(&connection, socket, total));
        receive(&connection, reader, total);
    });
    start.elapsed()
}

/// The writer: encrypts `total` bytes of the pattern under the lock, sends them outside
/// it, then sends `close_notify`.
fn send(connection: &Mutex<ClientConnection>, mut socket: TcpStream, total: usize) {
    let chunk: Vec<u8> = (0..CHUNK).map(pattern_byte).collect();
    let mut records = Vec::with_capacity(2 * CHUNK);
    let mut sent = 0;
    while sent < total {
        let want = CHUNK.min(total - sent);
        let mut tls = connection.lock().expect("the connection's lock");
        let n = tls
            .writer()
            .write(&chunk[..want])
            .expect("encrypt the chunk");
        sent += n;
        if sent == total {
            tls.send_close_notify();
        }
        while tls.wants_write() {
            tls.write_tls(&mut records).expect("take the records");
        }
        drop(tls);
        socket.write_all(&records).expect("send the records");
        records.clear();
    }
}

/// The reader: receives until `total` bytes came back, checking each against the
/// pattern, then waits for the server's `close_notify`.
fn receive(connection: &Mutex<ClientConnection>, mut socket: TcpStream, total: usize) {
    let expected: Vec<u8> = (0..CHUNK + 256).map(pattern_byte).collect();
    let mut wire = vec![0u8; CHUNK];
    let mut plain = vec![0u8; CHUNK];
    let mut received = 0;
    let mut closed = false;
    while !closed {
        let n = socket.read(&mut wire).expect("read the echo");
        assert!(n > 0, "the server closed after {received} of {total} bytes");
        let mut tls = connection.lock().expect("the connection's lock");
        let mut input = &wire[..n];
        while !input.is_empty() {
            tls.read_tls(&mut input).expect("buffer the records");
            tls.process_new_packets().expect("decrypt the records");
            loop {
                match tls.reader().read(&mut plain) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(k) => {
                        let at = received % 256;
                        assert!(
                            plain[..k] == expected[at..at + k],
                            "the echo differs near byte {received}"
                        );
                        received += k;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("read the plaintext: {e}"),
                }
            }
        }
    }
    assert_eq!(received, total, "every byte came back before the close");
}
