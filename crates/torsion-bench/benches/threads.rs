//! Thread pool benchmarks: a blocking job's result back on the loop, torsion's
//! `Reactor::defer_to_thread` beside tokio's `spawn_blocking` awaited on a current-thread
//! runtime, in the same run.
//!
//! ```text
//! cargo bench -p torsion-bench --bench threads
//! ```
//!
//! Every figure is the time of ONE job, from submitting it to its result on the loop's
//! thread.
//!
//! - `round_trip/{torsion defer_to_thread,tokio spawn_blocking}`: one job at a time, each
//!   submitted when the last one's result arrived: the latency of a hand-off to a pool
//!   thread and back (two thread wake-ups). The reactor (with its pool of at most 10
//!   threads) and the runtime are made once; a sample's first job may start a thread.
//! - `burst_1000/{…}`: 1000 jobs submitted at once, then every result awaited: the
//!   throughput of the pool's queue and of the way back to the loop.
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark.

#[path = "support/config.rs"]
mod config;

use std::cell::Cell;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tokio::runtime::{Builder, Runtime};
use torsion::{Failure, Reactor};

/// Jobs per burst.
const BURST: u64 = 1000;

fn quiet_reactor() -> Reactor {
    let reactor = Reactor::new().expect("create a reactor");
    reactor.set_install_signal_handlers(false);
    reactor
}

fn tokio_runtime() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

/// Submits a job; when its result arrives, the next, `left` times in all; then stops.
fn chain(reactor: Reactor, left: u64) {
    if left == 0 {
        reactor.stop();
        return;
    }
    reactor
        .defer_to_thread(|| Ok::<u64, Infallible>(std::hint::black_box(1)))
        .add_callback(move |_| {
            chain(reactor, left - 1);
            Ok::<(), Failure>(())
        });
}

fn torsion_round_trips(reactor: &Reactor, jobs: u64) -> Duration {
    let r = reactor.clone();
    reactor.call_when_running(move || chain(r, jobs));
    let start = Instant::now();
    reactor.run().expect("run");
    start.elapsed()
}

fn torsion_burst(reactor: &Reactor, bursts: u64) -> Duration {
    let r = reactor.clone();
    let start = Instant::now();
    reactor.call_when_running(move || {
        let left = Rc::new(Cell::new(bursts * BURST));
        for _ in 0..bursts * BURST {
            let (left, r) = (left.clone(), r.clone());
            r.clone()
                .defer_to_thread(|| Ok::<u64, Infallible>(std::hint::black_box(1)))
                .add_callback(move |_| {
                    left.set(left.get() - 1);
                    if left.get() == 0 {
                        r.stop();
                    }
                    Ok::<(), Failure>(())
                });
        }
    });
    reactor.run().expect("run");
    start.elapsed()
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    let reactor = quiet_reactor();
    group.bench_function("torsion defer_to_thread", |b| {
        b.iter_custom(|iters| torsion_round_trips(&reactor, iters))
    });
    let rt = tokio_runtime();
    group.bench_function("tokio spawn_blocking", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let got = tokio::task::spawn_blocking(|| std::hint::black_box(1u64))
                        .await
                        .expect("the job");
                    std::hint::black_box(got);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

fn burst(c: &mut Criterion) {
    let mut group = c.benchmark_group("burst_1000");
    let reactor = quiet_reactor();
    group.bench_function("torsion defer_to_thread", |b| {
        b.iter_custom(|iters| torsion_burst(&reactor, iters) / BURST as u32)
    });
    let rt = tokio_runtime();
    group.bench_function("tokio spawn_blocking", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                let handles: Vec<_> = (0..iters * BURST)
                    .map(|_| tokio::task::spawn_blocking(|| std::hint::black_box(1u64)))
                    .collect();
                for handle in handles {
                    std::hint::black_box(handle.await.expect("the job"));
                }
                start.elapsed() / BURST as u32
            })
        })
    });
    group.finish();
}

criterion_group! {
    name = threads;
    config = config::config();
    targets = round_trip, burst
}
criterion_main!(threads);
