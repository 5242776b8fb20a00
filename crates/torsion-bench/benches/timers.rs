//! Timer micro-benchmarks: what one `call_later` costs when it is cancelled or when it fires.
//!
//! ```text
//! cargo bench -p torsion-bench --bench timers
//! cargo bench -p torsion-bench --bench timers -- cancel   # only the benchmarks whose name matches
//! ```
//!
//! Every figure criterion prints is the time of ONE timer (the batched benchmarks divide by
//! the batch size themselves). The target is at most 100 ns for each.
//!
//! - `call_later+cancel/{clock,reactor}/{empty,1M pending,1M pending sooner}`: schedule a
//!   call one second ahead and cancel it at once, on the fake [`Clock`] (time is a counter)
//!   and on a real [`Reactor`]'s scheduler (reads the monotonic clock at each `call_later`;
//!   the reactor is never run). "1M pending" first schedules 1,000,000 calls a year ahead,
//!   so each new call is earlier than all of them (the case a single binary heap handles
//!   worst: the new call climbs to its top; the scheduler's near heap avoids it); "1M
//!   pending sooner" schedules them 1 ms ahead, before the new call, which then sorts after
//!   all of them (the case of many equal idle timeouts).
//!   Cancellation is lazy: the cost of compacting the heaps now and then is included. The
//!   callback captures 8 bytes, stored (as in real code) in the call's one allocation.
//! - `call_later+fire/clock/{empty,1M pending}`: schedule 1000 calls with zero delay, then
//!   one `Clock::advance(0)` runs them all.
//! - `call_later+fire/reactor/empty`: schedule 10,000 calls with zero delay and a last one
//!   that stops the reactor, then `Reactor::run`: includes the run's start and stop and
//!   one poll per batch, spread over the batch.
//!
//! Settings are kept small (the machine is shared, with 2 cores): 1 s of warm-up, 3 s of
//! measurement, 20 samples per benchmark; building the 1M-timer heaps takes a few seconds
//! more.

#[path = "support/config.rs"]
mod config;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use torsion::testing::Clock;
use torsion::{Reactor, ReactorTime};

/// How many far-future calls the "1M pending" cases keep in the heap.
const PENDING: usize = 1_000_000;
/// Timers scheduled between two `advance(0)` in the fire benchmark on the fake clock.
const CLOCK_BATCH: u64 = 1000;
/// Timers scheduled before one `run` in the fire benchmark on the reactor.
const REACTOR_BATCH: u64 = 10_000;
/// How far ahead the pending calls are due: never within a benchmark.
const FAR: Duration = Duration::from_secs(365 * 24 * 3600);
/// How far ahead the "sooner" pending calls are due: before the cancelled calls, and never
/// within a benchmark either, as neither the clock nor the reactor moves past it.
const SOON: Duration = Duration::from_millis(1);
/// Each heap the cancel benchmark runs on: its label and when its pending calls are due.
const HEAPS: [(&str, Option<Duration>); 3] = [
    ("empty", None),
    ("1M pending", Some(FAR)),
    ("1M pending sooner", Some(SOON)),
];

fn quiet_reactor() -> Reactor {
    let reactor = Reactor::new().expect("create a reactor");
    reactor.set_install_signal_handlers(false);
    reactor
}

/// Schedules [`PENDING`] calls `delay` ahead on `time`, if `delay` is given.
fn fill(time: &impl ReactorTime, delay: Option<Duration>) {
    let Some(delay) = delay else { return };
    let scheduler = time.scheduler();
    for _ in 0..PENDING {
        scheduler.call_later(delay, || {});
    }
}

fn cancel_pair(time: &impl ReactorTime, token: u64) {
    let call = time.call_later(Duration::from_secs(1), move || {
        black_box(token);
    });
    black_box(call.cancel()).expect("cancel a pending call");
}

fn bench_cancel(c: &mut Criterion) {
    let mut group = c.benchmark_group("call_later+cancel");
    for (label, delay) in HEAPS {
        let clock = Clock::new();
        fill(&clock, delay);
        group.bench_function(BenchmarkId::new("clock", label), |b| {
            b.iter(|| cancel_pair(&clock, 7))
        });
        drop(clock);

        let reactor = quiet_reactor();
        fill(&reactor, delay);
        group.bench_function(BenchmarkId::new("reactor", label), |b| {
            b.iter(|| cancel_pair(&reactor, 7))
        });
    }
    group.finish();
}

/// Runs `iters` zero-delay calls on `clock` in batches of [`CLOCK_BATCH`], each batch fired
/// by one `advance(0)`; returns the total time and checks every call ran.
fn fire_on_clock(clock: &Clock, iters: u64) -> Duration {
    let fired = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let start = Instant::now();
    let mut left = iters;
    while left > 0 {
        let batch = left.min(CLOCK_BATCH);
        for _ in 0..batch {
            let fired = fired.clone();
            clock.call_later(Duration::ZERO, move || fired.set(fired.get() + 1));
        }
        clock.advance(Duration::ZERO);
        left -= batch;
    }
    let elapsed = start.elapsed();
    assert_eq!(fired.get(), iters, "every scheduled call ran");
    elapsed
}

/// Runs `iters` zero-delay calls on a real reactor in batches of [`REACTOR_BATCH`], each
/// batch run by one `Reactor::run` that the batch's last call stops.
fn fire_on_reactor(reactor: &Reactor, iters: u64) -> Duration {
    let fired = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let start = Instant::now();
    let mut left = iters;
    while left > 0 {
        let batch = left.min(REACTOR_BATCH);
        for _ in 0..batch {
            let fired = fired.clone();
            reactor.call_later(Duration::ZERO, move || fired.set(fired.get() + 1));
        }
        let r = reactor.clone();
        reactor.call_later(Duration::ZERO, move || r.stop());
        reactor.run().expect("run the reactor");
        left -= batch;
    }
    let elapsed = start.elapsed();
    assert_eq!(fired.get(), iters, "every scheduled call ran");
    elapsed
}

fn bench_fire(c: &mut Criterion) {
    let mut group = c.benchmark_group("call_later+fire");
    for pending in [false, true] {
        let label = if pending { "1M pending" } else { "empty" };
        let clock = Clock::new();
        fill(&clock, pending.then_some(FAR));
        group.bench_function(BenchmarkId::new("clock", label), |b| {
            b.iter_custom(|iters| fire_on_clock(&clock, iters))
        });
    }
    let reactor = quiet_reactor();
    group.bench_function(BenchmarkId::new("reactor", "empty"), |b| {
        b.iter_custom(|iters| fire_on_reactor(&reactor, iters))
    });
    group.finish();
}

criterion_group! {
    name = timers;
    config = config::config();
    targets = bench_cancel, bench_fire
}
criterion_main!(timers);
