//! TLS echo: torsion's `listen_tls` echo server and a tokio-rustls echo server under the
//! same client in one run: full handshakes per second, and bulk MB/s through one
//! connection.
//!
//! ```text
//! cargo bench -p torsion-bench --bench tls
//! ```
//!
//! Both servers take their rustls configuration from the same `ServerConfig` (one
//! certificate made by rcgen, ring's provider, the same cipher suites), and each runs on a
//! thread of its own: torsion's reactor, and a tokio current-thread runtime whose tasks
//! echo with `tokio::io::copy`. The client is blocking rustls, TLS 1.3 only, with session
//! resumption off, so every handshake is a full one:
//!
//! - `tls_handshake`: 2 client threads each connect, handshake, write one byte, read its
//!   echo, send `close_notify` and wait for the server's. Every figure criterion prints is
//!   the time of ONE such connection, and its throughput line is handshakes per second.
//! - `tls_bulk`: one connection streams 64 MiB through the echo, a client thread writing
//!   while another reads and checks every byte. Every figure is the time of one 64 MiB
//!   round trip, and its throughput line is MiB/s each way.
//!
//! After each group the bench prints, for both servers, the rate over every run it made,
//! the server thread's CPU time per handshake or per MiB (a figure the shared machine's
//! noise moves less), and the ratio torsion/tokio of each (above 1 means torsion handles
//! more per second, or needs more CPU per unit).
//!
//! Settings are kept small (the machine is shared, with 2 cores): handshakes get 1 s of
//! warm-up, 3 s of measurement and 20 samples; bulk gets 10 samples of one round trip each.

#[path = "tls/client.rs"]
mod client;
#[path = "support/config.rs"]
mod config;
#[path = "tls/pki.rs"]
mod pki;
#[path = "tls/servers.rs"]
mod servers;

use std::cell::Cell;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use tokio_rustls::TlsAcceptor;

use pki::Pki;
use servers::Server;

/// Client threads doing handshakes at once.
const HANDSHAKE_THREADS: u64 = 2;
/// The bytes one bulk run streams through the echo.
const BULK_BYTES: usize = 64 * 1024 * 1024;
const MIB: f64 = 1024.0 * 1024.0;

/// What one server did over a group's runs: units (handshakes or bytes), wall time, and
/// the server thread's CPU time.
#[derive(Default)]
struct Tally {
    units: Cell<u64>,
    wall: Cell<Duration>,
    cpu: Cell<Duration>,
}

impl Tally {
    fn add(&self, units: u64, wall: Duration) {
        self.units.set(self.units.get() + units);
        self.wall.set(self.wall.get() + wall);
    }

    /// Units per second of wall time.
    fn rate(&self) -> f64 {
        self.units.get() as f64 / self.wall.get().as_secs_f64()
    }

    /// Server CPU seconds per unit.
    fn cpu_per_unit(&self) -> f64 {
        self.cpu.get().as_secs_f64() / self.units.get().max(1) as f64
    }
}

/// Runs `run` once per server under criterion, tallying what each did.
fn compare(
    c: &mut Criterion,
    group_name: &str,
    servers: &[(&str, Server)],
    setup: impl Fn(&mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>),
    run: impl Fn(&Server, u64) -> (u64, Duration),
) -> Vec<Tally> {
    let mut group = c.benchmark_group(group_name);
    setup(&mut group);
    let tallies: Vec<Tally> = servers.iter().map(|_| Tally::default()).collect();
    for ((name, server), tally) in servers.iter().zip(&tallies) {
        let cpu_before = server.cpu_time();
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let (units, wall) = run(server, iters);
                tally.add(units, wall);
                wall
            })
        });
        tally.cpu.set(server.cpu_time() - cpu_before);
    }
    group.finish();
    tallies
}

fn bench_tls(c: &mut Criterion) {
    let pki = Pki::new();
    let servers = [
        ("torsion", servers::torsion(pki.server.clone())),
        (
            "tokio",
            servers::tokio(TlsAcceptor::from(pki.server_config())),
        ),
    ];

    let handshakes = compare(
        c,
        "tls_handshake",
        &servers,
        |group| {
            group.throughput(Throughput::Elements(1));
        },
        |server, iters| {
            let wall = client::handshake_load(&pki.client, server.addr, HANDSHAKE_THREADS, iters);
            (iters, wall)
        },
    );
    let [torsion, tokio] = &handshakes[..] else {
        unreachable!("two servers")
    };
    for ((name, _), tally) in servers.iter().zip(&handshakes) {
        println!(
            "tls_handshake/{name}: {:.0} handshakes/s, server CPU {:.1} µs per handshake",
            tally.rate(),
            tally.cpu_per_unit() * 1e6
        );
    }
    println!(
        "tls_handshake torsion/tokio: {:.2}x handshakes/s, {:.2}x server CPU per handshake",
        torsion.rate() / tokio.rate(),
        torsion.cpu_per_unit() / tokio.cpu_per_unit()
    );

    let bulk = compare(
        c,
        "tls_bulk",
        &servers,
        |group| {
            group
                .throughput(Throughput::Bytes(BULK_BYTES as u64))
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .measurement_time(Duration::from_secs(5));
        },
        |server, iters| {
            let mut wall = Duration::ZERO;
            for _ in 0..iters {
                wall += client::bulk(&pki.client, server.addr, BULK_BYTES);
            }
            (iters * BULK_BYTES as u64, wall)
        },
    );
    let [torsion, tokio] = &bulk[..] else {
        unreachable!("two servers")
    };
    for ((name, _), tally) in servers.iter().zip(&bulk) {
        println!(
            "tls_bulk/{name}: {:.0} MiB/s each way, server CPU {:.2} ms per MiB",
            tally.rate() / MIB,
            tally.cpu_per_unit() * MIB * 1e3
        );
    }
    println!(
        "tls_bulk torsion/tokio: {:.2}x MiB/s, {:.2}x server CPU per MiB",
        torsion.rate() / tokio.rate(),
        torsion.cpu_per_unit() / tokio.cpu_per_unit()
    );
}

criterion_group! {
    name = benches;
    config = config::config();
    targets = bench_tls
}
criterion_main!(benches);
