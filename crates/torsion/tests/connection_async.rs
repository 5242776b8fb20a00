//! `Connection` from async code over loopback: echo, large transfers with backpressure,
//! how the end of a connection reads, and the `futures_io` traits.

mod util;

use std::future::poll_fn;
use std::io::ErrorKind;
use std::pin::Pin;

use torsion::connection::{self, Connection};
use torsion::endpoints::{ClientEndpoint, TcpClientEndpoint};
use torsion::error::{ConnectionDone, ConnectionLost};
use torsion::{Cx, Failure, Protocol, Reactor};
use util::{listen, pattern, reactor, run};

async fn echo(mut conn: Connection) -> Result<(), Failure> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        conn.write(&buf[..n]).await?;
    }
}

fn endpoint_to(reactor: &Reactor, port: u16) -> ClientEndpoint {
    TcpClientEndpoint::new(reactor, "127.0.0.1", port).into()
}

#[test]
fn four_megabytes_echo_through_async_connections() {
    let reactor = reactor();
    let port = listen(&reactor, connection::serve(&reactor, echo))
        .get_host()
        .port();
    let endpoint = endpoint_to(&reactor, port);
    let r = reactor.clone();
    let sent = pattern(4 << 20);
    let expected = sent.clone();
    let done = reactor.spawn_local(async move {
        let mut reader = Connection::connect(&endpoint).await?;
        // One task writes everything (waiting whenever the transport's buffer is full)
        // while this one reads the echo back.
        let mut writer = reader.clone();
        let writing = r.spawn_local(async move {
            let mut most_buffered = 0;
            for chunk in sent.chunks(64 * 1024) {
                writer.write(chunk).await?;
                most_buffered = most_buffered.max(writer.transport().unwrap().buffered());
            }
            Ok::<_, Failure>(most_buffered)
        });
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while got.len() < expected.len() {
            let n = reader.read(&mut buf).await?;
            assert_ne!(n, 0, "closed early");
            got.extend_from_slice(&buf[..n]);
        }
        let most_buffered = writing.await??;
        reader.close().await?;
        r.stop();
        // A write waits while the buffer is past its 64 KiB high watermark: it never
        // holds more than that plus one chunk.
        assert!(
            most_buffered <= 2 * 64 * 1024,
            "{most_buffered} bytes buffered"
        );
        Ok::<_, Failure>(got == expected)
    });
    run(&reactor);
    assert!(done.take_result().unwrap().unwrap().unwrap());
}

/// Writes a greeting and closes, cleanly or by aborting.
struct Greet {
    abort: bool,
}

impl Protocol for Greet {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().write(b"hello");
        if self.abort {
            cx.transport().abort_connection();
        } else {
            cx.transport().lose_connection();
        }
    }
}

#[test]
fn a_clean_close_reads_as_zero_after_the_data() {
    let reactor = reactor();
    let port = listen(&reactor, |_| Some(Greet { abort: false }))
        .get_host()
        .port();
    let endpoint = endpoint_to(&reactor, port);
    let r = reactor.clone();
    let done = reactor.spawn_local(async move {
        let mut conn = Connection::connect(&endpoint).await?;
        let got = conn.read_to_end().await?;
        let mut buf = [0u8; 8];
        let after = conn.read(&mut buf).await?;
        // Waits for the end of the connection (already under way): clean, so `Ok`.
        conn.close().await?;
        r.stop();
        Ok::<_, Failure>((got, after, conn.close_reason()))
    });
    run(&reactor);
    let (got, after, reason) = done.take_result().unwrap().unwrap().unwrap();
    assert_eq!(got, b"hello");
    assert_eq!(after, 0);
    assert!(reason.unwrap().check::<ConnectionDone>());
}

#[test]
fn an_unclean_end_reads_as_an_error_with_the_reason_kept() {
    let reactor = reactor();
    // The client aborts its own connection: its reads then fail with the reason.
    let port = listen(&reactor, connection::serve(&reactor, echo))
        .get_host()
        .port();
    let endpoint = endpoint_to(&reactor, port);
    let r = reactor.clone();
    let done = reactor.spawn_local(async move {
        let mut conn = Connection::connect(&endpoint).await?;
        conn.transport().unwrap().abort_connection();
        let mut buf = [0u8; 8];
        let read = conn.read(&mut buf).await;
        let write = conn.write(b"late").await;
        r.stop();
        Ok::<_, Failure>((read, write, conn.close_reason()))
    });
    run(&reactor);
    let (read, write, reason) = done.take_result().unwrap().unwrap().unwrap();
    assert_eq!(read.unwrap_err().kind(), ErrorKind::ConnectionAborted);
    assert_eq!(write.unwrap_err().kind(), ErrorKind::BrokenPipe);
    let reason = reason.unwrap();
    assert!(
        reason.check::<ConnectionLost>(),
        "aborted is a lost connection: {reason}"
    );
}

#[test]
fn connection_implements_the_futures_io_traits() {
    use futures_io::{AsyncRead, AsyncWrite};

    let reactor = reactor();
    let port = listen(&reactor, connection::serve(&reactor, echo))
        .get_host()
        .port();
    let endpoint = endpoint_to(&reactor, port);
    let r = reactor.clone();
    let done = reactor.spawn_local(async move {
        let mut conn = Connection::connect(&endpoint).await?;
        let n = poll_fn(|cx| Pin::new(&mut conn).poll_write(cx, b"traits")).await?;
        assert_eq!(n, 6);
        let mut buf = [0u8; 6];
        let mut filled = 0;
        while filled < 6 {
            filled += poll_fn(|cx| Pin::new(&mut conn).poll_read(cx, &mut buf[filled..])).await?;
        }
        poll_fn(|cx| Pin::new(&mut conn).poll_close(cx)).await?;
        r.stop();
        Ok::<_, Failure>(buf)
    });
    run(&reactor);
    assert_eq!(&done.take_result().unwrap().unwrap().unwrap(), b"traits");
}

/// Reads nothing for a while (so the sender's buffers fill), then counts what arrives
/// and closes once it has `expect` bytes.
struct LateReader {
    expect: usize,
    got: usize,
}

impl Protocol for LateReader {
    fn connection_made(&mut self, cx: &mut Cx<Self>) {
        cx.transport().pause_producing();
        cx.call_later(std::time::Duration::from_millis(100), |_me, cx| {
            cx.transport().resume_producing()
        });
    }

    fn data_received(&mut self, cx: &mut Cx<Self>, data: &[u8]) {
        self.got += data.len();
        if self.got >= self.expect {
            cx.transport().lose_connection();
        }
    }
}

#[test]
fn writes_wait_while_the_peer_does_not_read() {
    const TOTAL: usize = 8 << 20;
    let reactor = reactor();
    let port = listen(&reactor, |_| {
        Some(LateReader {
            expect: TOTAL,
            got: 0,
        })
    })
    .get_host()
    .port();
    let endpoint = endpoint_to(&reactor, port);
    let r = reactor.clone();
    let done = reactor.spawn_local(async move {
        let mut conn = Connection::connect(&endpoint).await?;
        let data = pattern(TOTAL);
        let mut most_buffered = 0;
        for chunk in data.chunks(64 * 1024) {
            conn.write(chunk).await?;
            most_buffered = most_buffered.max(conn.transport().unwrap().buffered());
        }
        conn.close().await?;
        r.stop();
        Ok::<_, Failure>(most_buffered)
    });
    run(&reactor);
    let most_buffered = done.take_result().unwrap().unwrap().unwrap();
    assert!(
        most_buffered <= 2 * 64 * 1024,
        "{most_buffered} bytes buffered"
    );
}
