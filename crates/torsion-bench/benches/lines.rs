//! Line splitting throughput: lines per second through [`LineProtocol`], against
//! tokio-util's `LinesCodec` decoding the same bytes.
//!
//! ```text
//! cargo bench -p torsion-bench --bench lines
//! ```
//!
//! The input is 1 MiB of `\r\n`-terminated lines, all 16 bytes long or all 1 KiB long
//! (delimiter included), handed over in 64 KiB reads, as a socket would.
//!
//! - `lines/torsion/{16 B,1 KiB}`: the reads go to a [`LineProtocol`] on a
//!   [`StringTransport`], through [`ProtocolHarness::data_received`] (what the reactor
//!   calls); the receiver counts lines and their bytes.
//! - `lines/tokio-util/{16 B,1 KiB}`: each read is appended to a `BytesMut` and
//!   `LinesCodec::new_with_max_length(16384)` decodes every complete line (into a `String`:
//!   it checks UTF-8 and allocates per line, which `LineProtocol`, handing out slices, does
//!   not).
//!
//! Criterion reports elements (lines) per second. Settings are kept small (the machine is
//! shared): 1 s of warm-up, 3 s of measurement, 20 samples.

#[path = "support/config.rs"]
mod config;

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokio_util::codec::{Decoder, LinesCodec};
use torsion::protocols::basic::{LineCx, LineProtocol, LineReceiver};
use torsion::testing::{Clock, ProtocolHarness, StringTransport};

/// The input's size.
const INPUT: usize = 1 << 20;
/// The size of one read.
const READ: usize = 64 * 1024;
/// The longest line either splitter accepts.
const MAX_LENGTH: usize = 16384;

/// `INPUT` bytes of lines of `size` bytes, `\r\n` included.
fn input(size: usize) -> Vec<u8> {
    let mut line = vec![b'x'; size - 2];
    line.extend_from_slice(b"\r\n");
    line.repeat(INPUT / size)
}

/// Counts lines and their bytes.
#[derive(Default)]
struct Count {
    lines: usize,
    bytes: usize,
}

impl LineReceiver for Count {
    const MAX_LENGTH: usize = MAX_LENGTH;

    fn line_received(&mut self, _cx: &mut LineCx<'_, Self>, line: &[u8]) {
        self.lines += 1;
        self.bytes += line.len();
    }
}

/// Feeds `data` to a fresh `LineProtocol` in reads of `READ` bytes; returns the count.
fn torsion_lines(data: &[u8]) -> usize {
    let st = StringTransport::new();
    let h = ProtocolHarness::connect(LineProtocol::new(Count::default()), &st, &Clock::new())
        .expect("connection_made");
    for read in data.chunks(READ) {
        h.data_received(read).expect("data_received");
    }
    let protocol = h.protocol();
    black_box(protocol.user().bytes);
    protocol.user().lines
}

/// Decodes `data` with `LinesCodec`, appended to a `BytesMut` a read at a time; returns
/// the count.
fn tokio_util_lines(data: &[u8]) -> usize {
    let mut codec = LinesCodec::new_with_max_length(MAX_LENGTH);
    let mut buffer = BytesMut::with_capacity(READ);
    let (mut lines, mut bytes) = (0, 0);
    for read in data.chunks(READ) {
        buffer.extend_from_slice(read);
        while let Some(line) = codec.decode(&mut buffer).expect("a valid line") {
            lines += 1;
            bytes += line.len();
        }
    }
    black_box(bytes);
    lines
}

fn lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("lines");
    for (name, size) in [("16 B", 16), ("1 KiB", 1024)] {
        let data = input(size);
        let count = data.len() / size;
        assert_eq!(torsion_lines(&data), count);
        assert_eq!(tokio_util_lines(&data), count);
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("torsion", name), &data, |b, data| {
            b.iter(|| torsion_lines(data));
        });
        group.bench_with_input(BenchmarkId::new("tokio-util", name), &data, |b, data| {
            b.iter(|| tokio_util_lines(data));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = config::config();
    targets = lines
}
criterion_main!(benches);
